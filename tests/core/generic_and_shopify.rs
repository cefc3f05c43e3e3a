//! The generic CSV formats and Shopify's admin exports.

use crate::fixtures::*;
use merchant_desk::import::ImportKind;
use merchant_desk::report::{self, DateRange};
use merchant_desk::time::parse_day;

fn price_history(store: &merchant_desk::store::Store, sku: &str) -> Vec<(i64, Option<i64>)> {
    store
        .conn()
        .prepare(
            "SELECT h.price_minor, h.previous_price_minor FROM price_history h JOIN variants v ON v.id = h.variant_id
             WHERE v.sku = ?1 ORDER BY h.id",
        )
        .unwrap()
        .query_map([sku], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn variant(
    store: &merchant_desk::store::Store,
    sku: &str,
) -> (i64, Option<i64>, Option<i64>, Option<i64>, String) {
    store
        .conn()
        .query_row(
            "SELECT v.price_minor, v.compare_at_minor, v.cost_minor, v.stock, coalesce(p.category, '')
             FROM variants v JOIN products p ON p.id = v.product_id WHERE v.sku = ?1",
            [sku],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
}

#[test]
fn products_csv_updates_what_it_names_and_records_price_changes() {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("EUR", "Europe/Berlin"), now())
        .unwrap();
    let first = "sku,title,category,price,compare_at_price,cost,stock\nS1,Soap,Bath,2.00,2.50,0.80,10\nS2,Candle,,5.00,,,\n";
    let r = import_str(&mut t.store, ImportKind::Products, "products.csv", first).unwrap();
    assert_eq!((r.rows_read, r.rows_imported, r.price_changes), (2, 2, 0));
    assert_eq!(
        variant(&t.store, "S1"),
        (200, Some(250), Some(80), Some(10), "Bath".into())
    );
    assert_eq!(variant(&t.store, "S2"), (500, None, None, None, "".into()));

    // Only sku, title and price are required; blank cells keep what is stored.
    let second = "sku,title,price,cost,stock\nS1,Soap bar,2.50,,8\n";
    let r = import_str(&mut t.store, ImportKind::Products, "products2.csv", second).unwrap();
    assert_eq!(r.price_changes, 1);
    assert_eq!(
        variant(&t.store, "S1"),
        (250, Some(250), Some(80), Some(8), "Bath".into())
    );
    assert_eq!(
        price_history(&t.store, "S1"),
        vec![(200, None), (250, Some(200))]
    );
    assert_eq!(price_history(&t.store, "S2"), vec![(500, None)]);
    let title: String = t
        .store
        .conn()
        .query_row("SELECT title FROM variants WHERE sku = 'S1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(title, "Soap bar");

    // The same file again: no new price history.
    import_str(&mut t.store, ImportKind::Products, "products2.csv", second).unwrap();
    assert_eq!(price_history(&t.store, "S1").len(), 2);
    assert_eq!(count(&t.store, "variants"), 2);
}

#[test]
fn orders_csv_groups_lines_and_skips_what_it_cannot_keep() {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("EUR", "Europe/Berlin"), now())
        .unwrap();
    import_str(
        &mut t.store,
        ImportKind::Products,
        "p.csv",
        "sku,title,price\nS1,Soap,2.00\n",
    )
    .unwrap();
    let orders = "\
order_id,ordered_at,sku,title,quantity,unit_price,currency,customer_id,customer_email,country
A1,2024-03-05T10:00:00+01:00,S1,Soap,2,2.00,EUR,,Ann@Example.com,DE
A1,2024-03-05T10:00:00+01:00,S9,Mug,1,7.50,EUR,,ann@example.com,DE
A2,2024-03-05T23:30:00Z,S1,Soap,1,1.99,EUR,,ann@example.com,DE
A3,2024-03-06 09:00:00,S1,Soap,1,2.00,USD,,bob@example.com,US
A4,2024-03-06,S1,Soap,0,2.00,EUR,c-7,,FR
";
    let r = import_str(&mut t.store, ImportKind::Orders, "orders.csv", orders).unwrap();
    assert_eq!((r.rows_read, r.rows_imported, r.rows_skipped), (5, 3, 2));
    let reasons: Vec<_> = r
        .issues
        .iter()
        .map(|i| (i.action.as_str(), i.lines.clone()))
        .collect();
    assert!(reasons.contains(&("skipped", vec![5])), "{reasons:?}");
    assert!(reasons.contains(&("skipped", vec![6])), "{reasons:?}");
    assert_eq!(count(&t.store, "orders"), 2);
    assert_eq!(
        count(&t.store, "customers"),
        1,
        "one customer, matched by e-mail in any case"
    );
    // S9 was unknown: created from the order line.
    assert_eq!(variant(&t.store, "S9").0, 750);
    // A2 is 00:30 on 6 March in Berlin.
    let shop = t.store.require_shop().unwrap();
    let d = |s| parse_day(s).unwrap();
    let s5 = report::summary(
        t.store.conn(),
        &shop,
        DateRange::new(d("2024-03-05"), d("2024-03-05")).unwrap(),
    )
    .unwrap();
    assert_eq!((s5.orders, s5.gross_sales, s5.units), (1, 400 + 750, 3));
    let s6 = report::summary(
        t.store.conn(),
        &shop,
        DateRange::new(d("2024-03-06"), d("2024-03-06")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (s6.orders, s6.gross_sales, s6.repeat_customers),
        (1, 199, 0)
    );
    let before = snapshot(&t.store);
    import_str(&mut t.store, ImportKind::Orders, "orders.csv", orders).unwrap();
    assert_eq!(snapshot(&t.store), before);
}

const SHOPIFY_ORDERS: &str = "\
Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Country,Cancelled at,Refunded Amount,Id
#1001,jo@example.com,paid,2024-03-05 10:23:45 -0500,fulfilled,,no,USD,35.00,4.99,0.00,39.99,,0.00,Standard,2024-03-05 10:23:45 -0500,2,Blue Tee - M,12.50,,TEE-BLUE-M,true,true,fulfilled,Jo Doe,US,,,5550001
#1001,jo@example.com,,,,,,,,,,,,,,,1,Mug,10.00,,MUG-1,true,true,fulfilled,,,,,
#1002,sam@example.com,partially_refunded,2024-03-06 09:00:00 -0500,,,,USD,25.00,0.00,0.00,25.00,,0.00,,2024-03-06 09:00:00 -0500,1,Gift card,25.00,,,false,false,,Sam Roe,US,,10.00,5550002
";

#[test]
fn shopify_orders_export_spreads_an_order_over_rows() {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("USD", "America/New_York"), now())
        .unwrap();
    let r = import_str(
        &mut t.store,
        ImportKind::ShopifyOrders,
        "orders_export.csv",
        SHOPIFY_ORDERS,
    )
    .unwrap();
    assert_eq!(
        (r.rows_read, r.orders, r.refunds, r.customers),
        (3, 2, 1, 2)
    );
    let lines: i64 = t
        .store
        .conn()
        .query_row("SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.number = '#1001'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(lines, 3, "two items and the shipping");
    let placed: String = t
        .store
        .conn()
        .query_row(
            "SELECT placed_at FROM orders WHERE external_id = '5550001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(placed, "2024-03-05T15:23:45Z");
    let shop = t.store.require_shop().unwrap();
    let d = |s| parse_day(s).unwrap();
    let s = report::summary(
        t.store.conn(),
        &shop,
        DateRange::new(d("2024-03-01"), d("2024-03-31")).unwrap(),
    )
    .unwrap();
    // Shipping is not merchandise: 2 × 12.50 + 10.00 + 25.00.
    assert_eq!(
        (s.orders, s.gross_sales, s.refunds, s.units),
        (2, 6000, 1000, 4)
    );
    let before = snapshot(&t.store);
    import_str(
        &mut t.store,
        ImportKind::ShopifyOrders,
        "orders_export.csv",
        SHOPIFY_ORDERS,
    )
    .unwrap();
    assert_eq!(snapshot(&t.store), before);
}

#[test]
fn shopify_products_export_has_a_row_per_variant_and_image() {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("USD", "America/New_York"), now())
        .unwrap();
    let csv = "\
Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Inventory Qty,Variant Price,Variant Compare At Price,Image Src,Cost per item,Status
blue-tee,Blue Tee,<p>Soft</p>,Acme,Apparel & Accessories > Clothing > Shirts & Tops,T-Shirts,,true,Size,S,TEE-BLUE-S,5,12.50,15.00,https://cdn.example/1.jpg,4.00,active
blue-tee,,,,,,,,,M,TEE-BLUE-M,0,12.50,15.00,,4.00,
blue-tee,,,,,,,,,,,,,,https://cdn.example/2.jpg,,
mug,Mug,,Acme,Home & Garden > Kitchen & Dining > Drinkware,,,true,Title,Default Title,MUG-1,12,10.00,,,3.10,draft
";
    let r = import_str(
        &mut t.store,
        ImportKind::ShopifyProducts,
        "products_export.csv",
        csv,
    )
    .unwrap();
    assert_eq!((r.rows_read, r.rows_skipped, r.variants), (4, 1, 3));
    assert_eq!(
        variant(&t.store, "TEE-BLUE-M"),
        (1250, Some(1500), Some(400), Some(0), "T-Shirts".into())
    );
    assert_eq!(
        variant(&t.store, "MUG-1"),
        (1000, None, Some(310), Some(12), "Drinkware".into())
    );
    let (title, active): (String, bool) = t
        .store
        .conn()
        .query_row(
            "SELECT title, active FROM variants WHERE sku = 'TEE-BLUE-S'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((title.as_str(), active), ("Blue Tee – S", true));
    let mug_active: bool = t
        .store
        .conn()
        .query_row("SELECT active FROM variants WHERE sku = 'MUG-1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!mug_active, "a draft product is not active");
    // A price change in a later export lands in price history.
    let changed = csv.replace("10.00,,,3.10,draft", "9.00,,,3.10,active");
    let r = import_str(
        &mut t.store,
        ImportKind::ShopifyProducts,
        "products_export.csv",
        &changed,
    )
    .unwrap();
    assert_eq!(r.price_changes, 1);
    assert_eq!(count(&t.store, "variants"), 3);
}
