//! The one margin floor every discount the app creates is checked against:
//! a shop-wide minimum margin on cost, with per-category overrides. A price
//! keeps the floor when price ≥ cost × (1 + m), exactly, in integers.

use crate::error::{Error, Result};
use crate::storefront::{Discount, DiscountMethod, DiscountValue, Minimum};
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

/// An item a discount would take below the margin floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RewardFloorItem"))]
pub struct FloorItem {
    pub sku: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    /// The lowest the item can sell at with the discount (and any automatic
    /// discount that stacks with it).
    #[cfg_attr(test, ts(type = "number"))]
    pub worst_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub floor_minor: i64,
}

/// A merchandise variant as a discount on the whole catalog is checked.
#[derive(Debug, Clone)]
struct CatalogItem {
    sku: String,
    title: String,
    price_minor: i64,
    cost_minor: Option<i64>,
    category: Option<String>,
    product: String,
    variant: String,
}

/// The shop's active merchandise in its currency, its floor, and the
/// automatic discounts live at a moment: what a discount on every item is
/// checked against.
pub struct Catalog {
    floor: MarginFloor,
    items: Vec<CatalogItem>,
    automatic: Vec<Discount>,
}

/// A discount on every item against the margin floor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogCheck {
    /// Items that keep the floor at their price but not with the discount,
    /// worst first.
    pub below: Vec<FloorItem>,
    /// Items already below the floor at their own price (a pricing matter).
    pub already_below: usize,
    /// Items without a cost, which cannot be checked.
    pub no_cost: usize,
    /// The largest amount (or share, in basis points) off that would keep
    /// every item that keeps the floor at its own price.
    pub largest_minor: Option<i64>,
    pub largest_bp: Option<i64>,
    /// The items (product, variant external ids) that keep the floor with
    /// the discount.
    pub keeping: Vec<(String, String)>,
    /// Every item checked.
    pub items: usize,
}

impl Catalog {
    /// The catalog in `currency` as of `now`.
    pub fn load(conn: &Connection, currency: &str, now: DateTime<Utc>) -> Result<Catalog> {
        let stamp = fmt_utc(now);
        let automatic = crate::storefront::local::discounts_overlapping(conn, &stamp, &stamp)?
            .into_iter()
            .filter(|d| d.method == DiscountMethod::Automatic)
            .collect();
        let mut stmt = conn.prepare(
            "SELECT coalesce(v.sku, v.external_id), p.title, v.price_minor, v.cost_minor, p.category,
                    p.external_id, v.external_id
             FROM variants v JOIN products p ON p.id = v.product_id
             WHERE p.kind = 'merchandise' AND v.active = 1 AND v.price_minor > 0 AND v.currency = ?1
             ORDER BY v.id",
        )?;
        let items = stmt
            .query_map([currency], |r| {
                Ok(CatalogItem {
                    sku: r.get(0)?,
                    title: r.get(1)?,
                    price_minor: r.get(2)?,
                    cost_minor: r.get(3)?,
                    category: r.get(4)?,
                    product: r.get(5)?,
                    variant: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Catalog {
            floor: MarginFloor::load(conn)?,
            items,
            automatic,
        })
    }

    /// Checks `d` on every item: the worst case of an amount off an order
    /// is an order just at its minimum (the amount spread over it), or one
    /// item alone above it; a percentage takes its share off each item;
    /// free shipping takes nothing off merchandise. Automatic discounts
    /// that cover an item stack on it.
    pub fn check(&self, d: &Discount) -> CatalogCheck {
        let mut out = CatalogCheck {
            items: self.items.len(),
            ..CatalogCheck::default()
        };
        for i in &self.items {
            let Some(cost) = i.cost_minor else {
                out.no_cost += 1;
                continue;
            };
            let category = i.category.as_deref();
            let price = i.price_minor;
            if !self.floor.allows(price, cost, category) {
                out.already_below += 1;
                continue;
            }
            let floor_minor = self.floor.min_price(cost, category);
            let mut worst = crate::promotions::sale::stack(price, d);
            for a in self
                .automatic
                .iter()
                .filter(|a| a.items.covers(&i.product, &i.variant))
            {
                worst = crate::promotions::sale::stack(worst, a);
            }
            let room = price - floor_minor;
            match (&d.value, &d.minimum) {
                (DiscountValue::Amount { .. }, m) => {
                    let cart = match m {
                        Minimum::Subtotal { amount_minor } => (*amount_minor).max(price),
                        _ => price,
                    };
                    // amount × price / cart ≤ room.
                    let keep = (room as i128 * cart as i128 / price as i128) as i64;
                    out.largest_minor = Some(out.largest_minor.map_or(keep, |l| l.min(keep)));
                }
                (DiscountValue::Percentage { .. }, _) => {
                    let keep = (room as i128 * 10_000 / price as i128) as i64;
                    out.largest_bp = Some(out.largest_bp.map_or(keep, |l| l.min(keep)));
                }
                _ => {}
            }
            if worst < floor_minor {
                out.below.push(FloorItem {
                    sku: i.sku.clone(),
                    title: i.title.clone(),
                    price_minor: price,
                    worst_minor: worst.max(0),
                    floor_minor,
                });
            } else {
                out.keeping.push((i.product.clone(), i.variant.clone()));
            }
        }
        out.below
            .sort_by_key(|i| (i.worst_minor - i.floor_minor, i.sku.clone()));
        out
    }
}

impl CatalogCheck {
    /// What the owner reads when items would go below the floor: how many,
    /// the worst three, and what would pass. `subject` names the discount,
    /// `with` how an item's price is worded with it ("with the reward").
    pub fn message(
        &self,
        subject: &str,
        with: &str,
        money: &dyn Fn(i64) -> String,
    ) -> Option<String> {
        if self.below.is_empty() {
            return None;
        }
        let first = self.worst(3, with, money);
        let would_pass = match (self.largest_minor, self.largest_bp) {
            (Some(l), _) | (_, Some(l)) if l <= 0 => {
                "; some sell at their floor already, so any discount takes them below".into()
            }
            (Some(l), _) => format!("; at most {} off would keep every item", money(l)),
            (_, Some(bp)) => format!(
                "; at most {}% off would keep every item",
                rust_decimal::Decimal::new(bp, 2).normalize()
            ),
            _ => String::new(),
        };
        let n = self.below.len();
        Some(format!(
            "{subject}: {n} item{} would sell below the margin floor ({}){would_pass}",
            if n == 1 { "" } else { "s" },
            first,
        ))
    }

    /// The first `n` items below the floor with the discount, as
    /// "SKU at price `with`, floor price", joined by semicolons.
    pub fn worst(&self, n: usize, with: &str, money: &dyn Fn(i64) -> String) -> String {
        self.below
            .iter()
            .take(n)
            .map(|i| {
                format!(
                    "{} at {} {with}, floor {}",
                    i.sku,
                    money(i.worst_minor),
                    money(i.floor_minor)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
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
