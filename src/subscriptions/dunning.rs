//! Dunning: what to do about each failed renewal. A subscription is past
//! due when its renewal failed; the plan retries it after the days it
//! lists (1, 3 and 7 unless the owner sets others), counted from the failed
//! renewal, then skips the renewal, pauses or cancels. The queue gives each
//! past-due subscription its next action and day; the contact list is its
//! customers, with the owner's "contacted" marks.

use super::book::{self, Subscription};
use crate::error::{Error, Result};
use crate::time::{fmt_day, fmt_utc};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// The owner's dunning plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct DunningPlan {
    /// Days after the failed renewal to retry it, rising.
    pub retry_days: Vec<u32>,
    /// After the last retry: `skip`, `pause` or `cancel`.
    pub final_action: String,
}

impl Default for DunningPlan {
    fn default() -> Self {
        DunningPlan {
            retry_days: vec![1, 3, 7],
            final_action: "pause".into(),
        }
    }
}

impl DunningPlan {
    fn check(&self) -> Result<()> {
        if self.retry_days.is_empty() || self.retry_days.len() > 10 {
            return Err(Error::field(
                "Retry after (days)",
                "give 1 to 10 days, such as 1, 3, 7.",
            ));
        }
        if self.retry_days.windows(2).any(|w| w[1] <= w[0]) || self.retry_days[0] == 0 {
            return Err(Error::field(
                "Retry after (days)",
                "give whole days of 1 or more, each later than the one before (1, 3, 7).",
            ));
        }
        if !matches!(self.final_action.as_str(), "skip" | "pause" | "cancel") {
            return Err(Error::field("Then", "choose skip, pause or cancel."));
        }
        Ok(())
    }

    /// The stored plan (the default until the owner sets one).
    pub fn load(conn: &Connection) -> Result<DunningPlan> {
        let row: Option<(String, String)> = conn
            .query_row(
                "SELECT retry_days, final_action FROM subscription_dunning WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((days, action)) => DunningPlan {
                retry_days: serde_json::from_str(&days).unwrap_or_default(),
                final_action: action,
            },
            None => DunningPlan::default(),
        })
    }

    /// Replaces the stored plan.
    pub fn save(&self, conn: &Connection, now: DateTime<Utc>) -> Result<()> {
        self.check()?;
        conn.execute(
            "INSERT INTO subscription_dunning (id, retry_days, final_action, updated_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET retry_days = excluded.retry_days,
                final_action = excluded.final_action, updated_at = excluded.updated_at",
            params![serde_json::to_string(&self.retry_days).expect("days serialise"), self.final_action, fmt_utc(now)],
        )?;
        Ok(())
    }
}

/// One past-due subscription and what comes next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Dunned {
    pub subscription: Subscription,
    /// The renewal that failed: the last one due on or before today (none:
    /// the platform has already set the next try, `next_renewal_on`).
    pub failed_on: Option<String>,
    /// `retry`, or the plan's final action.
    pub next_action: String,
    /// The day of the next action (shop-local).
    pub next_on: Option<String>,
    /// Retries left after the next action.
    pub retries_left: u32,
    /// When the owner last marked the customer contacted (UTC).
    pub contacted_at: Option<String>,
}

/// The queue: every past-due subscription, soonest action first.
pub fn queue(conn: &Connection, today: NaiveDate) -> Result<Vec<Dunned>> {
    let plan = DunningPlan::load(conn)?;
    let mut out = Vec::new();
    for s in book::list(conn, Some(super::calendar::SubscriptionStatus::PastDue))? {
        let terms = s.terms()?;
        let failed = terms
            .renewals(today - Days::new(400), today)
            .into_iter()
            .rev()
            .find(|d| !s.skipped.contains(&fmt_day(*d)));
        let (next_action, next_on, retries_left) = match failed {
            None => (
                "retry".to_string(),
                s.next_renewal_on.clone(),
                plan.retry_days.len() as u32,
            ),
            Some(f) => {
                let days: Vec<NaiveDate> = plan
                    .retry_days
                    .iter()
                    .map(|d| f + Days::new(*d as u64))
                    .collect();
                match days.iter().position(|d| *d >= today) {
                    Some(i) => (
                        "retry".to_string(),
                        Some(fmt_day(days[i])),
                        (days.len() - i - 1) as u32,
                    ),
                    None => (
                        plan.final_action.clone(),
                        Some(fmt_day(today.max(*days.last().expect("a plan has days")))),
                        0,
                    ),
                }
            }
        };
        let contacted_at: Option<String> = conn.query_row(
            "SELECT max(contacted_at) FROM subscription_contacts WHERE subscription_id = ?1",
            [s.id],
            |r| r.get(0),
        )?;
        out.push(Dunned {
            failed_on: failed.map(fmt_day),
            next_action,
            next_on,
            retries_left,
            contacted_at,
            subscription: s.with_next_due(today)?,
        });
    }
    out.sort_by(|a, b| {
        a.next_on
            .cmp(&b.next_on)
            .then(a.subscription.id.cmp(&b.subscription.id))
    });
    Ok(out)
}

/// Marks a past-due subscription's customer contacted now.
pub fn mark_contacted(
    conn: &Connection,
    id: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let s = book::find(conn, id)?;
    if s.status != super::calendar::SubscriptionStatus::PastDue {
        return Err(Error::InvalidArgument(format!(
            "subscription {} is {}: only a past-due one is chased",
            s.external_id, s.status
        )));
    }
    conn.execute(
        "INSERT OR REPLACE INTO subscription_contacts (subscription_id, contacted_at, note) VALUES (?1, ?2, ?3)",
        params![s.id, fmt_utc(now), note.map(str::trim).filter(|n| !n.is_empty())],
    )?;
    Ok(())
}

/// The contact list as CSV: `subscription_id,customer,email,plan,failed_on,next_action,next_on,contacted_at`.
pub fn contacts_csv(queue: &[Dunned]) -> Result<String> {
    super::csv_text(
        "the contact list",
        &[
            "subscription_id",
            "customer",
            "email",
            "plan",
            "failed_on",
            "next_action",
            "next_on",
            "contacted_at",
        ],
        queue.iter().map(|d| {
            let s = &d.subscription;
            vec![
                s.external_id.as_str(),
                s.customer.as_str(),
                s.email.as_deref().unwrap_or(""),
                s.plan.as_str(),
                d.failed_on.as_deref().unwrap_or(""),
                d.next_action.as_str(),
                d.next_on.as_deref().unwrap_or(""),
                d.contacted_at.as_deref().unwrap_or(""),
            ]
        }),
    )
}
