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

/// Reads the baskets: orders not cancelled, merchandise lines only. The
/// lines are read in the store's own order (by order) and placed in the
/// orders' time order here: no sort of every line in SQL.
pub fn read(conn: &Connection) -> Result<Baskets> {
    let mut merchandise: HashMap<i64, i64> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT v.id, v.product_id FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.kind = 'merchandise'",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        merchandise.insert(r.get(0)?, r.get(1)?);
    }
    let mut raw: Vec<(i64, Option<i64>, Vec<i64>)> = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, customer_id FROM orders WHERE status != 'cancelled' ORDER BY placed_at, id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        raw.push((r.get(0)?, r.get(1)?, Vec::new()));
    }
    let place: HashMap<i64, usize> = raw.iter().enumerate().map(|(i, o)| (o.0, i)).collect();
    let mut stmt = conn.prepare("SELECT order_id, variant_id FROM order_lines")?;
    let mut rows = stmt.query([])?;
    let mut current: Option<(i64, Option<usize>)> = None;
    while let Some(r) = rows.next()? {
        let order: i64 = r.get(0)?;
        let at = match current {
            Some((o, at)) if o == order => at,
            _ => {
                let at = place.get(&order).copied();
                current = Some((order, at));
                at
            }
        };
        let Some(at) = at else { continue };
        if let Some(product) = merchandise.get(&r.get::<_, i64>(1)?) {
            raw[at].2.push(*product);
        }
    }
    raw.retain(|b| !b.2.is_empty());
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
