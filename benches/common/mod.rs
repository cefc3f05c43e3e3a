//! What the benchmarks share: their own arguments, a scratch folder and a
//! median.

use merchant_desk::error::{Error, Result};
use std::time::Instant;

/// `--name value` from the bench's own arguments (after `--`), else `default`.
pub fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

pub fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("merchant-desk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}

/// The median of `runs` timings of `f`, in milliseconds.
pub fn median_ms(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Prints a bench's figures: JSON with `--json`, else `text`; an error
/// ends the bench with status 1. (Not every bench prints this way.)
#[allow(dead_code)]
pub fn report<T: serde::Serialize>(result: Result<T>, text: impl FnOnce(&T)) {
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    if flag("--json") {
        println!("{}", serde_json::to_string_pretty(&r).expect("serialises"));
    } else {
        text(&r);
    }
}
