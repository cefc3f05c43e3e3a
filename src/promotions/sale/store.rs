//! Stored sales.

use super::*;
use crate::error::{Error, Result};
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

stored_enum! {
    /// Where a sale stands.
    pub enum SaleStatus {
        /// Planned, not launched.
        Draft = "draft",
        /// Launched, its window not begun.
        Scheduled = "scheduled",
        Live = "live",
        /// Over (discount mode: the platform ended it).
        Ended = "ended",
        /// Over and taken back (price mode), or never launched.
        Reverted = "reverted",
    }
}

/// A stored sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Sale {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub file: SaleFile,
    /// UTC.
    pub starts_at: String,
    pub ends_at: String,
    pub status: SaleStatus,
    pub override_reason: Option<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub launch_batch: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub end_batch: Option<i64>,
    pub created_at: String,
    pub launched_at: Option<String>,
    pub ended_at: Option<String>,
    /// The early access codes its launch gave plans' customers, while they
    /// stand.
    pub early_access: Vec<EarlyAccess>,
}

/// An early access code of a sale: a plan's customers buy at its price
/// with it from `opens_at` (UTC) until the public start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct EarlyAccess {
    pub code: String,
    pub opens_at: String,
}

/// Stores a new draft sale after checking its shape, targets and window.
pub fn create(conn: &Connection, shop: &Shop, file: &SaleFile, now: DateTime<Utc>) -> Result<Sale> {
    file.validate_shape()?;
    let (start, end) = file.window(shop)?;
    items(conn, shop, file)?;
    conn.execute(
        "INSERT INTO sales (name, definition, mode, starts_at, ends_at, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6)",
        params![
            file.name.trim(),
            serde_json::to_string(file).expect("sales serialise"),
            match file.mode {
                SaleMode::Discount => "discount",
                SaleMode::Price => "price",
            },
            fmt_utc(start),
            fmt_utc(end),
            fmt_utc(now)
        ],
    )?;
    get(conn, conn.last_insert_rowid())
}

/// A draft that was never sent anywhere: the only sale that may be edited
/// or deleted (a launched one has journaled changes its end takes back).
fn draft(conn: &Connection, id: i64, doing: &str) -> Result<Sale> {
    let s = get(conn, id)?;
    if s.status != SaleStatus::Draft || s.launch_batch.is_some() {
        return Err(Error::InvalidArgument(format!(
            "sale {id} \"{}\" is {}: only a draft can be {doing}{}",
            s.file.name,
            s.status,
            if matches!(s.status, SaleStatus::Scheduled | SaleStatus::Live) {
                " (end it first, then plan a new one)"
            } else {
                ""
            }
        )));
    }
    Ok(s)
}

/// Replaces a draft's definition, checked as a new one would be.
pub fn update(conn: &Connection, shop: &Shop, id: i64, file: &SaleFile) -> Result<Sale> {
    draft(conn, id, "edited")?;
    file.validate_shape()?;
    let (start, end) = file.window(shop)?;
    items(conn, shop, file)?;
    conn.execute(
        "UPDATE sales SET name = ?2, definition = ?3, mode = ?4, starts_at = ?5, ends_at = ?6 WHERE id = ?1",
        params![
            id,
            file.name.trim(),
            serde_json::to_string(file).expect("sales serialise"),
            match file.mode {
                SaleMode::Discount => "discount",
                SaleMode::Price => "price",
            },
            fmt_utc(start),
            fmt_utc(end),
        ],
    )?;
    get(conn, id)
}

/// Deletes a draft.
pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    draft(conn, id, "deleted")?;
    conn.execute("DELETE FROM sales WHERE id = ?1", [id])?;
    Ok(())
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Sale> {
    let def: String = r.get(1)?;
    Ok(Sale {
        id: r.get(0)?,
        file: serde_json::from_str(&def).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        starts_at: r.get(2)?,
        ends_at: r.get(3)?,
        status: r.get(4)?,
        override_reason: r.get(5)?,
        launch_batch: r.get(6)?,
        end_batch: r.get(7)?,
        created_at: r.get(8)?,
        launched_at: r.get(9)?,
        ended_at: r.get(10)?,
        early_access: serde_json::from_str(&r.get::<_, String>(11)?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Text, Box::new(e))
        })?,
    })
}

const SELECT: &str =
    "SELECT id, definition, starts_at, ends_at, status, override_reason, launch_batch,
    end_batch, created_at, launched_at, ended_at,
    (SELECT json_group_array(json_object('code', json_extract(j.new, '$.value.code'),
                                         'opens_at', json_extract(j.new, '$.value.starts_at')))
     FROM journal j WHERE j.batch_id = sales.launch_batch AND j.status = 'confirmed'
       AND j.label LIKE 'Early access code %')
    FROM sales";

/// One sale.
pub fn get(conn: &Connection, id: i64) -> Result<Sale> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("there is no sale {id}")))
}

/// Every sale, the latest start first.
pub fn list(conn: &Connection) -> Result<Vec<Sale>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY starts_at DESC, id DESC"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
