//! The book as stored: plans, subscriptions and skipped renewals; reading
//! them for the metrics, and the owner's pause, skip, resume and cancel.

use super::calendar::{IntervalUnit, SubscriptionStatus, Terms};
use super::metrics::Sub;
use crate::error::{Error, Result};
use crate::time::{fmt_day, fmt_utc};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// One subscription. Dates are the shop's local days (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Subscription {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    /// Its id where it came from.
    pub external_id: String,
    pub source: String,
    /// The customer as the file names them.
    pub customer: String,
    pub email: Option<String>,
    pub plan: String,
    pub status: SubscriptionStatus,
    pub started_on: String,
    pub cancelled_on: Option<String>,
    pub cancel_reason: Option<String>,
    pub paused_until: Option<String>,
    pub interval: IntervalUnit,
    pub interval_count: u32,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    pub currency: String,
    pub next_renewal_on: Option<String>,
    /// Renewals the owner skipped.
    pub skipped: Vec<String>,
    /// The next renewal due from today: not paused, not skipped (none:
    /// cancelled, or none set).
    pub next_due: Option<String>,
}

impl Subscription {
    /// Fills [`Subscription::next_due`] as of `today`.
    pub fn with_next_due(mut self, today: NaiveDate) -> Result<Subscription> {
        let terms = self.terms()?;
        let until = today + chrono::Days::new(3 * 366 * terms.count as u64 + 400);
        self.next_due = terms
            .renewals(today, until)
            .into_iter()
            .map(fmt_day)
            .find(|d| !self.skipped.contains(d));
        Ok(self)
    }

    /// Its terms, for the calendar and the metrics.
    pub fn terms(&self) -> Result<Terms> {
        let day = |t: &str| crate::time::parse_day(t);
        let opt = |t: &Option<String>| t.as_deref().map(day).transpose();
        Ok(Terms {
            status: self.status,
            started_on: day(&self.started_on)?,
            cancelled_on: opt(&self.cancelled_on)?,
            paused_until: opt(&self.paused_until)?,
            unit: self.interval,
            count: self.interval_count,
            next_renewal_on: opt(&self.next_renewal_on)?,
        })
    }
}

const SELECT: &str =
    "SELECT s.id, s.external_id, s.source, s.customer_ref, s.email, p.name, s.status,
        s.started_on, s.cancelled_on, s.cancel_reason, s.paused_until, s.interval, s.interval_count,
        s.price_minor, s.currency, s.next_renewal_on
     FROM subscriptions s JOIN subscription_plans p ON p.id = s.plan_id";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        id: r.get(0)?,
        external_id: r.get(1)?,
        source: r.get(2)?,
        customer: r.get(3)?,
        email: r.get(4)?,
        plan: r.get(5)?,
        status: r.get(6)?,
        started_on: r.get(7)?,
        cancelled_on: r.get(8)?,
        cancel_reason: r.get(9)?,
        paused_until: r.get(10)?,
        interval: r.get(11)?,
        interval_count: r.get(12)?,
        price_minor: r.get(13)?,
        currency: r.get(14)?,
        next_renewal_on: r.get(15)?,
        skipped: Vec::new(),
        next_due: None,
    })
}

fn skips(conn: &Connection) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT subscription_id, renewal_on FROM subscription_skips ORDER BY renewal_on",
    )?;
    for r in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, day) = r?;
        out.entry(id).or_default().push(day);
    }
    Ok(out)
}

/// Every subscription (with `status` only those), by plan then id.
pub fn list(conn: &Connection, status: Option<SubscriptionStatus>) -> Result<Vec<Subscription>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE ?1 IS NULL OR s.status = ?1 ORDER BY p.name, s.id"
    ))?;
    let mut all: Vec<Subscription> = stmt
        .query_map([status], row)?
        .collect::<rusqlite::Result<_>>()?;
    let mut skipped = skips(conn)?;
    for s in &mut all {
        s.skipped = skipped.remove(&s.id).unwrap_or_default();
    }
    Ok(all)
}

/// The subscriptions in `currency` as the metrics read them.
pub fn for_metrics(conn: &Connection, currency: &str) -> Result<Vec<Sub>> {
    list(conn, None)?
        .into_iter()
        .filter(|s| s.currency == currency)
        .map(|s| {
            Ok(Sub {
                terms: s.terms()?,
                price_minor: s.price_minor,
                plan: s.plan.clone(),
                skips: s
                    .skipped
                    .iter()
                    .map(|d| crate::time::parse_day(d))
                    .collect::<Result<BTreeSet<_>>>()?,
            })
        })
        .collect()
}

/// A subscription by its id in the book or where it came from.
pub fn find(conn: &Connection, id: &str) -> Result<Subscription> {
    let id = id.trim();
    let by_id: Option<i64> = conn
        .query_row(
            "SELECT id FROM subscriptions WHERE external_id = ?1
             UNION ALL SELECT id FROM subscriptions WHERE CAST(id AS TEXT) = ?1 LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(n) = by_id else {
        return Err(Error::NotFound(format!("there is no subscription {id}")));
    };
    let mut s = conn.query_row(&format!("{SELECT} WHERE s.id = ?1"), [n], row)?;
    s.skipped = skips(conn)?.remove(&n).unwrap_or_default();
    Ok(s)
}

fn not_cancelled(s: &Subscription, doing: &str) -> Result<()> {
    if s.status == SubscriptionStatus::Cancelled {
        return Err(Error::InvalidArgument(format!(
            "subscription {} is cancelled{}: it cannot be {doing}",
            s.external_id,
            s.cancelled_on
                .as_deref()
                .map(|d| format!(" (since {d})"))
                .unwrap_or_default()
        )));
    }
    Ok(())
}

/// Pauses until `until` (after `today`): no renewal before that day.
pub fn pause(
    conn: &Connection,
    id: &str,
    until: NaiveDate,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Subscription> {
    let s = find(conn, id)?;
    not_cancelled(&s, "paused")?;
    if until <= today {
        return Err(Error::InvalidArgument(format!(
            "--until {} is not after today ({})",
            fmt_day(until),
            fmt_day(today)
        )));
    }
    conn.execute(
        "UPDATE subscriptions SET status = 'paused', paused_until = ?2, updated_at = ?3 WHERE id = ?1",
        params![s.id, fmt_day(until), fmt_utc(now)],
    )?;
    find(conn, &s.id.to_string())
}

/// Skips the next renewal due on or after `today`.
pub fn skip(
    conn: &Connection,
    id: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(Subscription, String)> {
    let s = find(conn, id)?;
    not_cancelled(&s, "skipped")?;
    let next = s.clone().with_next_due(today)?.next_due.ok_or_else(|| {
        Error::InvalidArgument(format!(
            "subscription {} has no renewal ahead to skip",
            s.external_id
        ))
    })?;
    conn.execute(
        "INSERT INTO subscription_skips (subscription_id, renewal_on, skipped_at) VALUES (?1, ?2, ?3)",
        params![s.id, next, fmt_utc(now)],
    )?;
    Ok((find(conn, &s.id.to_string())?, next))
}

/// Ends a pause now: renewals from `today` on are due again.
pub fn resume(
    conn: &Connection,
    id: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Subscription> {
    let s = find(conn, id)?;
    not_cancelled(&s, "resumed")?;
    if !s.terms()?.paused_on(today) && s.status != SubscriptionStatus::Paused {
        return Err(Error::InvalidArgument(format!(
            "subscription {} is not paused",
            s.external_id
        )));
    }
    conn.execute(
        "UPDATE subscriptions SET status = 'active', paused_until = ?2, updated_at = ?3 WHERE id = ?1",
        params![s.id, fmt_day(today), fmt_utc(now)],
    )?;
    find(conn, &s.id.to_string())
}

/// Cancels today, for `reason`.
pub fn cancel(
    conn: &Connection,
    id: &str,
    reason: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Subscription> {
    let s = find(conn, id)?;
    not_cancelled(&s, "cancelled again")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::InvalidArgument(
            "give the reason for the cancellation (--reason)".into(),
        ));
    }
    conn.execute(
        "UPDATE subscriptions SET status = 'cancelled', cancelled_on = ?2, cancel_reason = ?3, updated_at = ?4 WHERE id = ?1",
        params![s.id, fmt_day(today), reason, fmt_utc(now)],
    )?;
    find(conn, &s.id.to_string())
}

/// Puts a subscription's status, pause, cancellation and skips back as
/// `before` had them (a change the platform refused).
pub fn restore(conn: &Connection, before: &Subscription, now: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE subscriptions SET status = ?2, paused_until = ?3, cancelled_on = ?4, cancel_reason = ?5, updated_at = ?6 WHERE id = ?1",
        params![before.id, before.status, before.paused_until, before.cancelled_on, before.cancel_reason, fmt_utc(now)],
    )?;
    let mut keep =
        conn.prepare("SELECT renewal_on FROM subscription_skips WHERE subscription_id = ?1")?;
    let now_skipped: Vec<String> = keep
        .query_map([before.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for day in now_skipped.iter().filter(|d| !before.skipped.contains(d)) {
        conn.execute(
            "DELETE FROM subscription_skips WHERE subscription_id = ?1 AND renewal_on = ?2",
            params![before.id, day],
        )?;
    }
    Ok(())
}

/// One plan with its subscribers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SubscriptionPlan"))]
pub struct Plan {
    pub name: String,
    /// Active today (paused ones included).
    pub active: u32,
    pub paused: u32,
    /// The plan's share of today's MRR, minor units.
    #[cfg_attr(test, ts(type = "number"))]
    pub mrr_minor: i64,
}

/// Every plan with its subscribers on `today` (in `currency`).
pub fn plans(conn: &Connection, currency: &str, today: NaiveDate) -> Result<Vec<Plan>> {
    let mut names: Vec<String> = conn
        .prepare("SELECT name FROM subscription_plans ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names.dedup();
    let subs = for_metrics(conn, currency)?;
    Ok(names
        .into_iter()
        .map(|name| {
            let mine: Vec<Sub> = subs.iter().filter(|s| s.plan == name).cloned().collect();
            let m = super::metrics::month(&mine, today, today);
            Plan {
                name,
                active: m.active_end,
                paused: m.paused_end,
                mrr_minor: m.mrr_minor,
            }
        })
        .collect())
}

/// One subscription as an import or a sync writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookRow {
    pub external_id: String,
    pub customer_ref: String,
    pub customer_id: Option<i64>,
    pub email: Option<String>,
    pub plan: String,
    pub status: SubscriptionStatus,
    pub started_on: NaiveDate,
    pub cancelled_on: Option<NaiveDate>,
    /// Kept as the book has it when `None`.
    pub cancel_reason: Option<String>,
    pub paused_until: Option<NaiveDate>,
    pub unit: IntervalUnit,
    pub count: u32,
    pub price_minor: i64,
    pub currency: String,
    pub next_renewal_on: Option<NaiveDate>,
}

/// Writes `row` from `source` (its plan made when new); `false`: the book
/// held it as it is already.
pub fn write(conn: &Connection, source: &str, row: &BookRow, now: &str) -> Result<bool> {
    conn.prepare_cached(
        "INSERT INTO subscription_plans (name, created_at) VALUES (?1, ?2)
         ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![row.plan, now])?;
    let fmt = |d: Option<NaiveDate>| d.map(fmt_day);
    let changed = conn
        .prepare_cached(
            "INSERT INTO subscriptions (source, external_id, customer_ref, customer_id, email,
                plan_id, status, started_on, cancelled_on, cancel_reason, paused_until, interval,
                interval_count, price_minor, currency, next_renewal_on, updated_at)
             VALUES (?16, ?1, ?2, ?3, ?4, (SELECT id FROM subscription_plans WHERE name = ?5),
                ?6, ?7, ?8, ?17, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (source, external_id) DO UPDATE SET
                customer_ref = excluded.customer_ref, customer_id = excluded.customer_id,
                email = excluded.email, plan_id = excluded.plan_id, status = excluded.status,
                started_on = excluded.started_on, cancelled_on = excluded.cancelled_on,
                cancel_reason = coalesce(excluded.cancel_reason, cancel_reason),
                paused_until = excluded.paused_until, interval = excluded.interval,
                interval_count = excluded.interval_count, price_minor = excluded.price_minor,
                currency = excluded.currency, next_renewal_on = excluded.next_renewal_on,
                updated_at = excluded.updated_at
             WHERE (customer_ref, customer_id, email, plan_id, status, started_on, cancelled_on,
                    paused_until, interval, interval_count, price_minor, currency, next_renewal_on)
                IS NOT (excluded.customer_ref, excluded.customer_id, excluded.email,
                    excluded.plan_id, excluded.status, excluded.started_on,
                    excluded.cancelled_on, excluded.paused_until, excluded.interval,
                    excluded.interval_count, excluded.price_minor, excluded.currency,
                    excluded.next_renewal_on)
                OR excluded.cancel_reason IS NOT NULL AND excluded.cancel_reason IS NOT cancel_reason",
        )?
        .execute(params![
            row.external_id,
            row.customer_ref,
            row.customer_id,
            row.email,
            row.plan,
            row.status,
            fmt(Some(row.started_on)),
            fmt(row.cancelled_on),
            fmt(row.paused_until),
            row.unit,
            row.count,
            row.price_minor,
            row.currency,
            fmt(row.next_renewal_on),
            now,
            source,
            row.cancel_reason,
        ])?;
    Ok(changed > 0)
}

/// One renewal on the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct CalendarRenewal {
    pub subscription: String,
    pub customer: String,
    pub plan: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    pub currency: String,
    /// The owner skipped it.
    pub skipped: bool,
}

/// A day of the renewal calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct CalendarDay {
    /// Shop-local, `YYYY-MM-DD`.
    pub day: String,
    pub renewals: Vec<CalendarRenewal>,
}

/// The renewals falling in `first..=last`, by day (paused ones are not
/// renewals; skipped ones are shown as such), days without any left out.
pub fn calendar(conn: &Connection, first: NaiveDate, last: NaiveDate) -> Result<Vec<CalendarDay>> {
    let mut days: std::collections::BTreeMap<NaiveDate, Vec<CalendarRenewal>> = Default::default();
    for s in list(conn, None)? {
        for d in s.terms()?.renewals(first, last) {
            days.entry(d).or_default().push(CalendarRenewal {
                subscription: s.external_id.clone(),
                customer: s.customer.clone(),
                plan: s.plan.clone(),
                price_minor: s.price_minor,
                currency: s.currency.clone(),
                skipped: s.skipped.contains(&fmt_day(d)),
            });
        }
    }
    Ok(days
        .into_iter()
        .map(|(d, renewals)| CalendarDay {
            day: fmt_day(d),
            renewals,
        })
        .collect())
}
