//! The background loop against the Shopify fake: a price-mode sale starts
//! and ends by itself while the loop runs, the background sync runs when it
//! is due, and a failed one becomes a notification.

use crate::fake::{self, FakeShop, Fault, Options};
use chrono::{Duration, Utc};
use merchant_desk::notify::NoticeKind;
use merchant_desk::promotions::sale::SaleFile;
use merchant_desk::service::watch::{self, Timing, WatchEvent};
use merchant_desk::service::Desk;
use merchant_desk::store::Store;
use merchant_desk::storefront::connection::{self, Credentials, SecretGiven};
use merchant_desk::storefront::shopify::client::Tuning;
use std::sync::{Arc, Mutex};

/// A connected own shop over the fake, not yet synced.
fn connected_desk(fake: &FakeShop, dir: &tempfile::TempDir, var: &str) -> Desk {
    std::env::set_var(var, fake::TOKEN);
    let mut own = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    connection::connect(
        &mut own,
        "shopify",
        &fake.url,
        &Credentials::Token(SecretGiven::Env(var.into())),
        Tuning::default(),
    )
    .unwrap();
    drop(own);
    Desk::new(dir.path().to_path_buf(), false).unwrap()
}

fn upstream_price(fake: &FakeShop, variant: u64) -> i64 {
    fake.state
        .lock()
        .unwrap()
        .variant_mut(variant)
        .unwrap()
        .price
}

#[test]
fn the_loop_starts_and_ends_a_price_sale_by_itself_and_syncs_when_due() {
    let fake = FakeShop::start(Options {
        invoices: Some(60),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let desk = Arc::new(connected_desk(&fake, &dir, "MD_WATCH_TEST_TOKEN"));
    // Never synced: the first round syncs, so the sale has products to target.
    let first = desk.round(Utc::now(), 0, |_| {}).unwrap();
    let report = first.synced.expect("a first background sync");
    assert!(report.products > 0, "{report:?}");
    let background = desk.background().unwrap();
    assert_eq!(background.sync_every_minutes, 15);
    let next = background.next_sync_at.expect("a next sync");
    let last = background.last_sync.expect("the run");
    assert_eq!(
        merchant_desk::time::parse_utc(&next).unwrap()
            - merchant_desk::time::parse_utc(&last.started_at).unwrap(),
        Duration::minutes(15)
    );
    // Not due again: the next round only settles.
    assert!(desk.round(Utc::now(), 0, |_| {}).unwrap().synced.is_none());

    let (sku, variant): (String, String) = {
        let store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
        store
            .conn()
            .query_row(
                "SELECT sku, external_id FROM variants WHERE cost_minor IS NOT NULL AND price_minor >= 200
                 ORDER BY sku LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let variant: u64 = variant.rsplit('/').next().unwrap().parse().unwrap();
    let before = upstream_price(&fake, variant);
    let shop = desk.shop().unwrap();
    let tz = shop.tz().unwrap();
    let at = |d: Duration| {
        (Utc::now() + d)
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let file = SaleFile::parse(&format!(
        "name = \"Left open\"\ntargets = {{ skus = [\"{sku}\"] }}\ndiscount = {{ percent = 10 }}\n\
         starts_at = \"{}\"\nends_at = \"{}\"\nmode = \"price\"\n",
        at(Duration::seconds(4)),
        at(Duration::seconds(9)),
    ))
    .unwrap();
    let sale = desk.create_sale(file).unwrap();
    let sale = desk
        .launch_sale(sale.id, Some("a test of the clock".into()))
        .unwrap();
    assert_eq!(sale.status, "scheduled");
    assert_eq!(
        upstream_price(&fake, variant),
        before,
        "nothing sent before its start"
    );

    // The loop, a round a second; each event is kept with the upstream
    // price seen when it came.
    let seen: Arc<Mutex<Vec<(WatchEvent, i64)>>> = Arc::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (stop, listen) = tokio::sync::watch::channel(false);
    let (log, state) = (seen.clone(), fake.state.clone());
    let on_event = move |e: WatchEvent| {
        let price = state.lock().unwrap().variant_mut(variant).unwrap().price;
        log.lock().unwrap().push((e, price));
    };
    let loop_desk = desk.clone();
    let watched = seen.clone();
    runtime.block_on(async move {
        let looping = tokio::spawn(watch::run(
            loop_desk,
            Timing {
                settle_every: std::time::Duration::from_secs(1),
            },
            listen,
            on_event,
        ));
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(40);
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let ended = watched.lock().unwrap().iter().any(|(e, _)| {
                matches!(e, WatchEvent::Round { round } if round.notices.iter().any(|n| n.kind == NoticeKind::Ended))
            });
            if ended || tokio::time::Instant::now() > deadline {
                break;
            }
        }
        stop.send(true).unwrap();
        looping.await.unwrap();
    });
    let seen = seen.lock().unwrap();
    let notice = |kind: NoticeKind| {
        seen.iter().find_map(|(e, price)| match e {
            WatchEvent::Round { round } => round
                .notices
                .iter()
                .find(|n| n.kind == kind)
                .map(|n| (n.clone(), *price)),
            _ => None,
        })
    };
    let (started, during) = notice(NoticeKind::Started).expect("the sale started by itself");
    assert_eq!(started.title, "Sale “Left open” started");
    assert_eq!(started.subject_id, Some(sale.id));
    assert_eq!(during, (before * 90 + 50) / 100, "the sale price was on");
    let (ended, after) = notice(NoticeKind::Ended).expect("the sale ended by itself");
    assert_eq!(ended.title, "Sale “Left open” ended");
    assert_eq!(after, before, "the price was put back");
    assert_eq!(desk.sales_overview().unwrap().sales[0].status, "ended");
    // Each notice was reported once.
    let reported: Vec<i64> = seen
        .iter()
        .flat_map(|(e, _)| match e {
            WatchEvent::Round { round } => round.notices.iter().map(|n| n.id).collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut unique = reported.clone();
    unique.dedup();
    assert_eq!(reported, unique);
    assert_eq!(desk.background().unwrap().unread, 2);
    assert_eq!(desk.notifications(10).unwrap().len(), 2);
    assert_eq!(desk.mark_notifications_read().unwrap().unread, 0);

    // The journal does not undo what a sale owns: its end's revert entries
    // (that would put the sale price back with nothing to end it), nor a
    // live sale's launch (ending the sale does that).
    use merchant_desk::journal::RevertScope;
    let journal = desk.journal(10).unwrap();
    let end = journal
        .iter()
        .find(|e| e.revert_of.is_some())
        .expect("the end's revert entry");
    assert_eq!(end.owner.as_ref().map(|o| o.id), Some(sale.id));
    for push_again in [false, true] {
        let err = desk
            .revert_change(RevertScope::Entry(end.id), false, push_again)
            .unwrap_err();
        assert!(err.to_string().contains("when sale"), "{err}");
    }
    assert_eq!(upstream_price(&fake, variant), before, "nothing sent");
    let now_file = SaleFile::parse(&format!(
        "name = \"Now\"\ntargets = {{ skus = [\"{sku}\"] }}\ndiscount = {{ percent = 10 }}\n\
         starts_at = \"{}\"\nends_at = \"{}\"\nmode = \"price\"\n",
        at(Duration::seconds(-5)),
        at(Duration::hours(1)),
    ))
    .unwrap();
    let live = desk.create_sale(now_file).unwrap();
    let live = desk.launch_sale(live.id, Some("test".into())).unwrap();
    assert_eq!(live.status, "live");
    let launch = desk.journal(1).unwrap().remove(0);
    assert_eq!(launch.owner.as_ref().map(|o| o.id), Some(live.id));
    let err = desk
        .revert_change(RevertScope::Batch(launch.batch), false, false)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("merchant-desk sale end {}", live.id)),
        "{err}"
    );
    assert_ne!(upstream_price(&fake, variant), before, "still on sale");
    desk.end_sale(live.id).unwrap();
    assert_eq!(upstream_price(&fake, variant), before);

    // A sync due and refused by the store: the round says so as a notice.
    fake.fault(Fault::Status(401));
    let later = Utc::now() + Duration::minutes(16);
    let last = desk.last_notice_id().unwrap();
    let round = desk.round(later, last, |_| {}).unwrap();
    assert!(round.synced.is_none());
    let failed = round
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::SyncFailed)
        .expect("a failed sync notice");
    assert_eq!(failed.title, "Background sync failed");
    assert!(
        failed.body.contains("next try is in 15 minutes"),
        "{}",
        failed.body
    );
    // Off: nothing is synced however late it is.
    desk.set_sync_every(0).unwrap();
    assert!(desk.background().unwrap().next_sync_at.is_none());
    let round = desk
        .round(Utc::now() + Duration::days(2), last, |_| {})
        .unwrap();
    assert!(round.synced.is_none());
    let err = desk.set_sync_every(5000).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().starts_with("Sync every:"), "{err}");
}

#[test]
fn watch_on_the_command_line_runs_a_sale_start_to_end_and_stops_on_sigterm() {
    use crate::sync::{cli, ok};
    use std::io::{BufRead, BufReader};
    let (fake, dir, db) = crate::promotions::cli_on_the_fake();
    let (sku, variant) = {
        let s = fake.state.lock().unwrap();
        let v = &s
            .products
            .values()
            .find(|p| p.variants[0].price >= 200)
            .unwrap()
            .variants[0];
        (v.sku.clone(), v.id)
    };
    let before = upstream_price(&fake, variant);
    let tz: chrono_tz::Tz = "Europe/London".parse().unwrap();
    let at = |d: Duration| {
        (Utc::now() + d)
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let file = dir.path().join("sale.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"Overnight\"\ntargets = {{ skus = [\"{sku}\"] }}\ndiscount = {{ percent = 20 }}\n\
             starts_at = \"{}\"\nends_at = \"{}\"\nmode = \"price\"\n",
            at(Duration::seconds(4)),
            at(Duration::seconds(9)),
        ),
    )
    .unwrap();
    let id = ok(&mut cli(&db, &["sale", "create", file.to_str().unwrap()]));
    ok(&mut cli(
        &db,
        &[
            "sale",
            "launch",
            id.trim(),
            "--override-floor",
            "a test of the clock",
        ],
    ));
    assert_eq!(upstream_price(&fake, variant), before);

    let mut child = cli(&db, &["watch", "--settle-every", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.contains("watching Online Retail (fake Shopify)"),
        "{first}"
    );
    assert!(
        first.contains("background sync every 15 minutes"),
        "{first}"
    );
    let mut during = None;
    let mut log = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push(line.clone());
        if line.contains("Sale “Overnight” started") {
            during = Some(upstream_price(&fake, variant));
        }
        if line.contains("Sale “Overnight” ended") || std::time::Instant::now() > deadline {
            break;
        }
    }
    assert_eq!(during, Some((before * 80 + 50) / 100), "{log:?}");
    assert_eq!(upstream_price(&fake, variant), before, "{log:?}");
    // SIGTERM, as `systemctl stop` sends it: a clean stop.
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?} {rest:?}");
    assert!(
        rest.last().is_some_and(|l| l.ends_with("stopped")),
        "{rest:?}"
    );
}

#[test]
fn a_background_sync_brings_the_orders_that_reach_a_stock_cap_and_ends_the_sale() {
    let fake = FakeShop::start(Options {
        invoices: Some(60),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&fake, &dir, "MD_WATCH_CAP_TOKEN");
    desk.round(Utc::now(), 0, |_| {}).unwrap();
    let (sku, variant, title, price) = {
        let s = fake.state.lock().unwrap();
        let v = &s
            .products
            .values()
            .find(|p| p.variants[0].price >= 200)
            .unwrap()
            .variants[0];
        (v.sku.clone(), v.id, v.title.clone(), v.price)
    };
    let shop = desk.shop().unwrap();
    let tz = shop.tz().unwrap();
    let at = |d: Duration| {
        (Utc::now() + d)
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let file = SaleFile::parse(&format!(
        "name = \"Capped\"\ntargets = {{ skus = [\"{sku}\"] }}\ndiscount = {{ percent = 10 }}\n\
         starts_at = \"{}\"\nends_at = \"{}\"\nmode = \"price\"\nstock_cap = 5\n",
        at(Duration::seconds(-30)),
        at(Duration::hours(2)),
    ))
    .unwrap();
    let sale = desk.create_sale(file).unwrap();
    let sale = desk.launch_sale(sale.id, Some("test".into())).unwrap();
    assert_eq!(sale.status, "live");
    assert_ne!(upstream_price(&fake, variant), price);
    // Six units sell on the storefront.
    {
        let mut s = fake.state.lock().unwrap();
        // Placed a few seconds ago, inside the sale's window.
        let now = Utc::now().timestamp() - 5;
        let (order, line) = (s.id(), s.id());
        s.orders.insert(
            order,
            fake::Order {
                id: order,
                name: "#9001".into(),
                customer: None,
                country: "United Kingdom".into(),
                placed: now,
                updated: now,
                cancelled: None,
                lines: vec![fake::Line {
                    id: line,
                    variant,
                    sku: sku.clone(),
                    title,
                    quantity: 6,
                    price: price * 9 / 10,
                }],
                refunds: Vec::new(),
            },
        );
    }
    // Not due yet: nothing is pulled, the sale stays live.
    let quiet = desk.round(Utc::now(), 0, |_| {}).unwrap();
    assert!(quiet.synced.is_none());
    assert_eq!(desk.sales_overview().unwrap().sales[0].status, "live");
    // Due: the background sync pulls the order, and the settle after it
    // ends the sale at its cap.
    let last = desk.last_notice_id().unwrap();
    let round = desk
        .round(Utc::now() + Duration::minutes(16), last, |_| {})
        .unwrap();
    assert!(round.synced.is_some_and(|r| r.orders >= 1));
    let capped = round
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::StockCap)
        .expect("a stock-cap notice");
    assert_eq!(capped.title, "Sale “Capped” reached its stock cap");
    assert_eq!(upstream_price(&fake, variant), price, "prices put back");
}
