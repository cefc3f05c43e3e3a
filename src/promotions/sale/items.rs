//! The products a sale covers, their sale prices and what stacks with them.

use super::*;
use crate::error::{Error, Result};
use crate::promotions::floor::MarginFloor;
use crate::store::Shop;
use crate::storefront::{Discount, DiscountValue, Minimum};
use rusqlite::{params, Connection};
use rust_decimal::Decimal;
use serde::Serialize;

/// One product in a sale, money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SaleItem {
    #[cfg_attr(test, ts(type = "number"))]
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    #[serde(skip)]
    pub product_external: String,
    #[serde(skip)]
    pub variant_external: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub compare_at_minor: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub cost_minor: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub stock: Option<i64>,
    /// The price during the sale.
    #[cfg_attr(test, ts(type = "number"))]
    pub sale_minor: i64,
    /// The lowest price the margin floor allows (`None` without a cost).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub floor_minor: Option<i64>,
    /// The lowest price if every discount that can combine with the sale does.
    #[cfg_attr(test, ts(type = "number"))]
    pub worst_case_minor: i64,
}

stored_enum! {
    /// How much a problem found before launch weighs.
    pub enum Severity {
        /// The launch is refused.
        Error = "error",
        /// The launch goes ahead; the owner should know.
        Warning = "warning",
    }
}

/// Something `check` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Problem {
    pub code: String,
    pub message: String,
    pub sku: Option<String>,
    pub severity: Severity,
    /// Whether a written reason can override it (the margin floor only).
    pub overridable: bool,
}

/// The discounts and sales that overlap a sale's window.
#[derive(Debug, Clone)]
pub(super) struct Other {
    pub(super) name: String,
    pub(super) discount: Option<Discount>,
    /// Another price-mode sale's price per variant id.
    pub(super) prices: std::collections::HashMap<i64, i64>,
}

/// The sale price of `price` under `d`.
pub fn sale_price(d: &DiscountSpec, price: i64, currency: &str) -> Result<i64> {
    let amount = |text: &str| {
        crate::money::parse_decimal(text.trim())
            .and_then(|v| crate::money::to_minor(v, currency))
            .filter(|m| *m > 0)
            .ok_or_else(|| Error::InvalidArgument(format!("\"{text}\" is not a positive amount")))
    };
    Ok(match (&d.percent, &d.amount_off, &d.sale_price) {
        (Some(p), _, _) => {
            crate::money::mul_round(price, Decimal::ONE - p.decimal() / Decimal::from(100))
        }
        (_, Some(a), _) => price - amount(a)?,
        (_, _, Some(s)) => amount(s)?,
        _ => price,
    })
}

/// The lowest a unit at `price` can go when `d` combines with it: a cart of
/// this item alone, just reaching `d`'s minimum.
pub(crate) fn stack(price: i64, d: &Discount) -> i64 {
    match &d.value {
        DiscountValue::Percentage { basis_points } => {
            crate::money::mul_round(price, Decimal::new(10_000 - basis_points, 4))
        }
        DiscountValue::Amount {
            amount_minor,
            each_item: true,
        } => price - amount_minor,
        DiscountValue::Amount {
            amount_minor,
            each_item: false,
        } => {
            // An order-level amount spread over a cart at its minimum.
            let cart = match d.minimum {
                Minimum::Subtotal { amount_minor: m } => m.max(price),
                Minimum::Quantity { quantity } => price * quantity.max(1),
                Minimum::None => price,
            };
            price - crate::money::div_round(amount_minor * price, cart.max(1))
        }
        DiscountValue::FreeShipping => price,
        // The unit may be the Y of a cart that holds the X.
        DiscountValue::BuyGet(b) => {
            crate::money::mul_round(price, Decimal::new(10_000 - b.basis_points, 4))
        }
    }
}

/// The margin floor's problem with `item` under a promotion (`what`, such
/// as "the bundle") that takes it to `after`, and to `worst` with every
/// discount that can stack; none when both keep the floor.
pub(crate) fn floor_problem(
    item: &SaleItem,
    what: &str,
    after: i64,
    worst: i64,
    money: &dyn Fn(i64) -> String,
) -> Option<Problem> {
    let (code, message) = match item.floor_minor {
        None => (
            "no_cost",
            format!(
                "{}: no unit cost, so the margin floor cannot be checked",
                item.sku
            ),
        ),
        Some(f) if after < f => (
            "below_floor",
            format!(
                "{}: {what} takes {} to {}, below the margin floor {}",
                item.sku,
                money(item.price_minor),
                money(after),
                money(f)
            ),
        ),
        Some(f) if worst < f => (
            "stacks_below_floor",
            format!(
                "{}: with the discounts live now the price can reach {}, below the margin floor {}",
                item.sku,
                money(worst),
                money(f)
            ),
        ),
        _ => return None,
    };
    Some(Problem {
        code: code.into(),
        message,
        sku: Some(item.sku.clone()),
        severity: Severity::Error,
        overridable: true,
    })
}

pub(crate) fn applies(d: &Discount, item: &SaleItem) -> bool {
    d.items
        .covers(&item.product_external, &item.variant_external)
}

/// The products `sale` covers, with their sale prices.
pub fn items(conn: &Connection, shop: &Shop, sale: &SaleFile) -> Result<Vec<SaleItem>> {
    let floor = MarginFloor::load(conn)?;
    let mut stmt = conn.prepare(
        "SELECT v.id, v.sku, p.title, p.category, p.external_id, v.external_id, v.price_minor,
                v.compare_at_minor, v.cost_minor, v.stock
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.kind = 'merchandise' AND v.active = 1 AND v.sku IS NOT NULL AND v.currency = ?1
         ORDER BY v.sku, v.id",
    )?;
    let rows = stmt.query_map([&shop.currency], |r| {
        Ok(SaleItem {
            variant_id: r.get(0)?,
            sku: r.get(1)?,
            title: r.get(2)?,
            category: r.get(3)?,
            product_external: r.get(4)?,
            variant_external: r.get(5)?,
            price_minor: r.get(6)?,
            compare_at_minor: r.get(7)?,
            cost_minor: r.get(8)?,
            stock: r.get(9)?,
            sale_minor: 0,
            floor_minor: None,
            worst_case_minor: 0,
        })
    })?;
    let t = &sale.targets;
    let mut out = Vec::new();
    let mut seen_skus = std::collections::HashSet::new();
    let mut seen_titles: std::collections::HashSet<String> = std::collections::HashSet::new();
    for row in rows {
        let mut item = row?;
        if !t.covers(&item.sku, &item.title, item.category.as_deref())
            || !seen_skus.insert(item.sku.clone())
        {
            continue;
        }
        seen_titles.insert(item.title.trim().to_lowercase());
        item.sale_minor = sale_price(&sale.discount, item.price_minor, &shop.currency)?;
        item.floor_minor = item
            .cost_minor
            .map(|c| floor.min_price(c, item.category.as_deref()));
        item.worst_case_minor = item.sale_minor;
        out.push(item);
    }
    if let Some(missing) = t.skus.iter().find(|s| !seen_skus.contains(*s)) {
        return Err(Error::InvalidArgument(format!(
            "targets: no product with SKU {missing} in this shop"
        )));
    }
    if let Some(missing) = t
        .products
        .iter()
        .find(|p| !seen_titles.contains(&p.trim().to_lowercase()))
    {
        return Err(Error::InvalidArgument(format!(
            "targets: no product called \"{missing}\" in this shop"
        )));
    }
    Ok(out)
}

pub(super) fn overlapping(
    conn: &Connection,
    start: &str,
    end: &str,
    this_sale: Option<i64>,
    items: &[SaleItem],
    currency: &str,
) -> Result<Vec<Other>> {
    let mut out: Vec<Other> = crate::storefront::local::discounts_overlapping(conn, start, end)?
        .into_iter()
        .map(|d| Other {
            name: d.title.clone(),
            discount: Some(d),
            prices: Default::default(),
        })
        .collect();
    let mut stmt = conn.prepare(
        "SELECT id, name, definition FROM sales
         WHERE mode = 'price' AND status IN ('scheduled', 'live') AND starts_at < ?2 AND ends_at > ?1
           AND id IS NOT ?3",
    )?;
    let rows: Vec<(i64, String, String)> = stmt
        .query_map(params![start, end, this_sale], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (_, name, def) in rows {
        let Ok(file) = serde_json::from_str::<SaleFile>(&def) else {
            continue;
        };
        let mut prices = std::collections::HashMap::new();
        for it in items {
            if file
                .targets
                .covers(&it.sku, &it.title, it.category.as_deref())
            {
                prices.insert(
                    it.variant_id,
                    sale_price(&file.discount, it.price_minor, currency)?,
                );
            }
        }
        out.push(Other {
            name,
            discount: None,
            prices,
        });
    }
    Ok(out)
}
