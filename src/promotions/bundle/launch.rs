//! Bundles on the storefront: launched as one automatic buy X get Y
//! discount through the journal, ended by reverting it, and settled when
//! the storefront dropped it or its end came.

use super::*;
use crate::error::{Error, Result};
use crate::journal::{self, Change, RevertScope, Why};
use crate::promotions::push::{upstream, Settled, SettledEvent, SettledKind, Upstream};
use crate::store::Shop;
use crate::storefront::{
    BuyGet, Discount, DiscountMethod, DiscountValue, Items, Minimum, Storefront, Target, Value,
};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

/// The storefront discount of a bundle.
pub fn discount(
    conn: &Connection,
    shop: &Shop,
    file: &BundleFile,
    now: DateTime<Utc>,
) -> Result<Discount> {
    let r = resolve(conn, shop, file)?;
    let mut buys: Vec<String> = r.buys.iter().map(|i| i.variant_external.clone()).collect();
    buys.sort();
    Ok(Discount {
        title: format!("Bundle: {}", file.name.trim()),
        method: DiscountMethod::Automatic,
        code: None,
        value: DiscountValue::BuyGet(Box::new(BuyGet {
            buys: Items::Some {
                products: Vec::new(),
                variants: buys,
            },
            buy_quantity: r.buys.len() as i64,
            get_quantity: 1,
            basis_points: file.percent.0,
            uses_per_order: None,
        })),
        minimum: Minimum::None,
        items: Items::Some {
            products: Vec::new(),
            variants: vec![r.get.variant_external.clone()],
        },
        starts_at: fmt_utc(now),
        ends_at: file.end(shop)?.map(fmt_utc),
        usage_limit: None,
        once_per_customer: false,
        customers: Vec::new(),
    })
}

/// Pushes a draft bundle as its storefront discount; refused on the floor
/// unless `override_reason` says why.
pub fn launch(
    conn: &Connection,
    shop: &Shop,
    sf: &mut dyn Storefront,
    id: i64,
    override_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Bundle> {
    let b = get(conn, id)?;
    if b.status != BundleStatus::Draft {
        return Err(Error::InvalidArgument(format!(
            "bundle {id} is {}; only a draft is launched",
            b.status
        )));
    }
    let report = check(conn, shop, &b.file, now)?;
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if !report.ok {
        let Some(reason) = reason else {
            let list: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
            return Err(Error::FloorOverrideRequired(format!(
                "bundle {id} was not launched: {} (to go below the margin floor anyway, give the reason)",
                list.join("; ")
            )));
        };
        conn.execute(
            "UPDATE bundles SET override_reason = ?2 WHERE id = ?1",
            params![id, reason],
        )?;
    }
    let b = get(conn, id)?;
    let d = discount(conn, shop, &b.file, now)?;
    let why = Why {
        playbook: "promotions".into(),
        reason: match &b.override_reason {
            Some(r) => format!(
                "bundle {id}: {} (margin floor overridden: {r})",
                b.file.name
            ),
            None => format!("bundle {id}: {}", b.file.name),
        },
    };
    let mut own = |batch: i64| -> Result<()> {
        conn.execute(
            "UPDATE bundles SET launch_batch = ?2, launched_at = ?3, status = 'live' WHERE id = ?1",
            params![id, batch, fmt_utc(now)],
        )?;
        Ok(())
    };
    let disown = || -> Result<()> {
        conn.execute(
            "UPDATE bundles SET launch_batch = NULL, launched_at = NULL, status = 'draft' WHERE id = ?1",
            [id],
        )?;
        Ok(())
    };
    crate::promotions::push::push_all_or_nothing(
        conn,
        sf,
        vec![Change {
            target: Target::Discount { id: None },
            label: format!("Discount \"{}\" (bundle {id})", d.title),
            value: Value::Discount(Some(d)),
        }],
        &why,
        now,
        &mut own,
        &disown,
        "the bundle is not live",
    )?;
    get(conn, id)
}

/// Takes a live bundle off the storefront (reverting its discount).
pub fn end(
    conn: &Connection,
    sf: &mut dyn Storefront,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Bundle> {
    let b = get(conn, id)?;
    if b.status != BundleStatus::Live {
        return Err(Error::InvalidArgument(format!(
            "bundle {id} is {}; only a live bundle is ended",
            b.status
        )));
    }
    if let Some(batch) = b.launch_batch {
        journal::revert(conn, sf, RevertScope::Batch(batch), false, now)?;
    }
    conn.execute(
        "UPDATE bundles SET status = 'ended', ended_at = ?2 WHERE id = ?1",
        params![id, fmt_utc(now)],
    )?;
    get(conn, id)
}

/// Ends live bundles whose discount the storefront no longer has (as the
/// last sync saw it) or whose end has come (the storefront stops it then).
pub fn settle(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Settled>> {
    let stamp = fmt_utc(now);
    let mut done = Vec::new();
    for b in list(conn)? {
        let (BundleStatus::Live, Some(batch)) = (b.status, b.launch_batch) else {
            continue;
        };
        let what = match upstream(conn, batch)? {
            Upstream::Gone => "its discount was deleted on the storefront; the bundle is off",
            Upstream::EndsAt(Some(end)) if end <= stamp => "it reached its end",
            _ => continue,
        };
        conn.execute(
            "UPDATE bundles SET status = 'ended', ended_at = ?2 WHERE id = ?1",
            params![b.id, stamp],
        )?;
        done.push(Settled {
            kind: SettledKind::Bundle,
            event: SettledEvent::Ended,
            id: b.id,
            name: b.file.name.clone(),
            what: what.into(),
        });
    }
    for d in &done {
        tracing::info!(kind = d.kind.as_str(), id = d.id, "{}", d.what);
    }
    Ok(done)
}
