//! Benchmarks on the real data set, each a ratio against a reference measured
//! in the same run: our import against the `sqlite3` shell's own `.import` of
//! the same (decompressed) CSV; the reports timed over the whole year. Also a
//! probe the desktop app uses to report its cold start and resident memory.

use crate::error::{Error, Result};
use crate::import::{self, Control, ImportKind};
use crate::report::{self, DateRange, RankBy};
use crate::store::Store;
use chrono::Utc;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// The figures of one benchmark run.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    /// Data rows in the file.
    pub rows: u64,
    /// Our streaming import into a fresh store, seconds.
    pub import_s: f64,
    /// `sqlite3` shell `.import` of the decompressed CSV into one unindexed table, seconds.
    pub sqlite3_import_s: f64,
    /// `import_s / sqlite3_import_s`.
    pub import_ratio: f64,
    /// Median of the whole-year summary report, milliseconds.
    pub summary_ms: f64,
    /// Median of the whole-year top-products report, milliseconds.
    pub top_products_ms: f64,
    /// Median of the whole-year dashboard (summary, previous period, series, top products), milliseconds.
    pub dashboard_ms: f64,
}

fn median_ms(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Runs the import and report benchmarks on an Online Retail file.
pub fn run(file: &Path, sqlite3: &str, log: &mut dyn Write) -> Result<BenchReport> {
    let dir = tempfile_dir()?;
    let io = |e| Error::io("benchmark scratch folder", e);

    // The reference reads plain CSV; decompressing it is not timed.
    let csv_path = dir.join("online-retail.csv");
    {
        let mut gz = flate2::read::MultiGzDecoder::new(
            std::fs::File::open(file)
                .map_err(|e| Error::io(format!("opening {}", file.display()), e))?,
        );
        let mut out = std::fs::File::create(&csv_path).map_err(io)?;
        std::io::copy(&mut gz, &mut out).map_err(io)?;
    }
    let _ = writeln!(
        log,
        "reference: {sqlite3} .import of {}",
        csv_path.display()
    );
    let ref_db = dir.join("reference.sqlite");
    let t = Instant::now();
    let mut child = Command::new(sqlite3)
        .arg(&ref_db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| {
            Error::io(
                format!("starting {sqlite3} (install the sqlite3 package)"),
                e,
            )
        })?;
    writeln!(
        child.stdin.take().expect("piped"),
        ".mode csv\n.import '{}' lines\n",
        csv_path.display()
    )
    .map_err(io)?;
    let status = child.wait().map_err(io)?;
    let sqlite3_import_s = t.elapsed().as_secs_f64();
    if !status.success() {
        return Err(Error::InvalidArgument(format!("{sqlite3} .import failed")));
    }

    let _ = writeln!(
        log,
        "ours: merchant-desk import online-retail {}",
        file.display()
    );
    let db = dir.join("bench.sqlite");
    let cancel = AtomicBool::new(false);
    let t = Instant::now();
    let mut store = Store::open(&db)?;
    let report = import::import_file(
        &mut store,
        ImportKind::OnlineRetail,
        file,
        &mut Control::new(&cancel, |_| {}),
        Utc::now(),
    )?;
    let import_s = t.elapsed().as_secs_f64();

    let shop = store.require_shop()?;
    let span = report::data_span(store.conn(), &shop)?.ok_or(Error::NoShop)?;
    let year = DateRange::new(span.from, span.to)?;
    let conn = store.conn();
    let summary_ms = median_ms(15, || report::summary(conn, &shop, year).map(|_| ()))?;
    let top_products_ms = median_ms(15, || {
        report::top_products(conn, &shop, year, RankBy::Revenue, 25).map(|_| ())
    })?;
    let dashboard_ms = median_ms(15, || {
        report::dashboard(conn, &shop, year, report::Granularity::Week, 25).map(|_| ())
    })?;
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(BenchReport {
        rows: report.rows_read,
        import_s,
        sqlite3_import_s,
        import_ratio: import_s / sqlite3_import_s,
        summary_ms,
        top_products_ms,
        dashboard_ms,
    })
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("merchant-desk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}

/// What the app reports once its first dashboard is on screen.
#[derive(Debug, Clone, Serialize)]
pub struct StartupFigures {
    /// From the start of `main` to the dashboard's first paint, milliseconds.
    pub cold_start_ms: f64,
    /// Of that, from the web page's navigation start to the paint: the UI's
    /// own share (loading the bundle, asking the core, drawing). The rest is
    /// the window and the web engine's processes starting.
    pub page_ms: f64,
    /// Resident memory of the app's own process after settling, KiB.
    pub app_rss_kib: u64,
    /// Proportional set size (shared pages split between sharers) of the app
    /// and its web view processes together after settling, KiB: what the
    /// whole app costs the machine, without counting shared libraries twice.
    pub tree_pss_kib: u64,
}

/// Measures the app's start when `MERCHANT_DESK_STARTUP_PROBE` names a file:
/// on the first paint it waits for the app to settle, writes the figures there
/// as JSON and ends the process.
pub struct StartupProbe {
    started: Instant,
    out: Option<std::path::PathBuf>,
}

impl StartupProbe {
    /// Call first thing in `main`.
    pub fn start() -> StartupProbe {
        StartupProbe {
            started: Instant::now(),
            out: std::env::var_os("MERCHANT_DESK_STARTUP_PROBE").map(Into::into),
        }
    }

    /// The UI calls this once its dashboard has painted, with the time since
    /// its page started loading.
    pub fn painted(&self, page_ms: f64) -> Result<()> {
        let Some(out) = &self.out else { return Ok(()) };
        let cold_start_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let out = out.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            let figures = StartupFigures {
                cold_start_ms,
                page_ms,
                app_rss_kib: memory_kib(std::process::id(), "/status", "VmRSS:"),
                tree_pss_kib: process_tree(std::process::id())
                    .into_iter()
                    .map(|pid| memory_kib(pid, "/smaps_rollup", "Pss:"))
                    .sum(),
            };
            let _ = std::fs::write(&out, serde_json::to_string(&figures).unwrap_or_default());
            std::process::exit(0);
        });
        Ok(())
    }
}

/// A process and all its descendants, from `/proc`.
pub fn process_tree(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![root];
    };
    let mut parent_of = Vec::new();
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name is in parentheses and may contain spaces.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let ppid = after
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        parent_of.push((pid, ppid));
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

/// A `KiB` figure from a `/proc/PID/<file>` line starting with `key`; 0 if absent.
fn memory_kib(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}{file}"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
}
