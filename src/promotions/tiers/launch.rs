//! Tiers on the storefront: launched as one discount per tier through the journal, ended, and settled when the storefront dropped them.

use super::*;
use crate::error::{Error, Result};
use crate::journal::{self, Change, RevertScope, Why};
use crate::promotions::push::{upstream, Settled, SettledEvent, SettledKind, Upstream};
use crate::promotions::sale::{self};
use crate::store::Shop;
use crate::storefront::{
    Discount, DiscountMethod, DiscountValue, Items, Minimum, Storefront, Target, Value,
};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use rust_decimal::Decimal;

/// The storefront discounts of a tier set: one per tier.
pub(super) fn changes(
    conn: &Connection,
    shop: &Shop,
    t: &TierSet,
    now: DateTime<Utc>,
) -> Result<Vec<Change>> {
    let steps = t.file.steps(&shop.currency)?;
    let variants: Vec<String> = sale::items(conn, shop, &t.file.as_sale_targets())?
        .into_iter()
        .map(|i| i.variant_external)
        .collect();
    let money = |m: i64| crate::money::format_major(m, &shop.currency);
    Ok(steps
        .iter()
        .map(|(threshold, bp)| {
            let (title, minimum, items) = match t.file.kind {
                Kind::Volume => (
                    format!(
                        "{}: {threshold}+ units, {} % off",
                        t.file.name,
                        Decimal::new(*bp, 2).normalize()
                    ),
                    Minimum::Quantity {
                        quantity: *threshold,
                    },
                    Items::Some {
                        products: Vec::new(),
                        variants: variants.clone(),
                    },
                ),
                Kind::Spend => (
                    format!(
                        "{}: spend {}, {} % off",
                        t.file.name,
                        money(*threshold),
                        Decimal::new(*bp, 2).normalize()
                    ),
                    Minimum::Subtotal {
                        amount_minor: *threshold,
                    },
                    Items::All,
                ),
            };
            Change {
                target: Target::Discount { id: None },
                label: format!("Discount \"{title}\" (tiers {})", t.id),
                value: Value::Discount(Some(Discount {
                    title,
                    method: DiscountMethod::Automatic,
                    code: None,
                    value: DiscountValue::Percentage { basis_points: *bp },
                    minimum,
                    items,
                    starts_at: fmt_utc(now),
                    ends_at: None,
                    usage_limit: None,
                    once_per_customer: false,
                    customers: Vec::new(),
                })),
            }
        })
        .collect())
}

/// Pushes a draft tier set as storefront discounts, one per tier; refused
/// on the floor unless `override_reason` says why.
pub fn launch(
    conn: &Connection,
    shop: &Shop,
    sf: &mut dyn Storefront,
    id: i64,
    override_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TierSet> {
    let t = get(conn, id)?;
    if t.status != "draft" {
        return Err(Error::InvalidArgument(format!(
            "tiers {id} are {}; only a draft is launched",
            t.status
        )));
    }
    let (ok, problems) = check(conn, shop, &t.file, now)?;
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if !ok {
        let Some(reason) = reason else {
            let list: Vec<&str> = problems
                .iter()
                .take(10)
                .map(|p| p.message.as_str())
                .collect();
            return Err(Error::FloorOverrideRequired(format!(
                "tiers {id} were not launched: {}{} (to go below the margin floor anyway, give the reason)",
                list.join("; "),
                if problems.len() > 10 { format!("; and {} more", problems.len() - 10) } else { String::new() }
            )));
        };
        conn.execute(
            "UPDATE tier_sets SET override_reason = ?2 WHERE id = ?1",
            params![id, reason],
        )?;
    }
    let t = get(conn, id)?;
    let why = Why {
        playbook: "promotions".into(),
        reason: match &t.override_reason {
            Some(r) => format!("tiers {id}: {} (margin floor overridden: {r})", t.file.name),
            None => format!("tiers {id}: {}", t.file.name),
        },
    };
    let mut own = |batch: i64| -> Result<()> {
        conn.execute(
            "UPDATE tier_sets SET launch_batch = ?2, launched_at = ?3, status = 'live' WHERE id = ?1",
            params![id, batch, fmt_utc(now)],
        )?;
        Ok(())
    };
    let disown = || -> Result<()> {
        conn.execute(
            "UPDATE tier_sets SET launch_batch = NULL, launched_at = NULL, status = 'draft' WHERE id = ?1",
            [id],
        )?;
        Ok(())
    };
    crate::promotions::push::push_all_or_nothing(
        conn,
        sf,
        changes(conn, shop, &t, now)?,
        &why,
        now,
        &mut own,
        &disown,
        "none of the tiers is live",
    )?;
    get(conn, id)
}

/// Ends live tiers whose discounts were all deleted in the storefront's
/// admin (as the last sync saw it).
pub fn settle(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Settled>> {
    let stamp = fmt_utc(now);
    let mut done = Vec::new();
    for t in list(conn)? {
        if let ("live", Some(batch)) = (t.status.as_str(), t.launch_batch) {
            if let Upstream::Gone = upstream(conn, batch)? {
                conn.execute(
                    "UPDATE tier_sets SET status = 'ended', ended_at = ?2 WHERE id = ?1",
                    params![t.id, stamp],
                )?;
                done.push(Settled {
                    kind: SettledKind::Tiers,
                    event: SettledEvent::Ended,
                    id: t.id,
                    name: t.file.name.clone(),
                    what: "their discounts were deleted on the storefront; the tiers are off"
                        .into(),
                });
            }
        }
    }
    for d in &done {
        tracing::info!(kind = d.kind.as_str(), id = d.id, "{}", d.what);
    }
    Ok(done)
}

/// Takes live tiers off the storefront (reverting their discounts).
pub fn end(
    conn: &Connection,
    sf: &mut dyn Storefront,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TierSet> {
    let t = get(conn, id)?;
    if t.status != "live" {
        return Err(Error::InvalidArgument(format!(
            "tiers {id} are {}; only live tiers are ended",
            t.status
        )));
    }
    if let Some(batch) = t.launch_batch {
        journal::revert(conn, sf, RevertScope::Batch(batch), false, now)?;
    }
    conn.execute(
        "UPDATE tier_sets SET status = 'ended', ended_at = ?2 WHERE id = ?1",
        params![id, fmt_utc(now)],
    )?;
    get(conn, id)
}
