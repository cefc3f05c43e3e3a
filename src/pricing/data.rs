//! What the pricing models read from the store.

use super::elasticity::{Item, Observation};
use crate::error::Result;
use crate::store::Shop;
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// A merchandise variant as pricing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: i64,
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    pub price_minor: i64,
    pub compare_at_minor: Option<i64>,
    pub cost_minor: Option<i64>,
    pub stock: Option<i64>,
}

/// Active merchandise variants with a SKU, in the shop's currency.
pub fn variants(conn: &Connection, shop: &Shop) -> Result<Vec<Variant>> {
    let mut stmt = conn.prepare(
        "SELECT v.id, v.sku, p.title, p.category, v.price_minor, v.compare_at_minor, v.cost_minor, v.stock
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.kind = 'merchandise' AND v.active = 1 AND v.sku IS NOT NULL AND v.currency = ?1
         ORDER BY v.sku, v.id",
    )?;
    let rows = stmt.query_map([&shop.currency], |r| {
        Ok(Variant {
            id: r.get(0)?,
            sku: r.get(1)?,
            title: r.get(2)?,
            category: r.get(3)?,
            price_minor: r.get(4)?,
            compare_at_minor: r.get(5)?,
            cost_minor: r.get(6)?,
            stock: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Per variant: (day, units, gross minor) rows.
pub type DailySales = HashMap<i64, Vec<(NaiveDate, i64, i64)>>;

/// Daily units and gross sales per variant over `(to − days, to]`.
pub fn daily_sales(conn: &Connection, shop: &Shop, to: NaiveDate, days: i64) -> Result<DailySales> {
    let from = to - chrono::Days::new(days as u64);
    let mut stmt = conn.prepare(
        "SELECT variant_id, day, units, gross_minor FROM sales_by_variant_day
         WHERE currency = ?1 AND day > ?2 AND day <= ?3 ORDER BY variant_id, day",
    )?;
    let mut out = DailySales::new();
    let rows = stmt.query_map(
        params![shop.currency, from.to_string(), to.to_string()],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        },
    )?;
    for row in rows {
        let (variant, day, units, gross) = row?;
        if let Ok(day) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
            out.entry(variant).or_default().push((day, units, gross));
        }
    }
    Ok(out)
}

/// The share of a day's units sold in each hour of the shop's day (0–23),
/// over the orders of the 365 days up to `to`; even hours when there are
/// none. Sums to 1.
pub fn hour_shares(conn: &Connection, shop: &Shop, to: NaiveDate) -> Result<[f64; 24]> {
    use chrono::Timelike;
    let tz = shop.tz()?;
    // A day's margin either side of the shop's days covers any offset.
    let from = to - chrono::Days::new(366);
    let until = to + chrono::Days::new(2);
    let mut stmt = conn.prepare(
        "SELECT o.placed_at, sum(ol.quantity) FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE o.status != 'cancelled' AND o.currency = ?1 AND o.placed_at >= ?2 AND o.placed_at < ?3
         GROUP BY o.id",
    )?;
    let mut units = [0.0f64; 24];
    let rows = stmt.query_map(
        params![shop.currency, from.to_string(), until.to_string()],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?;
    for row in rows {
        let (placed, n) = row?;
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&placed) {
            units[t.with_timezone(&tz).hour() as usize] += n.max(0) as f64;
        }
    }
    let total: f64 = units.iter().sum();
    Ok(if total > 0.0 {
        units.map(|u| u / total)
    } else {
        [1.0 / 24.0; 24]
    })
}

/// Units and gross sales (negatives as 0) of `rows` on the days `d` with
/// `nearest ≤ to − d < farthest` days back.
pub fn sum_back(
    rows: Option<&Vec<(NaiveDate, i64, i64)>>,
    to: NaiveDate,
    farthest: i64,
    nearest: i64,
) -> (i64, i64) {
    rows.map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|(day, _, _)| {
            let back = (to - *day).num_days();
            back >= nearest && back < farthest
        })
        .fold((0, 0), |(u, g), (_, du, dg)| {
            (u + du.max(&0), g + dg.max(&0))
        })
}

/// Each variant's weekly history over the `weeks` weeks ending `to`, from
/// `sales` (days outside that span are ignored): units sold and the average
/// price paid. A week without a sale keeps the last price seen (the item was
/// on sale at it and nobody bought); weeks before the first sale in the
/// window are left out (the item may not have existed).
pub fn weekly_items(
    variants: Vec<Variant>,
    sales: &DailySales,
    to: NaiveDate,
    weeks: i64,
) -> Vec<(Variant, Item)> {
    let mut out = Vec::new();
    for v in variants {
        let mut units = vec![0i64; weeks as usize];
        let mut gross = vec![0i64; weeks as usize];
        for (day, u, g) in sales.get(&v.id).map(Vec::as_slice).unwrap_or(&[]) {
            // Week 0 is the oldest.
            let back = (to - *day).num_days();
            if !(0..weeks * 7).contains(&back) {
                continue;
            }
            let w = (weeks - 1 - back / 7) as usize;
            units[w] += u;
            gross[w] += g;
        }
        let mut history = Vec::new();
        let mut last_price: Option<f64> = None;
        for w in 0..weeks as usize {
            if units[w] > 0 && gross[w] > 0 {
                last_price = Some(gross[w] as f64 / units[w] as f64);
            }
            if let Some(price) = last_price {
                history.push(Observation {
                    price,
                    units: units[w].max(0) as f64,
                    days: 7.0,
                });
            }
        }
        let item = Item {
            sku: v.sku.clone(),
            title: v.title.clone(),
            category: v.category.clone(),
            history,
        };
        out.push((v, item));
    }
    out
}

/// Variants in a promotion live at `now`, with the promotion's name: a
/// discount running now that names the variant or its product (or an
/// automatic one on everything), or a price marked down below compare-at.
pub fn live_promotions(
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HashMap<i64, String>> {
    use crate::storefront::{DiscountMethod, Items};
    let stamp = crate::time::fmt_utc(now);
    let mut out = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT v.id, v.compare_at_minor FROM variants v WHERE v.compare_at_minor > v.price_minor",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (id, _) = row?;
        out.insert(id, "marked down below its compare-at price".to_string());
    }
    let mut by_variant = conn.prepare_cached(
        "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
         WHERE v.external_id = ?1 OR p.external_id = ?1",
    )?;
    // Live now: started by now (second-resolution UTC text) and not ended.
    let until = crate::time::fmt_utc(now + chrono::Duration::seconds(1));
    for d in crate::storefront::local::discounts_overlapping(conn, &stamp, &until)? {
        match &d.items {
            Items::All if d.method == DiscountMethod::Automatic => {
                let mut all = conn.prepare("SELECT id FROM variants")?;
                for id in all.query_map([], |r| r.get::<_, i64>(0))? {
                    out.entry(id?).or_insert_with(|| d.title.clone());
                }
            }
            Items::All => {}
            Items::Some { products, variants } => {
                for ext in products.iter().chain(variants) {
                    for id in by_variant.query_map([ext], |r| r.get::<_, i64>(0))? {
                        out.entry(id?).or_insert_with(|| d.title.clone());
                    }
                }
            }
        }
    }
    Ok(out)
}
