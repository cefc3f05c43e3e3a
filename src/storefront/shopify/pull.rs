//! Pulls: one bulk operation per entity with its JSONL export streamed, or cursor pages of what changed, and every discount whole.

use super::client::Retry;
use super::*;
use crate::error::{Error, Result};
use crate::storefront::{Checkpoint, Entity, PullProgress, Sink};
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::time::Duration;

impl Shopify {
    pub(super) fn bulk(
        &mut self,
        entity: Entity,
        from: &Checkpoint,
        sink: &mut Sink,
    ) -> Result<()> {
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
    pub(super) fn read_export(
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

    pub(super) fn pages(
        &mut self,
        entity: Entity,
        from: &Checkpoint,
        sink: &mut Sink,
    ) -> Result<()> {
        let currency = self.currency()?;
        let mut cp = from.clone();
        cp.done = false;
        cp.full = false;
        let since = cp.since.clone().or_else(|| cp.high_water.clone());
        cp.since = since.clone();
        let query = since.as_ref().map(|s| format!("updated_at:>='{s}'"));
        let (operation, field, first) = match entity {
            // Page sizes keep each query's requested cost under Shopify's
            // single-query limit of 1,000 points. A product costs 1, its
            // category 1 and its first 10 variants 2 + 10 × 3 (the variant,
            // its inventory item and the unit cost): 2 + 25 × 34 = 852.
            Entity::Products => ("ProductsPage", "products", 25),
            // A customer costs 4 (itself, its email, its address and its
            // birthday metafield): 2 + 200 × 4 = 802.
            Entity::Customers => ("CustomersPage", "customers", 200),
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
    pub(super) fn nested(&mut self, entity: Entity, node: &Json) -> Result<Vec<Json>> {
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
    pub(super) fn discounts(&mut self, from: &Checkpoint, sink: &mut Sink) -> Result<()> {
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
}
