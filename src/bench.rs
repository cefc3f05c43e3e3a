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

/// The figures of the pricing benchmark.
#[derive(Debug, Serialize)]
pub struct PricingBenchReport {
    pub variants: usize,
    pub days: usize,
    pub paths: usize,
    /// Building the model from the store (elasticities included), milliseconds.
    pub build_ms: f64,
    /// Median of the expected mode over the whole catalog, milliseconds.
    pub expected_ms: f64,
    /// Monte Carlo on every core, seconds (best of 3).
    pub simulate_s: f64,
    pub threads: usize,
    /// Monte Carlo on one thread, seconds (best of 3).
    pub simulate_1_thread_s: f64,
    /// The NumPy implementation of the same model, seconds (best of 3).
    pub numpy_s: f64,
    /// `numpy_s / simulate_s`.
    pub ratio: f64,
    /// `numpy_s / simulate_1_thread_s`.
    pub ratio_1_thread: f64,
    /// Mean shop units over the horizon: ours, expected mode, NumPy's.
    pub units_mean: f64,
    pub units_expected: f64,
    pub units_numpy: f64,
}

fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Times the base demand model on the open shop (the demo: every Online
/// Retail product) against `numpy_script` run by `python` on the same model.
pub fn pricing(
    store: &Store,
    python: &str,
    numpy_script: &Path,
    days: usize,
    paths: usize,
    log: &mut dyn Write,
) -> Result<PricingBenchReport> {
    use crate::pricing::model::Run;
    let shop = store.require_shop()?;
    let t = Instant::now();
    let built = crate::pricing::build(store.conn(), &shop, Utc::now())?;
    let build_ms = t.elapsed().as_secs_f64() * 1000.0;
    let model = &built.model;
    let prices: Vec<i64> = model.items.iter().map(|i| i.p0_minor).collect();
    let _ = writeln!(
        log,
        "model: {} variants, built in {build_ms:.0} ms",
        model.items.len()
    );
    let mut units_expected = 0.0;
    let expected_ms = median_ms(15, || {
        units_expected = model.expected(&prices, days).units.mean;
        Ok(())
    })?;
    let run = Run {
        days,
        paths,
        seed: 1,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut units_mean = 0.0;
    let simulate_s = best_of(3, || {
        units_mean = model.simulate(&prices, run, threads).units.mean
    });
    let simulate_1_thread_s = best_of(3, || {
        model.simulate(&prices, run, 1);
    });
    let _ = writeln!(
        log,
        "ours: expected mode {expected_ms:.1} ms, Monte Carlo {simulate_s:.2} s ({threads} threads), {simulate_1_thread_s:.2} s (1 thread)"
    );

    // The same model for NumPy, as JSON.
    let dir = tempfile_dir()?;
    let input = dir.join("model.json");
    let json = serde_json::json!({
        "days": days,
        "paths": paths,
        "seed": 1,
        "weekday": model.weekday,
        "first_weekday": model.first_weekday,
        "lambda": model.items.iter().map(|i| i.lambda).collect::<Vec<_>>(),
        "elasticity": model.items.iter().map(|i| i.elasticity).collect::<Vec<_>>(),
        "p0": model.items.iter().map(|i| i.p0_minor).collect::<Vec<_>>(),
        "price": prices,
        "cost": model.items.iter().map(|i| i.cost_minor.unwrap_or(0)).collect::<Vec<_>>(),
        "stock": model.items.iter().map(|i| i.stock.map_or(-1, |s| s.max(0))).collect::<Vec<_>>(),
    });
    std::fs::write(&input, json.to_string()).map_err(|e| Error::io("writing the model", e))?;
    let out = Command::new(python)
        .arg(numpy_script)
        .arg(&input)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::io(format!("running {python}"), e))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(Error::InvalidArgument(format!(
            "{} failed: is NumPy installed? (benches/pricing.sh installs it)",
            numpy_script.display()
        )));
    }
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| Error::InvalidArgument(format!("the NumPy script's answer: {e}")))?;
    let numpy_s = answer["seconds"].as_f64().unwrap_or(f64::NAN);
    let units_numpy = answer["units_mean"].as_f64().unwrap_or(f64::NAN);
    let _ = writeln!(log, "NumPy: {numpy_s:.2} s");
    Ok(PricingBenchReport {
        variants: model.items.len(),
        days,
        paths,
        build_ms,
        expected_ms,
        simulate_s,
        threads,
        simulate_1_thread_s,
        numpy_s,
        ratio: numpy_s / simulate_s,
        ratio_1_thread: numpy_s / simulate_1_thread_s,
        units_mean,
        units_expected,
        units_numpy,
    })
}
