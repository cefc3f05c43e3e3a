//! The rule set as the owner writes it, and its checks.

use super::*;
use crate::error::{Error, Result};
use crate::money::{minor_per_major, Percent};
use serde::{Deserialize, Serialize};

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
    pub(super) fn ending(self) -> Option<i64> {
        match self {
            Charm::None => None,
            Charm::C99 => Some(99),
            Charm::C95 => Some(95),
            Charm::C49 => Some(49),
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Charm::None => "none",
            Charm::C99 => ".99",
            Charm::C95 => ".95",
            Charm::C49 => ".49",
        }
    }
}

pub(super) fn default_max_change() -> Percent {
    Percent(1000)
}

pub(super) fn default_min_change() -> Percent {
    Percent(100)
}

pub(super) fn default_horizon() -> usize {
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
    pub(super) fn zero() -> Percent {
        Percent(0)
    }
}

impl Rule {
    pub(super) fn category(&self) -> Option<&str> {
        match self {
            Rule::LowStock { category, .. }
            | Rule::Overstock { category, .. }
            | Rule::Competitor { category, .. } => category.as_deref(),
        }
    }

    pub(super) fn name(&self) -> &'static str {
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
        crate::toml_file::parse(text)
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
            .is_some_and(|m| !(0..=100_000).contains(&m.0))
        {
            // Below zero the floor would be under cost: every sale a loss.
            return Err(Error::field(
                "Minimum margin on cost %",
                "give 0 % or more (at most 1000 %): below zero every sale at the floor loses money",
            ));
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

impl crate::toml_file::TomlFile for RuleSet {
    const WHAT: &'static str = "the rule file";
}
