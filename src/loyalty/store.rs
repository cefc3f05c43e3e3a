//! Programmes kept in the store, launching one, and its members as the
//! ledger has them.

use super::ledger;
use super::programme::Programme;
use crate::error::{Error, Result};
use crate::store::Shop;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
/// programme and the day: of `customers` only (store ids) or of everyone,
/// with its ledger lines or (`keep_lines` false) the standings alone.
pub fn replay_live(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
    customers: Option<&[i64]>,
    keep_lines: bool,
) -> Result<(Stored, ledger::Replay, String)> {
    let live = require_live(conn)?;
    let compiled = live.programme.compile()?;
    let setting = super::setting(shop)?;
    let today = shop.today(now)?;
    let next = today.succ_opt().unwrap_or(today);
    let as_of =
        crate::time::local_to_utc(setting.tz, next.and_hms_opt(0, 0, 0).unwrap_or_default());
    let actions = read_actions(conn, as_of, customers)?;
    // A referral needs the first order of the customer it names.
    let mut read: Option<Vec<i64>> = customers.map(<[i64]>::to_vec);
    if let Some(ids) = &mut read {
        ids.extend(actions.iter().filter_map(|a| a.referred));
        ids.sort_unstable();
        ids.dedup();
    }
    let mut history = super::read_history_of(conn, shop, as_of, read.as_deref())?;
    history.actions = actions;
    history.redemptions = read_redemptions(conn, as_of, customers)?;
    let replay = if keep_lines {
        ledger::replay(&compiled, setting, &history, as_of)
    } else {
        ledger::standings(&compiled, setting, &history, as_of)
    };
    Ok((live, replay, today.to_string()))
}

fn read_actions(
    conn: &Connection,
    until: DateTime<Utc>,
    customers: Option<&[i64]>,
) -> Result<Vec<ledger::ActionEvent>> {
    let mut stmt = conn.prepare(
        "SELECT customer_id, kind, at, reference FROM loyalty_actions
         WHERE at <= ?1 AND (?2 IS NULL OR customer_id IN (SELECT value FROM json_each(?2)))
         ORDER BY id",
    )?;
    let rows = stmt.query_map(
        params![crate::time::fmt_utc(until), super::ids_json(customers)],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        },
    )?;
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

fn read_redemptions(
    conn: &Connection,
    until: DateTime<Utc>,
    customers: Option<&[i64]>,
) -> Result<Vec<ledger::Redemption>> {
    let mut stmt = conn.prepare(
        "SELECT customer_id, at, points, reference FROM loyalty_redemptions r
         WHERE at <= ?1 AND (?2 IS NULL OR customer_id IN (SELECT value FROM json_each(?2)))
           AND (batch_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM journal j WHERE j.batch_id = r.batch_id
               AND j.status IN ('failed', 'not_applied', 'reverted')))
         ORDER BY id",
    )?;
    let rows = stmt.query_map(
        params![crate::time::fmt_utc(until), super::ids_json(customers)],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        },
    )?;
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
    let (live, replay, as_of) = replay_live(conn, shop, now, None, false)?;
    let mut names: HashMap<i64, (String, Option<String>)> = HashMap::new();
    let mut stmt = conn.prepare("SELECT id, external_id, email FROM customers")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        names.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
    }
    let tiers = live.programme.tier_names();
    let mut members = replay
        .standings
        .iter()
        .map(|s| {
            let (customer, email) = names.remove(&s.customer).ok_or_else(|| {
                Error::InvalidArgument(format!("no customer {} in the shop", s.customer))
            })?;
            Ok(member_of(&live.programme, &tiers, s, customer, email))
        })
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
    programme: &Programme,
    tiers: &[String],
    s: &ledger::Standing,
    customer: String,
    email: Option<String>,
) -> Member {
    Member {
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
    }
}

/// How the members table is ordered: most first (ties by customer), or by
/// customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum MemberSort {
    /// Points to spend.
    #[default]
    Balance,
    /// Points from orders and awards.
    Earned,
    Pending,
    Redeemed,
    Expired,
    /// Highest tier first.
    Tier,
    /// Most badges.
    Badges,
    Customer,
}

/// One page of the members table: who matches `search` (any part of the
/// customer's id or email, any case) in `tier` (every tier when none),
/// ordered by `sort`, from `offset`, at most `limit` (up to 1,000).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct MembersQuery {
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub sort: MemberSort,
    #[serde(default)]
    pub offset: u32,
    #[serde(default)]
    pub limit: u32,
}

/// A tier and how many members are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct TierCount {
    pub name: String,
    pub members: u32,
}

/// What the members table shows: the page asked for, how many match, and
/// every member's count per tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct MembersPage {
    pub programme: String,
    pub as_of: String,
    /// Every member.
    pub total: u32,
    pub tiers: Vec<TierCount>,
    /// Members matching the search and tier.
    pub matched: u32,
    pub offset: u32,
    pub members: Vec<Member>,
}

/// The most members one page holds.
pub const MAX_PAGE: u32 = 1000;

/// A page of `members` (sorted by customer, as [`members`] gives them),
/// `tiers` the programme's tier names from the lowest.
pub fn page(members: &Members, tiers: &[String], q: &MembersQuery) -> MembersPage {
    let search = q.search.trim().to_lowercase();
    let rank = |m: &Member| tiers.iter().position(|t| *t == m.tier).unwrap_or(0);
    let mut counts = vec![0u32; tiers.len()];
    let mut shown: Vec<&Member> = Vec::new();
    for m in &members.members {
        counts[rank(m).min(tiers.len().saturating_sub(1))] += 1;
        if q.tier.as_ref().is_some_and(|t| *t != m.tier) {
            continue;
        }
        if !search.is_empty()
            && !m.customer.to_lowercase().contains(&search)
            && !m
                .email
                .as_ref()
                .is_some_and(|e| e.to_lowercase().contains(&search))
        {
            continue;
        }
        shown.push(m);
    }
    // Stable: ties stay by customer.
    let most = |f: fn(&Member) -> i64| move |a: &&Member, b: &&Member| f(b).cmp(&f(a));
    match q.sort {
        MemberSort::Balance => shown.sort_by(most(|m| m.balance)),
        MemberSort::Earned => shown.sort_by(most(|m| m.earned + m.awarded)),
        MemberSort::Pending => shown.sort_by(most(|m| m.pending)),
        MemberSort::Redeemed => shown.sort_by(most(|m| m.redeemed)),
        MemberSort::Expired => shown.sort_by(most(|m| m.expired)),
        MemberSort::Badges => shown.sort_by(most(|m| m.badges.len() as i64)),
        MemberSort::Tier => shown.sort_by_key(|m| std::cmp::Reverse(rank(m))),
        MemberSort::Customer => {}
    }
    let limit = if q.limit == 0 {
        200
    } else {
        q.limit.min(MAX_PAGE)
    };
    MembersPage {
        programme: members.programme.clone(),
        as_of: members.as_of.clone(),
        total: members.members.len() as u32,
        tiers: tiers
            .iter()
            .zip(counts)
            .map(|(name, members)| TierCount {
                name: name.clone(),
                members,
            })
            .collect(),
        matched: shown.len() as u32,
        offset: q.offset,
        members: shown
            .into_iter()
            .skip(q.offset as usize)
            .take(limit as usize)
            .cloned()
            .collect(),
    }
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
    let (live, replay, _) = replay_live(conn, shop, now, Some(&[id]), true)?;
    let standing = replay
        .standings
        .iter()
        .find(|s| s.customer == id)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "customer {customer:?} has no order and no points yet"
            ))
        })?;
    let (external, email): (String, Option<String>) = conn
        .prepare_cached("SELECT external_id, email FROM customers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let member = member_of(
        &live.programme,
        &live.programme.tier_names(),
        standing,
        external,
        email,
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn member(
        customer: &str,
        email: Option<&str>,
        tier: &str,
        balance: i64,
        badges: usize,
    ) -> Member {
        Member {
            customer: customer.into(),
            email: email.map(str::to_string),
            tier: tier.into(),
            balance,
            pending: 0,
            earned: balance,
            awarded: 0,
            redeemed: 0,
            expired: 0,
            taken_back: 0,
            unrecovered: 0,
            badges: vec!["Regular".into(); badges],
        }
    }

    #[test]
    fn a_page_searches_id_and_email_filters_a_tier_and_sorts_with_ties_by_customer() {
        let members = Members {
            programme: "Club".into(),
            as_of: "2011-12-09".into(),
            members: vec![
                member("a", None, "Gold", 10, 0),
                member("b", None, "Gold", 10, 2),
                member("c", Some("Carol@Shop.test"), "Bronze", 50, 1),
                member("d", None, "Bronze", 5, 0),
            ],
        };
        let tiers = ["Bronze".to_string(), "Silver".into(), "Gold".into()];
        let ask = |search: &str, tier: Option<&str>, sort, offset, limit| {
            let p = page(
                &members,
                &tiers,
                &MembersQuery {
                    search: search.into(),
                    tier: tier.map(str::to_string),
                    sort,
                    offset,
                    limit,
                },
            );
            (
                p.matched,
                p.members
                    .into_iter()
                    .map(|m| m.customer)
                    .collect::<Vec<_>>(),
            )
        };
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ask("", None, MemberSort::Balance, 0, 0),
            (4, ids(&["c", "a", "b", "d"]))
        );
        assert_eq!(
            ask("", Some("Gold"), MemberSort::Balance, 0, 0),
            (2, ids(&["a", "b"]))
        );
        assert_eq!(
            ask("carol@", None, MemberSort::Customer, 0, 0),
            (1, ids(&["c"]))
        );
        assert_eq!(
            ask("", None, MemberSort::Tier, 0, 0),
            (4, ids(&["a", "b", "c", "d"]))
        );
        assert_eq!(
            ask("", None, MemberSort::Badges, 0, 0),
            (4, ids(&["b", "c", "a", "d"]))
        );
        assert_eq!(
            ask("", None, MemberSort::Customer, 1, 2),
            (4, ids(&["b", "c"]))
        );
        assert_eq!(ask("", None, MemberSort::Customer, 9, 2), (4, ids(&[])));
        let p = page(&members, &tiers, &MembersQuery::default());
        let counts: Vec<u32> = p.tiers.iter().map(|t| t.members).collect();
        assert_eq!((p.total, counts), (4, vec![2, 0, 2]));
    }
}
