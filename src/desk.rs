//! The application service: what the desktop shell exposes, as plain Rust.
//! It holds the open store, knows the app's data folder, and serialises work
//! on the store; every shell command is one call into a method here.

use crate::error::{Error, Result};
use crate::import::{self, Control, ImportKind, ImportReport, Progress};
use crate::journal::{self, Entry, ManualChange, RevertScope};
use crate::report::{self, Dashboard, DateRange, Granularity, Summary};
use crate::store::{Shop, Store};
use crate::storefront::connection::{self, ConnectRequest, ConnectionInfo};
use crate::storefront::shopify::client::Tuning;
use crate::storefront::ShopInfo;
use crate::sync::{SyncProgress, SyncReport, SyncRun};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

mod pricing;
mod promotions;
pub use pricing::{CompareRequest, Compared, NamedSource, RuleSets, ScenarioSource};
pub use promotions::{SaleCheck, SalesOverview, TiersCheck, TiersRequest};

/// Which of the two databases in the data folder is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Workspace {
    /// The owner's own shop, `shop.sqlite`.
    Shop,
    /// The demo shop, `demo.sqlite`.
    Demo,
}

/// What the UI needs to decide which screen to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct AppStatus {
    /// The open shop, if any.
    pub shop: Option<Shop>,
    /// Which database is open.
    pub workspace: Workspace,
    /// The open database file.
    pub db_path: String,
    /// "Today" in the shop's time zone (the demo's fixed day for the demo).
    pub today: Option<String>,
    /// Whether the owner's own database has a shop (offered beside the demo).
    pub own_shop_exists: bool,
    /// The app was started with `--demo` and the demo is not open yet: the
    /// UI opens it (with a progress bar) instead of asking.
    pub open_demo_now: bool,
}

/// A dashboard request from the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct DashboardRequest {
    /// Days to report; `None` means the 30 days ending today.
    pub range: Option<DateRange>,
    /// Chart buckets.
    pub granularity: Granularity,
}

/// The open shop's storefront link, for Settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct StorefrontStatus {
    /// The connection; `None`: changes apply to this machine's copy only.
    pub connection: Option<ConnectionInfo>,
    /// The newest sync run.
    pub last_sync: Option<SyncRun>,
    /// Journal entries sent but not yet confirmed (settled before the next
    /// storefront operation).
    pub pending: u32,
}

/// A change the owner pushes by hand from the journal page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct PushRequest {
    pub change: ManualChange,
    /// Why, for the journal.
    pub reason: String,
}

/// The desktop app's state.
pub struct Desk {
    data_dir: PathBuf,
    store: Mutex<Option<(Workspace, Store)>>,
    busy: AtomicBool,
    cancel: Arc<AtomicBool>,
    prefer_demo: bool,
    model_cache: Mutex<Option<pricing::ModelCache>>,
}

const LAST_WORKSPACE_FILE: &str = "last-workspace";

impl Desk {
    /// A desk over `data_dir`, reopening whichever shop was open last time;
    /// `prefer_demo` (the app's `--demo` flag) asks for the demo shop instead.
    pub fn new(data_dir: PathBuf, prefer_demo: bool) -> Result<Desk> {
        let desk = Desk {
            data_dir,
            store: Mutex::new(None),
            busy: AtomicBool::new(false),
            cancel: Arc::new(AtomicBool::new(false)),
            prefer_demo,
            model_cache: Mutex::new(None),
        };
        let last =
            std::fs::read_to_string(desk.data_dir.join(LAST_WORKSPACE_FILE)).unwrap_or_default();
        let want_demo = prefer_demo || last.trim() == "demo";
        let workspace = if want_demo && desk.path_of(Workspace::Demo).exists() {
            Workspace::Demo
        } else {
            Workspace::Shop
        };
        desk.open(workspace)?;
        Ok(desk)
    }

    fn path_of(&self, workspace: Workspace) -> PathBuf {
        self.data_dir.join(match workspace {
            Workspace::Shop => "shop.sqlite",
            Workspace::Demo => "demo.sqlite",
        })
    }

    fn open(&self, workspace: Workspace) -> Result<()> {
        let store = Store::open(&self.path_of(workspace))?;
        *self.store.lock().expect("store lock") = Some((workspace, store));
        let name = if workspace == Workspace::Demo {
            "demo"
        } else {
            "shop"
        };
        std::fs::write(self.data_dir.join(LAST_WORKSPACE_FILE), name)
            .map_err(|e| Error::io(format!("writing {}", self.data_dir.display()), e))?;
        Ok(())
    }

    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut guard = self.store.lock().expect("store lock");
        let (_, store) = guard.as_mut().ok_or(Error::NoShop)?;
        f(store)
    }

    /// Runs a long job, refusing a second at the same time and resetting cancel.
    fn exclusive<T>(&self, job: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.busy.swap(true, Ordering::SeqCst) {
            return Err(Error::Busy);
        }
        self.cancel.store(false, Ordering::SeqCst);
        let result = job();
        self.busy.store(false, Ordering::SeqCst);
        result
    }

    /// Runs a job on the open shop's storefront (the local store when none
    /// is connected), one job at a time.
    fn storefront_job<T>(
        &self,
        job: impl FnOnce(&rusqlite::Connection, &mut dyn crate::storefront::Storefront) -> Result<T>,
    ) -> Result<T> {
        self.exclusive(|| {
            self.with_store(|store| {
                let conn = store.conn();
                connection::with_storefront(conn, self.cancel.clone(), |sf| job(conn, sf))
            })
        })
    }

    /// Which shop is open and what it is.
    pub fn status(&self) -> Result<AppStatus> {
        let guard = self.store.lock().expect("store lock");
        let (workspace, store) = guard.as_ref().ok_or(Error::NoShop)?;
        let shop = store.shop()?;
        let today = match &shop {
            Some(s) => Some(s.today(Utc::now())?.to_string()),
            None => None,
        };
        let own_shop_exists = match workspace {
            Workspace::Shop => shop.is_some(),
            Workspace::Demo => {
                let path = self.path_of(Workspace::Shop);
                path.exists() && Store::open(&path)?.shop()?.is_some()
            }
        };
        Ok(AppStatus {
            shop,
            workspace: *workspace,
            db_path: store.path().display().to_string(),
            today,
            own_shop_exists,
            open_demo_now: self.prefer_demo && *workspace != Workspace::Demo,
        })
    }

    /// Opens the demo shop, building it first if it is not there yet.
    pub fn open_demo(&self, on_progress: impl FnMut(&Progress)) -> Result<AppStatus> {
        self.exclusive(|| {
            let path = self.path_of(Workspace::Demo);
            let ready = path.exists() && Store::open(&path)?.shop()?.is_some();
            if !ready {
                let mut control = Control::new(&self.cancel, on_progress);
                crate::demo::build(&path, &mut control, Utc::now())?;
            }
            self.open(Workspace::Demo)
        })?;
        self.status()
    }

    /// Switches to the owner's own shop (which may not be set up yet).
    pub fn open_own_shop(&self) -> Result<AppStatus> {
        self.open(Workspace::Shop)?;
        self.status()
    }

    /// Sets up (or edits) the owner's own shop and opens it.
    pub fn save_shop(&self, shop: Shop) -> Result<AppStatus> {
        shop.validate()?;
        let own = Shop {
            demo: false,
            fixed_today: None,
            ..shop
        };
        Store::open(&self.path_of(Workspace::Shop))?.set_shop(&own, Utc::now())?;
        self.open_own_shop()
    }

    /// Imports a file into the open shop.
    pub fn import(
        &self,
        kind: ImportKind,
        path: &Path,
        on_progress: impl FnMut(&Progress),
    ) -> Result<ImportReport> {
        self.exclusive(|| {
            self.with_store(|store| {
                let mut control = Control::new(&self.cancel, on_progress);
                import::import_file(store, kind, path, &mut control, Utc::now())
            })
        })
    }

    /// Asks the running job to stop; it rolls back and reports `cancelled`.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
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

    /// The storefront connection and the last sync.
    pub fn storefront(&self) -> Result<StorefrontStatus> {
        self.with_store(|store| {
            let conn = store.conn();
            Ok(StorefrontStatus {
                connection: connection::load(conn)?,
                last_sync: crate::sync::last_run(conn)?,
                pending: journal::pending(conn)?.len() as u32,
            })
        })
    }

    /// "Test connection": the shop's name, currency and time zone, nothing
    /// kept.
    pub fn test_connection(&self, request: ConnectRequest) -> Result<ShopInfo> {
        connection::test(
            &request.platform,
            &request.shop,
            &request.credentials()?,
            Tuning::default(),
        )
    }

    /// Connects the owner's own shop (switching to it from the demo): the
    /// secret goes to the keyring, the shop takes the storefront's name,
    /// currency and time zone. The next sync pulls it.
    pub fn connect(&self, request: ConnectRequest) -> Result<AppStatus> {
        let credentials = request.credentials()?;
        self.exclusive(|| {
            let mut own = Store::open(&self.path_of(Workspace::Shop))?;
            connection::connect(
                &mut own,
                &request.platform,
                &request.shop,
                &credentials,
                Tuning::default(),
            )
        })?;
        self.open_own_shop()
    }

    /// Forgets the connection and removes its secret from the keyring. The
    /// local copy stays.
    pub fn disconnect(&self) -> Result<StorefrontStatus> {
        self.exclusive(|| self.with_store(|store| connection::disconnect(store)))?;
        self.storefront()
    }

    /// Pulls the connected storefront into the open shop. The sync writes
    /// through its own connection to the database, so the dashboard stays
    /// readable meanwhile; cancelling keeps every committed batch.
    pub fn sync(&self, full: bool, on_progress: impl FnMut(&SyncProgress)) -> Result<SyncReport> {
        let path = self.with_store(|store| Ok(store.path().to_path_buf()))?;
        self.exclusive(|| {
            let mut store = Store::open(&path)?;
            let report =
                connection::sync_store(&mut store, full, self.cancel.clone(), on_progress)?;
            // New orders may have reached a sale's stock cap.
            crate::promotions::run::settle_now(store.conn(), self.cancel.clone())?;
            Ok(report)
        })
    }

    /// The newest journal entries first.
    pub fn journal(&self, limit: u32) -> Result<Vec<Entry>> {
        self.with_store(|store| journal::list(store.conn(), limit))
    }

    /// Pushes one change by hand, journaled.
    pub fn push(&self, request: PushRequest) -> Result<Vec<Entry>> {
        self.exclusive(|| {
            self.with_store(|store| {
                connection::push_manual(
                    store.conn(),
                    self.cancel.clone(),
                    &request.change,
                    &request.reason,
                )
            })
        })
    }

    /// Reverts an entry or a batch; a value changed in the store since is a
    /// `conflict` unless `force`.
    pub fn revert(&self, scope: RevertScope, force: bool) -> Result<Vec<Entry>> {
        self.storefront_job(|conn, sf| journal::revert(conn, sf, scope, force, Utc::now()))
    }

    /// The summary for a range.
    pub fn summary(&self, range: DateRange) -> Result<Summary> {
        self.with_store(|store| report::summary(store.conn(), &store.require_shop()?, range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_workspace_and_refuses_parallel_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::new(dir.path().to_path_buf(), false).unwrap();
        let status = desk.status().unwrap();
        assert_eq!(status.workspace, Workspace::Shop);
        assert!(status.shop.is_none());
        assert_eq!(
            desk.dashboard(DashboardRequest {
                range: None,
                granularity: Granularity::Day
            })
            .unwrap_err()
            .code(),
            "no_shop"
        );
        let shop = Shop {
            name: "Corner Shop".into(),
            platform: "local".into(),
            currency: "EUR".into(),
            time_zone: "Europe/Berlin".into(),
            demo: true,
            fixed_today: Some("2020-01-01".into()),
        };
        let status = desk.save_shop(shop).unwrap();
        let saved = status.shop.unwrap();
        assert!(!saved.demo, "the owner's shop is never a demo");
        assert_eq!(saved.fixed_today, None);
        // A job in progress blocks a second one.
        desk.busy.store(true, Ordering::SeqCst);
        assert_eq!(desk.open_demo(|_| {}).unwrap_err().code(), "busy");
        desk.busy.store(false, Ordering::SeqCst);
        drop(desk);
        let again = Desk::new(dir.path().to_path_buf(), false).unwrap();
        assert_eq!(again.status().unwrap().shop.unwrap().name, "Corner Shop");
    }
}
