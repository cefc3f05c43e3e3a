//! The shop's baskets as the recommender reads them: each order's distinct
//! merchandise products, in the order the orders were placed. Postage,
//! fees, manual lines and gift vouchers are not merchandise and never
//! appear.

use crate::error::Result;
use rusqlite::Connection;
use std::collections::HashMap;

/// One order's merchandise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basket {
    pub order: i64,
    pub customer: Option<i64>,
    /// Indexes into [`Baskets::products`], distinct and ascending.
    pub items: Vec<u32>,
}

/// Every basket with merchandise, oldest first (ties by order id), and the
/// products they hold, by product id ascending (so an index order is the
/// product id order that breaks ties).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baskets {
    pub products: Vec<i64>,
    pub baskets: Vec<Basket>,
}

/// Reads the baskets: orders not cancelled, merchandise lines only.
pub fn read(conn: &Connection) -> Result<Baskets> {
    let mut stmt = conn.prepare(
        "SELECT o.id, o.customer_id, v.product_id
         FROM orders o
         JOIN order_lines l ON l.order_id = o.id
         JOIN variants v ON v.id = l.variant_id
         JOIN products p ON p.id = v.product_id
         WHERE p.kind = 'merchandise' AND o.status != 'cancelled'
         ORDER BY o.placed_at, o.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut raw: Vec<(i64, Option<i64>, Vec<i64>)> = Vec::new();
    while let Some(r) = rows.next()? {
        let order: i64 = r.get(0)?;
        if raw.last().is_none_or(|b| b.0 != order) {
            raw.push((order, r.get(1)?, Vec::new()));
        }
        raw.last_mut().expect("pushed above").2.push(r.get(2)?);
    }
    let mut products: Vec<i64> = raw.iter().flat_map(|b| b.2.iter().copied()).collect();
    products.sort_unstable();
    products.dedup();
    let index: HashMap<i64, u32> = products
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i as u32))
        .collect();
    let baskets = raw
        .into_iter()
        .map(|(order, customer, ps)| {
            let mut items: Vec<u32> = ps.iter().map(|p| index[p]).collect();
            items.sort_unstable();
            items.dedup();
            Basket {
                order,
                customer,
                items,
            }
        })
        .collect();
    Ok(Baskets { products, baskets })
}
