//! Shopify through the Admin GraphQL API. Full pulls run one bulk operation
//! per entity and stream its JSONL export (children follow their parent,
//! joined by `__parentId`); incremental pulls page by cursor through what
//! changed since the last pull. Every document sent is in `graphql/` and is
//! checked against Shopify's published schema by the test suite.

pub mod client;
mod pull;
mod push;
pub mod subscriptions;
#[cfg(test)]
mod tests;
mod wire;

use push::user_errors;
use wire::*;

use super::{Applied, Checkpoint, Entity, Metafield, ShopInfo, Sink, Storefront, Target, Value};
use crate::error::{Error, Result};
use client::{Auth, Client, Retry, Tuning};
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

const SHOP: &str = include_str!("graphql/shop.graphql");
const PAGES: &str = include_str!("graphql/pages.graphql");
const BULK: &str = include_str!("graphql/bulk.graphql");
const BULK_PRODUCTS: &str = include_str!("graphql/bulk_products.graphql");
const BULK_CUSTOMERS: &str = include_str!("graphql/bulk_customers.graphql");
const BULK_ORDERS: &str = include_str!("graphql/bulk_orders.graphql");
const PUSH: &str = include_str!("graphql/push.graphql");
const SUBSCRIPTIONS: &str = include_str!("graphql/subscriptions.graphql");

/// Records per committed batch of a bulk export.
const BULK_BATCH: usize = 500;

/// A Shopify store.
pub struct Shopify {
    client: Client,
    currency: Option<String>,
}

impl Shopify {
    /// A connection to the shop at `base` (see [`crate::storefront::base_url`]).
    pub fn new(base: &str, auth: Auth, tuning: Tuning, cancel: Arc<AtomicBool>) -> Shopify {
        Shopify {
            client: Client::new(base, auth, tuning, cancel),
            currency: None,
        }
    }

    /// What the HTTP client has done so far.
    pub fn stats(&self) -> &client::Stats {
        &self.client.stats
    }

    fn currency(&mut self) -> Result<String> {
        if let Some(c) = &self.currency {
            return Ok(c.clone());
        }
        let info = self.shop_info()?;
        Ok(info.currency)
    }
}

impl Storefront for Shopify {
    fn platform(&self) -> &'static str {
        "shopify"
    }

    fn shop_info(&mut self) -> Result<ShopInfo> {
        let data = self
            .client
            .graphql(SHOP, "ShopInfo", json!({}), Retry::Safe)?;
        let shop = &data["shop"];
        let field = |f: &str| {
            shop[f]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::Storefront(format!("the shop's {f} is missing")))
        };
        let info = ShopInfo {
            name: field("name")?,
            currency: field("currencyCode")?,
            time_zone: field("ianaTimezone")?,
            money_format: shop["currencyFormats"]["moneyFormat"]
                .as_str()
                .map(str::to_string),
        };
        self.currency = Some(info.currency.clone());
        Ok(info)
    }

    fn pull(&mut self, entity: Entity, from: &Checkpoint, sink: &mut Sink) -> Result<()> {
        if from.full && !from.done {
            self.bulk(entity, from, sink)
        } else {
            self.pages(entity, from, sink)
        }
    }

    fn read(&mut self, targets: &[Target]) -> Result<Vec<Value>> {
        let currency = self.currency()?;
        let ids: Vec<&str> = targets
            .iter()
            .filter_map(|t| match t {
                Target::VariantPrice { variant, .. } => Some(variant.as_str()),
                Target::CustomerTags { customer } => Some(customer.as_str()),
                _ => None,
            })
            .collect();
        let mut nodes = std::collections::HashMap::new();
        // Metafields: one query per namespace and key for up to 250 owners.
        let mut by_field: std::collections::BTreeMap<(&str, &str), Vec<&str>> = Default::default();
        for t in targets {
            if let Target::Metafield {
                owner,
                namespace,
                key,
            } = t
            {
                by_field.entry((namespace, key)).or_default().push(owner);
            }
        }
        let mut fields = std::collections::HashMap::new();
        for ((namespace, key), owners) in by_field {
            for chunk in owners.chunks(250) {
                let data = self.client.graphql(
                    PUSH,
                    "ReadMetafields",
                    json!({ "ids": chunk, "namespace": namespace, "key": key }),
                    Retry::Safe,
                )?;
                for n in data["nodes"].as_array().into_iter().flatten() {
                    let Some(id) = n["id"].as_str() else { continue };
                    let m = &n["metafield"];
                    let value = m["value"].as_str().map(|v| Metafield {
                        r#type: m["type"].as_str().unwrap_or("").to_string(),
                        value: v.to_string(),
                    });
                    fields.insert((id.to_string(), namespace, key), value);
                }
            }
        }
        for chunk in ids.chunks(250) {
            let data =
                self.client
                    .graphql(PUSH, "ReadNodes", json!({ "ids": chunk }), Retry::Safe)?;
            for n in data["nodes"].as_array().into_iter().flatten() {
                if let Some(id) = n["id"].as_str() {
                    nodes.insert(id.to_string(), n.clone());
                }
            }
        }
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            let missing =
                |id: &str| Error::Storefront(format!("{id} no longer exists in the store"));
            out.push(match t {
                Target::VariantPrice { variant, .. } => Value::Price(price_from(
                    nodes.get(variant).ok_or_else(|| missing(variant))?,
                    &currency,
                )?),
                Target::CustomerTags { customer } => {
                    let n = nodes.get(customer).ok_or_else(|| missing(customer))?;
                    Value::Tags(strings(&n["tags"])).normalized()
                }
                Target::Metafield {
                    owner,
                    namespace,
                    key,
                } => Value::Metafield(
                    fields
                        .get(&(owner.clone(), namespace.as_str(), key.as_str()))
                        .ok_or_else(|| missing(owner))?
                        .clone(),
                ),
                Target::Discount { id: None } => Value::Discount(None),
                Target::Discount { id: Some(id) } => {
                    Value::Discount(self.read_discount(id)?.map(|(d, _)| d))
                }
                Target::Renewal { .. } => self.renewal_made(t)?,
                Target::Contract { id } => self.contract_status(id)?,
                Target::BillingCycle { contract, at } => self.cycle_skipped(contract, at)?,
            });
        }
        Ok(out)
    }

    fn find_created(&mut self, value: &Value) -> Result<Option<Target>> {
        let Value::Discount(Some(want)) = value else {
            return Ok(None);
        };
        for id in self.find_discounts(&want.title)? {
            if let Some((d, _)) = self.read_discount(&id)? {
                if d == *want {
                    return Ok(Some(Target::Discount { id: Some(id) }));
                }
            }
        }
        Ok(None)
    }

    fn apply(&mut self, changes: &[(Target, Value)]) -> Result<Vec<Result<Applied>>> {
        let mut out = Vec::with_capacity(changes.len());
        let mut i = 0;
        while i < changes.len() {
            // Metafields set in a row go `METAFIELDS_PER_SET` a call.
            let run = changes[i..]
                .iter()
                .take(push::METAFIELDS_PER_SET)
                .take_while(|(t, v)| {
                    matches!(
                        (t, v),
                        (Target::Metafield { .. }, Value::Metafield(Some(_)))
                    )
                })
                .count();
            let outcomes = if run > 1 {
                self.set_metafields(&changes[i..i + run])
            } else {
                vec![self.apply_one(&changes[i].0, &changes[i].1)]
            };
            i += outcomes.len().max(1);
            for o in outcomes {
                match o {
                    // The whole run stops on what will fail for every item.
                    Err(e @ (Error::Auth(_) | Error::Cancelled | Error::Network(_))) => {
                        out.push(Err(e));
                        return Ok(out);
                    }
                    other => out.push(other),
                }
            }
        }
        Ok(out)
    }

    fn renewal_outcome(&mut self, target: &Target) -> Result<super::RenewalOutcome> {
        self.renewal_state(target)
    }
}

impl Shopify {
    /// Discounts whose title is exactly `title` (to find one whose creation
    /// was interrupted before its id came back).
    pub fn find_discounts(&mut self, title: &str) -> Result<Vec<String>> {
        let escaped = title.replace('\\', "\\\\").replace('\'', "\\'");
        let data = self.client.graphql(
            PUSH,
            "FindDiscounts",
            json!({ "query": format!("title:'{escaped}'") }),
            Retry::Safe,
        )?;
        Ok(data["discountNodes"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["id"].as_str().map(str::to_string))
            .collect())
    }
}
