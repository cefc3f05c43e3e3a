//! Rules and guardrails: turning signals into proposed prices, each with
//! its reasons. A rule set is TOML for the CLI (and JSON for the app):
//!
//! ```toml
//! name = "weekly review"
//! mode = "rules"            # or "profit" / "revenue": the optimiser
//! horizon_days = 30         # what the optimiser looks ahead
//!
//! [guardrails]
//! min_margin_percent = 20   # floor = cost × 1.20 …
//! min_price = "0.50"        # … or this, whichever is higher
//! max_price = "40.00"       # ceiling; without it, the compare-at price
//! max_change_percent = 10   # per step, either way
//! min_change_percent = 2    # smaller changes are not worth making
//! charm = ".99"             # ".99", ".95", ".49" or "none"
//!
//! [[rule]]
//! kind = "low_stock"        # raise when stock runs out soon and sells fast
//! max_days_of_cover = 21
//! min_velocity = 0.5        # units a day over the last 28 days
//! change_percent = 5
//!
//! [[rule]]
//! kind = "overstock"        # lower when stock sits
//! min_days_of_cover = 180
//! max_velocity = 0.2
//! change_percent = -10
//!
//! [[rule]]
//! kind = "competitor"       # position against the cheapest competitor
//! offset_percent = -2
//! ```
//!
//! Rules are tried in order and the first that matches a variant sets its
//! target; the guardrails then bound the target, and every proposal says
//! which signal, which rule and which guardrail made it what it is. Items in
//! a live promotion are never changed.

use super::model::{expected_min, Model};
use super::signals::Signal;
use crate::error::{Error, Result};
use crate::money::{format_major, minor_per_major};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// A percentage as written (5, -2.5 or "7.5"), kept in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(pub i64);

impl Percent {
    /// A percentage with at most two decimals (7.25), in basis points.
    pub fn from_decimal(percent: Decimal) -> Option<Percent> {
        let bp = percent * Decimal::from(100);
        bp.fract()
            .is_zero()
            .then(|| bp.to_i64())
            .flatten()
            .map(Percent)
    }

    pub fn decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let d = self.decimal().normalize();
        if f.sign_plus() && self.0 >= 0 {
            write!(f, "+{d} %")
        } else {
            write!(f, "{d} %")
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 100.0)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Int(i64),
            Float(f64),
            Text(String),
        }
        let value = match Written::deserialize(d)? {
            Written::Int(i) => Some(Decimal::from(i)),
            Written::Float(f) => Decimal::try_from(f).ok(),
            Written::Text(t) => crate::money::parse_decimal(&t),
        };
        value.and_then(Percent::from_decimal).ok_or_else(|| {
            serde::de::Error::custom("a percentage is a number with at most two decimals")
        })
    }
}

/// What a rule set does with the signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The first matching rule sets the target.
    #[default]
    Rules,
    /// The optimiser: the price on a grid inside the guardrails with the
    /// highest expected profit over the horizon.
    Profit,
    /// The same for revenue, for clearance.
    Revenue,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Rules => "rules",
            Mode::Profit => "profit",
            Mode::Revenue => "revenue",
        }
    }
}

/// Charm endings for prices in currencies with cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub enum Charm {
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = ".99")]
    C99,
    #[serde(rename = ".95")]
    C95,
    #[serde(rename = ".49")]
    C49,
}

impl Charm {
    /// The ending in hundredths of the major unit.
    fn ending(self) -> Option<i64> {
        match self {
            Charm::None => None,
            Charm::C99 => Some(99),
            Charm::C95 => Some(95),
            Charm::C49 => Some(49),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Charm::None => "none",
            Charm::C99 => ".99",
            Charm::C95 => ".95",
            Charm::C49 => ".49",
        }
    }
}

fn default_max_change() -> Percent {
    Percent(1000)
}

fn default_min_change() -> Percent {
    Percent(100)
}

fn default_horizon() -> usize {
    30
}

/// The bounds every proposal stays inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// The floor is cost × (1 + this) …
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub min_margin_percent: Option<Percent>,
    /// … or this price (major units), whichever is higher.
    #[serde(default)]
    pub min_price: Option<String>,
    /// The ceiling (major units); without it, the compare-at price if any.
    #[serde(default)]
    pub max_price: Option<String>,
    /// The most a price moves in one step, either way.
    #[cfg_attr(test, ts(type = "number"))]
    #[serde(default = "default_max_change")]
    pub max_change_percent: Percent,
    /// Changes smaller than this are not proposed.
    #[cfg_attr(test, ts(type = "number"))]
    #[serde(default = "default_min_change")]
    pub min_change_percent: Percent,
    #[serde(default)]
    pub charm: Charm,
}

impl Default for Guardrails {
    fn default() -> Self {
        Guardrails {
            min_margin_percent: None,
            min_price: None,
            max_price: None,
            max_change_percent: default_max_change(),
            min_change_percent: default_min_change(),
            charm: Charm::None,
        }
    }
}

/// One rule: when it matches, and what it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[serde(deny_unknown_fields)]
pub enum Rule {
    /// Raise when the stock runs out soon and the item sells fast.
    LowStock {
        max_days_of_cover: f64,
        #[serde(default)]
        min_velocity: f64,
        #[cfg_attr(test, ts(type = "number"))]
        change_percent: Percent,
        #[serde(default)]
        category: Option<String>,
    },
    /// Lower when the stock sits and the item sells slowly.
    Overstock {
        min_days_of_cover: f64,
        max_velocity: f64,
        #[cfg_attr(test, ts(type = "number"))]
        change_percent: Percent,
        #[serde(default)]
        category: Option<String>,
    },
    /// Price at the cheapest competitor's price plus this offset.
    Competitor {
        #[cfg_attr(test, ts(type = "number"))]
        #[serde(default = "Percent::zero")]
        offset_percent: Percent,
        #[serde(default)]
        category: Option<String>,
    },
}

impl Percent {
    fn zero() -> Percent {
        Percent(0)
    }
}

impl Rule {
    fn category(&self) -> Option<&str> {
        match self {
            Rule::LowStock { category, .. }
            | Rule::Overstock { category, .. }
            | Rule::Competitor { category, .. } => category.as_deref(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Rule::LowStock { .. } => "low stock",
            Rule::Overstock { .. } => "overstock",
            Rule::Competitor { .. } => "competitor",
        }
    }
}

/// A rule set as the owner writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub name: String,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default = "default_horizon")]
    pub horizon_days: usize,
    #[serde(default)]
    pub guardrails: Guardrails,
    #[serde(default)]
    pub rule: Vec<Rule>,
}

impl RuleSet {
    /// Reads a rule file's text, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<RuleSet> {
        let r: RuleSet = toml::from_str(text).map_err(|e| {
            Error::InvalidArgument(format!("the rule file is not valid: {}", e.message()))
        })?;
        Ok(r)
    }

    /// The rule set a shop starts with: the three rules and moderate
    /// guardrails.
    pub fn starter() -> RuleSet {
        RuleSet {
            name: "Stock and competitors".into(),
            mode: Mode::Rules,
            horizon_days: 30,
            guardrails: Guardrails {
                min_margin_percent: Some(Percent(2000)),
                min_price: None,
                max_price: None,
                max_change_percent: Percent(1000),
                min_change_percent: Percent(200),
                charm: Charm::C99,
            },
            rule: vec![
                Rule::LowStock {
                    max_days_of_cover: 21.0,
                    min_velocity: 0.5,
                    change_percent: Percent(500),
                    category: None,
                },
                Rule::Overstock {
                    min_days_of_cover: 180.0,
                    max_velocity: 0.2,
                    change_percent: Percent(-1000),
                    category: None,
                },
                Rule::Competitor {
                    offset_percent: Percent(-200),
                    category: None,
                },
            ],
        }
    }

    /// Checks the rule set against the shop's currency and turns its
    /// guardrails into minor units.
    pub fn checked(&self, currency: &str) -> Result<Guards> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if self.name.trim().is_empty() {
            return bad("the rule set needs a name".into());
        }
        if !(1..=365).contains(&self.horizon_days) {
            return bad("the horizon is 1 to 365 days".into());
        }
        let g = &self.guardrails;
        let amount = |what: &str, text: &Option<String>| -> Result<Option<i64>> {
            text.as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| {
                    crate::money::parse_decimal(t)
                        .and_then(|d| crate::money::to_minor(d, currency))
                        .filter(|m| *m > 0)
                        .ok_or_else(|| {
                            Error::InvalidArgument(format!(
                                "{what} \"{t}\" is not a positive amount"
                            ))
                        })
                })
                .transpose()
        };
        let min_price = amount("the minimum price", &g.min_price)?;
        let max_price = amount("the maximum price", &g.max_price)?;
        if let (Some(lo), Some(hi)) = (min_price, max_price) {
            if lo > hi {
                return bad("the minimum price is above the maximum price".into());
            }
        }
        if !(1..=9000).contains(&g.max_change_percent.0) {
            return bad("the maximum change per step is above 0 % and at most 90 %".into());
        }
        if !(0..=g.max_change_percent.0).contains(&g.min_change_percent.0) {
            return bad("the minimum change is between 0 % and the maximum change".into());
        }
        if g.min_margin_percent
            .is_some_and(|m| !(-9999..=100_000).contains(&m.0))
        {
            return bad("the minimum margin is above -100 % and at most 1000 %".into());
        }
        if g.charm != Charm::None && minor_per_major(currency) != 100 {
            return bad(format!(
                "charm endings need a currency with cents, not {currency}"
            ));
        }
        for (n, r) in self.rule.iter().enumerate() {
            let which = n + 1;
            let change = match r {
                Rule::LowStock {
                    max_days_of_cover,
                    min_velocity,
                    change_percent,
                    ..
                } => {
                    if !(*max_days_of_cover >= 0.0 && *min_velocity >= 0.0) {
                        return bad(format!(
                            "rule {which}: days of cover and velocity are not negative"
                        ));
                    }
                    Some(*change_percent)
                }
                Rule::Overstock {
                    min_days_of_cover,
                    max_velocity,
                    change_percent,
                    ..
                } => {
                    if !(*min_days_of_cover >= 0.0 && *max_velocity >= 0.0) {
                        return bad(format!(
                            "rule {which}: days of cover and velocity are not negative"
                        ));
                    }
                    Some(*change_percent)
                }
                Rule::Competitor { offset_percent, .. } => {
                    if offset_percent.0 <= -10_000 {
                        return bad(format!("rule {which}: the offset is above -100 %"));
                    }
                    None
                }
            };
            if change.is_some_and(|c| c.0 <= -10_000 || c.0 > 100_000) {
                return bad(format!(
                    "rule {which}: the change is above -100 % and at most 1000 %"
                ));
            }
        }
        Ok(Guards {
            min_margin_bp: g.min_margin_percent.map(|p| p.0),
            min_price,
            max_price,
            max_change_bp: g.max_change_percent.0,
            min_change_bp: g.min_change_percent.0,
            charm: g.charm,
        })
    }
}

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

fn reason(source: Source, text: impl Into<String>) -> Reason {
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
fn share(amount: i64, bp: i64, strategy: RoundingStrategy) -> i64 {
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
fn charm_price(price: i64, ending: i64, lo: i64, hi: i64) -> Option<i64> {
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
fn stock_text(stock: Option<i64>, cover: f64, velocity: f64) -> String {
    let stock = stock.unwrap_or(0);
    if cover.is_finite() {
        format!("{stock} in stock: {cover:.0} days of cover at {velocity:.2} sold a day")
    } else {
        format!("{stock} in stock and no sale in the last 28 days")
    }
}

/// The first rule that matches, with the target it sets and why.
fn rule_target(rules: &[Rule], x: &Input, currency: &str) -> Option<(i64, Vec<Reason>)> {
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

/// The optimiser's best price for item `i` on a grid inside the band, with
/// why; `None` when the current price is already best or nothing sells.
fn optimise(
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
    Ok(Some((
        p,
        vec![
            reason(
                Source::Signal,
                format!(
                    "elasticity {:.2}, {:.2} sold a day at today's price{}",
                    item.elasticity,
                    item.lambda,
                    item.stock
                        .map_or(String::new(), |s| format!(", {s} in stock"))
                ),
            ),
            reason(
                Source::Optimiser,
                format!(
                    "expected {what} {} → {} ({:.1} → {:.1} units)",
                    money(now_value),
                    money(v),
                    now_units,
                    units
                ),
            ),
        ],
    )))
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn guards(min_margin: Option<i64>, max_bp: i64, min_bp: i64, charm: Charm) -> Guards {
        Guards {
            min_margin_bp: min_margin,
            min_price: None,
            max_price: None,
            max_change_bp: max_bp,
            min_change_bp: min_bp,
            charm,
        }
    }

    #[test]
    fn floor_ceiling_step_and_charm() {
        let g = guards(Some(2000), 1000, 200, Charm::C99);
        // Cost 2.00 + 20 % = 2.40 floor; price 2.55; step 10 % = 0.25.
        let b = g.bounds(255, Some(200), None);
        assert_eq!(
            (b.floor, b.step_low, b.step_high, b.min_change),
            (240, 230, 280, 6)
        );
        // A 20 % cut is held to the floor, and no .99 price lies in [2.40, 2.80].
        let (p, why) = guard(204, &b, Charm::C99, "GBP").unwrap();
        assert_eq!(p, 240);
        assert!(why[0].text.contains("floor 2.40"), "{why:?}");
        assert!(why[1].text.contains("no .99 price"), "{why:?}");
        // Without charm a raise stops at one step up.
        let (p, _) = guard(300, &b, Charm::None, "GBP").unwrap();
        assert_eq!(p, 280);
        // With a wider step the nearest .99 is taken.
        let wide = guards(Some(2000), 5000, 200, Charm::C99).bounds(255, Some(200), None);
        assert_eq!(guard(310, &wide, Charm::C99, "GBP").unwrap().0, 299);
        // A ceiling below the floor holds the price.
        let g2 = Guards {
            max_price: Some(230),
            ..g
        };
        let r = guard(300, &g2.bounds(255, Some(200), None), Charm::None, "GBP").unwrap_err();
        assert!(r.text.contains("above the ceiling"), "{r:?}");
        // Too small a change is not worth making.
        let r = guard(258, &b, Charm::None, "GBP").unwrap_err();
        assert!(r.text.contains("less than the minimum change"), "{r:?}");
    }

    #[test]
    fn charm_picks_the_nearest_ending_inside() {
        assert_eq!(charm_price(250, 99, 0, 1000), Some(299));
        assert_eq!(charm_price(240, 99, 0, 1000), Some(199));
        assert_eq!(charm_price(240, 99, 0, 250), Some(199));
        assert_eq!(charm_price(240, 99, 200, 250), None);
        assert_eq!(charm_price(1249, 49, 0, 2000), Some(1249));
        assert_eq!(charm_price(1000, 95, 0, 2000), Some(995));
    }

    #[test]
    fn percent_reads_numbers_and_text() {
        #[derive(Deserialize)]
        struct T {
            a: Percent,
            b: Percent,
            c: Percent,
        }
        let t: T = toml::from_str("a = -10\nb = 2.5\nc = \"7.25\"").unwrap();
        assert_eq!(
            (t.a, t.b, t.c),
            (Percent(-1000), Percent(250), Percent(725))
        );
        assert!(toml::from_str::<T>("a = 1.234\nb = 1\nc = 1").is_err());
    }

    #[test]
    fn the_module_example_parses() {
        let doc = include_str!("rules.rs")
            .split("//! ```toml\n")
            .nth(1)
            .unwrap()
            .split("//! ```")
            .next()
            .unwrap()
            .lines()
            .map(|l| {
                l.strip_prefix("//! ")
                    .or(l.strip_prefix("//!"))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let r = RuleSet::parse(&doc).unwrap();
        assert_eq!(r.rule.len(), 3);
        assert_eq!(r.guardrails.charm, Charm::C99);
        let g = r.checked("GBP").unwrap();
        assert_eq!(
            (g.min_price, g.max_price, g.min_change_bp),
            (Some(50), Some(4000), 200)
        );
    }

    proptest! {
        /// Whatever the target, costs and guardrails, a proposed price keeps
        /// every guardrail, and a held one had no allowed price.
        #[test]
        fn guardrails_are_never_violated(
            current in 1i64..100_000,
            cost in proptest::option::of(0i64..120_000),
            compare_at in proptest::option::of(0i64..150_000),
            target in 1i64..200_000,
            min_margin in proptest::option::of(-5000i64..20_000),
            min_price in proptest::option::of(1i64..50_000),
            max_price in proptest::option::of(1i64..150_000),
            max_bp in 1i64..9000,
            min_frac in 0i64..=100,
            charm in prop_oneof![Just(Charm::None), Just(Charm::C99), Just(Charm::C95), Just(Charm::C49)],
        ) {
            let g = Guards {
                min_margin_bp: min_margin,
                min_price,
                max_price,
                max_change_bp: max_bp,
                min_change_bp: max_bp * min_frac / 100,
                charm,
            };
            let b = g.bounds(current, cost, compare_at);
            match guard(target, &b, charm, "GBP") {
                Ok((p, _)) => {
                    prop_assert!(b.allows(p));
                    prop_assert!(p >= b.floor);
                    if let (Some(c), Some(m)) = (cost, min_margin) {
                        // Exact: p ≥ cost × (1 + m), in integers.
                        prop_assert!(p as i128 * 10_000 >= c as i128 * (10_000 + m as i128));
                    }
                    if let Some(lo) = min_price { prop_assert!(p >= lo); }
                    let ceiling = max_price.or(compare_at.filter(|c| *c > 0));
                    if let Some(hi) = ceiling { prop_assert!(p <= hi); }
                    prop_assert!((p - current).abs() as i128 * 10_000 <= current as i128 * max_bp as i128);
                    prop_assert!((p - current).abs() as i128 * 10_000 >= current as i128 * g.min_change_bp as i128);
                    prop_assert!(p > 0);
                }
                Err(r) => {
                    prop_assert!(r.text.starts_with("held"));
                    // Held on the minimum change only when the allowed price
                    // nearest the target (after charm) moves too little.
                    if let Some((lo, hi)) = b.band() {
                        let clipped = target.clamp(lo, hi);
                        let charmed = charm.ending().and_then(|e| charm_price(clipped, e, lo, hi)).unwrap_or(clipped);
                        prop_assert!((charmed - current).abs() < b.min_change);
                    }
                }
            }
        }
    }
}
