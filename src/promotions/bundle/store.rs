//! Stored bundles.

use super::*;
use crate::error::{Error, Result};
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

stored_enum! {
    /// Where a bundle stands.
    pub enum BundleStatus {
        Draft = "draft",
        Live = "live",
        Ended = "ended",
    }
}

/// A stored bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Bundle {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub file: BundleFile,
    pub status: BundleStatus,
    pub override_reason: Option<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub launch_batch: Option<i64>,
    /// UTC.
    pub created_at: String,
    pub launched_at: Option<String>,
    pub ended_at: Option<String>,
}

const SELECT: &str = "SELECT id, definition, status, override_reason, launch_batch, created_at, launched_at, ended_at FROM bundles";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Bundle> {
    let def: String = r.get(1)?;
    Ok(Bundle {
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

/// One bundle.
pub fn get(conn: &Connection, id: i64) -> Result<Bundle> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("there is no bundle {id}")))
}

/// Every bundle, newest first.
pub fn list(conn: &Connection) -> Result<Vec<Bundle>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id DESC"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores a bundle as a draft once its SKUs are the shop's.
pub fn create(
    conn: &Connection,
    shop: &Shop,
    file: &BundleFile,
    now: DateTime<Utc>,
) -> Result<Bundle> {
    file.validate_shape()?;
    file.end_after(shop, now)?;
    resolve(conn, shop, file)?;
    let mut file = file.clone();
    file.name = file.name.trim().to_string();
    file.get = file.get.trim().to_string();
    for s in &mut file.buy {
        *s = s.trim().to_string();
    }
    conn.execute(
        "INSERT INTO bundles (name, definition, status, created_at) VALUES (?1, ?2, 'draft', ?3)",
        params![
            file.name,
            serde_json::to_string(&file).expect("bundles serialise"),
            fmt_utc(now)
        ],
    )?;
    get(conn, conn.last_insert_rowid())
}

/// Deletes a bundle that was never launched.
pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    let b = get(conn, id)?;
    if b.status != BundleStatus::Draft || b.launch_batch.is_some() {
        return Err(Error::InvalidArgument(format!(
            "bundle {id} \"{}\" is {}: only a draft can be deleted",
            b.file.name, b.status
        )));
    }
    conn.execute("DELETE FROM bundles WHERE id = ?1", [id])?;
    Ok(())
}
