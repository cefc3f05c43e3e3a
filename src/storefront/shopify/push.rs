//! Pushes: each change as its mutation, refusals read from `userErrors`, and a discount read back before it is changed.

use super::client::Retry;
use super::*;
use crate::error::{Error, Result};
use crate::money;
use crate::storefront::{
    Applied, BuyGet, Discount, DiscountMethod, DiscountValue, Items, Minimum, PulledDiscount,
    Storefront, Target, Value,
};
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;

/// `metafieldsSet` takes at most this many metafields a call.
pub(super) const METAFIELDS_PER_SET: usize = 25;

impl Shopify {
    /// Sets up to [`METAFIELDS_PER_SET`] metafields in one call. The call is
    /// atomic: when the store refuses one, none is set, so the refused one
    /// fails with its message and the others are sent again without it.
    pub(super) fn set_metafields(&mut self, changes: &[(Target, Value)]) -> Vec<Result<Applied>> {
        let input: Vec<Json> = changes
            .iter()
            .map(|(t, v)| match (t, v) {
                (
                    Target::Metafield {
                        owner,
                        namespace,
                        key,
                    },
                    Value::Metafield(Some(m)),
                ) => json!({
                    "ownerId": owner, "namespace": namespace, "key": key,
                    "type": m.r#type, "value": m.value,
                }),
                _ => unreachable!("only metafield sets are batched"),
            })
            .collect();
        let data = match self.client.graphql(
            PUSH,
            "MetafieldsSet",
            json!({ "metafields": input }),
            Retry::Safe,
        ) {
            Ok(d) => d,
            Err(e) => return each(changes.len(), e),
        };
        let errors = &data["metafieldsSet"]["userErrors"];
        if errors.as_array().is_some_and(|a| !a.is_empty()) {
            let bad = errors[0]["elementIndex"].as_u64().map(|i| i as usize);
            return match bad {
                Some(b) if b < changes.len() => {
                    let mut out: Vec<Result<Applied>> = Vec::with_capacity(changes.len());
                    let (before, rest) = changes.split_at(b);
                    if !before.is_empty() {
                        out.extend(self.set_metafields(before));
                    }
                    out.push(Err(
                        user_errors(&json!([errors[0]])).expect_err("one error is an error")
                    ));
                    if rest.len() > 1 {
                        out.extend(self.set_metafields(&rest[1..]));
                    }
                    out
                }
                _ => each(
                    changes.len(),
                    user_errors(errors).expect_err("errors are not empty"),
                ),
            };
        }
        let targets: Vec<Target> = changes.iter().map(|(t, _)| t.clone()).collect();
        match self.read(&targets) {
            Ok(values) => targets
                .into_iter()
                .zip(values)
                .map(|(target, value)| Ok(Applied { target, value }))
                .collect(),
            Err(e) => each(changes.len(), e),
        }
    }

    pub(super) fn read_discount(&mut self, id: &str) -> Result<Option<(Discount, &'static str)>> {
        let data = self
            .client
            .graphql(PUSH, "ReadDiscount", json!({ "id": id }), Retry::Safe)?;
        let d = &data["discountNode"]["discount"];
        if d.is_null() || data["discountNode"].is_null() {
            return Ok(None);
        }
        let currency = self.currency()?;
        match pulled_discount(d, &currency) {
            Ok(PulledDiscount::Basic(d)) => {
                let kind = match d.method {
                    DiscountMethod::Code => "code",
                    DiscountMethod::Automatic => "automatic",
                };
                Ok(Some((d, kind)))
            }
            _ => Err(Error::Storefront(format!(
                "discount {id} is a {} discount, which Merchant Desk does not edit",
                d["__typename"].as_str().unwrap_or("unknown")
            ))),
        }
    }

    pub(super) fn apply_one(&mut self, target: &Target, value: &Value) -> Result<Applied> {
        match (target, value) {
            (Target::VariantPrice { product, variant }, Value::Price(p)) => {
                let currency = self.currency()?;
                let data = self.client.graphql(
                    PUSH,
                    "VariantPrices",
                    json!({
                        "productId": product,
                        "variants": [{
                            "id": variant,
                            "price": money::format_major(p.price_minor, &currency),
                            "compareAtPrice": p.compare_at_minor.map(|c| money::format_major(c, &currency)),
                        }]
                    }),
                    Retry::Safe,
                )?;
                let r = &data["productVariantsBulkUpdate"];
                user_errors(&r["userErrors"])?;
                let v = r["productVariants"]
                    .as_array()
                    .and_then(|vs| vs.iter().find(|v| v["id"] == json!(variant)))
                    .ok_or_else(|| {
                        Error::Storefront("the price update returned no variant".into())
                    })?;
                Ok(Applied {
                    target: target.clone(),
                    value: Value::Price(price_from(v, &currency)?),
                })
            }
            (Target::CustomerTags { customer }, Value::Tags(new)) => {
                let Value::Tags(now) = self.read(std::slice::from_ref(target))?.remove(0) else {
                    unreachable!("read returns tags for a tag target")
                };
                let now: BTreeSet<&String> = now.iter().collect();
                let want: BTreeSet<&String> = new.iter().collect();
                let add: Vec<&String> = want.difference(&now).copied().collect();
                let remove: Vec<&String> = now.difference(&want).copied().collect();
                for (op, field, tags) in [
                    ("TagsAdd", "tagsAdd", add),
                    ("TagsRemove", "tagsRemove", remove),
                ] {
                    if tags.is_empty() {
                        continue;
                    }
                    let data = self.client.graphql(
                        PUSH,
                        op,
                        json!({ "id": customer, "tags": tags }),
                        Retry::Safe,
                    )?;
                    user_errors(&data[field]["userErrors"])?;
                }
                let value = self.read(std::slice::from_ref(target))?.remove(0);
                Ok(Applied {
                    target: target.clone(),
                    value,
                })
            }
            (
                Target::Metafield {
                    owner,
                    namespace,
                    key,
                },
                Value::Metafield(m),
            ) => {
                match m {
                    Some(m) => {
                        let data = self.client.graphql(
                            PUSH,
                            "MetafieldsSet",
                            json!({ "metafields": [{
                                "ownerId": owner, "namespace": namespace, "key": key,
                                "type": m.r#type, "value": m.value,
                            }]}),
                            Retry::Safe,
                        )?;
                        user_errors(&data["metafieldsSet"]["userErrors"])?;
                    }
                    None => {
                        let data = self.client.graphql(
                            PUSH,
                            "MetafieldsDelete",
                            json!({ "metafields": [{
                                "ownerId": owner, "namespace": namespace, "key": key,
                            }]}),
                            Retry::Safe,
                        )?;
                        user_errors(&data["metafieldsDelete"]["userErrors"])?;
                    }
                }
                let value = self.read(std::slice::from_ref(target))?.remove(0);
                Ok(Applied {
                    target: target.clone(),
                    value,
                })
            }
            (Target::Renewal { .. }, Value::Renewal(true)) => self.create_renewal(target),
            (Target::Contract { id }, Value::ContractStatus(status)) => {
                self.set_contract_status(id, status)
            }
            (Target::BillingCycle { contract, at }, Value::Skipped(skip)) => {
                self.set_cycle_skipped(contract, at, *skip)
            }
            (Target::Discount { id }, Value::Discount(want)) => {
                let current = match id {
                    Some(id) => self.read_discount(id)?,
                    None => None,
                };
                let currency = self.currency()?;
                let new_id = match (id, current, want) {
                    (_, None, None) => None,
                    (_, None, Some(d)) => {
                        let (op, field, node) = match (d.method, &d.value) {
                            (DiscountMethod::Automatic, DiscountValue::FreeShipping) => {
                                return Err(Error::InvalidArgument(
                                    "free shipping is given as a code, not automatically".into(),
                                ))
                            }
                            (DiscountMethod::Code, DiscountValue::BuyGet(_)) => {
                                return Err(Error::InvalidArgument(
                                    "buy X get Y is given automatically, not as a code".into(),
                                ))
                            }
                            (DiscountMethod::Automatic, DiscountValue::BuyGet(_)) => (
                                "AutomaticBxgyCreate",
                                "discountAutomaticBxgyCreate",
                                "automaticDiscountNode",
                            ),
                            (DiscountMethod::Automatic, _) => (
                                "AutomaticCreate",
                                "discountAutomaticBasicCreate",
                                "automaticDiscountNode",
                            ),
                            (DiscountMethod::Code, DiscountValue::FreeShipping) => (
                                "FreeShippingCreate",
                                "discountCodeFreeShippingCreate",
                                "codeDiscountNode",
                            ),
                            (DiscountMethod::Code, _) => {
                                ("CodeCreate", "discountCodeBasicCreate", "codeDiscountNode")
                            }
                        };
                        let data = self.client.graphql(
                            PUSH,
                            op,
                            json!({ "input": discount_input(d, None, &currency) }),
                            Retry::Never,
                        )?;
                        user_errors(&data[field]["userErrors"])?;
                        Some(
                            data[field][node]["id"]
                                .as_str()
                                .ok_or_else(|| {
                                    Error::Storefront("the new discount has no id".into())
                                })?
                                .to_string(),
                        )
                    }
                    (Some(id), Some((_, kind)), None) => {
                        let (op, field) = if kind == "code" {
                            ("CodeDelete", "discountCodeDelete")
                        } else {
                            ("AutomaticDelete", "discountAutomaticDelete")
                        };
                        let data =
                            self.client
                                .graphql(PUSH, op, json!({ "id": id }), Retry::Safe)?;
                        user_errors(&data[field]["userErrors"])?;
                        Some(id.clone())
                    }
                    (Some(id), Some((old, kind)), Some(d)) => {
                        if (kind == "code") != (d.method == DiscountMethod::Code) {
                            return Err(Error::InvalidArgument(
                                "a discount cannot change between automatic and code; end it and create another".into(),
                            ));
                        }
                        if matches!(old.value, DiscountValue::BuyGet(_))
                            || matches!(d.value, DiscountValue::BuyGet(_))
                        {
                            return Err(Error::InvalidArgument(
                                "a buy X get Y discount is not changed in place; end it and create another".into(),
                            ));
                        }
                        if (old.value == DiscountValue::FreeShipping)
                            != (d.value == DiscountValue::FreeShipping)
                        {
                            return Err(Error::InvalidArgument(
                                "a discount cannot change to or from free shipping; end it and create another".into(),
                            ));
                        }
                        let (op, field) = match (kind, &d.value) {
                            ("code", DiscountValue::FreeShipping) => {
                                ("FreeShippingUpdate", "discountCodeFreeShippingUpdate")
                            }
                            ("code", _) => ("CodeUpdate", "discountCodeBasicUpdate"),
                            _ => ("AutomaticUpdate", "discountAutomaticBasicUpdate"),
                        };
                        let data = self.client.graphql(
                            PUSH,
                            op,
                            json!({ "id": id, "input": discount_input(d, Some(&old), &currency) }),
                            Retry::Safe,
                        )?;
                        user_errors(&data[field]["userErrors"])?;
                        Some(id.clone())
                    }
                    (None, Some(_), _) => unreachable!("no id reads nothing"),
                };
                let target = Target::Discount { id: new_id.clone() };
                let value = match &new_id {
                    Some(id) if want.is_some() => {
                        Value::Discount(self.read_discount(id)?.map(|(d, _)| d))
                    }
                    _ => Value::Discount(None),
                };
                Ok(Applied { target, value })
            }
            _ => Err(Error::InvalidArgument(
                "the value does not fit the target".into(),
            )),
        }
    }
}

/// One failure for each of `n` changes sent together: an interruption
/// once (the run stops there), a refusal for every one.
fn each(n: usize, e: Error) -> Vec<Result<Applied>> {
    match e {
        e @ (Error::Auth(_) | Error::Cancelled | Error::Network(_)) => vec![Err(e)],
        e => {
            let text = e.to_string();
            (0..n)
                .map(|_| Err(Error::Storefront(text.clone())))
                .collect()
        }
    }
}

pub(super) fn user_errors(errors: &Json) -> Result<()> {
    let list: Vec<String> = errors
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let field = strings(&e["field"]).join(".");
            let message = e["message"].as_str().unwrap_or("refused");
            if field.is_empty() {
                message.to_string()
            } else {
                format!("{field}: {message}")
            }
        })
        .collect();
    if list.is_empty() {
        Ok(())
    } else {
        Err(Error::Storefront(list.join("; ")))
    }
}

/// The input object for a discount create or update; an update also
/// removes the items `old` had and `d` does not.
pub(super) fn discount_input(d: &Discount, old: Option<&Discount>, currency: &str) -> Json {
    let minimum = match &d.minimum {
        Minimum::None => Json::Null,
        Minimum::Quantity { quantity } => {
            json!({ "quantity": { "greaterThanOrEqualToQuantity": quantity.to_string() } })
        }
        Minimum::Subtotal { amount_minor } => json!({ "subtotal": {
            "greaterThanOrEqualToSubtotal": money::format_major(*amount_minor, currency) } }),
    };
    let context = if d.customers.is_empty() {
        json!({ "all": "ALL" })
    } else {
        let gone: Vec<&String> = old
            .map(|o| {
                o.customers
                    .iter()
                    .filter(|c| !d.customers.contains(c))
                    .collect()
            })
            .unwrap_or_default();
        json!({ "customers": { "add": d.customers, "remove": gone } })
    };
    if let DiscountValue::BuyGet(b) = &d.value {
        let BuyGet {
            buys,
            buy_quantity,
            get_quantity,
            basis_points,
            uses_per_order,
        } = b.as_ref();
        let products = |items: &Items| match items {
            Items::All => json!({ "all": true }),
            Items::Some { products, variants } => json!({ "products": {
                "productsToAdd": products, "productVariantsToAdd": variants } }),
        };
        return json!({
            "title": d.title,
            "startsAt": d.starts_at,
            "endsAt": d.ends_at,
            "usesPerOrderLimit": uses_per_order.map(|n| n.to_string()),
            "customerBuys": {
                "items": products(buys),
                "value": { "quantity": buy_quantity.to_string() },
            },
            "customerGets": {
                "items": products(&d.items),
                "value": { "discountOnQuantity": {
                    "quantity": get_quantity.to_string(),
                    "effect": { "percentage": *basis_points as f64 / 10_000.0 },
                } },
            },
        });
    }
    if d.value == DiscountValue::FreeShipping {
        return json!({
            "title": d.title,
            "startsAt": d.starts_at,
            "endsAt": d.ends_at,
            "minimumRequirement": minimum,
            "destination": { "all": true },
            "code": d.code,
            "usageLimit": d.usage_limit,
            "appliesOncePerCustomer": d.once_per_customer,
            "context": context,
        });
    }
    let value = match &d.value {
        DiscountValue::FreeShipping | DiscountValue::BuyGet(_) => {
            unreachable!("returned above")
        }
        DiscountValue::Percentage { basis_points } => {
            json!({ "percentage": *basis_points as f64 / 10_000.0 })
        }
        DiscountValue::Amount {
            amount_minor,
            each_item,
        } => json!({ "discountAmount": {
            "amount": money::format_major(*amount_minor, currency), "appliesOnEachItem": each_item } }),
    };
    let items = match &d.items {
        Items::All => json!({ "all": true }),
        Items::Some { products, variants } => {
            let (old_p, old_v) = match old.map(|o| &o.items) {
                Some(Items::Some { products, variants }) => (products.clone(), variants.clone()),
                _ => (Vec::new(), Vec::new()),
            };
            let gone = |old: &[String], new: &[String]| -> Vec<String> {
                old.iter().filter(|o| !new.contains(o)).cloned().collect()
            };
            json!({ "products": {
                "productsToAdd": products, "productVariantsToAdd": variants,
                "productsToRemove": gone(&old_p, products),
                "productVariantsToRemove": gone(&old_v, variants),
            }})
        }
    };
    let mut input = json!({
        "title": d.title,
        "startsAt": d.starts_at,
        "endsAt": d.ends_at,
        "minimumRequirement": minimum,
        "customerGets": { "value": value, "items": items },
    });
    if d.method == DiscountMethod::Code {
        input["code"] = json!(d.code);
        input["usageLimit"] = json!(d.usage_limit);
        input["appliesOncePerCustomer"] = json!(d.once_per_customer);
        input["context"] = context;
    }
    input
}
