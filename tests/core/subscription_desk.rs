//! What Merchant Desk does with the subscription book itself, through the
//! CLI: the set-up, each cycle's boxes within stock and never repeating an
//! item, the picking list and the forecast; renewals in "desk bills" mode as
//! local orders, and on Shopify as billing attempts (the fake) with the
//! dunning plan carried out, once each across a kill.

use crate::fake::{Contract, FakeShop};
use crate::sync::{cli, ok};
use rusqlite::Connection;

const PRODUCTS: &str = "sku,title,price,category,stock
BOX-G,Gold box,30.00,Boxes,
T1,Tea one,5.00,Tea,2
T2,Tea two,5.00,Tea,1
T3,Tea three,5.00,Tea,5
T4,Tea four,5.00,Tea,0
P1,Premium tea,9.00,Tea,3
C1,Cup,4.00,Cups,
";

const BOOK: &str = "subscription_id,customer,email,plan,status,started_on,cancelled_on,paused_until,interval,interval_count,price,currency,next_renewal_on
S1,Ann,ann@example.com,Gold,active,2026-01-15,,,month,1,30.00,GBP,2026-12-15
S2,Bob,bob@example.com,Gold,active,2026-03-01,,,month,1,30.00,GBP,2026-12-01
S3,Cy,,Silver,active,2026-06-01,,,month,1,20.00,GBP,2026-12-10
";

const SETUP: &str = "billing = \"desk\"
premium = [\"P1\"]
premium_rank = 2

[[plan]]
name = \"Gold\"
rank = 2
items = 2
categories = [\"Tea\"]
box_sku = \"BOX-G\"

[[plan]]
name = \"Silver\"
items = 2
categories = [\"Tea\"]
products = [\"C1\"]
";

fn js(db: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(&mut cli(db, &all))).unwrap()
}

fn fails(db: &std::path::Path, args: &[&str]) -> String {
    let out = cli(db, args).output().unwrap();
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn today(db: &std::path::Path, day: &str) {
    Connection::open(db)
        .unwrap()
        .execute("UPDATE shop SET fixed_today = ?1", [day])
        .unwrap();
}

/// A local shop with the catalog, today 28 November.
fn tea_shop() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    ok(&mut cli(
        &db,
        &[
            "shop",
            "set",
            "--name",
            "Tea club",
            "--currency",
            "GBP",
            "--time-zone",
            "Europe/London",
        ],
    ));
    today(&db, "2026-11-28");
    let f = dir.path().join("p.csv");
    std::fs::write(&f, PRODUCTS).unwrap();
    ok(&mut cli(&db, &["import", "products", f.to_str().unwrap()]));
    (dir, db)
}

fn import_book(dir: &tempfile::TempDir, db: &std::path::Path) {
    let f = dir.path().join("book.csv");
    std::fs::write(&f, BOOK).unwrap();
    ok(&mut cli(db, &["subs", "import", f.to_str().unwrap()]));
}

/// The tea shop with the book.
fn boxed_shop() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, db) = tea_shop();
    import_book(&dir, &db);
    (dir, db)
}

fn box_of(c: &serde_json::Value, sub: &str) -> (Vec<String>, Option<String>) {
    let b = c["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["subscription"] == sub)
        .unwrap_or_else(|| panic!("no box for {sub}: {c}"));
    (
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sku"].as_str().unwrap().to_string())
            .collect(),
        b["short"].as_str().map(str::to_string),
    )
}

#[test]
fn boxes_are_planned_once_within_stock_never_repeating_and_picked() {
    let (dir, db) = boxed_shop();
    // Before the set-up there is nothing to plan, in the owner's words.
    let text = fails(&db, &["subs", "curate", "--month", "2026-12"]);
    assert!(text.contains("no plan sends boxes yet"), "{text}");
    // A set-up naming what the shop does not have is refused by name.
    let f = dir.path().join("subs.toml");
    std::fs::write(&f, SETUP.replace("\"C1\"", "\"C9\"")).unwrap();
    let text = fails(&db, &["subs", "setup", f.to_str().unwrap()]);
    assert!(
        text.contains("plan \"Silver\": there is no SKU C9"),
        "{text}"
    );
    std::fs::write(&f, SETUP.replace("name = \"Silver\"", "name = \"Bronze\"")).unwrap();
    let text = fails(&db, &["subs", "setup", f.to_str().unwrap()]);
    assert!(
        text.contains("no plan \"Bronze\" in the book (its plans: Gold, Silver)"),
        "{text}"
    );
    std::fs::write(&f, SETUP.replacen("items = 2", "items = \"two\"", 1)).unwrap();
    let text = fails(&db, &["subs", "setup", f.to_str().unwrap()]);
    assert!(text.contains("subs.toml: line 8, column 9"), "{text}");
    std::fs::write(&f, SETUP).unwrap();
    let setup = js(&db, &["subs", "setup", f.to_str().unwrap()]);
    assert_eq!(setup["billing"], "desk", "{setup}");

    // December: Bob (1st), Cy (10th), Ann (15th). Gold (rank 2) may take the
    // premium P1; Silver (rank 1) may not, and takes the cup too. The cup
    // has no stock count, so it goes first; then most units left, by SKU.
    let ahead = js(&db, &["subs", "forecast"]);
    let dec = js(&db, &["subs", "curate", "--month", "2026-12"]);
    // The forecast chose December's boxes as planning then did.
    let within_30: Vec<(String, u64)> = {
        let mut v: Vec<(String, u64)> = ahead["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["days_30"].as_u64().unwrap() > 0)
            .map(|l| {
                (
                    l["sku"].as_str().unwrap().into(),
                    l["days_30"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    assert_eq!(
        within_30,
        vec![("T3".into(), 3), ("P1".into(), 2), ("C1".into(), 1)]
    );
    assert_eq!(box_of(&dec, "S2"), (vec!["P1".into(), "T3".into()], None));
    assert_eq!(box_of(&dec, "S3"), (vec!["C1".into(), "T3".into()], None));
    assert_eq!(box_of(&dec, "S1"), (vec!["P1".into(), "T3".into()], None));
    assert_eq!(dec["shortages"], 0);
    assert_eq!(dec["unplanned"], 0);
    // Planned once: curating again changes nothing.
    assert_eq!(js(&db, &["subs", "curate", "--month", "2026-12"]), dec);
    let picking: Vec<(String, u64)> = dec["picking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["sku"].as_str().unwrap().into(),
                p["units"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        picking,
        vec![("T3".into(), 3), ("P1".into(), 2), ("C1".into(), 1)]
    );
    let csv = dir.path().join("pick.csv");
    js(
        &db,
        &[
            "subs",
            "picking",
            "--month",
            "2026-12",
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("renewal_on,subscription_id,customer,email,plan,sku,title")
    );
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(
        text.contains("2026-12-01,S2,Bob,bob@example.com,Gold,P1,Premium tea"),
        "{text}"
    );

    // The forecast from the 28th: within 7 days Bob's box (P1, T3); within
    // 30 all of December's; within 60 January's too, chosen as curation
    // would (no item twice, stock not limiting, so the need shows).
    let f = js(&db, &["subs", "forecast"]);
    let line = |sku: &str| {
        let l = f["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == sku)
            .unwrap();
        (
            l["days_7"].as_u64().unwrap(),
            l["days_30"].as_u64().unwrap(),
            l["days_60"].as_u64().unwrap(),
        )
    };
    assert_eq!(line("T3"), (1, 3, 3));
    assert_eq!(line("P1"), (1, 2, 2));
    // January, ordered by the units left after December's boxes (T1 2, T2
    // 1, T4 0) but not limited by them: Bob T1 T2, Cy T1 T2, Ann T1 T4.
    assert_eq!(line("T1"), (0, 0, 3));
    assert_eq!(line("T2"), (0, 0, 2));
    assert_eq!(line("T4"), (0, 0, 1));
    // The same before December was planned: planning chose what the
    // forecast did.
    assert_eq!(ahead, f);

    // January, once December has gone out (the 16th): T1 has 2, T2 1, T4
    // none; nobody gets a tea they had. Bob takes T1 and T2; Cy the last
    // T1 and is one short; Ann has had P1 and T3 and nothing else is left.
    today(&db, "2026-12-16");
    let jan = js(&db, &["subs", "curate", "--month", "2027-01"]);
    assert_eq!(box_of(&jan, "S2"), (vec!["T1".into(), "T2".into()], None));
    assert_eq!(
        box_of(&jan, "S3"),
        (vec!["T1".into()], Some("stock".into()))
    );
    assert_eq!(box_of(&jan, "S1"), (vec![], Some("stock".into())));
    assert_eq!(jan["shortages"], 2);
}

#[test]
fn desk_bills_renews_each_cycle_once_as_a_local_order() {
    let (dir, db) = boxed_shop();
    // The default: the subscription app bills.
    let text = fails(&db, &["subs", "renew"]);
    assert!(
        text.contains("your subscription app bills the renewals"),
        "{text}"
    );
    let f = dir.path().join("subs.toml");
    std::fs::write(&f, SETUP).unwrap();
    ok(&mut cli(&db, &["subs", "setup", f.to_str().unwrap()]));
    // Nothing is due on the 28th.
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(r["renewals"].as_array().unwrap().len(), 0, "{r}");
    today(&db, "2026-12-16");
    let r = js(&db, &["subs", "renew"]);
    let outcomes: Vec<(String, String, String)> = r["renewals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["subscription"].as_str().unwrap().into(),
                x["cycle_on"].as_str().unwrap().into(),
                x["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("S1".into(), "2026-12-15".into(), "billed".into()),
            ("S2".into(), "2026-12-01".into(), "billed".into()),
            ("S3".into(), "2026-12-10".into(), "refused".into()),
        ]
    );
    // Silver has no box product: refused before anything is journaled.
    assert!(r["renewals"][2]["error"]
        .as_str()
        .unwrap()
        .contains("plan \"Silver\" has no box product"));
    let c = Connection::open(&db).unwrap();
    let orders: Vec<(String, i64)> = c
        .prepare("SELECT o.number, l.line_total_minor FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.source = 'desk' ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        orders,
        vec![("S1-20261215".into(), 3000), ("S2-20261201".into(), 3000)]
    );
    let journaled: i64 = c
        .query_row("SELECT count(*) FROM journal j JOIN journal_batches b ON b.id = j.batch_id WHERE b.playbook = 'subscriptions'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journaled, 2);
    // Again: nothing twice. The renewal orders count in the shop's sales.
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(r["billed"], 0, "{r}");
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM orders WHERE source = 'desk'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2);
    let sales: i64 = c
        .query_row(
            "SELECT count(*) FROM sales_by_order WHERE day >= '2026-12-01'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sales, 2);
    // A renewal is not taken back by a revert.
    let id: i64 = c
        .query_row("SELECT max(id) FROM journal", [], |r| r.get(0))
        .unwrap();
    let text = fails(&db, &["journal", "revert", &id.to_string()]);
    assert!(
        text.contains("ran a renewal, which cannot be taken back here"),
        "{text}"
    );
}

/// The fake with the subscription scopes and three contracts of one of its
/// customers: a monthly one that pays, a weekly one whose card is
/// declined, a cancelled one, and one billed every ten days.
fn contracts_fake() -> (FakeShop, tempfile::TempDir, std::path::PathBuf) {
    let (fake, dir, db) = crate::promotions::cli_on_the_fake();
    {
        let mut s = fake.state.lock().unwrap();
        let customer = *s.customers.keys().next().unwrap();
        let at = |day: &str| {
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp()
        };
        for (status, interval, count, next, declines, plan) in [
            ("ACTIVE", "MONTH", 1, "2026-12-01", None, "Monthly box"),
            (
                "ACTIVE",
                "WEEK",
                1,
                "2026-12-03",
                Some("CARD_DECLINED"),
                "Weekly box",
            ),
            ("CANCELLED", "MONTH", 1, "2026-12-05", None, "Monthly box"),
            ("ACTIVE", "DAY", 10, "2026-12-02", None, "Ten-day box"),
        ] {
            let id = s.id();
            s.contracts.insert(
                id,
                Contract {
                    id,
                    status: status.into(),
                    created: at("2026-06-01"),
                    updated: at("2026-11-20"),
                    next_billing: Some(at(next)),
                    customer: Some(customer),
                    email: Some("box@example.com".into()),
                    interval: interval.into(),
                    interval_count: count,
                    plan: plan.into(),
                    title: "Tea box".into(),
                    price: 2500,
                    quantity: 1,
                    declines: declines.map(str::to_string),
                },
            );
        }
    }
    (fake, dir, db)
}

fn contract_id(db: &std::path::Path, plan: &str) -> String {
    let list = js(db, &["subs", "list"]);
    list["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["plan"] == plan && s["status"] != "cancelled")
        .unwrap()["external_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn shopify_contracts_renew_through_billing_attempts_and_dunning_runs_its_plan() {
    let (fake, dir, db) = contracts_fake();
    // Without Shopify's subscription scopes, the owner is told why.
    let text = fails(&db, &["subs", "sync"]);
    assert!(text.contains("approved subscription apps"), "{text}");
    fake.state.lock().unwrap().subscription_scopes = true;
    let synced = js(&db, &["subs", "sync"]);
    assert_eq!(
        (synced["contracts"].as_u64(), synced["written"].as_u64()),
        (Some(4), Some(3)),
        "{synced}"
    );
    assert!(
        synced["left_out"][0]
            .as_str()
            .unwrap()
            .contains("billed every 10 day"),
        "{synced}"
    );
    let again = js(&db, &["subs", "sync"]);
    assert_eq!(again["unchanged"], 3, "{again}");
    let monthly = contract_id(&db, "Monthly box");
    let weekly = contract_id(&db, "Weekly box");
    let list = js(&db, &["subs", "list"]);
    let row = |id: &str| {
        list["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["external_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row(&monthly)["next_renewal_on"], "2026-12-01");
    assert_eq!(row(&monthly)["started_on"], "2026-06-01");
    assert_eq!(row(&monthly)["price_minor"], 2500);

    let f = dir.path().join("subs.toml");
    std::fs::write(&f, "billing = \"desk\"\n").unwrap();
    ok(&mut cli(&db, &["subs", "setup", f.to_str().unwrap()]));
    today(&db, "2026-12-03");
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(
        (r["billed"].as_u64(), r["failed"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let attempts = |fake: &FakeShop| -> Vec<String> {
        fake.state
            .lock()
            .unwrap()
            .attempts
            .iter()
            .map(|a| a.key.clone())
            .collect()
    };
    assert_eq!(
        attempts(&fake),
        vec![
            format!("merchant-desk/{monthly}/2026-12-01/1"),
            format!("merchant-desk/{weekly}/2026-12-03/1"),
        ]
    );
    assert_eq!(row_status(&db, &weekly), "past_due");
    let failed = r["renewals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["outcome"] == "failed")
        .unwrap();
    assert_eq!(failed["error"], "Your card was declined.");
    // Again the same day: the retry waits for its day (1, 3, 7 days on).
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(
        (r["waiting"].as_u64(), r["billed"].as_u64()),
        (Some(1), Some(0)),
        "{r}"
    );
    assert_eq!(attempts(&fake).len(), 2);
    for (day, n) in [("2026-12-04", 3), ("2026-12-06", 4), ("2026-12-10", 5)] {
        today(&db, day);
        let r = js(&db, &["subs", "renew"]);
        assert_eq!(r["failed"], 1, "{day}: {r}");
        assert_eq!(attempts(&fake).len(), n, "{day}");
    }
    assert_eq!(
        attempts(&fake)[4],
        format!("merchant-desk/{weekly}/2026-12-03/4")
    );
    // The retries are spent: the plan's final action (pause) is carried out.
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(r["dunning"][0]["action"], "pause", "{r}");
    assert_eq!(row_status(&db, &weekly), "paused");
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(
        r["renewals"].as_array().unwrap().len() + r["dunning"].as_array().unwrap().len(),
        0,
        "{r}"
    );
    assert_eq!(attempts(&fake).len(), 5);
    assert_eq!(row_status(&db, &monthly), "active");
}

fn row_status(db: &std::path::Path, id: &str) -> String {
    js(db, &["subs", "list"])["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["external_id"] == id)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `subs renew` killed while its billing attempt is on the wire (the fake
/// holds it, then carries it out): the next run finds the attempt by its
/// key and records it; nothing is billed twice.
#[test]
fn a_renewal_killed_mid_attempt_is_billed_once() {
    let (fake, dir, db) = contracts_fake();
    fake.state.lock().unwrap().subscription_scopes = true;
    ok(&mut cli(&db, &["subs", "sync"]));
    let f = dir.path().join("subs.toml");
    std::fs::write(&f, "billing = \"desk\"\n").unwrap();
    ok(&mut cli(&db, &["subs", "setup", f.to_str().unwrap()]));
    today(&db, "2026-12-01");
    fake.state.lock().unwrap().hold = Some((
        "BillingAttemptCreate".into(),
        std::time::Duration::from_secs(3),
    ));
    let mut child = cli(&db, &["subs", "renew"]).spawn().unwrap();
    let watch = Connection::open(&db).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let pending: i64 = watch
            .query_row(
                "SELECT count(*) FROM journal WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        let sent = fake.state.lock().unwrap().received("BillingAttemptCreate") > 0;
        if pending > 0 && sent {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the attempt never reached the wire"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while fake.state.lock().unwrap().attempts.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the held attempt never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(r["billed"], 1, "{r}");
    let s = fake.state.lock().unwrap();
    assert_eq!(s.attempts.len(), 1);
    assert_eq!(
        s.received("BillingAttemptCreate"),
        1,
        "sent once, found by its key"
    );
    drop(s);
    let status: String = watch
        .query_row(
            "SELECT status FROM journal ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "confirmed");
    let r = js(&db, &["subs", "renew"]);
    assert_eq!(r["renewals"].as_array().unwrap().len(), 0, "{r}");
    assert_eq!(fake.state.lock().unwrap().attempts.len(), 1);
}

/// The background loop (the app while open, `merchant-desk watch`) runs the
/// renewals due in "desk bills" mode, once, and says so in a notification.
#[test]
fn the_background_loop_runs_the_renewals_due_once() {
    let (dir, db) = boxed_shop();
    let f = dir.path().join("subs.toml");
    std::fs::write(&f, SETUP).unwrap();
    ok(&mut cli(&db, &["subs", "setup", f.to_str().unwrap()]));
    today(&db, "2026-12-02");
    let desk = merchant_desk::service::Desk::for_file(db.clone(), false);
    let round = desk.round(chrono::Utc::now(), 0, |_| {}).unwrap();
    let notice = round
        .notices
        .iter()
        .find(|n| n.kind == merchant_desk::notify::NoticeKind::Renewals)
        .expect("a renewals notice");
    assert_eq!(notice.body, "1 billed.");
    let again = desk.round(chrono::Utc::now(), 0, |_| {}).unwrap();
    let renewals = again
        .notices
        .iter()
        .filter(|n| n.kind == merchant_desk::notify::NoticeKind::Renewals)
        .count();
    assert_eq!(renewals, 1, "the second round billed nothing");
    let n: i64 = Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM orders WHERE source = 'desk'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// Pause, resume, skip and cancel of a Shopify contract go to Shopify
/// through the journal; one Shopify refuses leaves the book as it was.
#[test]
fn the_owners_changes_to_a_shopify_contract_are_pushed_and_journaled() {
    let (fake, _dir, db) = contracts_fake();
    fake.state.lock().unwrap().subscription_scopes = true;
    ok(&mut cli(&db, &["subs", "sync"]));
    today(&db, "2026-11-28");
    let monthly = contract_id(&db, "Monthly box");
    let weekly = contract_id(&db, "Weekly box");
    let status = |fake: &FakeShop, gid: &str| {
        let n: u64 = gid.rsplit('/').next().unwrap().parse().unwrap();
        fake.state.lock().unwrap().contracts[&n].status.clone()
    };
    ok(&mut cli(
        &db,
        &["subs", "pause", &monthly, "--until", "2027-01-15"],
    ));
    assert_eq!(status(&fake, &monthly), "PAUSED");
    assert_eq!(row_status(&db, &monthly), "paused");
    ok(&mut cli(&db, &["subs", "resume", &monthly]));
    assert_eq!(status(&fake, &monthly), "ACTIVE");
    let skipped = js(&db, &["subs", "skip", &weekly]);
    assert_eq!(skipped["skipped"], "2026-12-03");
    let n: u64 = weekly.rsplit('/').next().unwrap().parse().unwrap();
    assert!(fake
        .state
        .lock()
        .unwrap()
        .skipped_cycles
        .contains(&(n, "2026-12-03".to_string())));
    let journal = js(&db, &["journal", "list"]);
    let labels: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("Pause of gid://shopify/SubscriptionContract/")),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.starts_with("Skip of ")),
        "{labels:?}"
    );
    // Cancelled on Shopify meanwhile: pausing it is refused there, and the
    // book keeps it active.
    fake.state
        .lock()
        .unwrap()
        .contracts
        .get_mut(&n)
        .unwrap()
        .status = "CANCELLED".into();
    let text = fails(&db, &["subs", "pause", &weekly, "--until", "2027-01-15"]);
    assert!(
        text.contains("Shopify did not take the change, so the book is as it was"),
        "{text}"
    );
    assert!(text.contains("already cancelled"), "{text}");
    assert_eq!(row_status(&db, &weekly), "active");
    ok(&mut cli(
        &db,
        &["subs", "cancel", &monthly, "--reason", "moving abroad"],
    ));
    assert_eq!(status(&fake, &monthly), "CANCELLED");
}

/// Each subscriber's plan goes to the storefront as a tag and a metafield,
/// journaled; pushing again sends nothing; a plan that ends loses its tag.
#[test]
fn subscribers_plans_go_to_the_storefront_as_tags_and_a_metafield() {
    let (fake, dir, db) = contracts_fake();
    fake.state.lock().unwrap().subscription_scopes = true;
    ok(&mut cli(&db, &["subs", "sync"]));
    today(&db, "2026-11-28");
    let (customer, gid) = {
        let s = fake.state.lock().unwrap();
        let id = *s.customers.keys().next().unwrap();
        (id, crate::fake::gid("Customer", id))
    };
    let tags = |fake: &FakeShop| {
        let mut t: Vec<String> = fake.state.lock().unwrap().customers[&customer]
            .tags
            .iter()
            .filter(|t| t.starts_with("plan:"))
            .cloned()
            .collect();
        t.sort();
        t
    };
    let p = js(&db, &["subs", "push-plans"]);
    assert_eq!(
        (
            p["customers"].as_u64(),
            p["confirmed"].as_u64(),
            p["failed"].as_u64()
        ),
        (Some(1), Some(2), Some(0)),
        "{p}"
    );
    assert_eq!(tags(&fake), ["plan:monthly-box", "plan:weekly-box"]);
    let field = fake
        .state
        .lock()
        .unwrap()
        .metafields
        .get(&(gid.clone(), "merchant_desk".into(), "plan".into()))
        .cloned();
    assert_eq!(
        field,
        Some((
            "single_line_text_field".into(),
            "Monthly box, Weekly box".into()
        ))
    );
    let again = js(&db, &["subs", "push-plans"]);
    assert_eq!(
        (again["confirmed"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
    let weekly = contract_id(&db, "Weekly box");
    ok(&mut cli(
        &db,
        &["subs", "cancel", &weekly, "--reason", "too much tea"],
    ));
    js(&db, &["subs", "push-plans"]);
    assert_eq!(tags(&fake), ["plan:monthly-box"]);

    // The monthly plan's benefits: codes for its one customer on Shopify.
    let setup = dir.path().join("subs.toml");
    std::fs::write(
        &setup,
        "[[plan]]\nname = \"Monthly box\"\ndiscount_percent = 5\nfree_shipping = true\n",
    )
    .unwrap();
    ok(&mut cli(&db, &["subs", "setup", setup.to_str().unwrap()]));
    let p = js(&db, &["subs", "push-plans"]);
    let created: Vec<&str> = p["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "created")
        .map(|b| b["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        created,
        ["MONTHLY-BOX-MEMBERS", "MONTHLY-BOX-SHIPPING"],
        "{p}"
    );
    let on_shopify = |fake: &FakeShop| -> Vec<(String, String, Vec<String>)> {
        fake.state
            .lock()
            .unwrap()
            .discounts
            .values()
            .filter(|(_, d)| d["code"].as_str().is_some_and(|c| c.starts_with("MONTHLY")))
            .map(|(kind, d)| {
                (
                    kind.clone(),
                    d["code"].as_str().unwrap().to_string(),
                    d["context"]["customers"]["add"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    let mut got = on_shopify(&fake);
    got.sort();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter()
            .all(|(_, _, who)| who == std::slice::from_ref(&gid)),
        "{got:?}"
    );
    assert_eq!(
        got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(),
        ["MONTHLY-BOX-MEMBERS", "MONTHLY-BOX-SHIPPING"]
    );
    // The customer leaves the plan: both codes are deleted on Shopify.
    let monthly = contract_id(&db, "Monthly box");
    ok(&mut cli(
        &db,
        &["subs", "cancel", &monthly, "--reason", "enough"],
    ));
    let p = js(&db, &["subs", "push-plans"]);
    let ended = p["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "ended")
        .count();
    assert_eq!(ended, 2, "{p}");
    assert!(on_shopify(&fake).is_empty());
}

/// A local shop whose customers Ann, Bob and Cy have ordered (so the book
/// links them), with unit costs, the book and a margin floor of 20 %.
fn gated_shop() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, db) = tea_shop();
    // T3 and T4 keep no cost.
    let f = dir.path().join("costs.csv");
    std::fs::write(
        &f,
        "sku,cost\nBOX-G,10.00\nT1,2.00\nT2,4.00\nP1,3.00\nC1,1.00\n",
    )
    .unwrap();
    ok(&mut cli(
        &db,
        &["import", "unit-costs", f.to_str().unwrap()],
    ));
    let f = dir.path().join("o.csv");
    std::fs::write(
        &f,
        "order_id,ordered_at,sku,title,quantity,unit_price,currency,customer_id
1,2026-10-01T10:00:00Z,T1,Tea one,1,5.00,GBP,Ann
2,2026-10-02T10:00:00Z,T1,Tea one,1,5.00,GBP,Bob
3,2026-10-03T10:00:00Z,T1,Tea one,1,5.00,GBP,Cy
",
    )
    .unwrap();
    ok(&mut cli(&db, &["import", "orders", f.to_str().unwrap()]));
    import_book(&dir, &db);
    ok(&mut cli(&db, &["floor", "--shop", "20"]));
    (dir, db)
}

/// The shop's discounts by code: (customers, variants' SKUs or "all",
/// start, end).
fn codes(db: &std::path::Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT definition FROM discounts ORDER BY id")
        .unwrap();
    let defs: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    defs.into_iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(&d).unwrap())
        .filter_map(|d| Some((d["code"].as_str()?.to_string(), d)))
        .collect()
}

fn skus_of(db: &std::path::Path, d: &serde_json::Value) -> Vec<String> {
    if d["items"]["kind"] == "all" {
        return vec!["all".into()];
    }
    let conn = Connection::open(db).unwrap();
    let mut out: Vec<String> = d["items"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            conn.query_row(
                "SELECT sku FROM variants WHERE external_id = ?1",
                [v.as_str().unwrap()],
                |r| r.get(0),
            )
            .unwrap()
        })
        .collect();
    out.sort();
    out
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// Tier gating worked by hand: Gold brings 10 % off, free shipping and a
/// day's early access. The member code leaves out T2 (4.50 with it, floor
/// 4.80) and the two teas without a cost; both codes follow the book; a
/// benefit removed ends its code; a sale launched gives Gold's customers a
/// code of their own for the day before it.
#[test]
fn a_plans_benefits_are_codes_for_its_customers_under_the_margin_floor() {
    let (dir, db) = gated_shop();
    let setup = dir.path().join("subs.toml");
    let gold =
        "[[plan]]\nname = \"Gold\"\nrank = 2\ndiscount_percent = 10\nearly_access_hours = 24\n";
    std::fs::write(&setup, format!("{gold}free_shipping = true\n")).unwrap();
    ok(&mut cli(&db, &["subs", "setup", setup.to_str().unwrap()]));
    let p = js(&db, &["subs", "push-plans"]);
    let benefits: Vec<(String, String, u64, u64, String)> = p["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["plan"].as_str().unwrap().into(),
                b["code"].as_str().unwrap().into(),
                b["customers"].as_u64().unwrap(),
                b["left_out"].as_u64().unwrap(),
                b["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        benefits,
        [
            ("Gold".into(), "GOLD-MEMBERS".into(), 2, 3, "created".into()),
            (
                "Gold".into(),
                "GOLD-SHIPPING".into(),
                2,
                0,
                "created".into()
            ),
        ],
        "{p}"
    );
    let message = p["benefits"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("T2 at £4.50 with it, floor £4.80")
            && message.contains("2 items without a cost"),
        "{message}"
    );
    let c = codes(&db);
    let member = &c["GOLD-MEMBERS"];
    assert_eq!(strings(&member["customers"]), ["Ann", "Bob"]);
    assert_eq!(skus_of(&db, member), ["BOX-G", "C1", "P1", "T1"]);
    assert_eq!(member["value"]["basis_points"], 1000);
    assert_eq!(c["GOLD-SHIPPING"]["value"]["kind"], "free_shipping");
    assert_eq!(strings(&c["GOLD-SHIPPING"]["customers"]), ["Ann", "Bob"]);

    // Again: nothing to send.
    let batches = |db: &std::path::Path| -> i64 {
        Connection::open(db)
            .unwrap()
            .query_row("SELECT count(*) FROM journal_batches", [], |r| r.get(0))
            .unwrap()
    };
    let before = batches(&db);
    let again = js(&db, &["subs", "push-plans"]);
    assert!(
        again["benefits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["status"] == "unchanged"),
        "{again}"
    );
    assert_eq!(batches(&db), before);

    // Bob leaves Gold: both codes are his no more.
    ok(&mut cli(
        &db,
        &["subs", "cancel", "S2", "--reason", "moving"],
    ));
    let p = js(&db, &["subs", "push-plans"]);
    assert_eq!(p["benefits"][0]["status"], "updated", "{p}");
    let c = codes(&db);
    assert_eq!(strings(&c["GOLD-MEMBERS"]["customers"]), ["Ann"]);
    assert_eq!(strings(&c["GOLD-SHIPPING"]["customers"]), ["Ann"]);

    // Free shipping taken out of the plan: its code ends.
    std::fs::write(&setup, gold).unwrap();
    ok(&mut cli(&db, &["subs", "setup", setup.to_str().unwrap()]));
    let p = js(&db, &["subs", "push-plans"]);
    let statuses: Vec<&str> = p["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unchanged", "ended"], "{p}");
    assert!(!codes(&db).contains_key("GOLD-SHIPPING"));

    // A sale two days out: Gold's code opens 24 hours before it.
    let start =
        (chrono::Utc::now() + chrono::Duration::days(2)).with_timezone(&chrono_tz::Europe::London);
    let end = start + chrono::Duration::days(1);
    let file = dir.path().join("sale.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"Tea week\"\ntargets = {{ skus = [\"T1\", \"P1\"] }}\ndiscount = {{ percent = 10 }}\nstarts_at = \"{}\"\nends_at = \"{}\"\n",
            start.format("%Y-%m-%dT%H:%M"),
            end.format("%Y-%m-%dT%H:%M")
        ),
    )
    .unwrap();
    let id = ok(&mut cli(&db, &["sale", "create", file.to_str().unwrap()]))
        .trim()
        .to_string();
    let check = ok(&mut cli(&db, &["sale", "check", &id]));
    assert!(
        check.contains(&format!(
            "Gold's 1 customer can buy at the sale's price with the code GOLD-EARLY-{id}"
        )),
        "{check}"
    );
    ok(&mut cli(&db, &["sale", "launch", &id]));
    let c = codes(&db);
    let early = &c[&format!("GOLD-EARLY-{id}")];
    assert_eq!(strings(&early["customers"]), ["Ann"]);
    assert_eq!(skus_of(&db, early), ["P1", "T1"]);
    let public = Connection::open(&db)
        .unwrap()
        .query_row("SELECT starts_at FROM sales WHERE id = ?1", [&id], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
    assert_eq!(early["ends_at"], public.as_str());
    let opens = chrono::DateTime::parse_from_rfc3339(early["starts_at"].as_str().unwrap()).unwrap();
    let public_at = chrono::DateTime::parse_from_rfc3339(&public).unwrap();
    assert_eq!(public_at - opens, chrono::Duration::hours(24));
    // Ending the sale takes its early code with it.
    ok(&mut cli(&db, &["sale", "end", &id]));
    assert!(!codes(&db).contains_key(&format!("GOLD-EARLY-{id}")));
}
