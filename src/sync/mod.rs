//! Sync: pulls each entity from a storefront into the store. Every batch is
//! written in one transaction together with the checkpoint that follows it,
//! so a sync killed at any moment resumes where its last commit left off,
//! and records are upserted by (source, external id), so nothing is ever
//! counted twice. The derived sales tables are rebuilt when the orders pull
//! completes.

use crate::error::{Error, Result};
use crate::store::Store;
use crate::storefront::{Checkpoint, Entity, Storefront};
use crate::time::fmt_utc;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

mod writer;

use writer::Writer;

/// How far a sync has got, for the progress bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SyncProgress {
    /// What is being done, for people ("Pulling orders").
    pub stage: String,
    /// The entity being pulled.
    pub entity: Entity,
    /// Objects read of `total` (0 when unknown).
    #[cfg_attr(test, ts(type = "number"))]
    pub done: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub total: u64,
    /// Records written by this sync so far, all entities.
    #[cfg_attr(test, ts(type = "number"))]
    pub written: u64,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SyncReport {
    /// The run's id in `sync_runs`.
    #[cfg_attr(test, ts(type = "number"))]
    pub run: i64,
    /// Whether any entity was pulled in full (the first sync always is).
    pub full: bool,
    #[cfg_attr(test, ts(type = "number"))]
    pub products: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub customers: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub discounts: u64,
    /// Wall time.
    pub seconds: f64,
}

stored_enum! {
    /// Where a sync run stands.
    pub enum RunStatus {
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

/// The last sync, for Settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SyncRun {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub full: bool,
    pub status: RunStatus,
    pub message: Option<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub products: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub customers: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub discounts: i64,
}

/// The newest sync run, if any.
pub fn last_run(conn: &Connection) -> Result<Option<SyncRun>> {
    Ok(conn
        .query_row(
            "SELECT id, started_at, finished_at, full, status, message, products, customers, orders, discounts
             FROM sync_runs ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(SyncRun {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                    full: r.get(3)?,
                    status: r.get(4)?,
                    message: r.get(5)?,
                    products: r.get(6)?,
                    customers: r.get(7)?,
                    orders: r.get(8)?,
                    discounts: r.get(9)?,
                })
            },
        )
        .optional()?)
}

fn load_checkpoint(conn: &Connection, entity: Entity) -> Result<Option<Checkpoint>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT checkpoint FROM sync_state WHERE entity = ?1",
            [entity.name()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Where the next pull of `entity` starts: a pull under way resumes; the
/// first pull, and any pull with `full`, is a full one; otherwise changes
/// since the last completed pull.
fn starting_point(stored: Option<Checkpoint>, full: bool) -> Checkpoint {
    match stored {
        Some(cp) if !cp.done && (cp.full || !full) => cp,
        Some(cp) if !full && cp.high_water.is_some() => Checkpoint {
            since: cp.high_water.clone(),
            high_water: cp.high_water,
            ..Checkpoint::default()
        },
        _ => Checkpoint {
            full: true,
            ..Checkpoint::default()
        },
    }
}

/// Where the next pull of discounts starts: always the whole set (a pull
/// under way resumes), remembering the run it began in so its end can
/// remove what the platform no longer has.
fn whole_set_start(stored: Option<Checkpoint>, run: i64) -> Checkpoint {
    match stored {
        Some(cp) if !cp.done && cp.started_run.is_some() => cp,
        stored => Checkpoint {
            started_run: Some(run),
            high_water: stored.and_then(|cp| cp.high_water),
            ..Checkpoint::default()
        },
    }
}

/// Pulls every entity from `storefront` into `store`.
pub fn sync(
    store: &mut Store,
    storefront: &mut dyn Storefront,
    full: bool,
    cancel: &AtomicBool,
    mut on_progress: impl FnMut(&SyncProgress),
) -> Result<SyncReport> {
    let started = Instant::now();
    let now = fmt_utc(Utc::now());
    store.conn().execute(
        "INSERT INTO sync_runs (started_at, full, status) VALUES (?1, ?2, 'running')",
        params![now, full],
    )?;
    let run = store.conn().last_insert_rowid();
    tracing::info!(run, full, platform = storefront.platform(), "sync started");
    let result = pull_all(store, storefront, full, run, cancel, &mut on_progress);
    let finished = fmt_utc(Utc::now());
    let (status, message) = match &result {
        Ok(_) => ("completed", None),
        Err(Error::Cancelled) => ("cancelled", Some(Error::Cancelled.to_string())),
        Err(e) => ("failed", Some(e.to_string())),
    };
    store.conn().execute(
        "UPDATE sync_runs SET finished_at = ?2, status = ?3, message = ?4 WHERE id = ?1",
        params![run, finished, status, message],
    )?;
    match &result {
        Ok(r) => tracing::info!(
            run,
            products = r.products,
            customers = r.customers,
            orders = r.orders,
            seconds = started.elapsed().as_secs_f64(),
            "sync completed"
        ),
        Err(e) => tracing::warn!(run, code = e.code().as_str(), "sync {status}: {e}"),
    }
    let mut report = result?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn pull_all(
    store: &mut Store,
    storefront: &mut dyn Storefront,
    full: bool,
    run: i64,
    cancel: &AtomicBool,
    on_progress: &mut dyn FnMut(&SyncProgress),
) -> Result<SyncReport> {
    let info = storefront.shop_info()?;
    let mut shop = store.require_shop()?;
    if shop.name != info.name || shop.currency != info.currency || shop.time_zone != info.time_zone
    {
        shop.name = info.name;
        shop.currency = info.currency;
        shop.time_zone = info.time_zone;
        store.set_shop(&shop, Utc::now())?;
    }
    if crate::store::money_format(store.conn())? != info.money_format {
        crate::store::set_money_format(store.conn(), info.money_format.as_deref())?;
    }
    let source = storefront.platform();
    let mut report = SyncReport {
        run,
        full: false,
        products: 0,
        customers: 0,
        orders: 0,
        discounts: 0,
        seconds: 0.0,
    };
    let mut written = 0u64;
    for entity in Entity::ALL {
        let stored = load_checkpoint(store.conn(), entity)?;
        let from = match entity {
            Entity::Discounts => whole_set_start(stored, run),
            _ => starting_point(stored, full),
        };
        report.full |= from.full;
        let stage = format!(
            "{} {}",
            match (entity, from.full) {
                (Entity::Discounts, _) => "Pulling",
                (_, true) => "Pulling all",
                (_, false) => "Pulling changed",
            },
            entity.name()
        );
        on_progress(&SyncProgress {
            stage: stage.clone(),
            entity,
            done: 0,
            total: 0,
            written,
        });
        let mut writer = Writer {
            source,
            run,
            shop: shop.clone(),
            variants: HashMap::new(),
            customers: HashMap::new(),
        };
        let conn = store.conn_mut();
        let mut count = 0u64;
        storefront.pull(entity, &from, &mut |records, cp, progress| {
            let tx = conn.transaction()?;
            let now = fmt_utc(Utc::now());
            for r in &records {
                writer.write(&tx, r, &now)?;
            }
            tx.execute(
                "INSERT INTO sync_state (entity, checkpoint, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (entity) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at",
                params![entity.name(), serde_json::to_string(cp).expect("checkpoints serialize"), now],
            )?;
            let n = records.len() as u64;
            let column = entity.name();
            tx.execute(
                &format!("UPDATE sync_runs SET {column} = {column} + ?2 WHERE id = ?1"),
                params![run, n as i64],
            )?;
            if cp.done && entity == Entity::Orders {
                crate::store::derived::refresh_sales(&tx)?;
            }
            if let (true, Entity::Discounts, Some(started)) = (cp.done, entity, cp.started_run) {
                // Not seen since the pull began: deleted on the platform.
                // Discounts made in this app without a storefront stay.
                if source != "local" {
                    tx.execute(
                        "DELETE FROM discounts WHERE source <> 'local' AND coalesce(pulled_in, 0) < ?1",
                        [started],
                    )?;
                }
            }
            tx.commit()?;
            count += n;
            written += n;
            on_progress(&SyncProgress {
                stage: stage.clone(),
                entity,
                done: progress.done,
                total: progress.total.unwrap_or(0),
                written,
            });
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            Ok(())
        })?;
        match entity {
            Entity::Products => report.products = count,
            Entity::Customers => report.customers = count,
            Entity::Orders => report.orders = count,
            Entity::Discounts => report.discounts = count,
        }
    }
    Ok(report)
}

/// When each entity was last pulled to completion.
pub fn last_pulled(conn: &Connection) -> Result<Vec<(Entity, Option<String>)>> {
    Entity::ALL
        .iter()
        .map(|&e| Ok((e, load_checkpoint(conn, e)?.and_then(|c| c.high_water))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_pulls_start() {
        let done = Checkpoint {
            done: true,
            high_water: Some("2026-01-01T00:00:00Z".into()),
            ..Checkpoint::default()
        };
        let incremental = starting_point(Some(done.clone()), false);
        assert!(!incremental.full);
        assert_eq!(incremental.since.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert!(starting_point(Some(done), true).full);
        assert!(starting_point(None, false).full);
        let midway = Checkpoint {
            full: true,
            bulk_id: Some("gid://shopify/BulkOperation/1".into()),
            line: 500,
            ..Checkpoint::default()
        };
        assert_eq!(starting_point(Some(midway.clone()), false), midway);
        assert_eq!(starting_point(Some(midway.clone()), true), midway);
        let paging = Checkpoint {
            cursor: Some("c".into()),
            since: Some("2026-01-01T00:00:00Z".into()),
            ..Checkpoint::default()
        };
        assert_eq!(starting_point(Some(paging.clone()), false), paging);
        assert!(starting_point(Some(paging), true).full);
    }

    #[test]
    fn discounts_are_pulled_whole_and_resume() {
        let fresh = whole_set_start(None, 7);
        assert_eq!(fresh.started_run, Some(7));
        assert!(!fresh.full && fresh.cursor.is_none());
        let done = Checkpoint {
            done: true,
            started_run: Some(3),
            high_water: Some("2026-01-01T00:00:00Z".into()),
            ..Checkpoint::default()
        };
        let again = whole_set_start(Some(done), 7);
        assert_eq!(again.started_run, Some(7));
        assert_eq!(again.high_water.as_deref(), Some("2026-01-01T00:00:00Z"));
        let midway = Checkpoint {
            cursor: Some("c".into()),
            started_run: Some(5),
            ..Checkpoint::default()
        };
        assert_eq!(whole_set_start(Some(midway.clone()), 7), midway);
    }
}
