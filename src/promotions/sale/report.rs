//! How a sale did.

use super::*;
use crate::error::{Error, Result};
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

/// Units, revenue and profit over a time span, money in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Takings {
    pub units: f64,
    pub revenue: f64,
    /// Revenue less unit costs (products without a cost count none).
    pub profit: f64,
}

/// How a sale did against its baselines.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SaleReport {
    pub sale: Sale,
    /// The span reported (UTC): the window, cut short if it ended early or
    /// is still running.
    pub from: String,
    pub to: String,
    pub actual: Takings,
    /// The same weekdays and hours of the previous four weeks, averaged.
    pub same_weekdays: Takings,
    /// What the pricing model expects at normal prices over the window.
    pub model: Takings,
    /// Actual profit less each baseline's.
    pub incremental_vs_weekdays: f64,
    pub incremental_vs_model: f64,
    /// Units in stock now across the sale's products.
    #[cfg_attr(test, ts(type = "number"))]
    pub stock_left: i64,
}

fn takings(conn: &Connection, items: &[SaleItem], from: &str, to: &str) -> Result<Takings> {
    let cost: std::collections::HashMap<i64, Option<i64>> =
        items.iter().map(|i| (i.variant_id, i.cost_minor)).collect();
    let mut stmt = conn.prepare_cached(
        "SELECT ol.variant_id, sum(ol.quantity), sum(ol.line_total_minor)
         FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE o.placed_at >= ?1 AND o.placed_at < ?2 AND o.status != 'cancelled'
         GROUP BY ol.variant_id",
    )?;
    let mut t = Takings::default();
    for row in stmt.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (v, units, revenue) = row?;
        let Some(c) = cost.get(&v) else { continue };
        t.units += units as f64;
        t.revenue += revenue as f64;
        t.profit += (revenue - units * c.unwrap_or(0)) as f64;
    }
    Ok(t)
}

/// Units of the sale's products ordered from its start up to `until` (UTC).
pub fn units_sold(conn: &Connection, shop: &Shop, s: &Sale, until: &str) -> Result<i64> {
    let items = items(conn, shop, &s.file)?;
    Ok(takings(conn, &items, &s.starts_at, until)?.units as i64)
}

/// The sale's results so far against the same weekdays of the four weeks
/// before and against the model's no-sale expectation.
pub fn report(conn: &Connection, shop: &Shop, id: i64, now: DateTime<Utc>) -> Result<SaleReport> {
    let s = get(conn, id)?;
    if s.status == "draft" {
        return Err(Error::InvalidArgument(format!(
            "sale {id} has not been launched"
        )));
    }
    let from = crate::time::parse_utc(&s.starts_at)?;
    let mut to = crate::time::parse_utc(&s.ends_at)?.min(now);
    if let Some(e) = &s.ended_at {
        to = to.min(crate::time::parse_utc(e)?);
    }
    if to <= from {
        return Err(Error::InvalidArgument(format!(
            "sale {id} has not started yet"
        )));
    }
    let items = items(conn, shop, &s.file)?;
    let actual = takings(conn, &items, &fmt_utc(from), &fmt_utc(to))?;
    let mut same = Takings::default();
    for w in 1..=4 {
        let back = chrono::Duration::weeks(w);
        let t = takings(conn, &items, &fmt_utc(from - back), &fmt_utc(to - back))?;
        same.units += t.units / 4.0;
        same.revenue += t.revenue / 4.0;
        same.profit += t.profit / 4.0;
    }
    // The model's no-sale demand over exactly the span reported.
    let built = crate::pricing::build(conn, shop, from)?;
    let p = expected_over(conn, shop, &s.file, &built, from, to, from)?;
    let model = Takings {
        units: p.units_without,
        revenue: p.revenue_without,
        profit: p.profit_without,
    };
    Ok(SaleReport {
        from: fmt_utc(from),
        to: fmt_utc(to),
        incremental_vs_weekdays: actual.profit - same.profit,
        incremental_vs_model: actual.profit - model.profit,
        stock_left: items.iter().filter_map(|i| i.stock).map(|s| s.max(0)).sum(),
        actual,
        same_weekdays: same,
        model,
        sale: s,
    })
}
