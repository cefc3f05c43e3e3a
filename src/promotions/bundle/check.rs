//! A bundle's SKUs resolved in the shop, and its floor check: the
//! discounted product at its bundle price and at the lowest every live
//! discount that can stack takes it to.

use super::*;
use crate::error::{Error, Result};
use crate::promotions::sale::{self, Problem, SaleItem, Targets};
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

/// A bundle's products as the shop has them.
pub struct Resolved {
    pub buys: Vec<SaleItem>,
    pub get: SaleItem,
}

/// Finds each SKU among the products the shop sells.
pub fn resolve(conn: &Connection, shop: &Shop, file: &BundleFile) -> Result<Resolved> {
    let mut skus: Vec<String> = file.buy.iter().map(|s| s.trim().to_string()).collect();
    skus.push(file.get.trim().to_string());
    let items = sale::items(
        conn,
        shop,
        &sale::SaleFile {
            name: file.name.clone(),
            targets: Targets {
                skus: skus.clone(),
                ..Default::default()
            },
            discount: sale::DiscountSpec {
                percent: Some(file.percent),
                ..Default::default()
            },
            starts_at: String::new(),
            ends_at: String::new(),
            stock_cap: None,
            mode: sale::SaleMode::Discount,
            code: None,
            per_customer_limit: None,
        },
    )?;
    let find = |sku: &str| {
        items.iter().find(|i| i.sku == sku).cloned().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "no product with SKU {sku} is on sale in this shop (check the SKU; a product that is not active cannot be in a bundle)"
            ))
        })
    };
    Ok(Resolved {
        buys: skus[..skus.len() - 1]
            .iter()
            .map(|s| find(s))
            .collect::<Result<_>>()?,
        get: find(&skus[skus.len() - 1])?,
    })
}

/// A bundle's check and what it leaves the shop. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct BundleCheck {
    pub ok: bool,
    pub problems: Vec<Problem>,
    /// One of each at full price.
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    /// One of each with the bundle's discount.
    #[cfg_attr(test, ts(type = "number"))]
    pub bundle_price_minor: i64,
    /// The bundle price less unit costs (none: a cost is missing).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_minor: Option<i64>,
    /// The discounted product: its bundle price, the floor and the lowest
    /// price live discounts that can stack take it to.
    #[cfg_attr(test, ts(type = "number"))]
    pub get_price_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub get_floor_minor: Option<i64>,
    #[cfg_attr(test, ts(type = "number"))]
    pub get_worst_minor: i64,
    /// The largest whole percent the floor allows (none: no cost, or not
    /// even 1 %).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub max_percent_bp: Option<i64>,
    /// Live discounts that can stack on the discounted product, by title.
    pub stacking: Vec<String>,
}

/// Checks a bundle against the margin floor from `now` to its end.
pub fn check(
    conn: &Connection,
    shop: &Shop,
    file: &BundleFile,
    now: DateTime<Utc>,
) -> Result<BundleCheck> {
    file.validate_shape()?;
    let end = file.end_after(shop, now)?;
    let r = resolve(conn, shop, file)?;
    let until = end.map(fmt_utc).unwrap_or_else(|| "9999".into());
    let others = crate::storefront::local::discounts_overlapping(conn, &fmt_utc(now), &until)?;
    let stacking: Vec<&crate::storefront::Discount> =
        others.iter().filter(|d| sale::applies(d, &r.get)).collect();
    let get = &r.get;
    let after = crate::money::mul_round(get.price_minor, Decimal::new(10_000 - file.percent.0, 4));
    let worst = stacking.iter().fold(after, |p, d| sale::stack(p, d)).max(0);
    // Money as the shop writes it.
    let written = crate::store::shop_money_format(conn, &shop.currency)?;
    let money = |m: i64| written.format(m, &shop.currency);
    let problems: Vec<Problem> = sale::floor_problem(get, "the bundle", after, worst, &money)
        .into_iter()
        .collect();
    let all: Vec<&SaleItem> = r.buys.iter().chain(std::iter::once(get)).collect();
    let price: i64 = all.iter().map(|i| i.price_minor).sum();
    let bundle_price = price - (get.price_minor - after);
    let cost: Option<i64> = all.iter().map(|i| i.cost_minor).sum();
    Ok(BundleCheck {
        ok: problems.is_empty(),
        problems,
        price_minor: price,
        bundle_price_minor: bundle_price,
        margin_minor: cost.map(|c| bundle_price - c),
        get_price_minor: after,
        get_floor_minor: get.floor_minor,
        get_worst_minor: worst,
        max_percent_bp: get
            .floor_minor
            .and_then(|f| crate::recommend::bundles::max_percent_bp(get.price_minor, f, &stacking)),
        stacking: stacking.iter().map(|d| d.title.clone()).collect(),
    })
}
