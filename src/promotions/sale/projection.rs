//! What the demand model expects of a sale.

use super::*;
use crate::error::Result;
use crate::store::Shop;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

/// What the pricing model expects during the window, with and without the
/// sale, over the sale's products. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Projection {
    /// Shop days the window touches.
    pub days: usize,
    /// The window's length.
    pub hours: f64,
    /// The demand the window carries, in average whole days: its hours
    /// weighted by the shop's hour-of-day and weekday pattern.
    pub demand_days: f64,
    pub units_without: f64,
    pub units_with: f64,
    pub revenue_without: f64,
    pub revenue_with: f64,
    pub profit_without: f64,
    pub profit_with: f64,
    /// The extra units the sale must sell, over no sale, to make the same
    /// profit (e.g. 0.35 = 35 % more); `None` when the sale price leaves no
    /// margin.
    pub break_even_uplift: Option<f64>,
    /// The extra units the model expects from the sale: its lower price,
    /// and the lift the item's past promotions showed beyond their price.
    pub expected_uplift: Option<f64>,
    /// The same with each item's elasticity 1.28 standard errors either
    /// side (the model's 80 % band): the least and the most it expects.
    pub uplift_low: Option<f64>,
    pub uplift_high: Option<f64>,
    /// Products the model expects to sell out during the sale (probability
    /// above one half), and the highest such probability.
    pub stockouts: usize,
    pub max_stockout_probability: f64,
}

/// The model's expected outcome of the sale against no sale, from the
/// shop's demand model as it stands `now` (the app keeps one built per
/// state of the data; see [`crate::pricing::build`]).
pub fn projection(
    conn: &Connection,
    shop: &Shop,
    sale: &SaleFile,
    built: &crate::pricing::Built,
    now: DateTime<Utc>,
) -> Result<Projection> {
    let (start, end) = sale.window(shop)?;
    expected_over(conn, shop, sale, built, start, end, now)
}

/// The demand weight of each shop day the span `[from, to)` touches: the
/// weekday's factor times the share of a day's units sold in the hours
/// covered, so a whole average day weighs 1 and a quiet evening little.
pub(crate) fn span_weights(
    weekday: &[f64; 7],
    hours: &[f64; 24],
    tz: chrono_tz::Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<f64> {
    use chrono::{Datelike, Timelike};
    let mut out: Vec<f64> = Vec::new();
    let mut day = None;
    let mut t = from;
    // Quarter hours: every time zone's offset is a whole number of them.
    while t < to {
        let local = t.with_timezone(&tz);
        let into = (local.minute() % 15) * 60 + local.second();
        let next = (t + chrono::Duration::seconds(900 - into as i64)).min(to);
        let share = (next - t).num_seconds() as f64 / 3600.0;
        if day != Some(local.date_naive()) {
            day = Some(local.date_naive());
            out.push(0.0);
        }
        if let Some(w) = out.last_mut() {
            *w += weekday[local.weekday().num_days_from_monday() as usize]
                * hours[local.hour() as usize]
                * share;
        }
        t = next;
    }
    out
}

/// The model's expectation over `[from, to)` with and without the sale:
/// demand weighted by weekday and hour of day, stock less what is expected
/// to sell at today's prices before `from`.
pub(super) fn expected_over(
    conn: &Connection,
    shop: &Shop,
    sale: &SaleFile,
    built: &crate::pricing::Built,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Projection> {
    let chosen = items(conn, shop, sale)?;
    let hours = crate::pricing::data::hour_shares(conn, shop, shop.today(now)?)?;
    let tz = shop.tz()?;
    let weights = span_weights(&built.model.weekday, &hours, tz, from, to);
    let lead: f64 = span_weights(&built.model.weekday, &hours, tz, now, from)
        .iter()
        .sum();
    let mut model = std::borrow::Cow::Borrowed(&built.model);
    if lead > 0.0 {
        for item in &mut model.to_mut().items {
            if let Some(stock) = item.stock.filter(|s| *s > 0) {
                let before = crate::pricing::model::expected_min(
                    item.rate_at(item.p0_minor) * lead,
                    Some(stock),
                );
                item.stock = Some((stock as f64 - before).round().max(0.0) as i64);
            }
        }
    }
    let at: std::collections::HashMap<i64, i64> = chosen
        .iter()
        .map(|i| (i.variant_id, i.sale_minor))
        .collect();
    let current: Vec<i64> = built.variants.iter().map(|v| v.price_minor).collect();
    let with: Vec<i64> = built
        .variants
        .iter()
        .map(|v| at.get(&v.id).copied().unwrap_or(v.price_minor))
        .collect();
    // During the sale: each sale item's lift from promotions, and its
    // elasticity `z` standard errors off its estimate.
    let on_sale = |z: f64| {
        let mut m = model.as_ref().clone();
        for item in m
            .items
            .iter_mut()
            .filter(|i| at.contains_key(&i.variant_id))
        {
            item.lambda *= item.promo_lift;
            item.elasticity =
                crate::pricing::model_elasticity(item.elasticity + z * item.elasticity_se);
        }
        m
    };
    let base = model.expected_over(&current, &weights);
    let new = on_sale(0.0).expected_over(&with, &weights);
    let units_of = |o: &crate::pricing::model::Outcome| -> f64 {
        o.items
            .iter()
            .filter(|i| at.contains_key(&i.variant_id))
            .map(|i| i.units.mean)
            .sum()
    };
    // A price cut sells least with the flattest demand curve.
    let least = units_of(&on_sale(1.28).expected_over(&with, &weights));
    let most = units_of(&on_sale(-1.28).expected_over(&with, &weights));
    let mut p = Projection {
        days: weights.len(),
        hours: (to - from).num_minutes() as f64 / 60.0,
        demand_days: weights.iter().sum(),
        units_without: 0.0,
        units_with: 0.0,
        revenue_without: 0.0,
        revenue_with: 0.0,
        profit_without: 0.0,
        profit_with: 0.0,
        break_even_uplift: None,
        expected_uplift: None,
        uplift_low: None,
        uplift_high: None,
        stockouts: 0,
        max_stockout_probability: 0.0,
    };
    for (b, n) in base.items.iter().zip(&new.items) {
        if !at.contains_key(&b.variant_id) {
            continue;
        }
        p.units_without += b.units.mean;
        p.units_with += n.units.mean;
        p.revenue_without += b.revenue.mean;
        p.revenue_with += n.revenue.mean;
        p.profit_without += b.profit.mean;
        p.profit_with += n.profit.mean;
        if n.stockout_probability > 0.5 {
            p.stockouts += 1;
        }
        p.max_stockout_probability = p.max_stockout_probability.max(n.stockout_probability);
    }
    if p.units_without > 0.0 {
        p.expected_uplift = Some(p.units_with / p.units_without - 1.0);
        let (a, b) = (least / p.units_without - 1.0, most / p.units_without - 1.0);
        p.uplift_low = Some(a.min(b));
        p.uplift_high = Some(a.max(b));
        // Profit per unit at the sale prices, weighted as no-sale demand is.
        // `expected_over` keeps the model's item order.
        let margin_with: f64 = model
            .items
            .iter()
            .zip(&base.items)
            .filter_map(|(m, b)| {
                let sale = at.get(&m.variant_id)?;
                Some(b.units.mean * (sale - m.cost_minor?) as f64)
            })
            .sum::<f64>()
            / p.units_without;
        if margin_with > 0.0 {
            p.break_even_uplift = Some(p.profit_without / (margin_with * p.units_without) - 1.0);
        }
    }
    Ok(p)
}
