//! The command line as a user runs it: the real binary on a temporary shop.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn md(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_merchant-desk"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("merchant-desk runs")
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = md(db, args);
    assert!(
        out.status.success(),
        "merchant-desk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A small shop: two products with costs and three orders in GBP.
fn shop(dir: &Path) -> PathBuf {
    let db = dir.join("shop.sqlite");
    ok(
        &db,
        &[
            "shop",
            "set",
            "--name",
            "Tea & Cake",
            "--currency",
            "GBP",
            "--time-zone",
            "Europe/London",
        ],
    );
    let products = dir.join("products.csv");
    std::fs::write(
        &products,
        "sku,title,price,category,cost,stock\nTEA,Earl Grey tin,4.50,Tea,1.80,40\nPOT,Teapot,1250.00,Kitchen,600.00,3\n",
    )
    .unwrap();
    ok(&db, &["import", "products", products.to_str().unwrap()]);
    let orders = dir.join("orders.csv");
    std::fs::write(
        &orders,
        "order_id,ordered_at,sku,title,quantity,unit_price,currency,customer_id\n\
         1,2024-03-01 10:00,TEA,Earl Grey tin,2,4.50,GBP,c1\n\
         2,2024-03-02 11:00,POT,Teapot,1,1250.00,GBP,c2\n\
         2,2024-03-02 11:00,TEA,Earl Grey tin,1,4.50,GBP,c2\n\
         3,2024-03-03 12:00,TEA,Earl Grey tin,3,4.50,GBP,c1\n",
    )
    .unwrap();
    ok(&db, &["import", "orders", orders.to_str().unwrap()]);
    db
}

#[test]
fn json_is_one_global_flag_before_or_after_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = shop(dir.path());
    let range = ["--from", "2024-03-01", "--to", "2024-03-31"];
    let before: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[&["--json", "report", "summary"][..], &range].concat(),
    ))
    .unwrap();
    let after: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[&["report", "summary"][..], &range, &["--json"]].concat(),
    ))
    .unwrap();
    assert_eq!(before, after);
    // Money in JSON is a decimal string in major units.
    assert_eq!(before["gross_sales"], "1277.00");
    assert_eq!(before["orders"], 3);
    // Amounts of the core's records keep their minor units and gain the
    // decimal string beside them.
    let signals: serde_json::Value =
        serde_json::from_str(&ok(&db, &["--json", "price", "signals"])).unwrap();
    let pot = signals["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sku"] == "POT")
        .unwrap();
    assert_eq!(
        (pot["price_minor"].as_i64(), pot["price"].as_str()),
        (Some(125_000), Some("1250.00"))
    );
    assert_eq!(pot["cost"], "600.00");
    // The same figures in text are written as the shop writes money.
    let text = ok(&db, &[&["report", "summary"][..], &range].concat());
    assert!(text.contains("gross sales       £1,277.00"), "{text}");
    assert!(text.contains("average order     £425.67"), "{text}");
    let listed = ok(&db, &["price", "signals"]);
    assert!(listed.contains("£1,250.00"), "{listed}");
}

#[test]
fn empty_lists_say_so_and_groups_without_a_subcommand_print_their_usage() {
    let dir = tempfile::tempdir().unwrap();
    let db = shop(dir.path());
    assert_eq!(
        ok(&db, &["sale", "list"]).trim(),
        "no sales yet: `merchant-desk sale create FILE` plans one"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&db, &["sale", "list", "--json"])).unwrap();
    assert_eq!(listed["sales"], serde_json::json!([]));
    assert!(ok(&db, &["tiers", "list"]).starts_with("no tiers yet"));
    assert!(ok(&db, &["journal", "list"]).starts_with("the journal is empty"));
    let out = md(&db, &["price"]);
    assert_eq!(out.status.code(), Some(2));
    let usage = String::from_utf8_lossy(&out.stderr);
    for sub in ["signals", "simulate", "suggest", "apply"] {
        assert!(usage.contains(sub), "no {sub} in the usage: {usage}");
    }
}

#[test]
fn errors_exit_non_zero_with_one_line_and_toml_errors_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let db = shop(dir.path());
    let file = dir.path().join("winter.toml");
    std::fs::write(
        &file,
        "name = \"Winter\"\nstarts_at = \"2024-12-01T09:00\"\nends_at = \"2024-12-01T21:00\"\ntargets = { all = true }\ndiscount = { precent = 10 }\n",
    )
    .unwrap();
    let out = md(&db, &["sale", "create", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: {}: line 5, column ", file.display())),
        "{err}"
    );
    assert!(err.contains("precent"), "{err}");
    // A database that does not exist is not created by a read.
    let missing = dir.path().join("missing.sqlite");
    let out = md(&missing, &["sale", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no shop database"));
    assert!(!missing.exists());
}

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_program_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = shop(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_merchant-desk"))
        .arg("--db")
        .arg(&db)
        .args(["price", "signals"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end of the pipe before the program writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
