//! The application service: every use case of Merchant Desk as one plain
//! Rust call, shared by the desktop shell and the command line. It is the
//! only place that opens a storefront (reconciling the journal first), runs
//! a use case on it and settles sales and tiers afterwards; the domain
//! modules below it take a connection, a storefront and `now`.
//!
//! The methods are grouped by use case: the shop and its data (`shop`), the
//! storefront link, sync and journal (`storefront`), pricing (`pricing`),
//! sales, tiers and the margin floor (`promotions`).

use crate::error::{Error, Result};
use crate::store::{Shop, Store};
use crate::storefront::Storefront;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

mod bundles;
pub mod contract;
mod loyalty;
mod pricing;
mod promotions;
pub mod recommend;
mod shop;
mod storefront;
pub mod subscriptions;
pub mod watch;
pub use loyalty::ProgrammeCheck;
pub use pricing::{CompareRequest, Compared, NamedSource, RuleSets, ScenarioSource};
pub use promotions::{FloorEdit, SaleCheck, SalesOverview, TiersCheck, TiersRequest};
pub use shop::{DashboardRequest, Opened};
pub use storefront::{PushRequest, StorefrontStatus, Synced};
pub use watch::{Background, Round};

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
    /// How the open shop writes money: its storefront's pattern (Shopify's
    /// money format, `{{amount_with_comma_separator}} €`) or its currency's
    /// default (`£{{amount}}`). The UI writes every amount with it.
    pub money_format: Option<String>,
}

/// Where the desk keeps its shop.
enum Place {
    /// The app's data folder with the owner's shop and the demo side by side.
    Folder {
        data_dir: PathBuf,
        prefer_demo: bool,
    },
    /// One database file named on the command line. `may_create`: the
    /// command may create it (import, shop set, connect, demo); every other
    /// command needs a shop database that exists.
    File { path: PathBuf, may_create: bool },
}

/// The service: the open shop, one long job at a time, and the demand model
/// kept for the state of the data it was built on.
pub struct Desk {
    place: Place,
    store: Mutex<Option<(Workspace, Store)>>,
    busy: AtomicBool,
    /// The background loop holds the job slot for a short settle: a job
    /// asked for meanwhile waits for it instead of failing.
    settling: AtomicBool,
    /// A background sync is running.
    background_sync: AtomicBool,
    cancel: Arc<AtomicBool>,
    model_cache: Mutex<Option<pricing::ModelCache>>,
    members_cache: Mutex<Option<loyalty::MembersCache>>,
}

const LAST_WORKSPACE_FILE: &str = "last-workspace";

/// How long a job waits for the background loop's settle to finish.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Locks a mutex shared by every call. A panic in one call must not take
/// every later one down with it: the guarded values are only replaced whole
/// (the open store, a cached model), so what a panicking holder left behind
/// is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Desk {
    /// The app's desk over `data_dir`, reopening whichever shop was open last
    /// time; `prefer_demo` (the app's `--demo` flag) asks for the demo shop.
    pub fn new(data_dir: PathBuf, prefer_demo: bool) -> Result<Desk> {
        let desk = Desk::with_place(Place::Folder {
            data_dir: data_dir.clone(),
            prefer_demo,
        });
        let last = std::fs::read_to_string(data_dir.join(LAST_WORKSPACE_FILE)).unwrap_or_default();
        let want_demo = prefer_demo || last.trim() == "demo";
        let workspace = if want_demo && desk.path_of(Workspace::Demo).exists() {
            Workspace::Demo
        } else {
            Workspace::Shop
        };
        desk.open(workspace)?;
        Ok(desk)
    }

    /// A desk over one database file (the command line's `--db`), opened
    /// when first used. Unless `may_create`, the file must exist.
    pub fn for_file(path: PathBuf, may_create: bool) -> Desk {
        Desk::with_place(Place::File { path, may_create })
    }

    fn with_place(place: Place) -> Desk {
        Desk {
            place,
            store: Mutex::new(None),
            busy: AtomicBool::new(false),
            settling: AtomicBool::new(false),
            background_sync: AtomicBool::new(false),
            cancel: Arc::new(AtomicBool::new(false)),
            model_cache: Mutex::new(None),
            members_cache: Mutex::new(None),
        }
    }

    /// The database file of a workspace.
    fn path_of(&self, workspace: Workspace) -> PathBuf {
        match &self.place {
            Place::Folder { data_dir, .. } => data_dir.join(match workspace {
                Workspace::Shop => "shop.sqlite",
                Workspace::Demo => "demo.sqlite",
            }),
            Place::File { path, .. } => path.clone(),
        }
    }

    fn open(&self, workspace: Workspace) -> Result<()> {
        let store = Store::open(&self.path_of(workspace))?;
        *lock(&self.store) = Some((workspace, store));
        if let Place::Folder { data_dir, .. } = &self.place {
            let name = match workspace {
                Workspace::Demo => "demo",
                Workspace::Shop => "shop",
            };
            std::fs::write(data_dir.join(LAST_WORKSPACE_FILE), name)
                .map_err(|e| Error::io(format!("writing {}", data_dir.display()), e))?;
        }
        Ok(())
    }

    /// Opens the file of a file desk on first use.
    fn ensure_open(&self) -> Result<()> {
        if let Place::File { path, may_create } = &self.place {
            if lock(&self.store).is_none() {
                if !may_create && !path.exists() {
                    return Err(Error::InvalidArgument(format!(
                        "no shop database at {}",
                        path.display()
                    )));
                }
                self.open(Workspace::Shop)?;
            }
        }
        Ok(())
    }

    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.ensure_open()?;
        let mut guard = lock(&self.store);
        let (_, store) = guard.as_mut().ok_or(Error::NoShop)?;
        f(store)
    }

    /// The open shop's database file.
    fn store_path(&self) -> Result<PathBuf> {
        self.with_store(|store| Ok(store.path().to_path_buf()))
    }

    /// Runs a long job, refusing a second at the same time and resetting
    /// cancel.
    fn exclusive<T>(&self, job: impl FnOnce() -> Result<T>) -> Result<T> {
        let mut waited = std::time::Duration::ZERO;
        while self.busy.swap(true, Ordering::SeqCst) {
            // Only the background settle is waited for: it takes a moment.
            if !self.settling.load(Ordering::SeqCst) || waited >= SETTLE_WAIT {
                return Err(Error::Busy);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            waited += std::time::Duration::from_millis(20);
        }
        self.cancel.store(false, Ordering::SeqCst);
        struct Release<'a>(&'a AtomicBool);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::SeqCst);
            }
        }
        let _release = Release(&self.busy);
        job()
    }

    /// Runs `job` on the open shop's storefront: the connected one, after
    /// settling any push an earlier run left pending, or the local store
    /// when none is connected. One job at a time.
    fn storefront_job<T>(
        &self,
        job: impl FnOnce(&rusqlite::Connection, &mut dyn Storefront) -> Result<T>,
    ) -> Result<T> {
        self.exclusive(|| self.with_store(|store| self.on_storefront(store.conn(), job)))
    }

    /// `job` on the storefront of the shop in `conn` (see
    /// [`Desk::storefront_job`]), without taking the job slot.
    fn on_storefront<T>(
        &self,
        conn: &rusqlite::Connection,
        job: impl FnOnce(&rusqlite::Connection, &mut dyn Storefront) -> Result<T>,
    ) -> Result<T> {
        match self.connected(conn)? {
            Some(mut sf) => job(conn, &mut sf),
            None => {
                let mut local =
                    crate::storefront::local::Local::new(conn, crate::time::fmt_utc(Utc::now()));
                job(conn, &mut local)
            }
        }
    }

    /// The connected storefront of the shop in `conn`, with any push an
    /// earlier run left pending settled first; `None` when the shop has no
    /// storefront.
    fn connected(
        &self,
        conn: &rusqlite::Connection,
    ) -> Result<Option<crate::storefront::shopify::Shopify>> {
        let Some(mut sf) =
            crate::storefront::connection::open(conn, Default::default(), self.cancel.clone())?
        else {
            return Ok(None);
        };
        crate::journal::reconcile(conn, &mut sf)?;
        Ok(Some(sf))
    }

    /// Asks the running job to stop; it rolls back and reports `cancelled`.
    pub fn cancel_job(&self) -> Result<()> {
        self.cancel.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Which shop is open and what it is.
    pub fn status(&self) -> Result<AppStatus> {
        self.ensure_open()?;
        let guard = lock(&self.store);
        let (workspace, store) = guard.as_ref().ok_or(Error::NoShop)?;
        let shop = store.shop()?;
        let today = match &shop {
            Some(s) => Some(s.today(Utc::now())?.to_string()),
            None => None,
        };
        let own_shop_exists = match workspace {
            Workspace::Shop => shop.is_some(),
            Workspace::Demo => holds_shop(&self.path_of(Workspace::Shop))?,
        };
        let prefer_demo = matches!(
            self.place,
            Place::Folder {
                prefer_demo: true,
                ..
            }
        );
        let money_format = match &shop {
            Some(s) => Some(crate::store::money_pattern(store.conn(), &s.currency)?),
            None => None,
        };
        Ok(AppStatus {
            shop,
            money_format,
            workspace: *workspace,
            db_path: store.path().display().to_string(),
            today,
            own_shop_exists,
            open_demo_now: prefer_demo && *workspace != Workspace::Demo,
        })
    }

    /// The open shop's record, or [`Error::NoShop`].
    pub fn shop(&self) -> Result<Shop> {
        self.with_store(|store| store.require_shop())
    }

    /// The open shop's record and the pattern it writes money with (see
    /// [`AppStatus::money_format`]).
    pub fn shop_and_money(&self) -> Result<(Shop, String)> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            let pattern = crate::store::money_pattern(store.conn(), &shop.currency)?;
            Ok((shop, pattern))
        })
    }
}

/// Reads whether a database file already holds a shop, without creating it.
fn holds_shop(path: &Path) -> Result<bool> {
    Ok(path.exists() && Store::open(path)?.shop()?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Granularity;

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
            crate::error::ErrorCode::NoShop
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
        assert_eq!(
            desk.open_demo(|_| {}).unwrap_err().code(),
            crate::error::ErrorCode::Busy
        );
        desk.busy.store(false, Ordering::SeqCst);
        drop(desk);
        let again = Desk::new(dir.path().to_path_buf(), false).unwrap();
        assert_eq!(again.status().unwrap().shop.unwrap().name, "Corner Shop");
    }

    #[test]
    fn a_panic_under_the_store_lock_leaves_later_calls_working() {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::new(dir.path().to_path_buf(), false).unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            desk.with_store(|_| -> Result<()> { panic!("a bug in one command") })
        }));
        assert!(caught.is_err());
        assert!(desk.store.is_poisoned());
        // The next command still answers.
        assert_eq!(desk.status().unwrap().workspace, Workspace::Shop);
    }

    #[test]
    fn a_file_desk_refuses_a_missing_database_unless_it_may_create_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.sqlite");
        let err = Desk::for_file(path.clone(), false).shop().unwrap_err();
        assert_eq!(err.code(), crate::error::ErrorCode::InvalidInput);
        assert!(err.to_string().contains("no shop database"), "{err}");
        assert!(!path.exists(), "nothing was created");
        let err = Desk::for_file(path.clone(), true).shop().unwrap_err();
        assert_eq!(err.code(), crate::error::ErrorCode::NoShop);
        assert!(path.exists());
    }
}
