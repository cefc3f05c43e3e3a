//! Subscription contracts and their billing attempts. Shopify shows an app
//! only the contracts it created, and only with the
//! `read/write_own_subscription_contracts` scopes; it never renews by
//! itself, so in "desk bills" mode Merchant Desk sends each billing attempt,
//! with an idempotency key that makes a repeat the same attempt.

use super::client::Retry;
use super::{push::user_errors, Shopify, SUBSCRIPTIONS};
use crate::error::{Error, Result};
use crate::storefront::{Applied, RenewalOutcome, Target, Value};
use serde_json::{json, Value as Json};

/// Contracts per page (802 points a page; see the document).
const PAGE: u32 = 50;

/// A subscription contract as Shopify gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: String,
    /// `ACTIVE`, `PAUSED`, `CANCELLED`, `EXPIRED` or `FAILED`.
    pub status: String,
    /// UTC.
    pub created_at: String,
    pub updated_at: String,
    pub next_billing_at: Option<String>,
    pub currency: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub email: Option<String>,
    /// `DAY`, `WEEK`, `MONTH` or `YEAR`.
    pub interval: String,
    pub interval_count: u32,
    /// The plan: the first line's selling plan name (else its title).
    pub plan: String,
    /// The lines' current prices × quantities, minor units.
    pub price_minor: i64,
}

/// Says in the owner's words that the connected app lacks the scopes.
fn scopes(e: Error) -> Error {
    match e {
        Error::Storefront(m) if m.to_ascii_lowercase().contains("access denied") => {
            Error::Storefront(format!(
                "Shopify shows subscription contracts only to the app that made them, with the read_own_subscription_contracts scope, which Shopify grants to approved subscription apps. Import your subscription app's CSV export instead. (Shopify said: {m})"
            ))
        }
        other => other,
    }
}

fn attempt_outcome(a: &Json) -> RenewalOutcome {
    if let Some(order) = a["order"]["name"].as_str() {
        return RenewalOutcome::Billed {
            order: order.to_string(),
        };
    }
    if !a["ready"].as_bool().unwrap_or(false) {
        return RenewalOutcome::Processing;
    }
    match (a["errorMessage"].as_str(), a["errorCode"].as_str()) {
        (Some(m), _) => RenewalOutcome::Failed {
            error: m.to_string(),
        },
        (None, Some(c)) => RenewalOutcome::Failed {
            error: c.to_ascii_lowercase().replace('_', " "),
        },
        // Ready, no order and no error: Shopify finished without billing.
        (None, None) => RenewalOutcome::Failed {
            error: "Shopify finished the attempt without an order".into(),
        },
    }
}

impl Shopify {
    /// Every contract the connected app can see.
    pub fn contracts(&mut self) -> Result<Vec<Contract>> {
        let currency = self.currency()?;
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = self
                .client
                .graphql(
                    SUBSCRIPTIONS,
                    "ContractsPage",
                    json!({ "first": PAGE, "after": after }),
                    Retry::Safe,
                )
                .map_err(scopes)?;
            let page = &data["subscriptionContracts"];
            for n in page["nodes"].as_array().into_iter().flatten() {
                let text = |v: &Json| v.as_str().map(str::to_string);
                let lines: Vec<&Json> = n["lines"]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .collect();
                let mut price_minor = 0i64;
                for l in &lines {
                    let code = l["currentPrice"]["currencyCode"]
                        .as_str()
                        .unwrap_or(&currency);
                    let amount = match &l["currentPrice"]["amount"] {
                        Json::String(t) => t.clone(),
                        other => other.to_string(),
                    };
                    let minor = crate::money::parse_decimal(&amount)
                        .and_then(|d| crate::money::to_minor(d, code))
                        .ok_or_else(|| {
                            Error::Storefront(format!("\"{amount}\" is not an amount"))
                        })?;
                    price_minor += minor * l["quantity"].as_i64().unwrap_or(1);
                }
                let plan = lines
                    .first()
                    .and_then(|l| text(&l["sellingPlanName"]).or_else(|| text(&l["title"])))
                    .unwrap_or_else(|| "Subscription".into());
                out.push(Contract {
                    id: text(&n["id"]).unwrap_or_default(),
                    status: text(&n["status"]).unwrap_or_default(),
                    created_at: text(&n["createdAt"]).unwrap_or_default(),
                    updated_at: text(&n["updatedAt"]).unwrap_or_default(),
                    next_billing_at: text(&n["nextBillingDate"]),
                    currency: text(&n["currencyCode"]).unwrap_or_else(|| currency.clone()),
                    customer_id: text(&n["customer"]["id"]),
                    customer_name: text(&n["customer"]["displayName"]),
                    email: text(&n["customer"]["defaultEmailAddress"]["emailAddress"]),
                    interval: text(&n["billingPolicy"]["interval"]).unwrap_or_default(),
                    interval_count: n["billingPolicy"]["intervalCount"].as_u64().unwrap_or(1)
                        as u32,
                    plan,
                    price_minor,
                });
            }
            if page["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
                return Ok(out);
            }
            after = text_of(&page["pageInfo"]["endCursor"]);
        }
    }

    /// The newest billing attempts of a contract.
    fn attempts(&mut self, contract: &str) -> Result<Vec<Json>> {
        let data = self
            .client
            .graphql(
                SUBSCRIPTIONS,
                "ContractBillingAttempts",
                json!({ "id": contract }),
                Retry::Safe,
            )
            .map_err(scopes)?;
        if data["subscriptionContract"].is_null() {
            return Err(Error::Storefront(format!(
                "the subscription contract {contract} is not in the store"
            )));
        }
        Ok(data["subscriptionContract"]["billingAttempts"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    fn attempt_by_key(&mut self, target: &Target) -> Result<Option<Json>> {
        let r = target.as_renewal()?;
        let key = r.key();
        Ok(self
            .attempts(r.subscription)?
            .into_iter()
            .find(|a| a["idempotencyKey"].as_str() == Some(key.as_str())))
    }

    /// Whether the attempt `target` was made.
    pub(super) fn renewal_made(&mut self, target: &Target) -> Result<Value> {
        Ok(Value::Renewal(self.attempt_by_key(target)?.is_some()))
    }

    /// What became of the attempt `target`.
    pub(super) fn renewal_state(&mut self, target: &Target) -> Result<RenewalOutcome> {
        Ok(match self.attempt_by_key(target)? {
            Some(a) => attempt_outcome(&a),
            None => RenewalOutcome::Missing,
        })
    }

    /// Sends the billing attempt `target`. Its idempotency key makes a
    /// repeat harmless, so it is sent again after a lost answer.
    pub(super) fn create_renewal(&mut self, target: &Target) -> Result<Applied> {
        let r = target.as_renewal()?;
        let data = self
            .client
            .graphql(
                SUBSCRIPTIONS,
                "BillingAttemptCreate",
                json!({
                    "contract": r.subscription,
                    "input": { "idempotencyKey": r.key() },
                }),
                Retry::Safe,
            )
            .map_err(scopes)?;
        let r = &data["subscriptionBillingAttemptCreate"];
        user_errors(&r["userErrors"])?;
        if r["subscriptionBillingAttempt"].is_null() {
            return Err(Error::Storefront(
                "Shopify made no billing attempt and said nothing of why".into(),
            ));
        }
        Ok(Applied {
            target: target.clone(),
            value: Value::Renewal(true),
        })
    }
}

impl Shopify {
    /// A contract's status, as Shopify writes it.
    pub(super) fn contract_status(&mut self, id: &str) -> Result<Value> {
        let data = self
            .client
            .graphql(
                SUBSCRIPTIONS,
                "ContractStatus",
                json!({ "id": id }),
                Retry::Safe,
            )
            .map_err(scopes)?;
        data["subscriptionContract"]["status"]
            .as_str()
            .map(|s| Value::ContractStatus(s.to_string()))
            .ok_or_else(|| {
                Error::Storefront(format!(
                    "the subscription contract {id} is not in the store"
                ))
            })
    }

    /// Pauses, activates or cancels a contract.
    pub(super) fn set_contract_status(&mut self, id: &str, status: &str) -> Result<Applied> {
        let (op, field) = match status {
            "PAUSED" => ("ContractPause", "subscriptionContractPause"),
            "ACTIVE" => ("ContractActivate", "subscriptionContractActivate"),
            "CANCELLED" => ("ContractCancel", "subscriptionContractCancel"),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "a contract cannot be set to {other} from here"
                )))
            }
        };
        let data = self
            .client
            .graphql(SUBSCRIPTIONS, op, json!({ "id": id }), Retry::Safe)
            .map_err(scopes)?;
        user_errors(&data[field]["userErrors"])?;
        let now = data[field]["contract"]["status"].as_str().unwrap_or(status);
        Ok(Applied {
            target: Target::Contract { id: id.to_string() },
            value: Value::ContractStatus(now.to_string()),
        })
    }

    fn cycle_input(contract: &str, at: &str) -> Json {
        json!({ "input": { "contractId": contract, "selector": { "date": at } } })
    }

    /// Whether the billing cycle holding `at` is skipped.
    pub(super) fn cycle_skipped(&mut self, contract: &str, at: &str) -> Result<Value> {
        let data = self
            .client
            .graphql(
                SUBSCRIPTIONS,
                "BillingCycleSkipped",
                Self::cycle_input(contract, at),
                Retry::Safe,
            )
            .map_err(scopes)?;
        data["subscriptionBillingCycle"]["skipped"]
            .as_bool()
            .map(Value::Skipped)
            .ok_or_else(|| {
                Error::Storefront(format!(
                    "the contract {contract} has no billing cycle at {at}"
                ))
            })
    }

    /// Skips or unskips the billing cycle holding `at`.
    pub(super) fn set_cycle_skipped(
        &mut self,
        contract: &str,
        at: &str,
        skip: bool,
    ) -> Result<Applied> {
        let (op, field) = if skip {
            ("BillingCycleSkip", "subscriptionBillingCycleSkip")
        } else {
            ("BillingCycleUnskip", "subscriptionBillingCycleUnskip")
        };
        let data = self
            .client
            .graphql(
                SUBSCRIPTIONS,
                op,
                Self::cycle_input(contract, at),
                Retry::Safe,
            )
            .map_err(scopes)?;
        user_errors(&data[field]["userErrors"])?;
        Ok(Applied {
            target: Target::BillingCycle {
                contract: contract.to_string(),
                at: at.to_string(),
            },
            value: Value::Skipped(
                data[field]["billingCycle"]["skipped"]
                    .as_bool()
                    .unwrap_or(skip),
            ),
        })
    }
}

fn text_of(v: &Json) -> Option<String> {
    v.as_str().map(str::to_string)
}
