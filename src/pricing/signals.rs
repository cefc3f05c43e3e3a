//! Per-variant pricing signals: stock, sales velocity over windows, days of
//! cover, trend, cost and margin, and the last price change.

use super::data;
use crate::error::{Error, Result};
use crate::store::Shop;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::HashMap;

/// One variant's signals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Signal {
    #[cfg_attr(test, ts(type = "number"))]
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub compare_at_minor: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub cost_minor: Option<i64>,
    /// (price − cost) / price, in basis points.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_bp: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub stock: Option<i64>,
    /// Units a day over each window, in the order asked.
    pub velocity: Vec<f64>,
    /// Stock ÷ the middle window's velocity; `None` without stock or sales.
    pub days_of_cover: Option<f64>,
    /// The middle window's velocity against the window before it, −1 to ∞;
    /// `None` when the window before sold nothing.
    pub trend: Option<f64>,
    /// When the price last changed (UTC), if the store knows.
    pub last_price_change: Option<String>,
    /// The lowest of the competitors' latest prices seen in the last
    /// [`COMPETITOR_DAYS`] days, and whose it is.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub competitor_min_minor: Option<i64>,
    pub competitor: Option<String>,
    /// Competitors with a price in that time.
    pub competitors: u32,
    /// Views and add-to-carts over the middle window (imported events).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub views: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub add_to_carts: Option<i64>,
}

/// Competitor prices older than this many days are not used.
pub const COMPETITOR_DAYS: i64 = 30;

/// Each variant's competitors' latest prices seen in the `days` days up to
/// the shop's `today`: variant id → (competitor, price), cheapest first.
pub fn competitor_prices(
    conn: &Connection,
    today: chrono::NaiveDate,
    days: i64,
) -> Result<HashMap<i64, Vec<(String, i64)>>> {
    // UTC times compare as text; the day bounds are the shop's days.
    let since = (today - chrono::Days::new(days as u64)).to_string();
    let until = (today + chrono::Days::new(1)).to_string();
    let mut stmt = conn.prepare(
        "SELECT c.variant_id, c.competitor, c.price_minor FROM competitor_prices c
         WHERE c.observed_at = (SELECT max(observed_at) FROM competitor_prices l
                                WHERE l.variant_id = c.variant_id AND l.competitor = c.competitor
                                  AND l.observed_at >= ?1 AND l.observed_at <= ?2)
         ORDER BY c.variant_id, c.price_minor, c.competitor",
    )?;
    let mut out: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for row in stmt.query_map(params![since, until], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (v, who, price) = row?;
        out.entry(v).or_default().push((who, price));
    }
    Ok(out)
}

/// Views and add-to-carts per variant over the shop-local days `(to − days, to]`.
fn demand_events(
    conn: &Connection,
    to: chrono::NaiveDate,
    days: i64,
) -> Result<HashMap<i64, (i64, i64)>> {
    let from = to - chrono::Days::new(days as u64);
    let mut stmt = conn.prepare(
        "SELECT variant_id, sum(views), sum(add_to_carts) FROM demand_events
         WHERE day > ?1 AND day <= ?2 GROUP BY variant_id",
    )?;
    let rows = stmt.query_map(params![from.to_string(), to.to_string()], |r| {
        Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?)))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Signals for every merchandise variant, with velocities over `windows`
/// days ending on the shop's today (e.g. 7, 28, 90).
pub fn signals(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
    windows: &[i64],
) -> Result<Vec<Signal>> {
    if windows.is_empty() || windows.iter().any(|w| !(1..=365).contains(w)) {
        return Err(Error::InvalidArgument(
            "velocity windows are 1 to 365 days".into(),
        ));
    }
    let today = shop.today(now)?;
    let middle = windows[windows.len() / 2];
    let longest = windows.iter().copied().max().unwrap_or(28).max(2 * middle);
    let sales = data::daily_sales(conn, shop, today, longest)?;
    let mut changed: HashMap<i64, String> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT variant_id, max(changed_at) FROM price_history
         WHERE previous_price_minor IS NOT NULL AND previous_price_minor != price_minor
         GROUP BY variant_id",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (v, at) = row?;
        changed.insert(v, at);
    }
    let competitors = competitor_prices(conn, today, COMPETITOR_DAYS)?;
    let events = demand_events(conn, today, middle)?;
    let units_in = |rows, farthest, nearest| data::sum_back(rows, today, farthest, nearest).0;
    Ok(data::variants(conn, shop)?
        .into_iter()
        .map(|v| {
            let rows = sales.get(&v.id);
            let velocity: Vec<f64> = windows
                .iter()
                .map(|&w| units_in(rows, w, 0) as f64 / w as f64)
                .collect();
            let current = units_in(rows, middle, 0) as f64 / middle as f64;
            let before = units_in(rows, 2 * middle, middle) as f64 / middle as f64;
            let rivals = competitors.get(&v.id);
            let cheapest = rivals.and_then(|r| r.first());
            let seen = events.get(&v.id);
            Signal {
                competitor_min_minor: cheapest.map(|c| c.1),
                competitor: cheapest.map(|c| c.0.clone()),
                competitors: rivals.map_or(0, |r| r.len() as u32),
                views: seen.map(|e| e.0),
                add_to_carts: seen.map(|e| e.1),
                margin_bp: match (v.cost_minor, v.price_minor) {
                    (Some(c), p) if p > 0 => Some((p - c) * 10_000 / p),
                    _ => None,
                },
                days_of_cover: match v.stock {
                    Some(s) if current > 0.0 => Some(s.max(0) as f64 / current),
                    _ => None,
                },
                trend: (before > 0.0).then(|| current / before - 1.0),
                last_price_change: changed.get(&v.id).cloned(),
                velocity,
                variant_id: v.id,
                sku: v.sku,
                title: v.title,
                category: v.category,
                price_minor: v.price_minor,
                compare_at_minor: v.compare_at_minor,
                cost_minor: v.cost_minor,
                stock: v.stock,
            }
        })
        .collect())
}
