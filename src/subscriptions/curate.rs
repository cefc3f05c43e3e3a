//! Curation: each cycle, a box per subscriber. A box holds the plan's
//! number of items, chosen from the plan's categories and SKUs (premium
//! items only for plans of the premium rank and up), never one the
//! subscriber already received (in an earlier box, or bought on an
//! order), never more than the stock left once every planned box still to
//! go out holds its items. Boxes are planned once and kept; what could not
//! be filled is a shortage, shown before the cycle.

use super::book;
use super::calendar::SubscriptionStatus;
use super::setup::Setup;
use crate::error::{Error, Result};
use crate::time::{fmt_day, fmt_utc, parse_day};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// An item a plan's boxes may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
}

/// A box due: a subscription's renewal in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub subscription_id: i64,
    pub cycle_on: NaiveDate,
    pub plan: String,
    pub wanted: u32,
}

/// Why a box holds fewer items than its plan asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "BoxShort"))]
#[serde(rename_all = "snake_case")]
pub enum Short {
    /// The plan's items the subscriber has not had are out of stock.
    Stock,
    /// The subscriber has had nearly every item of the plan.
    History,
}

impl Short {
    fn as_str(self) -> &'static str {
        match self {
            Short::Stock => "stock",
            Short::History => "history",
        }
    }

    fn parse(text: &str) -> Option<Short> {
        match text {
            "stock" => Some(Short::Stock),
            "history" => Some(Short::History),
            _ => None,
        }
    }
}

/// A box as chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub due: Due,
    pub items: Vec<i64>,
    pub short: Option<Short>,
}

/// Chooses each box's items, in the order given. `available` holds the
/// units left of each variant whose stock is counted (one not in it has no
/// stock count, and any number may go); `received` what each subscription
/// already had. Both are updated as boxes are filled. Among the items a box
/// may take, those with most units left go first (so no item runs out
/// early), then by SKU. With `within_stock` false the stock orders the
/// choice but does not limit it (the forecast: the need in full).
pub fn choose(
    dues: &[Due],
    pools: &HashMap<String, Vec<Candidate>>,
    available: &mut HashMap<i64, i64>,
    received: &mut HashMap<i64, HashSet<i64>>,
    within_stock: bool,
) -> Vec<Chosen> {
    let empty = Vec::new();
    dues.iter()
        .map(|due| {
            let pool = pools.get(&due.plan).unwrap_or(&empty);
            let had = received.entry(due.subscription_id).or_default();
            let fresh: Vec<&Candidate> = pool
                .iter()
                .filter(|c| !had.contains(&c.variant_id))
                .collect();
            let mut open: Vec<(&Candidate, i64)> = fresh
                .iter()
                .map(|c| {
                    (
                        *c,
                        available.get(&c.variant_id).copied().unwrap_or(i64::MAX),
                    )
                })
                .filter(|(_, left)| *left > 0 || !within_stock)
                .collect();
            open.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.sku.cmp(&b.0.sku)));
            let items: Vec<i64> = open
                .iter()
                .take(due.wanted as usize)
                .map(|(c, _)| c.variant_id)
                .collect();
            for v in &items {
                if let Some(left) = available.get_mut(v) {
                    *left -= 1;
                }
                had.insert(*v);
            }
            let short = (items.len() < due.wanted as usize).then_some(
                if fresh.len() < due.wanted as usize {
                    Short::History
                } else {
                    Short::Stock
                },
            );
            Chosen {
                due: due.clone(),
                items,
                short,
            }
        })
        .collect()
}

/// Each plan's candidates, by plan name.
pub fn pools(conn: &Connection, setup: &Setup) -> Result<HashMap<String, Vec<Candidate>>> {
    let boxes: HashSet<&str> = setup
        .plans
        .iter()
        .filter_map(|p| p.box_sku.as_deref())
        .collect();
    let premium: HashSet<&str> = setup.premium.iter().map(String::as_str).collect();
    let mut stmt = conn.prepare(
        "SELECT v.id, coalesce(v.sku, v.external_id), p.title, p.category
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.kind = 'merchandise' AND p.active = 1 AND v.active = 1
         ORDER BY v.id",
    )?;
    let all: Vec<(Candidate, Option<String>)> = stmt
        .query_map([], |r| {
            Ok((
                Candidate {
                    variant_id: r.get(0)?,
                    sku: r.get(1)?,
                    title: r.get(2)?,
                },
                r.get(3)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = HashMap::new();
    for plan in &setup.plans {
        let pool: Vec<Candidate> = all
            .iter()
            .filter(|(c, category)| {
                let listed = plan.products.contains(&c.sku)
                    || category
                        .as_deref()
                        .is_some_and(|cat| plan.categories.iter().any(|x| x == cat));
                listed
                    && !boxes.contains(c.sku.as_str())
                    && (plan.rank >= setup.premium_rank || !premium.contains(c.sku.as_str()))
            })
            .map(|(c, _)| c.clone())
            .collect();
        out.insert(plan.name.clone(), pool);
    }
    Ok(out)
}

/// The boxes due in `from..=to`: every renewal there of a subscription
/// whose plan sends boxes, skipped ones left out, soonest first.
pub fn dues(conn: &Connection, setup: &Setup, from: NaiveDate, to: NaiveDate) -> Result<Vec<Due>> {
    let mut out = Vec::new();
    for s in book::list(conn, None)? {
        if s.status == SubscriptionStatus::Cancelled {
            continue;
        }
        let Some(plan) = setup.plan(&s.plan).filter(|p| p.items > 0) else {
            continue;
        };
        for day in s.terms()?.renewals(from, to) {
            if !s.skipped.contains(&fmt_day(day)) {
                out.push(Due {
                    subscription_id: s.id,
                    cycle_on: day,
                    plan: plan.name.clone(),
                    wanted: plan.items,
                });
            }
        }
    }
    out.sort_by_key(|d| (d.cycle_on, d.subscription_id));
    Ok(out)
}

/// What each subscription already had: its boxes' items and what its
/// customer bought.
fn received(conn: &Connection) -> Result<HashMap<i64, HashSet<i64>>> {
    let mut out: HashMap<i64, HashSet<i64>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT subscription_id, variant_id FROM subscription_box_items
         UNION SELECT s.id, l.variant_id FROM subscriptions s
            JOIN orders o ON o.customer_id = s.customer_id
            JOIN order_lines l ON l.order_id = o.id",
    )?;
    for r in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (s, v) = r?;
        out.entry(s).or_default().insert(v);
    }
    Ok(out)
}

/// The units of each stock-counted variant not held by a planned box
/// still to go out (renewal on or after `today`).
fn available(conn: &Connection, today: NaiveDate) -> Result<HashMap<i64, i64>> {
    let mut stmt = conn.prepare(
        "SELECT v.id, v.stock - coalesce(r.n, 0) FROM variants v
         LEFT JOIN (SELECT variant_id, count(*) AS n FROM subscription_box_items
                    WHERE cycle_on >= ?1 GROUP BY variant_id) r ON r.variant_id = v.id
         WHERE v.stock IS NOT NULL",
    )?;
    let rows = stmt.query_map([fmt_day(today)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The boxes already planned, by subscription and cycle.
fn planned(conn: &Connection) -> Result<HashSet<(i64, String)>> {
    let mut stmt = conn.prepare("SELECT subscription_id, cycle_on FROM subscription_boxes")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn require_boxes(setup: &Setup) -> Result<()> {
    if setup.plans.iter().all(|p| p.items == 0) {
        return Err(Error::InvalidArgument(
            "no plan sends boxes yet: set each plan's items per box and what they are made of"
                .into(),
        ));
    }
    Ok(())
}

/// Plans every box due in `from..=to` from `today` on that is not planned
/// yet, reserving its items. Returns how many it planned.
pub fn curate(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<u32> {
    let setup = Setup::load(conn)?;
    require_boxes(&setup)?;
    let done = planned(conn)?;
    let dues: Vec<Due> = dues(conn, &setup, from.max(today), to)?
        .into_iter()
        .filter(|d| !done.contains(&(d.subscription_id, fmt_day(d.cycle_on))))
        .collect();
    let pools = pools(conn, &setup)?;
    let mut available = available(conn, today)?;
    let mut received = received(conn)?;
    let chosen = choose(&dues, &pools, &mut available, &mut received, true);
    let tx = conn.unchecked_transaction()?;
    let stamp = fmt_utc(now);
    for c in &chosen {
        let day = fmt_day(c.due.cycle_on);
        tx.execute(
            "INSERT INTO subscription_boxes (subscription_id, cycle_on, wanted, short, planned_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                c.due.subscription_id,
                day,
                c.due.wanted,
                c.short.map(Short::as_str),
                stamp
            ],
        )?;
        for v in &c.items {
            tx.execute(
                "INSERT INTO subscription_box_items (subscription_id, cycle_on, variant_id) VALUES (?1, ?2, ?3)",
                params![c.due.subscription_id, day, v],
            )?;
        }
    }
    tx.commit()?;
    Ok(chosen.len() as u32)
}

/// One item in a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct BoxItem {
    pub sku: String,
    pub title: String,
}

/// A planned box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "PlannedBox"))]
pub struct Planned {
    /// The subscription's id where it came from.
    pub subscription: String,
    pub customer: String,
    pub email: Option<String>,
    pub plan: String,
    /// The renewal day (shop-local).
    pub cycle_on: String,
    pub wanted: u32,
    pub items: Vec<BoxItem>,
    /// Why it holds fewer than `wanted`.
    pub short: Option<Short>,
}

/// The units of one item the month's boxes take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct PickLine {
    pub sku: String,
    pub title: String,
    pub units: u32,
    /// Its stock now (none: not counted).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub stock: Option<i64>,
}

/// The boxes of a month as planned, with the picking totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Curation {
    pub month: String,
    /// Due this month and not planned yet (planned by `subs curate`).
    pub unplanned: u32,
    pub boxes: Vec<Planned>,
    /// Boxes holding fewer items than their plan asks.
    pub shortages: u32,
    /// Units per item over the month's boxes, most first.
    pub picking: Vec<PickLine>,
}

/// The boxes planned for `from..=to`, and how many due there from `today`
/// on are not planned yet.
pub fn month(
    conn: &Connection,
    month: &str,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Curation> {
    let subs: HashMap<i64, book::Subscription> = book::list(conn, None)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT b.subscription_id, b.cycle_on, b.wanted, b.short, i.variant_id,
                coalesce(v.sku, v.external_id), p.title, v.stock
         FROM subscription_boxes b
         LEFT JOIN subscription_box_items i
            ON i.subscription_id = b.subscription_id AND i.cycle_on = b.cycle_on
         LEFT JOIN variants v ON v.id = i.variant_id
         LEFT JOIN products p ON p.id = v.product_id
         WHERE b.cycle_on BETWEEN ?1 AND ?2
         ORDER BY b.cycle_on, b.subscription_id, v.sku",
    )?;
    let mut boxes: Vec<Planned> = Vec::new();
    let mut picking: BTreeMap<String, PickLine> = BTreeMap::new();
    let mut rows = stmt.query(params![fmt_day(from), fmt_day(to)])?;
    let mut last: Option<(i64, String)> = None;
    while let Some(r) = rows.next()? {
        let (sid, cycle): (i64, String) = (r.get(0)?, r.get(1)?);
        if last.as_ref() != Some(&(sid, cycle.clone())) {
            let Some(s) = subs.get(&sid) else { continue };
            boxes.push(Planned {
                subscription: s.external_id.clone(),
                customer: s.customer.clone(),
                email: s.email.clone(),
                plan: s.plan.clone(),
                cycle_on: cycle.clone(),
                wanted: r.get(2)?,
                items: Vec::new(),
                short: r
                    .get::<_, Option<String>>(3)?
                    .as_deref()
                    .and_then(Short::parse),
            });
            last = Some((sid, cycle));
        }
        if r.get::<_, Option<i64>>(4)?.is_some() {
            let item = BoxItem {
                sku: r.get(5)?,
                title: r.get(6)?,
            };
            let line = picking.entry(item.sku.clone()).or_insert_with(|| PickLine {
                sku: item.sku.clone(),
                title: item.title.clone(),
                units: 0,
                stock: None,
            });
            line.units += 1;
            line.stock = r.get(7)?;
            if let Some(b) = boxes.last_mut() {
                b.items.push(item);
            }
        }
    }
    let setup = Setup::load(conn)?;
    let done = planned(conn)?;
    let unplanned = dues(conn, &setup, from.max(today), to)?
        .iter()
        .filter(|d| !done.contains(&(d.subscription_id, fmt_day(d.cycle_on))))
        .count() as u32;
    let mut picking: Vec<PickLine> = picking.into_values().collect();
    picking.sort_by(|a, b| b.units.cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));
    Ok(Curation {
        month: month.to_string(),
        unplanned,
        shortages: boxes.iter().filter(|b| b.short.is_some()).count() as u32,
        boxes,
        picking,
    })
}

/// The picking list as CSV: one row per item per box.
pub fn picking_csv(c: &Curation) -> Result<String> {
    super::csv_text(
        "the picking list",
        &[
            "renewal_on",
            "subscription_id",
            "customer",
            "email",
            "plan",
            "sku",
            "title",
        ],
        c.boxes.iter().flat_map(|b| {
            b.items.iter().map(move |i| {
                vec![
                    b.cycle_on.as_str(),
                    b.subscription.as_str(),
                    b.customer.as_str(),
                    b.email.as_deref().unwrap_or(""),
                    b.plan.as_str(),
                    i.sku.as_str(),
                    i.title.as_str(),
                ]
            })
        }),
    )
}

/// The units one item needs over the coming days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ForecastLine {
    pub sku: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub stock: Option<i64>,
    /// Units the boxes due in the next 7, 30 and 60 days take (today
    /// included).
    pub days_7: u32,
    pub days_30: u32,
    pub days_60: u32,
}

/// What the boxes due in the next 60 days need of each item, from the
/// renewal calendar: planned boxes as planned, the rest chosen as
/// `curate` would, the stock ordering the choice without limiting it (so
/// the need shows in full).
pub fn forecast(conn: &Connection, today: NaiveDate) -> Result<Vec<ForecastLine>> {
    let setup = Setup::load(conn)?;
    if setup.plans.iter().all(|p| p.items == 0) {
        return Ok(Vec::new());
    }
    let end = today + Days::new(59);
    let mut need: HashMap<i64, [u32; 3]> = HashMap::new();
    let mut add = |v: i64, day: NaiveDate| {
        let n = need.entry(v).or_default();
        let ahead = (day - today).num_days();
        for (i, within) in [7, 30, 60].into_iter().enumerate() {
            if ahead < within {
                n[i] += 1;
            }
        }
    };
    let mut stmt = conn.prepare(
        "SELECT variant_id, cycle_on FROM subscription_box_items WHERE cycle_on BETWEEN ?1 AND ?2",
    )?;
    let rows = stmt.query_map(params![fmt_day(today), fmt_day(end)], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    for r in rows {
        let (v, day) = r?;
        add(v, parse_day(&day)?);
    }
    let done = planned(conn)?;
    let dues: Vec<Due> = dues(conn, &setup, today, end)?
        .into_iter()
        .filter(|d| !done.contains(&(d.subscription_id, fmt_day(d.cycle_on))))
        .collect();
    let chosen = choose(
        &dues,
        &pools(conn, &setup)?,
        &mut available(conn, today)?,
        &mut received(conn)?,
        false,
    );
    for c in &chosen {
        for v in &c.items {
            add(*v, c.due.cycle_on);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(v.sku, v.external_id), p.title, v.stock FROM variants v
         JOIN products p ON p.id = v.product_id WHERE v.id = ?1",
    )?;
    let mut out: Vec<ForecastLine> = need
        .into_iter()
        .map(|(v, n)| {
            stmt.query_row([v], |r| {
                Ok(ForecastLine {
                    sku: r.get(0)?,
                    title: r.get(1)?,
                    stock: r.get(2)?,
                    days_7: n[0],
                    days_30: n[1],
                    days_60: n[2],
                })
            })
            .map_err(Error::from)
        })
        .collect::<Result<_>>()?;
    out.sort_by(|a, b| b.days_60.cmp(&a.days_60).then_with(|| a.sku.cmp(&b.sku)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(n)
    }

    #[test]
    fn most_stock_first_then_by_sku_and_the_reason_of_a_short_box() {
        let c = |id: i64, sku: &str| Candidate {
            variant_id: id,
            sku: sku.into(),
            title: sku.into(),
        };
        let pools = HashMap::from([("Gold".to_string(), vec![c(1, "A"), c(2, "B"), c(3, "C")])]);
        let mut available = HashMap::from([(1, 1), (2, 5), (3, 5)]);
        let mut received = HashMap::from([(10, HashSet::from([3]))]);
        let due = |s: i64, n: u64| Due {
            subscription_id: s,
            cycle_on: day(n),
            plan: "Gold".into(),
            wanted: 2,
        };
        let out = choose(
            &[due(10, 0), due(11, 0), due(10, 30)],
            &pools,
            &mut available,
            &mut received,
            true,
        );
        // 10 has had C: B (5 left) then A (1 left).
        assert_eq!(out[0].items, vec![2, 1]);
        // 11: B and C have 4 and 5 left, A none: C then B.
        assert_eq!(out[1].items, vec![3, 2]);
        assert_eq!(out[1].short, None);
        // 10 again has had A, B and C: nothing left it has not had.
        assert_eq!(out[2].items, Vec::<i64>::new());
        assert_eq!(out[2].short, Some(Short::History));
        assert_eq!(available, HashMap::from([(1, 0), (2, 3), (3, 4)]));
    }

    proptest! {
        /// Whatever the book, the pools and the stock: no subscriber gets an
        /// item twice (nor one they had), no item goes out beyond its stock,
        /// a box never holds more than its plan asks, and a box is short
        /// only when no item it could still take was left.
        #[test]
        fn curation_never_repeats_an_item_nor_exceeds_stock(
            stock in proptest::collection::vec(proptest::option::of(0i64..6), 1..12),
            subs in 1i64..8,
            cycles in 1u64..5,
            wanted in 0u32..5,
            had in proptest::collection::vec((0i64..8, 0usize..12), 0..10),
        ) {
            let pool: Vec<Candidate> = (0..stock.len())
                .map(|i| Candidate { variant_id: i as i64, sku: format!("S{i:02}"), title: String::new() })
                .collect();
            let pools = HashMap::from([("P".to_string(), pool)]);
            let mut available: HashMap<i64, i64> = stock
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.map(|s| (i as i64, s)))
                .collect();
            let start = available.clone();
            let mut received: HashMap<i64, HashSet<i64>> = HashMap::new();
            for (s, v) in &had {
                if *v < stock.len() {
                    received.entry(*s).or_default().insert(*v as i64);
                }
            }
            let before = received.clone();
            let mut dues = Vec::new();
            for c in 0..cycles {
                for s in 0..subs {
                    dues.push(Due { subscription_id: s, cycle_on: day(c * 30), plan: "P".into(), wanted });
                }
            }
            let out = choose(&dues, &pools, &mut available, &mut received, true);
            let mut given: HashMap<i64, HashSet<i64>> = HashMap::new();
            let mut used: HashMap<i64, i64> = HashMap::new();
            for c in &out {
                prop_assert!(c.items.len() <= wanted as usize);
                for v in &c.items {
                    let had_it = before.get(&c.due.subscription_id).is_some_and(|h| h.contains(v));
                    prop_assert!(!had_it, "{v} had before");
                    prop_assert!(given.entry(c.due.subscription_id).or_default().insert(*v), "{v} twice");
                    *used.entry(*v).or_default() += 1;
                }
                if c.short.is_none() {
                    prop_assert_eq!(c.items.len(), wanted as usize);
                }
            }
            for (v, n) in &used {
                if let Some(s) = start.get(v) {
                    prop_assert!(n <= s, "{} of {} out, stock {}", n, v, s);
                }
            }
        }
    }
}
