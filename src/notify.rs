//! Notifications: what happened while the owner may not have been looking (a
//! sale started or ended, a stock cap was reached, a background sync failed),
//! kept in the store for the app's notification centre and the log of
//! `merchant-desk watch`. The desktop shell also shows new ones as OS
//! notifications.

use crate::error::Result;
use crate::promotions::{Settled, SettledEvent, SettledKind};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

stored_enum! {
    /// What a notification is about.
    pub enum NoticeKind {
        /// A sale or tier set went live.
        Started = "started",
        /// A sale or tier set ended.
        Ended = "ended",
        /// A sale reached its stock cap and was ended.
        StockCap = "stock_cap",
        /// A sale changed in another way the owner should know.
        Changed = "changed",
        /// A background sync failed.
        SyncFailed = "sync_failed",
        /// Renewals ran ("desk bills").
        Renewals = "renewals",
    }
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Notice {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    /// UTC.
    pub created_at: String,
    pub kind: NoticeKind,
    /// `sale`, `tiers` or `sync`.
    pub subject: String,
    /// The sale's or the tier set's id.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub subject_id: Option<i64>,
    /// One line for people: `Sale “Winter warmers” started`.
    pub title: String,
    /// What happened, in a sentence.
    pub body: String,
    /// Seen in the notification centre.
    pub read: bool,
}

fn add(
    conn: &Connection,
    kind: NoticeKind,
    subject: &str,
    subject_id: Option<i64>,
    title: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Notice> {
    let created_at = fmt_utc(now);
    conn.execute(
        "INSERT INTO notifications (created_at, kind, subject, subject_id, title, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![created_at, kind, subject, subject_id, title, body],
    )?;
    Ok(Notice {
        id: conn.last_insert_rowid(),
        created_at,
        kind,
        subject: subject.into(),
        subject_id,
        title: title.into(),
        body: body.into(),
        read: false,
    })
}

/// Keeps what a background run of the renewals did, when it did anything.
pub fn renewals(
    conn: &Connection,
    run: &crate::subscriptions::renew::RenewRun,
    now: DateTime<Utc>,
) -> Result<Option<Notice>> {
    let done = run.billed + run.failed + run.dunning.len() as u32;
    if done == 0 {
        return Ok(None);
    }
    let mut parts = vec![format!("{} billed", run.billed)];
    if run.failed > 0 {
        parts.push(format!(
            "{} payment{} failed",
            run.failed,
            if run.failed == 1 { "" } else { "s" }
        ));
    }
    for d in &run.dunning {
        parts.push(format!(
            "{} {} after its last retry",
            d.subscription,
            match d.action.as_str() {
                "skip" => "skipped a renewal",
                "cancel" => "was cancelled",
                _ => "was paused",
            }
        ));
    }
    if run.refused > 0 {
        parts.push(format!("{} not sent (see Subscriptions)", run.refused));
    }
    add(
        conn,
        NoticeKind::Renewals,
        "subscriptions",
        None,
        "Renewals ran",
        &format!("{}.", parts.join(", ")),
        now,
    )
    .map(Some)
}

/// Keeps what settling did as notifications.
pub fn settled(conn: &Connection, done: &[Settled], now: DateTime<Utc>) -> Result<Vec<Notice>> {
    done.iter()
        .map(|d| {
            let (subject, noun) = match d.kind {
                SettledKind::Sale => ("sale", "Sale"),
                SettledKind::Tiers => ("tiers", "Tiers"),
                SettledKind::Bundle => ("bundle", "Bundle"),
            };
            let (kind, verb) = match d.event {
                SettledEvent::Started => (NoticeKind::Started, "started"),
                SettledEvent::Ended => (NoticeKind::Ended, "ended"),
                SettledEvent::StockCap => (NoticeKind::StockCap, "reached its stock cap"),
                SettledEvent::Changed => (NoticeKind::Changed, "changed"),
            };
            let title = format!("{noun} “{}” {verb}", d.name);
            let body = format!("{}.", capitalised(&d.what));
            add(conn, kind, subject, Some(d.id), &title, &body, now)
        })
        .collect()
}

/// Keeps a failed background sync as a notification.
pub fn sync_failed(conn: &Connection, message: &str, now: DateTime<Utc>) -> Result<Notice> {
    add(
        conn,
        NoticeKind::SyncFailed,
        "sync",
        None,
        "Background sync failed",
        message,
        now,
    )
}

fn capitalised(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The newest notifications first.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<Notice>> {
    let mut stmt = conn.prepare(
        "SELECT id, created_at, kind, subject, subject_id, title, body, read FROM notifications
         ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(Notice {
            id: r.get(0)?,
            created_at: r.get(1)?,
            kind: r.get(2)?,
            subject: r.get(3)?,
            subject_id: r.get(4)?,
            title: r.get(5)?,
            body: r.get(6)?,
            read: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks every notification read.
pub fn mark_read(conn: &Connection) -> Result<()> {
    conn.execute("UPDATE notifications SET read = 1 WHERE read = 0", [])?;
    Ok(())
}

/// Notifications not yet seen.
pub fn unread(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM notifications WHERE read = 0",
        [],
        |r| r.get(0),
    )?)
}
