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
    /// The SKUs the buyer buys (one or two), one of each; a file may
    /// give one as a plain string.
    #[serde(deserialize_with = "one_or_more")]
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

/// A SKU or a list of SKUs.
fn one_or_more<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        One(String),
        More(Vec<String>),
    }
    match Written::deserialize(d) {
        Ok(Written::One(s)) => Ok(vec![s]),
        Ok(Written::More(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom(
            "buy is a SKU in quotes, or a list of one or two: [\"22697\", \"22698\"]",
        )),
    }
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

    /// The end in UTC, if any, refused when it is not after `now`.
    pub fn end_after(&self, shop: &Shop, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let end = self.end(shop)?;
        if end.is_some_and(|e| e <= now) {
            return Err(Error::InvalidArgument(format!(
                "ends_at \"{}\" has passed",
                self.ends_at.as_deref().unwrap_or_default().trim()
            )));
        }
        Ok(end)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_names_what_is_wrong_in_the_owners_words() {
        let one =
            BundleFile::parse("name = \"T\"\nbuy = \"A\"\nget = \"B\"\npercent = 10\n").unwrap();
        assert_eq!(one.buy, vec!["A".to_string()]);
        let two =
            BundleFile::parse("name = \"T\"\nbuy = [\"A\", \"C\"]\nget = \"B\"\npercent = 7.5\n")
                .unwrap();
        assert_eq!((two.buy.len(), two.percent.0), (2, 750));
        let wrong = |text: &str| BundleFile::parse(text).unwrap_err().to_string();
        assert!(wrong("name = \"T\"\nbuy = 5\nget = \"B\"\npercent = 10\n")
            .contains("buy is a SKU in quotes"));
        assert!(
            wrong("name = \"T\"\nbuy = [\"A\"]\nget = \"A\"\npercent = 10\n")
                .contains("each SKU once")
        );
        assert!(
            wrong("name = \"T\"\nbuy = [\"A\", \"B\", \"C\"]\nget = \"D\"\npercent = 10\n")
                .contains("one or two SKUs")
        );
        assert!(
            wrong("name = \"T\"\nbuy = [\"A\"]\nget = \"B\"\npercent = 100\n")
                .contains("below 100")
        );
        assert!(
            wrong("name = \" \"\nbuy = [\"A\"]\nget = \"B\"\npercent = 10\n")
                .contains("needs a name")
        );
    }
}
