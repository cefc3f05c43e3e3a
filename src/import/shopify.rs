//! Shopify's own admin CSV exports (Orders → Export, Products → Export).
//!
//! Both spread one record over several rows: an order has a row per line
//! item, with the order's own fields on its first row only; a product has a
//! row per variant (and per extra image), with the product's fields on its
//! first row only.

use super::catalog::{self, NewOrder, NewProduct, NewRefund, NewVariant, ProductKind};
use super::csvin::CsvInput;
use super::generic::{currency_matches, variant_for_sku};
use super::Ctx;
use crate::error::Result;
use crate::money::{line_total_minor, to_minor};
use crate::time::fmt_utc;
use crate::time::parse_instant;
use std::collections::HashMap;

const SOURCE: &str = "shopify-csv";

/// Orders export: `Name, Email, Financial Status, Currency, Shipping,
/// Created at, Lineitem quantity, Lineitem name, Lineitem price, Lineitem sku,
/// Cancelled at, Refunded Amount, Billing Country, Id, …`.
pub(super) fn orders(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(
        &[
            "Name",
            "Lineitem quantity",
            "Lineitem name",
            "Lineitem price",
        ],
        &[
            "Lineitem sku",     // 4
            "Email",            // 5
            "Financial Status", // 6
            "Currency",         // 7
            "Shipping",         // 8
            "Created at",       // 9
            "Cancelled at",     // 10
            "Refunded Amount",  // 11
            "Billing Country",  // 12
            "Shipping Country", // 13
            "Id",               // 14
            "Billing Name",     // 15
        ],
    )?;
    let r = |i: usize| cols[i].expect("required column");
    let tz = ctx.shop.tz()?;
    let currency = ctx.shop.currency.clone();
    let mut variants = HashMap::new();
    let mut customers: HashMap<String, i64> = HashMap::new();
    // Name → (order id, lines written).
    let mut orders: HashMap<String, (i64, i64)> = HashMap::new();
    loop {
        let Some(row) = super::next_row(&mut ctx.tally, input, tick)? else {
            break;
        };
        let name = row.required(r(0))?;
        let order_id = match orders.get(name) {
            Some((id, _)) => *id,
            None => {
                // The first row of an order carries the order's own fields.
                if !currency_matches(ctx, &row, cols[7])? {
                    continue;
                }
                let created_col = cols[9].ok_or_else(|| {
                    row.error(
                        r(0),
                        "the first row of an order needs a \"Created at\" column",
                    )
                })?;
                let created = row.required(created_col)?;
                let placed_at = parse_instant(created, tz).ok_or_else(|| {
                    row.error(
                        created_col,
                        format!(
                            "{created:?} is not a date and time like 2024-03-05 14:22:10 -0500"
                        ),
                    )
                })?;
                let cancelled_at = match row.opt_text(cols[10])? {
                    Some(t) => Some(parse_instant(t, tz).ok_or_else(|| {
                        row.error(cols[10].unwrap(), format!("{t:?} is not a date and time"))
                    })?),
                    None => None,
                };
                let email = row.opt_text(cols[5])?;
                let country = row.opt_text(cols[12])?.or(row.opt_text(cols[13])?);
                let customer_id = match email {
                    None => None,
                    Some(email) => {
                        let key = email.to_lowercase();
                        Some(match customers.get(&key) {
                            Some(id) => *id,
                            None => {
                                let id = catalog::upsert_customer(
                                    ctx,
                                    SOURCE,
                                    &key,
                                    Some(email),
                                    row.opt_text(cols[15])?,
                                    country,
                                )?;
                                ctx.tally.customers += 1;
                                customers.insert(key, id);
                                id
                            }
                        })
                    }
                };
                let status = if cancelled_at.is_some() {
                    "cancelled".to_string()
                } else {
                    row.opt_text(cols[6])?.unwrap_or("placed").to_lowercase()
                };
                let external_id = row.opt_text(cols[14])?.unwrap_or(name);
                let id = catalog::upsert_order(
                    ctx,
                    &NewOrder {
                        source: SOURCE,
                        external_id,
                        number: name,
                        customer_id,
                        email,
                        country,
                        placed_at: &fmt_utc(placed_at),
                        status: &status,
                        currency: &currency,
                    },
                )?;
                ctx.tally.orders += 1;
                let mut lines = 0;
                if let Some(shipping) = row.opt_decimal(cols[8])? {
                    let minor = to_minor(shipping, &currency)
                        .ok_or_else(|| row.error(cols[8].unwrap(), "amount out of range"))?;
                    if minor != 0 {
                        let v = variant_for_sku(
                            ctx,
                            &mut variants,
                            SOURCE,
                            "shipping",
                            "Shipping",
                            0,
                            ProductKind::Shipping,
                        )?;
                        lines += 1;
                        catalog::insert_order_line(
                            ctx,
                            id,
                            lines,
                            v,
                            Some("Shipping"),
                            1,
                            minor,
                            minor,
                        )?;
                    }
                }
                let refunded = match row.opt_decimal(cols[11])? {
                    Some(d) => to_minor(d, &currency)
                        .ok_or_else(|| row.error(cols[11].unwrap(), "amount out of range"))?,
                    None => 0,
                };
                if refunded > 0 {
                    catalog::upsert_refund(
                        ctx,
                        &NewRefund {
                            source: SOURCE,
                            external_id,
                            number: name,
                            kind: if cancelled_at.is_some() {
                                "cancellation"
                            } else {
                                "refund"
                            },
                            order_id: Some(id),
                            customer_id,
                            created_at: &fmt_utc(cancelled_at.unwrap_or(placed_at)),
                            currency: &currency,
                            unitemized_minor: refunded,
                        },
                    )?;
                    ctx.tally.refunds += 1;
                    ctx.tally.flag(
                        "refund without line detail: the export gives only the refunded amount",
                        row.line,
                    );
                }
                orders.insert(name.to_string(), (id, lines));
                id
            }
        };
        let quantity = row.int(r(1))?;
        let title = row.required(r(2))?;
        let price = row.decimal(r(3))?;
        let unit_minor =
            to_minor(price, &currency).ok_or_else(|| row.error(r(3), "price out of range"))?;
        let total = line_total_minor(quantity, price, &currency)
            .ok_or_else(|| row.error(r(1), "line total out of range"))?;
        let sku = row.opt_text(cols[4])?;
        let key = match sku {
            Some(s) => s.to_string(),
            None => {
                ctx.tally
                    .flag("line item without SKU: matched by its name", row.line);
                format!("name:{title}")
            }
        };
        let variant_id = variant_for_sku(
            ctx,
            &mut variants,
            SOURCE,
            &key,
            title,
            unit_minor,
            ProductKind::Merchandise,
        )?;
        let entry = orders.get_mut(name).expect("order registered above");
        entry.1 += 1;
        catalog::insert_order_line(
            ctx,
            order_id,
            entry.1,
            variant_id,
            Some(title),
            quantity,
            unit_minor,
            total,
        )?;
    }
    Ok(())
}

/// Products export: `Handle, Title, Type, Product Category, Option1 Value…,
/// Variant SKU, Variant Price, Variant Compare At Price, Variant Inventory
/// Qty, Cost per item, Status, …`.
pub(super) fn products(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(
        &["Handle", "Title", "Variant Price"],
        &[
            "Type",                     // 3
            "Product Category",         // 4
            "Option1 Value",            // 5
            "Option2 Value",            // 6
            "Option3 Value",            // 7
            "Variant SKU",              // 8
            "Variant Compare At Price", // 9
            "Variant Inventory Qty",    // 10
            "Cost per item",            // 11
            "Status",                   // 12
            "Published",                // 13
        ],
    )?;
    let r = |i: usize| cols[i].expect("required column");
    let currency = ctx.shop.currency.clone();
    // Handle → (product id, title, active).
    let mut products: HashMap<String, (i64, String, bool)> = HashMap::new();
    loop {
        let Some(row) = super::next_row(&mut ctx.tally, input, tick)? else {
            break;
        };
        let handle = row.required(r(0))?;
        if let Some(title) = row.opt_text(cols[1])? {
            let category = match row.opt_text(cols[3])? {
                Some(t) => Some(t.to_string()),
                None => row
                    .opt_text(cols[4])?
                    .map(|c| c.rsplit('>').next().unwrap_or(c).trim().to_string()),
            };
            let active = match (row.opt_text(cols[12])?, row.opt_text(cols[13])?) {
                (Some(status), _) => status.eq_ignore_ascii_case("active"),
                (None, Some(published)) => published.eq_ignore_ascii_case("true"),
                (None, None) => true,
            };
            let id = catalog::upsert_product(
                ctx,
                &NewProduct {
                    source: SOURCE,
                    external_id: handle,
                    title,
                    category: category.as_deref(),
                    kind: ProductKind::Merchandise,
                    active,
                },
            )?;
            products.insert(handle.to_string(), (id, title.to_string(), active));
        }
        let Some(price_minor) = row.opt_amount(cols[2], &currency)? else {
            ctx.tally
                .skip("image-only row (no variant price)", row.line);
            continue;
        };
        let Some((product_id, title, active)) = products.get(handle).cloned() else {
            return Err(row.error(
                r(1),
                format!("the first row of product {handle:?} must have its Title"),
            ));
        };
        let compare = row.opt_amount(cols[9], &currency)?;
        let cost = row.opt_amount(cols[11], &currency)?;
        let stock = row.opt_int(cols[10])?;
        let options: Vec<&str> = [cols[5], cols[6], cols[7]]
            .into_iter()
            .map(|c| row.opt_text(c))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let variant_title = match options.as_slice() {
            [] | ["Default Title"] => title.clone(),
            opts => format!("{title} – {}", opts.join(" / ")),
        };
        let external_id = format!("{handle}/{}", options.join("/"));
        catalog::upsert_variant(
            ctx,
            &NewVariant {
                product_id,
                source: SOURCE,
                external_id: &external_id,
                sku: row.opt_text(cols[8])?,
                title: &variant_title,
                price_minor: Some(price_minor),
                compare_at_minor: compare,
                cost_minor: cost,
                stock,
                active,
            },
        )?;
        ctx.tally.variants += 1;
    }
    Ok(())
}
