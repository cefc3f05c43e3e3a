//! The plan as the owner writes it.

use crate::error::{Error, Result};
use crate::money::Percent;
use crate::store::Shop;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which products a sale covers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SaleTargets"))]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub skus: Vec<String>,
    /// Every variant of these products, by title.
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub all: bool,
}

impl Targets {
    /// How many kinds of target are given (one is right).
    pub fn count(&self) -> u8 {
        (!self.skus.is_empty()) as u8
            + (!self.products.is_empty()) as u8
            + self.category.is_some() as u8
            + self.all as u8
    }

    /// Whether a product with `sku`, `title` and `category` is covered.
    pub fn covers(&self, sku: &str, title: &str, category: Option<&str>) -> bool {
        self.all
            || self
                .category
                .as_deref()
                .is_some_and(|c| category == Some(c))
            || self.skus.iter().any(|s| s == sku)
            || self
                .products
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(title.trim()))
    }
}

/// What the sale takes off: exactly one of the three.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SaleDiscount"))]
#[serde(deny_unknown_fields)]
pub struct DiscountSpec {
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub percent: Option<Percent>,
    /// Off each unit, major units.
    #[serde(default)]
    pub amount_off: Option<String>,
    /// One price for every item, major units.
    #[serde(default)]
    pub sale_price: Option<String>,
}

/// How a sale reaches the storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum SaleMode {
    /// A storefront discount with its own start and end (the platform ends it).
    #[default]
    Discount,
    /// The price itself, with the old price as compare-at (the app ends it).
    Price,
}

/// A sale as the owner writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SaleFile {
    pub name: String,
    pub targets: Targets,
    pub discount: DiscountSpec,
    /// Wall-clock time in the shop's time zone, e.g. "2011-12-10T09:00".
    pub starts_at: String,
    pub ends_at: String,
    /// Units at the sale price; the sale ends when they are sold.
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub stock_cap: Option<i64>,
    #[serde(default)]
    pub mode: SaleMode,
    /// A code buyers enter (discount mode); none: automatic.
    #[serde(default)]
    pub code: Option<String>,
    /// Uses per customer (code discounts).
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub per_customer_limit: Option<i64>,
}

impl SaleFile {
    /// Reads a sale file, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<SaleFile> {
        crate::toml_file::parse(text)
    }

    /// What can be checked without the shop.
    pub fn validate_shape(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidArgument(m.to_string()));
        if self.name.trim().is_empty() {
            return bad("the sale needs a name");
        }
        let t = &self.targets;
        if t.count() != 1 {
            return bad("targets: give exactly one of skus, products, category or all = true");
        }
        let d = &self.discount;
        if d.percent.is_some() as u8 + d.amount_off.is_some() as u8 + d.sale_price.is_some() as u8
            != 1
        {
            return bad("discount: give exactly one of percent, amount_off or sale_price");
        }
        if d.percent.is_some_and(|p| p.0 <= 0 || p.0 >= 10_000) {
            return bad("discount: percent is above 0 and below 100");
        }
        if self.stock_cap.is_some_and(|c| c <= 0) {
            return bad("stock_cap is at least 1");
        }
        match self.per_customer_limit {
            None => {}
            Some(1) if self.code.is_some() => {}
            Some(1) => return bad("per_customer_limit needs a code: automatic discounts cannot count customers"),
            // Shopify offers "once per customer" and nothing between.
            Some(_) => return bad("per_customer_limit can only be 1 (once per customer): the storefront counts no other limit"),
        }
        if self.mode == SaleMode::Price
            && (self.code.is_some() || self.per_customer_limit.is_some())
        {
            return bad(
                "a price-mode sale has no code or per-customer limit; use mode = \"discount\"",
            );
        }
        Ok(())
    }

    /// The window in UTC.
    pub fn window(&self, shop: &Shop) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        let tz = shop.tz()?;
        let at = |what: &str, text: &str| {
            crate::time::parse_instant(text.trim(), tz).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{what} \"{text}\" is not a time (use 2011-12-10T09:00, in the shop's time zone)"
                ))
            })
        };
        Ok((
            at("starts_at", &self.starts_at)?,
            at("ends_at", &self.ends_at)?,
        ))
    }
}

impl crate::toml_file::TomlFile for SaleFile {
    const WHAT: &'static str = "the sale file";
    fn check(&self) -> Result<()> {
        self.validate_shape()
    }
}
