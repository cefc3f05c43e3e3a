//! Discounts as `DiscountFields` selects them: basic ones in full, the other
//! kinds by their title and window.

use super::{normalize_time, MoneyV2, Nodes, Ref};
use crate::error::{Error, Result};
use crate::storefront::{
    BuyGet, Discount, DiscountMethod, DiscountValue, Items, Minimum, OtherDiscount, PulledDiscount,
};
use serde::Deserialize;
use serde_json::Value as Json;

/// `DiscountFields`: the kinds Merchant Desk edits in full, the others by
/// their title and window.
#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum DiscountNodeValue {
    #[serde(rename = "DiscountAutomaticBasic")]
    AutomaticBasic(BasicDiscount),
    #[serde(rename = "DiscountCodeBasic")]
    CodeBasic(BasicDiscount),
    #[serde(rename = "DiscountAutomaticBxgy")]
    AutomaticBxgy(Bxgy),
    #[serde(rename = "DiscountCodeBxgy")]
    CodeBxgy(Windowed),
    #[serde(rename = "DiscountAutomaticApp")]
    AutomaticApp(Windowed),
    #[serde(rename = "DiscountCodeApp")]
    CodeApp(Windowed),
    #[serde(rename = "DiscountAutomaticFreeShipping")]
    AutomaticFreeShipping(Windowed),
    #[serde(rename = "DiscountCodeFreeShipping")]
    CodeFreeShipping(FreeShippingCode),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Windowed {
    #[serde(default)]
    title: String,
    starts_at: Option<String>,
    ends_at: Option<String>,
}

/// An automatic buy X get Y discount: read in full when it is the kind
/// Merchant Desk makes (products, a quantity to buy, a percentage off a
/// quantity), by its window otherwise.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bxgy {
    #[serde(flatten)]
    window: Windowed,
    uses_per_order_limit: Option<i64>,
    customer_buys: Option<BxgySide>,
    customer_gets: Option<BxgySide>,
}

#[derive(Debug, Deserialize)]
struct BxgySide {
    items: BxgyItems,
    value: BxgyValue,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum BxgyItems {
    #[serde(rename_all = "camelCase")]
    DiscountProducts {
        products: Page,
        product_variants: Page,
    },
    #[serde(other)]
    Other,
}

/// A connection's first page and whether there is more.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    page_info: Option<More>,
    nodes: Vec<Ref>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct More {
    has_next_page: bool,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum BxgyValue {
    /// What to buy.
    DiscountQuantity { quantity: Count },
    /// What the buyer gets.
    DiscountOnQuantity { quantity: Quantity, effect: Effect },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct Quantity {
    quantity: Count,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum Effect {
    DiscountPercentage {
        percentage: f64,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BasicDiscount {
    #[serde(flatten)]
    common: FreeShippingCode,
    customer_gets: Gets,
}

/// A free-shipping code; a basic discount's fields besides `customerGets`
/// (an automatic one has no codes and no usage limit).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FreeShippingCode {
    #[serde(flatten)]
    window: Windowed,
    usage_limit: Option<i64>,
    #[serde(default)]
    applies_once_per_customer: bool,
    codes: Option<Nodes<Code>>,
    context: Option<Buyers>,
    minimum_requirement: Option<MinimumNode>,
}

/// `Buyers`: who may use a code.
#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum Buyers {
    DiscountCustomers {
        customers: Vec<Ref>,
    },
    #[serde(other)]
    Other,
}

fn buyers(b: Option<Buyers>) -> Vec<String> {
    match b {
        Some(Buyers::DiscountCustomers { customers }) => {
            let mut v: Vec<String> = customers.into_iter().map(|r| r.id).collect();
            v.sort();
            v
        }
        _ => Vec::new(),
    }
}

#[derive(Debug, Deserialize)]
struct Code {
    code: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum MinimumNode {
    #[serde(rename_all = "camelCase")]
    DiscountMinimumQuantity {
        greater_than_or_equal_to_quantity: Count,
    },
    #[serde(rename_all = "camelCase")]
    DiscountMinimumSubtotal {
        greater_than_or_equal_to_subtotal: MoneyV2,
    },
    #[serde(other)]
    None,
}

/// `UnsignedInt64` arrives as a string; the fake sends a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Count {
    Text(String),
    Number(i64),
}

#[derive(Debug, Deserialize)]
struct Gets {
    value: GetsValue,
    items: GetsItems,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum GetsValue {
    DiscountPercentage {
        percentage: f64,
    },
    #[serde(rename_all = "camelCase")]
    DiscountAmount {
        amount: MoneyV2,
        #[serde(default)]
        applies_on_each_item: bool,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum GetsItems {
    #[serde(rename_all = "camelCase")]
    DiscountProducts {
        products: Nodes<Ref>,
        product_variants: Nodes<Ref>,
    },
    #[serde(other)]
    All,
}

impl Count {
    fn get(&self) -> i64 {
        match self {
            Count::Text(t) => t.parse().unwrap_or(0),
            Count::Number(n) => *n,
        }
    }
}

/// The products and variants of one side, sorted; `None` when the side is
/// not products or lists more than one page.
fn bxgy_items(items: &BxgyItems) -> Option<Items> {
    let BxgyItems::DiscountProducts {
        products,
        product_variants,
    } = items
    else {
        return None;
    };
    let ids = |p: &Page| -> Option<Vec<String>> {
        if p.page_info.as_ref().is_some_and(|m| m.has_next_page) {
            return None;
        }
        let mut v: Vec<String> = p.nodes.iter().map(|r| r.id.clone()).collect();
        v.sort();
        Some(v)
    };
    Some(Items::Some {
        products: ids(products)?,
        variants: ids(product_variants)?,
    })
}

/// A buy X get Y discount of the kind Merchant Desk makes, in full.
fn buy_get(b: &Bxgy) -> Option<Discount> {
    let (buys, gets) = (b.customer_buys.as_ref()?, b.customer_gets.as_ref()?);
    let BxgyValue::DiscountQuantity { quantity: bought } = &buys.value else {
        return None;
    };
    let BxgyValue::DiscountOnQuantity {
        quantity,
        effect: Effect::DiscountPercentage { percentage },
    } = &gets.value
    else {
        return None;
    };
    let w = &b.window;
    Some(Discount {
        title: w.title.clone(),
        method: DiscountMethod::Automatic,
        code: None,
        value: DiscountValue::BuyGet(Box::new(BuyGet {
            buys: bxgy_items(&buys.items)?,
            buy_quantity: bought.get(),
            get_quantity: quantity.quantity.get(),
            basis_points: (percentage * 10_000.0).round() as i64,
            uses_per_order: b.uses_per_order_limit,
        })),
        minimum: Minimum::None,
        items: bxgy_items(&gets.items)?,
        starts_at: w
            .starts_at
            .as_deref()
            .map(normalize_time)
            .unwrap_or_default(),
        ends_at: w.ends_at.as_deref().map(normalize_time),
        usage_limit: None,
        once_per_customer: false,
        customers: Vec::new(),
    })
}

/// A discount node's `discount` as the sync keeps it.
pub(in crate::storefront::shopify) fn pulled_discount(
    d: &Json,
    currency: &str,
) -> Result<PulledDiscount> {
    let other = |w: Windowed, kind: &str, automatic: bool, on_items: bool| {
        PulledDiscount::Other(OtherDiscount {
            title: w.title,
            kind: kind.to_string(),
            automatic,
            on_items,
            starts_at: w
                .starts_at
                .as_deref()
                .map(normalize_time)
                .unwrap_or_default(),
            ends_at: w.ends_at.as_deref().map(normalize_time),
        })
    };
    Ok(match decode_discount(d)? {
        DiscountNodeValue::AutomaticBasic(b) => {
            PulledDiscount::Basic(basic(b, DiscountMethod::Automatic, currency)?)
        }
        DiscountNodeValue::CodeBasic(b) => {
            PulledDiscount::Basic(basic(b, DiscountMethod::Code, currency)?)
        }
        DiscountNodeValue::AutomaticBxgy(b) => match buy_get(&b) {
            Some(d) => PulledDiscount::Basic(d),
            None => other(b.window, "buy X get Y", true, true),
        },
        DiscountNodeValue::CodeBxgy(w) => other(w, "buy X get Y", false, true),
        DiscountNodeValue::AutomaticApp(w) => other(w, "app", true, true),
        DiscountNodeValue::CodeApp(w) => other(w, "app", false, true),
        DiscountNodeValue::AutomaticFreeShipping(w) => other(w, "free shipping", true, false),
        DiscountNodeValue::CodeFreeShipping(f) => {
            PulledDiscount::Basic(free_shipping(f, currency)?)
        }
    })
}

fn decode_discount(d: &Json) -> Result<DiscountNodeValue> {
    DiscountNodeValue::deserialize(d).map_err(|e| {
        Error::Storefront(match d["__typename"].as_str() {
            Some(kind) if e.to_string().starts_with("unknown variant") => {
                format!("a {kind} discount is not a kind Merchant Desk knows")
            }
            _ => format!("a discount could not be read: {e}"),
        })
    })
}

/// A basic discount (`kind` "automatic" or "code") as Merchant Desk edits it.
#[cfg(test)]
pub(in crate::storefront::shopify) fn discount_from(
    d: &Json,
    kind: &str,
    currency: &str,
) -> Result<Discount> {
    let method = if kind == "code" {
        DiscountMethod::Code
    } else {
        DiscountMethod::Automatic
    };
    match decode_discount(d)? {
        DiscountNodeValue::AutomaticBasic(b) | DiscountNodeValue::CodeBasic(b) => {
            basic(b, method, currency)
        }
        _ => Err(Error::Storefront(
            "only basic discounts are edited by Merchant Desk".into(),
        )),
    }
}

fn basic(b: BasicDiscount, method: DiscountMethod, currency: &str) -> Result<Discount> {
    let value = match b.customer_gets.value {
        GetsValue::DiscountPercentage { percentage } => DiscountValue::Percentage {
            basis_points: (percentage * 10_000.0).round() as i64,
        },
        GetsValue::DiscountAmount {
            amount,
            applies_on_each_item,
        } => DiscountValue::Amount {
            amount_minor: amount.amount.minor(currency)?,
            each_item: applies_on_each_item,
        },
        GetsValue::Other => {
            return Err(Error::Storefront(
                "a discount value of this kind is not one Merchant Desk edits".into(),
            ))
        }
    };
    let items = match b.customer_gets.items {
        GetsItems::DiscountProducts {
            products,
            product_variants,
        } => {
            let ids = |n: Nodes<Ref>| {
                let mut v: Vec<String> = n.nodes.into_iter().map(|r| r.id).collect();
                v.sort();
                v
            };
            Items::Some {
                products: ids(products),
                variants: ids(product_variants),
            }
        }
        GetsItems::All => Items::All,
    };
    shared(b.common, method, value, items, currency)
}

fn minimum(m: Option<MinimumNode>, currency: &str) -> Result<Minimum> {
    Ok(match m {
        Some(MinimumNode::DiscountMinimumQuantity {
            greater_than_or_equal_to_quantity,
        }) => Minimum::Quantity {
            quantity: greater_than_or_equal_to_quantity.get(),
        },
        Some(MinimumNode::DiscountMinimumSubtotal {
            greater_than_or_equal_to_subtotal,
        }) => Minimum::Subtotal {
            amount_minor: greater_than_or_equal_to_subtotal.amount.minor(currency)?,
        },
        Some(MinimumNode::None) | None => Minimum::None,
    })
}

/// A free-shipping code as Merchant Desk creates it (a loyalty reward).
fn free_shipping(f: FreeShippingCode, currency: &str) -> Result<Discount> {
    shared(
        f,
        DiscountMethod::Code,
        DiscountValue::FreeShipping,
        Items::All,
        currency,
    )
}

/// A discount from the fields every kind Merchant Desk edits shares.
fn shared(
    f: FreeShippingCode,
    method: DiscountMethod,
    value: DiscountValue,
    items: Items,
    currency: &str,
) -> Result<Discount> {
    Ok(Discount {
        title: f.window.title,
        method,
        code: f
            .codes
            .and_then(|c| c.nodes.into_iter().next())
            .map(|c| c.code),
        value,
        minimum: minimum(f.minimum_requirement, currency)?,
        items,
        starts_at: f
            .window
            .starts_at
            .as_deref()
            .map(normalize_time)
            .unwrap_or_default(),
        ends_at: f.window.ends_at.as_deref().map(normalize_time),
        usage_limit: f.usage_limit,
        once_per_customer: f.applies_once_per_customer,
        customers: buyers(f.context),
    })
}
