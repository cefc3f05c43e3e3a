//! The UCI "Online Retail" file: one row per invoice line.
//!
//! Invoices become orders, except those whose number starts with `C`, which
//! are cancellations. A stock code is a product with one variant, titled by
//! its most frequent description and priced at its most frequent selling
//! price. Dates are Europe/London wall-clock time.

use super::catalog::{self, NewOrder, NewProduct, NewRefund, NewVariant, ProductKind};
use super::csvin::CsvInput;
use super::Ctx;
use crate::error::Result;
use crate::money::{line_total_minor, to_minor};
use crate::time::fmt_utc;
use crate::time::local_to_utc;
use chrono::NaiveDateTime;
use rusqlite::params;
use std::collections::HashMap;

const SOURCE: &str = "online-retail";

/// What a stock code stands for. Postage, fees and vouchers are kept but are
/// not merchandise, so they never count as sales.
pub fn classify_stock_code(code: &str) -> ProductKind {
    match code {
        "POST" | "DOT" | "C2" => ProductKind::Shipping,
        "M" | "m" | "D" | "S" | "B" | "BANK CHARGES" | "AMAZONFEE" | "CRUK" => ProductKind::Fee,
        c if c.starts_with("gift_0001_") => ProductKind::GiftVoucher,
        _ => ProductKind::Merchandise,
    }
}

struct VariantSeen {
    id: i64,
    product_id: i64,
    new: bool,
    descriptions: HashMap<String, u32>,
    sale_prices: HashMap<i64, u32>,
    any_prices: HashMap<i64, u32>,
}

#[derive(Clone, Copy)]
enum Document {
    Order(i64),
    Cancellation(i64),
}

/// Reads the whole file into the store.
pub(super) fn run(
    ctx: &mut Ctx,
    input: &mut CsvInput,
    tick: &mut dyn FnMut(&CsvInput, u64) -> Result<()>,
) -> Result<()> {
    let cols = input.columns(
        &[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ],
        &[],
    )?;
    let c = |i: usize| cols[i].expect("required column");
    let (c_invoice, c_code, c_desc, c_qty, c_date, c_price, c_customer, c_country) =
        (c(0), c(1), c(2), c(3), c(4), c(5), c(6), c(7));
    let currency = ctx.shop.currency.clone();
    let tz = crate::time::parse_time_zone("Europe/London")?;

    let mut variants: HashMap<String, VariantSeen> = HashMap::new();
    let mut documents: HashMap<String, (Document, i64)> = HashMap::new();
    let mut customers: HashMap<String, i64> = HashMap::new();
    let mut last_date: (String, String) = (String::new(), String::new());

    loop {
        let Some(row) = super::next_row(&mut ctx.tally, input, tick)? else {
            break;
        };
        let line = row.line;
        let invoice = row.required(c_invoice)?;
        let code = row.required(c_code)?;
        let description = row.text(c_desc)?;
        let quantity = row.int(c_qty)?;
        let price = row.decimal(c_price)?;
        let date_text = row.required(c_date)?;
        if last_date.0 != date_text {
            let naive = NaiveDateTime::parse_from_str(date_text, "%Y-%m-%d %H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(date_text, "%Y-%m-%d %H:%M:%S"))
                .map_err(|_| {
                    row.error(
                        c_date,
                        format!("{date_text:?} is not a date and time like 2011-12-09 12:50"),
                    )
                })?;
            last_date = (date_text.to_string(), fmt_utc(local_to_utc(tz, naive)));
        }
        let placed_at = last_date.1.as_str();
        let customer_text = row.text(c_customer)?;
        let customer_key = customer_text.strip_suffix(".0").unwrap_or(customer_text);
        if !customer_key.is_empty() && !customer_key.bytes().all(|b| b.is_ascii_digit()) {
            return Err(row.error(
                c_customer,
                format!("{customer_text:?} is not a customer number"),
            ));
        }
        let country = row.text(c_country)?;

        let unit_price_minor =
            to_minor(price, &currency).ok_or_else(|| row.error(c_price, "price out of range"))?;
        let total = line_total_minor(quantity, price, &currency)
            .ok_or_else(|| row.error(c_qty, "line total out of range"))?;
        let cancellation = invoice.starts_with('C');

        if price.is_zero() {
            ctx.tally.flag("zero unit price", line);
        } else if price.is_sign_negative() {
            ctx.tally.flag("negative unit price (an adjustment)", line);
        } else if unit_price_minor < 1 {
            ctx.tally.flag(
                "unit price below one minor unit (kept exactly in the line total)",
                line,
            );
        }
        if !cancellation && quantity <= 0 {
            ctx.tally.flag(
                "zero or negative quantity on a sale invoice (a stock adjustment)",
                line,
            );
        }
        if cancellation && quantity > 0 {
            ctx.tally
                .flag("positive quantity on a cancellation invoice", line);
        }

        if !variants.contains_key(code) {
            {
                let kind = classify_stock_code(code);
                let title = if description.is_empty() {
                    code
                } else {
                    description
                };
                let product_id = catalog::upsert_product(
                    ctx,
                    &NewProduct {
                        source: SOURCE,
                        external_id: code,
                        title,
                        category: None,
                        kind,
                        active: true,
                    },
                )?;
                let existed: bool = ctx
                    .tx
                    .prepare_cached(
                        "SELECT count(*) FROM variants WHERE source = ?1 AND external_id = ?2",
                    )?
                    .query_row(params![SOURCE, code], |r| r.get::<_, i64>(0))?
                    > 0;
                let id = catalog::upsert_variant(
                    ctx,
                    &NewVariant {
                        product_id,
                        source: SOURCE,
                        external_id: code,
                        sku: Some(code),
                        title,
                        price_minor: None,
                        compare_at_minor: None,
                        cost_minor: None,
                        stock: None,
                        active: true,
                    },
                )?;
                ctx.tally.variants += 1;
                variants.insert(
                    code.to_string(),
                    VariantSeen {
                        id,
                        product_id,
                        new: !existed,
                        descriptions: HashMap::new(),
                        sale_prices: HashMap::new(),
                        any_prices: HashMap::new(),
                    },
                );
            }
        }
        let variant = variants.get_mut(code).expect("inserted above");
        if !description.is_empty() {
            match variant.descriptions.get_mut(description) {
                Some(n) => *n += 1,
                None => {
                    variant.descriptions.insert(description.to_string(), 1);
                }
            }
        }
        if unit_price_minor >= 1 {
            *variant.any_prices.entry(unit_price_minor).or_insert(0) += 1;
            if !cancellation && quantity > 0 {
                *variant.sale_prices.entry(unit_price_minor).or_insert(0) += 1;
            }
        }
        let variant_id = variant.id;

        let customer_id = if customer_key.is_empty() {
            None
        } else if let Some(id) = customers.get(customer_key) {
            Some(*id)
        } else {
            let id = catalog::upsert_customer(
                ctx,
                SOURCE,
                customer_key,
                None,
                None,
                (!country.is_empty()).then_some(country),
            )?;
            ctx.tally.customers += 1;
            customers.insert(customer_key.to_string(), id);
            Some(id)
        };

        let (document, line_no) = match documents.get_mut(invoice) {
            Some((doc, n)) => {
                *n += 1;
                (*doc, *n)
            }
            None => {
                let doc = if cancellation {
                    ctx.tally.refunds += 1;
                    Document::Cancellation(catalog::upsert_refund(
                        ctx,
                        &NewRefund {
                            source: SOURCE,
                            external_id: invoice,
                            number: invoice,
                            kind: "cancellation",
                            order_id: None,
                            customer_id,
                            created_at: placed_at,
                            currency: &currency,
                            unitemized_minor: 0,
                        },
                    )?)
                } else {
                    ctx.tally.orders += 1;
                    Document::Order(catalog::upsert_order(
                        ctx,
                        &NewOrder {
                            source: SOURCE,
                            external_id: invoice,
                            number: invoice,
                            customer_id,
                            email: None,
                            country: (!country.is_empty()).then_some(country),
                            placed_at,
                            status: "placed",
                            currency: &currency,
                        },
                    )?)
                };
                documents.insert(invoice.to_string(), (doc, 1));
                (doc, 1)
            }
        };
        match document {
            Document::Order(id) => catalog::insert_order_line(
                ctx,
                id,
                line_no,
                variant_id,
                (!description.is_empty()).then_some(description),
                quantity,
                unit_price_minor,
                total,
            )?,
            Document::Cancellation(id) => catalog::insert_refund_line(
                ctx,
                id,
                line_no,
                variant_id,
                -quantity,
                unit_price_minor,
                -total,
            )?,
        }
    }

    // Titles and prices are known only once every line has been seen.
    for (code, seen) in &variants {
        let title = mode_by(&seen.descriptions, |a, b| b.cmp(a))
            .map(|s| s.as_str())
            .unwrap_or(code);
        let price = mode_by(&seen.sale_prices, |a, b| a.cmp(b))
            .or_else(|| mode_by(&seen.any_prices, |a, b| a.cmp(b)))
            .copied()
            .unwrap_or(0);
        ctx.tx
            .prepare_cached("UPDATE products SET title = ?2 WHERE id = ?1")?
            .execute(params![seen.product_id, title])?;
        let old_price: i64 = ctx
            .tx
            .prepare_cached("SELECT price_minor FROM variants WHERE id = ?1")?
            .query_row([seen.id], |r| r.get(0))?;
        ctx.tx
            .prepare_cached("UPDATE variants SET title = ?2, price_minor = ?3 WHERE id = ?1")?
            .execute(params![seen.id, title, price])?;
        if seen.new {
            catalog::record_price(ctx, seen.id, price, None, None)?;
        } else if old_price != price {
            catalog::record_price(ctx, seen.id, price, None, Some(old_price))?;
        }
    }
    Ok(())
}

/// The most frequent key; ties go to the key that `prefer` orders greatest.
fn mode_by<K: Ord>(
    counts: &HashMap<K, u32>,
    prefer: impl Fn(&K, &K) -> std::cmp::Ordering,
) -> Option<&K> {
    counts
        .iter()
        .max_by(|(ka, na), (kb, nb)| na.cmp(nb).then_with(|| prefer(ka, kb)))
        .map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_non_merchandise_codes() {
        assert_eq!(classify_stock_code("POST"), ProductKind::Shipping);
        assert_eq!(classify_stock_code("C2"), ProductKind::Shipping);
        assert_eq!(classify_stock_code("m"), ProductKind::Fee);
        assert_eq!(classify_stock_code("BANK CHARGES"), ProductKind::Fee);
        assert_eq!(
            classify_stock_code("gift_0001_20"),
            ProductKind::GiftVoucher
        );
        assert_eq!(classify_stock_code("85123A"), ProductKind::Merchandise);
        assert_eq!(classify_stock_code("PADS"), ProductKind::Merchandise);
        assert_eq!(classify_stock_code("DCGS0003"), ProductKind::Merchandise);
    }

    #[test]
    fn mode_breaks_ties_deterministically() {
        let counts: HashMap<String, u32> = [
            ("B".to_string(), 2),
            ("A".to_string(), 2),
            ("C".to_string(), 1),
        ]
        .into();
        // Descriptions: the alphabetically first of the most frequent.
        assert_eq!(mode_by(&counts, |a, b| b.cmp(a)).unwrap(), "A");
        let prices: HashMap<i64, u32> = [(250, 3), (295, 3), (100, 1)].into();
        assert_eq!(*mode_by(&prices, |a, b| a.cmp(b)).unwrap(), 295);
    }
}
