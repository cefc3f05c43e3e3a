//! The floor check on the deepest tier, a cart preview and the look-back over past orders.

use super::*;
use crate::error::{Error, Result};
use crate::promotions::floor::MarginFloor;
use crate::promotions::sale::{self, Problem, SaleFile, Targets};
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use rust_decimal::Decimal;
use serde::Serialize;

/// The floor check: the deepest tier on every product it covers, with every
/// discount live now that can combine with it.
pub fn check(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    now: DateTime<Utc>,
) -> Result<(bool, Vec<Problem>)> {
    file.validate_shape()?;
    let steps = file.steps(&shop.currency)?;
    let deepest = steps.iter().map(|s| s.1).max().unwrap_or(0);
    let items = sale::items(conn, shop, &file.as_sale_targets())?;
    let stamp = fmt_utc(now);
    // Tiers have no end: every discount not over by now can meet them.
    let others = crate::storefront::local::discounts_overlapping(conn, &stamp, "9999")?;
    // Money as the shop writes it.
    let written = crate::store::shop_money_format(conn, &shop.currency)?;
    let money = |m: i64| written.format(m, &shop.currency);
    let mut problems = Vec::new();
    for item in &items {
        let after = crate::money::mul_round(item.price_minor, Decimal::new(10_000 - deepest, 4));
        let worst = others
            .iter()
            .filter(|d| sale::applies(d, item))
            .fold(after, sale::stack)
            .max(0);
        problems.extend(sale::floor_problem(
            item,
            "the deepest tier",
            after,
            worst,
            &money,
        ));
    }
    Ok((problems.is_empty(), problems))
}

/// One line of a cart preview. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct PreviewLine {
    pub sku: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub quantity: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub unit_minor: i64,
    /// The tier reached, in basis points off (0: none).
    #[cfg_attr(test, ts(type = "number"))]
    pub tier_bp: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub discount_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub net_minor: i64,
    /// Net less cost; `None` without a cost.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_minor: Option<i64>,
    /// Whether the net unit price keeps the margin floor.
    pub keeps_floor: Option<bool>,
}

/// A cart with the tiers applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Preview {
    pub lines: Vec<PreviewLine>,
    #[cfg_attr(test, ts(type = "number"))]
    pub subtotal_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub discount_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub total_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_minor: Option<i64>,
}

/// Applies the tiers to lines of (variant, quantity, line total).
pub(super) fn apply_tiers(
    file: &TierFile,
    steps: &[(i64, i64)],
    covered: &std::collections::HashSet<i64>,
    lines: &[(i64, i64, i64)],
) -> Vec<i64> {
    match file.kind {
        Kind::Volume => lines
            .iter()
            .map(|(v, q, total)| {
                let bp = if covered.contains(v) {
                    reached(steps, *q)
                } else {
                    0
                };
                crate::money::mul_round(*total, Decimal::new(bp, 4))
            })
            .collect(),
        Kind::Spend => {
            let subtotal: i64 = lines.iter().map(|l| l.2).sum();
            let bp = reached(steps, subtotal);
            lines
                .iter()
                .map(|(_, _, total)| crate::money::mul_round(*total, Decimal::new(bp, 4)))
                .collect()
        }
    }
}

/// A cart of (SKU, quantity) at today's prices with the tiers applied.
pub fn preview(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    cart: &[(String, i64)],
) -> Result<Preview> {
    file.validate_shape()?;
    let steps = file.steps(&shop.currency)?;
    let all = sale::items(
        conn,
        shop,
        &SaleFile {
            targets: Targets {
                all: true,
                ..Default::default()
            },
            ..file.as_sale_targets()
        },
    )?;
    let covered: std::collections::HashSet<i64> = sale::items(conn, shop, &file.as_sale_targets())?
        .iter()
        .map(|i| i.variant_id)
        .collect();
    let floor = MarginFloor::load(conn)?;
    let mut chosen = Vec::new();
    for (sku, q) in cart {
        if *q <= 0 {
            return Err(Error::InvalidArgument(format!(
                "{sku}: a quantity is at least 1"
            )));
        }
        let item = all.iter().find(|i| &i.sku == sku).ok_or_else(|| {
            Error::InvalidArgument(format!("no product with SKU {sku} in this shop"))
        })?;
        chosen.push((item, *q));
    }
    let lines: Vec<(i64, i64, i64)> = chosen
        .iter()
        .map(|(i, q)| (i.variant_id, *q, i.price_minor * q))
        .collect();
    let discounts = apply_tiers(file, &steps, &covered, &lines);
    let mut out = Preview {
        lines: Vec::new(),
        subtotal_minor: 0,
        discount_minor: 0,
        total_minor: 0,
        margin_minor: Some(0),
    };
    for ((item, q), d) in chosen.iter().zip(&discounts) {
        let total = item.price_minor * q;
        let net = total - d;
        let margin = item.cost_minor.map(|c| net - c * q);
        out.subtotal_minor += total;
        out.discount_minor += d;
        out.margin_minor = match (out.margin_minor, margin) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        out.lines.push(PreviewLine {
            sku: item.sku.clone(),
            title: item.title.clone(),
            quantity: *q,
            unit_minor: item.price_minor,
            tier_bp: if total > 0 {
                (Decimal::from(*d) * Decimal::from(10_000) / Decimal::from(total))
                    .round()
                    .try_into()
                    .unwrap_or(0)
            } else {
                0
            },
            discount_minor: *d,
            net_minor: net,
            margin_minor: margin,
            keeps_floor: item
                .cost_minor
                .map(|c| floor.allows_line(net, c, *q, item.category.as_deref())),
        });
    }
    out.total_minor = out.subtotal_minor - out.discount_minor;
    Ok(out)
}

/// Had the tiers existed over the last `days` days.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Lookback {
    #[cfg_attr(test, ts(type = "number"))]
    pub days: i64,
    pub from: String,
    pub to: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub qualifying_orders: i64,
    /// What the tiers would have taken off, minor units.
    #[cfg_attr(test, ts(type = "number"))]
    pub discount_cost_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub sales_minor: i64,
    /// Sales less unit costs (lines with a cost).
    #[cfg_attr(test, ts(type = "number"))]
    pub profit_minor: i64,
    /// The extra profit the tiers must bring to pay for themselves, as a
    /// share of the period's profit (0.05 = 5 % more).
    pub uplift_to_pay: Option<f64>,
}

/// Replays the orders of the last `days` shop-local days (ending today)
/// through the tiers.
pub fn lookback(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    days: i64,
    now: DateTime<Utc>,
) -> Result<Lookback> {
    if !(1..=3650).contains(&days) {
        return Err(Error::InvalidArgument("look back 1 to 3650 days".into()));
    }
    file.validate_shape()?;
    let steps = file.steps(&shop.currency)?;
    let tz = shop.tz()?;
    let today = shop.today(now)?;
    let first = today - chrono::Days::new(days as u64 - 1);
    let midnight = |d: chrono::NaiveDate| {
        crate::time::local_to_utc(tz, d.and_hms_opt(0, 0, 0).expect("midnight"))
    };
    let (from, to) = (midnight(first), midnight(today + chrono::Days::new(1)));
    let covered: std::collections::HashSet<i64> = sale::items(conn, shop, &file.as_sale_targets())?
        .iter()
        .map(|i| i.variant_id)
        .collect();
    let cost: std::collections::HashMap<i64, i64> = {
        let mut stmt =
            conn.prepare("SELECT id, cost_minor FROM variants WHERE cost_minor IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut stmt = conn.prepare(
        "SELECT o.id, ol.variant_id, ol.quantity, ol.line_total_minor
         FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE o.placed_at >= ?1 AND o.placed_at < ?2 AND o.status != 'cancelled' AND o.currency = ?3
           AND ol.quantity > 0
         ORDER BY o.id",
    )?;
    let mut out = Lookback {
        days,
        from: fmt_utc(from),
        to: fmt_utc(to),
        orders: 0,
        qualifying_orders: 0,
        discount_cost_minor: 0,
        sales_minor: 0,
        profit_minor: 0,
        uplift_to_pay: None,
    };
    let mut current: Option<i64> = None;
    let mut lines: Vec<(i64, i64, i64)> = Vec::new();
    let finish = |lines: &mut Vec<(i64, i64, i64)>, out: &mut Lookback| {
        if lines.is_empty() {
            return;
        }
        let d: i64 = apply_tiers(file, &steps, &covered, lines).iter().sum();
        out.orders += 1;
        if d > 0 {
            out.qualifying_orders += 1;
        }
        out.discount_cost_minor += d;
        for (v, q, total) in lines.iter() {
            out.sales_minor += total;
            if let Some(c) = cost.get(v) {
                out.profit_minor += total - c * q;
            }
        }
        lines.clear();
    };
    for r in stmt.query_map(params![fmt_utc(from), fmt_utc(to), shop.currency], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })? {
        let (order, v, q, total) = r?;
        if current != Some(order) {
            finish(&mut lines, &mut out);
            current = Some(order);
        }
        lines.push((v, q, total));
    }
    finish(&mut lines, &mut out);
    if out.profit_minor > 0 {
        out.uplift_to_pay = Some(out.discount_cost_minor as f64 / out.profit_minor as f64);
    }
    Ok(out)
}
