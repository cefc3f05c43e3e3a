//! Subscriptions, the generic CSV of `docs/import-formats.md`:
//! `subscription_id, customer, email, plan, status, started_on,
//! cancelled_on, paused_until, interval, interval_count, price, currency,
//! next_renewal_on`, dates as the shop's local `YYYY-MM-DD`, empty where not
//! set. Keyed by `subscription_id`: importing the same file again changes
//! nothing, a newer export updates each subscription.

use super::csvin::{CsvInput, Row};
use super::Ctx;
use crate::error::Result;
use crate::subscriptions::calendar::{IntervalUnit, SubscriptionStatus};
use chrono::NaiveDate;
use rusqlite::params;

const COLUMNS: [&str; 13] = [
    "subscription_id",
    "customer",
    "email",
    "plan",
    "status",
    "started_on",
    "cancelled_on",
    "paused_until",
    "interval",
    "interval_count",
    "price",
    "currency",
    "next_renewal_on",
];

fn day(row: &Row, col: usize) -> Result<Option<NaiveDate>> {
    let text = row.text(col)?;
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| row.error(col, format!("{text:?} is not a date (use 2026-11-23)")))
}

pub(super) fn run(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(&COLUMNS, &[])?;
    let c = |i: usize| cols[i].expect("required column");
    while let Some(row) = super::next_row(&mut ctx.tally, input, tick)? {
        let id = row.required(c(0))?;
        let customer = row.text(c(1))?;
        let email = row.text(c(2))?;
        if customer.is_empty() && email.is_empty() {
            return Err(row.error(c(1), "give the customer, their email, or both"));
        }
        let plan = row.required(c(3))?;
        let status_text = row.required(c(4))?;
        let status = SubscriptionStatus::parse(status_text).ok_or_else(|| {
            row.error(
                c(4),
                format!("{status_text:?} is not a status (active, paused, past_due or cancelled)"),
            )
        })?;
        let started = day(&row, c(5))?.ok_or_else(|| row.error(c(5), "started_on is empty"))?;
        let cancelled = day(&row, c(6))?;
        let paused = day(&row, c(7))?;
        match (status, cancelled) {
            (SubscriptionStatus::Cancelled, None) => {
                return Err(row.error(c(6), "a cancelled subscription needs cancelled_on"))
            }
            (_, Some(on)) if on < started => {
                return Err(row.error(c(6), "cancelled_on is before started_on"))
            }
            _ => {}
        }
        let unit_text = row.required(c(8))?;
        let unit = IntervalUnit::parse(unit_text).ok_or_else(|| {
            row.error(
                c(8),
                format!("{unit_text:?} is not an interval (week, month or year)"),
            )
        })?;
        let count = row.int(c(9))?;
        if !(1..=52).contains(&count) {
            return Err(row.error(c(9), "interval_count is a whole number from 1 to 52"));
        }
        let currency = row.required(c(11))?.to_ascii_uppercase();
        if crate::money::money_currency(&currency).is_none() {
            return Err(row.error(c(11), format!("{currency:?} is not a currency code")));
        }
        let price = row.amount(c(10), &currency)?;
        if price < 0 {
            return Err(row.error(c(10), "a price is not negative"));
        }
        let next = day(&row, c(12))?;
        if next.is_none() && status != SubscriptionStatus::Cancelled {
            ctx.tally
                .flag("no next_renewal_on: no renewals or boxes", row.line);
        }
        if currency != ctx.shop.currency {
            ctx.tally.flag(
                "not in the shop's currency: kept, left out of the metrics",
                row.line,
            );
        }
        let customer_ref = if customer.is_empty() { email } else { customer };
        let customer_id = match crate::loyalty::store::customer_id(ctx.tx, customer_ref)? {
            Some(id) => Some(id),
            None if !email.is_empty() => crate::loyalty::store::customer_id(ctx.tx, email)?,
            None => None,
        };
        ctx.tx
            .prepare_cached(
                "INSERT INTO subscription_plans (name, created_at) VALUES (?1, ?2)
                 ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![plan, ctx.now])?;
        let fmt = |d: Option<NaiveDate>| d.map(crate::time::fmt_day);
        let changed = ctx
            .tx
            .prepare_cached(
                "INSERT INTO subscriptions (source, external_id, customer_ref, customer_id, email,
                    plan_id, status, started_on, cancelled_on, paused_until, interval,
                    interval_count, price_minor, currency, next_renewal_on, updated_at)
                 VALUES ('csv', ?1, ?2, ?3, ?4, (SELECT id FROM subscription_plans WHERE name = ?5),
                    ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (source, external_id) DO UPDATE SET
                    customer_ref = excluded.customer_ref, customer_id = excluded.customer_id,
                    email = excluded.email, plan_id = excluded.plan_id, status = excluded.status,
                    started_on = excluded.started_on, cancelled_on = excluded.cancelled_on,
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
                        excluded.next_renewal_on)",
            )?
            .execute(params![
                id,
                customer_ref,
                customer_id,
                (!email.is_empty()).then_some(email),
                plan,
                status,
                fmt(Some(started)),
                fmt(cancelled),
                fmt(paused),
                unit,
                count,
                price,
                currency,
                fmt(next),
                ctx.now
            ])?;
        if changed == 0 {
            ctx.tally.skip(
                "already in the book as it is (same subscription_id)",
                row.line,
            );
        }
    }
    Ok(())
}
