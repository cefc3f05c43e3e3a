//! Price proposals: what a rule set or the optimiser suggests, stored so the
//! owner can edit, approve or reject each price, then apply the approved
//! ones as one journaled, revertible batch. Saved rule sets live here too.

use super::rules::{Mode, Proposed, Reason, RuleSet, Source};
use crate::error::{Error, Result};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

mod apply;
mod saved;

pub use apply::*;
pub use saved::*;

stored_enum! {
    /// Where one proposed price stands.
    pub enum ItemStatus {
        /// Not reviewed yet.
        Proposed = "proposed",
        Approved = "approved",
        Rejected = "rejected",
        /// Pushed and confirmed.
        Applied = "applied",
        /// Pushed and refused, or changed since it was proposed.
        Failed = "failed",
    }
}

/// A proposal's item as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ProposalItem {
    #[cfg_attr(test, ts(type = "number"))]
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub current_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub proposed_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub floor_minor: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub ceiling_minor: Option<i64>,
    pub status: ItemStatus,
    pub reasons: Vec<Reason>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub journal_id: Option<i64>,
    pub error: Option<String>,
}

stored_enum! {
    /// Where a proposal stands.
    pub enum ProposalStatus {
        /// Being reviewed.
        Open = "open",
        Applied = "applied",
        Discarded = "discarded",
    }
}

/// A proposal with its items.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Proposal {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub created_at: String,
    pub name: String,
    pub mode: Mode,
    pub status: ProposalStatus,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub batch: Option<i64>,
    pub applied_at: Option<String>,
    pub items: Vec<ProposalItem>,
    /// Variants a rule would change but a guardrail or promotion held.
    pub held: Vec<super::rules::Held>,
}

/// A proposal in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ProposalSummary {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub created_at: String,
    pub name: String,
    pub mode: Mode,
    pub status: ProposalStatus,
    #[cfg_attr(test, ts(type = "number"))]
    pub items: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub batch: Option<i64>,
}

/// Stores `suggestions` from `rules` as an open proposal; returns it.
pub fn save(
    conn: &Connection,
    rules: &RuleSet,
    suggestions: &super::rules::Suggestions,
    now: DateTime<Utc>,
) -> Result<Proposal> {
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO price_proposals (created_at, name, mode, rules, status) VALUES (?1, ?2, ?3, ?4, 'open')",
        params![
            fmt_utc(now),
            rules.name,
            rules.mode.name(),
            serde_json::to_string(&serde_json::json!({
                "rules": rules,
                "held": suggestions.held,
            }))
            .expect("rule sets serialise"),
        ],
    )?;
    let id = tx.last_insert_rowid();
    for p in &suggestions.items {
        insert_item(&tx, id, p)?;
    }
    tx.commit()?;
    get(conn, id)
}

pub(super) fn insert_item(conn: &Connection, id: i64, p: &Proposed) -> Result<()> {
    conn.execute(
        "INSERT INTO price_proposal_items (proposal_id, variant_id, current_minor, proposed_minor,
            floor_minor, ceiling_minor, status, reasons)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'proposed', ?7)",
        params![
            id,
            p.variant_id,
            p.current_minor,
            p.proposed_minor,
            p.floor_minor,
            p.ceiling_minor,
            serde_json::to_string(&p.reasons).expect("reasons serialise"),
        ],
    )?;
    Ok(())
}

/// The newest proposals first.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<ProposalSummary>> {
    let mut stmt = conn.prepare(
        "SELECT p.id, p.created_at, p.name, p.mode, p.status, p.batch_id,
                (SELECT count(*) FROM price_proposal_items i WHERE i.proposal_id = p.id)
         FROM price_proposals p ORDER BY p.id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(ProposalSummary {
            id: r.get(0)?,
            created_at: r.get(1)?,
            name: r.get(2)?,
            mode: mode(&r.get::<_, String>(3)?),
            status: r.get(4)?,
            batch: r.get(5)?,
            items: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn mode(text: &str) -> Mode {
    match text {
        "profit" => Mode::Profit,
        "revenue" => Mode::Revenue,
        _ => Mode::Rules,
    }
}

/// The largest step of the rule set a proposal came from, in basis points.
fn max_step_bp(conn: &Connection, id: i64) -> Result<i64> {
    let stored: String = conn.query_row(
        "SELECT rules FROM price_proposals WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let json: serde_json::Value = serde_json::from_str(&stored)
        .map_err(|e| Error::Internal(format!("proposal {id}'s rule set cannot be read: {e}")))?;
    let rules: RuleSet = serde_json::from_value(json["rules"].clone())
        .map_err(|e| Error::Internal(format!("proposal {id}'s rule set cannot be read: {e}")))?;
    Ok(rules.guardrails.max_change_percent.0)
}

/// One proposal with its items.
pub fn get(conn: &Connection, id: i64) -> Result<Proposal> {
    let head = conn
        .query_row(
            "SELECT id, created_at, name, mode, status, batch_id, applied_at, rules FROM price_proposals WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    Proposal {
                        id: r.get(0)?,
                        created_at: r.get(1)?,
                        name: r.get(2)?,
                        mode: mode(&r.get::<_, String>(3)?),
                        status: r.get(4)?,
                        batch: r.get(5)?,
                        applied_at: r.get(6)?,
                        items: Vec::new(),
                        held: Vec::new(),
                    },
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((mut p, stored)) = head else {
        return Err(Error::NotFound(format!("there is no proposal {id}")));
    };
    #[derive(Deserialize)]
    struct Stored {
        #[serde(default)]
        held: Vec<HeldStored>,
    }
    #[derive(Deserialize)]
    struct HeldStored {
        sku: String,
        title: String,
        reasons: Vec<Reason>,
    }
    if let Ok(s) = serde_json::from_str::<Stored>(&stored) {
        p.held = s
            .held
            .into_iter()
            .map(|h| super::rules::Held {
                sku: h.sku,
                title: h.title,
                reasons: h.reasons,
            })
            .collect();
    }
    let mut stmt = conn.prepare(
        "SELECT i.variant_id, coalesce(v.sku, ''), pr.title, i.current_minor, i.proposed_minor,
                i.floor_minor, i.ceiling_minor, i.status, i.reasons, i.journal_id, i.error
         FROM price_proposal_items i JOIN variants v ON v.id = i.variant_id
         JOIN products pr ON pr.id = v.product_id
         WHERE i.proposal_id = ?1 ORDER BY v.sku, i.variant_id",
    )?;
    let rows = stmt.query_map([id], |r| {
        let reasons: String = r.get(8)?;
        Ok(ProposalItem {
            variant_id: r.get(0)?,
            sku: r.get(1)?,
            title: r.get(2)?,
            current_minor: r.get(3)?,
            proposed_minor: r.get(4)?,
            floor_minor: r.get(5)?,
            ceiling_minor: r.get(6)?,
            status: r.get(7)?,
            reasons: serde_json::from_str(&reasons).unwrap_or_default(),
            journal_id: r.get(9)?,
            error: r.get(10)?,
        })
    })?;
    p.items = rows.collect::<rusqlite::Result<_>>()?;
    Ok(p)
}

pub(super) fn open_proposal(conn: &Connection, id: i64) -> Result<()> {
    let status: Option<String> = conn
        .query_row(
            "SELECT status FROM price_proposals WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    match status.as_deref() {
        None => Err(Error::NotFound(format!("there is no proposal {id}"))),
        Some("open") => Ok(()),
        Some(s) => Err(Error::InvalidArgument(format!(
            "proposal {id} is {s}; only an open proposal can change"
        ))),
    }
}

/// The owner's own price for one item: kept inside the item's floor and
/// ceiling, and marked approved.
pub fn edit(
    conn: &Connection,
    id: i64,
    variant_id: i64,
    price_minor: i64,
    currency: &str,
    confirmed: bool,
) -> Result<ProposalItem> {
    open_proposal(conn, id)?;
    let item = get(conn, id)?
        .items
        .into_iter()
        .find(|i| i.variant_id == variant_id)
        .ok_or_else(|| Error::InvalidArgument(format!("proposal {id} has no such item")))?;
    let money = |m: i64| crate::money::format_major(m, currency);
    if price_minor <= 0 {
        return Err(Error::InvalidArgument("a price is above zero".into()));
    }
    if item.floor_minor.is_some_and(|f| price_minor < f) {
        return Err(Error::InvalidArgument(format!(
            "{} is below this item's floor {} (its cost plus the minimum margin, or the minimum price)",
            money(price_minor),
            money(item.floor_minor.unwrap_or(0))
        )));
    }
    if item.ceiling_minor.is_some_and(|c| price_minor > c) {
        return Err(Error::InvalidArgument(format!(
            "{} is above this item's ceiling {}",
            money(price_minor),
            money(item.ceiling_minor.unwrap_or(0))
        )));
    }
    if !confirmed {
        // The owner's own price keeps the rule set's largest step, and is
        // never a slip of the keyboard, unless they confirm it.
        if let Some(why) = crate::journal::unusual_price(price_minor, item.current_minor, currency)
        {
            return Err(Error::ConfirmationRequired(format!(
                "{why} for {}: confirm to use it",
                item.sku
            )));
        }
        let step_bp = max_step_bp(conn, id)?;
        let step = (item.current_minor as i128 * step_bp as i128 / 10_000) as i64;
        if (price_minor - item.current_minor).abs() > step {
            return Err(Error::ConfirmationRequired(format!(
                "{} is a change of {:+} from {} for {}; the rule set moves a price at most {} a step: confirm to go further",
                money(price_minor),
                crate::money::Percent(
                    ((price_minor - item.current_minor) as i128 * 10_000 / item.current_minor.max(1) as i128) as i64
                ),
                money(item.current_minor),
                item.sku,
                crate::money::Percent(step_bp)
            )));
        }
    }
    let mut reasons = item.reasons.clone();
    reasons.retain(|r| r.source != Source::Owner);
    if price_minor != item.proposed_minor || !reasons.is_empty() {
        reasons.push(Reason {
            source: Source::Owner,
            text: format!(
                "set by the owner to {} (proposed {})",
                money(price_minor),
                money(item.proposed_minor)
            ),
        });
    }
    conn.execute(
        "UPDATE price_proposal_items SET proposed_minor = ?3, status = 'approved', reasons = ?4
         WHERE proposal_id = ?1 AND variant_id = ?2",
        params![
            id,
            variant_id,
            price_minor,
            serde_json::to_string(&reasons).expect("reasons serialise")
        ],
    )?;
    get(conn, id)?
        .items
        .into_iter()
        .find(|i| i.variant_id == variant_id)
        .ok_or_else(|| Error::InvalidArgument("the item went away".into()))
}

/// Approves, rejects or un-reviews items of an open proposal (none named:
/// every item).
pub fn review(conn: &Connection, id: i64, variant_ids: &[i64], status: &str) -> Result<Proposal> {
    if !matches!(status, "approved" | "rejected" | "proposed") {
        return Err(Error::InvalidArgument(format!(
            "an item is approved, rejected or proposed, not {status}"
        )));
    }
    open_proposal(conn, id)?;
    let tx = conn.unchecked_transaction()?;
    if variant_ids.is_empty() {
        tx.execute(
            "UPDATE price_proposal_items SET status = ?2 WHERE proposal_id = ?1",
            params![id, status],
        )?;
    } else {
        for v in variant_ids {
            if tx.execute(
                "UPDATE price_proposal_items SET status = ?3 WHERE proposal_id = ?1 AND variant_id = ?2",
                params![id, v, status],
            )? == 0
            {
                return Err(Error::InvalidArgument(format!(
                    "proposal {id} has no item for variant {v}"
                )));
            }
        }
    }
    tx.commit()?;
    get(conn, id)
}

/// Closes an open proposal without applying it.
pub fn discard(conn: &Connection, id: i64) -> Result<Proposal> {
    open_proposal(conn, id)?;
    conn.execute(
        "UPDATE price_proposals SET status = 'discarded' WHERE id = ?1",
        [id],
    )?;
    get(conn, id)
}

/// Each of `variants`' prices with the proposal's items (not rejected) in
/// place: what simulating the proposal compares with today's prices.
pub fn prices(proposal: &Proposal, variants: &[super::data::Variant]) -> Vec<i64> {
    let new: std::collections::HashMap<i64, i64> = proposal
        .items
        .iter()
        .filter(|i| i.status != "rejected")
        .map(|i| (i.variant_id, i.proposed_minor))
        .collect();
    variants
        .iter()
        .map(|v| new.get(&v.id).copied().unwrap_or(v.price_minor))
        .collect()
}
