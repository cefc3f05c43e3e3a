//! The owner's subscriptions file: who bills the renewals, and what each
//! plan's boxes are made of.
//!
//! ```toml
//! billing = "desk"            # or "platform" (the default)
//! premium = ["22423"]         # premium items: only plans of premium_rank and up
//! premium_rank = 2
//!
//! [[plan]]
//! name = "Gold"               # as the book names it
//! rank = 2                    # the plan's tier, 1 the lowest
//! items = 3                   # items in each box
//! categories = ["Kitchen"]    # the box's items come from these categories
//! products = ["85123A"]       # and these SKUs
//! box_sku = "BOX-GOLD"        # what a renewal order sells (desk bills, no platform)
//! # What the plan's tier brings (see `gating`):
//! discount_percent = 10       # member discount: a code for the plan's customers
//! free_shipping = true        # a free-shipping code for them
//! early_access_hours = 24     # they buy at a sale's price this long before its start
//! points_multiplier = "2"     # loyalty points while subscribed (the tier's if higher)
//! ```

use crate::error::{Error, Result};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

stored_enum! {
    /// Who runs the renewals.
    pub enum Billing {
        /// A subscription app bills; Merchant Desk imports its book.
        Platform = "platform",
        /// Merchant Desk runs every renewal itself (`subs renew`).
        Desk = "desk",
    }
}

// The enum comes from `stored_enum!`, which takes no `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Billing {
    fn default() -> Self {
        Billing::Platform
    }
}

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

/// What one plan's boxes are made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "PlanSetup"))]
#[serde(deny_unknown_fields)]
pub struct PlanSetup {
    pub name: String,
    /// The plan's tier, 1 the lowest.
    #[serde(default = "one")]
    pub rank: u32,
    /// Items in each box (0: the plan sends no curated box).
    #[serde(default)]
    pub items: u32,
    /// The categories the box's items come from.
    #[serde(default)]
    pub categories: Vec<String>,
    /// And these SKUs.
    #[serde(default)]
    pub products: Vec<String>,
    /// The SKU a renewal order sells, when Merchant Desk bills a shop with
    /// no platform.
    #[serde(default)]
    pub box_sku: Option<String>,
    /// Member discount: percent off for the plan's customers (0: none).
    #[serde(default)]
    pub discount_percent: u32,
    /// A free-shipping code for the plan's customers.
    #[serde(default)]
    pub free_shipping: bool,
    /// Hours before a sale's public start the plan's customers may buy at
    /// its price (0: none).
    #[serde(default)]
    pub early_access_hours: u32,
    /// Loyalty points are multiplied by this while subscribed (a decimal;
    /// none: the loyalty tier's alone).
    #[serde(default)]
    pub points_multiplier: Option<String>,
}

impl PlanSetup {
    /// The points multiplier as a decimal (none or unreadable: none).
    pub fn multiplier(&self) -> Option<rust_decimal::Decimal> {
        self.points_multiplier
            .as_deref()
            .and_then(crate::money::parse_decimal)
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SubscriptionSetup"))]
#[serde(deny_unknown_fields)]
pub struct Setup {
    #[serde(default)]
    pub billing: Billing,
    /// Premium items (SKUs): only plans of `premium_rank` and up get them.
    #[serde(default)]
    pub premium: Vec<String>,
    #[serde(default = "two")]
    pub premium_rank: u32,
    #[serde(default, rename = "plan")]
    #[cfg_attr(test, ts(rename = "plan"))]
    pub plans: Vec<PlanSetup>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            billing: Billing::Platform,
            premium: Vec::new(),
            premium_rank: 2,
            plans: Vec::new(),
        }
    }
}

impl crate::toml_file::TomlFile for Setup {
    const WHAT: &'static str = "the subscriptions file";

    fn check(&self) -> Result<()> {
        self.check_shape()
    }
}

fn trimmed(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = list
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    out.dedup();
    out
}

impl Setup {
    /// Reads the TOML of a subscriptions file.
    pub fn parse(text: &str) -> Result<Setup> {
        crate::toml_file::parse(text)
    }

    /// The set-up as stored (the default until the owner saves one).
    pub fn load(conn: &Connection) -> Result<Setup> {
        let row: Option<(Billing, String)> = conn
            .query_row(
                "SELECT billing, setup FROM subscription_setup WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((billing, text)) => Setup {
                billing,
                ..serde_json::from_str(&text).unwrap_or_default()
            },
            None => Setup::default(),
        })
    }

    /// The plan's set-up by its name in the book.
    pub fn plan(&self, name: &str) -> Option<&PlanSetup> {
        self.plans.iter().find(|p| p.name == name)
    }

    /// What can be checked without the shop.
    pub fn check_shape(&self) -> Result<()> {
        let mut seen = BTreeSet::new();
        if self.premium_rank == 0 {
            return Err(Error::field(
                "Premium items from rank",
                "give a rank of 1 or more.",
            ));
        }
        for p in &self.plans {
            let name = p.name.trim();
            if name.is_empty() {
                return Err(Error::field("Plan", "every plan needs its name."));
            }
            if !seen.insert(name.to_string()) {
                return Err(Error::field(
                    "Plan",
                    format!("plan \"{name}\" is set up twice."),
                ));
            }
            if p.rank == 0 {
                return Err(Error::field(
                    "Rank",
                    format!("plan \"{name}\": give a rank of 1 or more."),
                ));
            }
            if p.items > 50 {
                return Err(Error::field(
                    "Items per box",
                    format!("plan \"{name}\": a box holds at most 50 items."),
                ));
            }
            if p.discount_percent > 90 {
                return Err(Error::field(
                    "Member discount %",
                    format!("plan \"{name}\": give a member discount of 0 to 90 %."),
                ));
            }
            if p.early_access_hours > 336 {
                return Err(Error::field(
                    "Early access (hours)",
                    format!("plan \"{name}\": give at most 336 hours (two weeks)."),
                ));
            }
            if let Some(m) = p
                .points_multiplier
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
            {
                let ok = crate::money::parse_decimal(m).filter(|d| {
                    *d >= rust_decimal::Decimal::ONE && *d <= rust_decimal::Decimal::TEN
                });
                if ok.is_none() {
                    return Err(Error::field(
                        "Points multiplier",
                        format!(
                            "plan \"{name}\": give a number from 1 to 10, such as 1.5 (not \"{m}\")."
                        ),
                    ));
                }
            }
            if p.items > 0 && trimmed(&p.categories).is_empty() && trimmed(&p.products).is_empty() {
                return Err(Error::field(
                    "From categories",
                    format!(
                        "plan \"{name}\": name the categories or products its boxes are made of."
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks the set-up against the shop: every plan is in the book, every
    /// SKU and category is in the catalog.
    pub fn check_shop(&self, conn: &Connection) -> Result<()> {
        self.check_shape()?;
        let plans: Vec<String> = conn
            .prepare("SELECT name FROM subscription_plans ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let sku_known = |sku: &str| -> Result<bool> {
            Ok(conn
                .prepare_cached("SELECT 1 FROM variants WHERE sku = ?1 LIMIT 1")?
                .exists([sku])?)
        };
        let category_known = |c: &str| -> Result<bool> {
            Ok(conn
                .prepare_cached("SELECT 1 FROM products WHERE category = ?1 LIMIT 1")?
                .exists([c])?)
        };
        for sku in trimmed(&self.premium) {
            if !sku_known(&sku)? {
                return Err(Error::field(
                    "Premium items (SKUs)",
                    format!("there is no SKU {sku} in the catalog."),
                ));
            }
        }
        for p in &self.plans {
            let name = p.name.trim();
            if !plans.iter().any(|n| n == name) {
                return Err(Error::field(
                    "Plan",
                    if plans.is_empty() {
                        format!("there is no plan \"{name}\": import the subscriptions first.")
                    } else {
                        format!(
                            "there is no plan \"{name}\" in the book (its plans: {}).",
                            plans.join(", ")
                        )
                    },
                ));
            }
            for sku in trimmed(&p.products) {
                if !sku_known(&sku)? {
                    return Err(Error::field(
                        "And SKUs",
                        format!("plan \"{name}\": there is no SKU {sku} in the catalog."),
                    ));
                }
            }
            for c in trimmed(&p.categories) {
                if !category_known(&c)? {
                    return Err(Error::field(
                        "From categories",
                        format!("plan \"{name}\": no product is in the category \"{c}\"."),
                    ));
                }
            }
            if let Some(sku) = p
                .box_sku
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                if !sku_known(sku)? {
                    return Err(Error::field(
                        "Box product (SKU)",
                        format!("plan \"{name}\": there is no SKU {sku} in the catalog."),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks and stores the set-up (lists trimmed), and each plan's box
    /// size in the book.
    pub fn save(mut self, conn: &Connection, now: DateTime<Utc>) -> Result<Setup> {
        self.premium = trimmed(&self.premium);
        for p in &mut self.plans {
            p.name = p.name.trim().to_string();
            p.categories = trimmed(&p.categories);
            p.products = trimmed(&p.products);
            p.box_sku = p
                .box_sku
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            p.points_multiplier = p
                .points_multiplier
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
        self.check_shop(conn)?;
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO subscription_setup (id, billing, setup, updated_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET billing = excluded.billing, setup = excluded.setup,
                updated_at = excluded.updated_at",
            params![
                self.billing,
                serde_json::to_string(&self).expect("the set-up serialises"),
                fmt_utc(now)
            ],
        )?;
        tx.execute("UPDATE subscription_plans SET items_per_box = 0", [])?;
        for p in &self.plans {
            tx.execute(
                "UPDATE subscription_plans SET items_per_box = ?2 WHERE name = ?1",
                params![p.name, p.items],
            )?;
        }
        tx.commit()?;
        Setup::load(conn)
    }
}
