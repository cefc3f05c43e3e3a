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
        let changed = crate::subscriptions::book::write(
            ctx.tx,
            "csv",
            &crate::subscriptions::book::BookRow {
                external_id: id.to_string(),
                customer_ref: customer_ref.to_string(),
                customer_id,
                email: (!email.is_empty()).then(|| email.to_string()),
                plan: plan.to_string(),
                status,
                started_on: started,
                cancelled_on: cancelled,
                cancel_reason: None,
                paused_until: paused,
                unit,
                count: count as u32,
                price_minor: price,
                currency,
                next_renewal_on: next,
            },
            &ctx.now,
        )?;
        if !changed {
            ctx.tally.skip(
                "already in the book as it is (same subscription_id)",
                row.line,
            );
        }
    }
    Ok(())
}
