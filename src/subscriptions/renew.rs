//! Renewals in "desk bills" mode: Merchant Desk runs every renewal due, on
//! the next start after it fell due (or under `merchant-desk watch`), each
//! exactly once.
//!
//! A renewal attempt is a journaled change ([`Target::Renewal`]): written to
//! the journal before it is sent, its idempotency key the subscription, the
//! cycle and the attempt. Sent again after a stop, it is the same attempt:
//! Shopify answers a billing attempt whose key it has seen with that
//! attempt, and the local store's renewal order is keyed the same way. A
//! Shopify contract is billed on Shopify (`subscriptionBillingAttemptCreate`);
//! any other subscription gets a renewal order in the local store, for a
//! shop without a platform.
//!
//! A failed payment makes the subscription past due and starts dunning: the
//! owner's retry plan tries the cycle again after its days (a new attempt,
//! a new key), then skips the cycle, pauses or cancels.

use super::book::{self, Subscription};
use super::calendar::SubscriptionStatus;
use super::dunning::DunningPlan;
use super::setup::{Billing, Setup};
use crate::error::{Error, Result};
use crate::journal::{self, Change, EntryStatus, Why};
use crate::storefront::local::Local;
use crate::storefront::{renewal_key, RenewalOutcome, Storefront, Target, Value};
use crate::time::{fmt_day, fmt_utc, parse_day};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;

/// The local renewal order of an attempt, if made.
pub fn local_order_ref(
    conn: &Connection,
    subscription: &str,
    cycle: &str,
    attempt: u32,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT number FROM orders WHERE source = 'desk' AND external_id = ?1")?
        .query_row([renewal_key(subscription, cycle, attempt)], |r| r.get(0))
        .optional()?)
}

/// Makes the local renewal order of an attempt (once: made already, it is
/// returned as it is): one line, the plan's box product at the
/// subscription's price. Returns the order's number.
pub fn local_order(
    conn: &Connection,
    subscription: &str,
    cycle: &str,
    attempt: u32,
    now: &str,
) -> Result<String> {
    if let Some(number) = local_order_ref(conn, subscription, cycle, attempt)? {
        return Ok(number);
    }
    let s = book::find(conn, subscription)?;
    let variant = box_variant(conn, &s)?;
    let customer: Option<i64> = conn.query_row(
        "SELECT customer_id FROM subscriptions WHERE id = ?1",
        [s.id],
        |r| r.get(0),
    )?;
    let number = format!("{}-{}", s.external_id, cycle.replace('-', ""));
    let number = if attempt > 1 {
        format!("{number}-{attempt}")
    } else {
        number
    };
    // The order and its line together, inside or outside a transaction.
    conn.execute_batch("SAVEPOINT renewal_order")?;
    let made = (|| -> Result<()> {
        conn.execute(
            "INSERT INTO orders (source, external_id, number, customer_id, email, country, placed_at, status, currency)
             VALUES ('desk', ?1, ?2, ?3, ?4, NULL, ?5, 'paid', ?6)",
            params![
                renewal_key(subscription, cycle, attempt),
                number,
                customer,
                s.email,
                now,
                s.currency
            ],
        )?;
        conn.execute(
            "INSERT INTO order_lines (order_id, line_no, variant_id, title, quantity, unit_price_minor, line_total_minor)
             VALUES (?1, 1, ?2, ?3, 1, ?4, ?4)",
            params![
                conn.last_insert_rowid(),
                variant,
                format!("{} box, {cycle}", s.plan),
                s.price_minor
            ],
        )?;
        Ok(())
    })();
    match made {
        Ok(()) => conn.execute_batch("RELEASE renewal_order")?,
        Err(e) => {
            conn.execute_batch("ROLLBACK TO renewal_order; RELEASE renewal_order")?;
            return Err(e);
        }
    }
    Ok(number)
}

/// The variant a subscription's local renewal orders sell: its plan's box
/// product.
fn box_variant(conn: &Connection, s: &Subscription) -> Result<i64> {
    let setup = Setup::load(conn)?;
    let sku = setup
        .plan(&s.plan)
        .and_then(|p| p.box_sku.clone())
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "plan \"{}\" has no box product: set its box SKU so its renewal orders have something to sell",
                s.plan
            ))
        })?;
    conn.query_row(
        "SELECT id FROM variants WHERE sku = ?1 ORDER BY active DESC, id LIMIT 1",
        [&sku],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| Error::InvalidArgument(format!("there is no SKU {sku} in the catalog")))
}

/// One renewal attempt of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Renewed {
    pub subscription: String,
    pub customer: String,
    pub plan: String,
    pub cycle_on: String,
    pub attempt: u32,
    /// `billed`, `failed` (the payment), `processing` (the platform has
    /// not answered yet) or `refused` (not sent: the message says why).
    pub outcome: String,
    pub order: Option<String>,
    pub error: Option<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    pub currency: String,
}

/// A dunning plan's final action, carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct DunningDone {
    pub subscription: String,
    pub customer: String,
    pub cycle_on: String,
    /// `skip`, `pause` or `cancel`.
    pub action: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct RenewRun {
    pub renewals: Vec<Renewed>,
    pub dunning: Vec<DunningDone>,
    pub billed: u32,
    pub failed: u32,
    pub processing: u32,
    pub refused: u32,
    /// Failed renewals waiting for their next retry day.
    pub waiting: u32,
}

/// An attempt as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Attempt {
    attempt: u32,
    status: String,
}

fn attempts(conn: &Connection) -> Result<HashMap<(i64, String), Vec<Attempt>>> {
    let mut out: HashMap<(i64, String), Vec<Attempt>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT subscription_id, cycle_on, attempt, status FROM subscription_renewals ORDER BY attempt",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            Attempt {
                attempt: r.get(2)?,
                status: r.get(3)?,
            },
        ))
    })?;
    for r in rows {
        let (s, c, a) = r?;
        out.entry((s, c)).or_default().push(a);
    }
    Ok(out)
}

fn target(s: &Subscription, cycle: &str, attempt: u32) -> Target {
    Target::Renewal {
        subscription: s.external_id.clone(),
        cycle: cycle.to_string(),
        attempt,
    }
}

fn settle(
    conn: &Connection,
    s: &Subscription,
    cycle: &str,
    attempt: u32,
    outcome: &RenewalOutcome,
    now: DateTime<Utc>,
) -> Result<()> {
    let (status, order, error) = match outcome {
        RenewalOutcome::Billed { order } => ("billed", Some(order.as_str()), None),
        RenewalOutcome::Failed { error } => ("failed", None, Some(error.as_str())),
        RenewalOutcome::Processing | RenewalOutcome::Missing => return Ok(()),
    };
    conn.execute(
        "UPDATE subscription_renewals SET status = ?4, order_ref = ?5, error = ?6, settled_at = ?7
         WHERE subscription_id = ?1 AND cycle_on = ?2 AND attempt = ?3",
        params![s.id, cycle, attempt, status, order, error, fmt_utc(now)],
    )?;
    let new_status = if status == "failed" {
        SubscriptionStatus::PastDue
    } else {
        SubscriptionStatus::Active
    };
    if s.status != SubscriptionStatus::Paused {
        conn.execute(
            "UPDATE subscriptions SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status <> 'cancelled'",
            params![s.id, new_status, fmt_utc(now)],
        )?;
    }
    Ok(())
}

/// Sends attempt `attempt` of `cycle` through the journal and records what
/// the platform says of it.
fn attempt_once(
    conn: &Connection,
    sf: &mut dyn Storefront,
    s: &Subscription,
    cycle: &str,
    attempt: u32,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Renewed> {
    // A row already there: an earlier run recorded this attempt and may
    // have sent it before it stopped. A new row: nothing was ever sent
    // with this key.
    let sent_before = conn.execute(
        "INSERT OR IGNORE INTO subscription_renewals (subscription_id, cycle_on, attempt, status, attempted_at)
         VALUES (?1, ?2, ?3, 'pending', ?4)",
        params![s.id, cycle, attempt, fmt_utc(now)],
    )? == 0;
    let t = target(s, cycle, attempt);
    let mut done = Renewed {
        attempt,
        outcome: "processing".into(),
        error: None,
        ..refused(s, cycle, String::new())
    };
    let already = if sent_before {
        sf.renewal_outcome(&t)?
    } else {
        RenewalOutcome::Missing
    };
    let outcome = if already == RenewalOutcome::Missing {
        let entries = journal::push(
            conn,
            sf,
            vec![Change {
                target: t.clone(),
                label: format!(
                    "Renewal of {} ({}) for {cycle}{}",
                    s.external_id,
                    s.customer,
                    if attempt > 1 {
                        format!(", retry {}", attempt - 1)
                    } else {
                        String::new()
                    }
                ),
                value: Value::Renewal(true),
            }],
            &Why {
                playbook: "subscriptions".into(),
                reason: why.to_string(),
            },
            now,
        )?;
        if let Some(e) = entries.iter().find(|e| e.status == EntryStatus::Failed) {
            // Not sent (the platform refused it, or the set-up lacks what
            // it needs): no payment was tried, so nothing for dunning.
            conn.execute(
                "DELETE FROM subscription_renewals WHERE subscription_id = ?1 AND cycle_on = ?2 AND attempt = ?3",
                params![s.id, cycle, attempt],
            )?;
            done.outcome = "refused".into();
            done.error = e.error.clone();
            return Ok(done);
        }
        sf.renewal_outcome(&t)?
    } else {
        already
    };
    settle(conn, s, cycle, attempt, &outcome, now)?;
    match outcome {
        RenewalOutcome::Billed { order } => {
            done.outcome = "billed".into();
            done.order = Some(order);
        }
        RenewalOutcome::Failed { error } => {
            done.outcome = "failed".into();
            done.error = Some(error);
        }
        RenewalOutcome::Processing | RenewalOutcome::Missing => {}
    }
    Ok(done)
}

/// A renewal not sent, and why.
fn refused(s: &Subscription, cycle: &str, why: String) -> Renewed {
    Renewed {
        subscription: s.external_id.clone(),
        customer: s.customer.clone(),
        plan: s.plan.clone(),
        cycle_on: cycle.to_string(),
        attempt: 1,
        outcome: "refused".into(),
        order: None,
        error: Some(why),
        price_minor: s.price_minor,
        currency: s.currency.clone(),
    }
}

/// Carries out the dunning plan's final action for `cycle`.
fn final_action(
    conn: &Connection,
    s: &Subscription,
    cycle: &str,
    plan: &DunningPlan,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DunningDone> {
    let stamp = fmt_utc(now);
    match plan.final_action.as_str() {
        "skip" => {
            conn.execute(
                "INSERT OR IGNORE INTO subscription_skips (subscription_id, renewal_on, skipped_at) VALUES (?1, ?2, ?3)",
                params![s.id, cycle, stamp],
            )?;
            conn.execute(
                "UPDATE subscriptions SET status = 'active', updated_at = ?2 WHERE id = ?1",
                params![s.id, stamp],
            )?;
        }
        "cancel" => {
            conn.execute(
                "UPDATE subscriptions SET status = 'cancelled', cancelled_on = ?2, cancel_reason = ?3, updated_at = ?4 WHERE id = ?1",
                params![
                    s.id,
                    fmt_day(today),
                    format!(
                        "payment failed for {cycle} after {} retries",
                        plan.retry_days.len()
                    ),
                    stamp
                ],
            )?;
        }
        _ => {
            // Paused until the owner resumes it.
            conn.execute(
                "UPDATE subscriptions SET status = 'paused', paused_until = NULL, updated_at = ?2 WHERE id = ?1",
                params![s.id, stamp],
            )?;
        }
    }
    Ok(DunningDone {
        subscription: s.external_id.clone(),
        customer: s.customer.clone(),
        cycle_on: cycle.to_string(),
        action: plan.final_action.clone(),
    })
}

/// Runs every renewal due on or before `today` that has not been billed,
/// and the dunning plan's retries and final actions that are due. Shopify
/// contracts go to `platform` (refused when none is connected); every
/// other subscription renews as a local order.
pub fn run(
    conn: &Connection,
    mut platform: Option<&mut dyn Storefront>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<RenewRun> {
    if Setup::load(conn)?.billing != Billing::Desk {
        return Err(Error::InvalidArgument(
            "your subscription app bills the renewals (billing: platform). Switch the shop to \"desk bills\" in the subscriptions set-up to run them here"
                .into(),
        ));
    }
    let plan = DunningPlan::load(conn)?;
    let mut local = Local::new(conn, fmt_utc(now));
    journal::reconcile(conn, &mut local)?;
    let tried = attempts(conn)?;
    let mut run = RenewRun::default();
    let mut local_orders = false;
    for s in book::list(conn, None)? {
        if s.status == SubscriptionStatus::Cancelled {
            continue;
        }
        let earliest = s
            .next_renewal_on
            .as_deref()
            .map(parse_day)
            .transpose()?
            .unwrap_or(today);
        let cycles: Vec<String> = s
            .terms()?
            .renewals(earliest, today)
            .into_iter()
            .map(fmt_day)
            .filter(|d| !s.skipped.contains(d))
            .collect();
        for cycle in cycles {
            let sf: &mut dyn Storefront = if s.source == "shopify" {
                match platform.as_deref_mut() {
                    Some(p) => p,
                    None => {
                        run.refused += 1;
                        run.renewals.push(refused(
                            &s,
                            &cycle,
                            "a Shopify contract renews on Shopify: connect the store".into(),
                        ));
                        break;
                    }
                }
            } else {
                // What a local order needs is checked before anything is
                // journaled: a set-up gap is not a renewal attempt.
                if let Err(e) = box_variant(conn, &s) {
                    run.refused += 1;
                    run.renewals.push(refused(&s, &cycle, e.to_string()));
                    break;
                }
                local_orders = true;
                &mut local
            };
            let past = tried
                .get(&(s.id, cycle.clone()))
                .cloned()
                .unwrap_or_default();
            if past.iter().any(|a| a.status == "billed") {
                continue;
            }
            let done = match past.last() {
                None => attempt_once(
                    conn,
                    sf,
                    &s,
                    &cycle,
                    1,
                    &format!("renewal due {cycle}"),
                    now,
                )?,
                Some(a) if a.status == "pending" => attempt_once(
                    conn,
                    sf,
                    &s,
                    &cycle,
                    a.attempt,
                    &format!("renewal due {cycle}"),
                    now,
                )?,
                Some(a) => {
                    let retries = a.attempt - 1;
                    match plan.retry_days.get(retries as usize) {
                        Some(days) => {
                            let on = parse_day(&cycle)? + Days::new(*days as u64);
                            if today < on {
                                run.waiting += 1;
                                break;
                            }
                            attempt_once(
                                conn,
                                sf,
                                &s,
                                &cycle,
                                a.attempt + 1,
                                &format!(
                                    "dunning: retry {} of {} for the renewal due {cycle}",
                                    retries + 1,
                                    plan.retry_days.len()
                                ),
                                now,
                            )?
                        }
                        None => {
                            let done = final_action(conn, &s, &cycle, &plan, today, now)?;
                            let stops = done.action != "skip";
                            run.dunning.push(done);
                            if stops {
                                break;
                            }
                            continue;
                        }
                    }
                }
            };
            let settled = done.outcome == "billed";
            match done.outcome.as_str() {
                "billed" => run.billed += 1,
                "failed" => run.failed += 1,
                "refused" => run.refused += 1,
                _ => run.processing += 1,
            }
            run.renewals.push(done);
            // A cycle not billed yet holds back the ones after it.
            if !settled {
                break;
            }
        }
    }
    if local_orders && run.billed > 0 {
        crate::store::derived::refresh_sales(conn)?;
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Shop, Store};
    use crate::storefront::{Checkpoint, Entity, ShopInfo, Sink};
    use proptest::prelude::*;

    /// A platform that bills through the local store and dies (a lost
    /// answer, as when the app is killed) on the `die_at`th send, before or
    /// after carrying it out.
    struct Dying<'c> {
        local: Local<'c>,
        sends: u32,
        die_at: Option<u32>,
        after: bool,
    }

    impl Storefront for Dying<'_> {
        fn platform(&self) -> &'static str {
            "shopify"
        }
        fn shop_info(&mut self) -> Result<ShopInfo> {
            self.local.shop_info()
        }
        fn pull(&mut self, e: Entity, from: &Checkpoint, sink: &mut Sink) -> Result<()> {
            self.local.pull(e, from, sink)
        }
        fn read(&mut self, targets: &[Target]) -> Result<Vec<Value>> {
            Storefront::read(&mut self.local, targets)
        }
        fn apply(
            &mut self,
            changes: &[(Target, Value)],
        ) -> Result<Vec<Result<crate::storefront::Applied>>> {
            self.sends += 1;
            if self.die_at == Some(self.sends) {
                if self.after {
                    self.local.apply(changes)?;
                }
                return Err(Error::Network("the connection was lost".into()));
            }
            self.local.apply(changes)
        }
        fn renewal_outcome(&mut self, target: &Target) -> Result<RenewalOutcome> {
            self.local.renewal_outcome(target)
        }
    }

    fn book(subs: &[(u32, u64)]) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let shop = Shop {
            name: "Boxes".into(),
            platform: "local".into(),
            currency: "GBP".into(),
            time_zone: "Europe/London".into(),
            demo: false,
            fixed_today: None,
        };
        store.set_shop(&shop, Utc::now()).unwrap();
        let c = store.conn();
        c.execute_batch(
            "INSERT INTO products (id, source, external_id, title, created_at, updated_at)
                VALUES (1, 'csv', 'BOX', 'Box', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO variants (id, product_id, source, external_id, sku, title, currency, price_minor, created_at, updated_at)
                VALUES (1, 1, 'csv', 'BOX', 'BOX', 'Box', 'GBP', 2500, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO subscription_plans (id, name, created_at) VALUES (1, 'Gold', '2026-01-01T00:00:00Z');
             INSERT INTO subscription_setup (id, billing, setup, updated_at)
                VALUES (1, 'desk', '{\"plan\":[{\"name\":\"Gold\",\"box_sku\":\"BOX\"}]}', '2026-01-01T00:00:00Z');",
        )
        .unwrap();
        for (i, (weeks, first)) in subs.iter().enumerate() {
            c.execute(
                "INSERT INTO subscriptions (source, external_id, customer_ref, plan_id, status, started_on,
                    interval, interval_count, price_minor, currency, next_renewal_on, updated_at)
                 VALUES ('shopify', ?1, ?1, 1, 'active', '2025-12-01', 'week', ?2, 2500, 'GBP', ?3, '2026-01-01T00:00:00Z')",
                params![format!("S{i}"), weeks, fmt_day(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(*first))],
            )
            .unwrap();
        }
        store
    }

    fn orders_per_cycle(conn: &Connection) -> Vec<(String, i64)> {
        conn.prepare(
            "SELECT s.external_id || ' ' || r.cycle_on, count(o.id)
             FROM subscription_renewals r JOIN subscriptions s ON s.id = r.subscription_id
             LEFT JOIN orders o ON o.source = 'desk' AND o.external_id LIKE 'merchant-desk/' || s.external_id || '/' || r.cycle_on || '/%'
             GROUP BY r.subscription_id, r.cycle_on ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        /// Runs killed on any send, before or after the platform carried
        /// it out, then run again (settling the journal first, as the app
        /// does on start): every cycle due is billed exactly once, and no
        /// cycle ever gets a second attempt.
        #[test]
        fn a_renewal_is_never_attempted_twice_for_one_cycle_even_across_a_kill(
            subs in proptest::collection::vec((1u32..3, 0u64..20), 1..5),
            kills in proptest::collection::vec((1u32..6, any::<bool>()), 0..4),
            days in 20u64..60,
        ) {
            let store = book(&subs);
            let conn = store.conn();
            let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(days);
            for (at, after) in kills.iter().copied().map(Some).chain([None]).map(|k| k.unzip()) {
                let mut sf = Dying {
                    local: Local::new(conn, fmt_utc(Utc::now())),
                    sends: 0,
                    die_at: at,
                    after: after.unwrap_or(false),
                };
                journal::reconcile(conn, &mut sf).unwrap();
                match run(conn, Some(&mut sf), today, Utc::now()) {
                    Ok(_) => prop_assert!(at.is_none() || sf.sends < at.unwrap()),
                    Err(Error::Network(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            // Every cycle due up to today, and nothing else, has one order.
            let mut want = 0;
            for (weeks, first) in &subs {
                let mut d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(*first);
                while d <= today {
                    want += 1;
                    d = d + Days::new(7 * *weeks as u64);
                }
            }
            let per = orders_per_cycle(conn);
            prop_assert_eq!(per.len(), want);
            prop_assert!(per.iter().all(|(_, n)| *n == 1), "{:?}", per);
            let attempts: i64 = conn.query_row("SELECT max(attempt) FROM subscription_renewals", [], |r| r.get::<_, Option<i64>>(0)).unwrap().unwrap_or(1);
            prop_assert_eq!(attempts, 1);
            let billed: i64 = conn.query_row("SELECT count(*) FROM subscription_renewals WHERE status = 'billed'", [], |r| r.get(0)).unwrap();
            prop_assert_eq!(billed as usize, want);
            let orders: i64 = conn.query_row("SELECT count(*) FROM orders WHERE source = 'desk'", [], |r| r.get(0)).unwrap();
            prop_assert_eq!(orders as usize, want);
        }
    }
}
