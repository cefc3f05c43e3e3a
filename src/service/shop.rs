//! The shop and its data: opening the demo or the owner's shop, the shop
//! record, imports and the reports.

use super::{holds_shop, AppStatus, Desk, Place, Workspace};
use crate::error::{Error, Result};
use crate::import::{self, Control, ImportKind, ImportReport, Progress};
use crate::report::{self, Dashboard, DateRange, Granularity, RankBy, Summary, TopProduct};
use crate::store::{Shop, Store};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A dashboard request from the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct DashboardRequest {
    /// Days to report; `None` means the 30 days ending today.
    pub range: Option<DateRange>,
    /// Chart buckets.
    pub granularity: Granularity,
}

/// A shop just opened or built: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opened {
    pub path: String,
    pub shop: Shop,
    /// "Today" in the shop (the demo's fixed day for the demo).
    pub today: String,
}

impl Desk {
    /// Opens the demo shop, building it first if it is not there yet. On a
    /// file desk (the command line's `demo`) the file is the demo: it is
    /// built there, and refused when it already holds a shop.
    pub fn open_demo(&self, on_progress: impl FnMut(&Progress)) -> Result<AppStatus> {
        self.exclusive(|| {
            let path = self.path_of(Workspace::Demo);
            match &self.place {
                Place::Folder { .. } => {
                    if !holds_shop(&path)? {
                        self.build_demo(&path, on_progress)?;
                    }
                }
                Place::File { .. } => {
                    if holds_shop(&path)? {
                        return Err(Error::InvalidArgument(format!(
                            "{} already holds a shop; give another --db for the demo",
                            path.display()
                        )));
                    }
                    // Nothing may hold the file open while it is rebuilt.
                    *super::lock(&self.store) = None;
                    let _ = std::fs::remove_file(&path);
                    self.build_demo(&path, on_progress)?;
                }
            }
            self.open(Workspace::Demo)
        })?;
        self.status()
    }

    fn build_demo(&self, path: &Path, on_progress: impl FnMut(&Progress)) -> Result<()> {
        let mut control = Control::new(&self.cancel, on_progress);
        crate::demo::build(path, &mut control, Utc::now())?;
        Ok(())
    }

    /// Switches to the owner's own shop (which may not be set up yet).
    pub fn open_own_shop(&self) -> Result<AppStatus> {
        self.open(Workspace::Shop)?;
        self.status()
    }

    /// Sets up (or edits) the owner's own shop and opens it. In the app the
    /// owner's shop is never a demo; on a file desk the record keeps the
    /// demo marks it had (`shop set` on the demo file edits the demo).
    pub fn save_shop(&self, shop: Shop) -> Result<AppStatus> {
        shop.validate()?;
        let path = self.path_of(Workspace::Shop);
        let record = match &self.place {
            Place::Folder { .. } => Shop {
                demo: false,
                fixed_today: None,
                ..shop
            },
            Place::File { .. } => {
                let old = if path.exists() {
                    Store::open(&path)?.shop()?
                } else {
                    None
                };
                Shop {
                    platform: old
                        .as_ref()
                        .map_or_else(|| shop.platform.clone(), |s| s.platform.clone()),
                    demo: old.as_ref().is_some_and(|s| s.demo),
                    fixed_today: old.and_then(|s| s.fixed_today),
                    ..shop
                }
            }
        };
        Store::open(&path)?.set_shop(&record, Utc::now())?;
        self.open_own_shop()
    }

    /// Imports a file into the open shop. The import writes through a
    /// connection of its own, in one transaction, so every other command
    /// goes on reading the shop meanwhile.
    pub fn import_file(
        &self,
        kind: ImportKind,
        path: PathBuf,
        on_progress: impl FnMut(&Progress),
    ) -> Result<ImportReport> {
        let db = self.store_path()?;
        self.exclusive(|| {
            let mut store = Store::open(&db)?;
            let mut control = Control::new(&self.cancel, on_progress);
            import::import_file(&mut store, kind, &path, &mut control, Utc::now())
        })
    }

    /// Everything the dashboard shows.
    pub fn dashboard(&self, request: DashboardRequest) -> Result<Dashboard> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            let range = match request.range {
                Some(r) => DateRange::new(r.from, r.to)?,
                None => DateRange::last_days(shop.today(Utc::now())?, 30),
            };
            report::dashboard(store.conn(), &shop, range, request.granularity, 25)
        })
    }

    /// The days a report covers: `to` defaults to the shop's today, `from`
    /// to the first day with an order.
    fn report_range(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<DateRange> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            let to = match to {
                Some(t) => t,
                None => shop.today(Utc::now())?,
            };
            let from = match from {
                Some(f) => f,
                None => report::data_span(store.conn(), &shop)?
                    .map(|s| s.from)
                    .unwrap_or(to),
            };
            DateRange::new(from, to)
        })
    }

    /// The summary for a range.
    pub fn summary(&self, range: DateRange) -> Result<Summary> {
        self.with_store(|store| report::summary(store.conn(), &store.require_shop()?, range))
    }

    /// The summary from `from` (default: the first day with an order) to
    /// `to` (default: today), with the range it covers.
    pub fn summary_between(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Summary> {
        let range = self.report_range(from, to)?;
        self.summary(range)
    }

    /// The best sellers from `from` to `to` (defaults as for
    /// [`Desk::summary_between`]), with the range they cover.
    pub fn top_products_between(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        by: RankBy,
        limit: u32,
    ) -> Result<(DateRange, Vec<TopProduct>)> {
        let range = self.report_range(from, to)?;
        self.with_store(|store| {
            let rows =
                report::top_products(store.conn(), &store.require_shop()?, range, by, limit)?;
            Ok((range, rows))
        })
    }
}
