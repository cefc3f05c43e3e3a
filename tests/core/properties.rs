//! Invariants over generated order files.

use crate::fixtures::*;
use merchant_desk::import::ImportKind;
use merchant_desk::report::{self, DateRange};
use merchant_desk::time::parse_day;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
struct Line {
    order: u8,
    sku: u8,
    quantity: i64,
    price_cents: i64,
    day: u8,
    customer: Option<u8>,
}

fn line() -> impl Strategy<Value = Line> {
    (
        0u8..12,
        0u8..5,
        1i64..30,
        0i64..4000,
        0u8..6,
        proptest::option::of(0u8..4),
    )
        .prop_map(|(order, sku, quantity, price_cents, day, customer)| Line {
            order,
            sku,
            quantity,
            price_cents,
            day,
            customer,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn summary_equals_the_definition_and_reimport_is_identity(lines in proptest::collection::vec(line(), 1..40)) {
        let mut t = temp_store();
        t.store.set_shop(&shop("GBP", "UTC"), now()).unwrap();
        // An order's date and customer come from its first line, as in the importer.
        let mut first: HashMap<u8, (u8, Option<u8>)> = HashMap::new();
        let mut csv = String::from("order_id,ordered_at,sku,title,quantity,unit_price,currency,customer_id\n");
        for l in &lines {
            first.entry(l.order).or_insert((l.day, l.customer));
            csv.push_str(&format!(
                "O{},2024-01-{:02}T12:00:00Z,SKU{},Item {},{},{}.{:02},GBP,{}\n",
                l.order, 1 + l.day, l.sku, l.sku, l.quantity, l.price_cents / 100, l.price_cents % 100,
                l.customer.map(|c| format!("C{c}")).unwrap_or_default()
            ));
        }
        import_str(&mut t.store, ImportKind::Orders, "gen.csv", &csv).unwrap();
        let snap = snapshot(&t.store);
        import_str(&mut t.store, ImportKind::Orders, "gen.csv", &csv).unwrap();
        prop_assert_eq!(snapshot(&t.store), snap);

        let sale: Vec<&Line> = lines.iter().filter(|l| l.price_cents >= 1).collect();
        let orders: HashSet<u8> = sale.iter().map(|l| l.order).collect();
        let mut per_customer: HashMap<u8, usize> = HashMap::new();
        for o in &orders {
            if let Some(c) = first[o].1 {
                *per_customer.entry(c).or_insert(0) += 1;
            }
        }
        let gross: i64 = sale.iter().map(|l| l.quantity * l.price_cents).sum();
        let shop = t.store.require_shop().unwrap();
        let range = DateRange::new(parse_day("2024-01-01").unwrap(), parse_day("2024-01-31").unwrap()).unwrap();
        let s = report::summary(t.store.conn(), &shop, range).unwrap();
        prop_assert_eq!(s.orders, orders.len() as i64);
        prop_assert_eq!(s.units, sale.iter().map(|l| l.quantity).sum::<i64>());
        prop_assert_eq!(s.gross_sales, gross);
        prop_assert_eq!(s.customers, per_customer.len() as i64);
        prop_assert_eq!(s.repeat_customers, per_customer.values().filter(|n| **n >= 2).count() as i64);
        let days = report::sales_series(t.store.conn(), &shop, range, report::Granularity::Day).unwrap();
        prop_assert_eq!(days.iter().map(|d| d.gross_sales).sum::<i64>(), gross);
        prop_assert_eq!(days.len(), 31);
        let top = report::top_products(t.store.conn(), &shop, range, report::RankBy::Revenue, 100).unwrap();
        prop_assert_eq!(top.iter().map(|p| p.revenue).sum::<i64>(), gross);
        prop_assert!(top.windows(2).all(|w| w[0].revenue >= w[1].revenue));
    }
}
