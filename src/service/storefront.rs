//! The storefront link: connecting, syncing, and the change journal (pushes
//! by hand and reverts). Every storefront call opens the connected store
//! here, reconciles the journal first and settles sales and tiers after a
//! sync.

use super::{AppStatus, Desk, Workspace};
use crate::error::{Error, Result};
use crate::journal::{self, Entry, ManualChange, RevertScope, Why};
use crate::promotions::Settled;
use crate::store::Store;
use crate::storefront::connection::{self, ConnectRequest, ConnectionInfo, Credentials};
use crate::storefront::shopify::client::Tuning;
use crate::storefront::{ShopInfo, Storefront};
use crate::sync::{SyncProgress, SyncReport, SyncRun};
use chrono::Utc;
use serde::{Deserialize, Serialize};

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
    /// The owner confirmed an unusual price (zero, or ten times or a tenth
    /// of the current one).
    #[serde(default)]
    pub confirmed: bool,
}

/// A sync and what settling did after it (a sale may have reached its
/// stock cap with the new orders).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Synced {
    pub report: SyncReport,
    pub settled: Vec<Settled>,
    /// The live loyalty programme's points and tiers pushed after the sync
    /// (none without one).
    pub loyalty: Option<crate::loyalty::push::Pushed>,
}

impl Desk {
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
        let credentials = request.credentials()?;
        connection::test(
            &request.platform,
            &request.shop,
            &credentials,
            Tuning::default(),
        )
    }

    /// Connects the owner's own shop (switching to it from the demo): the
    /// secret goes to the keyring, the shop takes the storefront's name,
    /// currency and time zone. The next sync pulls it.
    pub fn connect_store(&self, request: ConnectRequest) -> Result<AppStatus> {
        let credentials = request.credentials()?;
        self.connect_with(&request.platform, &request.shop, &credentials)?;
        self.status()
    }

    /// [`Desk::connect_store`] with credentials already in hand (the command line
    /// names environment variables instead of pasting secrets).
    pub fn connect_with(
        &self,
        platform: &str,
        shop: &str,
        credentials: &Credentials,
    ) -> Result<ShopInfo> {
        let info = self.exclusive(|| {
            let mut own = Store::open(&self.path_of(Workspace::Shop))?;
            connection::connect(&mut own, platform, shop, credentials, Tuning::default())
        })?;
        self.open(Workspace::Shop)?;
        Ok(info)
    }

    /// Forgets the connection and removes its secret from the keyring. The
    /// local copy stays.
    pub fn disconnect_store(&self) -> Result<StorefrontStatus> {
        self.exclusive(|| self.with_store(|store| connection::forget(store.conn())))?;
        self.storefront()
    }

    /// Pulls the connected storefront into the open shop, then settles
    /// sales and tiers (new orders may have reached a stock cap). The sync
    /// writes through its own connection to the database, so the dashboard
    /// stays readable meanwhile; cancelling keeps every committed batch.
    pub fn sync_now(&self, full: bool, on_progress: impl FnMut(&SyncProgress)) -> Result<Synced> {
        let path = self.store_path()?;
        self.exclusive(|| {
            let mut store = Store::open(&path)?;
            let mut sf = self.connected(store.conn())?.ok_or(Error::NotConnected)?;
            let report = crate::sync::sync(&mut store, &mut sf, full, &self.cancel, on_progress)?;
            let settled = settle_on(store.conn(), &mut sf)?;
            let loyalty = loyalty_after_sync(store.conn(), &mut sf);
            Ok(Synced {
                report,
                settled,
                loyalty,
            })
        })
    }

    /// Settles sales and tiers of the shop in `conn` through its storefront.
    pub(super) fn settle_in(&self, conn: &rusqlite::Connection) -> Result<Vec<Settled>> {
        self.on_storefront(conn, settle_on)
    }

    /// The newest journal entries first.
    pub fn journal(&self, limit: u32) -> Result<Vec<Entry>> {
        self.with_store(|store| journal::list(store.conn(), limit))
    }

    /// Pushes one change by hand, journaled under the `manual` playbook with
    /// `reason` ("set by hand" when blank).
    pub fn push_change(&self, request: PushRequest) -> Result<Vec<Entry>> {
        self.storefront_job(|conn, sf| {
            let change = request.change.change(conn, request.confirmed)?;
            let why = Why {
                playbook: "manual".into(),
                reason: match request.reason.trim() {
                    "" => "set by hand".into(),
                    r => r.to_string(),
                },
            };
            journal::push(conn, sf, vec![change], &why, Utc::now())
        })
    }

    /// Reverts an entry or a batch; a value changed in the store since is a
    /// `conflict` unless `force`. A sale's or tier set's changes are
    /// refused (ending the sale takes them back); so is the revert of a
    /// revert unless `push_again`.
    pub fn revert_change(
        &self,
        scope: RevertScope,
        force: bool,
        push_again: bool,
    ) -> Result<Vec<Entry>> {
        self.storefront_job(|conn, sf| {
            journal::check_revert_by_hand(conn, &scope, push_again)?;
            journal::revert(conn, sf, scope, force, Utc::now())
        })
    }
}

/// Settles the sales and tiers of the shop in `conn` on `sf`.
/// After a sync: the live loyalty programme's members to the storefront. A
/// failure does not undo the sync: it is logged and reported in the push's
/// errors, and the next sync tries again.
pub(super) fn loyalty_after_sync(
    conn: &rusqlite::Connection,
    sf: &mut dyn Storefront,
) -> Option<crate::loyalty::push::Pushed> {
    let live = match crate::loyalty::store::live(conn) {
        Ok(Some(live)) => live,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!("loyalty push after sync: {e}");
            return None;
        }
    };
    let result = crate::store::read_shop(conn).and_then(|shop| {
        let shop = shop.ok_or(Error::NoShop)?;
        crate::loyalty::push::push(conn, &shop, sf, shop.clock(Utc::now()))
    });
    Some(result.unwrap_or_else(|e| {
        tracing::warn!("loyalty push after sync failed: {e}");
        crate::loyalty::push::Pushed {
            programme: live.programme.name,
            members: 0,
            unchanged: 0,
            confirmed: 0,
            failed: 0,
            errors: vec![e.to_string()],
            batch: None,
        }
    }))
}

fn settle_on(conn: &rusqlite::Connection, sf: &mut dyn Storefront) -> Result<Vec<Settled>> {
    match crate::store::read_shop(conn)? {
        Some(shop) => crate::promotions::settle(conn, &shop, sf, shop.clock(Utc::now())),
        None => Ok(Vec::new()),
    }
}
