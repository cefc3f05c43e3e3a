//! The subscription book worked by hand: a CSV through the real importer,
//! then the month's metrics and boxes, pause, skip and cancel through the
//! CLI, as `docs/metrics.md` defines them.

use crate::fixtures::{shop, temp_store};
use crate::sync::{cli, ok};
use chrono::Utc;

const BOOK: &str = "subscription_id,customer,email,plan,status,started_on,cancelled_on,paused_until,interval,interval_count,price,currency,next_renewal_on
S1,c1,c1@example.com,Gold,active,2026-01-15,,,month,1,30.00,GBP,2026-12-15
S2,c2,,Gold,cancelled,2026-03-01,2026-11-10,,month,1,30.00,GBP,2026-12-01
S3,c3,,Weekly,active,2026-06-01,,,week,1,10.00,GBP,2026-11-02
S4,c4,,Weekly,paused,2026-05-01,,2026-12-05,week,2,18.00,GBP,2026-11-03
S5,,c5@example.com,Annual,past_due,2025-12-01,,,year,1,100.00,GBP,2026-12-01
S6,c6,,Gold,active,2026-11-20,,,month,1,30.00,GBP,2026-12-20
S7,c7,,Gold,cancelled,2026-11-05,2026-11-25,,month,1,30.00,GBP,
S8,c8,,Weekly,active,2026-12-02,,,week,1,10.00,GBP,2026-12-09
S9,c9,,Quarterly,active,2026-02-10,,,month,3,45.00,GBP,2026-11-10
";

fn js(db: &std::path::Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(&mut cli(db, args))).unwrap()
}

fn boxes(db: &std::path::Path, month: &str) -> Vec<(String, u64)> {
    let b = js(db, &["--json", "subs", "boxes", "--month", month]);
    b["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["plan"].as_str().unwrap().to_string(),
                p["boxes"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A shop whose today is 28 November 2026, a folder, its store and where
/// the book goes.
fn on_the_28th() -> (
    crate::fixtures::TempStore,
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let mut t = temp_store();
    let mut s = shop("GBP", "Europe/London");
    s.fixed_today = Some("2026-11-28".into());
    t.store.set_shop(&s, Utc::now()).unwrap();
    let db = t.store.path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    (t, dir, db, file)
}

#[test]
fn a_book_by_hand_gives_the_defined_metrics_and_boxes() {
    let (_t, dir, db, file) = on_the_28th();
    std::fs::write(&file, BOOK).unwrap();
    let report = js(&db, &["--json", "subs", "import", file.to_str().unwrap()]);
    assert_eq!(
        (
            report["rows_read"].as_u64(),
            report["rows_imported"].as_u64()
        ),
        (Some(9), Some(9)),
        "{report}"
    );
    // S7 has no next renewal, but it is cancelled: nothing to flag.
    assert_eq!(report["rows_flagged"], 0, "{report}");
    let again = js(&db, &["--json", "subs", "import", file.to_str().unwrap()]);
    assert_eq!(again["rows_skipped"], 9, "{again}");

    // November: active on 31 October S1 S2 S3 S4 S5 S9 (6); on the 30th S1
    // S3 S4 S5 S6 S9 (6), S4 paused (until 5 December). MRR: 30 + 10 × 52 /
    // 12 + 100 / 12 + 30 + 45 / 3 = 126.666… → 126.67; new S6 S7;
    // cancelled S2 S7: churn 2 / 6; ARPU 126.666… / 5 = 25.33.
    let m = js(&db, &["--json", "subs", "metrics", "--month", "2026-11"]);
    assert_eq!(
        m,
        serde_json::json!({
            "month": "2026-11", "mrr": "126.67", "active_start": 6, "active_end": 6,
            "paused_end": 1, "new": 2, "cancelled": 2, "churn_rate": 2.0 / 6.0, "arpu": "25.33",
            // Lost: S2 and S7 at 30.00 each, over the 30 + 30 + 43.33… +
            // 8.33… + 15 (S4 paused) the month started with.
            "revenue_churn_rate": m["revenue_churn_rate"],
        })
    );
    let rc = m["revenue_churn_rate"].as_f64().unwrap();
    assert!(
        (rc - 6000.0 / (3000.0 + 3000.0 + 13000.0 / 3.0 + 2500.0 / 3.0 + 1500.0)).abs() < 1e-9,
        "{rc}"
    );

    // November's boxes: S3 on the 2nd, 9th, 16th, 23rd and 30th; S4's (3rd,
    // 17th) fall in its pause; S9 on the 10th.
    let nov = vec![
        ("Annual".to_string(), 0),
        ("Gold".to_string(), 0),
        ("Quarterly".to_string(), 1),
        ("Weekly".to_string(), 5),
    ];
    assert_eq!(boxes(&db, "2026-11"), nov);
    // December: S1 15th, S6 20th; S3 4 Mondays, S4 15th and 29th (the 1st is
    // paused), S8 9th to 30th; S5's year on the 1st (past due still renews).
    let b = js(&db, &["--json", "subs", "boxes", "--month", "2026-12"]);
    assert_eq!(b["total"], 13, "{b}");
    assert_eq!(boxes(&db, "2026-12")[3], ("Weekly".to_string(), 10));

    // Today is 28 November: S3's next renewal is the 30th, skipped.
    let skipped = js(&db, &["--json", "subs", "skip", "S3"]);
    assert_eq!(skipped["skipped"], "2026-11-30");
    assert_eq!(boxes(&db, "2026-11")[3], ("Weekly".to_string(), 4));
    // S1 paused to the new year: no December box, and out of the MRR.
    ok(&mut cli(
        &db,
        &["subs", "pause", "S1", "--until", "2027-01-01"],
    ));
    assert_eq!(boxes(&db, "2026-12")[1], ("Gold".to_string(), 1));
    // S9 cancelled today: out of November's end, a third cancellation.
    let gone = js(
        &db,
        &["--json", "subs", "cancel", "S9", "--reason", "moved abroad"],
    );
    assert_eq!(
        (gone["status"].as_str(), gone["cancelled_on"].as_str()),
        (Some("cancelled"), Some("2026-11-28"))
    );
    let m = js(&db, &["--json", "subs", "metrics", "--month", "2026-11"]);
    // 126.666… − 30 (S1 paused) − 15 (S9) = 81.666… → 81.67 over 3.
    assert_eq!(
        (
            m["mrr"].as_str(),
            m["cancelled"].as_u64(),
            m["arpu"].as_str()
        ),
        (Some("81.67"), Some(3), Some("27.22")),
        "{m}"
    );
    assert_eq!(m["paused_end"], 2);
    let listed = js(&db, &["--json", "subs", "list", "--status", "cancelled"]);
    assert_eq!(listed["subscriptions"].as_array().unwrap().len(), 3);

    // What is wrong is named, nothing else changes.
    for (args, said) in [
        (
            vec!["subs", "metrics", "--month", "2026-13"],
            "is not a month",
        ),
        (
            vec!["subs", "cancel", "S9", "--reason", "again"],
            "is cancelled",
        ),
        (
            vec!["subs", "pause", "S3", "--until", "2026-11-01"],
            "not after today",
        ),
        (
            vec!["subs", "pause", "NOPE", "--until", "2027-01-01"],
            "no subscription NOPE",
        ),
        (vec!["subs", "list", "--status", "sleeping"], "not a status"),
        (vec!["subs", "resume", "S3"], "not paused"),
    ] {
        let out = cli(&db, &args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{args:?}: {err}");
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, BOOK.replace("2026-06-01", "1 June 2026")).unwrap();
    let out = cli(&db, &["subs", "import", bad.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 4") && err.contains("started_on") && err.contains("not a date"),
        "{err}"
    );
}

/// Today is 28 November. P1's renewal of 25 November failed: retried on
/// the 26th, the 28th and 2 December. P2's of 10 November: its retries (11,
/// 13, 17) are over, so it is paused today. P3's platform has set the next
/// try itself (1 December).
#[test]
fn the_dunning_queue_gives_each_failed_renewal_its_next_action() {
    let (_t, dir, db, file) = on_the_28th();
    std::fs::write(
        &file,
        "subscription_id,customer,email,plan,status,started_on,cancelled_on,paused_until,interval,interval_count,price,currency,next_renewal_on
P1,c1,p1@example.com,Gold,past_due,2026-01-25,,,month,1,30.00,GBP,2026-10-25
P2,c2,p2@example.com,Gold,past_due,2026-01-10,,,month,1,30.00,GBP,2026-11-10
P3,c3,,Weekly,past_due,2026-06-01,,,week,1,10.00,GBP,2026-12-01
A1,c4,,Gold,active,2026-01-01,,,month,1,30.00,GBP,2026-12-01
",
    )
    .unwrap();
    ok(&mut cli(&db, &["subs", "import", file.to_str().unwrap()]));
    let rows = |d: &serde_json::Value| -> Vec<(String, String, String, String, u64)> {
        d["queue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                (
                    q["subscription"]["external_id"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    q["failed_on"].as_str().unwrap_or("").to_string(),
                    q["next_action"].as_str().unwrap().to_string(),
                    q["next_on"].as_str().unwrap_or("").to_string(),
                    q["retries_left"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let row = |a: &str, b: &str, c: &str, d: &str, e: u64| {
        (
            a.to_string(),
            b.to_string(),
            c.to_string(),
            d.to_string(),
            e,
        )
    };
    let d = js(&db, &["--json", "subs", "dunning"]);
    assert_eq!(
        d["plan"],
        serde_json::json!({"retry_days": [1, 3, 7], "final_action": "pause"})
    );
    assert_eq!(
        rows(&d),
        vec![
            row("P1", "2026-11-25", "retry", "2026-11-28", 1),
            row("P2", "2026-11-10", "pause", "2026-11-28", 0),
            row("P3", "", "retry", "2026-12-01", 3),
        ]
    );
    // The owner's plan: 2, 5 and 10 days, then cancel; soonest first.
    let d = js(
        &db,
        &[
            "--json", "subs", "dunning", "--retry", "2,5,10", "--then", "cancel",
        ],
    );
    assert_eq!(
        rows(&d)[..2],
        [
            row("P2", "2026-11-10", "cancel", "2026-11-28", 0),
            row("P1", "2026-11-25", "retry", "2026-11-30", 1),
        ]
    );
    // Contacted marks, and the list to contact as CSV.
    ok(&mut cli(
        &db,
        &["subs", "contacted", "P2", "--note", "emailed"],
    ));
    let csv = dir.path().join("contact.csv");
    let d = js(
        &db,
        &["--json", "subs", "dunning", "--csv", csv.to_str().unwrap()],
    );
    assert!(d["queue"][0]["contacted_at"].as_str().is_some(), "{d}");
    assert!(d["queue"][1]["contacted_at"].is_null(), "{d}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "subscription_id,customer,email,plan,failed_on,next_action,next_on,contacted_at"
    );
    assert_eq!(lines.len(), 4);
    assert!(
        lines[1].starts_with("P2,c2,p2@example.com,Gold,2026-11-10,cancel,2026-11-28,20"),
        "{}",
        lines[1]
    );
    for (args, said) in [
        (vec!["subs", "dunning", "--retry", "3,1"], "each later"),
        (
            vec!["subs", "dunning", "--then", "stop"],
            "choose skip, pause or cancel",
        ),
        (vec!["subs", "contacted", "A1"], "only a past-due one"),
    ] {
        let out = cli(&db, &args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(said),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn trends_give_each_month_as_metrics_does_and_the_cohorts() {
    let (_t, _dir, db, file) = on_the_28th();
    std::fs::write(&file, BOOK).unwrap();
    ok(&mut cli(&db, &["subs", "import", file.to_str().unwrap()]));
    let t = js(&db, &["--json", "subs", "trends", "--months", "3"]);
    let months: Vec<&str> = t["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-09", "2026-10", "2026-11"]);
    // November as `subs metrics` gives it (money in minor units here).
    let nov = &t["months"][2];
    assert_eq!(nov["mrr_minor"], 12667);
    assert_eq!(
        (nov["active_start"].as_u64(), nov["cancelled"].as_u64()),
        (Some(6), Some(2))
    );
    // November's cohort: S6 (the 20th) and S7 (the 5th, cancelled on the
    // 25th): one left today, the 28th. None started in September.
    let cohort = |i: usize| {
        (
            t["cohorts"][i]["started"].as_u64().unwrap(),
            t["cohorts"][i]["active"].clone(),
        )
    };
    assert_eq!(cohort(2), (2, serde_json::json!([1])));
    assert_eq!(cohort(0), (0, serde_json::json!([0, 0, 0])));
    let bad = cli(&db, &["subs", "trends", "--months", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("give 1 to 36 months"));
}

/// Shopify Subscriptions' contract CSV (a contract's lines grouped by its
/// handle) and Recharge's subscriptions into the same book, by hand.
#[test]
fn the_apps_exports_import_into_the_book() {
    let (_t, dir, db, _file) = on_the_28th();
    let shopify = dir.path().join("contracts.csv");
    std::fs::write(
        &shopify,
        "handle,upcoming_billing_date,customer_id,currency_code,status,cadence_interval,cadence_interval_count,customer_payment_method_id,delivery_price,delivery_method_type,line_variant_id,line_quantity,line_current_price,line_selling_plan_id,line_selling_plan_name
coffee-1,2026-12-12T23:30:00Z,6320530986896,GBP,ACTIVE,MONTH,3,24e8c839,0,SHIPPING,53154087005812,1,50,3607724288,\"Subscription, delivery every 3 months\"
coffee-1,,,,,,,,,,53174099004429,2,5.50,3607724288,\"Subscription, delivery every 3 months\"
tea-2,2026-12-03T10:00:00Z,6320530986897,GBP,paused,WEEK,2,x,0,SHIPPING,1,1,12.00,,Fortnightly tea
old-3,2026-12-01T10:00:00Z,6320530986898,GBP,CANCELLED,MONTH,1,x,0,SHIPPING,1,1,9.00,,Monthly
old-3,,,,,,,,,,2,1,4.00,,Monthly
",
    )
    .unwrap();
    let r = js(
        &db,
        &[
            "--json",
            "subs",
            "import",
            shopify.to_str().unwrap(),
            "--format",
            "shopify",
        ],
    );
    // Five rows, the cancelled contract's two left out (the export has no
    // cancellation day).
    assert_eq!(
        (r["rows_read"].as_u64(), r["rows_skipped"].as_u64()),
        (Some(5), Some(2)),
        "{r}"
    );
    let list = js(&db, &["--json", "subs", "list"]);
    let by = |id: &str| {
        list["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["external_id"] == id)
            .unwrap_or_else(|| panic!("{id}: {list}"))
            .clone()
    };
    let coffee = by("coffee-1");
    // 50.00 + 2 × 5.50; 23:30 UTC on the 12th is the 12th in London; the
    // start, one interval (3 months) before.
    assert_eq!(coffee["price_minor"], 6100);
    assert_eq!(coffee["plan"], "Subscription, delivery every 3 months");
    assert_eq!(
        (
            coffee["interval"].as_str(),
            coffee["interval_count"].as_u64()
        ),
        (Some("month"), Some(3))
    );
    assert_eq!(coffee["next_renewal_on"], "2026-12-12");
    assert_eq!(coffee["started_on"], "2026-09-12");
    assert_eq!(by("tea-2")["status"], "paused");
    assert_eq!(by("tea-2")["source"], "shopify-app");
    let again = js(
        &db,
        &[
            "--json",
            "subs",
            "import",
            shopify.to_str().unwrap(),
            "--format",
            "shopify",
        ],
    );
    assert_eq!(again["rows_skipped"], 4, "{again}");
    // A line whose contract row is missing is named with its line.
    std::fs::write(&shopify, "handle,upcoming_billing_date,customer_id,currency_code,status,cadence_interval,cadence_interval_count,line_quantity,line_current_price\nlonely,,,,,,,1,5\n").unwrap();
    let bad = cli(
        &db,
        &[
            "subs",
            "import",
            shopify.to_str().unwrap(),
            "--format",
            "shopify",
        ],
    )
    .output()
    .unwrap();
    assert!(!bad.status.success());
    let text = String::from_utf8_lossy(&bad.stderr);
    assert!(
        text.contains("line 2")
            && text.contains("a line of contract \"lonely\" without its first row"),
        "{text}"
    );

    let recharge = dir.path().join("recharge.csv");
    std::fs::write(
        &recharge,
        "id,customer_id,email,status,created_at,cancelled_at,cancellation_reason,next_charge_scheduled_at,order_interval_unit,order_interval_frequency,charge_interval_frequency,price,quantity,product_title,presentment_currency
389002912,36885812,ann@example.com,ACTIVE,2026-07-25T09:50:55+00:00,,,2026-12-05T00:00:00,month,1,1,22.00,2,Unseen Sunscreen,GBP
389002913,36885813,bob@example.com,CANCELLED,2026-04-04T14:28:15+00:00,2026-11-12T17:30:47+00:00,Other reason,,month,1,1,10.00,1,Tea,GBP
389002914,36885814,cy@example.com,active,2026-10-01T08:00:00+00:00,,,2026-12-10,day,14,14,8.00,1,Biscuits,GBP
",
    )
    .unwrap();
    let r = js(
        &db,
        &[
            "--json",
            "subs",
            "import",
            recharge.to_str().unwrap(),
            "--format",
            "recharge",
        ],
    );
    assert_eq!(r["rows_imported"], 3, "{r}");
    let list = js(&db, &["--json", "subs", "list"]);
    let by = |id: &str| {
        list["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["external_id"] == id)
            .unwrap()
            .clone()
    };
    let ann = by("389002912");
    assert_eq!(
        (
            ann["price_minor"].as_u64(),
            ann["plan"].as_str(),
            ann["next_renewal_on"].as_str()
        ),
        (Some(4400), Some("Unseen Sunscreen"), Some("2026-12-05"))
    );
    assert_eq!(ann["started_on"], "2026-07-25");
    let bob = by("389002913");
    assert_eq!(
        (
            bob["status"].as_str(),
            bob["cancelled_on"].as_str(),
            bob["cancel_reason"].as_str()
        ),
        (Some("cancelled"), Some("2026-11-12"), Some("Other reason"))
    );
    // Every 14 days is every 2 weeks.
    let cy = by("389002914");
    assert_eq!(
        (cy["interval"].as_str(), cy["interval_count"].as_u64()),
        (Some("week"), Some(2))
    );
    // November: Bob cancelled; the MRR counts Ann (44.00) and Cy (8.00 × 52 / 24).
    let m = js(&db, &["--json", "subs", "metrics", "--month", "2026-11"]);
    assert!(m["cancelled"].as_u64().unwrap() >= 1, "{m}");
    std::fs::write(&recharge, "id,status,created_at,next_charge_scheduled_at,order_interval_unit,order_interval_frequency,price\n9,active,2026-10-01,2026-12-10,day,10,8.00\n").unwrap();
    let bad = cli(
        &db,
        &[
            "subs",
            "import",
            recharge.to_str().unwrap(),
            "--format",
            "recharge",
        ],
    )
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&bad.stderr);
    assert!(
        text.contains("every 10 days: the book keeps weeks, months and years"),
        "{text}"
    );
}

#[test]
fn the_calendar_gives_each_days_renewals() {
    let (_t, _dir, db, file) = on_the_28th();
    std::fs::write(&file, BOOK).unwrap();
    ok(&mut cli(&db, &["subs", "import", file.to_str().unwrap()]));
    ok(&mut cli(&db, &["subs", "skip", "S8"]));
    let c = js(&db, &["--json", "subs", "calendar", "--month", "2026-12"]);
    let day = |d: &str| -> Vec<String> {
        c["days"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["day"] == d)
            .map(|x| {
                x["renewals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        format!(
                            "{}{}",
                            r["subscription"].as_str().unwrap(),
                            if r["skipped"] == true { "*" } else { "" }
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // S4 is paused until the 5th: its renewal of the 1st is not one; S2 is
    // cancelled. S8's first renewal (the 9th) was skipped.
    assert_eq!(day("2026-12-01"), ["S5"]);
    assert_eq!(day("2026-12-15"), ["S1", "S4"]);
    assert_eq!(day("2026-12-09"), ["S8*"]);
    assert_eq!(day("2026-12-07"), ["S3"]);
    assert_eq!(day("2026-12-02"), Vec::<String>::new());
}
