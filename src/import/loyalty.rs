//! Loyalty actions: `customer, action, at, reference`, one row per thing a
//! customer did that earns points (a review, a referral, a completed
//! profile, a birthday, signing up, a social share). `customer` is the
//! customer's id as the storefront or an import knows it (or their email);
//! `reference` makes the import idempotent: the same customer, action and
//! reference is kept once, however often the file comes.

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
