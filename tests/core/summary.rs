//! The summary definitions of docs/metrics.md on a small fixture whose every
//! figure was worked out by hand.

use crate::fixtures::*;
use merchant_desk::import::ImportKind;
use merchant_desk::report::{self, DateRange, Granularity, RankBy};
use merchant_desk::time::parse_day;

const FIXTURE: &str = "\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
500001,85123A,HEART HOLDER,6,2011-07-01 09:00,2.55,100,United Kingdom
500001,POST,POSTAGE,1,2011-07-01 09:00,18.00,100,United Kingdom
500001,22423,REGENCY CAKESTAND,2,2011-07-01 09:00,10.95,100,United Kingdom
500002,85123A,HEART HOLDER,3,2011-07-01 23:30,2.95,100,United Kingdom
500003,22423,REGENCY CAKESTAND,1,2011-07-02 10:00,12.75,,United Kingdom
500004,85123A,HEART HOLDER,1,2011-07-02 11:00,0.00,200,United Kingdom
500005,21000,TINY THING,1000,2011-07-02 12:00,0.001,300,France
500006,85123A,HEART HOLDER,4,2011-07-03 00:30,2.55,400,United Kingdom
500007,85123A,HEART HOLDER,2,2011-06-30 23:59,2.55,400,United Kingdom
C500008,85123A,HEART HOLDER,-2,2011-07-02 09:00,2.55,100,United Kingdom
C500008,POST,POSTAGE,-1,2011-07-02 09:00,18.00,100,United Kingdom
500009,22423,REGENCY CAKESTAND,1,2011-07-01 10:00,10.95,500,Germany
500009,M,Manual,1,2011-07-01 10:00,5.00,500,Germany
500010,gift_0001_20,Dotcomgiftshop Gift Voucher £20.00,1,2011-07-01 10:00,20.00,600,United Kingdom
500011,85123A,damaged,-5,2011-07-02 13:00,0,,United Kingdom
500012,22423,REGENCY CAKESTAND,3,2011-07-02 14:00,0.335,500,Germany
";

fn range(from: &str, to: &str) -> DateRange {
    DateRange::new(parse_day(from).unwrap(), parse_day(to).unwrap()).unwrap()
}

#[test]
fn summary_matches_the_hand_computed_figures() {
    let mut t = temp_store();
    let report = import_str(
        &mut t.store,
        ImportKind::OnlineRetail,
        "fixture.csv",
        FIXTURE,
    )
    .unwrap();
    assert_eq!(report.rows_read, 16);
    assert_eq!(report.rows_skipped, 0);
    let shop = t.store.require_shop().unwrap();
    assert_eq!(
        (shop.currency.as_str(), shop.time_zone.as_str()),
        ("GBP", "Europe/London")
    );

    let s = report::summary(t.store.conn(), &shop, range("2011-07-01", "2011-07-02")).unwrap();
    // Sale orders: 500001, 500002 (customer 100), 500003 (guest), 500009 and 500012 (customer 500).
    // Not: 500004 (zero price), 500005 (price below a penny), 500006 (3 July local time),
    // 500007 (30 June local time), 500010 (a voucher), 500011 (stock adjustment).
    assert_eq!(s.orders, 5);
    assert_eq!(s.customers, 2);
    assert_eq!(s.repeat_customers, 2);
    assert_eq!(s.units, 6 + 2 + 3 + 1 + 1 + 3);
    // 15.30 + 21.90 + 8.85 + 12.75 + 10.95 + round(3 × 0.335 = 1.005) = 1.01
    assert_eq!(s.gross_sales, 1530 + 2190 + 885 + 1275 + 1095 + 101);
    // Only the merchandise line of the cancellation: 2 × 2.55.
    assert_eq!(s.refunds, 510);
    assert_eq!(s.net_sales, 7076 - 510);
    assert_eq!(s.aov, 1415); // 70.76 / 5 = 14.152
    assert_eq!(s.currency, "GBP");

    // One day: 1 July only.
    let day1 = report::summary(t.store.conn(), &shop, range("2011-07-01", "2011-07-01")).unwrap();
    assert_eq!(
        (day1.orders, day1.gross_sales, day1.refunds),
        (3, 1530 + 2190 + 885 + 1095, 0)
    );
    assert_eq!((day1.customers, day1.repeat_customers), (2, 1));
}

#[test]
fn series_and_top_products() {
    let mut t = temp_store();
    import_str(
        &mut t.store,
        ImportKind::OnlineRetail,
        "fixture.csv",
        FIXTURE,
    )
    .unwrap();
    let shop = t.store.require_shop().unwrap();
    let r = range("2011-06-30", "2011-07-03");
    let days = report::sales_series(t.store.conn(), &shop, r, Granularity::Day).unwrap();
    let figures: Vec<_> = days
        .iter()
        .map(|p| (p.start.to_string(), p.orders, p.gross_sales))
        .collect();
    assert_eq!(
        figures,
        vec![
            ("2011-06-30".to_string(), 1, 510),
            ("2011-07-01".to_string(), 3, 5700),
            ("2011-07-02".to_string(), 2, 1376),
            ("2011-07-03".to_string(), 1, 1020),
        ]
    );
    // 2011-06-30 is a Thursday: its week bucket starts on the range's first day.
    let weeks = report::sales_series(t.store.conn(), &shop, r, Granularity::Week).unwrap();
    assert_eq!(weeks.len(), 1);
    assert_eq!(weeks[0].gross_sales, 510 + 5700 + 1376 + 1020);

    let r = range("2011-07-01", "2011-07-02");
    let top = report::top_products(t.store.conn(), &shop, r, RankBy::Revenue, 10).unwrap();
    let rows: Vec<_> = top
        .iter()
        .map(|p| (p.sku.clone().unwrap(), p.units, p.revenue, p.orders))
        .collect();
    assert_eq!(
        rows,
        vec![("22423".into(), 7, 4661, 4), ("85123A".into(), 9, 2415, 2)]
    );
    let by_units = report::top_products(t.store.conn(), &shop, r, RankBy::Units, 1).unwrap();
    assert_eq!(by_units[0].sku.as_deref(), Some("85123A"));
    assert_eq!(by_units[0].title, "HEART HOLDER");
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    let mut t = temp_store();
    import_str(
        &mut t.store,
        ImportKind::OnlineRetail,
        "fixture.csv",
        FIXTURE,
    )
    .unwrap();
    let first = snapshot(&t.store);
    let again = import_str(
        &mut t.store,
        ImportKind::OnlineRetail,
        "fixture.csv",
        FIXTURE,
    )
    .unwrap();
    assert_eq!(again.rows_read, 16);
    assert_eq!(snapshot(&t.store), first);
    assert_eq!(count(&t.store, "import_runs"), 2);
    assert_eq!(count(&t.store, "orders"), 11);
    assert_eq!(count(&t.store, "refunds"), 1);
}

#[test]
fn a_new_time_zone_moves_orders_between_days() {
    let mut t = temp_store();
    import_str(
        &mut t.store,
        ImportKind::OnlineRetail,
        "fixture.csv",
        FIXTURE,
    )
    .unwrap();
    let mut shop = t.store.require_shop().unwrap();
    shop.time_zone = "America/New_York".into();
    t.store.set_shop(&shop, now()).unwrap();
    // 500006 was placed 2011-07-02 23:30 UTC: 19:30 on 2 July in New York.
    let s = report::summary(t.store.conn(), &shop, range("2011-07-02", "2011-07-02")).unwrap();
    assert_eq!(s.orders, 3, "500003, 500012 and 500006");
}
