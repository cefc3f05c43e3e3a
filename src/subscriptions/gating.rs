//! What a plan's tier brings, applied from the plan's customers:
//!
//! - a member discount: a code (`GOLD-MEMBERS`) only the plan's customers
//!   can use, a percentage off every item that keeps the margin floor with
//!   it (the others are left out of it and named);
//! - free shipping: a code (`GOLD-SHIPPING`) for them alone;
//! - early access to a sale: a code for them at the sale's price from the
//!   hours before its public start until it (`promotions::run`);
//! - a loyalty points multiplier while they are subscribed (`loyalty`).
//!
//! The codes follow the book: each push gives them to the plan's customers
//! of the day and takes them from those who left, and a code whose benefit
//! the owner removed (or whose plan has no customers left) is deleted. Every
//! change is journaled; pushing again with nothing changed sends nothing.

use super::setup::{PlanSetup, Setup};
use super::tags::members;
use crate::error::Result;
use crate::journal::{self, Change, EntryStatus, Why};
use crate::money::MoneyFormat;
use crate::promotions::floor::{Catalog, CatalogCheck};
use crate::store::Shop;
use crate::storefront::{
    Discount, DiscountMethod, DiscountValue, Items, Minimum, Storefront, Target, Value,
};
use crate::time::fmt_utc;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

stored_enum! {
    /// A benefit that is a code on the storefront.
    pub enum Benefit {
        MemberDiscount = "member_discount",
        FreeShipping = "free_shipping",
    }
}

/// What a push did to one plan's benefit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct BenefitPushed {
    pub plan: String,
    pub benefit: Benefit,
    pub code: String,
    /// The customers who can use it now.
    pub customers: u32,
    /// Items left out of a member discount: they would sell below the
    /// margin floor with it, are below it already, or have no cost.
    pub left_out: u32,
    /// `created`, `updated`, `unchanged`, `ended` or `failed`.
    pub status: String,
    /// Why items were left out, or the store's refusal.
    pub message: Option<String>,
}

/// A plan's code for a benefit: its name in capitals, words joined by
/// hyphens, then what it is (`GOLD-MEMBERS`, `TEA-LOVERS-SHIPPING`).
pub fn code(plan: &str, what: &str) -> String {
    let words: Vec<String> = plan
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    format!("{}-{what}", words.join("-"))
}

fn label(plan: &str, benefit: Benefit) -> String {
    match benefit {
        Benefit::MemberDiscount => format!("member discount of plan {plan}"),
        Benefit::FreeShipping => format!("free shipping of plan {plan}"),
    }
}

/// The storefront discount that carries `label`'s benefit now, as the
/// journal last confirmed it (it may have been deleted since).
fn last_pushed(conn: &Connection, label: &str) -> Result<Option<Target>> {
    let target: Option<String> = conn
        .query_row(
            "SELECT j.target FROM journal j JOIN journal_batches b ON b.id = j.batch_id
             WHERE b.playbook = 'subscriptions' AND j.label = ?1 AND j.status IN ('confirmed', 'reverted')
             ORDER BY j.id DESC LIMIT 1",
            [label],
            |r| r.get(0),
        )
        .optional()?;
    Ok(target.and_then(|t| serde_json::from_str(&t).ok()))
}

/// The member discount of `p` on the catalog: every item when all keep the
/// floor, else those that do.
fn member_items(check: &CatalogCheck) -> Items {
    if check.keeping.len() == check.items {
        Items::All
    } else {
        Items::Some {
            products: Vec::new(),
            variants: check.keeping.iter().map(|(_, v)| v.clone()).collect(),
        }
    }
}

fn wanted(
    p: &PlanSetup,
    benefit: Benefit,
    customers: &[String],
    catalog: &Catalog,
    stamp: &str,
) -> Option<(Discount, Option<CatalogCheck>)> {
    if customers.is_empty() {
        return None;
    }
    let base = |title: String, code: String, value: DiscountValue| Discount {
        title,
        method: DiscountMethod::Code,
        code: Some(code),
        value,
        minimum: Minimum::None,
        items: Items::All,
        starts_at: stamp.to_string(),
        ends_at: None,
        usage_limit: None,
        once_per_customer: false,
        customers: customers.to_vec(),
    };
    match benefit {
        Benefit::MemberDiscount if p.discount_percent > 0 => {
            let mut d = base(
                format!("{} members: {} % off", p.name, p.discount_percent),
                code(&p.name, "MEMBERS"),
                DiscountValue::Percentage {
                    basis_points: i64::from(p.discount_percent) * 100,
                },
            );
            let check = catalog.check(&d);
            d.items = member_items(&check);
            Some((d, Some(check)))
        }
        Benefit::FreeShipping if p.free_shipping => Some((
            base(
                format!("{} members: free shipping", p.name),
                code(&p.name, "SHIPPING"),
                DiscountValue::FreeShipping,
            ),
            None,
        )),
        _ => None,
    }
}

/// Brings every plan's benefit codes on `storefront` to the set-up and the
/// book at `today`.
pub fn push(
    conn: &Connection,
    shop: &Shop,
    storefront: &mut dyn Storefront,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<BenefitPushed>> {
    let setup = Setup::load(conn)?;
    let plans: Vec<String> = conn
        .prepare("SELECT name FROM subscription_plans ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let catalog = Catalog::load(conn, &shop.currency, now)?;
    let money = MoneyFormat::for_shop(
        &shop.currency,
        Some(&crate::store::money_pattern(conn, &shop.currency)?),
    );
    let money = |m: i64| money.format(m, &shop.currency);
    let stamp = fmt_utc(now);
    let mut planned: Vec<(Option<Change>, BenefitPushed)> = Vec::new();
    for plan in &plans {
        let customers = members(conn, plan, today)?;
        for benefit in [Benefit::MemberDiscount, Benefit::FreeShipping] {
            let label = label(plan, benefit);
            let last = last_pushed(conn, &label)?;
            let live = match &last {
                Some(t) => match storefront.read(std::slice::from_ref(t))?.pop() {
                    Some(Value::Discount(Some(d))) => Some(d),
                    _ => None,
                },
                None => None,
            };
            let wanted = setup
                .plan(plan)
                .and_then(|p| wanted(p, benefit, &customers, &catalog, &stamp));
            let mut report = BenefitPushed {
                plan: plan.clone(),
                benefit,
                code: code(
                    plan,
                    match benefit {
                        Benefit::MemberDiscount => "MEMBERS",
                        Benefit::FreeShipping => "SHIPPING",
                    },
                ),
                customers: 0,
                left_out: 0,
                status: "unchanged".into(),
                message: None,
            };
            let value = match wanted {
                Some((mut d, check)) => {
                    if let Some(check) = &check {
                        report.left_out = (check.items - check.keeping.len()) as u32;
                        report.message = left_out_message(check, &money);
                    }
                    report.customers = d.customers.len() as u32;
                    if let Some(l) = &live {
                        // A code already running keeps its start.
                        d.starts_at = l.starts_at.clone();
                    }
                    if live.as_ref() == Some(&d) {
                        planned.push((None, report));
                        continue;
                    }
                    report.status = if live.is_some() { "updated" } else { "created" }.into();
                    Value::Discount(Some(d))
                }
                None if live.is_some() => {
                    report.status = "ended".into();
                    Value::Discount(None)
                }
                None => continue,
            };
            let target = match (&live, last) {
                (Some(_), Some(t)) => t,
                _ => Target::Discount { id: None },
            };
            planned.push((
                Some(Change {
                    target,
                    label,
                    value,
                }),
                report,
            ));
        }
    }
    let (at, sent): (Vec<usize>, Vec<Change>) = planned
        .iter_mut()
        .enumerate()
        .filter_map(|(i, (c, _))| c.take().map(|c| (i, c)))
        .unzip();
    let mut reports: Vec<BenefitPushed> = planned.into_iter().map(|(_, r)| r).collect();
    if sent.is_empty() {
        return Ok(reports);
    }
    let entries = journal::push(
        conn,
        storefront,
        sent,
        &Why {
            playbook: "subscriptions".into(),
            reason: "the plans' member discount and free-shipping codes for their customers".into(),
        },
        now,
    )?;
    for (i, e) in at.into_iter().zip(entries) {
        if e.status == EntryStatus::Failed {
            reports[i].status = "failed".into();
            reports[i].message = e.error.clone();
        }
    }
    Ok(reports)
}

/// Why a member discount leaves items out, in the owner's words.
fn left_out_message(check: &CatalogCheck, money: &dyn Fn(i64) -> String) -> Option<String> {
    let items = |n: usize| format!("{n} item{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if !check.below.is_empty() {
        parts.push(format!(
            "{} would sell below the margin floor with it and {} left out of the code ({})",
            items(check.below.len()),
            if check.below.len() == 1 { "is" } else { "are" },
            check.worst(3, "with it", money),
        ));
    }
    let mut also = Vec::new();
    if check.already_below > 0 {
        also.push(format!(
            "{} already below the floor at {} own price",
            items(check.already_below),
            if check.already_below == 1 {
                "its"
            } else {
                "their"
            }
        ));
    }
    if check.no_cost > 0 {
        also.push(format!(
            "{} without a cost (the floor cannot be checked)",
            items(check.no_cost)
        ));
    }
    if !also.is_empty() {
        parts.push(format!("Left out too: {}", also.join(", and ")));
    }
    (!parts.is_empty()).then(|| format!("{}.", parts.join(". ")))
}

/// A subscription's loyalty multiplier over its days: from `from` until
/// `until` (shop-local days; `until` excluded, none: still running).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiplierSpan {
    /// The customer's id in the store.
    pub customer: i64,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub multiplier: rust_decimal::Decimal,
}

/// The spans of every subscription linked to a customer whose plan sets a
/// points multiplier: active from its start until its cancellation.
pub fn multiplier_spans(conn: &Connection) -> Result<Vec<MultiplierSpan>> {
    let setup = Setup::load(conn)?;
    if setup.plans.iter().all(|p| p.multiplier().is_none()) {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT s.customer_id, p.name, s.started_on, s.cancelled_on
         FROM subscriptions s JOIN subscription_plans p ON p.id = s.plan_id
         WHERE s.customer_id IS NOT NULL ORDER BY s.customer_id, s.started_on",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (customer, plan, from, until) = row?;
        let Some(multiplier) = setup.plan(&plan).and_then(PlanSetup::multiplier) else {
            continue;
        };
        out.push(MultiplierSpan {
            customer,
            from: crate::time::parse_day(&from)?,
            until: until.as_deref().map(crate::time::parse_day).transpose()?,
            multiplier,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plan_code_is_its_name_in_capitals_with_hyphens() {
        assert_eq!(super::code("Gold", "MEMBERS"), "GOLD-MEMBERS");
        assert_eq!(
            super::code("Tea  lovers' box", "SHIPPING"),
            "TEA-LOVERS-BOX-SHIPPING"
        );
    }
}
