//! Building the recommendations into the store and reading them back: the
//! lists with the owner's pins and exclusions, basket completion and a
//! customer's picks from the model's stored weights.

use super::baskets::{self, Basket};
use super::catalog::{self, Product};
use super::ease::{self, Ease, Settings};
use super::evaluate::{Evaluation, HISTORY_WEIGHT};
use super::lists::{self, Basis, List};
use crate::error::{Error, Result};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// What the newest build learnt from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendBuild"))]
pub struct Build {
    /// UTC.
    pub built_at: String,
    /// Baskets with merchandise learnt from.
    pub orders: u32,
    /// Products in the model's matrix (in two orders or more).
    pub model_items: u32,
    /// Products with lists.
    pub products: u32,
    pub lambda: f64,
    /// The multiple of the base λ, from the newest evaluation on every
    /// order (none: the base).
    pub multiple: Option<f64>,
    #[cfg_attr(test, ts(type = "number"))]
    pub millis: u64,
}

/// One recommended item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendItem"))]
pub struct Item {
    pub sku: String,
    pub title: String,
    pub score: f64,
    pub reason: String,
    pub basis: Basis,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    /// Price less unit cost (none: no unit cost).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_minor: Option<i64>,
    /// Orders holding it.
    pub orders: u32,
}

/// One product's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendProductList"))]
pub struct ProductList {
    pub sku: String,
    pub title: String,
    pub list: List,
    pub items: Vec<Item>,
    /// Items the owner excluded from this list.
    pub excluded: Vec<Item>,
}

/// The owner's choice for one item of a product's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendOverride"))]
#[serde(rename_all = "lowercase")]
pub enum Override {
    Pin,
    Exclude,
    /// Neither: back to what the model says.
    Clear,
}

/// One stored item of a list (`recommend_lists.items`), its reason's
/// facts beside it ([`lists::Why`], flattened here by hand: serde's
/// flattening is several times slower to write).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct Stored<'a> {
    #[serde(rename = "o")]
    other: i64,
    #[serde(rename = "s")]
    score: f32,
    #[serde(rename = "b")]
    basis: Basis,
    #[serde(rename = "t", default, skip_serializing_if = "is_zero")]
    together: u32,
    #[serde(rename = "w", default, borrow, skip_serializing_if = "<[_]>::is_empty")]
    words: std::borrow::Cow<'a, [String]>,
    #[serde(rename = "c", default, skip_serializing_if = "is_false")]
    same_category: bool,
    #[serde(rename = "u", default, skip_serializing_if = "is_zero")]
    customers: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Stored<'_> {
    fn why(&self) -> lists::Why {
        lists::Why {
            together: self.together,
            words: self.words.to_vec(),
            same_category: self.same_category,
            customers: self.customers,
        }
    }
}

/// The newest build, if any.
pub fn latest_build(conn: &Connection) -> Result<Option<Build>> {
    let products: u32 = conn.query_row(
        "SELECT COUNT(DISTINCT product_id) FROM recommend_lists",
        [],
        |r| r.get(0),
    )?;
    Ok(conn
        .query_row(
            "SELECT built_at, orders, items, lambda, multiple, millis FROM recommend_builds
             ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(Build {
                    built_at: r.get(0)?,
                    orders: r.get(1)?,
                    model_items: r.get(2)?,
                    products,
                    lambda: r.get(3)?,
                    multiple: r.get(4)?,
                    millis: r.get::<_, i64>(5)? as u64,
                })
            },
        )
        .optional()?)
}

/// The λ multiple of the newest evaluation on every order.
fn chosen_multiple(conn: &Connection) -> Result<Option<f64>> {
    Ok(conn
        .query_row(
            "SELECT multiple FROM recommend_evaluations WHERE last_orders IS NULL
             ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

/// Keeps an evaluation (the page shows the newest; a build on every order
/// uses its λ multiple).
pub fn save_evaluation(
    conn: &Connection,
    e: &Evaluation,
    last: Option<u32>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO recommend_evaluations (evaluated_at, last_orders, multiple, figures)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            fmt_utc(now),
            last,
            e.multiple,
            serde_json::to_string(e).expect("an evaluation serializes")
        ],
    )?;
    Ok(())
}

/// The newest evaluation on every order, with when it ran (UTC).
pub fn latest_evaluation(conn: &Connection) -> Result<Option<(String, serde_json::Value)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT evaluated_at, figures FROM recommend_evaluations WHERE last_orders IS NULL
             ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((at, figures)) => Some((
            at,
            serde_json::from_str(&figures).map_err(|e| {
                Error::InvalidArgument(format!("a stored evaluation is unreadable: {e}"))
            })?,
        )),
        None => None,
    })
}

/// The baskets over catalog indexes.
fn catalog_baskets(catalog: &[Product], b: &baskets::Baskets) -> Vec<Basket> {
    let index: Vec<u32> = b
        .products
        .iter()
        .map(|p| {
            catalog
                .binary_search_by_key(p, |c| c.id)
                .expect("a basket's merchandise is in the catalog") as u32
        })
        .collect();
    b.baskets
        .iter()
        .map(|t| {
            let mut items: Vec<u32> = t.items.iter().map(|i| index[*i as usize]).collect();
            items.sort_unstable();
            Basket {
                order: t.order,
                customer: t.customer,
                items,
            }
        })
        .collect()
}

/// Fits the model on every order and rebuilds every product's lists and
/// the stored weights, in one transaction.
pub fn build(conn: &mut Connection, now: DateTime<Utc>) -> Result<Build> {
    let started = std::time::Instant::now();
    let catalog = catalog::read(conn)?;
    let read = baskets::read(conn)?;
    let baskets = catalog_baskets(&catalog, &read);
    let n = catalog.len();
    let multiple = chosen_multiple(conn)?;
    let settings = Settings::default();
    let base = ease::base_lambda_of(&baskets, n, settings);
    let model = Ease::fit(
        &baskets,
        n,
        Settings {
            lambda: Some(multiple.unwrap_or(1.0) * base),
            ..settings
        },
    )?;
    let entries = lists::build(&lists::Inputs {
        catalog: &catalog,
        baskets: &baskets,
        model: &model,
    });
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute("DELETE FROM recommend_lists", [])?;
    tx.execute("DELETE FROM recommend_items", [])?;
    {
        let mut item = tx.prepare(
            "INSERT INTO recommend_items (product_id, orders, weights) VALUES (?1, ?2, ?3)",
        )?;
        let mut blob = Vec::new();
        for (i, p) in catalog.iter().enumerate() {
            let orders = model.support[i];
            if orders == 0 {
                continue;
            }
            let row = model.row(i as u32).unwrap_or_default();
            blob.clear();
            for w in row {
                blob.extend_from_slice(&catalog[w.item as usize].id.to_le_bytes());
                blob.extend_from_slice(&w.weight.to_le_bytes());
            }
            item.execute(params![p.id, orders, blob])?;
        }
        let mut list = tx
            .prepare("INSERT INTO recommend_lists (product_id, list, items) VALUES (?1, ?2, ?3)")?;
        for group in entries.chunk_by(|a, b| (a.product, a.list) == (b.product, b.list)) {
            let items: Vec<Stored> = group
                .iter()
                .map(|e| Stored {
                    other: catalog[e.other].id,
                    score: e.score,
                    basis: e.basis,
                    together: e.why.together,
                    words: std::borrow::Cow::Borrowed(&e.why.words),
                    same_category: e.why.same_category,
                    customers: e.why.customers,
                })
                .collect();
            list.execute(params![
                catalog[group[0].product].id,
                group[0].list.as_str(),
                serde_json::to_string(&items).expect("a list serializes")
            ])?;
        }
    }
    let millis = started.elapsed().as_millis() as u64;
    tx.execute(
        "INSERT INTO recommend_builds (built_at, orders, items, lambda, multiple, millis)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            fmt_utc(now),
            baskets.len() as u32,
            model.size() as u32,
            model.lambda,
            multiple,
            millis as i64
        ],
    )?;
    tx.commit()?;
    latest_build(conn)?.ok_or_else(|| Error::NotFound("the build just stored".into()))
}

/// The product a SKU names (exactly, else in any case), if merchandise.
pub fn product_by_sku(conn: &Connection, sku: &str) -> Result<i64> {
    let found: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT p.id, p.kind FROM variants v JOIN products p ON p.id = v.product_id
             WHERE v.sku = ?1 OR lower(v.sku) = lower(?1)
             ORDER BY v.sku = ?1 DESC, v.id LIMIT 1",
        )?
        .query_row([sku.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match found {
        Some((id, kind)) if kind == "merchandise" => Ok(id),
        Some((_, kind)) => Err(Error::InvalidArgument(format!(
            "{sku} is {} and is never recommended",
            match kind.as_str() {
                "shipping" => "postage",
                "fee" => "a fee",
                "gift_voucher" => "a gift voucher",
                _ => "not merchandise",
            }
        ))),
        None => Err(Error::NotFound(format!("no product has the SKU {sku}"))),
    }
}

/// Requires a build, saying how to make one.
fn require_build(conn: &Connection) -> Result<Build> {
    latest_build(conn)?.ok_or_else(|| {
        Error::NotFound(
            "the recommendations are not built yet: build them first (recommend build)".into(),
        )
    })
}

/// Products by id.
fn by_id(catalog: &[Product], id: i64) -> Option<&Product> {
    catalog
        .binary_search_by_key(&id, |p| p.id)
        .ok()
        .map(|i| &catalog[i])
}

fn orders_of(conn: &Connection) -> Result<std::collections::HashMap<i64, u32>> {
    let mut stmt = conn.prepare_cached("SELECT product_id, orders FROM recommend_items")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn item_of(p: &Product, orders: u32, score: f64, basis: Basis, reason: String) -> Item {
    Item {
        sku: p.label().to_string(),
        title: p.title.clone(),
        score,
        reason,
        basis,
        price_minor: p.price_minor,
        margin_minor: p.margin_minor(),
        orders,
    }
}

/// A product's list as shown: the owner's pins first (oldest first), then
/// the built list without the excluded items, `limit` in all.
pub fn product_list(conn: &Connection, sku: &str, list: List, limit: usize) -> Result<ProductList> {
    require_build(conn)?;
    let product = product_by_sku(conn, sku)?;
    let catalog = catalog::read(conn)?;
    let orders = orders_of(conn)?;
    let me = by_id(&catalog, product).expect("a merchandise product is in the catalog");
    let mut overrides = conn.prepare_cached(
        "SELECT other_id, action FROM recommend_overrides WHERE product_id = ?1 AND list = ?2
         ORDER BY created_at, other_id",
    )?;
    let overrides: Vec<(i64, String)> = overrides
        .query_map(params![product, list.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let stored: Option<String> = conn
        .prepare_cached("SELECT items FROM recommend_lists WHERE product_id = ?1 AND list = ?2")?
        .query_row(params![product, list.as_str()], |r| r.get(0))
        .optional()?;
    let built: Vec<Stored> = match &stored {
        Some(json) => serde_json::from_str(json).map_err(|e| {
            Error::InvalidArgument(format!("a stored list is unreadable ({e}): build again"))
        })?,
        None => Vec::new(),
    };
    let count = |id: i64| orders.get(&id).copied().unwrap_or(0);
    let alone = !built.iter().any(|b| b.basis == Basis::Model);
    let reason = |b: &Stored, other: &Product| {
        lists::reason(
            list,
            b.basis,
            &b.why(),
            lists::Side {
                product: me,
                orders: count(me.id),
            },
            lists::Side {
                product: other,
                orders: count(other.id),
            },
            alone,
        )
    };
    let mut items = Vec::new();
    let mut excluded = Vec::new();
    for (id, action) in &overrides {
        let Some(p) = by_id(&catalog, *id) else {
            continue;
        };
        let why = built.iter().find(|b| b.other == *id).map(|b| reason(b, p));
        if action == "pin" {
            if p.active {
                let reason = match why {
                    Some(w) => format!("pinned by you; {w}"),
                    None => "pinned by you".to_string(),
                };
                items.push(item_of(p, count(*id), 1.0, Basis::Pinned, reason));
            }
        } else {
            let reason = why.unwrap_or_else(|| "not in the built list".into());
            excluded.push(item_of(p, count(*id), 0.0, Basis::Pinned, reason));
        }
    }
    for b in &built {
        if items.len() >= limit {
            break;
        }
        if overrides.iter().any(|o| o.0 == b.other) {
            continue;
        }
        let Some(p) = by_id(&catalog, b.other).filter(|p| p.active) else {
            continue;
        };
        items.push(item_of(
            p,
            count(b.other),
            f64::from(b.score),
            b.basis,
            reason(b, p),
        ));
    }
    items.truncate(limit);
    Ok(ProductList {
        sku: me.label().to_string(),
        title: me.title.clone(),
        list,
        items,
        excluded,
    })
}

/// Pins or excludes `other` in `sku`'s list (or clears the choice).
pub fn set_override(
    conn: &Connection,
    sku: &str,
    list: List,
    other: &str,
    choice: Override,
    now: DateTime<Utc>,
) -> Result<()> {
    let product = product_by_sku(conn, sku)?;
    let target = product_by_sku(conn, other)?;
    if product == target {
        return Err(Error::InvalidArgument(format!(
            "{other} is the product itself: a product is never in its own list"
        )));
    }
    match choice {
        Override::Clear => {
            conn.execute(
                "DELETE FROM recommend_overrides WHERE product_id = ?1 AND list = ?2 AND other_id = ?3",
                params![product, list.as_str(), target],
            )?;
        }
        Override::Pin | Override::Exclude => {
            conn.execute(
                "INSERT INTO recommend_overrides (product_id, list, other_id, action, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (product_id, list, other_id) DO UPDATE SET action = excluded.action",
                params![
                    product,
                    list.as_str(),
                    target,
                    if choice == Override::Pin {
                        "pin"
                    } else {
                        "exclude"
                    },
                    fmt_utc(now)
                ],
            )?;
        }
    }
    Ok(())
}

/// The model as the store serves it: the catalog, each product's orders
/// and stored weights (catalog indexes).
pub struct Served {
    pub catalog: Vec<Product>,
    pub orders: Vec<u32>,
    rows: Vec<Vec<(u32, f32)>>,
}

impl Served {
    /// Reads the newest build.
    pub fn read(conn: &Connection) -> Result<Served> {
        require_build(conn)?;
        let catalog = catalog::read(conn)?;
        let n = catalog.len();
        let mut orders = vec![0u32; n];
        let mut rows = vec![Vec::new(); n];
        let mut stmt = conn.prepare("SELECT product_id, orders, weights FROM recommend_items")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let Ok(i) = catalog.binary_search_by_key(&r.get::<_, i64>(0)?, |p| p.id) else {
                continue;
            };
            orders[i] = r.get(1)?;
            let blob = r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
            rows[i] = blob
                .chunks_exact(12)
                .filter_map(|c| {
                    let id = i64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
                    let w = f32::from_le_bytes(c[8..].try_into().expect("4 bytes"));
                    catalog
                        .binary_search_by_key(&id, |p| p.id)
                        .ok()
                        .map(|j| (j as u32, w))
                })
                .collect();
        }
        Ok(Served {
            catalog,
            orders,
            rows,
        })
    }

    /// A catalog index by product id.
    pub fn index(&self, product: i64) -> Option<usize> {
        self.catalog.binary_search_by_key(&product, |p| p.id).ok()
    }

    /// Scores every item for a basket (`items`, catalog indexes) and a
    /// customer's purchase counts: the basket's weights, plus
    /// [`HISTORY_WEIGHT`] · ln(1 + times bought) for what the customer
    /// bought before (the method the hold-out measures).
    pub fn score(&self, items: &[usize], history: &[(usize, u32)], scores: &mut [f32]) {
        scores.iter_mut().for_each(|s| *s = 0.0);
        for i in items {
            for (j, w) in &self.rows[*i] {
                scores[*j as usize] += *w;
            }
        }
        for (i, times) in history {
            scores[*i] += HISTORY_WEIGHT * (1.0 + *times as f32).ln();
        }
    }

    /// The `limit` best active items by score, then orders, then product
    /// id, leaving out `excluded`.
    pub fn best(&self, scores: &[f32], excluded: &[usize], limit: usize) -> Vec<usize> {
        let mut candidates: Vec<usize> = (0..self.catalog.len())
            .filter(|i| self.catalog[*i].active && !excluded.contains(i))
            .collect();
        let cmp = |a: &usize, b: &usize| {
            scores[*b]
                .total_cmp(&scores[*a])
                .then(self.orders[*b].cmp(&self.orders[*a]))
                .then(a.cmp(b))
        };
        if candidates.len() > limit && limit > 0 {
            candidates.select_nth_unstable_by(limit - 1, cmp);
            candidates.truncate(limit);
        }
        candidates.sort_by(cmp);
        candidates.truncate(limit);
        candidates
    }

    /// The basket item whose weight adds most to `item`.
    pub fn strongest_source(&self, items: &[usize], item: usize) -> Option<(usize, f32)> {
        items
            .iter()
            .filter_map(|i| {
                self.rows[*i]
                    .iter()
                    .find(|(j, _)| *j as usize == item)
                    .map(|(_, w)| (*i, *w))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The purchase counts (as [`history`]) of each of `customers`, from one
/// read of every basket.
pub fn histories(
    conn: &Connection,
    served: &Served,
    customers: &std::collections::HashSet<i64>,
) -> Result<std::collections::HashMap<i64, Vec<(usize, u32)>>> {
    let mut out: std::collections::HashMap<i64, std::collections::HashMap<usize, u32>> =
        std::collections::HashMap::new();
    if customers.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let read = baskets::read(conn)?;
    let index: Vec<Option<usize>> = read.products.iter().map(|p| served.index(*p)).collect();
    for b in &read.baskets {
        let Some(c) = b.customer.filter(|c| customers.contains(c)) else {
            continue;
        };
        let h = out.entry(c).or_default();
        for i in &b.items {
            if let Some(i) = index[*i as usize] {
                *h.entry(i).or_default() += 1;
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(c, h)| {
            let mut h: Vec<(usize, u32)> = h.into_iter().collect();
            h.sort_unstable();
            (c, h)
        })
        .collect())
}

/// A customer's purchase counts (catalog indexes): the orders holding
/// each merchandise product.
pub fn history(conn: &Connection, served: &Served, customer: i64) -> Result<Vec<(usize, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.product_id, COUNT(DISTINCT o.id)
         FROM orders o
         JOIN order_lines l ON l.order_id = o.id
         JOIN variants v ON v.id = l.variant_id
         JOIN products p ON p.id = v.product_id
         WHERE o.customer_id = ?1 AND p.kind = 'merchandise' AND o.status != 'cancelled'
         GROUP BY v.product_id",
    )?;
    let rows = stmt.query_map([customer], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, u32>(1)?))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (p, times) = r?;
        if let Some(i) = served.index(p) {
            out.push((i, times));
        }
    }
    Ok(out)
}
