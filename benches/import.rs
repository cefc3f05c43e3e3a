//! Import and report benchmark on the real data set: our import of Online
//! Retail against the `sqlite3` shell's own `.import` of the same
//! (decompressed) CSV, measured in the same run, and the reports timed over
//! the whole year. Not a timed test: it prints figures and fails on nothing
//! timed (docs/benchmarks.md).
//!
//! `cargo bench --bench import -- [--file data/online-retail.csv.gz] [--sqlite3 sqlite3] [--json]`

mod common;

use chrono::Utc;
use common::{arg, flag, median_ms, tempfile_dir};
use merchant_desk::error::{Error, Result};
use merchant_desk::import::{self, Control, ImportKind};
use merchant_desk::report::{self, DateRange, RankBy};
use merchant_desk::store::Store;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

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

/// Runs the import and report benchmarks on an Online Retail file.
fn run(file: &Path, sqlite3: &str, log: &mut dyn Write) -> Result<BenchReport> {
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

fn main() {
    let file = arg("--file", "data/online-retail.csv.gz");
    let sqlite3 = arg("--sqlite3", "sqlite3");
    let report = match run(Path::new(&file), &sqlite3, &mut std::io::stderr()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    if flag("--json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialises")
        );
    } else {
        println!("rows                      {}", report.rows);
        println!("import (ours)             {:.3} s", report.import_s);
        println!("import (sqlite3 .import)  {:.3} s", report.sqlite3_import_s);
        println!("ratio ours / sqlite3      {:.2}", report.import_ratio);
        println!("summary, whole year       {:.1} ms", report.summary_ms);
        println!("top products, whole year  {:.1} ms", report.top_products_ms);
        println!("dashboard, whole year     {:.1} ms", report.dashboard_ms);
    }
}
