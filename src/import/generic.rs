//! The generic orders and products CSV formats of `docs/import-formats.md`,
//! for shops whose platform Merchant Desk does not read directly.

use super::catalog::{self, NewOrder, NewProduct, NewVariant, ProductKind};
use super::csvin::{CsvInput, Row};
use super::Ctx;
use crate::error::Result;
use crate::money::{line_total_minor, to_minor};
use crate::time::fmt_utc;
use crate::time::parse_instant;

use rusqlite::{params, OptionalExtension};
use std::collections::{HashMap, HashSet};

const SOURCE: &str = "generic";

/// A variant found by SKU, or a new product and variant for it.
pub(super) fn variant_for_sku(
    ctx: &mut Ctx,
    cache: &mut HashMap<String, i64>,
    source: &str,
    sku: &str,
    title: &str,
    price_minor: i64,
    kind: ProductKind,
) -> Result<i64> {
    if let Some(id) = cache.get(sku) {
        return Ok(*id);
    }
    let id = match catalog::variant_by_sku(ctx, sku)? {
        Some(id) => id,
        None => {
            let product_id = catalog::upsert_product(
                ctx,
                &NewProduct {
                    source,
                    external_id: sku,
                    title,
                    category: None,
                    kind,
                    active: true,
                },
            )?;
            catalog::upsert_variant(
                ctx,
                &NewVariant {
                    product_id,
                    source,
                    external_id: sku,
                    sku: Some(sku),
                    title,
                    price_minor: Some(price_minor),
                    compare_at_minor: None,
                    cost_minor: None,
                    stock: None,
                    active: true,
                },
            )?
        }
    };
    ctx.tally.variants += 1;
    cache.insert(sku.to_string(), id);
    Ok(id)
}

/// Checks a row's currency against the shop's; a mismatch skips the row.
pub(super) fn currency_matches(ctx: &mut Ctx, row: &Row, col: Option<usize>) -> Result<bool> {
    let Some(currency) = row.opt_text(col)? else {
        return Ok(true);
    };
    if currency.eq_ignore_ascii_case(&ctx.shop.currency) {
        return Ok(true);
    }
    let reason = format!(
        "currency {currency} differs from the shop's {}",
        ctx.shop.currency
    );
    ctx.tally.skip(&reason, row.line);
    Ok(false)
}

/// `order_id, ordered_at, sku, title, quantity, unit_price, currency
/// [, customer_id, customer_email, country]`, one row per order line.
pub(super) fn orders(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(
        &[
            "order_id",
            "ordered_at",
            "sku",
            "title",
            "quantity",
            "unit_price",
            "currency",
        ],
        &["customer_id", "customer_email", "country"],
    )?;
    let r = |i: usize| cols[i].expect("required column");
    let tz = ctx.shop.tz()?;
    let currency = ctx.shop.currency.clone();
    let mut variants = HashMap::new();
    let mut customers: HashMap<String, i64> = HashMap::new();
    let mut orders: HashMap<String, (i64, i64)> = HashMap::new();
    loop {
        let Some(row) = super::next_row(&mut ctx.tally, input, tick)? else {
            break;
        };
        let order_ref = row.required(r(0))?;
        let when = row.required(r(1))?;
        let placed_at = parse_instant(when, tz).ok_or_else(|| {
            row.error(
                r(1),
                format!("{when:?} is not an ISO 8601 date or time (e.g. 2024-03-05T14:22:10Z)"),
            )
        })?;
        let sku = row.required(r(2))?;
        let title = row.required(r(3))?;
        let quantity = row.int(r(4))?;
        let price = row.decimal(r(5))?;
        let _ = row.required(r(6))?;
        if !currency_matches(ctx, &row, cols[6])? {
            continue;
        }
        if quantity <= 0 {
            ctx.tally.skip(
                "quantity is zero or negative (returns are not part of this format)",
                row.line,
            );
            continue;
        }
        if price.is_sign_negative() && !price.is_zero() {
            ctx.tally.skip("negative unit price", row.line);
            continue;
        }
        let unit_minor =
            to_minor(price, &currency).ok_or_else(|| row.error(r(5), "price out of range"))?;
        let total = line_total_minor(quantity, price, &currency)
            .ok_or_else(|| row.error(r(4), "line total out of range"))?;
        if unit_minor == 0 {
            ctx.tally.flag("zero unit price", row.line);
        }
        let variant_id = variant_for_sku(
            ctx,
            &mut variants,
            SOURCE,
            sku,
            title,
            unit_minor,
            ProductKind::Merchandise,
        )?;
        let (order_id, line_no) = match orders.get_mut(order_ref) {
            Some((id, n)) => {
                *n += 1;
                (*id, *n)
            }
            None => {
                let email = row.opt_text(cols[8])?;
                let country = row.opt_text(cols[9])?;
                let key = row
                    .opt_text(cols[7])?
                    .map(str::to_string)
                    .or_else(|| email.map(|e| e.to_lowercase()));
                let customer_id = match key {
                    None => None,
                    Some(key) => Some(match customers.get(&key) {
                        Some(id) => *id,
                        None => {
                            let id =
                                catalog::upsert_customer(ctx, SOURCE, &key, email, None, country)?;
                            ctx.tally.customers += 1;
                            customers.insert(key, id);
                            id
                        }
                    }),
                };
                let id = catalog::upsert_order(
                    ctx,
                    &NewOrder {
                        source: SOURCE,
                        external_id: order_ref,
                        number: order_ref,
                        customer_id,
                        email,
                        country,
                        placed_at: &fmt_utc(placed_at),
                        status: "placed",
                        currency: &currency,
                    },
                )?;
                ctx.tally.orders += 1;
                orders.insert(order_ref.to_string(), (id, 1));
                (id, 1)
            }
        };
        catalog::insert_order_line(
            ctx,
            order_id,
            line_no,
            variant_id,
            Some(title),
            quantity,
            unit_minor,
            total,
        )?;
    }
    Ok(())
}

/// `sku, title, price [, category, compare_at_price, cost, stock]`, one row
/// per variant. A SKU already in the store is updated; blank optional cells
/// leave the stored value as it is.
pub(super) fn products(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(
        &["sku", "title", "price"],
        &["category", "compare_at_price", "cost", "stock"],
    )?;
    let r = |i: usize| cols[i].expect("required column");
    let currency = ctx.shop.currency.clone();
    let mut seen = HashSet::new();
    loop {
        let Some(row) = super::next_row(&mut ctx.tally, input, tick)? else {
            break;
        };
        let sku = row.required(r(0))?;
        let title = row.required(r(1))?;
        let price_minor = row.amount(r(2), &currency)?;
        let category = row.opt_text(cols[3])?;
        let compare_minor = row.opt_amount(cols[4], &currency)?;
        let cost_minor = row.opt_amount(cols[5], &currency)?;
        let stock = row.opt_int(cols[6])?;
        if !seen.insert(sku.to_string()) {
            ctx.tally.flag(
                "SKU appears again in this file; the later row wins",
                row.line,
            );
        }
        if matches!(stock, Some(s) if s < 0) {
            ctx.tally.flag("negative stock (oversold)", row.line);
        }
        let existing: Option<(i64, String, String)> = ctx
            .tx
            .prepare_cached("SELECT product_id, source, external_id FROM variants WHERE sku = ?1 ORDER BY id LIMIT 1")?
            .query_row([sku], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let (product_id, source, external_id) = match existing {
            Some((product_id, source, external_id)) => {
                ctx.tx
                    .prepare_cached("UPDATE products SET title = ?2, category = coalesce(?3, category), updated_at = ?4 WHERE id = ?1")?
                    .execute(params![product_id, title, category, ctx.now])?;
                (product_id, source, external_id)
            }
            None => {
                let product_id = catalog::upsert_product(
                    ctx,
                    &NewProduct {
                        source: SOURCE,
                        external_id: sku,
                        title,
                        category,
                        kind: ProductKind::Merchandise,
                        active: true,
                    },
                )?;
                (product_id, SOURCE.to_string(), sku.to_string())
            }
        };
        catalog::upsert_variant(
            ctx,
            &NewVariant {
                product_id,
                source: &source,
                external_id: &external_id,
                sku: Some(sku),
                title,
                price_minor: Some(price_minor),
                compare_at_minor: compare_minor,
                cost_minor,
                stock,
                active: true,
            },
        )?;
        ctx.tally.variants += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;

    #[test]
    fn instants_with_and_without_offsets() {
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        let t = |s| parse_instant(s, london).map(fmt_utc);
        assert_eq!(t("2024-03-05T14:22:10Z").unwrap(), "2024-03-05T14:22:10Z");
        assert_eq!(
            t("2024-07-05T14:22:10+02:00").unwrap(),
            "2024-07-05T12:22:10Z"
        );
        assert_eq!(
            t("2024-03-05 14:22:10 -0500").unwrap(),
            "2024-03-05T19:22:10Z"
        );
        // Summer time in London: local 10:00 is 09:00 UTC.
        assert_eq!(t("2024-07-01T10:00:00").unwrap(), "2024-07-01T09:00:00Z");
        assert_eq!(t("2024-01-01").unwrap(), "2024-01-01T00:00:00Z");
        assert_eq!(t("05/03/2024"), None);
        assert_eq!(t("2024-13-01"), None);
    }
}
