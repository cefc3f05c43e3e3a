//! Subscription apps' own exports (`docs/import-formats.md`):
//!
//! - Shopify Subscriptions' contract CSV: one row per contract line, the
//!   first row of a contract holding its fields (`handle`,
//!   `upcoming_billing_date` in UTC, `customer_id`, `currency_code`,
//!   `status`, `cadence_interval`, `cadence_interval_count`, …) and every
//!   row its line (`line_variant_id`, `line_quantity`, `line_current_price`,
//!   `line_selling_plan_name`), the next rows of a contract only its handle
//!   and line.
//! - Recharge's subscriptions, by the fields of its subscription object:
//!   `id`, `customer_id`, `status`, `created_at`, `cancelled_at`,
//!   `cancellation_reason`, `next_charge_scheduled_at`,
//!   `order_interval_unit`, `charge_interval_frequency` (else
//!   `order_interval_frequency`), `price`, `quantity`, `product_title`,
//!   `presentment_currency`, and the customer's `email` where the export
//!   has it.
//!
//! Both go into the book through the same writer as the generic CSV,
//! keyed by the app's id: importing the same file again changes nothing.

use super::csvin::{CsvInput, Row};
use super::Ctx;
use crate::error::Result;
use crate::subscriptions::book::{self, BookRow};
use crate::subscriptions::calendar::{IntervalUnit, SubscriptionStatus};
use chrono::{Days, Months, NaiveDate};
use rusqlite::OptionalExtension;

fn find(input: &CsvInput, names: &[&str]) -> Result<Option<usize>> {
    Ok(input.columns(&[], names)?.into_iter().flatten().next())
}

fn need(input: &CsvInput, names: &[&str]) -> Result<usize> {
    match find(input, names)? {
        Some(i) => Ok(i),
        // Missing: the usual message, naming the first of its names.
        None => input
            .columns(&names[..1], &[])
            .map(|c| c[0].unwrap_or_default()),
    }
}

/// An interval as the apps write it: day (whole weeks only), week, month,
/// year, in any case.
fn interval(row: &Row, col: usize, count: i64, count_col: usize) -> Result<(IntervalUnit, u32)> {
    let text = row.required(col)?;
    if !(1..=365).contains(&count) {
        return Err(row.error(
            count_col,
            "the interval count is a whole number from 1 to 365",
        ));
    }
    let unit = match text.to_ascii_lowercase().trim_end_matches('s') {
        "week" => IntervalUnit::Week,
        "month" => IntervalUnit::Month,
        "year" => IntervalUnit::Year,
        "day" if count % 7 == 0 => return Ok((IntervalUnit::Week, (count / 7) as u32)),
        "day" => {
            return Err(row.error(
                col,
                format!("every {count} days: the book keeps weeks, months and years (a day count must be whole weeks)"),
            ))
        }
        _ => {
            return Err(row.error(
                col,
                format!("{text:?} is not an interval (day, week, month or year)"),
            ))
        }
    };
    Ok((unit, count as u32))
}

/// A time or a date from an export: a UTC instant (`2024-04-12T17:00:00Z`)
/// becomes the shop-local day; a date, or a time without an offset, is the
/// shop's own day already.
fn day(ctx: &Ctx, row: &Row, col: usize) -> Result<Option<NaiveDate>> {
    let text = row.text(col)?;
    if text.is_empty() {
        return Ok(None);
    }
    let has_offset = text.len() > 10 && (text.ends_with('Z') || text[10..].contains(['+', '-']));
    if has_offset {
        let t = crate::time::parse_utc(text).map_err(|_| {
            row.error(
                col,
                format!("{text:?} is not a time (use 2024-04-12T17:00:00Z)"),
            )
        })?;
        return Ok(Some(t.with_timezone(&ctx.shop.tz()?).date_naive()));
    }
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| row.error(col, format!("{text:?} is not a date (use 2024-04-12)")))
}

fn customer(ctx: &Ctx, id: Option<&str>, email: Option<&str>) -> Result<Option<i64>> {
    for key in [
        id.map(|i| format!("gid://shopify/Customer/{i}")),
        id.map(str::to_string),
        email.map(str::to_string),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(c) = crate::loyalty::store::customer_id(ctx.tx, &key)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn write(ctx: &mut Ctx, source: &str, row: &BookRow, line: u64) -> Result<()> {
    if row.currency != ctx.shop.currency {
        ctx.tally.flag(
            "not in the shop's currency: kept, left out of the metrics",
            line,
        );
    }
    if !book::write(ctx.tx, source, row, &ctx.now)? {
        ctx.tally
            .skip("already in the book as it is (same id)", line);
    }
    Ok(())
}

/// The contract being read: its first row's fields and its lines so far.
struct Contract {
    line: u64,
    row: BookRow,
}

pub(super) fn shopify(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(
        &[
            "handle",
            "upcoming_billing_date",
            "customer_id",
            "currency_code",
            "status",
            "cadence_interval",
            "cadence_interval_count",
            "line_quantity",
            "line_current_price",
        ],
        &["line_selling_plan_name", "customer_email"],
    )?;
    let c = |i: usize| cols[i].expect("required column");
    let mut open: Option<Contract> = None;
    let mut left_out: Option<String> = None;
    while let Some(r) = super::next_row(&mut ctx.tally, input, tick)? {
        let handle = r.required(c(0))?.to_string();
        let first = !r.text(c(4))?.is_empty();
        if !first && left_out.as_deref() == Some(handle.as_str()) {
            ctx.tally.skip("a line of a contract left out", r.line);
            continue;
        }
        left_out = None;
        if first {
            if let Some(done) = open.take() {
                write(ctx, "shopify-app", &done.row, done.line)?;
            }
        }
        if !first && open.as_ref().is_none_or(|o| o.row.external_id != handle) {
            return Err(r.error(
                c(4),
                format!("a line of contract {handle:?} without its first row (the one with its status) just before it"),
            ));
        }
        let currency = match (&open, first) {
            (Some(o), false) => o.row.currency.clone(),
            _ => r.required(c(3))?.to_ascii_uppercase(),
        };
        if crate::money::money_currency(&currency).is_none() {
            return Err(r.error(c(3), format!("{currency:?} is not a currency code")));
        }
        let quantity = r.int(c(7))?;
        if quantity < 1 {
            return Err(r.error(c(7), "a line's quantity is 1 or more"));
        }
        let line_price = r.amount(c(8), &currency)? * quantity;
        let plan_name = r.opt_text(cols[9])?;
        if !first {
            if let Some(o) = open.as_mut() {
                o.row.price_minor += line_price;
            }
            continue;
        }
        let status_text = r.required(c(4))?;
        let status = match status_text.to_ascii_uppercase().as_str() {
            "ACTIVE" => SubscriptionStatus::Active,
            "PAUSED" => SubscriptionStatus::Paused,
            "FAILED" => SubscriptionStatus::PastDue,
            "CANCELLED" | "EXPIRED" => SubscriptionStatus::Cancelled,
            _ => {
                return Err(r.error(
                    c(4),
                    format!("{status_text:?} is not a status (ACTIVE, PAUSED, FAILED, CANCELLED or EXPIRED)"),
                ))
            }
        };
        let count = r.int(c(6))?;
        let (unit, count) = interval(&r, c(5), count, c(6))?;
        let next = day(ctx, &r, c(1))?;
        if status == SubscriptionStatus::Cancelled {
            ctx.tally.skip(
                "a cancelled contract: the export gives no cancellation day, so it stays out of the book",
                r.line,
            );
            open = None;
            left_out = Some(handle);
            continue;
        }
        let Some(next) = next else {
            return Err(r.error(c(1), "upcoming_billing_date is empty"));
        };
        // The export gives no start: taken as one interval before the next
        // billing (the subscription ran at least since then).
        let started = match unit {
            IntervalUnit::Week => next.checked_sub_days(Days::new(7 * count as u64)),
            IntervalUnit::Month => next.checked_sub_months(Months::new(count)),
            IntervalUnit::Year => next.checked_sub_months(Months::new(12 * count)),
        }
        .unwrap_or(next);
        // Kept from an earlier import: the next billing moves on.
        let kept: Option<String> = ctx
            .tx
            .prepare_cached("SELECT started_on FROM subscriptions WHERE source = 'shopify-app' AND external_id = ?1")?
            .query_row([&handle], |r| r.get(0))
            .optional()?;
        let started = kept
            .and_then(|text| crate::time::parse_day(&text).ok())
            .unwrap_or(started);
        ctx.tally.flag(
            "no start date in the export: taken as one interval before the next billing",
            r.line,
        );
        let id = r.opt_text(cols[2])?;
        let email = r.opt_text(cols[10])?;
        let customer_id = customer(ctx, id, email)?;
        open = Some(Contract {
            line: r.line,
            row: BookRow {
                external_id: handle,
                customer_ref: id.or(email).unwrap_or("(no customer)").to_string(),
                customer_id,
                email: email.map(str::to_string),
                plan: plan_name.unwrap_or("Subscription").to_string(),
                status,
                started_on: started,
                cancelled_on: None,
                cancel_reason: None,
                paused_until: None,
                unit,
                count,
                price_minor: line_price,
                currency,
                next_renewal_on: Some(next),
            },
        });
    }
    if let Some(done) = open.take() {
        write(ctx, "shopify-app", &done.row, done.line)?;
    }
    Ok(())
}

pub(super) fn recharge(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let id_col = need(input, &["id", "subscription_id"])?;
    let status_col = need(input, &["status"])?;
    let created_col = need(input, &["created_at"])?;
    let next_col = need(input, &["next_charge_scheduled_at"])?;
    let unit_col = need(input, &["order_interval_unit"])?;
    let freq_col = need(
        input,
        &["charge_interval_frequency", "order_interval_frequency"],
    )?;
    let price_col = need(input, &["price", "recurring_price"])?;
    let customer_col = find(input, &["customer_id"])?;
    let email_col = find(input, &["email", "customer_email"])?;
    let title_col = find(input, &["product_title"])?;
    let quantity_col = find(input, &["quantity"])?;
    let currency_col = find(input, &["presentment_currency", "currency"])?;
    let cancelled_col = find(input, &["cancelled_at"])?;
    let reason_col = find(input, &["cancellation_reason"])?;
    while let Some(r) = super::next_row(&mut ctx.tally, input, tick)? {
        let id = r.required(id_col)?.to_string();
        let status_text = r.required(status_col)?;
        let cancelled = match cancelled_col {
            Some(c) => day(ctx, &r, c)?,
            None => None,
        };
        let (status, reason) = match status_text.to_ascii_lowercase().as_str() {
            "active" => (SubscriptionStatus::Active, None),
            "cancelled" => (SubscriptionStatus::Cancelled, r.opt_text(reason_col)?),
            "expired" => (SubscriptionStatus::Cancelled, Some("expired")),
            _ => {
                return Err(r.error(
                    status_col,
                    format!("{status_text:?} is not a status (active, cancelled or expired)"),
                ))
            }
        };
        let started = day(ctx, &r, created_col)?
            .ok_or_else(|| r.error(created_col, "created_at is empty"))?;
        let cancelled = match (status, cancelled) {
            (SubscriptionStatus::Cancelled, None) => {
                return Err(r.error(
                    cancelled_col.unwrap_or(status_col),
                    "a cancelled subscription needs cancelled_at",
                ))
            }
            (SubscriptionStatus::Cancelled, Some(on)) => Some(on.max(started)),
            _ => None,
        };
        let count = r.int(freq_col)?;
        let (unit, count) = interval(&r, unit_col, count, freq_col)?;
        let currency = match r.opt_text(currency_col)? {
            Some(c) => c.to_ascii_uppercase(),
            None => ctx.shop.currency.clone(),
        };
        if crate::money::money_currency(&currency).is_none() {
            return Err(r.error(
                currency_col.unwrap_or(price_col),
                format!("{currency:?} is not a currency code"),
            ));
        }
        let quantity = r.opt_int(quantity_col)?.unwrap_or(1);
        if quantity < 1 {
            return Err(r.error(quantity_col.unwrap_or(price_col), "quantity is 1 or more"));
        }
        let price = r.amount(price_col, &currency)? * quantity;
        let next = if status == SubscriptionStatus::Cancelled {
            None
        } else {
            day(ctx, &r, next_col)?
        };
        if next.is_none() && status != SubscriptionStatus::Cancelled {
            ctx.tally
                .flag("no next_charge_scheduled_at: no renewals or boxes", r.line);
        }
        let customer_ref = r.opt_text(customer_col)?;
        let email = r.opt_text(email_col)?;
        let customer_id = customer(ctx, None, email)?;
        let row = BookRow {
            external_id: id,
            customer_ref: email
                .or(customer_ref)
                .unwrap_or("(no customer)")
                .to_string(),
            customer_id,
            email: email.map(str::to_string),
            plan: r.opt_text(title_col)?.unwrap_or("Subscription").to_string(),
            status,
            started_on: started,
            cancelled_on: cancelled,
            cancel_reason: reason.map(str::to_string),
            paused_until: None,
            unit,
            count,
            price_minor: price,
            currency,
            next_renewal_on: next,
        };
        write(ctx, "recharge", &row, r.line)?;
    }
    Ok(())
}
