//! Loyalty actions: `customer, action, at, reference`, one row per thing a
//! customer did that earns points (a review, a referral, a completed
//! profile, a birthday, signing up, a social share). `customer` is the
//! customer's id as the storefront or an import knows it (or their email);
//! `reference` makes the import idempotent: the same customer, action and
//! reference is kept once, however often the file comes. A referral's
//! `reference` is the customer referred (their id or email): it credits
//! once their first order has passed its return window.
//!
//! Customers' birthdays: `customer, birthday`, the birthday as
//! `YYYY-MM-DD` or `MM-DD` (only the month and day are kept); an empty
//! birthday clears it.

use super::csvin::CsvInput;
use super::Ctx;
use crate::error::Result;
use crate::loyalty::programme::ActionKind;
use crate::time::{fmt_utc, parse_instant};
use rusqlite::params;

pub(super) fn actions(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(&["customer", "action", "at", "reference"], &[])?;
    let c = |i: usize| cols[i].expect("required column");
    let tz = ctx.shop.tz()?;
    while let Some(row) = super::next_row(&mut ctx.tally, input, tick)? {
        let customer = row.required(c(0))?;
        let action = row.required(c(1))?;
        let kind = ActionKind::parse(action).map_err(|e| row.error(c(1), e.to_string()))?;
        let at_text = row.required(c(2))?;
        let at = parse_instant(at_text, tz).ok_or_else(|| {
            row.error(
                c(2),
                format!(
                    "{at_text:?} is not a date or time (use 2026-11-23 or 2026-11-23T14:05:00Z)"
                ),
            )
        })?;
        let reference = row.required(c(3))?;
        let id = crate::loyalty::store::customer_id(ctx.tx, customer)?;
        let Some(id) = id else {
            ctx.tally
                .skip("no customer with this id or email in the shop", row.line);
            continue;
        };
        let added = ctx
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO loyalty_actions (customer_id, kind, at, reference)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id, kind.name(), fmt_utc(at), reference])?;
        if added == 0 {
            ctx.tally.skip(
                "already imported (same customer, action and reference)",
                row.line,
            );
        }
    }
    Ok(())
}

pub(super) fn birthdays(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(&["customer", "birthday"], &[])?;
    let c = |i: usize| cols[i].expect("required column");
    while let Some(row) = super::next_row(&mut ctx.tally, input, tick)? {
        let customer = row.required(c(0))?;
        let text = row.text(c(1))?;
        let value = if text.is_empty() {
            None
        } else {
            Some(crate::loyalty::birthday(text).ok_or_else(|| {
                row.error(
                    c(1),
                    format!("{text:?} is not a birthday (use 1984-03-21 or 03-21)"),
                )
            })?)
        };
        let Some(id) = crate::loyalty::store::customer_id(ctx.tx, customer)? else {
            ctx.tally
                .skip("no customer with this id or email in the shop", row.line);
            continue;
        };
        let changed = ctx
            .tx
            .prepare_cached(
                "UPDATE customers SET birthday = ?2 WHERE id = ?1 AND birthday IS NOT ?2",
            )?
            .execute(params![id, value])?;
        if changed == 0 {
            ctx.tally.skip("already has this birthday", row.line);
        }
    }
    Ok(())
}
