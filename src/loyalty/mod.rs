//! Loyalty: a programme of points, tiers, badges, challenges and rewards,
//! its ledger replayed from the shop's own orders and refunds, and a
//! simulation of what it would have cost on the shop's history before it is
//! launched (`docs/loyalty.md`).

pub mod ledger;
pub mod programme;
pub mod push;
pub mod rewards;
pub mod simulate;
pub mod store;

use crate::error::Result;
use crate::store::Shop;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::collections::HashMap;

/// The lines of customers' orders the ledger reads (`?1` the currency,
/// `?2` the last moment), in order-id order as the table is clustered:
/// order, customer, time, variant, line total. Which lines are merchandise
/// is looked up per variant (as the derived sales tables do), not joined
/// per line. Public for the benchmark's floor, which reads the same rows.
pub const ORDER_LINES: &str =
    "SELECT l.order_id, o.customer_id, o.placed_at, l.variant_id, l.line_total_minor
     FROM order_lines l CROSS JOIN orders o ON o.id = l.order_id
     WHERE o.customer_id IS NOT NULL AND o.currency = ?1 AND o.placed_at <= ?2
       AND o.status != 'cancelled'
     ORDER BY l.order_id";

/// The same lines of some customers' orders only (`?3` their ids as a JSON
/// array), through the orders' index by customer.
const ORDER_LINES_OF: &str =
    "SELECT l.order_id, o.customer_id, o.placed_at, l.variant_id, l.line_total_minor
     FROM orders o JOIN order_lines l ON l.order_id = o.id
     WHERE o.customer_id IN (SELECT value FROM json_each(?3))
       AND o.currency = ?1 AND o.placed_at <= ?2 AND o.status != 'cancelled'
     ORDER BY l.order_id";

macro_rules! refunds {
    ($filter:literal) => {
        concat!(
            "SELECT r.id, coalesce(r.customer_id, o.customer_id), r.order_id, r.created_at,
                    sum(CASE WHEN p.kind = 'merchandise' THEN l.amount_minor ELSE 0 END)
             FROM refunds r
             LEFT JOIN orders o ON o.id = r.order_id
             JOIN refund_lines l ON l.refund_id = r.id
             JOIN variants v ON v.id = l.variant_id
             JOIN products p ON p.id = v.product_id
             WHERE coalesce(r.customer_id, o.customer_id) IS NOT NULL
               AND r.currency = ?1 AND r.created_at <= ?2",
            $filter,
            " GROUP BY r.id ORDER BY r.id"
        )
    };
}

/// Customers' refunds with their merchandise amount (the same parameters).
pub const REFUNDS: &str = refunds!("");
const REFUNDS_OF: &str =
    refunds!(" AND coalesce(r.customer_id, o.customer_id) IN (SELECT value FROM json_each(?3))");

/// The shop's orders and refunds with a customer, in its currency, placed
/// up to `until` (UTC), as the ledger reads them: an order's merchandise
/// total is its merchandise lines' totals (a cancelled order earns
/// nothing); a refund's is its merchandise lines' amounts (amounts refunded
/// without line detail, such as shipping, are not merchandise). Also the
/// customers' birthdays.
pub fn read_history(
    conn: &Connection,
    shop: &Shop,
    until: DateTime<Utc>,
) -> Result<ledger::History> {
    read_history_of(conn, shop, until, None)
}

/// [`read_history`] of `customers` only (store ids), or of everyone.
pub fn read_history_of(
    conn: &Connection,
    shop: &Shop,
    until: DateTime<Utc>,
    customers: Option<&[i64]>,
) -> Result<ledger::History> {
    let until = crate::time::fmt_utc(until);
    let ids = ids_json(customers);
    let params = |stmt: &mut rusqlite::Statement<'_>| -> rusqlite::Result<()> {
        stmt.raw_bind_parameter(1, &shop.currency)?;
        stmt.raw_bind_parameter(2, &until)?;
        if let Some(ids) = &ids {
            stmt.raw_bind_parameter(3, ids)?;
        }
        Ok(())
    };
    let mut categories: HashMap<String, u32> = HashMap::new();
    let mut orders: Vec<ledger::Order> = Vec::new();
    // Merchandise variants and their categories.
    let mut variants: HashMap<i64, Option<u32>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT v.id, p.category FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.kind = 'merchandise'",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let category: Option<String> = r.get(1)?;
        let category = category.map(|c| {
            let next = categories.len() as u32;
            *categories.entry(c).or_insert(next)
        });
        variants.insert(r.get(0)?, category);
    }
    let mut stmt = conn.prepare(if ids.is_some() {
        ORDER_LINES_OF
    } else {
        ORDER_LINES
    })?;
    params(&mut stmt)?;
    let mut rows = stmt.raw_query();
    while let Some(r) = rows.next()? {
        let Some(category) = variants.get(&r.get::<_, i64>(3)?) else {
            continue;
        };
        let id: i64 = r.get(0)?;
        if orders.last().is_none_or(|o| o.id != id) {
            let placed = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            orders.push(ledger::Order {
                id,
                customer: r.get(1)?,
                at: crate::time::parse_utc(placed)?,
                merchandise_minor: 0,
                categories: Vec::new(),
            });
        }
        let o = orders.last_mut().expect("pushed above");
        o.merchandise_minor += r.get::<_, i64>(4)?;
        if let Some(c) = category {
            if !o.categories.contains(c) {
                o.categories.push(*c);
            }
        }
    }
    let mut refunds: Vec<ledger::Refund> = Vec::new();
    let mut stmt = conn.prepare(if ids.is_some() { REFUNDS_OF } else { REFUNDS })?;
    params(&mut stmt)?;
    let mut rows = stmt.raw_query();
    while let Some(r) = rows.next()? {
        let amount: i64 = r.get(4)?;
        if amount <= 0 {
            continue;
        }
        let at: String = r.get(3)?;
        refunds.push(ledger::Refund {
            id: r.get(0)?,
            customer: r.get(1)?,
            order: r.get(2)?,
            at: crate::time::parse_utc(&at)?,
            merchandise_minor: amount,
        });
    }
    let mut birthdays = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, birthday FROM customers WHERE birthday IS NOT NULL
           AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1)))",
    )?;
    let mut rows = stmt.query([&ids])?;
    while let Some(r) = rows.next()? {
        let text: String = r.get(1)?;
        if let Some((month, day)) = text
            .split_once('-')
            .and_then(|(m, d)| Some((m.parse().ok()?, d.parse().ok()?)))
        {
            birthdays.push(ledger::Birthday {
                customer: r.get(0)?,
                month,
                day,
            });
        }
    }
    let tz = shop.tz()?;
    let start = |d: chrono::NaiveDate| {
        crate::time::local_to_utc(tz, d.and_hms_opt(0, 0, 0).unwrap_or_default())
    };
    let plans = crate::subscriptions::gating::multiplier_spans(conn)?
        .into_iter()
        .filter(|s| customers.is_none_or(|c| c.contains(&s.customer)))
        .map(|s| ledger::PlanMultiplier {
            customer: s.customer,
            from: start(s.from),
            until: s.until.map(start),
            multiplier: s.multiplier,
        })
        .collect();
    Ok(ledger::History {
        orders,
        refunds,
        actions: Vec::new(),
        redemptions: Vec::new(),
        birthdays,
        plans,
    })
}

/// Store ids as the JSON array the queries' `json_each` reads, or none
/// (NULL: everyone).
fn ids_json(customers: Option<&[i64]>) -> Option<String> {
    customers.map(|c| serde_json::Value::from(c.to_vec()).to_string())
}

/// A birthday as the store keeps it (`MM-DD`), from `YYYY-MM-DD` or `MM-DD`.
pub fn birthday(text: &str) -> Option<String> {
    let text = text.trim();
    let md = match text.len() {
        10 => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(|d| (d.format("%m").to_string(), d.format("%d").to_string()))?,
        5 => {
            // A leap year, so 02-29 is a birthday.
            let d = chrono::NaiveDate::parse_from_str(&format!("2000-{text}"), "%Y-%m-%d").ok()?;
            (d.format("%m").to_string(), d.format("%d").to_string())
        }
        _ => return None,
    };
    Some(format!("{}-{}", md.0, md.1))
}

/// The ledger's setting for `shop`.
pub fn setting(shop: &Shop) -> Result<ledger::Setting> {
    Ok(ledger::Setting {
        tz: shop.tz()?,
        minor_per_major: crate::money::minor_per_major(&shop.currency),
    })
}
