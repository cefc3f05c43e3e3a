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

/// Weekly prices (see [`weekly_prices`]) of `weeks` weeks ending `to`,
/// read from a map covering more weeks ending `prices_to`.
pub type WeeklyPrices = HashMap<i64, Vec<Option<f64>>>;

/// Each variant's weekly history over the `weeks` weeks ending `to`, from
/// `sales` (days outside that span are ignored): units sold and the price in
/// force that week from `prices` (weeks ending `prices_to`; see
/// [`weekly_prices`]), else the average price paid. A week without a sale
/// keeps the last price seen (the item was on sale at it and nobody bought);
/// weeks before the first sale in the window are left out (the item may not
/// have existed).
pub fn weekly_items(
    variants: Vec<Variant>,
    sales: &DailySales,
    prices: &WeeklyPrices,
    prices_to: NaiveDate,
    to: NaiveDate,
    weeks: i64,
) -> Vec<(Variant, Item)> {
    let mut out = Vec::new();
    for v in variants {
        let units = weekly_units(sales.get(&v.id), to, weeks);
        let mut gross = vec![0i64; weeks as usize];
        for (day, _, g) in sales.get(&v.id).map(Vec::as_slice).unwrap_or(&[]) {
            let back = (to - *day).num_days();
            if (0..weeks * 7).contains(&back) {
                gross[(weeks - 1 - back / 7) as usize] += g;
            }
        }
        let listed = prices_for(prices.get(&v.id), prices_to, to, weeks);
        let mut history = Vec::new();
        let mut last_price: Option<f64> = None;
        for w in 0..weeks as usize {
            if let Some(p) = listed[w] {
                last_price = Some(p);
            } else if units[w] > 0.0 && gross[w] > 0 {
                last_price = Some(gross[w] as f64 / units[w]);
            }
            if let Some(price) = last_price {
                history.push(Observation {
                    price,
                    units: units[w].max(0.0),
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

/// Units sold in each of the `weeks` weeks ending `to` (oldest first).
pub fn weekly_units(
    rows: Option<&Vec<(NaiveDate, i64, i64)>>,
    to: NaiveDate,
    weeks: i64,
) -> Vec<f64> {
    let mut units = vec![0.0; weeks.max(0) as usize];
    for (day, u, _) in rows.map(Vec::as_slice).unwrap_or(&[]) {
        let back = (to - *day).num_days();
        if (0..weeks * 7).contains(&back) {
            units[(weeks - 1 - back / 7) as usize] += (*u).max(0) as f64;
        }
    }
    units
}

/// The `weeks` weeks ending `to` of a weekly price series ending `series_to`
/// (weeks before the series are `None`).
pub fn prices_for(
    series: Option<&Vec<Option<f64>>>,
    series_to: NaiveDate,
    to: NaiveDate,
    weeks: i64,
) -> Vec<Option<f64>> {
    let shift = (series_to - to).num_days() / 7;
    (0..weeks)
        .map(|w| {
            let series = series?;
            let i = series.len() as i64 - shift - (weeks - w);
            usize::try_from(i)
                .ok()
                .and_then(|i| series.get(i).copied().flatten())
        })
        .collect()
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

/// Per variant, the price in force in each of the `weeks` weeks ending `to`
/// (oldest first; a week is 7 of the shop's days, the last ending on `to`),
/// in minor units: the average of each day's price over the units sold
/// that week (over the week's days when none sold). A day's price is the list price from the price history where the history
/// reaches back to that day (the price in force at its end), else the price
/// most sale lines paid that day on account customers' orders (on any order
/// where no account customer bought): a list price, which a wholesale
/// buyer's tier price or a guest's surcharge does not move. A day with
/// neither keeps the day before's price (or, at the start, the first price
/// of the week). `None` for a week without any.
pub fn weekly_prices(
    conn: &Connection,
    shop: &Shop,
    to: NaiveDate,
    weeks: i64,
) -> Result<HashMap<i64, Vec<Option<f64>>>> {
    let tz = shop.tz()?;
    let days = (weeks * 7) as usize;
    let first_day = to - chrono::Days::new(days as u64 - 1);
    // A day's margin either side covers any offset; days outside are skipped.
    let utc_midnight =
        |d: NaiveDate| crate::time::fmt_utc(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    let from = utc_midnight(first_day.pred_opt().unwrap_or(first_day));
    let until = utc_midnight(to + chrono::Days::new(2));
    let day_of = |day: NaiveDate| -> Option<usize> {
        let i = (day - first_day).num_days();
        (0..days as i64).contains(&i).then_some(i as usize)
    };
    // (variant, day) → price → (account lines, all lines); units a day.
    let mut counts: HashMap<(i64, usize), HashMap<i64, (u32, u32)>> = HashMap::new();
    let mut units: HashMap<i64, Vec<f64>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT l.variant_id, o.placed_at, l.unit_price_minor, o.customer_id IS NOT NULL, l.quantity
         FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE o.currency = ?1 AND o.placed_at >= ?2 AND o.placed_at < ?3
           AND l.quantity > 0 AND l.unit_price_minor >= 1",
    )?;
    let rows = stmt.query_map(params![shop.currency, from, until], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (variant, placed, price, account, quantity) = row?;
        let Ok(t) = chrono::DateTime::parse_from_rfc3339(&placed) else {
            continue;
        };
        let Some(d) = day_of(t.with_timezone(&tz).date_naive()) else {
            continue;
        };
        let c = counts
            .entry((variant, d))
            .or_default()
            .entry(price)
            .or_default();
        c.0 += u32::from(account);
        c.1 += 1;
        units.entry(variant).or_insert_with(|| vec![0.0; days])[d] += quantity as f64;
    }
    let mut daily: HashMap<i64, Vec<Option<i64>>> = HashMap::new();
    for ((variant, d), prices) in counts {
        let accounts = prices.values().any(|c| c.0 > 0);
        // The most lines; ties to the higher price (the list price, not a
        // tier's).
        let modal = prices
            .iter()
            .max_by_key(|(p, c)| (if accounts { c.0 } else { c.1 }, **p))
            .map(|(p, _)| *p);
        daily.entry(variant).or_insert_with(|| vec![None; days])[d] = modal;
    }
    // The price history, where it reaches back: the price in force at the
    // end of each day (the shop's midnight after it).
    let mut history = conn.prepare(
        "SELECT h.variant_id, h.changed_at, h.price_minor FROM price_history h
         JOIN variants v ON v.id = h.variant_id
         WHERE v.currency = ?1 AND h.changed_at >= (
           SELECT min(c.changed_at) FROM price_history c
           WHERE c.variant_id = h.variant_id AND c.previous_price_minor IS NOT NULL)
         ORDER BY h.variant_id, h.changed_at",
    )?;
    let mut changes: HashMap<i64, Vec<(chrono::DateTime<chrono::Utc>, i64)>> = HashMap::new();
    for row in history.query_map([&shop.currency], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (variant, at, price) = row?;
        if let Ok(at) = crate::time::parse_utc(&at) {
            changes.entry(variant).or_default().push((at, price));
        }
    }
    let day_ends: Vec<chrono::DateTime<chrono::Utc>> = (0..days)
        .map(|d| {
            let next = first_day + chrono::Days::new(d as u64 + 1);
            crate::time::local_to_utc(tz, next.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .collect();
    for (variant, list) in changes {
        // Before the first change the history does not know the price.
        if list.first().is_none_or(|(at, _)| *at >= day_ends[days - 1]) {
            continue;
        }
        let series = daily.entry(variant).or_insert_with(|| vec![None; days]);
        for (slot, end) in series.iter_mut().zip(&day_ends) {
            if let Some((_, p)) = list.iter().rev().find(|(at, _)| at < end) {
                *slot = Some(*p);
            }
        }
    }
    let none = vec![0.0; days];
    Ok(daily
        .into_iter()
        .map(|(variant, prices)| {
            let sold = units.get(&variant).unwrap_or(&none);
            let weekly = prices
                .chunks(7)
                .zip(sold.chunks(7))
                .scan(None, |last: &mut Option<i64>, (week, sold)| {
                    let first = week.iter().find_map(|p| *p);
                    let mut price = last.or(first);
                    let (mut by_day, mut by_unit, mut units) = (0.0, 0.0, 0.0);
                    for (p, u) in week.iter().zip(sold) {
                        price = p.or(price);
                        let p = price.unwrap_or(0) as f64;
                        by_day += p;
                        by_unit += p * u;
                        units += u;
                    }
                    *last = price;
                    Some(price.map(|_| {
                        if units > 0.0 {
                            by_unit / units
                        } else {
                            by_day / 7.0
                        }
                    }))
                })
                .collect();
            (variant, weekly)
        })
        .collect())
}
