//! Rewards on the storefront: a reward checked against the margin floor,
//! and a redemption that spends a member's points on a single-use code for
//! that customer alone, journaled and revertible (reverting the code gives
//! the points back: a redemption counts only while its code stands).

use super::programme::{Discount as RewardValue, Programme, Reward};
use crate::error::{Error, Result};
use crate::journal::{self, Change, Entry, EntryStatus, Why};
use crate::money::MoneyFormat;
use crate::promotions::floor::Catalog;
use crate::store::Shop;
use crate::storefront::{
    Discount, DiscountMethod, DiscountValue, Items, Minimum, Storefront, Target, Value,
};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

/// The storefront discount a reward gives: its value and its minimum.
pub fn storefront_value(r: &Reward, currency: &str) -> Result<(DiscountValue, Minimum)> {
    let minor = |text: &str, what: &str| {
        crate::money::parse_decimal(text)
            .and_then(|d| crate::money::to_minor(d, currency))
            .ok_or_else(|| Error::InvalidArgument(format!("{}: {what} {text:?}", r.name)))
    };
    let value = match &r.discount {
        RewardValue::Amount(a) => DiscountValue::Amount {
            amount_minor: minor(a, "amount")?,
            each_item: false,
        },
        RewardValue::Percent(p) => DiscountValue::Percentage {
            basis_points: p * 100,
        },
        RewardValue::FreeShipping(_) => DiscountValue::FreeShipping,
    };
    let minimum = match &r.min_order {
        Some(m) => Minimum::Subtotal {
            amount_minor: minor(m, "min_order")?,
        },
        None => Minimum::None,
    };
    Ok((value, minimum))
}

pub use crate::promotions::floor::FloorItem;

/// A reward against the margin floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct RewardFloor {
    pub reward: String,
    /// Items that keep the floor at their price but not with the reward,
    /// worst first (at most 20 listed; `below` counts them all).
    pub items: Vec<FloorItem>,
    #[cfg_attr(test, ts(type = "number"))]
    pub below: usize,
    /// Items already below the floor at their own price (a pricing matter,
    /// not the reward's).
    #[cfg_attr(test, ts(type = "number"))]
    pub already_below: usize,
    /// Items without a cost, which cannot be checked.
    #[cfg_attr(test, ts(type = "number"))]
    pub no_cost: usize,
    /// What the owner reads: why, and what would pass.
    pub message: Option<String>,
}

/// Checks each reward of `programme` against the margin floor: the worst
/// case of an amount off an order is an order just at its minimum (the
/// amount spread over it), or one item alone above it; a percentage takes
/// its share off each item; free shipping takes nothing off merchandise.
/// Automatic discounts live at `now` that cover an item stack on it.
pub fn check_floor(
    conn: &Connection,
    shop: &Shop,
    programme: &Programme,
    now: DateTime<Utc>,
) -> Result<Vec<RewardFloor>> {
    let money = MoneyFormat::for_shop(
        &shop.currency,
        Some(&crate::store::money_pattern(conn, &shop.currency)?),
    );
    let money = |m: i64| money.format(m, &shop.currency);
    let catalog = Catalog::load(conn, &shop.currency, now)?;
    let mut out = Vec::new();
    for reward in &programme.reward {
        let (value, minimum) = storefront_value(reward, &shop.currency)?;
        let d = Discount {
            title: reward.name.clone(),
            method: DiscountMethod::Code,
            code: None,
            value,
            minimum,
            items: Items::All,
            starts_at: fmt_utc(now),
            ends_at: None,
            usage_limit: Some(1),
            once_per_customer: true,
            customers: Vec::new(),
        };
        let check = catalog.check(&d);
        let message = check.message(&reward.name, "with the reward", &money);
        let mut items = check.below;
        let below = items.len();
        items.truncate(20);
        out.push(RewardFloor {
            reward: reward.name.clone(),
            items,
            below,
            already_below: check.already_below,
            no_cost: check.no_cost,
            message,
        });
    }
    Ok(out)
}

/// A redemption as the owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Redeemed {
    pub customer: String,
    pub reward: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub points: i64,
    /// The code the customer enters at checkout.
    pub code: String,
    /// Spendable points left.
    #[cfg_attr(test, ts(type = "number"))]
    pub balance: i64,
    /// The journal entry that created the code (revert it to take the code
    /// back and give the points back).
    pub entry: Entry,
}

/// A code: the programme's initials and ten characters no one confuses
/// (no 0/O, 1/I/L), from the operating system's random source.
fn new_code(programme: &str) -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::InvalidArgument(format!("no random source for a code: {e}")))?;
    let prefix: String = programme
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_ascii_alphanumeric()))
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    let body: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    let prefix = if prefix.is_empty() {
        "MD".into()
    } else {
        prefix
    };
    Ok(format!("{prefix}-{}-{}", &body[..5], &body[5..]))
}

/// Spends `customer`'s points on `reward` of the live programme: a
/// single-use code for that customer alone, pushed to `storefront`,
/// journaled; the points are spent once the push is journaled (a refused
/// or reverted code gives them back).
pub fn redeem(
    conn: &Connection,
    shop: &Shop,
    storefront: &mut dyn Storefront,
    customer: &str,
    reward: &str,
    now: DateTime<Utc>,
) -> Result<Redeemed> {
    let member = super::store::member(conn, shop, now, customer)?;
    let live = super::store::require_live(conn)?;
    let p = &live.programme;
    let r = p
        .reward
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(reward.trim()))
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{} has no reward {reward:?} (it has {})",
                p.name,
                p.reward
                    .iter()
                    .map(|r| format!("{:?}", r.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    if member.member.balance < r.points {
        return Err(Error::InvalidArgument(format!(
            "{} has {} points to spend{}; {} needs {}",
            member.member.customer,
            member.member.balance,
            if member.member.pending > 0 {
                format!(" ({} more still pending)", member.member.pending)
            } else {
                String::new()
            },
            r.name,
            r.points
        )));
    }
    let floor = check_floor(conn, shop, p, now)?;
    let override_reason = live.floor_override.clone();
    if let Some(message) = floor
        .iter()
        .find(|f| f.reward == r.name)
        .and_then(|f| f.message.clone())
    {
        if override_reason.is_none() {
            return Err(Error::InvalidArgument(format!(
                "{message}. Change the reward, or launch the programme again with a reason to give it anyway"
            )));
        }
    }
    let (value, minimum) = storefront_value(r, &shop.currency)?;
    let code = new_code(&p.name)?;
    let stamp = fmt_utc(now);
    let discount = Discount {
        title: format!("{}: {} for {}", p.name, r.name, member.member.customer),
        method: DiscountMethod::Code,
        code: Some(code.clone()),
        value,
        minimum,
        items: Items::All,
        starts_at: stamp.clone(),
        ends_at: None,
        usage_limit: Some(1),
        once_per_customer: true,
        customers: vec![member.member.customer.clone()],
    };
    let mut reason = format!(
        "{} redeemed {} points for {}",
        member.member.customer, r.points, r.name
    );
    if let Some(why) = &override_reason {
        reason.push_str(&format!(" (below the margin floor: {why})"));
    }
    let customer_id = super::store::customer_id(conn, &member.member.customer)?
        .ok_or_else(|| Error::InvalidArgument(format!("no customer {customer:?}")))?;
    let entries = journal::push_noting(
        conn,
        storefront,
        vec![Change {
            target: Target::Discount { id: None },
            label: format!("{} code {code}", r.name),
            value: Value::Discount(Some(discount)),
        }],
        &Why {
            playbook: "loyalty".into(),
            reason,
        },
        now,
        &mut |batch| {
            conn.execute(
                "INSERT INTO loyalty_redemptions (customer_id, at, points, reward, reference, code, batch_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
                params![customer_id, stamp, r.points, r.name, code, batch],
            )?;
            Ok(())
        },
    )?;
    let entry = entries
        .into_iter()
        .next()
        .ok_or_else(|| Error::Storefront("the code's push left no journal entry".into()))?;
    if entry.status == EntryStatus::Failed {
        return Err(Error::Storefront(format!(
            "the store refused the code, and no points were spent: {}",
            entry.error.clone().unwrap_or_default()
        )));
    }
    let after = super::store::member(conn, shop, now, &member.member.customer)?;
    Ok(Redeemed {
        customer: member.member.customer,
        reward: r.name.clone(),
        points: r.points,
        code,
        balance: after.member.balance,
        entry,
    })
}
