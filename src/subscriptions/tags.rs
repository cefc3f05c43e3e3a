//! Each subscriber's plan on the storefront: a customer tag (`plan:gold`)
//! for segments, email tools and the theme, and the metafield
//! `merchant_desk.plan` (the plan names, comma-separated). A customer whose
//! subscriptions have all ended loses both. Only what the store does not
//! hold already is sent, journaled like every push.

use super::book;
use super::calendar::SubscriptionStatus;
use crate::error::Result;
use crate::journal::{self, Change, Why};
use crate::storefront::{Metafield, Storefront, Target, Value};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The metafield's namespace and key.
pub const NAMESPACE: &str = "merchant_desk";
pub const KEY: &str = "plan";
/// The plan tags' prefix.
pub const TAG_PREFIX: &str = "plan:";

/// A plan's tag: `plan:` and the name in lower case, spaces as hyphens.
pub fn plan_tag(plan: &str) -> String {
    crate::storefront::name_tag(TAG_PREFIX, plan)
}

/// What a push of the plans did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct PlansPushed {
    /// Customers given (or cleared of) a plan.
    pub customers: u32,
    /// Subscriptions whose customer is not in the shop's customers (no tag
    /// can go to them).
    pub unlinked: u32,
    pub unchanged: u32,
    pub confirmed: u32,
    pub failed: u32,
    /// The first refusals, as the store gave them.
    pub errors: Vec<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub batch: Option<i64>,
    /// The plans' benefit codes ([`super::gating::push`]).
    pub benefits: Vec<super::gating::BenefitPushed>,
}

/// Every linked customer (external id) with the plans they are on at
/// `today` (empty: all their subscriptions have ended), and the number of
/// subscriptions whose customer is not in the shop's customers.
pub fn plans_by_customer(
    conn: &Connection,
    today: NaiveDate,
) -> Result<(BTreeMap<String, BTreeSet<String>>, u32)> {
    let mut customer_of = conn.prepare(
        "SELECT c.external_id FROM subscriptions s JOIN customers c ON c.id = s.customer_id WHERE s.id = ?1",
    )?;
    let mut plans: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unlinked = 0u32;
    for s in book::list(conn, None)? {
        let customer: Option<String> = customer_of.query_row([s.id], |r| r.get(0)).optional()?;
        let Some(customer) = customer else {
            unlinked += 1;
            continue;
        };
        let entry = plans.entry(customer).or_default();
        if s.status != SubscriptionStatus::Cancelled && s.terms()?.active_on(today) {
            entry.insert(s.plan.clone());
        }
    }
    Ok((plans, unlinked))
}

/// The customers (external ids) on `plan` at `today`, in order.
pub fn members(conn: &Connection, plan: &str, today: NaiveDate) -> Result<Vec<String>> {
    Ok(plans_by_customer(conn, today)?
        .0
        .into_iter()
        .filter(|(_, plans)| plans.contains(plan))
        .map(|(c, _)| c)
        .collect())
}

/// Pushes every linked customer's plans (as of `today`) to `storefront`.
pub fn push(
    conn: &Connection,
    storefront: &mut dyn Storefront,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<PlansPushed> {
    let (plans, unlinked) = plans_by_customer(conn, today)?;
    let targets: Vec<Target> = plans
        .keys()
        .map(|c| Target::CustomerTags {
            customer: c.clone(),
        })
        .collect();
    let current = if targets.is_empty() {
        Vec::new()
    } else {
        storefront.read(&targets)?
    };
    let mut changes = Vec::with_capacity(plans.len() * 2);
    for (((customer, mine), target), now_tags) in plans.iter().zip(targets).zip(current) {
        let Value::Tags(mut tags) = now_tags else {
            continue;
        };
        tags.retain(|t| !t.starts_with(TAG_PREFIX));
        tags.extend(mine.iter().map(|p| plan_tag(p)));
        changes.push(Change {
            target,
            label: format!("plan tag of {customer}"),
            value: Value::Tags(tags),
        });
        changes.push(Change {
            target: Target::Metafield {
                owner: customer.clone(),
                namespace: NAMESPACE.into(),
                key: KEY.into(),
            },
            label: format!("plan of {customer}"),
            value: Value::Metafield((!mine.is_empty()).then(|| Metafield {
                r#type: "single_line_text_field".into(),
                value: mine.iter().cloned().collect::<Vec<_>>().join(", "),
            })),
        });
    }
    let t = journal::push_counted(
        conn,
        storefront,
        changes,
        &Why {
            playbook: "subscriptions".into(),
            reason: "subscribers' plans as customer tags and metafields".into(),
        },
        now,
    )?;
    Ok(PlansPushed {
        customers: plans.len() as u32,
        unlinked,
        unchanged: t.unchanged as u32,
        confirmed: t.confirmed as u32,
        failed: t.failed as u32,
        errors: t.errors,
        batch: t.batch,
        benefits: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plan_tag_is_its_name_in_lower_case_with_hyphens() {
        assert_eq!(super::plan_tag("Gold"), "plan:gold");
        assert_eq!(super::plan_tag("Tea  Lovers Box"), "plan:tea-lovers-box");
    }
}
