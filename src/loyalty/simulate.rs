//! What a programme would have cost: its ledger replayed on the shop's last
//! months of orders, as if it had started then.

use super::ledger::{self, Kind};
use super::programme::{Discount, Programme};
use crate::error::{Error, Result};
use crate::store::Shop;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rusqlite::Connection;
use serde::Serialize;

/// The redemption rate assumed when none is given: the share of issued
/// points that end up spent.
pub const DEFAULT_REDEMPTION_RATE: f64 = 0.3;

/// Outstanding points valued at one reward's rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Liability {
    pub reward: String,
    /// Minor units per point, as the reward values it (`None`: a percentage
    /// or free shipping, whose value depends on the order).
    pub per_point_minor: Option<f64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub value_minor: Option<i64>,
}

/// The programme at the end of one of the shop's months.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct MonthEnd {
    /// The month's last shop-local day.
    pub day: String,
    /// Points issued (earned and awarded) since the start.
    #[cfg_attr(test, ts(type = "number"))]
    pub issued: i64,
    /// Points held by members (spendable and pending).
    #[cfg_attr(test, ts(type = "number"))]
    pub outstanding: i64,
    /// Members (customers who have earned) in each tier.
    #[cfg_attr(test, ts(type = "number[]"))]
    pub members_by_tier: Vec<i64>,
}

/// A programme replayed on the shop's last `months` months.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Simulation {
    pub name: String,
    /// The first day replayed (the programme's start, moved here) and the
    /// last (the shop's today), shop-local.
    pub from: String,
    pub to: String,
    pub currency: String,
    pub tiers: Vec<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub members: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub earning_orders: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub earned: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub awarded: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub taken_back: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub unrecovered: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub expired: i64,
    /// Held at the end (spendable and pending), before any redemption.
    #[cfg_attr(test, ts(type = "number"))]
    pub outstanding: i64,
    pub liability: Vec<Liability>,
    pub redemption_rate: f64,
    /// Issued points × the redemption rate × the most generous amount
    /// reward's value of a point (`None` without an amount reward).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub redemption_cost_minor: Option<i64>,
    /// The shop's merchandise revenue over the same days (every order).
    #[cfg_attr(test, ts(type = "number"))]
    pub revenue_minor: i64,
    /// The redemption cost over that revenue.
    pub cost_share: Option<f64>,
    pub monthly: Vec<MonthEnd>,
}

/// The end of a shop-local day (the next day's start), in UTC.
fn day_end(tz: chrono_tz::Tz, day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day);
    crate::time::local_to_utc(tz, next.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Replays `programme` as if it had started `months` months before the
/// shop's today (on the first day of that month), on the history read up
/// to the end of today.
pub fn simulate(
    conn: &Connection,
    shop: &Shop,
    programme: &Programme,
    months: u32,
    redemption_rate: f64,
    now: DateTime<Utc>,
) -> Result<Simulation> {
    if !(1..=120).contains(&months) {
        return Err(Error::InvalidArgument(
            "simulate between 1 and 120 months".into(),
        ));
    }
    if !(0.0..=1.0).contains(&redemption_rate) {
        return Err(Error::InvalidArgument(
            "the redemption rate is a share between 0 and 1 (e.g. 0.3)".into(),
        ));
    }
    let mut compiled = programme.compile()?;
    let setting = super::setting(shop)?;
    let today = shop.today(now)?;
    let first_month = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(months - 1)))
        .unwrap_or(today);
    compiled.starts_on = first_month;
    let as_of = day_end(setting.tz, today);
    let history = super::read_history(conn, shop, as_of)?;
    let replay = ledger::replay(&compiled, setting, &history, as_of);
    let sum = |k: Kind| -> i64 {
        replay
            .entries
            .iter()
            .filter(|e| e.kind == k)
            .map(|e| e.points)
            .sum()
    };
    let earned = sum(Kind::Earn);
    let awarded = sum(Kind::Award);
    let outstanding: i64 = replay.standings.iter().map(|s| s.balance + s.pending).sum();
    let members = replay.standings.iter().filter(|s| s.orders > 0).count() as i64;
    let currency = shop.currency.clone();
    let per_point = |r: &super::programme::Reward| -> Option<f64> {
        match &r.discount {
            Discount::Amount(a) => crate::money::parse_decimal(a)
                .and_then(|d| crate::money::to_minor(d, &currency))
                .map(|m| m as f64 / r.points as f64),
            _ => None,
        }
    };
    let liability: Vec<Liability> = programme
        .reward
        .iter()
        .map(|r| {
            let v = per_point(r);
            Liability {
                reward: r.name.clone(),
                per_point_minor: v,
                value_minor: v.map(|v| (v * outstanding as f64).round() as i64),
            }
        })
        .collect();
    let best = programme
        .reward
        .iter()
        .filter_map(per_point)
        .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.max(v))));
    let redemption_cost_minor =
        best.map(|v| ((earned + awarded) as f64 * redemption_rate * v).round() as i64);
    let revenue_minor: i64 = conn.query_row(
        "SELECT coalesce(sum(gross_minor), 0) FROM sales_by_order
         WHERE currency = ?1 AND day >= ?2 AND day <= ?3",
        rusqlite::params![shop.currency, first_month.to_string(), today.to_string()],
        |r| r.get(0),
    )?;
    let cost_share = redemption_cost_minor
        .filter(|_| revenue_minor > 0)
        .map(|c| c as f64 / revenue_minor as f64);
    // Month ends: the last day of each month replayed (today for this one).
    let mut ends = Vec::new();
    let mut m = first_month;
    while m <= today {
        let next = m
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(today);
        ends.push(next.pred_opt().unwrap_or(m).min(today));
        m = next;
    }
    let monthly = month_ends(&compiled, setting, &history, &replay, &ends);
    Ok(Simulation {
        name: programme.name.clone(),
        from: first_month.to_string(),
        to: today.to_string(),
        currency: shop.currency.clone(),
        tiers: programme.tier_names(),
        members,
        earning_orders: replay.standings.iter().map(|s| s.orders).sum(),
        earned,
        awarded,
        taken_back: replay.standings.iter().map(|s| s.taken_back).sum(),
        unrecovered: replay.standings.iter().map(|s| s.unrecovered).sum(),
        expired: replay.standings.iter().map(|s| s.expired).sum(),
        outstanding,
        liability,
        redemption_rate,
        redemption_cost_minor,
        revenue_minor,
        cost_share,
        monthly,
    })
}

/// Issued and outstanding points, and members per tier, at the end of each
/// of `days`.
fn month_ends(
    p: &super::programme::Compiled,
    setting: ledger::Setting,
    history: &ledger::History,
    replay: &ledger::Replay,
    days: &[NaiveDate],
) -> Vec<MonthEnd> {
    let moments: Vec<DateTime<Utc>> = days.iter().map(|d| day_end(setting.tz, *d)).collect();
    // Each customer's signed spend events, oldest first, and prefix sums.
    let mut spend: std::collections::HashMap<i64, Vec<(DateTime<Utc>, i64)>> = Default::default();
    for o in &history.orders {
        spend
            .entry(o.customer)
            .or_default()
            .push((o.at, o.merchandise_minor));
    }
    for r in &history.refunds {
        spend
            .entry(r.customer)
            .or_default()
            .push((r.at, -r.merchandise_minor));
    }
    let mut first_earn: std::collections::HashMap<i64, DateTime<Utc>> = Default::default();
    for e in &replay.entries {
        if e.kind == Kind::Earn {
            first_earn.entry(e.customer).or_insert(e.at);
        }
    }
    let thresholds = p.thresholds(setting.minor_per_major);
    let mut by_tier = vec![vec![0i64; p.tiers.len()]; moments.len()];
    for (customer, events) in &mut spend {
        let Some(joined) = first_earn.get(customer) else {
            continue;
        };
        events.sort_unstable();
        let mut prefix = Vec::with_capacity(events.len() + 1);
        prefix.push(0i64);
        for (_, v) in events.iter() {
            prefix.push(prefix.last().copied().unwrap_or(0) + v);
        }
        let before = |t: DateTime<Utc>| prefix[events.partition_point(|(at, _)| *at < t)];
        for (i, t) in moments.iter().enumerate() {
            if joined >= t {
                continue;
            }
            let tier = thresholds.tier(before(*t) - before(*t - Duration::days(365)));
            by_tier[i][tier] += 1;
        }
    }
    // Entries are per customer, oldest first: sort the counting ones by time.
    let mut lines: Vec<(DateTime<Utc>, Kind, i64)> = replay
        .entries
        .iter()
        .filter(|e| e.kind.counts())
        .map(|e| (e.at, e.kind, e.points))
        .collect();
    lines.sort_unstable_by_key(|l| l.0);
    let (mut issued, mut outstanding, mut next) = (0i64, 0i64, 0usize);
    days.iter()
        .zip(&moments)
        .zip(by_tier)
        .map(|((day, t), members_by_tier)| {
            while next < lines.len() && lines[next].0 < *t {
                let (_, kind, points) = lines[next];
                if matches!(kind, Kind::Earn | Kind::Award) {
                    issued += points;
                }
                outstanding += points;
                next += 1;
            }
            MonthEnd {
                day: day.to_string(),
                issued,
                outstanding,
                members_by_tier,
            }
        })
        .collect()
}
