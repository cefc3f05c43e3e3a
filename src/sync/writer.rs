//! The batch writer: each pulled record upserted by its source and external
//! id, in the transaction that also moves the checkpoint.

use crate::error::Result;
use crate::store::Shop;
use crate::storefront::{OrderRecord, Record};
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::HashMap;

/// Writes records, remembering the ids it has looked up.
pub(super) struct Writer<'s> {
    pub(super) source: &'s str,
    pub(super) run: i64,
    pub(super) shop: Shop,
    pub(super) variants: HashMap<String, i64>,
    pub(super) customers: HashMap<String, i64>,
}

impl Writer<'_> {
    pub(super) fn write(&mut self, tx: &Transaction, record: &Record, now: &str) -> Result<()> {
        match record {
            Record::Product(p) => {
                let product: i64 = tx
                    .prepare_cached(
                        "INSERT INTO products (source, external_id, title, category, vendor, tags, kind, active,
                           created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'merchandise', ?7, ?8, ?8)
                         ON CONFLICT (source, external_id) DO UPDATE SET title = excluded.title,
                           category = coalesce(excluded.category, products.category),
                           vendor = excluded.vendor, tags = excluded.tags, active = excluded.active,
                           updated_at = excluded.updated_at
                         RETURNING id",
                    )?
                    .query_row(
                        params![
                            self.source,
                            p.id,
                            p.title,
                            p.category,
                            p.vendor,
                            serde_json::to_string(&p.tags).expect("strings serialize"),
                            p.active,
                            now
                        ],
                        |r| r.get(0),
                    )?;
                for v in &p.variants {
                    let old: Option<(i64, i64, Option<i64>)> = tx
                        .prepare_cached(
                            "SELECT id, price_minor, compare_at_minor FROM variants WHERE source = ?1 AND external_id = ?2",
                        )?
                        .query_row(params![self.source, v.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()?;
                    let title = if v.title.is_empty() || v.title == "Default Title" {
                        &p.title
                    } else {
                        &v.title
                    };
                    let id: i64 = tx
                        .prepare_cached(
                            // A cost the platform does not have keeps the one the
                        // owner imported (`import unit-costs`).
                        "INSERT INTO variants (product_id, source, external_id, sku, title, currency, price_minor,
                               compare_at_minor, cost_minor, stock, active, created_at, updated_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
                             ON CONFLICT (source, external_id) DO UPDATE SET product_id = excluded.product_id,
                               sku = excluded.sku, title = excluded.title, price_minor = excluded.price_minor,
                               compare_at_minor = excluded.compare_at_minor,
                               cost_minor = coalesce(excluded.cost_minor, variants.cost_minor),
                               stock = excluded.stock, active = excluded.active, updated_at = excluded.updated_at
                             RETURNING id",
                        )?
                        .query_row(
                            params![product, self.source, v.id, v.sku, title, self.shop.currency, v.price_minor,
                                    v.compare_at_minor, v.cost_minor, v.stock, p.active, now],
                            |r| r.get(0),
                        )?;
                    let previous = match old {
                        Some((_, price, compare))
                            if price == v.price_minor && compare == v.compare_at_minor =>
                        {
                            continue
                        }
                        Some((_, price, _)) => Some(price),
                        None => None,
                    };
                    tx.prepare_cached(
                        "INSERT INTO price_history (variant_id, changed_at, price_minor, compare_at_minor, previous_price_minor, reason)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'sync')",
                    )?
                    .execute(params![id, p.updated_at, v.price_minor, v.compare_at_minor, previous])?;
                    self.variants.insert(v.id.clone(), id);
                }
            }
            Record::Customer(c) => {
                let id: i64 = tx
                    .prepare_cached(
                        "INSERT INTO customers (source, external_id, email, name, country, created_at, tags, updated_at, birthday)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (source, external_id) DO UPDATE SET email = excluded.email, name = excluded.name,
                           country = excluded.country, tags = excluded.tags, updated_at = excluded.updated_at,
                           birthday = coalesce(excluded.birthday, customers.birthday)
                         RETURNING id",
                    )?
                    .query_row(
                        params![self.source, c.id, c.email, c.name, c.country, c.created_at,
                                serde_json::to_string(&c.tags).expect("strings serialize"), c.updated_at, c.birthday],
                        |r| r.get(0),
                    )?;
                self.customers.insert(c.id.clone(), id);
            }
            Record::Order(o) => self.write_order(tx, o, now)?,
            Record::Discount(d) => {
                // One the app pushed is already mirrored (as 'storefront'):
                // the pull takes it over rather than adding a second row.
                let def = crate::storefront::local::definition(&d.discount);
                let updated = tx
                    .prepare_cached(
                        "UPDATE discounts SET source = ?1, definition = ?3, updated_at = ?4, pulled_in = ?5
                         WHERE external_id = ?2 AND source <> 'local'",
                    )?
                    .execute(params![self.source, d.id, def, now, self.run])?;
                if updated == 0 {
                    tx.prepare_cached(
                        "INSERT INTO discounts (source, external_id, definition, updated_at, pulled_in) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![self.source, d.id, def, now, self.run])?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn customer(
        &mut self,
        tx: &Transaction,
        external_id: &str,
        now: &str,
    ) -> Result<i64> {
        if let Some(id) = self.customers.get(external_id) {
            return Ok(*id);
        }
        // A customer the customers pull has not brought (deleted since, or
        // created after it): keep the link with a bare record.
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO customers (source, external_id, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source, external_id) DO UPDATE SET external_id = excluded.external_id
                 RETURNING id",
            )?
            .query_row(params![self.source, external_id, now], |r| r.get(0))?;
        self.customers.insert(external_id.to_string(), id);
        Ok(id)
    }

    pub(super) fn variant(
        &mut self,
        tx: &Transaction,
        line: &crate::storefront::LineRecord,
        now: &str,
    ) -> Result<i64> {
        let key = match &line.variant {
            Some(v) => v.clone(),
            // The product was deleted since: one stand-in per SKU or title.
            None => format!("deleted:{}", line.sku.as_deref().unwrap_or(&line.title)),
        };
        if let Some(id) = self.variants.get(&key) {
            return Ok(*id);
        }
        let found: Option<i64> = tx
            .prepare_cached("SELECT id FROM variants WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![self.source, key], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                let product: i64 = tx
                    .prepare_cached(
                        "INSERT INTO products (source, external_id, title, kind, active, created_at, updated_at)
                         VALUES (?1, ?2, ?3, 'merchandise', 0, ?4, ?4)
                         ON CONFLICT (source, external_id) DO UPDATE SET updated_at = excluded.updated_at
                         RETURNING id",
                    )?
                    .query_row(params![self.source, format!("product-of:{key}"), line.title, now], |r| r.get(0))?;
                tx.prepare_cached(
                    "INSERT INTO variants (product_id, source, external_id, sku, title, currency, price_minor, active, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8) RETURNING id",
                )?
                .query_row(
                    params![product, self.source, key, line.sku, line.title, self.shop.currency, line.unit_price_minor, now],
                    |r| r.get(0),
                )?
            }
        };
        self.variants.insert(key, id);
        Ok(id)
    }

    pub(super) fn write_order(
        &mut self,
        tx: &Transaction,
        o: &OrderRecord,
        now: &str,
    ) -> Result<()> {
        let customer = match &o.customer {
            Some(c) => Some(self.customer(tx, c, now)?),
            None => None,
        };
        let status = if o.cancelled_at.is_some() {
            "cancelled"
        } else {
            o.financial_status.as_str()
        };
        let order: i64 = tx
            .prepare_cached(
                "INSERT INTO orders (source, external_id, number, customer_id, email, country, placed_at, status, currency, updated_at, cancelled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (source, external_id) DO UPDATE SET number = excluded.number,
                   customer_id = excluded.customer_id, email = excluded.email, country = excluded.country,
                   placed_at = excluded.placed_at, status = excluded.status, currency = excluded.currency,
                   updated_at = excluded.updated_at, cancelled_at = excluded.cancelled_at
                 RETURNING id",
            )?
            .query_row(
                params![self.source, o.id, o.number, customer, o.email, o.country, o.placed_at, status,
                        o.currency, o.updated_at, o.cancelled_at],
                |r| r.get(0),
            )?;
        // An edited order's lines and refunds are replaced as a whole.
        tx.prepare_cached("DELETE FROM order_lines WHERE order_id = ?1")?
            .execute([order])?;
        let mut by_line: HashMap<&str, (i64, i64)> = HashMap::new();
        for (n, l) in o.lines.iter().enumerate() {
            let variant = self.variant(tx, l, now)?;
            let total = l.unit_price_minor * l.quantity;
            tx.prepare_cached(
                "INSERT INTO order_lines (order_id, line_no, variant_id, title, quantity, unit_price_minor, line_total_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![order, n as i64 + 1, variant, l.title, l.quantity, l.unit_price_minor, total])?;
            by_line.insert(&l.id, (variant, l.unit_price_minor));
        }
        for r in &o.refunds {
            let refund: i64 = tx
                .prepare_cached(
                    "INSERT INTO refunds (source, external_id, number, kind, order_id, customer_id, created_at, currency, unitemized_minor)
                     VALUES (?1, ?2, ?3, 'refund', ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (source, external_id) DO UPDATE SET order_id = excluded.order_id,
                       customer_id = excluded.customer_id, created_at = excluded.created_at,
                       currency = excluded.currency, unitemized_minor = excluded.unitemized_minor
                     RETURNING id",
                )?
                .query_row(
                    params![self.source, r.id, o.number, order, customer, r.created_at, o.currency,
                            (r.total_minor - r.lines.iter().map(|l| l.amount_minor).sum::<i64>()).max(0)],
                    |row| row.get(0),
                )?;
            tx.prepare_cached("DELETE FROM refund_lines WHERE refund_id = ?1")?
                .execute([refund])?;
            for (n, rl) in r.lines.iter().enumerate() {
                let Some(&(variant, unit)) = by_line.get(rl.line.as_str()) else {
                    continue;
                };
                tx.prepare_cached(
                    "INSERT INTO refund_lines (refund_id, line_no, variant_id, quantity, unit_price_minor, amount_minor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![refund, n as i64 + 1, variant, rl.quantity, unit, rl.amount_minor])?;
            }
        }
        Ok(())
    }
}
