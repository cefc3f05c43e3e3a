//! What-if scenarios: price changes by SKU, category or the whole catalog,
//! as a percentage or a new price. The CLI reads them from TOML:
//!
//! ```toml
//! name = "summer cut"
//! [[change]]
//! sku = "85123A"      # or: category = "Lighting", or: all = true
//! percent = -10       # or: price = "2.49"
//! ```
//!
//! Changes apply in order; a later one overrides an earlier one for the
//! same variant. Percentages are exact decimals, rounded once to minor units.

use super::data::Variant;
use crate::error::{Error, Result};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A scenario as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "ScenarioFile"))]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub change: Vec<Change>,
}

/// One change: which variants, and to what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "ScenarioChange"))]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub sku: Option<String>,
    pub category: Option<String>,
    #[serde(default)]
    pub all: bool,
    /// Percent up (positive) or down (negative), e.g. -10 or 2.5.
    #[cfg_attr(test, ts(type = "number | string | null"))]
    pub percent: Option<toml::Value>,
    /// A new price in major units, as a string: "2.49".
    pub price: Option<String>,
}

impl Scenario {
    /// Reads a scenario file's text, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<Scenario> {
        crate::toml_file::parse(text)
    }

    /// The new price of each variant (in `variants`' order), or an error that
    /// says which change is wrong.
    pub fn prices(&self, variants: &[Variant], currency: &str) -> Result<Vec<i64>> {
        let mut prices: Vec<i64> = variants.iter().map(|v| v.price_minor).collect();
        for (n, c) in self.change.iter().enumerate() {
            let which = format!("change {}", n + 1);
            let selectors = c.sku.is_some() as u8 + c.category.is_some() as u8 + c.all as u8;
            if selectors != 1 {
                return Err(Error::InvalidArgument(format!(
                    "{which}: give exactly one of sku, category or all = true"
                )));
            }
            let target: Box<dyn Fn(&Variant) -> bool> = match (&c.sku, &c.category) {
                (Some(sku), _) => Box::new(move |v: &Variant| v.sku == *sku),
                (_, Some(cat)) => {
                    Box::new(move |v: &Variant| v.category.as_deref() == Some(cat.as_str()))
                }
                _ => Box::new(|_: &Variant| true),
            };
            let set: Box<dyn Fn(i64) -> Result<i64>> = match (&c.percent, &c.price) {
                (Some(p), None) => {
                    let pct = percent(p).ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "{which}: percent must be a number above -100"
                        ))
                    })?;
                    let factor = Decimal::ONE + pct / Decimal::from(100);
                    Box::new(move |old| Ok(crate::money::mul_round(old, factor)))
                }
                (None, Some(text)) => {
                    let minor = crate::money::parse_decimal(text)
                        .and_then(|d| crate::money::to_minor(d, currency))
                        .filter(|m| *m > 0)
                        .ok_or_else(|| {
                            Error::InvalidArgument(format!(
                                "{which}: price \"{text}\" is not a positive amount"
                            ))
                        })?;
                    Box::new(move |_| Ok(minor))
                }
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "{which}: give exactly one of percent or price"
                    )))
                }
            };
            let mut matched = false;
            for (v, p) in variants.iter().zip(prices.iter_mut()) {
                if target(v) {
                    *p = set(*p)?;
                    matched = true;
                }
            }
            if !matched {
                return Err(Error::InvalidArgument(format!(
                    "{which}: no product matches {}",
                    match (&c.sku, &c.category) {
                        (Some(s), _) => format!("SKU {s}"),
                        (_, Some(cat)) => format!("category {cat}"),
                        _ => "the catalog".into(),
                    }
                )));
            }
        }
        Ok(prices)
    }
}

fn percent(v: &toml::Value) -> Option<Decimal> {
    let d = match v {
        toml::Value::Integer(i) => Decimal::from(*i),
        toml::Value::Float(f) => Decimal::try_from(*f).ok()?,
        toml::Value::String(s) => crate::money::parse_decimal(s)?,
        _ => return None,
    };
    (d > Decimal::from(-100)).then_some(d)
}

impl crate::toml_file::TomlFile for Scenario {
    const WHAT: &'static str = "the scenario file";
    fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::InvalidArgument("the scenario needs a name".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: i64, sku: &str, category: &str, price: i64) -> Variant {
        Variant {
            id,
            sku: sku.into(),
            title: sku.into(),
            category: Some(category.into()),
            price_minor: price,
            compare_at_minor: None,
            cost_minor: Some(100),
            stock: Some(10),
        }
    }

    #[test]
    fn applies_changes_in_order_with_exact_rounding() {
        let variants = [
            v(1, "85123A", "Lighting", 295),
            v(2, "22423", "Kitchen", 1275),
            v(3, "47566", "Lighting", 165),
        ];
        let s = Scenario::parse(
            r#"
            name = "summer cut"
            [[change]]
            category = "Lighting"
            percent = -10
            [[change]]
            sku = "47566"
            price = "1.49"
            [[change]]
            all = true
            percent = 2.5
            "#,
        )
        .unwrap();
        // 295 × 0.9 = 265.5 → 266 (half away from zero), × 1.025 = 272.65 → 273.
        // 1275 × 1.025 = 1306.875 → 1307. 149 × 1.025 = 152.725 → 153.
        assert_eq!(s.prices(&variants, "GBP").unwrap(), vec![273, 1307, 153]);
    }

    #[test]
    fn wrong_changes_say_which_and_why() {
        let variants = [v(1, "A", "X", 100)];
        let err = |text: &str| {
            Scenario::parse(text)
                .and_then(|s| s.prices(&variants, "GBP"))
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("name = \"x\"\n[[change]]\nsku = \"A\"\ncategory = \"X\"\npercent = 1")
                .contains("change 1: give exactly one of sku")
        );
        assert!(err("name = \"x\"\n[[change]]\nsku = \"A\"\npercent = -100").contains("above -100"));
        assert!(
            err("name = \"x\"\n[[change]]\nsku = \"A\"\nprice = \"abc\"")
                .contains("not a positive amount")
        );
        assert!(err("name = \"x\"\n[[change]]\nsku = \"NOPE\"\npercent = 5")
            .contains("no product matches SKU NOPE"));
        assert!(err("name = \"x\"\n[[change]]\nsku = \"A\"").contains("percent or price"));
        assert!(err("name = \"x\"\ncolour = 1").contains("not valid"));
        assert!(err("name = \"\"").contains("needs a name"));
    }
}
