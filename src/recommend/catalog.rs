//! The products recommendations may name: the shop's merchandise, each with
//! the SKU, price and unit cost of its first variant (the one an owner
//! types and a list shows), by product id.

use crate::error::Result;
use rusqlite::Connection;

/// One product as the lists see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    /// The storefront's id (a metafield's reference).
    pub external_id: String,
    /// Its first variant's storefront id (what a discount names).
    pub variant_external: String,
    pub sku: Option<String>,
    pub title: String,
    pub category: Option<String>,
    /// Still sold (an inactive product is never recommended).
    pub active: bool,
    pub price_minor: i64,
    pub cost_minor: Option<i64>,
}

impl Product {
    /// What one unit leaves the shop, where the cost is known.
    pub fn margin_minor(&self) -> Option<i64> {
        self.cost_minor.map(|c| self.price_minor - c)
    }

    /// What an owner reads: the SKU, else the title.
    pub fn label(&self) -> &str {
        self.sku.as_deref().unwrap_or(&self.title)
    }
}

/// Every merchandise product with a variant, by id ascending.
pub fn read(conn: &Connection) -> Result<Vec<Product>> {
    let mut stmt = conn.prepare(
        "SELECT p.id, p.external_id, v.sku, p.title, p.category,
                p.active = 1 AND v.active = 1, v.price_minor, v.cost_minor, v.external_id
         FROM products p
         JOIN variants v ON v.id = (SELECT MIN(id) FROM variants WHERE product_id = p.id)
         WHERE p.kind = 'merchandise'
         ORDER BY p.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Product {
            id: r.get(0)?,
            external_id: r.get(1)?,
            sku: r.get(2)?,
            title: r.get(3)?,
            category: r
                .get::<_, Option<String>>(4)?
                .filter(|c| !c.trim().is_empty()),
            active: r.get(5)?,
            price_minor: r.get(6)?,
            cost_minor: r.get(7)?,
            variant_external: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
