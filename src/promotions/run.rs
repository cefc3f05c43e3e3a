//! Launching and ending sales through the change journal.
//!
//! - **Discount mode** pushes storefront discounts carrying the sale's start
//!   and end: the platform starts and ends the sale itself, whether or not
//!   Merchant Desk is running. Ending early reverts (deletes) them.
//! - **Price mode** sets each price to the sale price with the old price as
//!   compare-at. No platform ends that: Merchant Desk launches it at its
//!   start and reverts it at its end whenever it runs ([`settle`]), and a
//!   sale found past its end on the next start is reverted at once.

use super::push::{push_all_or_nothing, upstream, Settled, SettledEvent, SettledKind, Upstream};
use super::sale::{self, Sale, SaleMode};
use crate::error::{Error, Result};
use crate::journal::{self, Change, RevertScope, Why};
use crate::store::Shop;
use crate::storefront::{
    Discount, DiscountMethod, DiscountValue, Items, Minimum, Price, Storefront, Target, Value,
};
use crate::time::{fmt_utc, parse_utc};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// The journal changes that put `s` on the storefront.
pub fn changes(
    conn: &Connection,
    shop: &Shop,
    s: &Sale,
    now: DateTime<Utc>,
) -> Result<Vec<Change>> {
    let items = sale::items(conn, shop, &s.file)?;
    let money = |m: i64| crate::money::format_major(m, &shop.currency);
    Ok(match s.file.mode {
        SaleMode::Price => items
            .iter()
            .map(|i| Change {
                target: Target::VariantPrice {
                    product: i.product_external.clone(),
                    variant: i.variant_external.clone(),
                },
                label: format!("Price of {} (sale {})", i.sku, s.id),
                value: Value::Price(Price {
                    price_minor: i.sale_minor,
                    // The old price shows as "was"; a higher "was" stays.
                    compare_at_minor: Some(i.compare_at_minor.unwrap_or(0).max(i.price_minor)),
                }),
            })
            .collect(),
        SaleMode::Discount => {
            // One discount for a percentage or an amount; a fixed sale
            // price is an amount off that differs by item, so one discount
            // per distinct amount.
            let mut groups: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            let value_of = |i: &sale::SaleItem| match s.file.discount.percent {
                Some(p) => p.0,
                None => i.price_minor - i.sale_minor,
            };
            for i in &items {
                groups
                    .entry(value_of(i))
                    .or_default()
                    .push(i.variant_external.clone());
            }
            let several = groups.len() > 1;
            let discount = |title: String,
                            value: i64,
                            variants: Vec<String>,
                            code: Option<String>,
                            window: (&str, &str),
                            customers: Vec<String>| Discount {
                title,
                method: if code.is_some() {
                    DiscountMethod::Code
                } else {
                    DiscountMethod::Automatic
                },
                code,
                value: match s.file.discount.percent {
                    Some(_) => DiscountValue::Percentage {
                        basis_points: value,
                    },
                    None => DiscountValue::Amount {
                        amount_minor: value,
                        each_item: true,
                    },
                },
                minimum: Minimum::None,
                items: Items::Some {
                    products: Vec::new(),
                    variants,
                },
                starts_at: window.0.to_string(),
                ends_at: Some(window.1.to_string()),
                usage_limit: None,
                once_per_customer: s.file.per_customer_limit == Some(1),
                customers,
            };
            let mut out: Vec<Change> = groups
                .iter()
                .map(|(value, variants)| {
                    let title = if several {
                        format!("{} ({} off)", s.file.name, money(*value))
                    } else {
                        s.file.name.clone()
                    };
                    Change {
                        target: Target::Discount { id: None },
                        label: format!("Discount \"{title}\" (sale {})", s.id),
                        value: Value::Discount(Some(discount(
                            title,
                            *value,
                            variants.clone(),
                            s.file.code.clone(),
                            (&s.starts_at, &s.ends_at),
                            Vec::new(),
                        ))),
                    }
                })
                .collect();
            // Early access: each plan that brings it gets a code of its
            // own at the sale's price, for its customers alone, from the
            // hours before the public start until it.
            for (plan, hours, customers) in early_access(conn, shop, now)? {
                let opens = parse_utc(&s.starts_at)? - chrono::Duration::hours(hours.into());
                let opens = fmt_utc(opens.max(now));
                if opens >= s.starts_at {
                    continue;
                }
                for (n, (value, variants)) in groups.iter().enumerate() {
                    let mut code =
                        crate::subscriptions::gating::code(&plan, &format!("EARLY-{}", s.id));
                    if several {
                        code.push_str(&format!("-{}", n + 1));
                    }
                    let title = format!("{}: early access for {plan}", s.file.name);
                    out.push(Change {
                        target: Target::Discount { id: None },
                        label: format!("Early access code {code} (sale {})", s.id),
                        value: Value::Discount(Some(discount(
                            title,
                            *value,
                            variants.clone(),
                            Some(code),
                            (&opens, &s.starts_at),
                            customers.clone(),
                        ))),
                    });
                }
            }
            out
        }
    })
}

/// The plans that bring early access to sales, with their hours and their
/// customers today (plans without customers left out).
pub fn early_access(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
) -> Result<Vec<(String, u32, Vec<String>)>> {
    let setup = crate::subscriptions::setup::Setup::load(conn)?;
    let today = shop.today(now)?;
    let mut out = Vec::new();
    for p in setup.plans.iter().filter(|p| p.early_access_hours > 0) {
        let customers = crate::subscriptions::tags::members(conn, &p.name, today)?;
        if !customers.is_empty() {
            out.push((p.name.clone(), p.early_access_hours, customers));
        }
    }
    Ok(out)
}

/// Marks a sale ended at `at` (UTC text).
fn ended(conn: &Connection, id: i64, at: &str) -> Result<()> {
    conn.execute(
        "UPDATE sales SET status = 'ended', ended_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

fn set_status(conn: &Connection, id: i64, status: &str) -> Result<()> {
    conn.execute(
        "UPDATE sales SET status = ?2 WHERE id = ?1",
        params![id, status],
    )?;
    Ok(())
}

fn push(
    conn: &Connection,
    shop: &Shop,
    sf: &mut dyn Storefront,
    s: &Sale,
    now: DateTime<Utc>,
) -> Result<i64> {
    let why = Why {
        playbook: "promotions".into(),
        reason: match &s.override_reason {
            Some(r) => format!(
                "sale {}: {} (margin floor overridden: {r})",
                s.id, s.file.name
            ),
            None => format!("sale {}: {}", s.id, s.file.name),
        },
    };
    // The batch is the sale's from the moment it is journaled: if the app
    // stops mid-push, `settle` finds it and settles it, never sends it again.
    let mut own = |batch: i64| -> Result<()> {
        conn.execute(
            "UPDATE sales SET launch_batch = ?2, launched_at = ?3 WHERE id = ?1",
            params![s.id, batch, fmt_utc(now)],
        )?;
        Ok(())
    };
    let disown = || -> Result<()> {
        conn.execute(
            "UPDATE sales SET launch_batch = NULL, launched_at = NULL WHERE id = ?1",
            [s.id],
        )?;
        Ok(())
    };
    push_all_or_nothing(
        conn,
        sf,
        changes(conn, shop, s, now)?,
        &why,
        now,
        &mut own,
        &disown,
        "nothing of the sale is live",
    )
}

/// Launches a draft sale: refused when `check` finds an error, unless every
/// error is the margin floor's and `override_reason` says why.
pub fn launch(
    conn: &Connection,
    shop: &Shop,
    sf: &mut dyn Storefront,
    id: i64,
    override_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Sale> {
    let s = sale::get(conn, id)?;
    if s.status != "draft" {
        return Err(Error::InvalidArgument(format!(
            "sale {id} is {}; only a draft is launched",
            s.status
        )));
    }
    if s.launch_batch.is_some() {
        return Err(Error::InvalidArgument(format!(
            "an earlier launch of sale {id} was interrupted; list the sales to settle it first"
        )));
    }
    let report = sale::check(conn, shop, &s.file, Some(id), now)?;
    let errors: Vec<&sale::Problem> = report
        .problems
        .iter()
        .filter(|p| p.severity == "error")
        .collect();
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if !errors.is_empty() {
        let floor_only = errors.iter().all(|p| p.overridable);
        if !(floor_only && reason.is_some()) {
            let list: Vec<&str> = errors.iter().map(|p| p.message.as_str()).collect();
            let list = list.join("; ");
            return Err(if floor_only {
                Error::FloorOverrideRequired(format!(
                    "sale {id} was not launched: {list} (to go below the margin floor anyway, give the reason)"
                ))
            } else {
                Error::InvalidArgument(format!("sale {id} was not launched: {list}"))
            });
        }
        conn.execute(
            "UPDATE sales SET override_reason = ?2 WHERE id = ?1",
            params![id, reason],
        )?;
        tracing::warn!(sale = id, reason, "margin floor overridden");
    }
    let s = sale::get(conn, id)?;
    let starts_later = s.starts_at > fmt_utc(now);
    match (s.file.mode, starts_later) {
        // The app launches a price-mode sale at its start.
        (SaleMode::Price, true) => set_status(conn, id, "scheduled")?,
        _ => {
            push(conn, shop, sf, &s, now)?;
            set_status(conn, id, if starts_later { "scheduled" } else { "live" })?;
        }
    }
    tracing::info!(sale = id, "sale launched");
    sale::get(conn, id)
}

/// Ends a scheduled or live sale now, reverting what it changed exactly.
pub fn end(
    conn: &Connection,
    sf: &mut dyn Storefront,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Sale> {
    let s = sale::get(conn, id)?;
    if !matches!(s.status.as_str(), "scheduled" | "live") {
        return Err(Error::InvalidArgument(format!(
            "sale {id} is {}; only a scheduled or live sale is ended",
            s.status
        )));
    }
    revert(conn, sf, &s, false, now)?;
    let status = if fmt_utc(now) >= s.ends_at {
        "ended"
    } else {
        "reverted"
    };
    conn.execute(
        "UPDATE sales SET status = ?2, ended_at = ?3 WHERE id = ?1",
        params![id, status, fmt_utc(now)],
    )?;
    tracing::info!(sale = id, status, "sale ended");
    sale::get(conn, id)
}

/// Confirmed changes of a batch still in place.
fn confirmed(conn: &Connection, batch: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM journal WHERE batch_id = ?1 AND status = 'confirmed'",
        [batch],
        |r| r.get(0),
    )?)
}

/// Takes the sale's launch off the storefront; `force` also takes back a
/// value changed there since (a discount whose end the owner removed).
fn revert(
    conn: &Connection,
    sf: &mut dyn Storefront,
    s: &Sale,
    force: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    // An end interrupted after its revert went out has nothing left to do.
    if let Some(batch) = s
        .launch_batch
        .filter(|b| confirmed(conn, *b).unwrap_or(0) > 0)
    {
        let entries = journal::revert(conn, sf, RevertScope::Batch(batch), force, now)?;
        if let Some(e) = entries.first() {
            conn.execute(
                "UPDATE sales SET end_batch = ?2 WHERE id = ?1",
                params![s.id, e.batch],
            )?;
        }
    }
    Ok(())
}

/// Brings every sale up to `now`: discount-mode sales go live and end on
/// the platform's own clock; price-mode sales are launched at their start
/// and reverted at their end, or at once when found past it (the app was
/// closed). Runs at start and whenever sales are listed.
pub fn settle(
    conn: &Connection,
    shop: &Shop,
    sf: &mut dyn Storefront,
    now: DateTime<Utc>,
) -> Result<Vec<Settled>> {
    // Pushes the app was stopped in the middle of are settled first.
    journal::reconcile(conn, sf)?;
    let stamp = fmt_utc(now);
    let mut done = Vec::new();
    // Launches the app was stopped in the middle of: on if every change
    // reached the store, else taken back. Never sent twice.
    for s in sale::list(conn)? {
        let note = |event: SettledEvent, what: String| Settled {
            kind: SettledKind::Sale,
            event,
            id: s.id,
            name: s.file.name.clone(),
            what,
        };
        if let (Some(batch), "draft") = (s.launch_batch, s.status.as_str()) {
            let (all, ok, pending): (i64, i64, i64) = conn.query_row(
                "SELECT count(*), sum(status = 'confirmed'), sum(status = 'pending') FROM journal WHERE batch_id = ?1",
                [batch],
                |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0), r.get::<_, Option<i64>>(2)?.unwrap_or(0))),
            )?;
            if pending > 0 {
                continue; // still unknown: the store could not be asked
            }
            if ok == all && all > 0 {
                set_status(
                    conn,
                    s.id,
                    if stamp >= s.starts_at {
                        "live"
                    } else {
                        "scheduled"
                    },
                )?;
                done.push(note(
                    SettledEvent::Started,
                    "an interrupted launch had reached the store: the sale is on".into(),
                ));
                continue;
            }
            if ok > 0 {
                journal::revert(conn, sf, RevertScope::Batch(batch), true, now)?;
            }
            conn.execute(
                "UPDATE sales SET launch_batch = NULL, launched_at = NULL WHERE id = ?1",
                [s.id],
            )?;
            done.push(note(SettledEvent::Changed,
                "an interrupted launch did not fully reach the store and was taken back; it is a draft again".into(),
            ));
        }
    }
    for s in sale::list(conn)? {
        let note = |event: SettledEvent, what: String| Settled {
            kind: SettledKind::Sale,
            event,
            id: s.id,
            name: s.file.name.clone(),
            what,
        };
        // A stock cap the storefront does not count: the units synced in
        // since the start end the sale when they reach it.
        if let (Some(cap), "live") = (s.file.stock_cap, s.status.as_str()) {
            let sold = sale::units_sold(conn, shop, &s, &stamp)?;
            if sold >= cap {
                revert(conn, sf, &s, false, now)?;
                ended(conn, s.id, &stamp)?;
                done.push(note(
                    SettledEvent::StockCap,
                    format!(
                    "its stock cap of {cap} units was reached ({sold} sold); ended and reverted"
                ),
                ));
                continue;
            }
        }
        // What the last sync saw of a discount sale on the storefront: the
        // owner may have deleted or ended its discounts there.
        let mut open_ended = false;
        if let (SaleMode::Discount, "scheduled" | "live", Some(batch)) =
            (s.file.mode, s.status.as_str(), s.launch_batch)
        {
            match upstream(conn, batch)? {
                Upstream::Gone => {
                    ended(conn, s.id, &stamp)?;
                    done.push(note(
                        SettledEvent::Ended,
                        "its discount was deleted on the storefront; the sale is over".into(),
                    ));
                    continue;
                }
                Upstream::EndsAt(Some(end)) if end != s.ends_at && end <= stamp => {
                    conn.execute(
                        "UPDATE sales SET status = 'ended', ends_at = ?2, ended_at = ?2 WHERE id = ?1",
                        params![s.id, end],
                    )?;
                    done.push(note(
                        SettledEvent::Ended,
                        format!("was ended on the storefront at {end}, before its planned end"),
                    ));
                    continue;
                }
                Upstream::EndsAt(Some(end)) if end != s.ends_at => {
                    conn.execute(
                        "UPDATE sales SET ends_at = ?2 WHERE id = ?1",
                        params![s.id, end],
                    )?;
                    done.push(note(
                        SettledEvent::Changed,
                        format!(
                            "its end was changed on the storefront to {end}; the sale follows it"
                        ),
                    ));
                }
                Upstream::EndsAt(None) => open_ended = true,
                _ => {}
            }
        }
        let s = sale::get(conn, s.id)?;
        let over = stamp >= s.ends_at;
        let started = stamp >= s.starts_at;
        match (s.file.mode, s.status.as_str()) {
            (SaleMode::Discount, "scheduled" | "live") if over && open_ended => {
                // Its end was taken off on the storefront: the app ends it.
                revert(conn, sf, &s, true, now)?;
                ended(conn, s.id, &stamp)?;
                done.push(note(SettledEvent::Ended,
                    "its end had been removed on the storefront; Merchant Desk ended it at its planned end".into(),
                ));
            }
            (SaleMode::Discount, "scheduled") if over => {
                set_status(conn, s.id, "ended")?;
                done.push(note(
                    SettledEvent::Ended,
                    "ended on the storefront at its end time".into(),
                ));
            }
            (SaleMode::Discount, "scheduled") if started => {
                set_status(conn, s.id, "live")?;
                done.push(note(
                    SettledEvent::Started,
                    "started on the storefront at its start time".into(),
                ));
            }
            (SaleMode::Discount, "live") if over => {
                conn.execute(
                    "UPDATE sales SET status = 'ended', ended_at = ends_at WHERE id = ?1",
                    [s.id],
                )?;
                done.push(note(
                    SettledEvent::Ended,
                    "ended on the storefront at its end time".into(),
                ));
            }
            (SaleMode::Price, "scheduled") if over => {
                // Never launched: its whole window passed while the app was closed.
                conn.execute(
                    "UPDATE sales SET status = 'reverted', ended_at = ?2 WHERE id = ?1",
                    params![s.id, stamp],
                )?;
                done.push(note(
                    SettledEvent::Ended,
                    "not launched: its window passed while Merchant Desk was closed".into(),
                ));
            }
            (SaleMode::Price, "scheduled") if started => {
                push(conn, shop, sf, &s, now)?;
                set_status(conn, s.id, "live")?;
                done.push(note(SettledEvent::Started, "launched at its start".into()));
            }
            (SaleMode::Price, "live") if over => {
                let late = (now - crate::time::parse_utc(&s.ends_at)?).num_minutes();
                revert(conn, sf, &s, false, now)?;
                ended(conn, s.id, &stamp)?;
                done.push(note(SettledEvent::Ended, if late > 5 {
                    format!("was still live {late} minutes past its end (Merchant Desk was closed); prices reverted now")
                } else {
                    "ended at its end time; prices reverted".into()
                }));
            }
            _ => {}
        }
    }
    for d in &done {
        tracing::info!(kind = d.kind.as_str(), id = d.id, "{}", d.what);
    }
    Ok(done)
}
