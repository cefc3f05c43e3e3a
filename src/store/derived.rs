//! The derived sales tables (`sales_by_order`, `sales_by_variant_day`,
//! `sales_by_variant_month`): what reports and the demand model read instead
//! of the order lines. They belong to the write side: every change to orders
//! (import, sync, a shop's new time zone) rebuilds them in its transaction.

use crate::error::{Error, Result};
use crate::time::fmt_day;
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// Rebuilds `sales_by_order` and `sales_by_variant_day` from the order lines.
/// This is where a *sale line* is defined (see `docs/metrics.md`): a line of a
/// merchandise variant with quantity > 0 and a unit price of at least one
/// minor unit. Cancellations live in `refunds` and never reach these tables.
/// Runs in the caller's transaction, after every change to orders.
pub fn refresh_sales(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM sales_by_order; DELETE FROM sales_by_variant_day; DELETE FROM sales_by_variant_month;",
    )?;
    let Some(shop) = super::read_shop(conn)? else {
        return Ok(());
    };
    let tz = shop.tz()?;
    let merchandise: std::collections::HashSet<i64> = conn
        .prepare("SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id WHERE p.kind = 'merchandise'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut currencies: Vec<String> = Vec::new();
    // (day, variant, currency index) → (orders, units, gross)
    let mut by_variant_day: HashMap<(NaiveDate, i64, usize), (i64, i64, i64)> = HashMap::new();
    // Lines come in order-id order (the table is clustered by order), so each
    // order is summed as it streams past.
    let mut stmt = conn.prepare(
        "SELECT l.order_id, o.placed_at, o.customer_id, o.currency, l.variant_id, l.quantity, l.line_total_minor
         FROM order_lines l CROSS JOIN orders o ON o.id = l.order_id
         WHERE l.quantity > 0 AND l.unit_price_minor >= 1
         ORDER BY l.order_id",
    )?;
    let mut rows = stmt.query([])?;
    struct Current {
        id: i64,
        day: NaiveDate,
        customer_id: Option<i64>,
        currency: usize,
        units: i64,
        gross: i64,
        variants: Vec<i64>,
    }
    let mut current: Option<Current> = None;
    let flush = |c: &Current,
                 insert: &mut rusqlite::CachedStatement<'_>,
                 currencies: &[String]|
     -> Result<()> {
        insert.execute(params![
            c.id,
            fmt_day(c.day),
            c.customer_id,
            currencies[c.currency],
            c.units,
            c.gross
        ])?;
        Ok(())
    };
    let mut insert_order = conn.prepare_cached(
        "INSERT INTO sales_by_order (order_id, day, customer_id, currency, units, gross_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    while let Some(r) = rows.next()? {
        let variant: i64 = r.get(4)?;
        if !merchandise.contains(&variant) {
            continue;
        }
        let order_id: i64 = r.get(0)?;
        if current.as_ref().map(|c| c.id) != Some(order_id) {
            if let Some(c) = current.take() {
                flush(&c, &mut insert_order, &currencies)?;
            }
            let placed: String = r.get(1)?;
            let utc = chrono::DateTime::parse_from_rfc3339(&placed)
                .map_err(|_| Error::InvalidArgument(format!("bad stored time {placed:?}")))?;
            let currency: String = r.get(3)?;
            let currency = match currencies.iter().position(|c| *c == currency) {
                Some(i) => i,
                None => {
                    currencies.push(currency);
                    currencies.len() - 1
                }
            };
            current = Some(Current {
                id: order_id,
                day: utc.with_timezone(&tz).date_naive(),
                customer_id: r.get(2)?,
                currency,
                units: 0,
                gross: 0,
                variants: Vec::new(),
            });
        }
        let c = current.as_mut().expect("set above");
        let (units, gross): (i64, i64) = (r.get(5)?, r.get(6)?);
        c.units += units;
        c.gross += gross;
        let entry = by_variant_day
            .entry((c.day, variant, c.currency))
            .or_insert((0, 0, 0));
        if !c.variants.contains(&variant) {
            c.variants.push(variant);
            entry.0 += 1;
        }
        entry.1 += units;
        entry.2 += gross;
    }
    if let Some(c) = current.take() {
        flush(&c, &mut insert_order, &currencies)?;
    }
    // Inserting in key order appends to the table instead of splitting pages.
    let mut rows: Vec<_> = by_variant_day.into_iter().collect();
    rows.sort_unstable_by(|a, b| {
        (&currencies[a.0 .2], a.0 .0, a.0 .1).cmp(&(&currencies[b.0 .2], b.0 .0, b.0 .1))
    });
    let mut insert_day = conn.prepare(
        "INSERT INTO sales_by_variant_day (day, variant_id, currency, orders, units, gross_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    // (month, variant, currency) → sums; the day rows arrive in month order.
    let mut by_month: std::collections::BTreeMap<(usize, String, i64), (i64, i64, i64)> =
        std::collections::BTreeMap::new();
    for ((day, variant, currency), (orders, units, gross)) in rows {
        let day = fmt_day(day);
        insert_day.execute(params![
            day,
            variant,
            currencies[currency],
            orders,
            units,
            gross
        ])?;
        let m = by_month
            .entry((currency, day[..7].to_string(), variant))
            .or_insert((0, 0, 0));
        m.0 += orders;
        m.1 += units;
        m.2 += gross;
    }
    let mut insert_month = conn.prepare(
        "INSERT INTO sales_by_variant_month (month, variant_id, currency, orders, units, gross_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for ((currency, month, variant), (orders, units, gross)) in by_month {
        insert_month.execute(params![
            month,
            variant,
            currencies[currency],
            orders,
            units,
            gross
        ])?;
    }
    Ok(())
}
