//! Applying a proposal: its chosen prices as one journaled batch, each
//! checked against the price it started from.

use super::*;
use crate::error::{Error, Result};
use crate::storefront::{Storefront, Target, Value};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

/// Which items `apply` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Only those the owner approved (the app).
    Approved,
    /// Every item not rejected (the CLI's `price apply`).
    NotRejected,
}

/// Pushes the proposal's items as one journaled batch through
/// `storefront`, after checking each price is still what the proposal
/// started from. Items whose price moved since are marked failed and not
/// sent. Returns the proposal as it now stands.
pub fn apply(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    id: i64,
    take: Take,
    now: DateTime<Utc>,
) -> Result<Proposal> {
    open_proposal(conn, id)?;
    let proposal = get(conn, id)?;
    let chosen: Vec<&ProposalItem> = proposal
        .items
        .iter()
        .filter(|i| match take {
            Take::Approved => i.status == "approved",
            Take::NotRejected => matches!(i.status.as_str(), "approved" | "proposed"),
        })
        .collect();
    if chosen.is_empty() {
        return Err(Error::InvalidArgument(match take {
            Take::Approved => format!("approve at least one price of proposal {id} first"),
            Take::NotRejected => format!("every price of proposal {id} was rejected"),
        }));
    }
    let mut changes = Vec::new();
    let mut sent = Vec::new();
    for item in chosen {
        let (product, variant, price, compare_at): (String, String, i64, Option<i64>) = conn
            .query_row(
                "SELECT p.external_id, v.external_id, v.price_minor, v.compare_at_minor
             FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = ?1",
                [item.variant_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
        if price != item.current_minor {
            conn.execute(
                "UPDATE price_proposal_items SET status = 'failed', error = ?3 WHERE proposal_id = ?1 AND variant_id = ?2",
                params![
                    id,
                    item.variant_id,
                    "the price changed after the proposal was made; make a new proposal"
                ],
            )?;
            continue;
        }
        changes.push(crate::journal::Change {
            target: Target::VariantPrice { product, variant },
            label: format!("Price of {}", item.sku),
            value: Value::Price(crate::storefront::Price {
                price_minor: item.proposed_minor,
                compare_at_minor: compare_at,
            }),
        });
        sent.push(item.variant_id);
    }
    if changes.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "every chosen price of proposal {id} changed since it was made; nothing was sent"
        )));
    }
    let why = crate::journal::Why {
        playbook: "pricing".into(),
        reason: format!("proposal {id}: {}", proposal.name),
    };
    let entries = crate::journal::push(conn, storefront, changes, &why, now)?;
    let tx = conn.unchecked_transaction()?;
    for (variant_id, entry) in sent.iter().zip(&entries) {
        let status = if entry.status == "confirmed" {
            "applied"
        } else {
            "failed"
        };
        tx.execute(
            "UPDATE price_proposal_items SET status = ?3, journal_id = ?4, error = ?5
             WHERE proposal_id = ?1 AND variant_id = ?2",
            params![id, variant_id, status, entry.id, entry.error],
        )?;
    }
    tx.execute(
        "UPDATE price_proposals SET status = 'applied', batch_id = ?2, applied_at = ?3 WHERE id = ?1",
        params![id, entries.first().map(|e| e.batch), fmt_utc(now)],
    )?;
    tx.commit()?;
    get(conn, id)
}
