//! Importers: CSV files into the store. Every import streams its file, runs in
//! one transaction (all or nothing), reports progress and can be cancelled,
//! and keys every row by source and external id so that importing the same
//! file again changes nothing. Rows that are kept but unusual are *flagged*,
//! rows that cannot be kept are *skipped*; both are reported by reason with
//! their line numbers.

mod catalog;
pub mod csvin;
mod generic;
mod loyalty;
mod online_retail;
mod shopify;
mod signals;
mod subscription_exports;
mod subscriptions;

pub use catalog::ProductKind;
pub use online_retail::classify_stock_code;

use crate::error::{Error, Result};
use crate::store::{Shop, Store};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use csvin::CsvInput;
use rusqlite::{params, Transaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// The file formats Merchant Desk imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    /// The UCI Online Retail invoice lines.
    OnlineRetail,
    /// The generic orders CSV of `docs/import-formats.md`.
    Orders,
    /// The generic products CSV of `docs/import-formats.md`.
    Products,
    /// Shopify admin → Orders → Export.
    ShopifyOrders,
    /// Shopify admin → Products → Export.
    ShopifyProducts,
    /// Competitor prices: `sku, competitor, price, observed_at`.
    CompetitorPrices,
    /// Storefront demand: `sku, date, views, add_to_carts`.
    DemandEvents,
    /// What one unit costs the shop: `sku, cost`.
    UnitCosts,
    /// Loyalty actions: `customer, action, at, reference`.
    LoyaltyActions,
    /// Customers' birthdays: `customer, birthday`.
    CustomerBirthdays,
    /// The subscription book: `subscription_id, customer, email, plan, status, …`.
    Subscriptions,
    /// Shopify Subscriptions' contract CSV export.
    ShopifySubscriptions,
    /// Recharge's subscriptions export.
    RechargeSubscriptions,
}

impl ImportKind {
    /// Every format, in the order the command line lists them.
    pub const ALL: [ImportKind; 13] = [
        ImportKind::OnlineRetail,
        ImportKind::Orders,
        ImportKind::Products,
        ImportKind::ShopifyOrders,
        ImportKind::ShopifyProducts,
        ImportKind::CompetitorPrices,
        ImportKind::DemandEvents,
        ImportKind::UnitCosts,
        ImportKind::LoyaltyActions,
        ImportKind::CustomerBirthdays,
        ImportKind::Subscriptions,
        ImportKind::ShopifySubscriptions,
        ImportKind::RechargeSubscriptions,
    ];

    /// The format with this [`ImportKind::name`].
    pub fn from_name(name: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The name used on the command line and in import runs.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::OnlineRetail => "online-retail",
            ImportKind::Orders => "orders",
            ImportKind::Products => "products",
            ImportKind::ShopifyOrders => "shopify-orders",
            ImportKind::ShopifyProducts => "shopify-products",
            ImportKind::CompetitorPrices => "competitor-prices",
            ImportKind::DemandEvents => "demand-events",
            ImportKind::UnitCosts => "unit-costs",
            ImportKind::LoyaltyActions => "loyalty-actions",
            ImportKind::CustomerBirthdays => "customer-birthdays",
            ImportKind::Subscriptions => "subscriptions",
            ImportKind::ShopifySubscriptions => "shopify-subscriptions",
            ImportKind::RechargeSubscriptions => "recharge-subscriptions",
        }
    }

    /// Whether the file can change what the sales tables are built from
    /// (orders, or the products they point at).
    fn touches_sales(self) -> bool {
        !matches!(
            self,
            ImportKind::CompetitorPrices
                | ImportKind::DemandEvents
                | ImportKind::UnitCosts
                | ImportKind::LoyaltyActions
                | ImportKind::CustomerBirthdays
                | ImportKind::Subscriptions
                | ImportKind::ShopifySubscriptions
                | ImportKind::RechargeSubscriptions
        )
    }
}

/// How far a long job has got.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Progress {
    /// What is being done, for people ("Reading orders.csv").
    pub stage: String,
    /// Work done, in the unit of `total` (bytes of the file while reading).
    #[cfg_attr(test, ts(type = "number"))]
    pub done: u64,
    /// Work in all; 0 when unknown.
    #[cfg_attr(test, ts(type = "number"))]
    pub total: u64,
    /// Rows read so far.
    #[cfg_attr(test, ts(type = "number"))]
    pub rows: u64,
}

/// Progress reporting and cancellation for a long job.
pub struct Control<'a> {
    on_progress: Box<dyn FnMut(&Progress) + 'a>,
    cancel: &'a AtomicBool,
}

impl<'a> Control<'a> {
    /// A control that reports to `on_progress` and stops when `cancel` is set.
    pub fn new(cancel: &'a AtomicBool, on_progress: impl FnMut(&Progress) + 'a) -> Self {
        Control {
            on_progress: Box::new(on_progress),
            cancel,
        }
    }

    /// Reports progress, then fails with [`Error::Cancelled`] if asked to stop.
    pub fn tick(&mut self, progress: Progress) -> Result<()> {
        (self.on_progress)(&progress);
        if self.cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        Ok(())
    }
}

/// One reason rows were skipped or flagged, with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ImportIssue {
    /// `skipped` (not imported) or `flagged` (imported, worth a look).
    pub action: String,
    /// Why, in words.
    pub reason: String,
    /// How many rows.
    #[cfg_attr(test, ts(type = "number"))]
    pub count: u64,
    /// The first line numbers (at most [`MAX_LINES_PER_ISSUE`]).
    #[cfg_attr(test, ts(type = "Array<number>"))]
    pub lines: Vec<u64>,
}

/// Line numbers kept per reason in a report.
pub const MAX_LINES_PER_ISSUE: usize = 50;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ImportReport {
    /// The import run's id in the store.
    #[cfg_attr(test, ts(type = "number"))]
    pub run_id: i64,
    /// Which format.
    pub kind: ImportKind,
    /// The file's name.
    pub file: String,
    /// Data rows read.
    #[cfg_attr(test, ts(type = "number"))]
    pub rows_read: u64,
    /// Rows stored.
    #[cfg_attr(test, ts(type = "number"))]
    pub rows_imported: u64,
    /// Rows not stored.
    #[cfg_attr(test, ts(type = "number"))]
    pub rows_skipped: u64,
    /// Rows stored with at least one flag.
    #[cfg_attr(test, ts(type = "number"))]
    pub rows_flagged: u64,
    /// Distinct orders the file touched.
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: u64,
    /// Distinct cancellations or refunds the file touched.
    #[cfg_attr(test, ts(type = "number"))]
    pub refunds: u64,
    /// Distinct variants the file touched.
    #[cfg_attr(test, ts(type = "number"))]
    pub variants: u64,
    /// Distinct customers the file touched.
    #[cfg_attr(test, ts(type = "number"))]
    pub customers: u64,
    /// Prices that changed and went into price history.
    #[cfg_attr(test, ts(type = "number"))]
    pub price_changes: u64,
    /// Skipped and flagged rows by reason.
    pub issues: Vec<ImportIssue>,
}

/// Collects the figures of a report while an importer runs.
#[derive(Default)]
pub(crate) struct Tally {
    pub rows_read: u64,
    pub rows_skipped: u64,
    pub rows_flagged: u64,
    pub orders: u64,
    pub refunds: u64,
    pub variants: u64,
    pub customers: u64,
    pub price_changes: u64,
    issues: BTreeMap<(&'static str, String), (u64, Vec<u64>)>,
    flagged_line: u64,
}

impl Tally {
    fn note(&mut self, action: &'static str, reason: &str, line: u64) {
        let entry = self
            .issues
            .entry((action, reason.to_string()))
            .or_insert((0, Vec::new()));
        entry.0 += 1;
        if entry.1.len() < MAX_LINES_PER_ISSUE {
            entry.1.push(line);
        }
    }

    /// Records that the row at `line` was not imported.
    pub fn skip(&mut self, reason: &str, line: u64) {
        self.rows_skipped += 1;
        self.note("skipped", reason, line);
    }

    /// Records something unusual about an imported row.
    pub fn flag(&mut self, reason: &str, line: u64) {
        if self.flagged_line != line {
            self.rows_flagged += 1;
            self.flagged_line = line;
        }
        self.note("flagged", reason, line);
    }
}

/// What an importer gets to work with.
pub(crate) struct Ctx<'t> {
    pub tx: &'t Transaction<'t>,
    pub shop: Shop,
    pub run_id: i64,
    pub now: String,
    pub tally: Tally,
}

/// Rows between progress reports.
const PROGRESS_EVERY: u64 = 4096;

/// The next data row, counting it and reporting progress every few thousand rows.
pub(crate) fn next_row<'i>(
    tally: &mut Tally,
    input: &'i mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<Option<csvin::Row<'i>>> {
    if tally.rows_read.is_multiple_of(PROGRESS_EVERY) {
        tick(input, tally.rows_read)?;
    }
    let row = input.next_row()?;
    if row.is_some() {
        tally.rows_read += 1;
    }
    Ok(row)
}

/// Imports a file into the store. Either the whole file lands or nothing does.
pub fn import_file(
    store: &mut Store,
    kind: ImportKind,
    path: &Path,
    control: &mut Control,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    import_reader(store, kind, &file_name, file, size, control, now)
}

/// Imports from any reader; `size` is its length in bytes, for progress.
pub fn import_reader(
    store: &mut Store,
    kind: ImportKind,
    file_name: &str,
    reader: impl std::io::Read + 'static,
    size: u64,
    control: &mut Control,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    let mut input = CsvInput::new(file_name, reader)?;
    let now_text = fmt_utc(now);
    // A large import rewrites most of the file in one transaction: with the
    // default 2 MiB page cache SQLite spills pages to the WAL over and over.
    let cache: i64 = store
        .conn()
        .query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    store
        .conn()
        .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
    let result = import_in_transaction(
        store, kind, file_name, &mut input, size, control, now, &now_text,
    );
    store.conn().pragma_update(None, "cache_size", cache)?;
    result
}

/// Page cache during an import, in KiB (SQLite's negative `cache_size`).
const IMPORT_CACHE_KIB: i64 = -256 * 1024;

#[allow(clippy::too_many_arguments)]
fn import_in_transaction(
    store: &mut Store,
    kind: ImportKind,
    file_name: &str,
    input: &mut CsvInput,
    size: u64,
    control: &mut Control,
    now: DateTime<Utc>,
    now_text: &str,
) -> Result<ImportReport> {
    let tx = store.conn_mut().transaction()?;
    let shop = match crate::store::read_shop(&tx)? {
        Some(shop) => shop,
        None => {
            let shop = default_shop_for(kind, input)?;
            crate::store::write_shop(&tx, &shop, now)?;
            shop
        }
    };
    tx.execute(
        "INSERT INTO import_runs (kind, file_name, file_size, started_at, finished_at,
            rows_read, rows_imported, rows_skipped, rows_flagged, report)
         VALUES (?1, ?2, ?3, ?4, ?4, 0, 0, 0, 0, '[]')",
        params![kind.name(), file_name, size as i64, now_text],
    )?;
    let run_id = tx.last_insert_rowid();
    let mut ctx = Ctx {
        tx: &tx,
        shop,
        run_id,
        now: now_text.to_string(),
        tally: Tally::default(),
    };
    let stage = format!("Importing {file_name}");
    let mut tick = |input: &CsvInput, rows: u64| {
        control.tick(Progress {
            stage: stage.clone(),
            done: input.bytes_read().min(size),
            total: size,
            rows,
        })
    };
    match kind {
        ImportKind::OnlineRetail => online_retail::run(&mut ctx, input, &mut tick)?,
        ImportKind::Orders => generic::orders(&mut ctx, input, &mut tick)?,
        ImportKind::Products => generic::products(&mut ctx, input, &mut tick)?,
        ImportKind::ShopifyOrders => shopify::orders(&mut ctx, input, &mut tick)?,
        ImportKind::ShopifyProducts => shopify::products(&mut ctx, input, &mut tick)?,
        ImportKind::CompetitorPrices => signals::competitor_prices(&mut ctx, input, &mut tick)?,
        ImportKind::DemandEvents => signals::demand_events(&mut ctx, input, &mut tick)?,
        ImportKind::UnitCosts => signals::unit_costs(&mut ctx, input, &mut tick)?,
        ImportKind::LoyaltyActions => loyalty::actions(&mut ctx, input, &mut tick)?,
        ImportKind::CustomerBirthdays => loyalty::birthdays(&mut ctx, input, &mut tick)?,
        ImportKind::Subscriptions => subscriptions::run(&mut ctx, input, &mut tick)?,
        ImportKind::ShopifySubscriptions => {
            subscription_exports::shopify(&mut ctx, input, &mut tick)?
        }
        ImportKind::RechargeSubscriptions => {
            subscription_exports::recharge(&mut ctx, input, &mut tick)?
        }
    }
    tick(input, ctx.tally.rows_read)?;
    let t = ctx.tally;
    control.tick(Progress {
        stage: "Updating sales figures".into(),
        done: size,
        total: size,
        rows: t.rows_read,
    })?;
    if kind.touches_sales() {
        crate::store::derived::refresh_sales(&tx)?;
    }
    if t.rows_read == 0 {
        return Err(Error::BadInput {
            file: file_name.to_string(),
            line: 2,
            column: "-".into(),
            message: "the file has a header but no data rows".into(),
        });
    }
    let issues: Vec<ImportIssue> = t
        .issues
        .into_iter()
        .map(|((action, reason), (count, lines))| ImportIssue {
            action: action.to_string(),
            reason,
            count,
            lines,
        })
        .collect();
    let report = ImportReport {
        run_id,
        kind,
        file: file_name.to_string(),
        rows_read: t.rows_read,
        rows_imported: t.rows_read - t.rows_skipped,
        rows_skipped: t.rows_skipped,
        rows_flagged: t.rows_flagged,
        orders: t.orders,
        refunds: t.refunds,
        variants: t.variants,
        customers: t.customers,
        price_changes: t.price_changes,
        issues,
    };
    tx.execute(
        "UPDATE import_runs SET finished_at = ?2, rows_read = ?3, rows_imported = ?4,
            rows_skipped = ?5, rows_flagged = ?6, report = ?7 WHERE id = ?1",
        params![
            run_id,
            fmt_utc(Utc::now().max(now)),
            report.rows_read as i64,
            report.rows_imported as i64,
            report.rows_skipped as i64,
            report.rows_flagged as i64,
            serde_json::to_string(&report.issues).expect("issues serialise"),
        ],
    )?;
    tx.commit()?;
    Ok(report)
}

/// A shop record for a database that has none yet, from what the file says.
fn default_shop_for(kind: ImportKind, input: &CsvInput) -> Result<Shop> {
    let (currency, time_zone) = match kind {
        ImportKind::OnlineRetail => ("GBP".to_string(), "Europe/London"),
        _ => {
            return Err(Error::InvalidArgument(format!(
                "set up the shop first (its currency and time zone) before importing {}: \
                 in the app under Settings, or `merchant-desk shop set --name NAME --currency CODE --time-zone ZONE`",
                input.file()
            )))
        }
    };
    Ok(Shop {
        name: "My shop".into(),
        platform: "local".into(),
        currency,
        time_zone: time_zone.into(),
        demo: false,
        fixed_today: None,
    })
}
