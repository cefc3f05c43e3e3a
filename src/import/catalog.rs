//! Upserts shared by the importers. Every row is keyed by (source, external
//! id); an upsert returns the row's id whether it was new or already there.

use super::Ctx;
use crate::error::Result;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// What a product is, for the reports: only merchandise counts as sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Goods for sale.
    Merchandise,
    /// Postage and delivery charges.
    Shipping,
    /// Fees, manual adjustments, discounts, bank charges, donations.
    Fee,
    /// Gift vouchers: money held for later, not a sale of goods.
    GiftVoucher,
}

impl ProductKind {
    /// The value stored in `products.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Merchandise => "merchandise",
            ProductKind::Shipping => "shipping",
            ProductKind::Fee => "fee",
            ProductKind::GiftVoucher => "gift_voucher",
        }
    }
}

/// A product as an importer sees it.
pub struct NewProduct<'a> {
    pub source: &'a str,
    pub external_id: &'a str,
    pub title: &'a str,
    pub category: Option<&'a str>,
    pub kind: ProductKind,
    pub active: bool,
}

/// Inserts or updates a product; returns its id.
pub fn upsert_product(ctx: &Ctx, p: &NewProduct) -> Result<i64> {
    let mut stmt = ctx.tx.prepare_cached(
        "INSERT INTO products (source, external_id, title, category, kind, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (source, external_id) DO UPDATE SET
           title = excluded.title,
           category = coalesce(excluded.category, products.category),
           kind = excluded.kind, active = excluded.active, updated_at = excluded.updated_at
         RETURNING id",
    )?;
    Ok(stmt.query_row(
        params![
            p.source,
            p.external_id,
            p.title,
            p.category,
            p.kind.as_str(),
            p.active,
            ctx.now
        ],
        |r| r.get(0),
    )?)
}

/// A variant's fields; `None` leaves a stored value as it is (or NULL when new).
pub struct NewVariant<'a> {
    pub product_id: i64,
    pub source: &'a str,
    pub external_id: &'a str,
    pub sku: Option<&'a str>,
    pub title: &'a str,
    pub price_minor: Option<i64>,
    pub compare_at_minor: Option<i64>,
    pub cost_minor: Option<i64>,
    pub stock: Option<i64>,
    pub active: bool,
}

/// Inserts or updates a variant and records a price change in price history.
/// Returns the id and whether the price changed.
pub fn upsert_variant(ctx: &mut Ctx, v: &NewVariant) -> Result<i64> {
    let existing: Option<(i64, i64, Option<i64>)> = ctx
        .tx
        .prepare_cached(
            "SELECT id, price_minor, compare_at_minor FROM variants WHERE source = ?1 AND external_id = ?2",
        )?
        .query_row(params![v.source, v.external_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let id = match existing {
        Some((id, old_price, old_compare)) => {
            ctx.tx
                .prepare_cached(
                    "UPDATE variants SET product_id = ?2, sku = coalesce(?3, sku), title = ?4,
                       price_minor = coalesce(?5, price_minor),
                       compare_at_minor = coalesce(?6, compare_at_minor),
                       cost_minor = coalesce(?7, cost_minor), stock = coalesce(?8, stock),
                       active = ?9, updated_at = ?10
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    v.product_id,
                    v.sku,
                    v.title,
                    v.price_minor,
                    v.compare_at_minor,
                    v.cost_minor,
                    v.stock,
                    v.active,
                    ctx.now
                ])?;
            let new_price = v.price_minor.unwrap_or(old_price);
            let new_compare = v.compare_at_minor.or(old_compare);
            if new_price != old_price || new_compare != old_compare {
                record_price(ctx, id, new_price, new_compare, Some(old_price))?;
            }
            id
        }
        None => {
            let price = v.price_minor.unwrap_or(0);
            let id: i64 = ctx
                .tx
                .prepare_cached(
                    "INSERT INTO variants (product_id, source, external_id, sku, title, currency,
                       price_minor, compare_at_minor, cost_minor, stock, active, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
                     RETURNING id",
                )?
                .query_row(
                    params![
                        v.product_id,
                        v.source,
                        v.external_id,
                        v.sku,
                        v.title,
                        ctx.shop.currency,
                        price,
                        v.compare_at_minor,
                        v.cost_minor,
                        v.stock,
                        v.active,
                        ctx.now
                    ],
                    |r| r.get(0),
                )?;
            if v.price_minor.is_some() {
                record_price(ctx, id, price, v.compare_at_minor, None)?;
            }
            id
        }
    };
    Ok(id)
}

/// Appends to price history.
pub fn record_price(
    ctx: &mut Ctx,
    variant_id: i64,
    price: i64,
    compare_at: Option<i64>,
    previous: Option<i64>,
) -> Result<()> {
    ctx.tx
        .prepare_cached(
            "INSERT INTO price_history (variant_id, changed_at, price_minor, compare_at_minor,
               previous_price_minor, reason, import_run_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            variant_id, ctx.now, price, compare_at, previous, "import", ctx.run_id
        ])?;
    if previous.is_some() {
        ctx.tally.price_changes += 1;
    }
    Ok(())
}

/// Finds a variant by SKU in any source; the oldest wins when several share it.
pub fn variant_by_sku(ctx: &Ctx, sku: &str) -> Result<Option<i64>> {
    Ok(ctx
        .tx
        .prepare_cached("SELECT id FROM variants WHERE sku = ?1 ORDER BY id LIMIT 1")?
        .query_row([sku], |r| r.get(0))
        .optional()?)
}

/// Inserts or updates a customer; blank fields keep what is stored.
pub fn upsert_customer(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    email: Option<&str>,
    name: Option<&str>,
    country: Option<&str>,
) -> Result<i64> {
    let mut stmt = ctx.tx.prepare_cached(
        "INSERT INTO customers (source, external_id, email, name, country, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (source, external_id) DO UPDATE SET
           email = coalesce(excluded.email, customers.email),
           name = coalesce(excluded.name, customers.name),
           country = coalesce(excluded.country, customers.country)
         RETURNING id",
    )?;
    Ok(stmt.query_row(
        params![source, external_id, email, name, country, ctx.now],
        |r| r.get(0),
    )?)
}

/// An order header.
pub struct NewOrder<'a> {
    pub source: &'a str,
    pub external_id: &'a str,
    pub number: &'a str,
    pub customer_id: Option<i64>,
    pub email: Option<&'a str>,
    pub country: Option<&'a str>,
    pub placed_at: &'a str,
    pub status: &'a str,
    pub currency: &'a str,
}

/// Inserts or updates an order and clears its lines, which the importer then
/// writes afresh: a re-import replaces an order's lines rather than adding.
pub fn upsert_order(ctx: &Ctx, o: &NewOrder) -> Result<i64> {
    let id: i64 = ctx
        .tx
        .prepare_cached(
            "INSERT INTO orders (source, external_id, number, customer_id, email, country, placed_at, status, currency)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (source, external_id) DO UPDATE SET
               number = excluded.number, customer_id = excluded.customer_id, email = excluded.email,
               country = excluded.country, placed_at = excluded.placed_at, status = excluded.status,
               currency = excluded.currency
             RETURNING id",
        )?
        .query_row(
            params![
                o.source,
                o.external_id,
                o.number,
                o.customer_id,
                o.email,
                o.country,
                o.placed_at,
                o.status,
                o.currency
            ],
            |r| r.get(0),
        )?;
    ctx.tx
        .prepare_cached("DELETE FROM order_lines WHERE order_id = ?1")?
        .execute([id])?;
    Ok(id)
}

/// Adds a line to an order.
#[allow(clippy::too_many_arguments)]
pub fn insert_order_line(
    ctx: &Ctx,
    order_id: i64,
    line_no: i64,
    variant_id: i64,
    title: Option<&str>,
    quantity: i64,
    unit_price_minor: i64,
    line_total_minor: i64,
) -> Result<()> {
    ctx.tx
        .prepare_cached(
            "INSERT INTO order_lines (order_id, line_no, variant_id, title, quantity, unit_price_minor, line_total_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![order_id, line_no, variant_id, title, quantity, unit_price_minor, line_total_minor])?;
    Ok(())
}

/// A cancellation or refund header.
pub struct NewRefund<'a> {
    pub source: &'a str,
    pub external_id: &'a str,
    pub number: &'a str,
    pub kind: &'a str,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub created_at: &'a str,
    pub currency: &'a str,
    pub unitemized_minor: i64,
}

/// Inserts or updates a refund and clears its lines (as for orders).
pub fn upsert_refund(ctx: &Ctx, r: &NewRefund) -> Result<i64> {
    let id: i64 = ctx
        .tx
        .prepare_cached(
            "INSERT INTO refunds (source, external_id, number, kind, order_id, customer_id, created_at, currency, unitemized_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (source, external_id) DO UPDATE SET
               number = excluded.number, kind = excluded.kind, order_id = excluded.order_id,
               customer_id = excluded.customer_id, created_at = excluded.created_at,
               currency = excluded.currency, unitemized_minor = excluded.unitemized_minor
             RETURNING id",
        )?
        .query_row(
            params![
                r.source,
                r.external_id,
                r.number,
                r.kind,
                r.order_id,
                r.customer_id,
                r.created_at,
                r.currency,
                r.unitemized_minor
            ],
            |row| row.get(0),
        )?;
    ctx.tx
        .prepare_cached("DELETE FROM refund_lines WHERE refund_id = ?1")?
        .execute([id])?;
    Ok(id)
}

/// Adds a line to a refund; quantity and amount are positive.
pub fn insert_refund_line(
    ctx: &Ctx,
    refund_id: i64,
    line_no: i64,
    variant_id: i64,
    quantity: i64,
    unit_price_minor: i64,
    amount_minor: i64,
) -> Result<()> {
    ctx.tx
        .prepare_cached(
            "INSERT INTO refund_lines (refund_id, line_no, variant_id, quantity, unit_price_minor, amount_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![refund_id, line_no, variant_id, quantity, unit_price_minor, amount_minor])?;
    Ok(())
}
