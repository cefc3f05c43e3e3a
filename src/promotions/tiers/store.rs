//! Stored tier sets.

use super::*;
use crate::error::{Error, Result};
use crate::promotions::sale::{self};
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

stored_enum! {
    /// Where a tier set stands.
    pub enum TierStatus {
        Draft = "draft",
        Live = "live",
        Ended = "ended",
    }
}

/// A stored tier set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct TierSet {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub file: TierFile,
    pub status: TierStatus,
    pub override_reason: Option<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub launch_batch: Option<i64>,
    pub created_at: String,
    pub launched_at: Option<String>,
    pub ended_at: Option<String>,
}

pub(super) const SELECT: &str = "SELECT id, definition, status, override_reason, launch_batch, created_at, launched_at, ended_at FROM tier_sets";

pub(super) fn row(r: &rusqlite::Row) -> rusqlite::Result<TierSet> {
    let def: String = r.get(1)?;
    Ok(TierSet {
        id: r.get(0)?,
        file: serde_json::from_str(&def).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        status: r.get(2)?,
        override_reason: r.get(3)?,
        launch_batch: r.get(4)?,
        created_at: r.get(5)?,
        launched_at: r.get(6)?,
        ended_at: r.get(7)?,
    })
}

/// One tier set.
pub fn get(conn: &Connection, id: i64) -> Result<TierSet> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("there are no tiers {id}")))
}

/// Every tier set, newest first.
pub fn list(conn: &Connection) -> Result<Vec<TierSet>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id DESC"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A tier set that was never launched: the only one that may be edited or
/// deleted.
fn draft(conn: &Connection, id: i64, doing: &str) -> Result<TierSet> {
    let t = get(conn, id)?;
    if t.status != TierStatus::Draft || t.launch_batch.is_some() {
        return Err(Error::InvalidArgument(format!(
            "tier set {id} \"{}\" is {}: only a draft can be {doing}{}",
            t.file.name,
            t.status,
            if t.status == TierStatus::Live {
                " (end it first, then plan new tiers)"
            } else {
                ""
            }
        )));
    }
    Ok(t)
}

/// Replaces a draft's definition, checked as a new one would be.
pub fn update(conn: &Connection, shop: &Shop, id: i64, file: &TierFile) -> Result<TierSet> {
    draft(conn, id, "edited")?;
    file.validate_shape()?;
    file.steps(&shop.currency)?;
    sale::items(conn, shop, &file.as_sale_targets())?;
    conn.execute(
        "UPDATE tier_sets SET name = ?2, definition = ?3, kind = ?4 WHERE id = ?1",
        params![
            id,
            file.name.trim(),
            serde_json::to_string(file).expect("tiers serialise"),
            match file.kind {
                Kind::Volume => "volume",
                Kind::Spend => "spend",
            },
        ],
    )?;
    get(conn, id)
}

/// Deletes a draft.
pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    draft(conn, id, "deleted")?;
    conn.execute("DELETE FROM tier_sets WHERE id = ?1", [id])?;
    Ok(())
}

/// Stores tiers as a draft after checking them against the shop.
pub fn create(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    now: DateTime<Utc>,
) -> Result<TierSet> {
    file.validate_shape()?;
    file.steps(&shop.currency)?;
    sale::items(conn, shop, &file.as_sale_targets())?;
    conn.execute(
        "INSERT INTO tier_sets (name, definition, kind, status, created_at) VALUES (?1, ?2, ?3, 'draft', ?4)",
        params![
            file.name.trim(),
            serde_json::to_string(file).expect("tiers serialise"),
            match file.kind {
                Kind::Volume => "volume",
                Kind::Spend => "spend",
            },
            fmt_utc(now)
        ],
    )?;
    get(conn, conn.last_insert_rowid())
}
