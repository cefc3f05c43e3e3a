//! The one margin floor every discount the app creates is checked against:
//! a shop-wide minimum margin on cost, with per-category overrides. A price
//! keeps the floor when price ≥ cost × (1 + m), exactly, in integers.

use crate::error::{Error, Result};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The shop's margin floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct MarginFloor {
    /// Minimum margin on cost, in basis points (2000: price ≥ cost × 1.2).
    #[cfg_attr(test, ts(type = "number"))]
    pub shop_bp: i64,
    /// Per-category overrides, in basis points.
    #[cfg_attr(test, ts(type = "Record<string, number>"))]
    pub categories: BTreeMap<String, i64>,
}

impl Default for MarginFloor {
    /// Until the owner sets one: never below cost.
    fn default() -> Self {
        MarginFloor {
            shop_bp: 0,
            categories: BTreeMap::new(),
        }
    }
}

impl MarginFloor {
    /// The floor as stored (the default when none was set).
    pub fn load(conn: &Connection) -> Result<MarginFloor> {
        let mut floor = MarginFloor::default();
        let mut stmt = conn.prepare("SELECT category, min_margin_bp FROM margin_floors")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (category, bp) = row?;
            if category.is_empty() {
                floor.shop_bp = bp;
            } else {
                floor.categories.insert(category, bp);
            }
        }
        Ok(floor)
    }

    /// Replaces the stored floor.
    pub fn save(&self, conn: &Connection, now: DateTime<Utc>) -> Result<()> {
        for bp in std::iter::once(&self.shop_bp).chain(self.categories.values()) {
            if !(0..=100_000).contains(bp) {
                // Below zero a discount could sell under cost.
                return Err(Error::field(
                    "Margin on cost %",
                    "give 0 % or more (at most 1000 %): below zero a discount could sell under cost",
                ));
            }
        }
        let tx = conn.unchecked_transaction()?;
        tx.execute("DELETE FROM margin_floors", [])?;
        let stamp = fmt_utc(now);
        for (category, bp) in std::iter::once(("", self.shop_bp))
            .chain(self.categories.iter().map(|(c, b)| (c.as_str(), *b)))
        {
            tx.execute(
                "INSERT INTO margin_floors (category, min_margin_bp, updated_at) VALUES (?1, ?2, ?3)",
                params![category, bp, stamp],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The minimum margin for a product in `category`.
    pub fn margin_bp(&self, category: Option<&str>) -> i64 {
        category
            .and_then(|c| self.categories.get(c))
            .copied()
            .unwrap_or(self.shop_bp)
    }

    /// The lowest price that keeps the floor for `cost` in `category`
    /// (rounded up to the minor unit).
    pub fn min_price(&self, cost: i64, category: Option<&str>) -> i64 {
        let bp = self.margin_bp(category) as i128;
        let n = cost as i128 * (10_000 + bp);
        (n + 9_999).div_euclid(10_000) as i64
    }

    /// Whether `quantity` units at a net `line_total` keep the floor, exactly.
    pub fn allows_line(
        &self,
        line_total: i64,
        cost: i64,
        quantity: i64,
        category: Option<&str>,
    ) -> bool {
        line_total as i128 * 10_000
            >= cost as i128 * quantity as i128 * (10_000 + self.margin_bp(category) as i128)
    }

    /// Whether `price` keeps the floor, exactly.
    pub fn allows(&self, price: i64, cost: i64, category: Option<&str>) -> bool {
        price as i128 * 10_000 >= cost as i128 * (10_000 + self.margin_bp(category) as i128)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn categories_override_the_shop() {
        let mut f = MarginFloor {
            shop_bp: 2000,
            ..Default::default()
        };
        f.categories.insert("Lighting".into(), 5000);
        assert_eq!(f.min_price(200, None), 240);
        assert_eq!(f.min_price(200, Some("Kitchen")), 240);
        assert_eq!(f.min_price(200, Some("Lighting")), 300);
        // 1.01 × 1.2 = 1.212 → 1.22 (up).
        assert_eq!(f.min_price(101, None), 122);
        assert!(f.allows(122, 101, None) && !f.allows(121, 101, None));
    }

    proptest! {
        #[test]
        fn min_price_is_the_least_allowed(cost in 0i64..1_000_000, bp in -9999i64..50_000) {
            let f = MarginFloor { shop_bp: bp, ..Default::default() };
            let p = f.min_price(cost, None);
            prop_assert!(f.allows(p, cost, None));
            prop_assert!(p == 0 || !f.allows(p - 1, cost, None));
        }
    }
}
