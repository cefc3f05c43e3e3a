//! The book from Shopify's subscription contracts (where the connected app
//! has the scopes): each contract one subscription, source `shopify`, its
//! dates on the shop's local days.

use super::book::{self, BookRow};
use super::calendar::{IntervalUnit, SubscriptionStatus};
use crate::error::Result;
use crate::storefront::shopify::subscriptions::Contract;
use crate::time::{fmt_utc, parse_utc};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde::Serialize;

/// What a sync of the contracts did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ContractsSynced {
    pub contracts: u32,
    /// New or changed in the book.
    pub written: u32,
    pub unchanged: u32,
    /// Contracts the book cannot hold, with why.
    pub left_out: Vec<String>,
}

fn day(utc: &str, tz: chrono_tz::Tz) -> Result<NaiveDate> {
    Ok(parse_utc(utc)?.with_timezone(&tz).date_naive())
}

/// The book row of a contract; `Err(reason)` when the book cannot hold it.
pub fn row(
    conn: &Connection,
    c: &Contract,
    tz: chrono_tz::Tz,
) -> Result<std::result::Result<BookRow, String>> {
    let (unit, count) = match (c.interval.as_str(), c.interval_count) {
        ("WEEK", n) => (IntervalUnit::Week, n),
        ("MONTH", n) => (IntervalUnit::Month, n),
        ("YEAR", n) => (IntervalUnit::Year, n),
        ("DAY", n) if n % 7 == 0 && n > 0 => (IntervalUnit::Week, n / 7),
        (i, n) => {
            return Ok(Err(format!(
                "{}: billed every {n} {}; the book keeps weeks, months and years",
                c.id,
                i.to_ascii_lowercase()
            )))
        }
    };
    let status = match c.status.as_str() {
        "ACTIVE" => SubscriptionStatus::Active,
        "PAUSED" => SubscriptionStatus::Paused,
        "FAILED" => SubscriptionStatus::PastDue,
        "CANCELLED" | "EXPIRED" => SubscriptionStatus::Cancelled,
        other => return Ok(Err(format!("{}: status {other} is not known", c.id))),
    };
    let started = day(&c.created_at, tz)?;
    let cancelled = (status == SubscriptionStatus::Cancelled)
        .then(|| day(&c.updated_at, tz))
        .transpose()?
        .map(|d| d.max(started));
    let next = match (&c.next_billing_at, status) {
        (_, SubscriptionStatus::Cancelled) | (None, _) => None,
        (Some(t), _) => Some(day(t, tz)?),
    };
    let customer_id = match &c.customer_id {
        Some(gid) => crate::loyalty::store::customer_id(conn, gid)?,
        None => None,
    };
    let customer_id = match (customer_id, &c.email) {
        (None, Some(e)) => crate::loyalty::store::customer_id(conn, e)?,
        (id, _) => id,
    };
    Ok(Ok(BookRow {
        external_id: c.id.clone(),
        customer_ref: c
            .customer_name
            .clone()
            .or_else(|| c.email.clone())
            .or_else(|| c.customer_id.clone())
            .unwrap_or_else(|| "(no customer)".into()),
        customer_id,
        email: c.email.clone(),
        plan: c.plan.clone(),
        status,
        started_on: started,
        cancelled_on: cancelled,
        cancel_reason: (c.status == "EXPIRED").then(|| "expired".to_string()),
        paused_until: None,
        unit,
        count,
        price_minor: c.price_minor,
        currency: c.currency.clone(),
        next_renewal_on: next,
    }))
}

/// Writes every contract into the book, in one transaction.
pub fn write(
    conn: &Connection,
    contracts: &[Contract],
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<ContractsSynced> {
    let stamp = fmt_utc(now);
    let tx = conn.unchecked_transaction()?;
    let mut out = ContractsSynced {
        contracts: contracts.len() as u32,
        written: 0,
        unchanged: 0,
        left_out: Vec::new(),
    };
    for c in contracts {
        match row(&tx, c, tz)? {
            Ok(r) => {
                if book::write(&tx, "shopify", &r, &stamp)? {
                    out.written += 1;
                } else {
                    out.unchanged += 1;
                }
            }
            Err(why) => out.left_out.push(why),
        }
    }
    tx.commit()?;
    Ok(out)
}
