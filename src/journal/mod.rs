//! The change journal. A push first writes each change with the value it
//! replaces (read from the storefront, not from the local copy), then sends
//! it, then marks it confirmed with the value the storefront reports back.
//! An entry still `pending` at the next start is settled by reading the
//! target: the push took effect (confirmed) or it did not (not applied); it
//! is never sent again on its own. Reverting sets the prior value again, as
//! a new journaled push, after checking nobody changed the value since.

mod manual;

pub use manual::*;

use crate::error::{Error, Result};
use crate::promotions::SettledKind;
use crate::storefront::local::Local;
use crate::storefront::{Storefront, Target, Value};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// One change to push: set `target` to `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Change {
    pub target: Target,
    /// For people: "Price of 85123A".
    pub label: String,
    pub value: Value,
}

/// Why a batch is pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Why {
    /// The playbook: 'pricing', 'promotions', 'manual', 'revert', ...
    pub playbook: String,
    /// The proposal or the owner's words.
    pub reason: String,
}

stored_enum! {
    /// Where a journaled change stands.
    pub enum EntryStatus {
        /// Recorded, sent or about to be, not confirmed yet.
        Pending = "pending",
        /// The store has it.
        Confirmed = "confirmed",
        /// The store refused it.
        Failed = "failed",
        /// Settled after an interruption: it never reached the store.
        NotApplied = "not_applied",
        /// Undone by a later entry.
        Reverted = "reverted",
    }
}

/// A journal entry, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Entry {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub batch: i64,
    pub storefront: String,
    pub playbook: String,
    pub reason: String,
    pub target: Target,
    pub label: String,
    pub prior: Value,
    pub new: Value,
    pub status: EntryStatus,
    pub error: Option<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub revert_of: Option<i64>,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    /// The sale or tier set whose launch or end this entry is part of:
    /// only that sale takes it back.
    pub owner: Option<Owner>,
}

const SELECT: &str = "SELECT j.id, j.batch_id, b.storefront, b.playbook, b.reason, j.target, j.label, j.prior, j.new,
       j.status, j.error, j.revert_of, j.created_at, j.confirmed_at, o.kind, o.id, o.name
     FROM journal j JOIN journal_batches b ON b.id = j.batch_id
     LEFT JOIN (SELECT 'sale' AS kind, id, name, launch_batch AS batch FROM sales
                UNION ALL SELECT 'tiers', id, name, launch_batch FROM tier_sets
                UNION ALL SELECT 'bundle', id, name, launch_batch FROM bundles) o
       ON o.batch = coalesce((SELECT r.batch_id FROM journal r WHERE r.id = j.revert_of), j.batch_id)";

fn json<T: serde::de::DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        batch: r.get(1)?,
        storefront: r.get(2)?,
        playbook: r.get(3)?,
        reason: r.get(4)?,
        target: json(r.get(5)?)?,
        label: r.get(6)?,
        prior: json(r.get(7)?)?,
        new: json(r.get(8)?)?,
        status: r.get(9)?,
        error: r.get(10)?,
        revert_of: r.get(11)?,
        created_at: r.get(12)?,
        confirmed_at: r.get(13)?,
        owner: match r.get::<_, Option<SettledKind>>(14)? {
            Some(kind) => Some(Owner {
                kind,
                id: r.get(15)?,
                name: r.get(16)?,
            }),
            None => None,
        },
    })
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("journal values serialize")
}

/// The newest entries first.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY j.id DESC LIMIT ?1"))?;
    let rows = stmt.query_map([limit], entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One entry.
pub fn get(conn: &Connection, id: i64) -> Result<Entry> {
    conn.query_row(&format!("{SELECT} WHERE j.id = ?1"), [id], entry)
        .optional()?
        .ok_or_else(|| Error::InvalidArgument(format!("there is no journal entry {id}")))
}

/// Entries still pending, oldest first.
pub fn pending(conn: &Connection) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE j.status = 'pending' ORDER BY j.id"
    ))?;
    let rows = stmt.query_map([], entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Journals `changes`, sends them through `storefront`, and records each
/// outcome. Returns the batch's entries.
pub fn push(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    changes: Vec<Change>,
    why: &Why,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>> {
    push_with(
        conn,
        storefront,
        changes.into_iter().map(|c| (c, None)).collect(),
        why,
        now,
        &mut |_| Ok(()),
    )
}

/// [`push`], telling `journaled` the batch id once the changes are written
/// to the journal and before any is sent, so the caller can record which
/// batch is its own (and find it again if the app stops mid-push).
pub fn push_noting(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    changes: Vec<Change>,
    why: &Why,
    now: DateTime<Utc>,
    journaled: &mut dyn FnMut(i64) -> Result<()>,
) -> Result<Vec<Entry>> {
    push_with(
        conn,
        storefront,
        changes.into_iter().map(|c| (c, None)).collect(),
        why,
        now,
        journaled,
    )
}

/// [`push`] of only the changes whose value the storefront does not hold
/// already (read first); none: nothing is journaled or sent, and the
/// answer is empty. So pushing the same values again changes nothing.
pub fn push_changed(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    changes: Vec<Change>,
    why: &Why,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>> {
    let changes = checked(changes.into_iter().map(|c| (c, None)).collect())?;
    let targets: Vec<Target> = changes.iter().map(|(c, _)| c.target.clone()).collect();
    let priors = storefront.read(&targets)?;
    let (changes, priors): (Vec<_>, Vec<_>) = changes
        .into_iter()
        .zip(priors)
        .filter(|((c, _), prior)| c.value != prior.clone().normalized())
        .unzip();
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    send(conn, storefront, changes, priors, why, now, &mut |_| Ok(()))
}

/// What became of a push's entries: how many the storefront confirmed and
/// refused, the first refusals as it gave them, and the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Values the store already held, left alone.
    pub unchanged: usize,
    pub confirmed: usize,
    pub failed: usize,
    pub errors: Vec<String>,
    pub batch: Option<i64>,
}

/// [`push_changed`], counted; nothing to push is no push.
pub fn push_counted(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    changes: Vec<Change>,
    why: &Why,
    now: DateTime<Utc>,
) -> Result<Tally> {
    let total = changes.len();
    if total == 0 {
        return Ok(Tally::default());
    }
    let entries = push_changed(conn, storefront, changes, why, now)?;
    Ok(Tally {
        unchanged: total - entries.len(),
        ..tally(&entries)
    })
}

/// Counts `entries` (the first five refusals kept).
fn tally(entries: &[Entry]) -> Tally {
    let failed: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.status == EntryStatus::Failed)
        .collect();
    Tally {
        unchanged: 0,
        confirmed: entries
            .iter()
            .filter(|e| e.status == EntryStatus::Confirmed)
            .count(),
        failed: failed.len(),
        errors: failed
            .iter()
            .take(5)
            .map(|e| format!("{}: {}", e.label, e.error.clone().unwrap_or_default()))
            .collect(),
        batch: entries.first().map(|e| e.batch),
    }
}

/// The changes with their values normalized, each checked to fit its target.
fn checked(mut changes: Vec<(Change, Option<i64>)>) -> Result<Vec<(Change, Option<i64>)>> {
    if changes.is_empty() {
        return Err(Error::InvalidArgument("there is nothing to push".into()));
    }
    for (c, _) in &mut changes {
        if !c.value.fits(&c.target) {
            return Err(Error::InvalidArgument(format!(
                "{}: the value does not fit what it changes",
                c.label
            )));
        }
        c.value = c.value.clone().normalized();
    }
    Ok(changes)
}

fn push_with(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    changes: Vec<(Change, Option<i64>)>,
    why: &Why,
    now: DateTime<Utc>,
    journaled: &mut dyn FnMut(i64) -> Result<()>,
) -> Result<Vec<Entry>> {
    let changes = checked(changes)?;
    let targets: Vec<Target> = changes.iter().map(|(c, _)| c.target.clone()).collect();
    let priors = storefront.read(&targets)?;
    send(conn, storefront, changes, priors, why, now, journaled)
}

/// Journals `changes` with their `priors`, sends them and records each
/// outcome.
fn send(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    changes: Vec<(Change, Option<i64>)>,
    priors: Vec<Value>,
    why: &Why,
    now: DateTime<Utc>,
    journaled: &mut dyn FnMut(i64) -> Result<()>,
) -> Result<Vec<Entry>> {
    let stamp = fmt_utc(now);
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO journal_batches (created_at, storefront, playbook, reason) VALUES (?1, ?2, ?3, ?4)",
        params![stamp, storefront.platform(), why.playbook, why.reason],
    )?;
    let batch = tx.last_insert_rowid();
    let mut ids = Vec::with_capacity(changes.len());
    for ((c, revert_of), prior) in changes.iter().zip(&priors) {
        tx.execute(
            "INSERT INTO journal (batch_id, target, label, prior, new, status, revert_of, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
            params![batch, to_json(&c.target), c.label, to_json(prior), to_json(&c.value), revert_of, stamp],
        )?;
        ids.push(tx.last_insert_rowid());
    }
    tx.commit()?;
    journaled(batch)?;
    let pairs: Vec<(Target, Value)> = changes
        .iter()
        .map(|(c, _)| (c.target.clone(), c.value.clone()))
        .collect();
    let outcomes = storefront.apply(&pairs)?;
    let mirror = storefront.platform() != "local";
    // The outcomes are recorded together (a stop before the commit leaves
    // them pending, and the next start reads them back).
    let tx = conn.unchecked_transaction()?;
    let local = Local::new(conn, stamp.clone());
    let mut stopped = None;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(applied) => {
                tracing::info!(entry = ids[i], batch, label = %changes[i].0.label, "push confirmed");
                conn.execute(
                    "UPDATE journal SET status = 'confirmed', target = ?2, new = ?3, confirmed_at = ?4 WHERE id = ?1",
                    params![ids[i], to_json(&applied.target), to_json(&applied.value), fmt_utc(Utc::now())],
                )?;
                if let Some(of) = changes[i].1 {
                    conn.execute("UPDATE journal SET status = 'reverted' WHERE id = ?1", [of])?;
                }
                if mirror {
                    local.mirror(&applied)?;
                }
            }
            // Unknown whether it took effect: left pending for `reconcile`.
            Err(e @ (Error::Network(_) | Error::Cancelled | Error::Auth(_))) => {
                tracing::warn!(entry = ids[i], batch, "push interrupted, left pending: {e}");
                conn.execute(
                    "UPDATE journal SET error = ?2 WHERE id = ?1",
                    params![ids[i], e.to_string()],
                )?;
                stopped = Some(e);
            }
            Err(e) => {
                tracing::warn!(entry = ids[i], batch, label = %changes[i].0.label, "push refused: {e}");
                conn.execute(
                    "UPDATE journal SET status = 'failed', error = ?2 WHERE id = ?1",
                    params![ids[i], e.to_string()],
                )?;
            }
        }
    }
    tx.commit()?;
    if let Some(e) = stopped {
        return Err(e);
    }
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE j.batch_id = ?1 ORDER BY j.id"))?;
    let rows = stmt.query_map([batch], entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Settles entries left pending by an interrupted push, by reading what the
/// storefront has now. Returns the entries it settled.
pub fn reconcile(conn: &Connection, storefront: &mut dyn Storefront) -> Result<Vec<Entry>> {
    let mut settled = Vec::new();
    for e in pending(conn)? {
        if e.storefront != storefront.platform() {
            continue;
        }
        let (target, current) = match &e.target {
            Target::Discount { id: None } => match storefront.find_created(&e.new)? {
                Some(t) => {
                    let v = storefront.read(std::slice::from_ref(&t))?.remove(0);
                    (t, v)
                }
                None => (e.target.clone(), Value::Discount(None)),
            },
            t => (
                t.clone(),
                storefront.read(std::slice::from_ref(t))?.remove(0),
            ),
        };
        let now = fmt_utc(Utc::now());
        if current == e.new {
            conn.execute(
                "UPDATE journal SET status = 'confirmed', target = ?2, error = NULL, confirmed_at = ?3 WHERE id = ?1",
                params![e.id, to_json(&target), now],
            )?;
            if let Some(of) = e.revert_of {
                conn.execute("UPDATE journal SET status = 'reverted' WHERE id = ?1", [of])?;
            }
            if storefront.platform() != "local" {
                Local::new(conn, now).mirror(&crate::storefront::Applied {
                    target,
                    value: current,
                })?;
            }
        } else {
            conn.execute(
                "UPDATE journal SET status = 'not_applied', error = ?2 WHERE id = ?1",
                params![
                    e.id,
                    "the push was interrupted before the store applied it; the store was not changed"
                ],
            )?;
        }
        let now = get(conn, e.id)?;
        tracing::info!(entry = e.id, status = %now.status, "pending push settled by reading back");
        settled.push(now);
    }
    Ok(settled)
}

/// What to revert: one entry, or every confirmed entry of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RevertScope {
    Entry(#[cfg_attr(test, ts(type = "number"))] i64),
    Batch(#[cfg_attr(test, ts(type = "number"))] i64),
}

/// The sale or tier set a journal entry belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Owner {
    pub kind: SettledKind,
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub name: String,
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            SettledKind::Sale => write!(f, "sale {} “{}”", self.id, self.name),
            SettledKind::Tiers => write!(f, "tier set {} “{}”", self.id, self.name),
            SettledKind::Bundle => write!(f, "bundle {} “{}”", self.id, self.name),
        }
    }
}

/// Refuses a revert the owner asks for that is not theirs to make by hand:
/// a change a sale or tier set made (it is undone by ending that sale, or
/// was its end), and the revert of a manual push unless they say they mean
/// to push the earlier value again (`push_again`).
pub fn check_revert_by_hand(
    conn: &Connection,
    scope: &RevertScope,
    push_again: bool,
) -> Result<()> {
    let entries: Vec<Entry> = match scope {
        RevertScope::Entry(id) => vec![get(conn, *id)?],
        RevertScope::Batch(batch) => conn
            .prepare(&format!("{SELECT} WHERE j.batch_id = ?1 ORDER BY j.id"))?
            .query_map([batch], entry)?
            .collect::<rusqlite::Result<_>>()?,
    };
    for e in &entries {
        if let Some(owner) = &e.owner {
            return Err(Error::InvalidArgument(if e.revert_of.is_some() {
                format!(
                    "journal entry {} put prices back when {owner} ended; reverting it would put the sale back on with nothing to end it. To run it again, plan a new sale in Promotions",
                    e.id
                )
            } else {
                format!(
                    "journal entry {} belongs to {owner}: end it in Promotions (or `merchant-desk {} end {}`), which reverts all of its changes together",
                    e.id,
                    match owner.kind {
                        SettledKind::Sale => "sale",
                        SettledKind::Tiers => "tiers",
                        SettledKind::Bundle => "bundle",
                    },
                    owner.id
                )
            }));
        }
        if let (Some(undid), false) = (e.revert_of, push_again) {
            return Err(Error::InvalidArgument(format!(
                "journal entry {} undid entry {undid}; reverting it pushes entry {undid}'s value again. Choose “Push again” (`--push-again`) if that is what you mean",
                e.id
            )));
        }
    }
    Ok(())
}

/// Sets the prior values of `scope` again. Values changed in the store since
/// Merchant Desk set them are a [`Error::Conflict`] unless `force`.
pub fn revert(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    scope: RevertScope,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>> {
    let entries: Vec<Entry> = match scope {
        RevertScope::Entry(id) => vec![get(conn, id)?],
        RevertScope::Batch(batch) => {
            let mut stmt = conn.prepare(&format!(
                "{SELECT} WHERE j.batch_id = ?1 AND j.status = 'confirmed' ORDER BY j.id DESC"
            ))?;
            let rows = stmt.query_map([batch], entry)?;
            rows.collect::<rusqlite::Result<_>>()?
        }
    };
    if entries.is_empty() {
        return Err(Error::InvalidArgument(
            "that batch has no confirmed change to revert".into(),
        ));
    }
    for e in &entries {
        if matches!(e.target, Target::Renewal { .. }) {
            return Err(Error::InvalidArgument(format!(
                "journal entry {} ran a renewal, which cannot be taken back here: refund its order instead",
                e.id
            )));
        }
        if matches!(
            e.target,
            Target::Contract { .. } | Target::BillingCycle { .. }
        ) {
            return Err(Error::InvalidArgument(format!(
                "journal entry {} changed a subscription contract: change it again on the Subscriptions page (or `merchant-desk subs resume|pause|cancel`), which keeps the book and Shopify together",
                e.id
            )));
        }
        if e.status != "confirmed" {
            return Err(Error::InvalidArgument(format!(
                "journal entry {} is {}: only a confirmed change can be reverted",
                e.id,
                e.status.as_str().replace('_', " ")
            )));
        }
        if e.storefront != storefront.platform() {
            return Err(Error::InvalidArgument(format!(
                "journal entry {} was pushed to {}, which is not connected now",
                e.id, e.storefront
            )));
        }
    }
    let currency = crate::store::read_shop(conn)?
        .map(|s| s.currency)
        .unwrap_or_default();
    let targets: Vec<Target> = entries.iter().map(|e| e.target.clone()).collect();
    let current = storefront.read(&targets)?;
    let changed: Vec<String> = entries
        .iter()
        .zip(&current)
        .filter(|(e, now)| **now != e.new)
        .map(|(e, now)| {
            format!(
                "{} (entry {}) is now {}, not the {} Merchant Desk set",
                e.label,
                e.id,
                describe(now, &currency),
                describe(&e.new, &currency)
            )
        })
        .collect();
    if !changed.is_empty() {
        tracing::info!(?scope, force, "revert meets values changed upstream");
    }
    if !changed.is_empty() && !force {
        return Err(Error::Conflict(format!(
            "changed in the store since: {}. Revert anyway to overwrite {}.",
            changed.join("; "),
            if changed.len() == 1 { "it" } else { "them" }
        )));
    }
    let changes = entries
        .iter()
        .map(|e| {
            (
                Change {
                    target: e.target.clone(),
                    label: e.label.clone(),
                    value: e.prior.clone(),
                },
                Some(e.id),
            )
        })
        .collect();
    let why = Why {
        playbook: "revert".into(),
        reason: match scope {
            RevertScope::Entry(id) => format!("revert of entry {id}"),
            RevertScope::Batch(b) => format!("revert of batch {b}"),
        },
    };
    push_with(conn, storefront, changes, &why, now, &mut |_| Ok(()))
}
