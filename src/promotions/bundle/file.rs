//! A bundle as the owner writes it.

use crate::error::{Error, Result};
use crate::money::Percent;
use crate::store::Shop;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a bundle sells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct BundleFile {
    pub name: String,
    /// The SKUs the buyer buys (one or two), one of each.
    pub buy: Vec<String>,
    /// The SKU at a discount.
    pub get: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub percent: Percent,
    /// Wall-clock time in the shop's time zone, e.g. "2011-12-24T23:59";
    /// none: until ended.
    #[serde(default)]
    pub ends_at: Option<String>,
}

impl BundleFile {
    /// Reads a bundle file, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<BundleFile> {
        crate::toml_file::parse(text)
    }

    /// What can be checked without the shop.
    pub fn validate_shape(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if self.name.trim().is_empty() {
            return bad("the bundle needs a name".into());
        }
        if self.buy.is_empty() || self.buy.len() > 2 {
            return bad("buy: give one or two SKUs".into());
        }
        let mut skus: Vec<&str> = self.buy.iter().map(|s| s.trim()).collect();
        skus.push(self.get.trim());
        if skus.iter().any(|s| s.is_empty()) {
            return bad("a SKU in buy or get is empty".into());
        }
        let mut distinct = skus.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() != skus.len() {
            return bad("buy and get name each SKU once: the product at a discount is not one of those bought".into());
        }
        if self.percent.0 <= 0 || self.percent.0 >= 10_000 {
            return bad("percent is above 0 and below 100".into());
        }
        Ok(())
    }

    /// The end in UTC, if any.
    pub fn end(&self, shop: &Shop) -> Result<Option<DateTime<Utc>>> {
        let Some(text) = self
            .ends_at
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Ok(None);
        };
        crate::time::parse_instant(text, shop.tz()?)
            .map(Some)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "ends_at \"{text}\" is not a time (use 2011-12-24T23:59, in the shop's time zone)"
                ))
            })
    }
}

impl crate::toml_file::TomlFile for BundleFile {
    const WHAT: &'static str = "the bundle file";
    fn check(&self) -> Result<()> {
        self.validate_shape()
    }
}
