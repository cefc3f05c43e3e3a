//! The core's integration tests: one binary, real SQLite files in temporary
//! folders, the real data set where it matters.

use shopify_fake as fake;

mod bad_input;
mod fixtures;
mod generic_and_shopify;
mod loyalty;
mod migrations;
mod pricing;
mod pricing_mix;
mod pricing_rules;
mod promotions;
mod properties;
mod real_data;
mod recommend;
mod service;
mod subscription_desk;
mod subscriptions;
mod summary;
mod sync;
mod watch;
mod writers;

/// The `merchant-desk` program the command-line tests run. It lives in its
/// own package; `cargo test --workspace` builds it (its package has tests of
/// its own) beside this test binary before any test runs.
pub fn cli_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/core-<hash> → target/<profile>/merchant-desk
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in target/<profile>/deps");
    let bin = dir.join(format!("merchant-desk{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is not built: run the tests with `cargo test --workspace`, or `cargo build -p merchant-desk-cli` first",
        bin.display()
    );
    bin
}
