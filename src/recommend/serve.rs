//! Recommendations computed when asked, from the stored model: the next
//! items for carts (a CSV of baskets) and a customer's picks.

use super::lists::Basis;
use super::store::{self, Item, Served};
use crate::error::{Error, Result};
use crate::import::csvin::CsvInput;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::HashMap;

/// A cart as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    pub id: String,
    pub skus: Vec<String>,
    pub customer: Option<String>,
}

/// A cart's completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendCompletion"))]
pub struct Completion {
    pub id: String,
    pub skus: Vec<String>,
}

/// Every cart's completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendCompletions"))]
pub struct Completions {
    pub baskets: Vec<Completion>,
}

/// Reads carts from a CSV with the header `basket,sku` and an optional
/// `customer` column, one row per item, in the order the baskets first
/// appear.
pub fn read_carts(file: &str, reader: impl std::io::Read + 'static) -> Result<Vec<Cart>> {
    let mut input = CsvInput::new(file, reader)?;
    let cols = input.columns(&["basket", "sku"], &["customer"])?;
    let (basket, sku, customer) = (
        cols[0].expect("required"),
        cols[1].expect("required"),
        cols[2],
    );
    let mut carts: Vec<Cart> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    while let Some(row) = input.next_row()? {
        let id = row.required(basket)?.trim().to_string();
        let s = row.required(sku)?.trim().to_string();
        let c = row
            .opt_text(customer)?
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let at = *index.entry(id.clone()).or_insert_with(|| {
            carts.push(Cart {
                id,
                skus: Vec::new(),
                customer: None,
            });
            carts.len() - 1
        });
        let cart = &mut carts[at];
        if let Some(c) = c {
            match &cart.customer {
                Some(known) if *known != c => {
                    return Err(row.error(
                        customer.expect("read above"),
                        format!(
                            "basket {} already has the customer {known}: one customer a basket",
                            cart.id
                        ),
                    ))
                }
                _ => cart.customer = Some(c),
            }
        }
        cart.skus.push(s);
    }
    Ok(carts)
}

/// The `limit` best next items for each cart, none already in it: the
/// cart's items' weights and, for a customer the shop knows, what they
/// bought before; SKUs the shop does not know are left out, and an empty
/// cart gets what sells.
pub fn complete(conn: &Connection, carts: &[Cart], limit: usize) -> Result<Completions> {
    let served = Served::read(conn)?;
    let mut by_sku: HashMap<&str, usize> = HashMap::new();
    for (i, p) in served.catalog.iter().enumerate() {
        if let Some(s) = &p.sku {
            by_sku.entry(s.as_str()).or_insert(i);
        }
    }
    // The customers the file names, as the shop knows them (by id or
    // email), and what each bought before: read once for every cart.
    let named: std::collections::HashSet<&str> =
        carts.iter().filter_map(|c| c.customer.as_deref()).collect();
    let mut known: HashMap<String, i64> = HashMap::new();
    if !named.is_empty() {
        let mut stmt = conn.prepare("SELECT id, external_id, email FROM customers ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let external: String = r.get(1)?;
            let email: Option<String> = r.get(2)?;
            if named.contains(external.as_str()) {
                known.entry(external).or_insert(id);
            }
            if let Some(e) = email {
                known.entry(e.to_lowercase()).or_insert(id);
            }
        }
    }
    let customer_of = |c: &str| {
        known
            .get(c)
            .or_else(|| known.get(&c.to_lowercase()))
            .copied()
    };
    let wanted: std::collections::HashSet<i64> =
        named.iter().filter_map(|c| customer_of(c)).collect();
    let histories = store::histories(conn, &served, &wanted)?;
    let mut scores = vec![0f32; served.catalog.len()];
    let mut out = Vec::with_capacity(carts.len());
    for cart in carts {
        let mut items: Vec<usize> = cart
            .skus
            .iter()
            .filter_map(|s| by_sku.get(s.as_str()).copied())
            .collect();
        items.sort_unstable();
        items.dedup();
        let history = cart
            .customer
            .as_deref()
            .and_then(customer_of)
            .and_then(|id| histories.get(&id))
            .map_or(&[][..], Vec::as_slice);
        served.score(&items, history, &mut scores);
        let best = served.best(&scores, &items, limit);
        out.push(Completion {
            id: cart.id.clone(),
            skus: best
                .iter()
                .map(|i| served.catalog[*i].label().to_string())
                .collect(),
        });
    }
    Ok(Completions { baskets: out })
}

/// A customer's picks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendPicks"))]
pub struct Picks {
    pub customer: String,
    /// Orders of theirs the picks learn from.
    pub orders: u32,
    pub items: Vec<Item>,
}

/// What `customer` (their id or email) may buy next: what they buy again
/// and what goes with it, best first.
pub fn picks(conn: &Connection, customer: &str, limit: usize) -> Result<Picks> {
    let served = Served::read(conn)?;
    let id = crate::loyalty::store::customer_id(conn, customer)?
        .ok_or_else(|| Error::NotFound(format!("no customer {customer}")))?;
    let history = store::history(conn, &served, id)?;
    let orders: u32 = conn.query_row(
        "SELECT COUNT(*) FROM orders WHERE customer_id = ?1 AND status != 'cancelled'",
        [id],
        |r| r.get(0),
    )?;
    let bought: Vec<usize> = history.iter().map(|(i, _)| *i).collect();
    let mut scores = vec![0f32; served.catalog.len()];
    served.score(&bought, &history, &mut scores);
    let best = served.best(&scores, &[], limit);
    let items = best
        .iter()
        .map(|i| {
            let p = &served.catalog[*i];
            let times = history.iter().find(|h| h.0 == *i).map(|h| h.1);
            let (basis, reason) = match (times, served.strongest_source(&bought, *i)) {
                (Some(t), _) if t >= 2 => (Basis::Model, format!("bought {t} times before")),
                (_, Some((from, w))) if w > 0.0 => (
                    Basis::Model,
                    format!("goes with {}, bought before", served.catalog[from].label()),
                ),
                (Some(_), _) => (Basis::Model, "bought once before".to_string()),
                _ => (
                    Basis::Sells,
                    format!(
                        "a best seller, in {}",
                        super::lists::orders(served.orders[*i])
                    ),
                ),
            };
            Item {
                sku: p.label().to_string(),
                title: p.title.clone(),
                score: f64::from(scores[*i]),
                reason,
                basis,
                price_minor: p.price_minor,
                margin_minor: p.margin_minor(),
                orders: served.orders[*i],
            }
        })
        .collect();
    Ok(Picks {
        customer: customer.to_string(),
        orders,
        items,
    })
}
