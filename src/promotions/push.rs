//! What sales and tiers share on the storefront: a launch pushed as one
//! all-or-nothing journal batch, and reading back what became of that batch
//! in the synced copy of the storefront's discounts.

use crate::error::{Error, Result};
use crate::journal::{self, Change, RevertScope, Why};
use crate::storefront::{Discount, Storefront};
use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// Pushes `changes` as one journal batch that is all or nothing. `own`
/// records the batch as the caller's once it is journaled, before anything
/// is sent; if the store refuses any change, what did go out is taken back,
/// `disown` clears that record, and the error names the refusal and ends
/// with `nothing_live`. Returns the batch.
#[allow(clippy::too_many_arguments)]
pub fn push_all_or_nothing(
    conn: &Connection,
    sf: &mut dyn Storefront,
    changes: Vec<Change>,
    why: &Why,
    now: DateTime<Utc>,
    own: &mut dyn FnMut(i64) -> Result<()>,
    disown: &dyn Fn() -> Result<()>,
    nothing_live: &str,
) -> Result<i64> {
    let entries = journal::push_noting(conn, sf, changes, why, now, own)?;
    let batch = entries.first().map(|e| e.batch).unwrap_or_default();
    if let Some(refused) = entries.iter().find(|e| e.status != "confirmed") {
        if entries.iter().any(|e| e.status == "confirmed") {
            journal::revert(conn, sf, RevertScope::Batch(batch), true, now)?;
        }
        disown()?;
        return Err(Error::InvalidArgument(format!(
            "the store refused {}: {}; {nothing_live}",
            refused.label,
            refused.error.as_deref().unwrap_or("no reason given")
        )));
    }
    Ok(batch)
}

/// A launched discount sale as the local copy of the storefront has it.
pub enum Upstream {
    /// None of its discounts is there any more.
    Gone,
    /// The latest end among its discounts (`None`: one runs until ended).
    EndsAt(Option<String>),
    /// It carries no discount (price mode, or nothing confirmed).
    Nothing,
}

/// Where the discounts of journal batch `batch` stand in the synced copy.
pub fn upstream(conn: &Connection, batch: i64) -> Result<Upstream> {
    let mut stmt = conn.prepare(
        "SELECT d.definition FROM journal j
         LEFT JOIN discounts d ON d.external_id = json_extract(j.target, '$.id')
         WHERE j.batch_id = ?1 AND j.status = 'confirmed' AND json_extract(j.target, '$.kind') = 'discount'",
    )?;
    let rows: Vec<Option<String>> = stmt
        .query_map([batch], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() {
        return Ok(Upstream::Nothing);
    }
    let found: Vec<Discount> = rows
        .iter()
        .flatten()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect();
    if found.is_empty() {
        return Ok(Upstream::Gone);
    }
    Ok(Upstream::EndsAt(
        if found.iter().any(|d| d.ends_at.is_none()) {
            None
        } else {
            found.iter().filter_map(|d| d.ends_at.clone()).max()
        },
    ))
}

stored_enum! {
    /// What was settled.
    pub enum SettledKind {
        Sale = "sale",
        Tiers = "tiers",
        Bundle = "bundle",
    }
}

stored_enum! {
    /// What happened to a sale or tier set when it was settled.
    pub enum SettledEvent {
        /// It went live on the storefront.
        Started = "started",
        /// It ended (at its end, by the owner on the storefront, or by a cap).
        Ended = "ended",
        /// It reached its stock cap and was ended.
        StockCap = "stock_cap",
        /// Something else the owner should know (an end moved, a launch taken back).
        Changed = "changed",
    }
}

/// What [`settle`] did to one sale, for the owner.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Settled {
    pub kind: SettledKind,
    pub event: SettledEvent,
    /// The sale's or the tier set's id.
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub name: String,
    pub what: String,
}
