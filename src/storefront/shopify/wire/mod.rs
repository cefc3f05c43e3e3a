//! The shapes of what Shopify answers, as typed structs that mirror the
//! selections in `graphql/` (the bulk and the paged documents select the
//! same fields), and their mapping into the sync's records. A field renamed
//! or missing in an answer fails to decode with its name, instead of being
//! read as empty.

use crate::error::{Error, Result};
use crate::money;
use crate::storefront::Price;
use crate::storefront::{
    CustomerRecord, Entity, LineRecord, OrderRecord, ProductRecord, Record, RefundLineRecord,
    RefundRecord, Value, VariantRecord,
};
use serde::Deserialize;
use serde_json::Value as Json;

mod discounts;
#[cfg(test)]
pub(super) use discounts::discount_from;
pub(super) use discounts::pulled_discount;

/// `Decimal` and `Money` scalars arrive as strings (older answers, and the
/// fake's, as numbers): either way, exact.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
    Text(String),
    Number(serde_json::Number),
}

impl Amount {
    fn minor(&self, currency: &str) -> Result<i64> {
        let text = match self {
            Amount::Text(t) => t.clone(),
            Amount::Number(n) => n.to_string(),
        };
        money::parse_decimal(&text)
            .and_then(|d| money::to_minor(d, currency))
            .ok_or_else(|| Error::Storefront(format!("\"{text}\" is not an amount")))
    }
}

/// `MoneyBag { shopMoney { amount } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoneyBag {
    shop_money: MoneyV2,
}

#[derive(Debug, Deserialize)]
struct MoneyV2 {
    amount: Amount,
}

impl MoneyBag {
    fn minor(&self, currency: &str) -> Result<i64> {
        self.shop_money.amount.minor(currency)
    }
}

/// A node that is only referenced by its id (`customer { id }`).
#[derive(Debug, Deserialize)]
struct Ref {
    id: String,
}

#[derive(Debug, Deserialize)]
struct MetafieldText {
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProductNode {
    id: String,
    title: String,
    product_type: Option<String>,
    category: Option<Category>,
    vendor: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    status: Option<String>,
    updated_at: String,
}

/// The standard product taxonomy's category (`category { name }`).
#[derive(Debug, Deserialize)]
struct Category {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InventoryItem {
    unit_cost: Option<MoneyV2>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VariantNode {
    id: String,
    sku: Option<String>,
    title: Option<String>,
    price: Amount,
    compare_at_price: Option<Amount>,
    inventory_quantity: Option<i64>,
    inventory_item: Option<InventoryItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerNode {
    id: String,
    display_name: Option<String>,
    default_email_address: Option<EmailAddress>,
    default_address: Option<Address>,
    #[serde(default)]
    tags: Vec<String>,
    /// The standard `facts.birth_date` metafield (a date).
    birth_date: Option<MetafieldText>,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailAddress {
    email_address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Address {
    country_code_v2: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderNode {
    id: String,
    name: String,
    email: Option<String>,
    processed_at: String,
    updated_at: String,
    cancelled_at: Option<String>,
    display_financial_status: Option<String>,
    currency_code: Option<String>,
    customer: Option<Ref>,
    billing_address: Option<Address>,
    #[serde(default)]
    refunds: Vec<RefundNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundNode {
    id: String,
    created_at: Option<String>,
    total_refunded_set: MoneyBag,
    #[serde(default)]
    refund_line_items: Nodes<RefundLineNode>,
}

#[derive(Debug, Deserialize)]
struct Nodes<T> {
    nodes: Vec<T>,
}

impl<T> Default for Nodes<T> {
    fn default() -> Self {
        Nodes { nodes: Vec::new() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundLineNode {
    quantity: Option<i64>,
    line_item: Ref,
    subtotal_set: MoneyBag,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineItemNode {
    id: String,
    sku: Option<String>,
    title: Option<String>,
    quantity: Option<i64>,
    variant: Option<Ref>,
    original_unit_price_set: MoneyBag,
}

#[derive(Debug, Deserialize)]
struct DiscountNode {
    id: String,
    discount: Json,
}

/// Decodes one node of `what` (for the message: "a product").
fn decode<T: serde::de::DeserializeOwned>(node: &Json, what: &str) -> Result<T> {
    T::deserialize(node).map_err(|e| Error::Storefront(format!("{what} could not be read: {e}")))
}

/// Blank text is no text.
fn filled(text: Option<String>) -> Option<String> {
    text.filter(|s| !s.is_empty())
}

/// One pulled node of `entity` (with its children: a product's variants,
/// an order's lines) as the sync writes it.
pub(super) fn record(
    entity: Entity,
    node: &Json,
    children: &[Json],
    currency: &str,
) -> Result<Record> {
    Ok(match entity {
        Entity::Discounts => {
            let d: DiscountNode = decode(node, "a discount")?;
            Record::Discount(super::super::DiscountRecord {
                id: d.id,
                discount: pulled_discount(&d.discount, currency)?,
            })
        }
        Entity::Products => {
            let p: ProductNode = decode(node, "a product")?;
            Record::Product(ProductRecord {
                id: p.id,
                title: p.title,
                category: filled(p.product_type)
                    .or_else(|| filled(p.category.and_then(|c| c.name))),
                vendor: filled(p.vendor),
                tags: match Value::Tags(p.tags).normalized() {
                    Value::Tags(t) => t,
                    _ => Vec::new(),
                },
                active: p.status.as_deref() == Some("ACTIVE"),
                updated_at: normalize_time(&p.updated_at),
                variants: children
                    .iter()
                    .map(|v| {
                        let v: VariantNode = decode(v, "a variant")?;
                        Ok(VariantRecord {
                            id: v.id,
                            sku: filled(v.sku),
                            title: v.title.unwrap_or_default(),
                            price_minor: v.price.minor(currency)?,
                            compare_at_minor: v
                                .compare_at_price
                                .map(|c| c.minor(currency))
                                .transpose()?,
                            stock: v.inventory_quantity,
                            cost_minor: v
                                .inventory_item
                                .and_then(|i| i.unit_cost)
                                .map(|c| c.amount.minor(currency))
                                .transpose()?,
                        })
                    })
                    .collect::<Result<_>>()?,
            })
        }
        Entity::Customers => {
            let c: CustomerNode = decode(node, "a customer")?;
            Record::Customer(CustomerRecord {
                id: c.id,
                name: filled(c.display_name),
                email: filled(c.default_email_address.and_then(|e| e.email_address)),
                country: filled(c.default_address.and_then(|a| a.country_code_v2)),
                tags: match Value::Tags(c.tags).normalized() {
                    Value::Tags(t) => t,
                    _ => Vec::new(),
                },
                birthday: c
                    .birth_date
                    .and_then(|m| crate::loyalty::birthday(&m.value)),
                created_at: normalize_time(&c.created_at),
                updated_at: normalize_time(&c.updated_at),
            })
        }
        Entity::Orders => {
            let o: OrderNode = decode(node, "an order")?;
            let updated_at = normalize_time(&o.updated_at);
            Record::Order(OrderRecord {
                id: o.id,
                number: o.name,
                customer: o.customer.map(|c| c.id),
                email: filled(o.email),
                country: filled(o.billing_address.and_then(|a| a.country_code_v2)),
                placed_at: normalize_time(&o.processed_at),
                cancelled_at: o.cancelled_at.as_deref().map(normalize_time),
                financial_status: o
                    .display_financial_status
                    .unwrap_or_else(|| "pending".into())
                    .to_lowercase(),
                currency: o.currency_code.unwrap_or_else(|| currency.to_string()),
                lines: children
                    .iter()
                    .map(|l| {
                        let l: LineItemNode = decode(l, "an order line")?;
                        Ok(LineRecord {
                            id: l.id,
                            variant: l.variant.map(|v| v.id),
                            sku: filled(l.sku),
                            title: l.title.unwrap_or_default(),
                            quantity: l.quantity.unwrap_or(0),
                            unit_price_minor: l.original_unit_price_set.minor(currency)?,
                        })
                    })
                    .collect::<Result<_>>()?,
                refunds: o
                    .refunds
                    .into_iter()
                    .map(|r| {
                        Ok(RefundRecord {
                            id: r.id,
                            created_at: r
                                .created_at
                                .as_deref()
                                .map_or_else(|| updated_at.clone(), normalize_time),
                            total_minor: r.total_refunded_set.minor(currency)?,
                            lines: r
                                .refund_line_items
                                .nodes
                                .into_iter()
                                .map(|rl| {
                                    Ok(RefundLineRecord {
                                        line: rl.line_item.id,
                                        quantity: rl.quantity.unwrap_or(0),
                                        amount_minor: rl.subtotal_set.minor(currency)?,
                                    })
                                })
                                .collect::<Result<_>>()?,
                        })
                    })
                    .collect::<Result<_>>()?,
                updated_at,
            })
        }
    })
}

pub(super) fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

pub(super) fn bump(high: &mut Option<String>, t: &Json) {
    if let Some(t) = t.as_str() {
        let t = normalize_time(t);
        if high.as_deref().is_none_or(|h| t.as_str() > h) {
            *high = Some(t);
        }
    }
}

/// Shopify's `DateTime` as the store keeps time: UTC, whole seconds.
pub(super) fn normalize_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| crate::time::fmt_utc(d.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| t.to_string())
}

/// A variant's `price` and `compareAtPrice`, as the push and read documents
/// select them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PriceNode {
    price: Amount,
    compare_at_price: Option<Amount>,
}

pub(super) fn price_from(v: &Json, currency: &str) -> Result<Price> {
    let p: PriceNode = decode(v, "a price")?;
    Ok(Price {
        price_minor: p.price.minor(currency)?,
        compare_at_minor: p.compare_at_price.map(|c| c.minor(currency)).transpose()?,
    })
}
