//! Rules turning signals into proposed prices, and the run over every variant.

use super::*;
use crate::error::{Error, Result};
use crate::money::{format_major, Percent};
use crate::pricing::model::Model;
use crate::pricing::signals::Signal;
use rust_decimal::Decimal;
use serde::Serialize;

/// What a variant brings to the rules.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub variant_id: i64,
    pub signal: &'a Signal,
    /// The velocity the rules read (units a day over the last 28 days).
    pub velocity: f64,
    pub in_promotion: Option<String>,
}

/// A proposed new price.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Proposed {
    #[cfg_attr(test, ts(type = "number"))]
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub current_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub proposed_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub floor_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub ceiling_minor: Option<i64>,
    pub reasons: Vec<Reason>,
}

/// A variant a rule or the optimiser would change but the guardrails (or a
/// promotion) hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Held {
    pub sku: String,
    pub title: String,
    pub reasons: Vec<Reason>,
}

/// What a rule set proposes.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Suggestions {
    pub items: Vec<Proposed>,
    pub held: Vec<Held>,
}

/// "19 in stock: 12 days of cover at 1.54 a day".
pub(super) fn stock_text(stock: Option<i64>, cover: f64, velocity: f64) -> String {
    let stock = stock.unwrap_or(0);
    if cover.is_finite() {
        format!("{stock} in stock: {cover:.0} days of cover at {velocity:.2} sold a day")
    } else {
        format!("{stock} in stock and no sale in the last 28 days")
    }
}

/// The first rule that matches, with the target it sets and why.
pub(super) fn rule_target(rules: &[Rule], x: &Input, currency: &str) -> Option<(i64, Vec<Reason>)> {
    let s = x.signal;
    let p0 = s.price_minor;
    let cover = match (s.stock, x.velocity) {
        (Some(st), v) if v > 0.0 => Some(st.max(0) as f64 / v),
        (Some(st), _) if st > 0 => Some(f64::INFINITY),
        (Some(_), _) => Some(0.0),
        (None, _) => None,
    };
    let pct = |p0: i64, c: Percent| {
        crate::money::mul_round(p0, Decimal::ONE + c.decimal() / Decimal::from(100))
    };
    for (n, rule) in rules.iter().enumerate() {
        if rule
            .category()
            .is_some_and(|c| s.category.as_deref() != Some(c))
        {
            continue;
        }
        let label = format!("rule {} ({})", n + 1, rule.name());
        match rule {
            Rule::LowStock {
                max_days_of_cover,
                min_velocity,
                change_percent,
                ..
            } => {
                let Some(c) = cover else { continue };
                if c <= *max_days_of_cover && x.velocity >= *min_velocity && x.velocity > 0.0 {
                    return Some((
                        pct(p0, *change_percent),
                        vec![
                            reason(Source::Signal, stock_text(s.stock, c, x.velocity)),
                            reason(
                                Source::Rule,
                                format!(
                                    "{label}: cover ≤ {max_days_of_cover} days and velocity ≥ {min_velocity}: {change_percent:+}"
                                ),
                            ),
                        ],
                    ));
                }
            }
            Rule::Overstock {
                min_days_of_cover,
                max_velocity,
                change_percent,
                ..
            } => {
                let Some(c) = cover else { continue };
                if s.stock.unwrap_or(0) > 0
                    && c >= *min_days_of_cover
                    && x.velocity <= *max_velocity
                {
                    return Some((
                        pct(p0, *change_percent),
                        vec![
                            reason(Source::Signal, stock_text(s.stock, c, x.velocity)),
                            reason(
                                Source::Rule,
                                format!(
                                    "{label}: cover ≥ {min_days_of_cover} days and velocity ≤ {max_velocity}: {change_percent:+}"
                                ),
                            ),
                        ],
                    ));
                }
            }
            Rule::Competitor { offset_percent, .. } => {
                let Some(theirs) = s.competitor_min_minor.filter(|p| *p > 0) else {
                    continue;
                };
                return Some((
                    pct(theirs, *offset_percent),
                    vec![
                        reason(
                            Source::Signal,
                            format!(
                                "cheapest competitor {} at {} ({} seen)",
                                s.competitor.as_deref().unwrap_or("?"),
                                format_major(theirs, currency),
                                s.competitors
                            ),
                        ),
                        reason(
                            Source::Rule,
                            format!("{label}: the cheapest competitor {offset_percent:+}"),
                        ),
                    ],
                ));
            }
        }
    }
    None
}

/// Runs the rule set over the variants. `model` (built on the same variants,
/// in the same order as `inputs`) is needed by the optimiser modes only.
pub fn suggest(
    rules: &RuleSet,
    inputs: &[Input],
    model: Option<&Model>,
    currency: &str,
) -> Result<Suggestions> {
    let guards = rules.checked(currency)?;
    if rules.mode != Mode::Rules && model.is_none() {
        return Err(Error::InvalidArgument(
            "the optimiser needs the demand model".into(),
        ));
    }
    let weight: f64 = model.map_or(0.0, |m| m.daily_factors(rules.horizon_days).iter().sum());
    let mut out = Suggestions::default();
    for (i, x) in inputs.iter().enumerate() {
        let s = x.signal;
        if s.price_minor <= 0 {
            // Not for sale at a price: nothing to move from.
            continue;
        }
        let b = guards.bounds(s.price_minor, s.cost_minor, s.compare_at_minor);
        let hold = |out: &mut Suggestions, reasons: Vec<Reason>| {
            out.held.push(Held {
                sku: s.sku.clone(),
                title: s.title.clone(),
                reasons,
            })
        };
        let wanted = match rules.mode {
            Mode::Rules => rule_target(&rules.rule, x, currency).map(Ok),
            mode => match optimise(
                model.expect("checked above"),
                i,
                &b,
                &guards,
                mode,
                weight,
                currency,
            ) {
                Ok(found) => found.map(Ok),
                Err(r) => Some(Err(r)),
            },
        };
        let (target, mut reasons) = match wanted {
            None => continue,
            Some(Err(r)) => {
                hold(&mut out, vec![r]);
                continue;
            }
            Some(Ok(t)) => t,
        };
        if let Some(promo) = &x.in_promotion {
            reasons.push(reason(
                Source::Promotion,
                format!("held: in a live promotion ({promo})"),
            ));
            hold(&mut out, reasons);
            continue;
        }
        if target < s.price_minor && s.cost_minor.is_none() && guards.min_margin_bp.is_some() {
            reasons.push(reason(
                Source::Guardrail,
                "held: no unit cost, so a lower price cannot be checked against the minimum margin",
            ));
            hold(&mut out, reasons);
            continue;
        }
        match guard(target, &b, guards.charm, currency) {
            Ok((price, why))
                if (price - s.price_minor).signum() != (target - s.price_minor).signum() =>
            {
                reasons.extend(why);
                reasons.push(reason(
                    Source::Guardrail,
                    format!(
                        "held: the guardrails would move the price the other way ({} → {}); the price is outside them now",
                        format_major(s.price_minor, currency),
                        format_major(price, currency)
                    ),
                ));
                hold(&mut out, reasons);
            }
            Ok((price, why)) => {
                reasons.extend(why);
                out.items.push(Proposed {
                    variant_id: x.variant_id,
                    sku: s.sku.clone(),
                    title: s.title.clone(),
                    current_minor: s.price_minor,
                    proposed_minor: price,
                    floor_minor: b.floor,
                    ceiling_minor: b.ceiling,
                    reasons,
                });
            }
            Err(r) => {
                reasons.push(r);
                hold(&mut out, reasons);
            }
        }
    }
    Ok(out)
}
