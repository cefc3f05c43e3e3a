//! What the pricing models read from the store.

use super::elasticity::{Band, Item, Observation, BANDS};
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

/// Per variant, its [`Week`]s (see [`weekly_prices`]).
pub type WeeklyPrices = HashMap<i64, Vec<Week>>;

/// A variant's weeks over a window, as read once for every use: its units
/// each week, the week as listed (see [`Week`]), and the history the
/// elasticity is fitted on.
#[derive(Debug, Clone)]
pub struct Weekly {
    pub variant: Variant,
    /// Units sold each week, oldest first.
    pub units: Vec<f64>,
    /// Each week as listed (`None`: no price known).
    pub listed: Vec<Option<Week>>,
    pub item: Item,
}

/// Each variant's weekly history over the `weeks` weeks ending `to`, from
/// `sales` (days outside that span are ignored): units sold, split by band
/// as the week's lines were, and the price in force that week from `prices`
/// (weeks ending `prices_to`; see [`weekly_prices`]), else the average
/// price paid. A week without a sale keeps the last price seen (the item
/// was on sale at it and nobody bought); weeks before the first sale in the
/// window are left out of the fit (the item may not have existed).
pub fn weekly_items(
    variants: Vec<Variant>,
    sales: &DailySales,
    prices: &WeeklyPrices,
    prices_to: NaiveDate,
    to: NaiveDate,
    weeks: i64,
) -> Vec<Weekly> {
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
        let listed = window(prices.get(&v.id), prices_to, to, weeks);
        let mut history = Vec::new();
        let mut last_price: Option<f64> = None;
        for w in 0..weeks as usize {
            let week = listed[w].unwrap_or_default();
            if let Some(p) = week.price {
                last_price = Some(p);
            } else if units[w] > 0.0 && gross[w] > 0 {
                last_price = Some(gross[w] as f64 / units[w]);
            }
            if let Some(price) = last_price {
                let u = units[w].max(0.0);
                let mut split = if week.shares.iter().sum::<f64>() > 0.0 {
                    week.shares.map(|s| s * u)
                } else {
                    [0.0; BANDS]
                };
                if split.iter().sum::<f64>() == 0.0 {
                    split[Band::Ordinary as usize] = u;
                }
                history.push(Observation {
                    price,
                    units: split,
                    days: 7.0,
                    promo: week.promo,
                });
            }
        }
        let item = Item {
            variant_id: v.id,
            sku: v.sku.clone(),
            title: v.title.clone(),
            category: v.category.clone(),
            history,
        };
        out.push(Weekly {
            variant: v,
            units,
            listed,
            item,
        });
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

/// The `weeks` weeks ending `to` of a weekly series ending `series_to`
/// (weeks outside the series are `None`).
pub fn window<T: Copy>(
    series: Option<&Vec<T>>,
    series_to: NaiveDate,
    to: NaiveDate,
    weeks: i64,
) -> Vec<Option<T>> {
    let shift = (series_to - to).num_days() / 7;
    (0..weeks)
        .map(|w| {
            let series = series?;
            let i = series.len() as i64 - shift - (weeks - w);
            usize::try_from(i).ok().and_then(|i| series.get(i).copied())
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

/// A variant's week as the shop listed it: the price in force, the share of
/// the week's units that came on each [`Band`] of lines (all 0 for a week
/// without a line), and the share of its days under a promotion.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Week {
    pub price: Option<f64>,
    pub shares: [f64; BANDS],
    pub promo: f64,
}

/// The smallest line quantity that counts as wholesale-size for an item
/// whose typical (median) line is `median` units: four times that, and at
/// least a dozen.
pub fn wholesale_size(median: i64) -> i64 {
    (4 * median).max(12)
}

/// Per variant, its [`Week`]s over the `weeks` weeks ending `to` (oldest
/// first; a week is 7 of the shop's days, the last ending on `to`).
///
/// The price is the average of each day's price over the units sold that
/// week (over the week's days when none sold), in minor units. A day's
/// price is the list price from the price history where the history
/// reaches back to that day (the price in force at its end), else the price
/// most of that day's ordinary lines paid: lines of account customers below
/// [`wholesale_size`] (for an item that never had one, any account
/// customer's lines; for one never bought with an account, any lines). A
/// list price, which a wholesale buyer's tier price or a guest's surcharge
/// does not move. A day with neither keeps the day before's price (or, at
/// the start, the first price of the week); a week without any has `None`.
///
/// A day is under a promotion when its list price is below its compare-at
/// price (a markdown), or a discount the shop knows of (pulled from the
/// storefront, or pushed by Merchant Desk and in the journal) ran that day
/// on the variant, its product, or, automatically, on everything.
pub fn weekly_prices(
    conn: &Connection,
    shop: &Shop,
    to: NaiveDate,
    weeks: i64,
) -> Result<WeeklyPrices> {
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
    struct Line {
        day: usize,
        price: i64,
        account: bool,
        quantity: i64,
    }
    let mut lines: HashMap<i64, Vec<Line>> = HashMap::new();
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
        let Some(day) = day_of(t.with_timezone(&tz).date_naive()) else {
            continue;
        };
        lines.entry(variant).or_default().push(Line {
            day,
            price,
            account,
            quantity,
        });
    }
    // Per variant: each day's modal price, and units by band.
    let mut daily: HashMap<i64, Vec<Option<i64>>> = HashMap::new();
    let mut banded: HashMap<i64, Vec<[f64; BANDS]>> = HashMap::new();
    for (variant, lines) in &lines {
        let mut sizes: Vec<i64> = lines
            .iter()
            .filter(|l| l.account)
            .map(|l| l.quantity)
            .collect();
        let cut = if sizes.is_empty() {
            i64::MAX
        } else {
            let mid = sizes.len() / 2;
            wholesale_size(*sizes.select_nth_unstable(mid).1)
        };
        let band = |l: &Line| match (l.account, l.quantity >= cut) {
            (false, _) => Band::Guest,
            (true, false) => Band::Ordinary,
            (true, true) => Band::Wholesale,
        };
        let source = [Band::Ordinary, Band::Wholesale, Band::Guest]
            .into_iter()
            .find(|b| lines.iter().any(|l| band(l) == *b))
            .unwrap_or(Band::Guest);
        let counts_from = |l: &Line| match source {
            Band::Ordinary => band(l) == Band::Ordinary,
            Band::Wholesale => l.account,
            Band::Guest => true,
        };
        let mut counts: HashMap<(usize, i64), u32> = HashMap::new();
        let units = banded
            .entry(*variant)
            .or_insert_with(|| vec![[0.0; BANDS]; days]);
        for l in lines {
            units[l.day][band(l) as usize] += l.quantity as f64;
            if counts_from(l) {
                *counts.entry((l.day, l.price)).or_default() += 1;
            }
        }
        let series = daily.entry(*variant).or_insert_with(|| vec![None; days]);
        // The most lines; ties to the higher price (the list price, not a
        // tier's).
        let mut best: HashMap<usize, (u32, i64)> = HashMap::new();
        for ((day, price), n) in counts {
            let b = best.entry(day).or_insert((0, 0));
            if (n, price) > *b {
                *b = (n, price);
            }
        }
        for (day, (_, price)) in best {
            series[day] = Some(price);
        }
    }
    let day_ends: Vec<chrono::DateTime<chrono::Utc>> = (0..days)
        .map(|d| {
            let next = first_day + chrono::Days::new(d as u64 + 1);
            crate::time::local_to_utc(tz, next.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .collect();
    let mut promo: HashMap<i64, Vec<bool>> = HashMap::new();
    // The price history, where it reaches back: the price in force at the
    // end of each day (the shop's midnight after it).
    let mut history = conn.prepare(
        "SELECT h.variant_id, h.changed_at, h.price_minor, h.compare_at_minor FROM price_history h
         JOIN variants v ON v.id = h.variant_id
         WHERE v.currency = ?1 AND h.changed_at >= (
           SELECT min(c.changed_at) FROM price_history c
           WHERE c.variant_id = h.variant_id AND c.previous_price_minor IS NOT NULL)
         ORDER BY h.variant_id, h.changed_at",
    )?;
    type Change = (chrono::DateTime<chrono::Utc>, i64, Option<i64>);
    let mut changes: HashMap<i64, Vec<Change>> = HashMap::new();
    for row in history.query_map([&shop.currency], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })? {
        let (variant, at, price, compare_at) = row?;
        if let Ok(at) = crate::time::parse_utc(&at) {
            changes
                .entry(variant)
                .or_default()
                .push((at, price, compare_at));
        }
    }
    for (variant, list) in changes {
        // Before the first change the history does not know the price.
        if list
            .first()
            .is_none_or(|(at, _, _)| *at >= day_ends[days - 1])
        {
            continue;
        }
        let series = daily.entry(variant).or_insert_with(|| vec![None; days]);
        let marked = promo.entry(variant).or_insert_with(|| vec![false; days]);
        for ((slot, end), marked) in series.iter_mut().zip(&day_ends).zip(marked.iter_mut()) {
            if let Some((_, p, c)) = list.iter().rev().find(|(at, _, _)| at < end) {
                *slot = Some(*p);
                *marked |= c.is_some_and(|c| c > *p);
            }
        }
    }
    // Discounts: a day is covered when the discount ran at any time of it.
    let day_starts: Vec<chrono::DateTime<chrono::Utc>> = (0..days)
        .map(|d| {
            let day = first_day + chrono::Days::new(d as u64);
            crate::time::local_to_utc(tz, day.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .collect();
    for (window, variants) in discount_windows(conn, &from, &until)? {
        let (starts, ends) = window;
        for variant in variants {
            let marked = promo.entry(variant).or_insert_with(|| vec![false; days]);
            for (d, m) in marked.iter_mut().enumerate() {
                if starts < day_ends[d] && ends.is_none_or(|e| e > day_starts[d]) {
                    *m = true;
                }
            }
        }
    }
    let ids: std::collections::HashSet<i64> = daily.keys().chain(promo.keys()).copied().collect();
    let no_units = vec![[0.0; BANDS]; days];
    let no_promo = vec![false; days];
    let no_price = vec![None; days];
    Ok(ids
        .into_iter()
        .map(|variant| {
            let prices = daily.get(&variant).unwrap_or(&no_price);
            let sold = banded.get(&variant).unwrap_or(&no_units);
            let marked = promo.get(&variant).unwrap_or(&no_promo);
            let mut last: Option<i64> = None;
            let weekly = (0..weeks as usize)
                .map(|w| {
                    let span = w * 7..w * 7 + 7;
                    let week = &prices[span.clone()];
                    let first = week.iter().find_map(|p| *p);
                    let mut price = last.or(first);
                    let (mut by_day, mut by_unit, mut units) = (0.0, 0.0, 0.0);
                    let mut bands = [0.0; BANDS];
                    for (p, u) in week.iter().zip(&sold[span.clone()]) {
                        price = p.or(price);
                        let p = price.unwrap_or(0) as f64;
                        let u: f64 = u.iter().sum();
                        by_day += p;
                        by_unit += p * u;
                        units += u;
                    }
                    for u in &sold[span.clone()] {
                        for (b, v) in bands.iter_mut().zip(u) {
                            *b += v;
                        }
                    }
                    last = price;
                    Week {
                        price: price.map(|_| {
                            if units > 0.0 {
                                by_unit / units
                            } else {
                                by_day / 7.0
                            }
                        }),
                        shares: if units > 0.0 {
                            bands.map(|b| b / units)
                        } else {
                            [0.0; BANDS]
                        },
                        promo: marked[span].iter().filter(|m| **m).count() as f64 / 7.0,
                    }
                })
                .collect();
            (variant, weekly)
        })
        .collect())
}

/// A discount's window (UTC; `None`: open-ended).
type Window = (
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// The discounts the shop knows of whose window overlaps `[from, until)`,
/// each with the variants it covers: those in the store (pulled from the
/// storefront, or live), and those Merchant Desk pushed (the journal keeps
/// each one's definition after it ended). A code for everything is left
/// out: most buyers never enter it.
fn discount_windows(conn: &Connection, from: &str, until: &str) -> Result<Vec<(Window, Vec<i64>)>> {
    use crate::storefront::{Discount, DiscountMethod, Items, Value};
    let mut found: Vec<Discount> =
        crate::storefront::local::discounts_overlapping(conn, from, until)?;
    let mut pushed = conn.prepare(
        "SELECT new FROM journal WHERE status IN ('confirmed', 'reverted') AND new LIKE '{\"kind\":\"discount\"%'",
    )?;
    for text in pushed.query_map([], |r| r.get::<_, String>(0))? {
        if let Ok(Value::Discount(Some(d))) = serde_json::from_str::<Value>(&text?) {
            if d.starts_at.as_str() < until
                && d.ends_at.as_deref().is_none_or(|e| e > from)
                && !found.contains(&d)
            {
                found.push(d);
            }
        }
    }
    let mut by_external = conn.prepare_cached(
        "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
         WHERE v.external_id = ?1 OR p.external_id = ?1",
    )?;
    let mut out = Vec::new();
    for d in found {
        let Ok(starts) = crate::time::parse_utc(&d.starts_at) else {
            continue;
        };
        let ends = d
            .ends_at
            .as_deref()
            .and_then(|e| crate::time::parse_utc(e).ok());
        let variants = match &d.items {
            Items::All if d.method == DiscountMethod::Automatic => conn
                .prepare_cached("SELECT id FROM variants")?
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            Items::All => continue,
            Items::Some { products, variants } => {
                let mut ids = Vec::new();
                for ext in products.iter().chain(variants) {
                    for id in by_external.query_map([ext], |r| r.get::<_, i64>(0))? {
                        ids.push(id?);
                    }
                }
                ids
            }
        };
        out.push(((starts, ends), variants));
    }
    Ok(out)
}
