//! The lists on the storefront: Shopify's Search & Discovery product
//! metafields, which its themes' recommendation blocks read:
//! `complementary_products` (bought together) and `related_products`
//! (similar), each a `list.product_reference` of up to ten products, as the
//! owner sees them (pins first, exclusions left out). Only what the store
//! does not hold already is sent, journaled like every push.

use super::catalog;
use super::lists::{List, SHOWN};
use crate::error::{Error, Result};
use crate::journal::{self, Change, Why};
use crate::storefront::{Metafield, Storefront, Target, Value};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::HashMap;

/// The Search & Discovery app's namespace.
pub const NAMESPACE: &str = "shopify--discovery--product_recommendation";

/// The metafield key a list goes to (upsells have none).
pub fn key_of(list: List) -> Option<&'static str> {
    match list {
        List::Related => Some("complementary_products"),
        List::Similar => Some("related_products"),
        List::Upsell => None,
    }
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendPush"))]
pub struct Pushed {
    /// Products whose lists were offered.
    #[cfg_attr(test, ts(type = "number"))]
    pub products: usize,
    /// Lists the store already held, left alone.
    #[cfg_attr(test, ts(type = "number"))]
    pub unchanged: usize,
    #[cfg_attr(test, ts(type = "number"))]
    pub confirmed: usize,
    #[cfg_attr(test, ts(type = "number"))]
    pub failed: usize,
    /// The first refusals, as the store gave them.
    pub errors: Vec<String>,
    /// The journal batch (none when nothing changed).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub batch: Option<i64>,
}

/// Every product's two lists as shown: the owner's pins (oldest first),
/// then the built items without the overridden ones, products still sold
/// only, [`SHOWN`] each, by storefront id.
fn shown(conn: &Connection) -> Result<Vec<(String, List, Vec<String>)>> {
    let catalog = catalog::read(conn)?;
    let by_id: HashMap<i64, &catalog::Product> = catalog.iter().map(|p| (p.id, p)).collect();
    let mut overrides: HashMap<(i64, String), Vec<(i64, String)>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT product_id, list, other_id, action FROM recommend_overrides
         ORDER BY created_at, other_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        overrides
            .entry((r.get(0)?, r.get(1)?))
            .or_default()
            .push((r.get(2)?, r.get(3)?));
    }
    #[derive(serde::Deserialize)]
    struct Other {
        o: i64,
    }
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT product_id, list, items FROM recommend_lists
         WHERE list IN ('related', 'similar') ORDER BY product_id, list",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (product, list): (i64, String) = (r.get(0)?, r.get(1)?);
        let Some(me) = by_id.get(&product).filter(|p| p.active) else {
            continue;
        };
        let built: Vec<Other> = serde_json::from_str(&r.get::<_, String>(2)?).map_err(|e| {
            Error::InvalidArgument(format!("a stored list is unreadable ({e}): build again"))
        })?;
        let mine = overrides
            .remove(&(product, list.clone()))
            .unwrap_or_default();
        let active = |id: &i64| by_id.get(id).filter(|p| p.active);
        let mut ids: Vec<String> = mine
            .iter()
            .filter(|(_, action)| action == "pin")
            .filter_map(|(id, _)| active(id))
            .map(|p| p.external_id.clone())
            .collect();
        for b in &built {
            if ids.len() >= SHOWN {
                break;
            }
            if mine.iter().any(|(id, _)| *id == b.o) {
                continue;
            }
            if let Some(p) = active(&b.o) {
                ids.push(p.external_id.clone());
            }
        }
        ids.truncate(SHOWN);
        let list = List::parse(&list).expect("the table's check keeps the names");
        out.push((me.external_id.clone(), list, ids));
    }
    Ok(out)
}

/// Pushes every product's bought-together and similar lists to
/// `storefront`; an empty list clears its metafield.
pub fn push(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    now: DateTime<Utc>,
) -> Result<Pushed> {
    super::store::latest_build(conn)?.ok_or_else(|| {
        Error::NotFound(
            "the recommendations are not built yet: build them first (recommend build)".into(),
        )
    })?;
    let lists = shown(conn)?;
    let products = lists
        .iter()
        .map(|l| l.0.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let changes: Vec<Change> = lists
        .into_iter()
        .filter_map(|(owner, list, ids)| {
            let key = key_of(list)?;
            Some(Change {
                label: format!("{key} of {owner}"),
                target: Target::Metafield {
                    owner,
                    namespace: NAMESPACE.into(),
                    key: key.into(),
                },
                value: Value::Metafield((!ids.is_empty()).then(|| Metafield {
                    r#type: "list.product_reference".into(),
                    value: serde_json::to_string(&ids).expect("strings serialize"),
                })),
            })
        })
        .collect();
    let t = journal::push_counted(
        conn,
        storefront,
        changes,
        &Why {
            playbook: "recommendations".into(),
            reason: "bought-together and similar lists".into(),
        },
        now,
    )?;
    Ok(Pushed {
        products,
        unchanged: t.unchanged,
        confirmed: t.confirmed,
        failed: t.failed,
        errors: t.errors,
        batch: t.batch,
    })
}
