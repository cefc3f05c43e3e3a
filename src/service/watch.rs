//! The loop that keeps a shop on time while the app is open (and in
//! `merchant-desk watch` without it): every minute it settles sales and tier
//! sets, so a price-mode sale starts and ends at its times, not at the next
//! click; every N minutes (the shop's setting) it runs an incremental sync
//! of the connected storefront, never two at once, and settles again so a
//! stock cap reached by the new orders ends its sale. What happened is kept
//! as notifications; [`run`] hands each new one to the caller (the shell
//! shows it as an OS notification, `watch` logs it).

use super::Desk;
use crate::error::{Error, Result};
use crate::notify::{self, Notice};
use crate::store::Store;
use crate::sync::{SyncProgress, SyncReport, SyncRun};
use chrono::{DateTime, Duration as Span, Utc};
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The background loop as the side bar shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Background {
    /// Minutes between background syncs; 0: off.
    pub sync_every_minutes: u32,
    /// A storefront is connected (else nothing is synced).
    pub connected: bool,
    /// A background sync is running now.
    pub syncing: bool,
    /// The newest sync run (by hand or in the background).
    pub last_sync: Option<SyncRun>,
    /// When the next background sync is due (UTC); `None`: none will run.
    pub next_sync_at: Option<String>,
    /// Notifications not yet seen.
    pub unread: u32,
}

/// What one round of the loop did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Round {
    /// Notifications kept since the last round (by this loop or anything
    /// else writing to the shop, such as the CLI).
    pub notices: Vec<Notice>,
    /// The background sync this round ran, when it completed.
    pub synced: Option<SyncReport>,
    /// The settle was skipped: another job held the shop.
    pub skipped: bool,
}

/// What the loop tells its host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WatchEvent {
    /// A background sync began.
    SyncStarted,
    /// It moved on.
    SyncProgress { progress: SyncProgress },
    /// A round ended; the screens may read again when it did something.
    Round { round: Round },
    /// A round failed (the loop goes on).
    Failed { message: String },
}

/// How often the loop turns.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Between settles; a minute in the app.
    pub settle_every: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            settle_every: Duration::from_secs(60),
        }
    }
}

/// When the next background sync is due after `last` (the newest run).
fn next_sync(last: Option<&SyncRun>, every_minutes: u32, now: DateTime<Utc>) -> Option<String> {
    if every_minutes == 0 {
        return None;
    }
    let due = match last.and_then(|r| crate::time::parse_utc(&r.started_at).ok()) {
        Some(at) => at + Span::minutes(every_minutes.into()),
        None => now,
    };
    Some(crate::time::fmt_utc(due))
}

impl Desk {
    /// The background loop's state.
    pub fn background(&self) -> Result<Background> {
        self.with_store(|store| {
            let conn = store.conn();
            let every = crate::store::sync_every_minutes(conn)?;
            let connected = crate::storefront::connection::load(conn)?.is_some();
            let last = crate::sync::last_run(conn)?;
            Ok(Background {
                sync_every_minutes: every,
                connected,
                syncing: self.background_sync.load(Ordering::SeqCst),
                next_sync_at: if connected {
                    next_sync(last.as_ref(), every, Utc::now())
                } else {
                    None
                },
                last_sync: last,
                unread: notify::unread(conn)?,
            })
        })
    }

    /// Sets the minutes between background syncs (0: off).
    pub fn set_sync_every(&self, minutes: u32) -> Result<Background> {
        self.with_store(|store| {
            if store.require_shop()?.demo {
                return Err(Error::field(
                    "Sync every",
                    "the demo shop has no storefront to sync",
                ));
            }
            crate::store::set_sync_every_minutes(store.conn(), minutes)
        })?;
        self.background()
    }

    /// The newest notifications first.
    pub fn notifications(&self, limit: u32) -> Result<Vec<Notice>> {
        self.with_store(|store| notify::list(store.conn(), limit))
    }

    /// Marks every notification seen.
    pub fn mark_notifications_read(&self) -> Result<Background> {
        self.with_store(|store| notify::mark_read(store.conn()))?;
        self.background()
    }

    /// The newest notification's id (where a loop starts reporting from).
    pub fn last_notice_id(&self) -> Result<i64> {
        self.with_store(|store| {
            Ok(store.conn().query_row(
                "SELECT coalesce(max(id), 0) FROM notifications",
                [],
                |r| r.get(0),
            )?)
        })
    }

    /// One round of the loop at `now`: settles sales and tiers, runs the
    /// background sync when it is due (settling again after it), and
    /// returns the notifications newer than `after`. A job the owner runs
    /// meanwhile is never refused because of the settle (it waits for it);
    /// while their job runs the settle is skipped and the next round makes
    /// up for it. A failed background sync becomes a notification.
    pub fn round(
        &self,
        now: DateTime<Utc>,
        after: i64,
        mut on_sync: impl FnMut(Option<&SyncProgress>),
    ) -> Result<Round> {
        let path = self.store_path()?;
        // Its own connection: the screens keep reading while it works.
        let mut store = Store::open(&path)?;
        let Some(shop) = store.shop()? else {
            return Ok(Round {
                notices: Vec::new(),
                synced: None,
                skipped: false,
            });
        };
        self.settling.store(true, Ordering::SeqCst);
        let settled = self.exclusive(|| {
            self.on_storefront(store.conn(), |conn, sf| {
                crate::promotions::settle(conn, &shop, sf, shop.clock(now))
            })
        });
        self.settling.store(false, Ordering::SeqCst);
        let skipped = match settled {
            Ok(_) => false,
            Err(Error::Busy) => true,
            Err(e) => return Err(e),
        };
        // In "desk bills" mode, the renewals due (each exactly once).
        if !skipped
            && crate::subscriptions::setup::Setup::load(store.conn())?.billing
                == crate::subscriptions::setup::Billing::Desk
        {
            match self.renew_in(store.conn()) {
                Ok(run) => {
                    notify::renewals(store.conn(), &run, Utc::now())?;
                }
                Err(Error::Busy) => {}
                Err(e) => tracing::warn!("background renewals failed: {e}"),
            }
        }
        let mut synced = None;
        let conn = store.conn();
        let connected = crate::storefront::connection::load(conn)?.is_some();
        let every = crate::store::sync_every_minutes(conn)?;
        let due = next_sync(crate::sync::last_run(conn)?.as_ref(), every, now)
            .is_some_and(|at| at <= crate::time::fmt_utc(now));
        if connected && due && !skipped {
            let result = self.exclusive(|| {
                self.background_sync.store(true, Ordering::SeqCst);
                on_sync(None);
                let result = (|| {
                    let mut sf = self.connected(store.conn())?.ok_or(Error::NotConnected)?;
                    let report =
                        crate::sync::sync(&mut store, &mut sf, false, &self.cancel, |p| {
                            on_sync(Some(p))
                        })?;
                    crate::promotions::settle(store.conn(), &shop, &mut sf, Utc::now())?;
                    super::storefront::loyalty_after_sync(store.conn(), &mut sf);
                    Ok(report)
                })();
                self.background_sync.store(false, Ordering::SeqCst);
                result
            });
            match result {
                Ok(report) => synced = Some(report),
                Err(Error::Busy) => {}
                Err(e) => {
                    tracing::warn!("background sync failed: {e}");
                    notify::sync_failed(
                        store.conn(),
                        &format!("{e}. The next try is in {every} minutes; Settings has Sync now."),
                        Utc::now(),
                    )?;
                }
            }
        }
        let notices = notify::list(store.conn(), 50)?
            .into_iter()
            .filter(|n| n.id > after)
            .rev()
            .collect();
        Ok(Round {
            notices,
            synced,
            skipped,
        })
    }
}

/// Runs the loop until `stop` says so: a round at once, then one every
/// `timing.settle_every`, each on tokio's blocking pool. `on_event` hears
/// of syncs, rounds and failures; a failed round is reported and the loop
/// goes on. Stopping waits for the round in progress (a sync is asked to
/// cancel and rolls back to its last committed batch).
pub async fn run(
    desk: Arc<Desk>,
    timing: Timing,
    mut stop: tokio::sync::watch::Receiver<bool>,
    on_event: impl Fn(WatchEvent) + Send + Sync + 'static,
) {
    let on_event = Arc::new(on_event);
    let mut after = desk.last_notice_id().unwrap_or_default();
    let mut ticks = tokio::time::interval(timing.settle_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        let (d, events) = (desk.clone(), on_event.clone());
        let mut work = tokio::task::spawn_blocking(move || {
            let events_sync = events.clone();
            let result = d.round(Utc::now(), after, move |p| match p {
                None => events_sync(WatchEvent::SyncStarted),
                Some(p) => events_sync(WatchEvent::SyncProgress {
                    progress: p.clone(),
                }),
            });
            (result, events)
        });
        let joined = tokio::select! {
            j = &mut work => j,
            _ = stop.changed() => {
                // Asked to stop mid-round: a running sync is cancelled.
                if desk.background_sync.load(Ordering::SeqCst) {
                    let _ = desk.cancel_job();
                }
                let j = work.await;
                if let Ok((Ok(round), events)) = &j {
                    events(WatchEvent::Round { round: round.clone() });
                }
                return;
            }
        };
        match joined {
            Ok((Ok(round), events)) => {
                if let Some(last) = round.notices.last() {
                    after = last.id;
                }
                events(WatchEvent::Round { round });
            }
            Ok((Err(e), events)) => events(WatchEvent::Failed {
                message: e.to_string(),
            }),
            Err(e) => on_event(WatchEvent::Failed {
                message: format!("the background round stopped unexpectedly: {e}"),
            }),
        }
    }
}
