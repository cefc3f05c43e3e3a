//! The profit and revenue optimiser on a price grid.

use super::*;
use crate::money::format_major;
use crate::pricing::model::{expected_min, ItemModel, Model};

/// z of the 10th and 90th percentiles.
const Z90: f64 = 1.2816;

/// The optimiser's best price for item `i` on a grid inside the band, with
/// why; `None` when the current price is already best or nothing sells.
pub(super) fn optimise(
    model: &Model,
    i: usize,
    b: &Bounds,
    guards: &Guards,
    mode: Mode,
    horizon_weight: f64,
    currency: &str,
) -> std::result::Result<Option<(i64, Vec<Reason>)>, Reason> {
    let item = &model.items[i];
    if item.lambda <= 0.0 {
        return Ok(None);
    }
    let cost = match (mode, item.cost_minor) {
        (Mode::Profit, None) => {
            return Err(reason(
                Source::Optimiser,
                "held: no unit cost, so profit cannot be optimised",
            ))
        }
        (_, c) => c.unwrap_or(0),
    };
    let value = |p: i64| {
        let units = expected_min(item.rate_at(p) * horizon_weight, item.stock);
        let per_unit = if mode == Mode::Revenue { p } else { p - cost };
        (units, units * per_unit as f64)
    };
    let Some((lo, hi)) = b.band() else {
        return Ok(None);
    };
    const POINTS: i64 = 40;
    let mut grid: Vec<i64> = (0..=POINTS).map(|k| lo + (hi - lo) * k / POINTS).collect();
    if let Some(ending) = guards.charm.ending() {
        grid = grid
            .into_iter()
            .filter_map(|p| charm_price(p, ending, lo, hi))
            .collect();
    }
    grid.sort_unstable();
    grid.dedup();
    let (now_units, now_value) = value(b.current);
    let best = grid
        .into_iter()
        .filter(|p| (p - b.current).abs() >= b.min_change)
        .map(|p| (p, value(p)))
        .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1).then(b.0.cmp(&a.0)));
    let Some((p, (units, v))) = best else {
        return Ok(None);
    };
    // Worth a change only if it beats today's price by more than rounding.
    if v <= now_value + 0.5 {
        return Ok(None);
    }
    let what = if mode == Mode::Revenue {
        "revenue"
    } else {
        "profit"
    };
    let money = |m: f64| format_major(m.round() as i64, currency);
    // How sure: the change in value with the elasticity at either end of its
    // 80 % interval (today's price sells λ whatever the elasticity).
    let at = |e: f64| {
        let m = ItemModel {
            elasticity: crate::pricing::model_elasticity(e),
            ..item.clone()
        };
        let units = expected_min(m.rate_at(p) * horizon_weight, m.stock);
        let per_unit = if mode == Mode::Revenue { p } else { p - cost };
        units * per_unit as f64 - now_value
    };
    let (a, b2) = (
        at(item.elasticity - Z90 * item.elasticity_se),
        at(item.elasticity + Z90 * item.elasticity_se),
    );
    let (low, high) = (a.min(b2).min(v - now_value), a.max(b2).max(v - now_value));
    let mut reasons = vec![
        reason(
            Source::Signal,
            format!(
                "elasticity {:.2} (±{:.2}), {:.2} sold a day at today's price{}",
                item.elasticity,
                item.elasticity_se,
                item.lambda,
                item.stock
                    .map_or(String::new(), |s| format!(", {s} in stock"))
            ),
        ),
        reason(
            Source::Optimiser,
            format!(
                "expected {what} {} → {} ({:.1} → {:.1} units); the gain is {} to {} with the elasticity's 80 % range",
                money(now_value),
                money(v),
                now_units,
                units,
                money(low),
                money(high)
            ),
        ),
    ];
    match item.sold_prices {
        Some((lo, hi)) if p < lo || p > hi => reasons.push(reason(
            Source::Optimiser,
            format!(
                "extrapolated: {} is outside the prices it has sold at ({} to {}), so the demand there is the model's guess",
                format_major(p, currency),
                format_major(lo, currency),
                format_major(hi, currency)
            ),
        )),
        None => reasons.push(reason(
            Source::Optimiser,
            "extrapolated: no week of sales at a known price, so the demand is the model's guess",
        )),
        _ => {}
    }
    Ok(Some((p, reasons)))
}
