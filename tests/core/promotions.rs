//! Flash sales on a small shop: the margin floor alone and stacked, the
//! checks, launch and end through the journal, sales settled when the app
//! finds them past their end, and exact reverts.

use crate::fixtures::{import_str, shop, temp_store};
use chrono::{DateTime, Duration, TimeZone, Utc};
use merchant_desk::import::ImportKind;
use merchant_desk::promotions::floor::MarginFloor;
use merchant_desk::promotions::run;
use merchant_desk::promotions::sale::{self, SaleFile};
use merchant_desk::storefront::local::Local;
use proptest::prelude::*;
use rusqlite::Connection;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 30, 12, 0, 0).unwrap()
}

/// Lamp 10.00 (cost 6.00), Vase 4.00 (cost 2.00), Mug 8.00 (no cost),
/// Card 3.00 (cost 1.00, compare-at 3.50); floor: 20 %, Paper 50 %.
fn small_shop() -> crate::fixtures::TempStore {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("GBP", "Europe/London"), now())
        .unwrap();
    import_str(
        &mut t.store,
        ImportKind::Products,
        "products.csv",
        "sku,title,price,category,cost,stock,compare_at_price\n\
         LAMP,Lamp,10.00,Lighting,6.00,10,\n\
         VASE,Vase,4.00,Home,2.00,500,\n\
         MUG,Mug,8.00,Kitchen,,100,\n\
         CARD,Card,3.00,Paper,1.00,40,3.50\n",
    )
    .unwrap();
    let mut floor = MarginFloor {
        shop_bp: 2000,
        ..Default::default()
    };
    floor.categories.insert("Paper".into(), 5000);
    floor.save(t.store.conn(), now()).unwrap();
    t
}

fn file(targets: &str, discount: &str, mode: &str, start: &str, end: &str) -> SaleFile {
    SaleFile::parse(&format!(
        "name = \"Flash\"\ntargets = {targets}\ndiscount = {discount}\nstarts_at = \"{start}\"\nends_at = \"{end}\"\nmode = \"{mode}\"\n"
    ))
    .unwrap()
}

fn prices(conn: &Connection) -> Vec<(String, i64, Option<i64>)> {
    conn.prepare("SELECT sku, price_minor, compare_at_minor FROM variants ORDER BY sku")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn codes(r: &sale::CheckReport) -> Vec<(String, Option<String>)> {
    r.problems
        .iter()
        .map(|p| (p.code.clone(), p.sku.clone()))
        .collect()
}

#[test]
fn checks_find_the_floor_alone_and_stacked_and_what_else_is_wrong() {
    let t = small_shop();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    // 20 % off: Lamp 8.00 ≥ 7.20 ok; Vase 3.20 ≥ 2.40 ok.
    let ok = file(
        "{ skus = [\"LAMP\", \"VASE\"] }",
        "{ percent = 20 }",
        "discount",
        "2024-07-01T09:00",
        "2024-07-01T21:00",
    );
    let r = sale::check(conn, &shop, &ok, None, now()).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    assert_eq!(
        r.starts_at, "2024-07-01T08:00:00Z",
        "09:00 in London in summer"
    );
    let sale_prices: Vec<i64> = r.items.iter().map(|i| i.sale_minor).collect();
    assert_eq!(sale_prices, vec![800, 320]);

    // 30 % off: Lamp 7.00 < 7.20; Card 2.10 < 1.50? no: Paper floor 1.50, fine;
    // Mug has no cost.
    let deep = file(
        "{ all = true }",
        "{ percent = 30 }",
        "discount",
        "2024-07-01T09:00",
        "2024-07-01T21:00",
    );
    let r = sale::check(conn, &shop, &deep, None, now()).unwrap();
    assert!(!r.ok);
    let found = codes(&r);
    assert!(
        found.contains(&("below_floor".into(), Some("LAMP".into()))),
        "{found:?}"
    );
    assert!(
        found.contains(&("no_cost".into(), Some("MUG".into()))),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, s)| s.as_deref() == Some("CARD")),
        "{found:?}"
    );

    // A live 15 % discount on everything stacks: Lamp 8.00 × 0.85 = 6.80 < 7.20.
    conn.execute(
        "INSERT INTO discounts (source, external_id, definition, updated_at) VALUES ('local', 'local-discount-9', ?1, '2024-06-01T00:00:00Z')",
        [serde_json::json!({
            "title": "Summer 15", "method": "automatic", "code": null,
            "value": {"kind": "percentage", "basis_points": 1500},
            "minimum": {"kind": "none"}, "items": {"kind": "all"},
            "starts_at": "2024-06-01T00:00:00Z", "ends_at": "2024-07-31T00:00:00Z", "usage_limit": null
        })
        .to_string()],
    )
    .unwrap();
    let r = sale::check(conn, &shop, &ok, None, now()).unwrap();
    assert!(!r.ok);
    let lamp = r.items.iter().find(|i| i.sku == "LAMP").unwrap();
    assert_eq!(
        (lamp.sale_minor, lamp.worst_case_minor, lamp.floor_minor),
        (800, 680, Some(720))
    );
    let found = codes(&r);
    assert!(
        found.contains(&("stacks_below_floor".into(), Some("LAMP".into()))),
        "{found:?}"
    );
    assert!(found.contains(&("overlap".into(), None)), "{found:?}");
    // Vase 3.20 × 0.85 = 2.72 ≥ 2.40.
    assert!(!found.contains(&("stacks_below_floor".into(), Some("VASE".into()))));

    // The window, a price that is no discount, a price-mode sale's warnings.
    let backwards = file(
        "{ skus = [\"VASE\"] }",
        "{ percent = 5 }",
        "discount",
        "2024-07-02T09:00",
        "2024-07-01T09:00",
    );
    assert!(
        codes(&sale::check(conn, &shop, &backwards, None, now()).unwrap())
            .contains(&("window".into(), None))
    );
    let past = file(
        "{ skus = [\"VASE\"] }",
        "{ percent = 5 }",
        "discount",
        "2024-06-01T09:00",
        "2024-06-02T09:00",
    );
    assert!(
        codes(&sale::check(conn, &shop, &past, None, now()).unwrap())
            .contains(&("window".into(), None))
    );
    let higher = file(
        "{ skus = [\"VASE\"] }",
        "{ sale_price = \"4.50\" }",
        "discount",
        "2024-08-01T09:00",
        "2024-08-01T21:00",
    );
    assert!(
        codes(&sale::check(conn, &shop, &higher, None, now()).unwrap())
            .contains(&("not_a_discount".into(), Some("VASE".into())))
    );
    let card = file(
        "{ skus = [\"CARD\"] }",
        "{ amount_off = \"0.50\" }",
        "price",
        "2024-08-01T09:00",
        "2024-08-01T21:00",
    );
    let found = codes(&sale::check(conn, &shop, &card, None, now()).unwrap());
    assert!(
        found.contains(&("compare_at_set".into(), Some("CARD".into()))),
        "{found:?}"
    );
    assert!(
        found.contains(&("ends_from_the_app".into(), None)),
        "{found:?}"
    );
    // An unknown SKU is refused outright.
    let nope = file(
        "{ skus = [\"NOPE\"] }",
        "{ percent = 5 }",
        "discount",
        "2024-08-01T09:00",
        "2024-08-01T21:00",
    );
    assert!(sale::check(conn, &shop, &nope, None, now())
        .unwrap_err()
        .to_string()
        .contains("SKU NOPE"));
}

#[test]
fn a_discount_sale_is_scheduled_on_the_platform_and_an_early_end_deletes_it() {
    let t = small_shop();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let before = prices(conn);
    let f = file(
        "{ skus = [\"LAMP\", \"VASE\"] }",
        "{ percent = 20 }",
        "discount",
        "2024-07-01T09:00",
        "2024-07-01T21:00",
    );
    let s = sale::create(conn, &shop, &f, now()).unwrap();
    let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
    let s = run::launch(conn, &shop, &mut local, s.id, None, now()).unwrap();
    assert_eq!(s.status, "scheduled");
    let def: String = conn
        .query_row("SELECT definition FROM discounts", [], |r| r.get(0))
        .unwrap();
    let d: merchant_desk::storefront::Discount = serde_json::from_str(&def).unwrap();
    assert_eq!(
        (d.starts_at.as_str(), d.ends_at.as_deref()),
        ("2024-07-01T08:00:00Z", Some("2024-07-01T20:00:00Z"))
    );
    assert_eq!(d.title, "Flash");
    assert_eq!(
        prices(conn),
        before,
        "a discount-mode sale leaves prices alone"
    );
    // A second launch is refused.
    assert!(run::launch(conn, &shop, &mut local, s.id, None, now()).is_err());
    // At its start it shows live (and says so once), and ending early
    // deletes the discount.
    let during = Utc.with_ymd_and_hms(2024, 7, 1, 10, 0, 0).unwrap();
    let started = merchant_desk::promotions::settle(conn, &shop, &mut local, during).unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(
        started[0].event,
        merchant_desk::promotions::SettledEvent::Started
    );
    assert!(
        merchant_desk::promotions::settle(conn, &shop, &mut local, during)
            .unwrap()
            .is_empty()
    );
    assert_eq!(sale::get(conn, s.id).unwrap().status, "live");
    let ended = run::end(conn, &mut local, s.id, during).unwrap();
    assert_eq!(ended.status, "reverted");
    let left: i64 = conn
        .query_row("SELECT count(*) FROM discounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);

    // Another one runs to its end: the platform ends it; settle records it.
    let s2 = sale::create(conn, &shop, &f, now()).unwrap();
    run::launch(conn, &shop, &mut local, s2.id, None, now()).unwrap();
    let after = Utc.with_ymd_and_hms(2024, 7, 2, 0, 0, 0).unwrap();
    let notes = merchant_desk::promotions::settle(conn, &shop, &mut local, after).unwrap();
    assert_eq!(notes.len(), 1);
    assert!(notes[0].what.contains("ended on the storefront"));
    assert_eq!(sale::get(conn, s2.id).unwrap().status, "ended");
}

#[test]
fn the_floor_is_overridden_only_with_a_reason_and_the_reason_is_journaled() {
    let t = small_shop();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let f = file(
        "{ skus = [\"LAMP\"] }",
        "{ percent = 30 }",
        "price",
        "2024-06-30T09:00",
        "2024-06-30T21:00",
    );
    let s = sale::create(conn, &shop, &f, now()).unwrap();
    let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
    let err = run::launch(conn, &shop, &mut local, s.id, None, now())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("below the margin floor £7.20") && err.contains("give the reason"),
        "{err}"
    );
    assert!(run::launch(conn, &shop, &mut local, s.id, Some("  "), now()).is_err());
    let s = run::launch(conn, &shop, &mut local, s.id, Some("end of line"), now()).unwrap();
    assert_eq!(s.status, "live");
    let reason: String = conn
        .query_row(
            "SELECT reason FROM journal_batches WHERE id = ?1",
            [s.launch_batch.unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        reason.contains("margin floor overridden: end of line"),
        "{reason}"
    );
    // A window error is never overridden.
    let past = file(
        "{ skus = [\"LAMP\"] }",
        "{ percent = 30 }",
        "price",
        "2024-06-01T09:00",
        "2024-06-01T21:00",
    );
    let p = sale::create(conn, &shop, &past, now()).unwrap();
    assert!(run::launch(conn, &shop, &mut local, p.id, Some("anyway"), now()).is_err());
}

#[test]
fn a_price_sale_found_past_its_end_is_reverted_at_once() {
    let t = small_shop();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let before = prices(conn);
    // Starts later: scheduled, nothing changed until its start.
    let f = file(
        "{ skus = [\"VASE\", \"CARD\"] }",
        "{ amount_off = \"0.50\" }",
        "price",
        "2024-07-01T09:00",
        "2024-07-01T21:00",
    );
    let s = sale::create(conn, &shop, &f, now()).unwrap();
    let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
    assert_eq!(
        run::launch(conn, &shop, &mut local, s.id, None, now())
            .unwrap()
            .status,
        "scheduled"
    );
    assert_eq!(prices(conn), before);
    let start = Utc.with_ymd_and_hms(2024, 7, 1, 8, 1, 0).unwrap();
    let notes = merchant_desk::promotions::settle(conn, &shop, &mut local, start).unwrap();
    assert!(notes[0].what.contains("launched at its start"));
    let during = prices(conn);
    assert!(
        during.contains(&("VASE".into(), 350, Some(400))),
        "{during:?}"
    );
    // The higher compare-at already on CARD stays.
    assert!(
        during.contains(&("CARD".into(), 250, Some(350))),
        "{during:?}"
    );
    // The app was closed over the end: the next start reverts it at once.
    let later = Utc.with_ymd_and_hms(2024, 7, 2, 9, 0, 0).unwrap();
    let notes = merchant_desk::promotions::settle(conn, &shop, &mut local, later).unwrap();
    assert!(notes[0].what.contains("past its end"), "{notes:?}");
    assert_eq!(prices(conn), before);
    assert_eq!(sale::get(conn, s.id).unwrap().status, "ended");
    // Settling again does nothing more.
    assert!(
        merchant_desk::promotions::settle(conn, &shop, &mut local, later + Duration::hours(1))
            .unwrap()
            .is_empty()
    );
    assert_eq!(prices(conn), before);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Whatever the prices, compare-at prices and discount, a price-mode
    /// sale launched and ended leaves every price and compare-at exactly as
    /// it found them.
    #[test]
    fn ending_a_price_sale_restores_prices_exactly(
        rows in proptest::collection::vec((1i64..100_000, proptest::option::of(1i64..150_000)), 1..6),
        pct in 1i64..90,
    ) {
        let mut t = temp_store();
        t.store.set_shop(&shop("GBP", "Europe/London"), now()).unwrap();
        let mut csv = String::from("sku,title,price,category,cost,stock,compare_at_price\n");
        for (i, (p, c)) in rows.iter().enumerate() {
            csv.push_str(&format!("S{i},Item,{}.{:02},Cat,0.01,10,{}\n", p / 100, p % 100,
                c.map(|c| format!("{}.{:02}", c / 100, c % 100)).unwrap_or_default()));
        }
        import_str(&mut t.store, ImportKind::Products, "p.csv", &csv).unwrap();
        let shop = t.store.require_shop().unwrap();
        let conn = t.store.conn();
        let before = prices(conn);
        let f = file("{ all = true }", &format!("{{ percent = {pct} }}"), "price", "2024-06-30T09:00", "2024-06-30T21:00");
        let s = sale::create(conn, &shop, &f, now()).unwrap();
        let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
        let launched = run::launch(conn, &shop, &mut local, s.id, Some("test"), now());
        prop_assume!(launched.is_ok());
        prop_assert_ne!(prices(conn), before.clone());
        run::end(conn, &mut local, s.id, now()).unwrap();
        prop_assert_eq!(prices(conn), before);
    }
}

#[test]
fn the_report_compares_the_window_with_the_same_weekdays_before() {
    let mut t = small_shop();
    // Vase: 3 a day on the four Mondays before 2024-07-01, 9 during the sale
    // (at 3.20), one order outside the window.
    let mut orders = String::from("order_id,ordered_at,sku,title,quantity,unit_price,currency\n");
    for (n, day) in ["2024-06-03", "2024-06-10", "2024-06-17", "2024-06-24"]
        .iter()
        .enumerate()
    {
        orders.push_str(&format!("B{n},{day}T10:00:00Z,VASE,Vase,3,4.00,GBP\n"));
    }
    orders.push_str("S1,2024-07-01T10:00:00Z,VASE,Vase,9,3.20,GBP\n");
    orders.push_str("X1,2024-07-01T22:00:00Z,VASE,Vase,5,4.00,GBP\n");
    import_str(&mut t.store, ImportKind::Orders, "orders.csv", &orders).unwrap();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let f = file(
        "{ skus = [\"VASE\"] }",
        "{ percent = 20 }",
        "discount",
        "2024-07-01T09:00",
        "2024-07-01T21:00",
    );
    let s = sale::create(conn, &shop, &f, now()).unwrap();
    assert!(
        sale::report(conn, &shop, s.id, now()).is_err(),
        "a draft has no report"
    );
    let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
    run::launch(conn, &shop, &mut local, s.id, None, now()).unwrap();
    let after = Utc.with_ymd_and_hms(2024, 7, 3, 0, 0, 0).unwrap();
    let r = sale::report(conn, &shop, s.id, after).unwrap();
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        ("2024-07-01T08:00:00Z", "2024-07-01T20:00:00Z")
    );
    assert_eq!(
        (r.actual.units, r.actual.revenue, r.actual.profit),
        (9.0, 2880.0, 1080.0)
    );
    assert_eq!(
        (
            r.same_weekdays.units,
            r.same_weekdays.revenue,
            r.same_weekdays.profit
        ),
        (3.0, 1200.0, 600.0)
    );
    assert_eq!(r.incremental_vs_weekdays, 480.0);
    assert_eq!(r.stock_left, 500);

    // The model's hours: of 26 units sold, 21 in the 11 o'clock hour and 5
    // at 23 (shop time). The 09:00–21:00 window carries 21/26 of the day's
    // demand, the evening none; the report's model figure is that window's.
    let at = |text: &str| {
        let (a, b) = text.split_once('/').unwrap();
        file(
            "{ skus = [\"VASE\"] }",
            "{ percent = 20 }",
            "discount",
            a,
            b,
        )
    };
    let when = Utc.with_ymd_and_hms(2024, 7, 1, 8, 0, 0).unwrap();
    let built = merchant_desk::pricing::build(conn, &shop, when).unwrap();
    let project = |span: &str| sale::projection(conn, &shop, &at(span), &built, when).unwrap();
    let day = project("2024-07-01T00:00/2024-07-02T00:00");
    let window = project("2024-07-01T09:00/2024-07-01T21:00");
    let evening = project("2024-07-01T19:00/2024-07-01T22:00");
    assert_eq!((day.days, day.hours, window.hours), (1, 24.0, 12.0));
    assert!(day.units_without > 0.0);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.abs().max(1.0);
    assert!(
        close(window.units_without, day.units_without * 21.0 / 26.0),
        "{window:?} {day:?}"
    );
    assert!(close(window.demand_days, day.demand_days * 21.0 / 26.0));
    assert_eq!((evening.units_without, evening.units_with), (0.0, 0.0));
    assert_eq!(evening.expected_uplift, None);
    let r_at = sale::report(conn, &shop, s.id, after).unwrap();
    let start = r_at.sale.starts_at.parse().unwrap();
    let as_of_start = merchant_desk::pricing::build(conn, &shop, start).unwrap();
    let rebuilt = sale::projection(conn, &shop, &s.file, &as_of_start, start).unwrap();
    assert!(
        close(r_at.model.units, rebuilt.units_without),
        "{:?} {rebuilt:?}",
        r_at.model
    );
}

#[test]
fn stock_expected_to_sell_before_the_window_is_not_counted_in_it() {
    let mut t = small_shop();
    // Lamp: 10 in stock, 2 sold on each of four Mondays.
    let mut orders = String::from("order_id,ordered_at,sku,title,quantity,unit_price,currency\n");
    for (n, day) in ["2024-06-03", "2024-06-10", "2024-06-17", "2024-06-24"]
        .iter()
        .enumerate()
    {
        orders.push_str(&format!("L{n},{day}T10:00:00Z,LAMP,Lamp,2,10.00,GBP\n"));
    }
    import_str(&mut t.store, ImportKind::Orders, "orders.csv", &orders).unwrap();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let f = |start: &str, end: &str| {
        file(
            "{ skus = [\"LAMP\"] }",
            "{ percent = 5 }",
            "discount",
            start,
            end,
        )
    };
    let built = merchant_desk::pricing::build(conn, &shop, now()).unwrap();
    let soon = sale::projection(
        conn,
        &shop,
        &f("2024-07-01T00:00", "2024-07-08T00:00"),
        &built,
        now(),
    )
    .unwrap();
    let later = sale::projection(
        conn,
        &shop,
        &f("2024-09-02T00:00", "2024-09-09T00:00"),
        &built,
        now(),
    )
    .unwrap();
    // Same weekdays, same hours: only the stock differs.
    assert!((soon.demand_days - later.demand_days).abs() < 1e-9);
    assert!(soon.units_without > 1.0, "{soon:?}");
    assert!(
        later.units_without < soon.units_without * 0.5,
        "two months of sales before the window leave little: {later:?} vs {soon:?}"
    );
}

/// The local store as a storefront whose connection drops during a push:
/// after the changes took effect (`arrive`) or before.
struct Dropping<'c> {
    inner: Local<'c>,
    arrive: bool,
}

impl merchant_desk::storefront::Storefront for Dropping<'_> {
    fn platform(&self) -> &'static str {
        "local"
    }
    fn shop_info(&mut self) -> merchant_desk::Result<merchant_desk::storefront::ShopInfo> {
        self.inner.shop_info()
    }
    fn pull(
        &mut self,
        entity: merchant_desk::storefront::Entity,
        from: &merchant_desk::storefront::Checkpoint,
        sink: &mut merchant_desk::storefront::Sink,
    ) -> merchant_desk::Result<()> {
        self.inner.pull(entity, from, sink)
    }
    fn read(
        &mut self,
        targets: &[merchant_desk::storefront::Target],
    ) -> merchant_desk::Result<Vec<merchant_desk::storefront::Value>> {
        merchant_desk::storefront::Storefront::read(&mut self.inner, targets)
    }
    fn apply(
        &mut self,
        changes: &[(
            merchant_desk::storefront::Target,
            merchant_desk::storefront::Value,
        )],
    ) -> merchant_desk::Result<Vec<merchant_desk::Result<merchant_desk::storefront::Applied>>> {
        if self.arrive {
            self.inner.apply(changes)?;
        }
        Ok(changes
            .iter()
            .map(|_| {
                Err(merchant_desk::Error::Network(
                    "the connection dropped".into(),
                ))
            })
            .collect())
    }
}

#[test]
fn a_launch_cut_off_mid_push_is_settled_on_restart_and_never_doubled() {
    for arrive in [true, false] {
        let t = small_shop();
        let shop = t.store.require_shop().unwrap();
        let conn = t.store.conn();
        let before = prices(conn);
        let f = file(
            "{ skus = [\"VASE\"] }",
            "{ percent = 10 }",
            "price",
            "2024-06-30T09:00",
            "2024-06-30T21:00",
        );
        let s = sale::create(conn, &shop, &f, now()).unwrap();
        let mut cut = Dropping {
            inner: Local::new(conn, "2024-06-30T12:00:00Z".into()),
            arrive,
        };
        assert!(run::launch(conn, &shop, &mut cut, s.id, None, now()).is_err());
        let stuck = sale::get(conn, s.id).unwrap();
        assert_eq!(
            (stuck.status.as_str(), stuck.launch_batch.is_some()),
            ("draft", true)
        );
        // Launching again before it is settled is refused: nothing is sent twice.
        let mut local = Local::new(conn, "2024-06-30T12:05:00Z".into());
        assert!(run::launch(conn, &shop, &mut local, s.id, None, now())
            .unwrap_err()
            .to_string()
            .contains("interrupted"));
        // The restart settles it by reading the store.
        let notes = merchant_desk::promotions::settle(conn, &shop, &mut local, now()).unwrap();
        let settled = sale::get(conn, s.id).unwrap();
        let pushes: i64 = conn
            .query_row(
                "SELECT count(*) FROM journal WHERE label LIKE 'Price of VASE%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if arrive {
            assert_eq!(settled.status, "live");
            assert!(notes[0].what.contains("had reached the store"));
            assert!(prices(conn).contains(&("VASE".into(), 360, Some(400))));
            assert_eq!(pushes, 1, "confirmed by reading back, not sent again");
            // And at its end it reverts exactly.
            let late = Utc.with_ymd_and_hms(2024, 6, 30, 23, 0, 0).unwrap();
            merchant_desk::promotions::settle(conn, &shop, &mut local, late).unwrap();
            assert_eq!(prices(conn), before);
        } else {
            assert_eq!(
                (settled.status.as_str(), settled.launch_batch),
                ("draft", None)
            );
            assert_eq!(prices(conn), before);
            // Now it can be launched, once.
            run::launch(conn, &shop, &mut local, s.id, None, now()).unwrap();
            assert!(prices(conn).contains(&("VASE".into(), 360, Some(400))));
        }
    }
}

/// A fake-storefront variant's price and compare-at, by SKU.
fn fake_price(fake: &crate::fake::FakeShop, sku: &str) -> (i64, Option<i64>) {
    let state = fake.state.lock().unwrap();
    state
        .products
        .values()
        .flat_map(|p| &p.variants)
        .find(|v| v.sku == sku)
        .map(|v| (v.price, v.compare_at))
        .unwrap()
}

#[test]
fn the_life_of_a_sale_on_the_shopify_fake() {
    let (fake, t, mut sf) = crate::sync::synced(60);
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let sku: String = conn
        .query_row(
            "SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id
             WHERE v.source = 'shopify' AND p.kind = 'merchandise' AND v.price_minor >= 100
               AND v.cost_minor IS NULL ORDER BY v.sku LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let start = Utc::now() + Duration::hours(1);
    let end = start + Duration::hours(2);
    let tz: chrono_tz::Tz = shop.time_zone.parse().unwrap();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    let targets = format!("{{ skus = [\"{sku}\"] }}");

    // Discount mode: the platform holds the start and the end.
    let f = file(
        &targets,
        "{ percent = 15 }",
        "discount",
        &local(start),
        &local(end),
    );
    let s = sale::create(conn, &shop, &f, Utc::now()).unwrap();
    let checked = sale::check(conn, &shop, &s.file, Some(s.id), Utc::now()).unwrap();
    // A product whose unit cost the store lacks: the floor cannot be checked.
    assert!(checked.problems.iter().any(|p| p.code == "no_cost"));
    let s = run::launch(
        conn,
        &shop,
        &mut sf,
        s.id,
        Some("no costs in this store yet"),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(s.status, "scheduled");
    {
        let state = fake.state.lock().unwrap();
        assert_eq!(state.discounts.len(), 1);
        let (_, input) = state.discounts.values().next().unwrap();
        let text = input.to_string();
        assert!(
            text.contains(&s.starts_at) && text.contains(&s.ends_at),
            "{text}"
        );
        assert!(text.contains("0.15"), "{text}");
    }
    // The platform ends it at its end: past it, settling records that and
    // sends nothing.
    let pushes = |c: &Connection| -> i64 {
        c.query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
            .unwrap()
    };
    let sent = pushes(conn);
    let notes = merchant_desk::promotions::settle(conn, &shop, &mut sf, end + Duration::minutes(1))
        .unwrap();
    assert!(notes[0].what.contains("ended on the storefront"));
    assert_eq!(pushes(conn), sent);
    assert_eq!(
        fake.state.lock().unwrap().discounts.len(),
        1,
        "an ended discount stays, expired"
    );

    // Ended early: the discount is deleted upstream.
    let s2 = sale::create(conn, &shop, &f, Utc::now()).unwrap();
    run::launch(conn, &shop, &mut sf, s2.id, Some("no costs"), Utc::now()).unwrap();
    assert_eq!(fake.state.lock().unwrap().discounts.len(), 2);
    assert_eq!(
        run::end(conn, &mut sf, s2.id, Utc::now()).unwrap().status,
        "reverted"
    );
    assert_eq!(fake.state.lock().unwrap().discounts.len(), 1);

    // A code each customer may use once: the store is told so.
    let coded = SaleFile::parse(&format!(
        "name = \"Once\"\ntargets = {targets}\ndiscount = {{ percent = 5 }}\nstarts_at = \"{}\"\nends_at = \"{}\"\ncode = \"ONCE5\"\nper_customer_limit = 1\n",
        local(start),
        local(end)
    ))
    .unwrap();
    let s4 = sale::create(conn, &shop, &coded, Utc::now()).unwrap();
    let s4 = run::launch(conn, &shop, &mut sf, s4.id, Some("no costs"), Utc::now()).unwrap();
    let entry = merchant_desk::journal::list(conn, 1).unwrap().remove(0);
    assert_eq!(entry.batch, s4.launch_batch.unwrap());
    let read =
        merchant_desk::storefront::Storefront::read(&mut sf, std::slice::from_ref(&entry.target))
            .unwrap();
    match &read[0] {
        merchant_desk::storefront::Value::Discount(Some(d)) => {
            assert!(d.once_per_customer);
            assert_eq!(d.code.as_deref(), Some("ONCE5"));
        }
        other => panic!("{other:?}"),
    }
    run::end(conn, &mut sf, s4.id, Utc::now()).unwrap();

    // Price mode, live now, found past its end: prices come back exactly.
    let before = fake_price(&fake, &sku);
    let now = Utc::now();
    let pf = file(
        &targets,
        "{ percent = 15 }",
        "price",
        &local(now - Duration::hours(1)),
        &local(now + Duration::hours(1)),
    );
    let s3 = sale::create(conn, &shop, &pf, now).unwrap();
    run::launch(conn, &shop, &mut sf, s3.id, Some("no costs"), now).unwrap();
    let during = fake_price(&fake, &sku);
    assert_eq!(during.1, Some(before.0.max(before.1.unwrap_or(0))));
    assert!(during.0 < before.0);
    merchant_desk::promotions::settle(conn, &shop, &mut sf, now + Duration::hours(3)).unwrap();
    assert_eq!(fake_price(&fake, &sku), before);
    assert_eq!(sale::get(conn, s3.id).unwrap().status, "ended");
}

/// The local copy's discounts: (source, external id, definition).
fn local_discounts(conn: &Connection) -> Vec<(String, String, String)> {
    conn.prepare("SELECT source, external_id, definition FROM discounts ORDER BY external_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn the_sync_sees_a_sale_and_what_the_owner_does_to_it_on_the_storefront() {
    use merchant_desk::storefront::Discount;
    let (fake, mut t, mut sf) = crate::sync::synced(60);
    let shop = t.store.require_shop().unwrap();
    let sku: String = t
        .store
        .conn()
        .query_row(
            "SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id
             WHERE v.source = 'shopify' AND p.kind = 'merchandise' AND v.price_minor >= 100
               AND v.cost_minor IS NULL ORDER BY v.sku LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let tz: chrono_tz::Tz = shop.time_zone.parse().unwrap();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    let start = Utc::now() + Duration::hours(1);
    let end = start + Duration::hours(2);
    let f = file(
        &format!("{{ skus = [\"{sku}\"] }}"),
        "{ percent = 15 }",
        "discount",
        &local(start),
        &local(end),
    );
    let launch = |t: &crate::fixtures::TempStore,
                  sf: &mut merchant_desk::storefront::shopify::Shopify| {
        let s = sale::create(t.store.conn(), &shop, &f, Utc::now()).unwrap();
        run::launch(
            t.store.conn(),
            &shop,
            sf,
            s.id,
            Some("no costs here"),
            Utc::now(),
        )
        .unwrap()
    };
    let fake_ids = |fake: &crate::fake::FakeShop| -> Vec<u64> {
        fake.state
            .lock()
            .unwrap()
            .discounts
            .keys()
            .copied()
            .collect()
    };

    // Plan, check, launch: the sync brings the discount back as sent, in
    // one row (the push's mirror is taken over, not doubled).
    let s1 = launch(&t, &mut sf);
    let pushed: Discount = match &merchant_desk::journal::list(t.store.conn(), 1).unwrap()[0].new {
        merchant_desk::storefront::Value::Discount(Some(d)) => d.clone(),
        other => panic!("{other:?}"),
    };
    let report = crate::sync::run(&mut t.store, &mut sf, false).unwrap();
    assert_eq!(report.discounts, 1);
    let rows = local_discounts(t.store.conn());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "shopify");
    assert_eq!(
        rows[0].1,
        format!("gid://shopify/DiscountAutomaticNode/{}", fake_ids(&fake)[0])
    );
    let synced: Discount = serde_json::from_str(&rows[0].2).unwrap();
    assert_eq!(synced, pushed);
    assert_eq!(synced.starts_at, s1.starts_at);
    assert_eq!(synced.ends_at.as_deref(), Some(s1.ends_at.as_str()));

    // A buy-X-get-Y discount the owner made in the admin: kept by its
    // window, named by the next check, counted against the limit.
    {
        let mut state = fake.state.lock().unwrap();
        state.discounts.insert(
            9_000,
            (
                "bxgy".into(),
                serde_json::json!({"title": "Buy 2 get 1", "startsAt": crate::fake::time(0),
                    "endsAt": serde_json::Value::Null}),
            ),
        );
    }
    assert_eq!(
        crate::sync::run(&mut t.store, &mut sf, false)
            .unwrap()
            .discounts,
        2
    );
    let checked = sale::check(t.store.conn(), &shop, &f, None, Utc::now()).unwrap();
    let other = checked
        .problems
        .iter()
        .find(|p| p.code == "other_discount")
        .expect("the buy X get Y discount is named");
    assert!(other.message.contains("Buy 2 get 1"), "{}", other.message);
    fake.state.lock().unwrap().discounts.remove(&9_000);

    // The platform ends it at endsAt: still there, expired; settling past
    // the end records it and sends nothing; the report covers the window.
    let conn = t.store.conn();
    let sent: i64 = conn
        .query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
        .unwrap();
    let notes = merchant_desk::promotions::settle(conn, &shop, &mut sf, end + Duration::minutes(1))
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .what
            .contains("ended on the storefront at its end time"),
        "{:?}",
        notes
    );
    let after: i64 = conn
        .query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
        .unwrap();
    assert_eq!(after, sent);
    assert_eq!(sale::get(conn, s1.id).unwrap().status, "ended");
    let r = sale::report(conn, &shop, s1.id, end + Duration::minutes(1)).unwrap();
    assert_eq!(r.actual.units, 0.0, "no orders in the window");

    // Deleted in the admin: the sync removes it, settling ends the sale.
    let s2 = launch(&t, &mut sf);
    let id2 = *fake_ids(&fake).last().unwrap();
    fake.state.lock().unwrap().discounts.remove(&id2);
    crate::sync::run(&mut t.store, &mut sf, false).unwrap();
    assert_eq!(
        local_discounts(t.store.conn()).len(),
        1,
        "only the expired one is left"
    );
    let notes =
        merchant_desk::promotions::settle(t.store.conn(), &shop, &mut sf, Utc::now()).unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.id == s2.id && n.what.contains("deleted on the storefront")),
        "{notes:?}"
    );
    assert_eq!(sale::get(t.store.conn(), s2.id).unwrap().status, "ended");

    // Ended early in the admin (its end moved before now): ended here too,
    // at that time.
    let s3 = launch(&t, &mut sf);
    let id3 = *fake_ids(&fake).last().unwrap();
    let early = start + Duration::minutes(30);
    fake.state
        .lock()
        .unwrap()
        .discounts
        .get_mut(&id3)
        .unwrap()
        .1["endsAt"] = serde_json::json!(merchant_desk::time::fmt_utc(early));
    crate::sync::run(&mut t.store, &mut sf, false).unwrap();
    let at = start + Duration::minutes(31);
    let notes = merchant_desk::promotions::settle(t.store.conn(), &shop, &mut sf, at).unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.id == s3.id && n.what.contains("ended on the storefront at")),
        "{notes:?}"
    );
    let s3 = sale::get(t.store.conn(), s3.id).unwrap();
    assert_eq!(
        (s3.status.as_str(), s3.ends_at.clone()),
        ("ended", merchant_desk::time::fmt_utc(early))
    );

    // Its end removed in the admin: the app ends it at the planned end.
    let s4 = launch(&t, &mut sf);
    let id4 = *fake_ids(&fake).last().unwrap();
    fake.state
        .lock()
        .unwrap()
        .discounts
        .get_mut(&id4)
        .unwrap()
        .1["endsAt"] = serde_json::Value::Null;
    crate::sync::run(&mut t.store, &mut sf, false).unwrap();
    assert!(
        merchant_desk::promotions::settle(t.store.conn(), &shop, &mut sf, Utc::now())
            .unwrap()
            .is_empty()
    );
    let notes = merchant_desk::promotions::settle(
        t.store.conn(),
        &shop,
        &mut sf,
        end + Duration::minutes(1),
    )
    .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.id == s4.id && n.what.contains("end had been removed")),
        "{notes:?}"
    );
    assert!(
        !fake_ids(&fake).contains(&id4),
        "the open-ended discount is deleted upstream"
    );
    assert_eq!(sale::get(t.store.conn(), s4.id).unwrap().status, "ended");

    // Tiers whose discounts were all deleted in the admin are off too.
    use merchant_desk::promotions::tiers::{self, TierFile};
    let spend = TierFile::parse(
        "name = \"Spend\"\nkind = \"spend\"\n[[tier]]\nmin_subtotal = \"50.00\"\npercent = 5\n[[tier]]\nmin_subtotal = \"100.00\"\npercent = 10\n",
    )
    .unwrap();
    let set = tiers::create(t.store.conn(), &shop, &spend, Utc::now()).unwrap();
    let before = fake_ids(&fake);
    tiers::launch(
        t.store.conn(),
        &shop,
        &mut sf,
        set.id,
        Some("no costs here"),
        Utc::now(),
    )
    .unwrap();
    let made: Vec<u64> = fake_ids(&fake)
        .into_iter()
        .filter(|i| !before.contains(i))
        .collect();
    assert_eq!(made.len(), 2, "one discount per tier");
    crate::sync::run(&mut t.store, &mut sf, false).unwrap();
    assert!(
        merchant_desk::promotions::settle(t.store.conn(), &shop, &mut sf, Utc::now())
            .unwrap()
            .is_empty()
    );
    fake.state.lock().unwrap().discounts.remove(&made[0]);
    crate::sync::run(&mut t.store, &mut sf, false).unwrap();
    assert!(
        merchant_desk::promotions::settle(t.store.conn(), &shop, &mut sf, Utc::now())
            .unwrap()
            .is_empty(),
        "one tier left: still live"
    );
    fake.state.lock().unwrap().discounts.remove(&made[1]);
    crate::sync::run(&mut t.store, &mut sf, false).unwrap();
    let notes =
        merchant_desk::promotions::settle(t.store.conn(), &shop, &mut sf, Utc::now()).unwrap();
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.kind.as_str(), n.id))
            .collect::<Vec<_>>(),
        [("tiers", set.id)]
    );
    assert_eq!(tiers::get(t.store.conn(), set.id).unwrap().status, "ended");
}

#[test]
fn a_stock_cap_reached_in_synced_orders_ends_the_sale() {
    let mut t = small_shop();
    let shop = t.store.require_shop().unwrap();
    let f = SaleFile::parse(
        "name = \"Capped\"\ntargets = { skus = [\"VASE\"] }\ndiscount = { percent = 10 }\n\
         starts_at = \"2024-06-30T09:00\"\nends_at = \"2024-07-30T21:00\"\nstock_cap = 5\n",
    )
    .unwrap();
    let id = {
        let conn = t.store.conn();
        let s = sale::create(conn, &shop, &f, now()).unwrap();
        let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
        run::launch(conn, &shop, &mut local, s.id, None, now()).unwrap();
        s.id
    };
    // Four units sold: the sale goes on.
    import_str(
        &mut t.store,
        ImportKind::Orders,
        "o1.csv",
        "order_id,ordered_at,sku,title,quantity,unit_price,currency\nC1,2024-06-30T13:00:00Z,VASE,Vase,4,3.60,GBP\n",
    )
    .unwrap();
    let conn = t.store.conn();
    let mut local = Local::new(conn, "2024-06-30T14:00:00Z".into());
    let later = Utc.with_ymd_and_hms(2024, 6, 30, 14, 0, 0).unwrap();
    assert!(
        merchant_desk::promotions::settle(conn, &shop, &mut local, later)
            .unwrap()
            .is_empty()
    );
    assert_eq!(sale::get(conn, id).unwrap().status, "live");
    // Two more: the cap of five is reached and the discount comes off.
    import_str(
        &mut t.store,
        ImportKind::Orders,
        "o2.csv",
        "order_id,ordered_at,sku,title,quantity,unit_price,currency\nC2,2024-06-30T15:00:00Z,VASE,Vase,2,3.60,GBP\n",
    )
    .unwrap();
    let conn = t.store.conn();
    let mut local = Local::new(conn, "2024-06-30T16:00:00Z".into());
    let notes =
        merchant_desk::promotions::settle(conn, &shop, &mut local, later + Duration::hours(2))
            .unwrap();
    assert!(
        notes[0]
            .what
            .contains("stock cap of 5 units was reached (6 sold)"),
        "{notes:?}"
    );
    assert_eq!(sale::get(conn, id).unwrap().status, "ended");
    let left: i64 = conn
        .query_row("SELECT count(*) FROM discounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

mod tiers_on_a_small_shop {
    use super::*;
    use merchant_desk::promotions::tiers::{self, TierFile};

    const VOLUME: &str =
        "name = \"Bulk lamps\"\nkind = \"volume\"\ntargets = { category = \"Lighting\" }\n\
        [[tier]]\nmin_quantity = 3\npercent = 5\n[[tier]]\nmin_quantity = 5\npercent = 10\n";
    const SPEND: &str =
        "name = \"Spend\"\nkind = \"spend\"\n[[tier]]\nmin_subtotal = \"20.00\"\npercent = 5\n";

    #[test]
    fn tiers_are_checked_previewed_looked_back_launched_and_ended() {
        let mut t = small_shop();
        // Orders of the last days: LAMP×5 (qualifies, 10 %), LAMP×3 + VASE×1
        // (LAMP qualifies, 5 %), LAMP×1, and one older than the look-back.
        import_str(
            &mut t.store,
            ImportKind::Orders,
            "orders.csv",
            "order_id,ordered_at,sku,title,quantity,unit_price,currency\n\
             A,2024-06-29T10:00:00Z,LAMP,Lamp,5,10.00,GBP\n\
             B,2024-06-28T10:00:00Z,LAMP,Lamp,3,10.00,GBP\n\
             B,2024-06-28T10:00:00Z,VASE,Vase,1,4.00,GBP\n\
             C,2024-06-27T10:00:00Z,LAMP,Lamp,1,10.00,GBP\n\
             D,2024-05-01T10:00:00Z,LAMP,Lamp,9,10.00,GBP\n",
        )
        .unwrap();
        let shop = t.store.require_shop().unwrap();
        let conn = t.store.conn();
        let volume = TierFile::parse(VOLUME).unwrap();
        // The deepest tier, 10 % off 10.00 = 9.00, keeps LAMP's floor 7.20.
        let (ok, problems) = tiers::check(conn, &shop, &volume, now()).unwrap();
        assert!(ok, "{problems:?}");

        let cart = |items: &[(&str, i64)]| -> Vec<(String, i64)> {
            items.iter().map(|(s, q)| (s.to_string(), *q)).collect()
        };
        let p = tiers::preview(conn, &shop, &volume, &cart(&[("LAMP", 5), ("VASE", 2)])).unwrap();
        assert_eq!(
            (
                p.lines[0].tier_bp,
                p.lines[0].discount_minor,
                p.lines[0].net_minor
            ),
            (1000, 500, 4500)
        );
        assert_eq!(p.lines[0].margin_minor, Some(4500 - 5 * 600));
        assert_eq!(p.lines[1].discount_minor, 0, "the vase is not in Lighting");
        assert_eq!(
            (p.subtotal_minor, p.discount_minor, p.total_minor),
            (5800, 500, 5300)
        );
        let p = tiers::preview(conn, &shop, &volume, &cart(&[("LAMP", 2)])).unwrap();
        assert_eq!(p.discount_minor, 0);
        assert!(tiers::preview(conn, &shop, &volume, &cart(&[("NOPE", 1)])).is_err());

        let spend = TierFile::parse(SPEND).unwrap();
        let p = tiers::preview(conn, &shop, &spend, &cart(&[("LAMP", 2)])).unwrap();
        assert_eq!(p.discount_minor, 100, "5 % of a 20.00 cart");
        let p = tiers::preview(conn, &shop, &spend, &cart(&[("VASE", 4)])).unwrap();
        assert_eq!(p.discount_minor, 0, "16.00 is under the threshold");

        // The last seven days: A (5.00 off) and B (1.50 off) qualify, C not.
        let l = tiers::lookback(conn, &shop, &volume, 7, now()).unwrap();
        assert_eq!(
            (l.orders, l.qualifying_orders, l.discount_cost_minor),
            (3, 2, 650)
        );
        assert_eq!(l.sales_minor, 9400);
        // Profit: 9 lamps × 4.00 + 1 vase × 2.00 = 38.00.
        assert_eq!(l.profit_minor, 3800);
        assert!((l.uplift_to_pay.unwrap() - 650.0 / 3800.0).abs() < 1e-12);

        // Launched: one automatic discount per tier; ended: none left.
        let set = tiers::create(conn, &shop, &volume, now()).unwrap();
        let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
        let live = tiers::launch(conn, &shop, &mut local, set.id, None, now()).unwrap();
        assert_eq!(live.status, "live");
        let defs: Vec<String> = conn
            .prepare("SELECT definition FROM discounts ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(defs.len(), 2);
        let first: merchant_desk::storefront::Discount = serde_json::from_str(&defs[0]).unwrap();
        assert_eq!(
            first.minimum,
            merchant_desk::storefront::Minimum::Quantity { quantity: 3 }
        );
        assert_eq!(
            first.value,
            merchant_desk::storefront::DiscountValue::Percentage { basis_points: 500 }
        );
        // A sale now stacks on the live tiers: 20 % off LAMP = 8.00, then
        // the 5 % and 10 % tiers: 8.00 × 0.95 × 0.90 = 6.84 < 7.20.
        let f = file(
            "{ skus = [\"LAMP\"] }",
            "{ percent = 20 }",
            "discount",
            "2024-07-01T09:00",
            "2024-07-01T21:00",
        );
        let r = sale::check(conn, &shop, &f, None, now()).unwrap();
        let lamp = r.items.iter().find(|i| i.sku == "LAMP").unwrap();
        assert_eq!(lamp.worst_case_minor, 684);
        assert!(r.problems.iter().any(|p| p.code == "stacks_below_floor"));
        let ended = tiers::end(conn, &mut local, set.id, now()).unwrap();
        assert_eq!(ended.status, "ended");
        let left: i64 = conn
            .query_row("SELECT count(*) FROM discounts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn tiers_below_the_floor_need_a_reason_and_bad_files_say_why() {
        let t = small_shop();
        let shop = t.store.require_shop().unwrap();
        let conn = t.store.conn();
        let deep = TierFile::parse(&VOLUME.replace("percent = 10", "percent = 30")).unwrap();
        let (ok, problems) = tiers::check(conn, &shop, &deep, now()).unwrap();
        assert!(!ok);
        assert!(
            problems[0]
                .message
                .contains("takes £10.00 to £7.00, below the margin floor £7.20"),
            "{problems:?}"
        );
        let set = tiers::create(conn, &shop, &deep, now()).unwrap();
        let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
        assert!(tiers::launch(conn, &shop, &mut local, set.id, None, now()).is_err());
        assert_eq!(
            tiers::launch(conn, &shop, &mut local, set.id, Some("clearance"), now())
                .unwrap()
                .status,
            "live"
        );

        let err = |t: &str| {
            TierFile::parse(t)
                .and_then(|f| f.steps("GBP"))
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("name = \"x\"\nkind = \"volume\"\n[[tier]]\nmin_quantity = 3\npercent = 5\n")
                .contains("need targets")
        );
        assert!(err(&VOLUME.replace("percent = 10", "percent = 5")).contains("take off more"));
        assert!(
            err(&VOLUME.replace("min_quantity = 5", "min_quantity = 3")).contains("same threshold")
        );
        assert!(
            err("name = \"x\"\nkind = \"spend\"\n[[tier]]\nmin_quantity = 3\npercent = 5\n")
                .contains("min_subtotal")
        );
    }
}

/// A fake shop of 40 invoices and a shop file the CLI has connected to it
/// and synced, in a temporary folder.
pub(crate) fn cli_on_the_fake() -> (crate::fake::FakeShop, tempfile::TempDir, std::path::PathBuf) {
    use crate::sync::{cli, ok};
    let fake = crate::fake::FakeShop::start(crate::fake::Options {
        invoices: Some(40),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    ok(&mut cli(
        &db,
        &[
            "connect",
            "shopify",
            "--shop",
            &fake.url,
            "--token-env",
            "FAKE_SHOPIFY_TOKEN",
        ],
    ));
    ok(&mut cli(&db, &["sync"]));
    (fake, dir, db)
}

/// The CLI killed while its launch push is on the wire (the fake holds the
/// request for three seconds, then carries it out): the next run settles
/// the sale from what the store has, and nothing is sent twice.
#[test]
fn a_cli_killed_mid_launch_is_settled_by_the_next_run() {
    use crate::fake::Fault;
    use crate::sync::{cli, ok};
    let (fake, dir, db) = cli_on_the_fake();
    let sku = {
        let state = fake.state.lock().unwrap();
        state
            .products
            .values()
            .flat_map(|p| &p.variants)
            .find(|v| v.price >= 100)
            .unwrap()
            .sku
            .clone()
    };
    let start = (Utc::now() + Duration::hours(2)).with_timezone(&chrono_tz::Europe::London);
    let file = dir.path().join("sale.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"Killed launch\"\ntargets = {{ skus = [\"{sku}\"] }}\ndiscount = {{ percent = 10 }}\nstarts_at = \"{}\"\nends_at = \"{}\"\n",
            start.format("%Y-%m-%dT%H:%M"),
            (start + Duration::hours(3)).format("%Y-%m-%dT%H:%M")
        ),
    )
    .unwrap();
    let id = ok(&mut cli(&db, &["sale", "create", file.to_str().unwrap()]))
        .trim()
        .to_string();
    fake.fault(Fault::Stall(std::time::Duration::from_secs(3)));
    let mut child = cli(
        &db,
        &[
            "sale",
            "launch",
            &id,
            "--override-floor",
            "no costs in this store",
        ],
    )
    .spawn()
    .unwrap();
    let watch = Connection::open(&db).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    // Killed once the creation is on the wire: the journal holds it as
    // pending and the fake has received it (and holds its answer).
    loop {
        let pending: i64 = watch
            .query_row(
                "SELECT count(*) FROM journal WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        let received = fake.state.lock().unwrap().received("AutomaticCreate") > 0;
        if pending > 0 && received {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the launch never reached the wire"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let stuck: (String, Option<i64>) = watch
        .query_row(
            "SELECT status, launch_batch FROM sales WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(stuck.0, "draft");
    assert!(
        stuck.1.is_some(),
        "the batch is the sale's before anything is sent"
    );
    // The fake carries the held request out after its stall.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while fake.state.lock().unwrap().discounts.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the held creation never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(fake.state.lock().unwrap().discounts.len(), 1);
    // The next run settles it from the store: on, and still one discount.
    let out = cli(&db, &["sale", "list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("had reached the store"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["sales"][0]["status"], "scheduled");
    assert_eq!(
        fake.state.lock().unwrap().discounts.len(),
        1,
        "never sent twice"
    );
    // And ending it takes it off the store.
    ok(&mut cli(&db, &["sale", "end", &id]));
    assert_eq!(fake.state.lock().unwrap().discounts.len(), 0);
}

#[test]
fn a_price_sale_left_live_past_its_end_is_reverted_once_by_the_next_run() {
    use crate::fake::FakeShop;
    use crate::sync::{cli, ok};
    let (fake, dir, db) = cli_on_the_fake();
    let (sku, variant, before) = {
        let state = fake.state.lock().unwrap();
        let v = state
            .products
            .values()
            .flat_map(|p| &p.variants)
            .find(|v| v.price >= 100)
            .unwrap();
        (v.sku.clone(), v.id, (v.price, v.compare_at))
    };
    let price = |fake: &FakeShop| {
        let mut state = fake.state.lock().unwrap();
        let v = state.variant_mut(variant).unwrap();
        (v.price, v.compare_at)
    };
    let now = Utc::now().with_timezone(&chrono_tz::Europe::London);
    let file = dir.path().join("sale.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"Price flash\"\nmode = \"price\"\ntargets = {{ skus = [\"{sku}\"] }}\ndiscount = {{ percent = 20 }}\nstarts_at = \"{}\"\nends_at = \"{}\"\n",
            (now - Duration::hours(1)).format("%Y-%m-%dT%H:%M"),
            (now + Duration::hours(1)).format("%Y-%m-%dT%H:%M")
        ),
    )
    .unwrap();
    let id = ok(&mut cli(&db, &["sale", "create", file.to_str().unwrap()]))
        .trim()
        .to_string();
    ok(&mut cli(
        &db,
        &[
            "sale",
            "launch",
            &id,
            "--override-floor",
            "no costs in this store",
        ],
    ));
    let during = price(&fake);
    assert!(during.0 < before.0, "{during:?} {before:?}");

    // The app is closed and the end passes: two hours ago, as the next run
    // finds it.
    let past = |h: i64| merchant_desk::time::fmt_utc(Utc::now() - Duration::hours(h));
    Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE sales SET starts_at = ?2, ends_at = ?3 WHERE id = ?1",
            rusqlite::params![id, past(4), past(2)],
        )
        .unwrap();
    let price_pushes =
        |fake: &crate::fake::FakeShop| fake.state.lock().unwrap().received("VariantPrices");
    let pushed = price_pushes(&fake);
    let out = cli(&db, &["sale", "list", "--json"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("minutes past its end") && said.contains("prices reverted now"),
        "{said}"
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["sales"][0]["status"], "ended");
    assert_eq!(
        price(&fake),
        before,
        "the price and compare-at are back exactly"
    );
    assert_eq!(price_pushes(&fake), pushed + 1, "one revert");
    // Another start: nothing left to do, nothing sent.
    let out = cli(&db, &["sale", "list"]).output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("reverted"));
    assert_eq!(price_pushes(&fake), pushed + 1, "never reverted twice");
    assert_eq!(price(&fake), before);
}

#[test]
fn products_are_targeted_by_title() {
    let t = small_shop();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let f = file(
        "{ products = [\"lamp\", \"Card\"] }",
        "{ percent = 10 }",
        "discount",
        "2024-07-01T09:00",
        "2024-07-01T21:00",
    );
    let skus: Vec<String> = sale::items(conn, &shop, &f)
        .unwrap()
        .into_iter()
        .map(|i| i.sku)
        .collect();
    assert_eq!(skus, vec!["CARD", "LAMP"]);
    let none = file(
        "{ products = [\"Teapot\"] }",
        "{ percent = 10 }",
        "discount",
        "2024-07-01T09:00",
        "2024-07-01T21:00",
    );
    assert!(sale::items(conn, &shop, &none)
        .unwrap_err()
        .to_string()
        .contains("no product called \"Teapot\""));
    assert!(SaleFile::parse(
        "name = \"x\"\ntargets = { products = [\"Lamp\"], skus = [\"VASE\"] }\ndiscount = { percent = 5 }\nstarts_at = \"2024-07-01T09:00\"\nends_at = \"2024-07-01T10:00\"\n"
    )
    .unwrap_err()
    .to_string()
    .contains("exactly one of skus, products"));
}

/// A draft the checks refused can be fixed or thrown away, on the command
/// line as in the app; a launched sale or tier set cannot be edited or
/// deleted, only ended.
#[test]
fn drafts_are_edited_and_deleted_and_launched_ones_are_not() {
    use crate::sync::{cli, ok};
    let (_fake, dir, db) = cli_on_the_fake();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let list = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&ok(&mut cli(&db, args))).unwrap()
    };
    let later = |days: i64| {
        (Utc::now() + Duration::days(days))
            .format("%Y-%m-%dT09:00")
            .to_string()
    };
    let sale = |percent: u32, name: &str| {
        format!(
            "name = \"{name}\"\ntargets = {{ category = \"No such category\" }}\ndiscount = {{ percent = {percent} }}\n\
             starts_at = \"{}\"\nends_at = \"{}\"\n",
            later(1),
            later(2)
        )
    };
    let codes = |id: &str| -> Vec<String> {
        let out = cli(&db, &["sale", "check", id, "--json"]).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_string())
            .collect()
    };
    // A sale the checks refuse (it matches nothing) is kept as a draft...
    let id = ok(&mut cli(
        &db,
        &["sale", "create", &write("bad.toml", &sale(10, "Bad"))],
    ))
    .trim()
    .to_string();
    assert!(codes(&id).contains(&"no_targets".to_string()));
    // ...and fixed by an edit.
    let good = sale(10, "Winter").replace("{ category = \"No such category\" }", "{ all = true }");
    ok(&mut cli(
        &db,
        &["sale", "edit", &id, &write("s.toml", &good)],
    ));
    assert!(!codes(&id).contains(&"no_targets".to_string()));
    let sales = list(&["sale", "list", "--json"]);
    let row = &sales["sales"][0];
    assert_eq!(row["file"]["name"], "Winter");
    assert_eq!(row["status"], "draft");
    let edited = good.replace("percent = 10", "percent = 20");
    ok(&mut cli(
        &db,
        &["sale", "edit", &id, &write("s3.toml", &edited)],
    ));
    assert_eq!(
        list(&["sale", "list", "--json"])["sales"][0]["file"]["discount"]["percent"].as_f64(),
        Some(20.0)
    );
    // An edit that does not parse keeps the draft as it was.
    let broken = cli(&db, &["sale", "edit", &id, &write("s4.toml", "name = ")])
        .output()
        .unwrap();
    assert!(!broken.status.success());
    assert_eq!(
        list(&["sale", "list", "--json"])["sales"][0]["file"]["name"],
        "Winter"
    );
    // Launched: neither edit nor delete, with the reason.
    ok(&mut cli(
        &db,
        &["sale", "launch", &id, "--override-floor", "test"],
    ));
    for args in [
        vec!["sale", "edit", id.as_str(), "s3.toml"],
        vec!["sale", "delete", id.as_str()],
    ] {
        let mut args = args.clone();
        let path = dir.path().join("s3.toml").to_str().unwrap().to_string();
        if args[1] == "edit" {
            args[3] = &path;
        }
        let out = cli(&db, &args).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("only a draft") && err.contains("end it first"),
            "{err}"
        );
    }
    // A second draft is deleted; the launched one stays.
    let other = ok(&mut cli(
        &db,
        &[
            "sale",
            "create",
            &write("o.toml", &good.replace("Winter", "Other")),
        ],
    ))
    .trim()
    .to_string();
    ok(&mut cli(&db, &["sale", "delete", &other]));
    let names: Vec<String> = list(&["sale", "list", "--json"])["sales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["Winter"]);
    let gone = cli(&db, &["sale", "delete", &other]).output().unwrap();
    assert!(!gone.status.success());

    // Tier sets alike.
    let tiers =
        "name = \"Spend\"\nkind = \"spend\"\n[[tier]]\nmin_subtotal = \"500.00\"\npercent = 1\n";
    let t = ok(&mut cli(&db, &["tiers", "create", &write("t.toml", tiers)]))
        .trim()
        .to_string();
    ok(&mut cli(
        &db,
        &[
            "tiers",
            "edit",
            &t,
            &write("t2.toml", &tiers.replace("Spend", "Big spend")),
        ],
    ));
    let sets = list(&["tiers", "list", "--json"]);
    assert_eq!(sets["tiers"][0]["file"]["name"], "Big spend");
    ok(&mut cli(&db, &["tiers", "delete", &t]));
    assert_eq!(
        list(&["tiers", "list", "--json"])["tiers"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
