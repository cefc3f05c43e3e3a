//! Tiers as the owner writes them, and the thresholds they reach.

use crate::error::{Error, Result};
use crate::money::Percent;
use crate::promotions::sale::{self, SaleFile, Targets};
use serde::{Deserialize, Serialize};

/// Quantity tiers on products, or subtotal tiers on the cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "TierKind"))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Volume,
    Spend,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub min_quantity: Option<i64>,
    /// Major units.
    #[serde(default)]
    pub min_subtotal: Option<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub percent: Percent,
}

/// A set of tiers as the owner writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct TierFile {
    pub name: String,
    pub kind: Kind,
    /// Volume tiers: which products (skus, a category, or all).
    #[serde(default)]
    pub targets: Option<Targets>,
    pub tier: Vec<Tier>,
}

impl TierFile {
    /// Reads a tier file, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<TierFile> {
        crate::toml_file::parse(text)
    }

    /// What can be checked without the shop.
    pub fn validate_shape(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if self.name.trim().is_empty() {
            return bad("the tiers need a name".into());
        }
        if self.tier.is_empty() {
            return bad("give at least one [[tier]]".into());
        }
        match (self.kind, &self.targets) {
            (Kind::Volume, None) => {
                return bad("volume tiers need targets (skus, a category, or all = true)".into())
            }
            (Kind::Spend, Some(_)) => {
                return bad("spend tiers cover the whole cart; leave targets out".into())
            }
            (Kind::Volume, Some(t)) if t.count() != 1 => {
                return bad(
                    "targets: give exactly one of skus, products, category or all = true".into(),
                );
            }
            _ => {}
        }
        for (n, t) in self.tier.iter().enumerate() {
            let which = n + 1;
            match self.kind {
                Kind::Volume
                    if t.min_quantity.is_none_or(|q| q < 2) || t.min_subtotal.is_some() =>
                {
                    return bad(format!(
                        "tier {which}: a volume tier starts at 2 units or more (min_quantity)"
                    ));
                }
                Kind::Spend if t.min_subtotal.is_none() || t.min_quantity.is_some() => {
                    return bad(format!("tier {which}: a spend tier has min_subtotal"));
                }
                _ => {}
            }
            if t.percent.0 <= 0 || t.percent.0 >= 10_000 {
                return bad(format!("tier {which}: percent is above 0 and below 100"));
            }
        }
        Ok(())
    }

    /// The tiers as (threshold, basis points), thresholds rising: units for
    /// volume, minor units of subtotal for spend.
    pub fn steps(&self, currency: &str) -> Result<Vec<(i64, i64)>> {
        let mut steps = Vec::new();
        for (n, t) in self.tier.iter().enumerate() {
            let threshold = match self.kind {
                Kind::Volume => t.min_quantity.unwrap_or(0),
                Kind::Spend => {
                    let text = t.min_subtotal.as_deref().unwrap_or("");
                    crate::money::parse_decimal(text)
                        .and_then(|d| crate::money::to_minor(d, currency))
                        .filter(|m| *m > 0)
                        .ok_or_else(|| {
                            Error::InvalidArgument(format!(
                                "tier {}: min_subtotal \"{text}\" is not a positive amount",
                                n + 1
                            ))
                        })?
                }
            };
            steps.push((threshold, t.percent.0));
        }
        steps.sort();
        for w in steps.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::InvalidArgument(
                    "two tiers have the same threshold".into(),
                ));
            }
            if w[1].1 <= w[0].1 {
                return Err(Error::InvalidArgument(
                    "a higher tier must take off more than the one below it".into(),
                ));
            }
        }
        Ok(steps)
    }

    pub(super) fn as_sale_targets(&self) -> SaleFile {
        SaleFile {
            name: self.name.clone(),
            targets: self.targets.clone().unwrap_or(Targets {
                all: true,
                ..Default::default()
            }),
            discount: sale::DiscountSpec {
                percent: Some(Percent(1)),
                ..Default::default()
            },
            starts_at: String::new(),
            ends_at: String::new(),
            stock_cap: None,
            mode: sale::SaleMode::Discount,
            code: None,
            per_customer_limit: None,
        }
    }
}

/// The best step reached at `amount`, as basis points off.
pub(super) fn reached(steps: &[(i64, i64)], amount: i64) -> i64 {
    steps
        .iter()
        .filter(|(t, _)| *t <= amount)
        .map(|(_, bp)| *bp)
        .max()
        .unwrap_or(0)
}

impl crate::toml_file::TomlFile for TierFile {
    const WHAT: &'static str = "the tier file";
    fn check(&self) -> Result<()> {
        self.validate_shape()
    }
}
