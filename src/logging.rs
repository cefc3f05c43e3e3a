//! The log: one file a day, `logs/merchant-desk.YYYY-MM-DD.log` in the data
//! folder, the last 14 days kept. It records what the app and the CLI do
//! with the storefront (connections, syncs, requests, retries, pushes,
//! reverts) and every error; never a secret (secrets print `<redacted>`,
//! and requests are logged by operation name, never with their headers).
//! `MERCHANT_DESK_LOG` sets the level: error, warn, info (default), debug.

use chrono::{Days, NaiveDate, Utc};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing::Level;

const KEEP_DAYS: u64 = 14;
const PREFIX: &str = "merchant-desk.";

/// The day's log file, reopened when the day (UTC) changes.
struct DailyFile {
    dir: PathBuf,
    open: Mutex<Option<(NaiveDate, File)>>,
}

impl DailyFile {
    fn write_line(&self, bytes: &[u8]) -> std::io::Result<()> {
        let today = Utc::now().date_naive();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.as_ref().map(|(day, _)| *day) != Some(today) {
            let path = self.dir.join(format!("{PREFIX}{today}.log"));
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            *open = Some((today, file));
            prune(&self.dir, today);
        }
        let (_, file) = open.as_mut().expect("opened above");
        file.write_all(bytes)
    }
}

/// Removes day files older than [`KEEP_DAYS`].
fn prune(dir: &Path, today: NaiveDate) {
    let Some(oldest) = today.checked_sub_days(Days::new(KEEP_DAYS)) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let day = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if day.is_some_and(|d| d < oldest) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// One event's bytes, written to the file in one piece when dropped.
pub struct LineWriter<'a> {
    file: &'a DailyFile,
    buffer: Vec<u8>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    fn drop(&mut self) {
        // A log that cannot be written must not stop the work it describes.
        let _ = self.file.write_line(&self.buffer);
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for DailyFile {
    type Writer = LineWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            file: self,
            buffer: Vec::with_capacity(256),
        }
    }
}

/// The log folder for a data folder.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Sends this process's log to `log_dir(data_dir)`. A second call, or a
/// folder that cannot be made, leaves logging as it was.
pub fn init(data_dir: &Path) {
    let dir = log_dir(data_dir);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let level = match std::env::var("MERCHANT_DESK_LOG").as_deref() {
        Ok("error") => Level::ERROR,
        Ok("warn") => Level::WARN,
        Ok("debug") => Level::DEBUG,
        _ => Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(DailyFile {
            dir,
            open: Mutex::new(None),
        })
        .with_ansi(false)
        .with_max_level(level)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prunes_only_old_day_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "merchant-desk.2026-01-01.log",
            "merchant-desk.2026-01-20.log",
            "merchant-desk.2026-01-25.log",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        prune(dir.path(), NaiveDate::from_ymd_opt(2026, 1, 30).unwrap());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "merchant-desk.2026-01-20.log",
                "merchant-desk.2026-01-25.log",
                "notes.txt"
            ]
        );
    }
}
