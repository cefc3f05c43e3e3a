//! The pricing model on a shop (the demo: every Online Retail product)
//! against the same model in NumPy, run in the same invocation. Not a timed
//! test: it prints figures (docs/benchmarks.md). `benches/pricing.sh` sets
//! up NumPy and the demo shop and runs it.
//!
//! `cargo bench --bench pricing -- --db DEMO.sqlite [--python python3] [--script benches/pricing_numpy.py] [--days 90] [--paths 1000] [--json]`

mod common;

use chrono::Utc;
use common::{arg, median_ms, tempfile_dir};
use merchant_desk::error::{Error, Result};
use merchant_desk::store::Store;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

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
fn pricing(
    store: &Store,
    python: &str,
    numpy_script: &Path,
    days: usize,
    paths: usize,
    log: &mut dyn Write,
) -> Result<PricingBenchReport> {
    use merchant_desk::pricing::model::Run;
    let shop = store.require_shop()?;
    let t = Instant::now();
    let built = merchant_desk::pricing::build(store.conn(), &shop, Utc::now())?;
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
        "dispersion": model.items.iter().map(|i| i.dispersion.unwrap_or(-1.0)).collect::<Vec<_>>(),
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

fn main() {
    let db = arg("--db", "");
    if db.is_empty() {
        eprintln!("error: give --db with a shop database (benches/pricing.sh builds the demo)");
        std::process::exit(2);
    }
    let python = arg("--python", "python3");
    let script = arg("--script", "benches/pricing_numpy.py");
    let days: usize = arg("--days", "90")
        .parse()
        .expect("--days is a whole number");
    let paths: usize = arg("--paths", "1000")
        .parse()
        .expect("--paths is a whole number");
    let result = Store::open(Path::new(&db)).and_then(|store| {
        pricing(
            &store,
            &python,
            Path::new(&script),
            days,
            paths,
            &mut std::io::stderr(),
        )
    });
    common::report(result, |r| {
        println!(
            "{} variants, {} days × {} paths\nmodel built in {:.0} ms; expected mode {:.1} ms\nMonte Carlo: ours {:.2} s on {} threads, {:.2} s on 1; NumPy {:.2} s\nratio NumPy / ours: {:.1} ({:.1} on 1 thread)\nmean shop units: ours {:.0}, expected {:.0}, NumPy {:.0}",
            r.variants, r.days, r.paths, r.build_ms, r.expected_ms, r.simulate_s, r.threads, r.simulate_1_thread_s, r.numpy_s, r.ratio, r.ratio_1_thread, r.units_mean, r.units_expected, r.units_numpy
        );
    });
}
