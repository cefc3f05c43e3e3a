//! What the shop's own sales do not tell: competitor prices (`sku,
//! competitor, price, observed_at`), demand events (`sku, date, views,
//! add_to_carts`) and unit costs (`sku, cost`). Each is keyed so that
//! importing the same file again changes nothing; a row for a SKU the shop
//! does not have is skipped.

use super::csvin::CsvInput;
use super::Ctx;
use crate::error::Result;
use crate::time::fmt_utc;
use crate::time::parse_instant;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use std::collections::HashMap;

const NO_SKU: &str = "no product with this SKU in the shop";

fn variant(ctx: &Ctx, cache: &mut HashMap<String, Option<i64>>, sku: &str) -> Result<Option<i64>> {
    if let Some(id) = cache.get(sku) {
        return Ok(*id);
    }
    let id = ctx
        .tx
        .prepare_cached("SELECT id FROM variants WHERE sku = ?1 ORDER BY active DESC, id LIMIT 1")?
        .query_row([sku], |r| r.get(0))
        .optional()?;
    cache.insert(sku.to_string(), id);
    Ok(id)
}

/// `sku, competitor, price, observed_at`: a competitor's price for one of
/// the shop's products, in the shop's currency, seen at a time (a date or
/// a time; without an offset it is read in the shop's time zone).
pub(super) fn competitor_prices(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(&["sku", "competitor", "price", "observed_at"], &[])?;
    let c = |i: usize| cols[i].expect("required column");
    let currency = ctx.shop.currency.clone();
    let tz = ctx.shop.tz()?;
    let mut cache = HashMap::new();
    let mut touched = std::collections::HashSet::new();
    while let Some(row) = super::next_row(&mut ctx.tally, input, tick)? {
        let sku = row.required(c(0))?;
        let competitor = row.required(c(1))?;
        let price = row.amount(c(2), &currency)?;
        let at_text = row.required(c(3))?;
        let at = parse_instant(at_text, tz).ok_or_else(|| {
            row.error(
                c(3),
                format!(
                    "{at_text:?} is not a date or time (use 2026-11-23 or 2026-11-23T14:05:00Z)"
                ),
            )
        })?;
        let Some(id) = variant(ctx, &mut cache, sku)? else {
            ctx.tally.skip(NO_SKU, row.line);
            continue;
        };
        if price == 0 {
            ctx.tally.flag("a competitor price of zero", row.line);
        }
        ctx.tx
            .prepare_cached(
                "INSERT INTO competitor_prices (variant_id, competitor, observed_at, price_minor, import_run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (variant_id, competitor, observed_at)
                 DO UPDATE SET price_minor = excluded.price_minor, import_run_id = excluded.import_run_id",
            )?
            .execute(params![id, competitor, fmt_utc(at), price, ctx.run_id])?;
        touched.insert(id);
    }
    ctx.tally.variants = touched.len() as u64;
    Ok(())
}

/// `sku, date, views, add_to_carts`: one day's storefront demand for a
/// product, the date in the shop's time zone.
pub(super) fn demand_events(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(&["sku", "date", "views", "add_to_carts"], &[])?;
    let c = |i: usize| cols[i].expect("required column");
    let mut cache = HashMap::new();
    let mut touched = std::collections::HashSet::new();
    while let Some(row) = super::next_row(&mut ctx.tally, input, tick)? {
        let sku = row.required(c(0))?;
        let date_text = row.required(c(1))?;
        let day = NaiveDate::parse_from_str(date_text, "%Y-%m-%d").map_err(|_| {
            row.error(
                c(1),
                format!("{date_text:?} is not a date (use 2026-11-23)"),
            )
        })?;
        let count = |i: usize| -> Result<i64> {
            let n = row.int(c(i))?;
            if n < 0 {
                return Err(row.error(c(i), "a count cannot be negative"));
            }
            Ok(n)
        };
        let (views, carts) = (count(2)?, count(3)?);
        let Some(id) = variant(ctx, &mut cache, sku)? else {
            ctx.tally.skip(NO_SKU, row.line);
            continue;
        };
        if carts > views {
            ctx.tally.flag("more add-to-carts than views", row.line);
        }
        ctx.tx
            .prepare_cached(
                "INSERT INTO demand_events (variant_id, day, views, add_to_carts, import_run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (variant_id, day)
                 DO UPDATE SET views = excluded.views, add_to_carts = excluded.add_to_carts,
                    import_run_id = excluded.import_run_id",
            )?
            .execute(params![id, day.to_string(), views, carts, ctx.run_id])?;
        touched.insert(id);
    }
    ctx.tally.variants = touched.len() as u64;
    Ok(())
}

/// `sku, cost`: what one unit of a product costs the shop, in the shop's
/// currency. Every variant with the SKU takes the cost; a cost the
/// storefront later gives replaces it, one it does not have keeps it.
pub(super) fn unit_costs(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(&["sku", "cost"], &[])?;
    let c = |i: usize| cols[i].expect("required column");
    let currency = ctx.shop.currency.clone();
    let mut touched = std::collections::HashSet::new();
    while let Some(row) = super::next_row(&mut ctx.tally, input, tick)? {
        let sku = row.required(c(0))?;
        let cost = row.amount(c(1), &currency)?;
        if cost < 0 {
            return Err(row.error(c(1), "a unit cost cannot be negative"));
        }
        let ids: Vec<(i64, i64)> = ctx
            .tx
            .prepare_cached("SELECT id, price_minor FROM variants WHERE sku = ?1")?
            .query_map([sku], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if ids.is_empty() {
            ctx.tally.skip(NO_SKU, row.line);
            continue;
        }
        if cost == 0 {
            ctx.tally.flag("a unit cost of zero", row.line);
        } else if ids.iter().any(|(_, price)| cost > *price) {
            ctx.tally.flag("a unit cost above the price", row.line);
        }
        for (id, _) in ids {
            ctx.tx
                .prepare_cached("UPDATE variants SET cost_minor = ?2 WHERE id = ?1")?
                .execute(params![id, cost])?;
            touched.insert(id);
        }
    }
    ctx.tally.variants = touched.len() as u64;
    Ok(())
}
