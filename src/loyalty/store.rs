//! Programmes kept in the store, launching one, and its members as the
//! ledger has them.

use super::ledger;
use super::programme::Programme;
use crate::error::{Error, Result};
use crate::store::Shop;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// A stored programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "StoredProgramme"))]
pub struct Stored {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub status: String,
    pub created_at: String,
    pub launched_at: Option<String>,
    pub ended_at: Option<String>,
    /// Why it runs although a reward can take an item below the margin floor.
    pub floor_override: Option<String>,
    pub programme: Programme,
}

/// A row of `loyalty_programmes`: id, definition, status, the times and
/// the floor override.
type Row = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn stored(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

const COLUMNS: &str = "id, definition, status, created_at, launched_at, ended_at, floor_override";

fn decode(row: Row) -> Result<Stored> {
    let (id, definition, status, created_at, launched_at, ended_at, floor_override) = row;
    let programme = serde_json::from_str(&definition)
        .map_err(|e| Error::InvalidArgument(format!("stored programme {id} is unreadable: {e}")))?;
    Ok(Stored {
        id,
        status,
        created_at,
        launched_at,
        ended_at,
        floor_override,
        programme,
    })
}

/// Stores a checked programme as a draft.
pub fn create(conn: &Connection, programme: &Programme, now: DateTime<Utc>) -> Result<Stored> {
    programme.compile()?;
    let definition = serde_json::to_string(programme)
        .map_err(|e| Error::InvalidArgument(format!("the programme cannot be stored: {e}")))?;
    conn.execute(
        "INSERT INTO loyalty_programmes (name, definition, status, created_at) VALUES (?1, ?2, 'draft', ?3)",
        params![programme.name, definition, crate::time::fmt_utc(now)],
    )?;
    get(conn, conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Stored> {
    let row = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM loyalty_programmes WHERE id = ?1"),
            [id],
            stored,
        )
        .optional()?
        .ok_or_else(|| Error::InvalidArgument(format!("no loyalty programme {id}")))?;
    decode(row)
}

/// Every programme, newest first.
pub fn list(conn: &Connection) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM loyalty_programmes ORDER BY id DESC"
    ))?;
    let rows = stmt
        .query_map([], stored)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

/// The live programme, if any.
pub fn live(conn: &Connection) -> Result<Option<Stored>> {
    let id: Option<i64> = conn
        .query_row(
            "SELECT id FROM loyalty_programmes WHERE status = 'live'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|id| get(conn, id)).transpose()
}

/// The live programme, or an error saying how to have one.
pub fn require_live(conn: &Connection) -> Result<Stored> {
    live(conn)?.ok_or_else(|| {
        Error::InvalidArgument(
            "no loyalty programme is live: create one (loyalty create FILE) and launch it".into(),
        )
    })
}

/// Makes a draft the live programme; the one live before ends. In one
/// transaction begun immediately.
///
/// A reward that would take an item below the margin floor refuses the
/// launch unless the owner gives `override_reason`, which is kept (and
/// said in every code's journal entry).
pub fn launch(
    conn: &mut Connection,
    shop: &Shop,
    id: i64,
    override_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Stored> {
    let s = get(conn, id)?;
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if s.status == "live" && reason.is_some() {
        // The live programme keeps running; the reason now covers its codes.
        conn.execute(
            "UPDATE loyalty_programmes SET floor_override = ?2 WHERE id = ?1",
            params![id, reason],
        )?;
        return get(conn, id);
    }
    if s.status != "draft" {
        return Err(Error::InvalidArgument(format!(
            "programme {id} is {}: only a draft can be launched",
            s.status
        )));
    }
    s.programme.compile()?;
    let problems: Vec<String> = super::rewards::check_floor(conn, shop, &s.programme, now)?
        .into_iter()
        .filter_map(|f| f.message)
        .collect();
    if !problems.is_empty() && reason.is_none() {
        return Err(Error::FloorOverrideRequired(format!(
            "{}. Change the rewards, or give a reason to launch anyway",
            problems.join(". ")
        )));
    }
    let stamp = crate::time::fmt_utc(now);
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE loyalty_programmes SET status = 'ended', ended_at = ?1 WHERE status = 'live'",
        [&stamp],
    )?;
    tx.execute(
        "UPDATE loyalty_programmes SET status = 'live', launched_at = ?1, floor_override = ?3 WHERE id = ?2",
        params![stamp, id, reason.filter(|_| !problems.is_empty())],
    )?;
    tx.commit()?;
    get(conn, id)
}

/// A member as `loyalty members` shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Member {
    /// The customer's external id (as the storefront or the import knows it).
    pub customer: String,
    pub email: Option<String>,
    pub tier: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub balance: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub pending: i64,
    /// Points from orders.
    #[cfg_attr(test, ts(type = "number"))]
    pub earned: i64,
    /// Points from badges, challenges and actions.
    #[cfg_attr(test, ts(type = "number"))]
    pub awarded: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub redeemed: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub expired: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub taken_back: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub unrecovered: i64,
    pub badges: Vec<String>,
}

/// Every member of the live programme as of the end of the shop's today.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Members {
    pub programme: String,
    pub as_of: String,
    pub members: Vec<Member>,
}

/// The live programme's replay as of the end of the shop's today, with the
/// programme.
pub fn replay_live(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
) -> Result<(Stored, ledger::Replay, String)> {
    let live = require_live(conn)?;
    let compiled = live.programme.compile()?;
    let setting = super::setting(shop)?;
    let today = shop.today(now)?;
    let next = today.succ_opt().unwrap_or(today);
    let as_of =
        crate::time::local_to_utc(setting.tz, next.and_hms_opt(0, 0, 0).unwrap_or_default());
    let mut history = super::read_history(conn, shop, as_of)?;
    history.actions = read_actions(conn, as_of)?;
    history.redemptions = read_redemptions(conn, as_of)?;
    let replay = ledger::replay(&compiled, setting, &history, as_of);
    Ok((live, replay, today.to_string()))
}

fn read_actions(conn: &Connection, until: DateTime<Utc>) -> Result<Vec<ledger::ActionEvent>> {
    let mut stmt = conn.prepare(
        "SELECT customer_id, kind, at, reference FROM loyalty_actions WHERE at <= ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([crate::time::fmt_utc(until)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (customer, kind, at, reference) = row?;
        let kind = super::programme::ActionKind::parse(&kind)?;
        // A referral's reference names the customer referred.
        let referred = match kind {
            super::programme::ActionKind::Referral => customer_id(conn, &reference)?,
            _ => None,
        };
        out.push(ledger::ActionEvent {
            customer,
            kind,
            at: crate::time::parse_utc(&at)?,
            reference,
            referred,
        });
    }
    Ok(out)
}

fn read_redemptions(conn: &Connection, until: DateTime<Utc>) -> Result<Vec<ledger::Redemption>> {
    let mut stmt = conn.prepare(
        "SELECT customer_id, at, points, reference FROM loyalty_redemptions r
         WHERE at <= ?1 AND (batch_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM journal j WHERE j.batch_id = r.batch_id
               AND j.status IN ('failed', 'not_applied', 'reverted')))
         ORDER BY id",
    )?;
    let rows = stmt.query_map([crate::time::fmt_utc(until)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (customer, at, points, reference) = row?;
        out.push(ledger::Redemption {
            customer,
            at: crate::time::parse_utc(&at)?,
            points,
            reference,
        });
    }
    Ok(out)
}

/// Every customer with an order or a ledger line, as of the end of the
/// shop's today, under the live programme; by external id.
pub fn members(conn: &Connection, shop: &Shop, now: DateTime<Utc>) -> Result<Members> {
    let (live, replay, as_of) = replay_live(conn, shop, now)?;
    members_of(conn, &live, &replay, as_of)
}

/// The members of one replay.
fn members_of(
    conn: &Connection,
    live: &Stored,
    replay: &ledger::Replay,
    as_of: String,
) -> Result<Members> {
    let tiers = live.programme.tier_names();
    let mut members = replay
        .standings
        .iter()
        .map(|s| member_of(conn, &live.programme, &tiers, s))
        .collect::<Result<Vec<_>>>()?;
    members.sort_by(|a, b| a.customer.cmp(&b.customer));
    Ok(Members {
        programme: live.programme.name.clone(),
        as_of,
        members,
    })
}

/// A customer's standing as `members` shows it.
fn member_of(
    conn: &Connection,
    programme: &Programme,
    tiers: &[String],
    s: &ledger::Standing,
) -> Result<Member> {
    let (customer, email): (String, Option<String>) = conn
        .prepare_cached("SELECT external_id, email FROM customers WHERE id = ?1")?
        .query_row([s.customer], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Member {
        customer,
        email,
        tier: tiers[s.tier.min(tiers.len() - 1)].clone(),
        balance: s.balance,
        pending: s.pending,
        earned: s.earned,
        awarded: s.awarded,
        redeemed: s.redeemed,
        expired: s.expired,
        taken_back: s.taken_back,
        unrecovered: s.unrecovered,
        badges: s
            .badges
            .iter()
            .filter_map(|b| programme.badge.get(*b).map(|b| b.name.clone()))
            .collect(),
    })
}

/// One member's standing and ledger lines under the live programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct MemberLedger {
    pub member: Member,
    pub lines: Vec<MemberLine>,
}

/// A ledger line as the owner reads it: what it came from in the shop's
/// own words ("order 536365", "badge Regular", "review rv-1").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct MemberLine {
    #[serde(flatten)]
    #[cfg_attr(test, ts(flatten))]
    pub entry: ledger::Entry,
    pub what: String,
}

/// A member by external id (or email), with their ledger lines.
pub fn member(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
    customer: &str,
) -> Result<MemberLedger> {
    let id = customer_id(conn, customer)?
        .ok_or_else(|| Error::InvalidArgument(format!("no customer {customer:?} in the shop")))?;
    let (live, replay, _) = replay_live(conn, shop, now)?;
    let standing = replay
        .standings
        .iter()
        .find(|s| s.customer == id)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "customer {customer:?} has no order and no points yet"
            ))
        })?;
    let member = member_of(
        conn,
        &live.programme,
        &live.programme.tier_names(),
        standing,
    )?;
    let mut order_number = conn.prepare_cached("SELECT number FROM orders WHERE id = ?1")?;
    let mut refund_number = conn.prepare_cached("SELECT number FROM refunds WHERE id = ?1")?;
    let p = &live.programme;
    let mut lines = Vec::new();
    for entry in replay.entries.into_iter().filter(|e| e.customer == id) {
        use ledger::Source;
        let what = match &entry.source {
            Source::Order(o) => format!(
                "order {}",
                order_number.query_row([o], |r| r.get::<_, String>(0))?
            ),
            Source::Refund(r) => format!(
                "refund {}",
                refund_number.query_row([r], |r| r.get::<_, String>(0))?
            ),
            Source::Badge(b) => format!("badge {}", p.badge.get(*b).map_or("?", |b| &b.name)),
            Source::Challenge(c) => {
                format!("challenge {}", p.challenge.get(*c).map_or("?", |c| &c.name))
            }
            Source::Action(reference) => format!("action {reference}"),
            Source::Redemption(reference) => format!("reward {reference}"),
        };
        lines.push(MemberLine { entry, what });
    }
    Ok(MemberLedger { member, lines })
}

/// Records an action by hand (the owner awarding it), at `now`, under
/// `reference` (default: the moment, so each award by hand counts); the
/// programme's rules decide the points (and `max_per_customer`).
pub fn award(
    conn: &Connection,
    customer: &str,
    kind: super::programme::ActionKind,
    reference: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = customer_id(conn, customer)?
        .ok_or_else(|| Error::InvalidArgument(format!("no customer {customer:?} in the shop")))?;
    let stamp = crate::time::fmt_utc(now);
    let reference = reference.map_or_else(|| format!("by hand {stamp}"), str::to_string);
    let added = conn.execute(
        "INSERT OR IGNORE INTO loyalty_actions (customer_id, kind, at, reference) VALUES (?1, ?2, ?3, ?4)",
        params![id, kind.name(), stamp, reference],
    )?;
    if added == 0 {
        return Err(Error::InvalidArgument(format!(
            "{customer} already has {} \"{reference}\"",
            kind.name()
        )));
    }
    Ok(())
}

/// A customer by the id the storefront or an import knows them by, or by
/// email (any case); the oldest when several match.
pub fn customer_id(conn: &Connection, customer: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM customers WHERE external_id = ?1 OR lower(email) = lower(?1)
             ORDER BY id LIMIT 1",
        )?
        .query_row([customer], |r| r.get(0))
        .optional()?)
}
