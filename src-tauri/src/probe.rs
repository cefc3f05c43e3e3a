//! Measures the app's cold start and memory for `benches/app-start.sh`. Built
//! only with the `startup-probe` feature, which release builds do not enable:
//! when `MERCHANT_DESK_STARTUP_PROBE` names a file, the first paint waits for
//! the app to settle, writes the figures there as JSON and ends the process.

use serde::Serialize;
use std::time::{Duration, Instant};

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
    pub fn painted(&self, page_ms: f64) {
        let Some(out) = &self.out else { return };
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
    }
}

/// A process and all its descendants, from `/proc`.
fn process_tree(root: u32) -> Vec<u32> {
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

/// The floor of this stack, for the benchmark's second reference: the same
/// binary, the same WebKit settings (set in `main` before this runs), one
/// window of the same size, and a one-line page instead of the app. No
/// service, no database, no plugins. Its figures are written the same way
/// when the page has loaded (`page_ms` is 0: there is no UI to time).
pub fn empty_window(probe: StartupProbe, context: tauri::Context<tauri::Wry>) {
    let mut context = context;
    // The configured window would load the whole UI.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        .manage(probe)
        // The page comes from the process itself, as the app's does.
        .register_uri_scheme_protocol("floor", |_, _| {
            tauri::http::Response::builder()
                .header("Content-Type", "text/html")
                .body(b"<!doctype html><title>Merchant Desk</title>".to_vec())
                .unwrap_or_default()
        })
        .setup(|app| {
            let url = "floor://localhost/".parse().map_err(|e| format!("{e}"))?;
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::External(url))
                .title("Merchant Desk")
                .inner_size(1280.0, 820.0)
                .on_page_load(|window, payload| {
                    use tauri::Manager;
                    if payload.event() == tauri::webview::PageLoadEvent::Finished {
                        window.state::<StartupProbe>().painted(0.0);
                    }
                })
                .build()?;
            Ok(())
        })
        .run(context)
        .expect("the empty window could not be opened");
}
