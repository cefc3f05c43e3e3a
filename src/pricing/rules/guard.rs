//! Guardrails: the floor, ceiling, step, minimum change and charm endings that bound every price.

use super::*;
use crate::money::format_major;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Guardrails in minor units and basis points, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guards {
    pub min_margin_bp: Option<i64>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub max_change_bp: i64,
    pub min_change_bp: i64,
    pub charm: Charm,
}

/// Where a reason comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Signal,
    Rule,
    Optimiser,
    Guardrail,
    Promotion,
    Owner,
}

/// One reason for a proposal (or for holding a price).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Reason {
    pub source: Source,
    pub text: String,
}

pub(super) fn reason(source: Source, text: impl Into<String>) -> Reason {
    Reason {
        source,
        text: text.into(),
    }
}

/// One variant's bounds, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub current: i64,
    /// max(cost × (1 + minimum margin), minimum price, 1).
    pub floor: i64,
    pub ceiling: Option<i64>,
    /// The lowest and highest price one step away.
    pub step_low: i64,
    pub step_high: i64,
    /// The smallest change worth making.
    pub min_change: i64,
}

/// `amount × bp / 10 000`, rounded with `strategy`.
pub(super) fn share(amount: i64, bp: i64, strategy: RoundingStrategy) -> i64 {
    (Decimal::from(amount) * Decimal::new(bp, 4))
        .round_dp_with_strategy(0, strategy)
        .to_i64()
        .unwrap_or(i64::MAX)
}

impl Guards {
    /// The bounds of a variant at `current` with `cost` and `compare_at`.
    pub fn bounds(&self, current: i64, cost: Option<i64>, compare_at: Option<i64>) -> Bounds {
        let margin_floor = match (cost, self.min_margin_bp) {
            // Rounded up: the floor never falls below the margin.
            (Some(c), Some(m)) => share(c, 10_000 + m, RoundingStrategy::AwayFromZero),
            _ => 0,
        };
        let floor = margin_floor.max(self.min_price.unwrap_or(0)).max(1);
        // Rounded toward the current price: a step never exceeds the limit.
        let step = share(current, self.max_change_bp, RoundingStrategy::ToZero);
        Bounds {
            current,
            floor,
            ceiling: self.max_price.or(compare_at.filter(|c| *c > 0)),
            step_low: current - step,
            step_high: current + step,
            min_change: share(current, self.min_change_bp, RoundingStrategy::AwayFromZero).max(1),
        }
    }
}

impl Bounds {
    /// The prices allowed: inside floor, ceiling and one step; `None` when
    /// they do not meet.
    pub fn band(&self) -> Option<(i64, i64)> {
        let lo = self.floor.max(self.step_low);
        let hi = self.ceiling.unwrap_or(i64::MAX).min(self.step_high);
        (lo <= hi).then_some((lo, hi))
    }

    /// Whether `price` keeps every guardrail (as a change from `current`).
    pub fn allows(&self, price: i64) -> bool {
        let moved = (price - self.current).abs();
        self.band()
            .is_some_and(|(lo, hi)| lo <= price && price <= hi)
            && moved >= self.min_change
    }
}

/// The charm price nearest `price` inside `[lo, hi]`, if there is one.
pub(super) fn charm_price(price: i64, ending: i64, lo: i64, hi: i64) -> Option<i64> {
    let below = price.div_euclid(100) * 100 + ending;
    let below = if below > price { below - 100 } else { below };
    let above = below + 100;
    [below, above]
        .into_iter()
        .filter(|p| *p >= lo && *p <= hi && *p > 0)
        .min_by_key(|p| ((p - price).abs(), *p))
}

/// The price a target becomes inside the guardrails, with what bound it;
/// `Err` with the reason when no allowed price is worth the change.
pub fn guard(
    target: i64,
    b: &Bounds,
    charm: Charm,
    currency: &str,
) -> std::result::Result<(i64, Vec<Reason>), Reason> {
    let money = |m: i64| format_major(m, currency);
    let Some((lo, hi)) = b.band() else {
        let text = if b.ceiling.is_some_and(|c| c < b.floor) {
            format!(
                "held: the floor {} is above the ceiling {}",
                money(b.floor),
                money(b.ceiling.unwrap_or(0))
            )
        } else if b.floor > b.step_high {
            format!(
                "held: the floor {} is more than one step above the price",
                money(b.floor)
            )
        } else {
            format!(
                "held: the ceiling {} is more than one step below the price",
                money(b.ceiling.unwrap_or(0))
            )
        };
        return Err(reason(Source::Guardrail, text));
    };
    let mut why = Vec::new();
    let mut p = target;
    if p < lo {
        why.push(reason(
            Source::Guardrail,
            if lo == b.floor {
                format!("raised to the floor {}", money(lo))
            } else {
                format!("limited to one step down, {}", money(lo))
            },
        ));
        p = lo;
    } else if p > hi {
        why.push(reason(
            Source::Guardrail,
            if Some(hi) == b.ceiling {
                format!("lowered to the ceiling {}", money(hi))
            } else {
                format!("limited to one step up, {}", money(hi))
            },
        ));
        p = hi;
    }
    if let Some(ending) = charm.ending() {
        match charm_price(p, ending, lo, hi) {
            Some(c) if c != p => {
                why.push(reason(
                    Source::Guardrail,
                    format!("charm rounding {} → {}", money(p), money(c)),
                ));
                p = c;
            }
            Some(_) => {}
            None => why.push(reason(
                Source::Guardrail,
                format!(
                    "no {} price fits the guardrails; kept {}",
                    charm.label(),
                    money(p)
                ),
            )),
        }
    }
    if (p - b.current).abs() < b.min_change {
        return Err(reason(
            Source::Guardrail,
            format!(
                "held: {} → {} is less than the minimum change",
                money(b.current),
                money(p)
            ),
        ));
    }
    Ok((p, why))
}
