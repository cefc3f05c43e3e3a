//! Sync: pulls each entity from a storefront into the store. Every batch is
//! written in one transaction together with the checkpoint that follows it,
//! so a sync killed at any moment resumes where its last commit left off,
//! and records are upserted by (source, external id), so nothing is ever
//! counted twice. The derived sales tables are rebuilt when the orders pull
//! completes.

use crate::error::{Error, Result};
use crate::store::{Shop, Store};
use crate::storefront::{Checkpoint, Entity, OrderRecord, Record, Storefront};
use crate::time::fmt_utc;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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

/// Writes records, remembering the ids it has looked up.
struct Writer<'s> {
    source: &'s str,
    run: i64,
    shop: Shop,
    variants: HashMap<String, i64>,
    customers: HashMap<String, i64>,
}

impl Writer<'_> {
    fn write(&mut self, tx: &Transaction, record: &Record, now: &str) -> Result<()> {
        match record {
            Record::Product(p) => {
                let product: i64 = tx
                    .prepare_cached(
                        "INSERT INTO products (source, external_id, title, category, kind, active, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, 'merchandise', ?5, ?6, ?6)
                         ON CONFLICT (source, external_id) DO UPDATE SET title = excluded.title,
                           category = coalesce(excluded.category, products.category), active = excluded.active,
                           updated_at = excluded.updated_at
                         RETURNING id",
                    )?
                    .query_row(
                        params![self.source, p.id, p.title, p.product_type, p.active, now],
                        |r| r.get(0),
                    )?;
                for v in &p.variants {
                    let old: Option<(i64, i64, Option<i64>)> = tx
                        .prepare_cached(
                            "SELECT id, price_minor, compare_at_minor FROM variants WHERE source = ?1 AND external_id = ?2",
                        )?
                        .query_row(params![self.source, v.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()?;
                    let title = if v.title.is_empty() || v.title == "Default Title" {
                        &p.title
                    } else {
                        &v.title
                    };
                    let id: i64 = tx
                        .prepare_cached(
                            "INSERT INTO variants (product_id, source, external_id, sku, title, currency, price_minor,
                               compare_at_minor, stock, active, created_at, updated_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
                             ON CONFLICT (source, external_id) DO UPDATE SET product_id = excluded.product_id,
                               sku = excluded.sku, title = excluded.title, price_minor = excluded.price_minor,
                               compare_at_minor = excluded.compare_at_minor, stock = excluded.stock,
                               active = excluded.active, updated_at = excluded.updated_at
                             RETURNING id",
                        )?
                        .query_row(
                            params![product, self.source, v.id, v.sku, title, self.shop.currency, v.price_minor,
                                    v.compare_at_minor, v.stock, p.active, now],
                            |r| r.get(0),
                        )?;
                    let previous = match old {
                        Some((_, price, compare))
                            if price == v.price_minor && compare == v.compare_at_minor =>
                        {
                            continue
                        }
                        Some((_, price, _)) => Some(price),
                        None => None,
                    };
                    tx.prepare_cached(
                        "INSERT INTO price_history (variant_id, changed_at, price_minor, compare_at_minor, previous_price_minor, reason)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'sync')",
                    )?
                    .execute(params![id, p.updated_at, v.price_minor, v.compare_at_minor, previous])?;
                    self.variants.insert(v.id.clone(), id);
                }
            }
            Record::Customer(c) => {
                let id: i64 = tx
                    .prepare_cached(
                        "INSERT INTO customers (source, external_id, email, name, country, created_at, tags, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (source, external_id) DO UPDATE SET email = excluded.email, name = excluded.name,
                           country = excluded.country, tags = excluded.tags, updated_at = excluded.updated_at
                         RETURNING id",
                    )?
                    .query_row(
                        params![self.source, c.id, c.email, c.name, c.country, c.created_at,
                                serde_json::to_string(&c.tags).expect("strings serialize"), c.updated_at],
                        |r| r.get(0),
                    )?;
                self.customers.insert(c.id.clone(), id);
            }
            Record::Order(o) => self.write_order(tx, o, now)?,
            Record::Discount(d) => {
                // One the app pushed is already mirrored (as 'storefront'):
                // the pull takes it over rather than adding a second row.
                let def = crate::storefront::local::definition(&d.discount);
                let updated = tx
                    .prepare_cached(
                        "UPDATE discounts SET source = ?1, definition = ?3, updated_at = ?4, pulled_in = ?5
                         WHERE external_id = ?2 AND source <> 'local'",
                    )?
                    .execute(params![self.source, d.id, def, now, self.run])?;
                if updated == 0 {
                    tx.prepare_cached(
                        "INSERT INTO discounts (source, external_id, definition, updated_at, pulled_in) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![self.source, d.id, def, now, self.run])?;
                }
            }
        }
        Ok(())
    }

    fn customer(&mut self, tx: &Transaction, external_id: &str, now: &str) -> Result<i64> {
        if let Some(id) = self.customers.get(external_id) {
            return Ok(*id);
        }
        // A customer the customers pull has not brought (deleted since, or
        // created after it): keep the link with a bare record.
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO customers (source, external_id, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source, external_id) DO UPDATE SET external_id = excluded.external_id
                 RETURNING id",
            )?
            .query_row(params![self.source, external_id, now], |r| r.get(0))?;
        self.customers.insert(external_id.to_string(), id);
        Ok(id)
    }

    fn variant(
        &mut self,
        tx: &Transaction,
        line: &crate::storefront::LineRecord,
        now: &str,
    ) -> Result<i64> {
        let key = match &line.variant {
            Some(v) => v.clone(),
            // The product was deleted since: one stand-in per SKU or title.
            None => format!("deleted:{}", line.sku.as_deref().unwrap_or(&line.title)),
        };
        if let Some(id) = self.variants.get(&key) {
            return Ok(*id);
        }
        let found: Option<i64> = tx
            .prepare_cached("SELECT id FROM variants WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![self.source, key], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                let product: i64 = tx
                    .prepare_cached(
                        "INSERT INTO products (source, external_id, title, kind, active, created_at, updated_at)
                         VALUES (?1, ?2, ?3, 'merchandise', 0, ?4, ?4)
                         ON CONFLICT (source, external_id) DO UPDATE SET updated_at = excluded.updated_at
                         RETURNING id",
                    )?
                    .query_row(params![self.source, format!("product-of:{key}"), line.title, now], |r| r.get(0))?;
                tx.prepare_cached(
                    "INSERT INTO variants (product_id, source, external_id, sku, title, currency, price_minor, active, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8) RETURNING id",
                )?
                .query_row(
                    params![product, self.source, key, line.sku, line.title, self.shop.currency, line.unit_price_minor, now],
                    |r| r.get(0),
                )?
            }
        };
        self.variants.insert(key, id);
        Ok(id)
    }

    fn write_order(&mut self, tx: &Transaction, o: &OrderRecord, now: &str) -> Result<()> {
        let customer = match &o.customer {
            Some(c) => Some(self.customer(tx, c, now)?),
            None => None,
        };
        let status = if o.cancelled_at.is_some() {
            "cancelled"
        } else {
            o.financial_status.as_str()
        };
        let order: i64 = tx
            .prepare_cached(
                "INSERT INTO orders (source, external_id, number, customer_id, email, country, placed_at, status, currency, updated_at, cancelled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (source, external_id) DO UPDATE SET number = excluded.number,
                   customer_id = excluded.customer_id, email = excluded.email, country = excluded.country,
                   placed_at = excluded.placed_at, status = excluded.status, currency = excluded.currency,
                   updated_at = excluded.updated_at, cancelled_at = excluded.cancelled_at
                 RETURNING id",
            )?
            .query_row(
                params![self.source, o.id, o.number, customer, o.email, o.country, o.placed_at, status,
                        o.currency, o.updated_at, o.cancelled_at],
                |r| r.get(0),
            )?;
        // An edited order's lines and refunds are replaced as a whole.
        tx.prepare_cached("DELETE FROM order_lines WHERE order_id = ?1")?
            .execute([order])?;
        let mut by_line: HashMap<&str, (i64, i64)> = HashMap::new();
        for (n, l) in o.lines.iter().enumerate() {
            let variant = self.variant(tx, l, now)?;
            let total = l.unit_price_minor * l.quantity;
            tx.prepare_cached(
                "INSERT INTO order_lines (order_id, line_no, variant_id, title, quantity, unit_price_minor, line_total_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![order, n as i64 + 1, variant, l.title, l.quantity, l.unit_price_minor, total])?;
            by_line.insert(&l.id, (variant, l.unit_price_minor));
        }
        for r in &o.refunds {
            let refund: i64 = tx
                .prepare_cached(
                    "INSERT INTO refunds (source, external_id, number, kind, order_id, customer_id, created_at, currency, unitemized_minor)
                     VALUES (?1, ?2, ?3, 'refund', ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (source, external_id) DO UPDATE SET order_id = excluded.order_id,
                       customer_id = excluded.customer_id, created_at = excluded.created_at,
                       currency = excluded.currency, unitemized_minor = excluded.unitemized_minor
                     RETURNING id",
                )?
                .query_row(
                    params![self.source, r.id, o.number, order, customer, r.created_at, o.currency,
                            (r.total_minor - r.lines.iter().map(|l| l.amount_minor).sum::<i64>()).max(0)],
                    |row| row.get(0),
                )?;
            tx.prepare_cached("DELETE FROM refund_lines WHERE refund_id = ?1")?
                .execute([refund])?;
            for (n, rl) in r.lines.iter().enumerate() {
                let Some(&(variant, unit)) = by_line.get(rl.line.as_str()) else {
                    continue;
                };
                tx.prepare_cached(
                    "INSERT INTO refund_lines (refund_id, line_no, variant_id, quantity, unit_price_minor, amount_minor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![refund, n as i64 + 1, variant, rl.quantity, unit, rl.amount_minor])?;
            }
        }
        Ok(())
    }
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
