//! Changes the owner makes by hand (a price, a customer's tags), and how a
//! journaled value is described in messages.

use super::*;
use crate::error::{Error, Result};
use crate::storefront::{Target, Value};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

/// A short description of a value for a message.
pub fn describe(v: &Value, currency: &str) -> String {
    describe_with(v, &|m| {
        format!("{} {currency}", crate::money::format_major(m, currency))
    })
}

/// [`describe`] with amounts written by `money`.
pub fn describe_with(v: &Value, money: &dyn Fn(i64) -> String) -> String {
    match v {
        Value::Price(p) => match p.compare_at_minor {
            Some(c) => format!("price {} (compare at {})", money(p.price_minor), money(c)),
            None => format!("price {}", money(p.price_minor)),
        },
        Value::Tags(t) if t.is_empty() => "no tags".into(),
        Value::Tags(t) => format!("tags {}", t.join(", ")),
        Value::Metafield(None) | Value::Discount(None) => "absent".into(),
        Value::Metafield(Some(m)) => format!("\"{}\"", m.value),
        Value::Renewal(true) => "renewal attempted".into(),
        Value::Renewal(false) => "not attempted".into(),
        Value::ContractStatus(s) => s.to_ascii_lowercase(),
        Value::Skipped(true) => "skipped".into(),
        Value::Skipped(false) => "not skipped".into(),
        Value::Discount(Some(d)) => format!(
            "discount \"{}\"{}",
            d.title,
            match &d.ends_at {
                Some(e) => format!(" ending {e}"),
                None => String::new(),
            }
        ),
    }
}

/// The source a change should address: the connected platform's records,
/// or any record when the shop has no connection.
pub(super) fn source_filter(conn: &Connection) -> Result<Option<String>> {
    Ok(crate::storefront::connection::load(conn)?.map(|c| c.platform))
}

/// A change the owner makes by hand: the CLI's `push`, the app's journal page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ManualChange {
    /// A variant's price (and compare-at price), as typed in major units.
    Price {
        sku: String,
        price: String,
        compare_at: Option<String>,
    },
    /// Tags to add to and remove from a customer (id or e-mail address).
    Tags {
        customer: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
}

impl ManualChange {
    /// The change, addressed to the shop's records, amounts in the shop's
    /// currency. An unusual price is [`Error::ConfirmationRequired`] unless
    /// `confirmed`.
    pub fn change(&self, conn: &Connection, confirmed: bool) -> Result<Change> {
        let currency = crate::store::read_shop(conn)?
            .ok_or(Error::NoShop)?
            .currency;
        let amount = |text: &str| {
            crate::money::parse_decimal(text.trim())
                .and_then(|d| crate::money::to_minor(d, &currency))
                .ok_or_else(|| Error::InvalidArgument(format!("\"{text}\" is not an amount")))
        };
        match self {
            ManualChange::Price {
                sku,
                price,
                compare_at,
            } => {
                let compare = compare_at
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .map(amount)
                    .transpose()?;
                price_change(conn, sku.trim(), amount(price)?, compare, confirmed)
            }
            ManualChange::Tags {
                customer,
                add,
                remove,
            } => {
                let clean = |v: &[String]| -> Vec<String> {
                    v.iter()
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .collect()
                };
                let (add, remove) = (clean(add), clean(remove));
                if add.is_empty() && remove.is_empty() {
                    return Err(Error::InvalidArgument(
                        "name a tag to add or to remove".into(),
                    ));
                }
                tags_change(conn, customer.trim(), &add, &remove)
            }
        }
    }
}

/// A price change for the variant with `sku`.
pub fn price_change(
    conn: &Connection,
    sku: &str,
    price_minor: i64,
    compare_at_minor: Option<i64>,
    confirmed: bool,
) -> Result<Change> {
    if price_minor < 0 || compare_at_minor.is_some_and(|c| c < 0) {
        return Err(Error::InvalidArgument("a price cannot be negative".into()));
    }
    let source = source_filter(conn)?;
    let (variant, product, current): (String, String, i64) = conn
        .query_row(
            "SELECT v.external_id, p.external_id, v.price_minor FROM variants v JOIN products p ON p.id = v.product_id
             WHERE v.sku = ?1 AND (?2 IS NULL OR v.source = ?2) ORDER BY v.active DESC, v.id LIMIT 1",
            params![sku, source],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| Error::InvalidArgument(format!("no product with SKU {sku} in this shop")))?;
    if !confirmed {
        let currency = crate::store::read_shop(conn)?
            .map(|s| s.currency)
            .unwrap_or_default();
        if let Some(why) = unusual_price(price_minor, current, &currency) {
            return Err(Error::ConfirmationRequired(format!(
                "{why} for {sku}: confirm to send it"
            )));
        }
    }
    Ok(Change {
        target: Target::VariantPrice { product, variant },
        label: format!("Price of {sku}"),
        value: Value::Price(crate::storefront::Price {
            price_minor,
            compare_at_minor,
        }),
    })
}

/// Why a price a person typed looks like a slip (zero, or more than ten
/// times or less than a tenth of the current price); `None` when it does
/// not.
pub fn unusual_price(new_minor: i64, current_minor: i64, currency: &str) -> Option<String> {
    let money = |m: i64| crate::money::format_money(m, currency);
    if new_minor == 0 {
        Some("a price of zero gives the product away".into())
    } else if current_minor > 0 && new_minor > current_minor.saturating_mul(10) {
        Some(format!(
            "{} is more than ten times the current price {}",
            money(new_minor),
            money(current_minor)
        ))
    } else if current_minor > 0 && new_minor.saturating_mul(10) < current_minor {
        Some(format!(
            "{} is less than a tenth of the current price {}",
            money(new_minor),
            money(current_minor)
        ))
    } else {
        None
    }
}

/// A tag change for a customer given by external id or e-mail address.
pub fn tags_change(
    conn: &Connection,
    customer: &str,
    add: &[String],
    remove: &[String],
) -> Result<Change> {
    let source = source_filter(conn)?;
    let (id, tags, name): (String, String, Option<String>) = conn
        .query_row(
            "SELECT external_id, tags, coalesce(name, email) FROM customers
             WHERE (external_id = ?1 OR email = ?1) AND (?2 IS NULL OR source = ?2) ORDER BY id LIMIT 1",
            params![customer, source],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| Error::InvalidArgument(format!("no customer {customer} in this shop")))?;
    let mut set: Vec<String> = serde_json::from_str(&tags).unwrap_or_default();
    set.extend(add.iter().cloned());
    set.retain(|t| !remove.contains(t));
    Ok(Change {
        target: Target::CustomerTags { customer: id },
        label: format!("Tags of {}", name.unwrap_or_else(|| customer.to_string())),
        value: Value::Tags(set).normalized(),
    })
}
