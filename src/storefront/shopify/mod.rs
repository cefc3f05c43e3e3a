//! Shopify through the Admin GraphQL API. Full pulls run one bulk operation
//! per entity and stream its JSONL export (children follow their parent,
//! joined by `__parentId`); incremental pulls page by cursor through what
//! changed since the last pull. Every document sent is in `graphql/` and is
//! checked against Shopify's published schema by the test suite.

pub mod client;

use super::{
    Applied, Checkpoint, CustomerRecord, Discount, DiscountMethod, DiscountRecord, DiscountValue,
    Entity, Items, LineRecord, Metafield, Minimum, OrderRecord, OtherDiscount, Price,
    ProductRecord, PullProgress, PulledDiscount, Record, RefundLineRecord, RefundRecord, ShopInfo,
    Sink, Storefront, Target, Value, VariantRecord,
};
use crate::error::{Error, Result};
use crate::money;
use client::{Auth, Client, Retry, Tuning};
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

const SHOP: &str = include_str!("graphql/shop.graphql");
const PAGES: &str = include_str!("graphql/pages.graphql");
const BULK: &str = include_str!("graphql/bulk.graphql");
const BULK_PRODUCTS: &str = include_str!("graphql/bulk_products.graphql");
const BULK_CUSTOMERS: &str = include_str!("graphql/bulk_customers.graphql");
const BULK_ORDERS: &str = include_str!("graphql/bulk_orders.graphql");
const PUSH: &str = include_str!("graphql/push.graphql");

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

    fn bulk(&mut self, entity: Entity, from: &Checkpoint, sink: &mut Sink) -> Result<()> {
        let currency = self.currency()?;
        let mut cp = from.clone();
        if cp.bulk_id.is_none() {
            let query = match entity {
                Entity::Products => BULK_PRODUCTS,
                Entity::Customers => BULK_CUSTOMERS,
                Entity::Orders => BULK_ORDERS,
                Entity::Discounts => return self.discounts(from, sink),
            };
            let data =
                self.client
                    .graphql(BULK, "BulkRun", json!({ "query": query }), Retry::Never)?;
            let run = &data["bulkOperationRunQuery"];
            user_errors(&run["userErrors"])?;
            let id = run["bulkOperation"]["id"]
                .as_str()
                .ok_or_else(|| Error::Storefront("the bulk operation has no id".into()))?;
            cp.bulk_id = Some(id.to_string());
            cp.line = 0;
            // Kept before waiting, so a restart reads this export rather
            // than starting another.
            sink(Vec::new(), &cp, PullProgress::default())?;
        }
        let id = cp.bulk_id.clone().unwrap_or_default();
        let mut poll = self.client.tuning().poll;
        let (url, total) = loop {
            let data = self
                .client
                .graphql(BULK, "BulkStatus", json!({ "id": id }), Retry::Safe)?;
            let op = &data["bulkOperation"];
            let total = op["objectCount"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| op["objectCount"].as_u64());
            match op["status"].as_str().unwrap_or("") {
                "COMPLETED" => break (op["url"].as_str().map(str::to_string), total),
                "CREATED" | "RUNNING" => {
                    sink(
                        Vec::new(),
                        &cp,
                        PullProgress {
                            done: 0,
                            total: None,
                        },
                    )?;
                    self.client.sleep(poll)?;
                    poll = (poll * 2).min(Duration::from_secs(2));
                }
                other => {
                    // Start afresh next time: this export will never complete.
                    let mut fresh = cp.clone();
                    fresh.bulk_id = None;
                    fresh.line = 0;
                    sink(Vec::new(), &fresh, PullProgress::default())?;
                    return Err(Error::Storefront(format!(
                        "the bulk export of {} ended {} ({}); the next sync starts a new one",
                        entity.name(),
                        other.to_lowercase(),
                        op["errorCode"].as_str().unwrap_or("no error code")
                    )));
                }
            }
        };
        let Some(url) = url else {
            // No objects: Shopify gives no file.
            cp.done = true;
            cp.full = false;
            cp.bulk_id = None;
            return sink(Vec::new(), &cp, PullProgress::default());
        };
        let mut failures = 0;
        loop {
            match self.read_export(entity, &url, &mut cp, total, &currency, sink) {
                Ok(()) => return Ok(()),
                Err(Error::Network(m)) => {
                    failures += 1;
                    if failures >= self.client.tuning().attempts {
                        return Err(Error::Network(m));
                    }
                    self.client.stats.retries += 1;
                    self.client.sleep(self.client.tuning().backoff)?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Streams the export from `cp.line`, committing whole parents only.
    fn read_export(
        &mut self,
        entity: Entity,
        url: &str,
        cp: &mut Checkpoint,
        total: Option<u64>,
        currency: &str,
        sink: &mut Sink,
    ) -> Result<()> {
        let reader = BufReader::with_capacity(1 << 16, self.client.download(url)?);
        let mut line_no = 0u64;
        let mut parent: Option<(Json, Vec<Json>)> = None;
        let mut batch = Vec::new();
        let mut high = cp.high_water.clone();
        for line in reader.lines() {
            let line = line.map_err(|e| {
                Error::Network(format!(
                    "the bulk export was cut off at line {line_no} ({e})"
                ))
            })?;
            line_no += 1;
            if line_no <= cp.line || line.trim().is_empty() {
                continue;
            }
            let obj: Json = serde_json::from_str(&line).map_err(|_| {
                Error::Network(format!("line {line_no} of the bulk export is not JSON"))
            })?;
            if obj.get("__parentId").is_some() {
                match &mut parent {
                    Some((_, children)) => children.push(obj),
                    None => {
                        return Err(Error::Storefront(format!(
                            "line {line_no} of the bulk export has no parent before it"
                        )))
                    }
                }
                continue;
            }
            if let Some((p, children)) = parent.take() {
                batch.push(record(entity, &p, &children, currency)?);
                bump(&mut high, &p["updatedAt"]);
                if batch.len() >= BULK_BATCH {
                    // Committed up to the line before this new parent.
                    cp.line = line_no - 1;
                    cp.high_water = high.clone();
                    let progress = PullProgress {
                        done: cp.line,
                        total,
                    };
                    sink(std::mem::take(&mut batch), cp, progress)?;
                }
            }
            parent = Some((obj, Vec::new()));
        }
        if let Some((p, children)) = parent.take() {
            batch.push(record(entity, &p, &children, currency)?);
            bump(&mut high, &p["updatedAt"]);
        }
        cp.line = line_no;
        cp.high_water = high;
        cp.done = true;
        cp.full = false;
        cp.bulk_id = None;
        cp.since = None;
        cp.cursor = None;
        sink(
            batch,
            cp,
            PullProgress {
                done: line_no,
                total,
            },
        )
    }

    fn pages(&mut self, entity: Entity, from: &Checkpoint, sink: &mut Sink) -> Result<()> {
        let currency = self.currency()?;
        let mut cp = from.clone();
        cp.done = false;
        cp.full = false;
        let since = cp.since.clone().or_else(|| cp.high_water.clone());
        cp.since = since.clone();
        let query = since.as_ref().map(|s| format!("updated_at:>='{s}'"));
        let (operation, field, first) = match entity {
            // Page sizes keep each query's requested cost under Shopify's
            // single-query limit of 1,000 points.
            Entity::Products => ("ProductsPage", "products", 30),
            Entity::Customers => ("CustomersPage", "customers", 250),
            Entity::Orders => ("OrdersPage", "orders", 4),
            Entity::Discounts => return self.discounts(from, sink),
        };
        let mut done = 0u64;
        loop {
            let data = self.client.graphql(
                PAGES,
                operation,
                json!({ "first": first, "after": cp.cursor, "query": query }),
                Retry::Safe,
            )?;
            let conn = &data[field];
            let mut batch = Vec::new();
            let mut high = cp.high_water.clone();
            for node in conn["nodes"].as_array().into_iter().flatten() {
                let children = self.nested(entity, node)?;
                batch.push(record(entity, node, &children, &currency)?);
                bump(&mut high, &node["updatedAt"]);
            }
            done += batch.len() as u64;
            cp.high_water = high;
            let more = conn["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
            if more {
                cp.cursor = conn["pageInfo"]["endCursor"].as_str().map(str::to_string);
            } else {
                cp.cursor = None;
                cp.done = true;
                cp.since = None;
            }
            sink(batch, &cp, PullProgress { done, total: None })?;
            if !more {
                return Ok(());
            }
        }
    }

    /// A page node's children as bulk-style lines, fetching the pages of
    /// variants or order lines beyond the first.
    fn nested(&mut self, entity: Entity, node: &Json) -> Result<Vec<Json>> {
        let (field, operation, parent_field) = match entity {
            Entity::Products => ("variants", "ProductVariantsPage", "product"),
            Entity::Orders => ("lineItems", "OrderLinesPage", "order"),
            Entity::Customers | Entity::Discounts => return Ok(Vec::new()),
        };
        let mut children: Vec<Json> = node[field]["nodes"].as_array().cloned().unwrap_or_default();
        let mut more = node[field]["pageInfo"]["hasNextPage"]
            .as_bool()
            .unwrap_or(false);
        let mut after: Option<String> = node[field]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_string);
        while more {
            let data = self.client.graphql(
                PAGES,
                operation,
                json!({ "id": node["id"], "after": after }),
                Retry::Safe,
            )?;
            let conn = &data[parent_field][field];
            children.extend(conn["nodes"].as_array().cloned().unwrap_or_default());
            more = conn["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
            after = conn["pageInfo"]["endCursor"].as_str().map(str::to_string);
        }
        let mut seen = BTreeSet::new();
        children.retain(|c| seen.insert(c["id"].as_str().unwrap_or("").to_string()));
        Ok(children)
    }

    /// Every discount, four to a page (see `DiscountsPage`), from the
    /// checkpoint's cursor on.
    fn discounts(&mut self, from: &Checkpoint, sink: &mut Sink) -> Result<()> {
        let currency = self.currency()?;
        let mut cp = from.clone();
        cp.done = false;
        let mut done = 0u64;
        loop {
            let data = self.client.graphql(
                PUSH,
                "DiscountsPage",
                json!({ "first": 4, "after": cp.cursor }),
                Retry::Safe,
            )?;
            let conn = &data["discountNodes"];
            let mut batch = Vec::new();
            for node in conn["nodes"].as_array().into_iter().flatten() {
                match record(Entity::Discounts, node, &[], &currency) {
                    Ok(r) => batch.push(r),
                    // One discount the app cannot read does not stop the sync.
                    Err(e) => {
                        tracing::warn!(discount = node["id"].as_str(), "discount skipped: {e}")
                    }
                }
            }
            done += batch.len() as u64;
            let more = conn["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
            cp.cursor = if more {
                conn["pageInfo"]["endCursor"].as_str().map(str::to_string)
            } else {
                None
            };
            if !more {
                cp.done = true;
                cp.high_water = Some(crate::time::fmt_utc(chrono::Utc::now()));
            }
            sink(batch, &cp, PullProgress { done, total: None })?;
            if !more {
                return Ok(());
            }
        }
    }

    fn read_discount(&mut self, id: &str) -> Result<Option<(Discount, &'static str)>> {
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

    fn apply_one(&mut self, target: &Target, value: &Value) -> Result<Applied> {
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
            (Target::Discount { id }, Value::Discount(want)) => {
                let current = match id {
                    Some(id) => self.read_discount(id)?,
                    None => None,
                };
                let currency = self.currency()?;
                let new_id = match (id, current, want) {
                    (_, None, None) => None,
                    (_, None, Some(d)) => {
                        let (op, field, node) = match d.method {
                            DiscountMethod::Automatic => (
                                "AutomaticCreate",
                                "discountAutomaticBasicCreate",
                                "automaticDiscountNode",
                            ),
                            DiscountMethod::Code => {
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
                        let (op, field) = if kind == "code" {
                            ("CodeUpdate", "discountCodeBasicUpdate")
                        } else {
                            ("AutomaticUpdate", "discountAutomaticBasicUpdate")
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
                } => {
                    let data = self.client.graphql(
                        PUSH,
                        "ReadMetafield",
                        json!({ "owner": owner, "namespace": namespace, "key": key }),
                        Retry::Safe,
                    )?;
                    let m = &data["node"]["metafield"];
                    Value::Metafield(m["value"].as_str().map(|v| Metafield {
                        r#type: m["type"].as_str().unwrap_or("").to_string(),
                        value: v.to_string(),
                    }))
                }
                Target::Discount { id: None } => Value::Discount(None),
                Target::Discount { id: Some(id) } => {
                    Value::Discount(self.read_discount(id)?.map(|(d, _)| d))
                }
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
        for (target, value) in changes {
            match self.apply_one(target, value) {
                // The whole run stops on what will fail for every item.
                Err(e @ (Error::Auth(_) | Error::Cancelled | Error::Network(_))) => {
                    out.push(Err(e));
                    break;
                }
                other => out.push(other),
            }
        }
        Ok(out)
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

fn user_errors(errors: &Json) -> Result<()> {
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

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn bump(high: &mut Option<String>, t: &Json) {
    if let Some(t) = t.as_str() {
        let t = normalize_time(t);
        if high.as_deref().is_none_or(|h| t.as_str() > h) {
            *high = Some(t);
        }
    }
}

/// Shopify's `DateTime` as the store keeps time: UTC, whole seconds.
fn normalize_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| crate::time::fmt_utc(d.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| t.to_string())
}

fn minor(v: &Json, currency: &str) -> Result<i64> {
    let text = match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        _ => return Err(Error::Storefront(format!("{v} is not an amount"))),
    };
    money::parse_decimal(&text)
        .and_then(|d| money::to_minor(d, currency))
        .ok_or_else(|| Error::Storefront(format!("\"{text}\" is not an amount")))
}

fn price_from(v: &Json, currency: &str) -> Result<Price> {
    Ok(Price {
        price_minor: minor(&v["price"], currency)?,
        compare_at_minor: match &v["compareAtPrice"] {
            Json::Null => None,
            c => Some(minor(c, currency)?),
        },
    })
}

fn text(v: &Json) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

fn need(v: &Json, what: &str) -> Result<String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Storefront(format!("a record has no {what}")))
}

fn record(entity: Entity, node: &Json, children: &[Json], currency: &str) -> Result<Record> {
    Ok(match entity {
        Entity::Discounts => Record::Discount(DiscountRecord {
            id: need(&node["id"], "id")?,
            discount: pulled_discount(&node["discount"], currency)?,
        }),
        Entity::Products => Record::Product(ProductRecord {
            id: need(&node["id"], "id")?,
            title: need(&node["title"], "title")?,
            product_type: text(&node["productType"]),
            active: node["status"].as_str() == Some("ACTIVE"),
            updated_at: normalize_time(&need(&node["updatedAt"], "updatedAt")?),
            variants: children
                .iter()
                .map(|v| {
                    let p = price_from(v, currency)?;
                    Ok(VariantRecord {
                        id: need(&v["id"], "variant id")?,
                        sku: text(&v["sku"]),
                        title: v["title"].as_str().unwrap_or("").to_string(),
                        price_minor: p.price_minor,
                        compare_at_minor: p.compare_at_minor,
                        stock: v["inventoryQuantity"].as_i64(),
                    })
                })
                .collect::<Result<_>>()?,
        }),
        Entity::Customers => Record::Customer(CustomerRecord {
            id: need(&node["id"], "id")?,
            name: text(&node["displayName"]),
            email: text(&node["defaultEmailAddress"]["emailAddress"]),
            country: text(&node["defaultAddress"]["countryCodeV2"]),
            tags: match Value::Tags(strings(&node["tags"])).normalized() {
                Value::Tags(t) => t,
                _ => Vec::new(),
            },
            created_at: normalize_time(&need(&node["createdAt"], "createdAt")?),
            updated_at: normalize_time(&need(&node["updatedAt"], "updatedAt")?),
        }),
        Entity::Orders => {
            let order_currency = node["currencyCode"]
                .as_str()
                .unwrap_or(currency)
                .to_string();
            let shop_money = |v: &Json| minor(&v["shopMoney"]["amount"], currency);
            Record::Order(OrderRecord {
                id: need(&node["id"], "id")?,
                number: need(&node["name"], "name")?,
                customer: text(&node["customer"]["id"]),
                email: text(&node["email"]),
                country: text(&node["billingAddress"]["countryCodeV2"]),
                placed_at: normalize_time(&need(&node["processedAt"], "processedAt")?),
                updated_at: normalize_time(&need(&node["updatedAt"], "updatedAt")?),
                cancelled_at: node["cancelledAt"].as_str().map(normalize_time),
                financial_status: node["displayFinancialStatus"]
                    .as_str()
                    .unwrap_or("pending")
                    .to_lowercase(),
                currency: order_currency,
                lines: children
                    .iter()
                    .map(|l| {
                        Ok(LineRecord {
                            id: need(&l["id"], "line id")?,
                            variant: text(&l["variant"]["id"]),
                            sku: text(&l["sku"]),
                            title: l["title"].as_str().unwrap_or("").to_string(),
                            quantity: l["quantity"].as_i64().unwrap_or(0),
                            unit_price_minor: shop_money(&l["originalUnitPriceSet"])?,
                        })
                    })
                    .collect::<Result<_>>()?,
                refunds: node["refunds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        Ok(RefundRecord {
                            id: need(&r["id"], "refund id")?,
                            created_at: r["createdAt"].as_str().map(normalize_time).unwrap_or_else(
                                || normalize_time(node["updatedAt"].as_str().unwrap_or("")),
                            ),
                            total_minor: shop_money(&r["totalRefundedSet"])?,
                            lines: r["refundLineItems"]["nodes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|rl| {
                                    Ok(RefundLineRecord {
                                        line: need(&rl["lineItem"]["id"], "refunded line")?,
                                        quantity: rl["quantity"].as_i64().unwrap_or(0),
                                        amount_minor: shop_money(&rl["subtotalSet"])?,
                                    })
                                })
                                .collect::<Result<_>>()?,
                        })
                    })
                    .collect::<Result<_>>()?,
            })
        }
    })
}

/// A discount node's `discount` as the sync keeps it.
fn pulled_discount(d: &Json, currency: &str) -> Result<PulledDiscount> {
    let other = |kind: &str, automatic: bool, on_items: bool| {
        Ok(PulledDiscount::Other(OtherDiscount {
            title: d["title"].as_str().unwrap_or("").to_string(),
            kind: kind.to_string(),
            automatic,
            on_items,
            starts_at: d["startsAt"]
                .as_str()
                .map(normalize_time)
                .unwrap_or_default(),
            ends_at: d["endsAt"].as_str().map(normalize_time),
        }))
    };
    match d["__typename"].as_str() {
        Some("DiscountAutomaticBasic") => Ok(PulledDiscount::Basic(discount_from(
            d,
            "automatic",
            currency,
        )?)),
        Some("DiscountCodeBasic") => Ok(PulledDiscount::Basic(discount_from(d, "code", currency)?)),
        Some("DiscountAutomaticBxgy") => other("buy X get Y", true, true),
        Some("DiscountCodeBxgy") => other("buy X get Y", false, true),
        Some("DiscountAutomaticApp") => other("app", true, true),
        Some("DiscountCodeApp") => other("app", false, true),
        Some("DiscountAutomaticFreeShipping") => other("free shipping", true, false),
        Some("DiscountCodeFreeShipping") => other("free shipping", false, false),
        other => Err(Error::Storefront(format!(
            "a {} discount is not a kind Merchant Desk knows",
            other.unwrap_or("unknown")
        ))),
    }
}

fn discount_from(d: &Json, kind: &str, currency: &str) -> Result<Discount> {
    let gets = &d["customerGets"];
    let value = match gets["value"]["__typename"].as_str() {
        Some("DiscountPercentage") => DiscountValue::Percentage {
            basis_points: (gets["value"]["percentage"].as_f64().unwrap_or(0.0) * 10_000.0).round()
                as i64,
        },
        Some("DiscountAmount") => DiscountValue::Amount {
            amount_minor: minor(&gets["value"]["amount"]["amount"], currency)?,
            each_item: gets["value"]["appliesOnEachItem"]
                .as_bool()
                .unwrap_or(false),
        },
        other => {
            return Err(Error::Storefront(format!(
                "a discount value of kind {} is not one Merchant Desk edits",
                other.unwrap_or("unknown")
            )))
        }
    };
    let min = &d["minimumRequirement"];
    let minimum = match min["__typename"].as_str() {
        Some("DiscountMinimumQuantity") => Minimum::Quantity {
            quantity: match &min["greaterThanOrEqualToQuantity"] {
                Json::String(s) => s.parse().unwrap_or(0),
                v => v.as_i64().unwrap_or(0),
            },
        },
        Some("DiscountMinimumSubtotal") => Minimum::Subtotal {
            amount_minor: minor(&min["greaterThanOrEqualToSubtotal"]["amount"], currency)?,
        },
        _ => Minimum::None,
    };
    let items = match gets["items"]["__typename"].as_str() {
        Some("DiscountProducts") => {
            let ids = |f: &str| -> Vec<String> {
                let mut v: Vec<String> = gets["items"][f]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n["id"].as_str().map(str::to_string))
                    .collect();
                v.sort();
                v
            };
            Items::Some {
                products: ids("products"),
                variants: ids("productVariants"),
            }
        }
        _ => Items::All,
    };
    Ok(Discount {
        title: d["title"].as_str().unwrap_or("").to_string(),
        method: if kind == "code" {
            DiscountMethod::Code
        } else {
            DiscountMethod::Automatic
        },
        code: d["codes"]["nodes"][0]["code"].as_str().map(str::to_string),
        value,
        minimum,
        items,
        starts_at: d["startsAt"]
            .as_str()
            .map(normalize_time)
            .unwrap_or_default(),
        ends_at: d["endsAt"].as_str().map(normalize_time),
        usage_limit: d["usageLimit"].as_i64(),
        once_per_customer: d["appliesOncePerCustomer"].as_bool().unwrap_or(false),
    })
}

/// The input object for a discount create or update; an update also
/// removes the items `old` had and `d` does not.
fn discount_input(d: &Discount, old: Option<&Discount>, currency: &str) -> Json {
    let value = match &d.value {
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
    let minimum = match &d.minimum {
        Minimum::None => Json::Null,
        Minimum::Quantity { quantity } => {
            json!({ "quantity": { "greaterThanOrEqualToQuantity": quantity.to_string() } })
        }
        Minimum::Subtotal { amount_minor } => json!({ "subtotal": {
            "greaterThanOrEqualToSubtotal": money::format_major(*amount_minor, currency) } }),
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
        input["context"] = json!({ "all": "ALL" });
    }
    input
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_with_refund_maps_to_minor_units() {
        let node = json!({
            "id": "gid://shopify/Order/1", "name": "#1001", "email": "a@b.c",
            "processedAt": "2011-01-04T10:00:00Z", "updatedAt": "2011-01-05T09:00:00.5Z",
            "cancelledAt": null, "displayFinancialStatus": "PARTIALLY_REFUNDED",
            "currencyCode": "GBP", "customer": {"id": "gid://shopify/Customer/7"},
            "billingAddress": {"countryCodeV2": "GB"},
            "refunds": [{"id": "gid://shopify/Refund/3", "createdAt": "2011-01-05T09:00:00Z",
              "totalRefundedSet": {"shopMoney": {"amount": "2.55"}},
              "refundLineItems": {"nodes": [{"quantity": 1, "lineItem": {"id": "gid://shopify/LineItem/9"},
                 "subtotalSet": {"shopMoney": {"amount": "2.55"}}}]}}]
        });
        let lines = vec![
            json!({"id": "gid://shopify/LineItem/9", "sku": "85123A", "title": "Heart",
            "quantity": 6, "variant": {"id": "gid://shopify/ProductVariant/2"},
            "originalUnitPriceSet": {"shopMoney": {"amount": "2.55"}},
            "__parentId": "gid://shopify/Order/1"}),
        ];
        let Record::Order(o) = record(Entity::Orders, &node, &lines, "GBP").unwrap() else {
            panic!("not an order")
        };
        assert_eq!(o.updated_at, "2011-01-05T09:00:00Z");
        assert_eq!(o.financial_status, "partially_refunded");
        assert_eq!(o.lines[0].unit_price_minor, 255);
        assert_eq!(o.lines[0].quantity, 6);
        assert_eq!(o.refunds[0].lines[0].amount_minor, 255);
        assert_eq!(o.customer.as_deref(), Some("gid://shopify/Customer/7"));
    }

    #[test]
    fn discount_round_trips_through_its_input_shape() {
        let d = Discount {
            title: "Spring".into(),
            method: DiscountMethod::Code,
            code: Some("SPRING15".into()),
            value: DiscountValue::Percentage { basis_points: 1500 },
            minimum: Minimum::Subtotal { amount_minor: 5000 },
            items: Items::All,
            starts_at: "2026-03-01T00:00:00Z".into(),
            ends_at: None,
            usage_limit: Some(100),
            once_per_customer: false,
        };
        let input = discount_input(&d, None, "GBP");
        assert_eq!(input["customerGets"]["value"]["percentage"], json!(0.15));
        assert_eq!(
            input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"],
            json!("50.00")
        );
        assert_eq!(input["code"], json!("SPRING15"));
        let read = json!({
            "__typename": "DiscountCodeBasic", "title": "Spring", "startsAt": "2026-03-01T00:00:00Z",
            "endsAt": null, "usageLimit": 100, "codes": {"nodes": [{"code": "SPRING15"}]},
            "minimumRequirement": {"__typename": "DiscountMinimumSubtotal",
               "greaterThanOrEqualToSubtotal": {"amount": "50.0"}},
            "customerGets": {"value": {"__typename": "DiscountPercentage", "percentage": 0.15},
               "items": {"__typename": "AllDiscountItems"}}
        });
        assert_eq!(discount_from(&read, "code", "GBP").unwrap(), d);
    }
}
