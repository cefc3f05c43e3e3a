//! The loyalty ledger: an append-only list of what happened to each
//! customer's points, replayed from the store's orders and refunds (and the
//! actions and redemptions recorded), from which every balance is derived.
//! The rules are exact so that anyone can replay them
//! (`docs/loyalty.md`):
//!
//! - An order with a customer placed on or after `starts_on` earns
//!   `floor(S × points_per_unit × m)`: S its merchandise total in major
//!   units, m the multiplier of the customer's tier at the order's moment,
//!   or of a subscription plan they are on at that moment when it is
//!   higher (the higher one, never both). Exact decimals, rounded down once
//!   per order.
//! - The tier at t is the highest whose `min_spend` ≤ the merchandise spend
//!   of orders placed in [t − 365 days, t) less refunds created in that
//!   span (not below zero), orders from before `starts_on` included.
//! - A refund of merchandise amount R takes back `floor(R ×
//!   points_per_unit × m)`, m the multiplier its order earned at, never
//!   more than that order earned in all; one naming no order is matched to
//!   the customer's latest earning order at or before it (none: nothing).
//!   Take-backs consume lots oldest first, pending ones included; what is
//!   gone (spent, expired) is recorded as unrecovered.
//! - An order's points become spendable `pending_days` after it and its
//!   unspent points expire `expiry_days` after it (N days = N × 24 hours).
//!   A bonus or an action's points are spendable at once and expire
//!   `expiry_days` after they are awarded.
//! - Badges and challenges award their bonus once, at the moment the rule
//!   is first met; an action counts at most `max_per_customer` times, and
//!   once per reference.
//! - At one moment: expiries, then points becoming spendable, then orders,
//!   then actions, then refunds, then redemptions.

use super::programme::{ActionKind, Compiled, CompiledRule};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// An order as the ledger reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: i64,
    pub customer: i64,
    pub at: DateTime<Utc>,
    /// Its merchandise lines' totals after discounts, minor units.
    pub merchandise_minor: i64,
    /// The categories of its merchandise lines (any ids, for badges).
    pub categories: Vec<u32>,
}

/// A refund or cancellation as the ledger reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub id: i64,
    pub customer: i64,
    /// The refunded order, when the source says which.
    pub order: Option<i64>,
    pub at: DateTime<Utc>,
    /// Merchandise amount refunded, minor units, positive.
    pub merchandise_minor: i64,
}

/// Something a customer did that earns points (imported or by hand).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionEvent {
    pub customer: i64,
    pub kind: ActionKind,
    pub at: DateTime<Utc>,
    /// Makes an import idempotent: one award per customer, kind and reference.
    pub reference: String,
    /// A referral's referred customer (their id in the store), when the
    /// shop knows them: the referral credits once their first order has
    /// passed its return window.
    pub referred: Option<i64>,
}

/// A customer's birthday (month, day): a birthday action awards on it once
/// a year, at the start of the shop-local day (29 February: the 28th in
/// other years).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Birthday {
    pub customer: i64,
    pub month: u32,
    pub day: u32,
}

/// A reward redeemed: points spent at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Redemption {
    pub customer: i64,
    pub at: DateTime<Utc>,
    pub points: i64,
    pub reference: String,
}

/// What a ledger line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "LedgerKind"))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An order's points, pending.
    Earn,
    /// A lot's points become spendable (no change to the total).
    Available,
    Redeem,
    Expire,
    /// A refund's points taken back.
    TakeBack,
    /// What a refund should have taken back but was already spent or
    /// expired (no change to the total).
    Unrecovered,
    /// A badge's, a challenge's or an action's points.
    Award,
}

impl Kind {
    /// Whether the line's points count in the customer's total.
    pub fn counts(self) -> bool {
        !matches!(self, Kind::Available | Kind::Unrecovered)
    }
}

/// Where a ledger line comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "LedgerSource"))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Source {
    Order(#[cfg_attr(test, ts(type = "number"))] i64),
    Refund(#[cfg_attr(test, ts(type = "number"))] i64),
    /// Index into the programme's badges.
    Badge(#[cfg_attr(test, ts(type = "number"))] usize),
    Challenge(#[cfg_attr(test, ts(type = "number"))] usize),
    Action(String),
    Redemption(String),
}

/// One ledger line. `points` is signed: earned and awarded points are
/// positive, what leaves negative; `Available` carries the points that
/// became spendable and `Unrecovered` what could not be taken back (both
/// outside the total).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "LedgerLine"))]
pub struct Entry {
    #[cfg_attr(test, ts(type = "number"))]
    pub customer: i64,
    #[cfg_attr(test, ts(type = "string"))]
    pub at: DateTime<Utc>,
    pub kind: Kind,
    #[cfg_attr(test, ts(type = "number"))]
    pub points: i64,
    pub source: Source,
}

/// A customer's standing, derived from their ledger lines.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Standing {
    #[cfg_attr(test, ts(type = "number"))]
    pub customer: i64,
    /// Index of the tier as of the moment asked.
    pub tier: usize,
    /// Spendable points.
    #[cfg_attr(test, ts(type = "number"))]
    pub balance: i64,
    /// Points not yet spendable.
    #[cfg_attr(test, ts(type = "number"))]
    pub pending: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub earned: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub awarded: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub redeemed: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub expired: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub taken_back: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub unrecovered: i64,
    /// Indexes of the badges earned, in the order earned.
    pub badges: Vec<usize>,
    /// Orders that earned points.
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: i64,
    /// Merchandise spend of the 365 days before the moment, less refunds.
    #[cfg_attr(test, ts(type = "number"))]
    pub year_spend_minor: i64,
}

/// What a replay gives: every line, oldest first per customer (customers
/// in id order), and each customer's standing as of `as_of`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Replay {
    pub entries: Vec<Entry>,
    pub standings: Vec<Standing>,
    /// Redemptions refused (more points than the balance held), with why.
    pub refused: Vec<(Redemption, String)>,
}

/// The inputs of a replay.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub orders: Vec<Order>,
    pub refunds: Vec<Refund>,
    pub actions: Vec<ActionEvent>,
    pub redemptions: Vec<Redemption>,
    pub birthdays: Vec<Birthday>,
    /// Subscription plans' points multipliers over their customers' spans.
    pub plans: Vec<PlanMultiplier>,
}

/// A subscription plan's points multiplier for a customer from `from`
/// until `until` (excluded; none: still subscribed).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanMultiplier {
    pub customer: i64,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub multiplier: Decimal,
}

/// The actions as the ledger counts them: a referral moved to the moment
/// its referred customer's first order passes the return window
/// (`pending_days` after it), and only when that order came after the
/// referral and was not refunded in full by then (a referral naming nobody
/// the shop knows, or whose first order has not passed the window by
/// `as_of`, waits); and each birthday of the years from `starts_on` to
/// `as_of`, under the reference `birthday YYYY`.
pub fn counted_actions(
    programme: &Compiled,
    setting: Setting,
    history: &History,
    as_of: DateTime<Utc>,
) -> Vec<ActionEvent> {
    let mut out = Vec::with_capacity(history.actions.len());
    let referrals = history
        .actions
        .iter()
        .any(|a| a.kind == ActionKind::Referral && a.referred.is_some());
    // Each customer's first order and what was refunded of it.
    let mut first: HashMap<i64, &Order> = HashMap::new();
    let mut refunded: HashMap<i64, Vec<&Refund>> = HashMap::new();
    if referrals {
        for o in &history.orders {
            let f = first.entry(o.customer).or_insert(o);
            if (o.at, o.id) < (f.at, f.id) {
                *f = o;
            }
        }
        for r in &history.refunds {
            refunded.entry(r.customer).or_default().push(r);
        }
    }
    let window = Duration::days(programme.pending_days);
    for a in &history.actions {
        if a.kind != ActionKind::Referral {
            out.push(a.clone());
            continue;
        }
        let Some(o) = a.referred.and_then(|c| first.get(&c)) else {
            continue;
        };
        let credit = o.at + window;
        if o.at < a.at || credit > as_of {
            continue;
        }
        let back: i64 = refunded
            .get(&o.customer)
            .into_iter()
            .flatten()
            .filter(|r| r.order.is_none_or(|id| id == o.id) && r.at >= o.at && r.at <= credit)
            .map(|r| r.merchandise_minor)
            .sum();
        if back >= o.merchandise_minor {
            continue;
        }
        out.push(ActionEvent {
            at: credit,
            ..a.clone()
        });
    }
    if programme
        .actions
        .iter()
        .any(|(k, _, _)| *k == ActionKind::Birthday)
    {
        let starts = day_start(setting, programme.starts_on);
        for b in &history.birthdays {
            for year in programme.starts_on.year()..=as_of.year() {
                let Some(day) = NaiveDate::from_ymd_opt(year, b.month, b.day)
                    .or_else(|| NaiveDate::from_ymd_opt(year, b.month, b.day - 1))
                else {
                    continue;
                };
                let at = day_start(setting, day);
                if at < starts || at > as_of {
                    continue;
                }
                out.push(ActionEvent {
                    customer: b.customer,
                    kind: ActionKind::Birthday,
                    at,
                    reference: format!("birthday {year}"),
                    referred: None,
                });
            }
        }
    }
    out
}

/// How the programme's dates land on the clock: the shop's time zone and
/// the currency's minor units per major unit.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub tz: chrono_tz::Tz,
    pub minor_per_major: i64,
}

const YEAR: i64 = 365;

/// Event order at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Expire = 0,
    Available = 1,
    Order = 2,
    Action = 3,
    Refund = 4,
    Redeem = 5,
}

struct Lot {
    remaining: i64,
    available: bool,
}

/// A customer's events, in the order they happen.
#[derive(Clone, Copy)]
enum Event<'a> {
    Order(&'a Order),
    Refund(&'a Refund),
    Action(&'a ActionEvent),
    Redeem(&'a Redemption),
}

impl Event<'_> {
    fn key(&self) -> (DateTime<Utc>, Step, i64) {
        match self {
            Event::Order(o) => (o.at, Step::Order, o.id),
            Event::Refund(r) => (r.at, Step::Refund, r.id),
            Event::Action(a) => (a.at, Step::Action, 0),
            Event::Redeem(r) => (r.at, Step::Redeem, 0),
        }
    }

    fn customer(&self) -> i64 {
        match self {
            Event::Order(o) => o.customer,
            Event::Refund(r) => r.customer,
            Event::Action(a) => a.customer,
            Event::Redeem(r) => r.customer,
        }
    }
}

/// Replays `history` under `programme`: every ledger line and each
/// customer's standing as of `as_of`.
pub fn replay(
    programme: &Compiled,
    setting: Setting,
    history: &History,
    as_of: DateTime<Utc>,
) -> Replay {
    replay_with(programme, setting, history, as_of, true)
}

/// The standings (and refused redemptions) of a replay without keeping its
/// lines: the same figures as [`replay`] for a fraction of the memory.
pub fn standings(
    programme: &Compiled,
    setting: Setting,
    history: &History,
    as_of: DateTime<Utc>,
) -> Replay {
    replay_with(programme, setting, history, as_of, false)
}

/// A plan span as a replay reads it: from, until, the multiplier and the
/// index of its rate.
type PlanRate = (DateTime<Utc>, Option<DateTime<Utc>>, Decimal, usize);

/// The rules of one replay with the currency's units worked in.
struct Rules<'p> {
    p: &'p Compiled,
    setting: Setting,
    starts: DateTime<Utc>,
    thresholds: super::programme::Thresholds,
    /// Per tier, then per plan multiplier span: points per minor unit as an
    /// exact fraction.
    rates: Vec<Rate>,
    /// Each customer's plan spans: from, until, the multiplier and its rate.
    plans: HashMap<i64, Vec<PlanRate>>,
    badges: Vec<(Rule, i64)>,
    challenges: Vec<(NaiveDate, NaiveDate, Rule, i64)>,
    /// Whether an order's shop-local day matters (months in a row, a
    /// challenge's window).
    local_days: bool,
    pending: Duration,
    expiry: Option<Duration>,
}

/// A badge's or a challenge's rule with amounts in minor units.
#[derive(Clone, Copy)]
enum Rule {
    Orders(i64),
    Categories(i64),
    /// The least whole spend that reaches the rule's amount.
    Spend(i64),
    MonthsInARow(i64),
}

/// `points_per_unit × multiplier` per minor unit: `numerator /
/// denominator` exactly, or the decimal itself when that would not fit.
#[derive(Clone, Copy)]
struct Rate {
    decimal: Decimal,
    fraction: Option<(i128, i128)>,
}

impl Rate {
    fn new(rate: Decimal, multiplier: Decimal, minor_per_major: i64) -> Rate {
        let decimal = rate * multiplier;
        let fraction = 10i128
            .checked_pow(decimal.scale())
            .and_then(|d| d.checked_mul(i128::from(minor_per_major)))
            .filter(|d| *d > 0)
            .map(|d| (decimal.mantissa(), d));
        Rate {
            decimal: decimal / Decimal::from(minor_per_major.max(1)),
            fraction,
        }
    }

    /// `floor(minor × rate)`, never below zero.
    fn points(self, minor: i64) -> i64 {
        match self
            .fraction
            .and_then(|(n, d)| i128::from(minor).checked_mul(n).map(|x| x.div_euclid(d)))
        {
            Some(p) => i64::try_from(p).unwrap_or(0).max(0),
            None => (Decimal::from(minor) * self.decimal)
                .floor()
                .to_i64()
                .unwrap_or(0)
                .max(0),
        }
    }
}

impl<'p> Rules<'p> {
    /// The rate an order of `customer` at `at` earns at, with the tier it
    /// reached: the tier's, or a plan's when its multiplier is higher.
    fn rate(&self, customer: i64, tier: usize, at: DateTime<Utc>) -> usize {
        let mut best = (self.p.tiers.get(tier).map_or(Decimal::ONE, |t| t.1), tier);
        for (from, until, m, rate) in self.plans.get(&customer).into_iter().flatten() {
            if *from <= at && until.is_none_or(|u| at < u) && *m > best.0 {
                best = (*m, *rate);
            }
        }
        best.1
    }

    fn new(p: &'p Compiled, setting: Setting, plans: &[PlanMultiplier]) -> Rules<'p> {
        let mpm = setting.minor_per_major;
        let rule = |r: CompiledRule| match r {
            CompiledRule::Orders(n) => Rule::Orders(n),
            CompiledRule::Categories(n) => Rule::Categories(n),
            CompiledRule::Spend(s) => Rule::Spend(super::programme::least_whole_minor(s, mpm)),
            CompiledRule::MonthsInARow(n) => Rule::MonthsInARow(n),
        };
        let badges: Vec<(Rule, i64)> = p.badges.iter().map(|(r, b)| (rule(*r), *b)).collect();
        Rules {
            p,
            setting,
            starts: day_start(setting, p.starts_on),
            thresholds: p.thresholds(mpm),
            rates: p
                .tiers
                .iter()
                .map(|(_, m)| m)
                .chain(plans.iter().map(|s| &s.multiplier))
                .map(|m| Rate::new(p.points_per_unit, *m, mpm))
                .collect(),
            plans: {
                let mut by: HashMap<i64, Vec<_>> = HashMap::new();
                for (i, s) in plans.iter().enumerate() {
                    by.entry(s.customer).or_default().push((
                        s.from,
                        s.until,
                        s.multiplier,
                        p.tiers.len() + i,
                    ));
                }
                by
            },
            local_days: !p.challenges.is_empty()
                || badges
                    .iter()
                    .any(|(r, _)| matches!(r, Rule::MonthsInARow(_))),
            badges,
            challenges: p
                .challenges
                .iter()
                .map(|(f, t, r, b)| (*f, *t, rule(*r), *b))
                .collect(),
            pending: Duration::days(p.pending_days),
            expiry: p.expiry_days.map(Duration::days),
        }
    }
}

/// One core's share of a replay: its customers' events, and each customer
/// with their number of events.
type Part<'e, 'h> = (&'e mut [Event<'h>], &'e [(i64, usize)]);

/// Writes a ledger line (when lines are kept): moment, kind, points, source.
type Push<'a> = dyn FnMut(DateTime<Utc>, Kind, i64, &dyn Fn() -> Source) + 'a;

fn replay_with(
    programme: &Compiled,
    setting: Setting,
    history: &History,
    as_of: DateTime<Utc>,
    keep_lines: bool,
) -> Replay {
    let actions = counted_actions(programme, setting, history, as_of);
    let events: Vec<Event> = history
        .orders
        .iter()
        .map(Event::Order)
        .chain(history.refunds.iter().map(Event::Refund))
        .chain(actions.iter().map(Event::Action))
        .chain(history.redemptions.iter().map(Event::Redeem))
        .collect();
    let (mut events, groups) = by_customer(events);
    let rules = Rules::new(programme, setting, &history.plans);
    // Customers are independent: replayed on every core, in id order, each
    // core taking about as many events as the others.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let total_events = events.len();
    let per_thread = total_events.div_ceil(threads).max(1);
    let mut parts: Vec<Part> = Vec::new();
    {
        let mut rest_events: &mut [Event] = &mut events;
        let mut rest_groups: &[(i64, usize)] = &groups;
        while !rest_groups.is_empty() {
            let (mut n, mut taken) = (0usize, 0usize);
            while taken < rest_groups.len() && (n < per_thread || taken == 0) {
                n += rest_groups[taken].1;
                taken += 1;
            }
            let (e, er) = std::mem::take(&mut rest_events).split_at_mut(n);
            let (g, gr) = rest_groups.split_at(taken);
            parts.push((e, g));
            rest_events = er;
            rest_groups = gr;
        }
    }
    let rules = &rules;
    let mut done: Vec<Replay> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .enumerate()
            .map(|(i, (events, groups))| {
                s.spawn(move || {
                    let mut out = Replay::default();
                    if keep_lines {
                        // About 2½ lines an event; the first part holds
                        // everyone's in the end (untouched capacity costs
                        // no memory).
                        let n = if i == 0 { total_events } else { events.len() };
                        out.entries.reserve(n * 3 + 16);
                    }
                    out.standings.reserve(groups.len());
                    let mut from = 0;
                    for (customer, n) in groups {
                        let mine = &mut events[from..from + n];
                        from += n;
                        mine.sort_by_key(Event::key);
                        let (standing, mut refused) = replay_customer(
                            rules,
                            *customer,
                            mine,
                            as_of,
                            keep_lines.then_some(&mut out.entries),
                        );
                        out.standings.push(standing);
                        out.refused.append(&mut refused);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("ledger thread"))
            .collect()
    });
    if done.is_empty() {
        return Replay::default();
    }
    let mut out = done.remove(0);
    for mut p in done {
        out.entries.append(&mut p.entries);
        out.standings.append(&mut p.standings);
        out.refused.append(&mut p.refused);
    }
    out
}

/// `events` grouped by customer in id order (a counting sort, each
/// customer's events in their order in `events`), with each customer and
/// their number of events.
fn by_customer(events: Vec<Event>) -> (Vec<Event>, Vec<(i64, usize)>) {
    let Some(first) = events.first().copied() else {
        return (events, Vec::new());
    };
    let (min, max) = events
        .iter()
        .map(Event::customer)
        .fold((i64::MAX, i64::MIN), |(lo, hi), c| (lo.min(c), hi.max(c)));
    // Store ids are dense: slots by id; otherwise by rank.
    let span = i128::from(max) - i128::from(min) + 1;
    let ranks: Option<HashMap<i64, usize>> = (span > 4 * events.len() as i128 + 1024).then(|| {
        let mut ids: Vec<i64> = events.iter().map(Event::customer).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().enumerate().map(|(i, c)| (c, i)).collect()
    });
    let slot = |c: i64| match &ranks {
        Some(r) => r[&c],
        None => (c - min) as usize,
    };
    let slots = ranks.as_ref().map_or(span as usize, HashMap::len);
    let mut starts = vec![0usize; slots + 1];
    for e in &events {
        starts[slot(e.customer()) + 1] += 1;
    }
    let mut groups = Vec::new();
    let mut ids = vec![0i64; slots];
    if let Some(r) = &ranks {
        for (c, i) in r {
            ids[*i] = *c;
        }
    } else {
        for (i, id) in ids.iter_mut().enumerate() {
            *id = min + i as i64;
        }
    }
    for i in 0..slots {
        if starts[i + 1] > 0 {
            groups.push((ids[i], starts[i + 1]));
        }
        starts[i + 1] += starts[i];
    }
    let mut out = vec![first; events.len()];
    for e in events {
        let s = &mut starts[slot(e.customer())];
        out[*s] = e;
        *s += 1;
    }
    (out, groups)
}

/// The start of a shop-local day, in UTC.
fn day_start(setting: Setting, day: NaiveDate) -> DateTime<Utc> {
    crate::time::local_to_utc(setting.tz, day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Progress toward a badge or a challenge.
#[derive(Default, Clone)]
struct Progress {
    orders: i64,
    /// Only for a rule on categories: the distinct ones so far, sorted.
    categories: Vec<u32>,
    spend_minor: i64,
    /// (year, month) of the last earning order, and the run of months.
    last_month: Option<(i32, u32)>,
    run: i64,
    done: bool,
}

impl Progress {
    fn add_order(&mut self, rule: Rule, o: &Order, month: (i32, u32)) {
        self.orders += 1;
        if let Rule::Categories(_) = rule {
            for c in &o.categories {
                if let Err(at) = self.categories.binary_search(c) {
                    self.categories.insert(at, *c);
                }
            }
        }
        self.spend_minor += o.merchandise_minor;
        self.run = match self.last_month {
            Some(m) if m == month => self.run,
            Some((y, mo)) if (y * 12 + mo as i32 - 1) + 1 == month.0 * 12 + month.1 as i32 - 1 => {
                self.run + 1
            }
            _ => 1,
        };
        self.last_month = Some(month);
    }

    fn met(&self, rule: Rule) -> bool {
        match rule {
            Rule::Orders(n) => self.orders >= n,
            Rule::Categories(n) => self.categories.len() as i64 >= n,
            Rule::Spend(s) => self.spend_minor >= s,
            Rule::MonthsInARow(n) => self.run >= n,
        }
    }
}

/// One customer's lots and what is scheduled on them.
struct Lots {
    lots: Vec<Lot>,
    /// Where each lot's points came from (only when lines are kept).
    sources: Vec<Source>,
    /// Every lot before this one is empty.
    head: usize,
    /// Lots becoming spendable and lots expiring, each in time order: lots
    /// are made at the moment of the event being replayed, always
    /// `pending_days` and `expiry_days` before these moments, so a queue
    /// each is the schedule.
    becoming: std::collections::VecDeque<(DateTime<Utc>, usize)>,
    expiring: std::collections::VecDeque<(DateTime<Utc>, usize)>,
}

impl Lots {
    fn add(
        &mut self,
        rules: &Rules,
        at: DateTime<Utc>,
        points: i64,
        pending: bool,
        source: Option<Source>,
    ) {
        let i = self.lots.len();
        self.lots.push(Lot {
            remaining: points,
            available: !pending,
        });
        if let Some(s) = source {
            self.sources.push(s);
        }
        if pending {
            self.becoming.push_back((at + rules.pending, i));
        }
        if let Some(e) = rules.expiry {
            self.expiring.push_back((at + e, i));
        }
    }

    /// The next scheduled step before `until`: (moment, step, lot).
    fn next_before(
        &mut self,
        until: (DateTime<Utc>, Step),
    ) -> Option<(DateTime<Utc>, Step, usize)> {
        let e = self.expiring.front().map(|(at, l)| (*at, Step::Expire, *l));
        let b = self
            .becoming
            .front()
            .map(|(at, l)| (*at, Step::Available, *l));
        let next = match (e, b) {
            (Some(e), Some(b)) => e.min(b),
            (e, b) => e.or(b)?,
        };
        if (next.0, next.1) >= until {
            return None;
        }
        match next.1 {
            Step::Expire => self.expiring.pop_front(),
            _ => self.becoming.pop_front(),
        };
        Some(next)
    }

    /// Consumes up to `points` from lots oldest first; what it took.
    fn consume(&mut self, points: i64, available_only: bool) -> i64 {
        while self.head < self.lots.len() && self.lots[self.head].remaining == 0 {
            self.head += 1;
        }
        let mut left = points;
        for lot in &mut self.lots[self.head..] {
            if left == 0 {
                break;
            }
            if available_only && !lot.available {
                continue;
            }
            let take = lot.remaining.min(left);
            lot.remaining -= take;
            left -= take;
        }
        points - left
    }

    fn sum(&self, available: bool) -> i64 {
        self.lots[self.head..]
            .iter()
            .filter(|l| l.available == available)
            .map(|l| l.remaining)
            .sum()
    }
}

/// An earning order: its id, tier (for take-backs), points and what
/// refunds took so far.
struct Earning {
    order: i64,
    /// The rate it earned at (`Rules::rates`).
    rate: usize,
    points: i64,
    taken: i64,
}

fn replay_customer(
    rules: &Rules,
    customer: i64,
    events: &[Event],
    as_of: DateTime<Utc>,
    mut entries: Option<&mut Vec<Entry>>,
) -> (Standing, Vec<(Redemption, String)>) {
    let p = rules.p;
    let keep = entries.is_some();
    let mut st = Standing {
        customer,
        ..Standing::default()
    };
    let mut refused = Vec::new();
    let mut lots = Lots {
        lots: Vec::with_capacity(events.len()),
        sources: Vec::new(),
        head: 0,
        becoming: Default::default(),
        expiring: Default::default(),
    };
    // Spend window: (time, signed minor), oldest first; its sum.
    let mut window: std::collections::VecDeque<(DateTime<Utc>, i64)> = Default::default();
    let mut window_sum = 0i64;
    // Earning orders in the order earned; by id when ids rise (the usual).
    let mut earnings: Vec<Earning> = Vec::new();
    let mut ids_rise = true;
    let mut badges = vec![Progress::default(); rules.badges.len()];
    let mut challenges = vec![Progress::default(); rules.challenges.len()];
    let mut action_counts: Vec<(ActionKind, i64)> = Vec::new();
    let mut action_refs: std::collections::HashSet<(ActionKind, &str)> = Default::default();
    let mut push = |at, kind, points, source: &dyn Fn() -> Source| {
        if let Some(entries) = entries.as_deref_mut() {
            entries.push(Entry {
                customer,
                at,
                kind,
                points,
                source: source(),
            });
        }
    };
    // Runs the scheduled steps before `until`.
    let run_scheduled =
        |until: (DateTime<Utc>, Step), lots: &mut Lots, st: &mut Standing, push: &mut Push| {
            while let Some((at, step, lot)) = lots.next_before(until) {
                let remaining = lots.lots[lot].remaining;
                let source = || lots_source(&lots.sources, lot);
                match step {
                    Step::Available => {
                        if remaining > 0 {
                            push(at, Kind::Available, remaining, &source);
                        }
                        lots.lots[lot].available = true;
                    }
                    Step::Expire if remaining > 0 => {
                        push(at, Kind::Expire, -remaining, &source);
                        st.expired += remaining;
                        lots.lots[lot].remaining = 0;
                    }
                    _ => {}
                }
            }
        };
    let slide = |window: &mut std::collections::VecDeque<(DateTime<Utc>, i64)>,
                 sum: &mut i64,
                 t: DateTime<Utc>| {
        let from = t - Duration::days(YEAR);
        while window.front().is_some_and(|(at, _)| *at < from) {
            *sum -= window.pop_front().map_or(0, |(_, v)| v);
        }
    };
    for e in events {
        let (t, step, _) = e.key();
        run_scheduled((t, step), &mut lots, &mut st, &mut push);
        slide(&mut window, &mut window_sum, t);
        match e {
            Event::Order(o) => {
                let tier = rules.thresholds.tier(window_sum);
                window.push_back((o.at, o.merchandise_minor));
                window_sum += o.merchandise_minor;
                if o.at < rules.starts {
                    continue;
                }
                let rate = rules.rate(customer, tier, o.at);
                let points = rules.rates[rate].points(o.merchandise_minor);
                let source = || Source::Order(o.id);
                lots.add(rules, o.at, points, p.pending_days > 0, keep.then(source));
                push(o.at, Kind::Earn, points, &source);
                st.earned += points;
                st.orders += 1;
                ids_rise &= earnings.last().is_none_or(|l| l.order < o.id);
                earnings.push(Earning {
                    order: o.id,
                    rate,
                    points,
                    taken: 0,
                });
                let month = if rules.local_days {
                    let local = o.at.with_timezone(&rules.setting.tz).date_naive();
                    (local, (local.year(), local.month()))
                } else {
                    (NaiveDate::MIN, (0, 0))
                };
                for (i, (rule, bonus)) in rules.badges.iter().enumerate() {
                    let b = &mut badges[i];
                    b.add_order(*rule, o, month.1);
                    if !b.done && b.met(*rule) {
                        b.done = true;
                        st.badges.push(i);
                        if *bonus > 0 {
                            let source = || Source::Badge(i);
                            lots.add(rules, o.at, *bonus, false, keep.then(source));
                            push(o.at, Kind::Award, *bonus, &source);
                            st.awarded += bonus;
                        }
                    }
                }
                for (i, (from, to, rule, bonus)) in rules.challenges.iter().enumerate() {
                    let c = &mut challenges[i];
                    if c.done || month.0 < *from || month.0 > *to {
                        continue;
                    }
                    c.add_order(*rule, o, month.1);
                    if c.met(*rule) {
                        c.done = true;
                        if *bonus > 0 {
                            let source = || Source::Challenge(i);
                            lots.add(rules, o.at, *bonus, false, keep.then(source));
                            push(o.at, Kind::Award, *bonus, &source);
                            st.awarded += bonus;
                        }
                    }
                }
            }
            Event::Refund(r) => {
                window.push_back((r.at, -r.merchandise_minor));
                window_sum -= r.merchandise_minor;
                for b in &mut badges {
                    b.spend_minor -= r.merchandise_minor;
                }
                let found = match r.order {
                    Some(id) if ids_rise => earnings.binary_search_by_key(&id, |e| e.order).ok(),
                    Some(id) => earnings.iter().rposition(|e| e.order == id),
                    None => earnings.len().checked_sub(1),
                };
                let Some(earning) = found.map(|i| &mut earnings[i]) else {
                    continue;
                };
                let due = rules.rates[earning.rate]
                    .points(r.merchandise_minor)
                    .min(earning.points - earning.taken);
                if due == 0 {
                    continue;
                }
                earning.taken += due;
                let took = lots.consume(due, false);
                let source = || Source::Refund(r.id);
                if took > 0 {
                    push(r.at, Kind::TakeBack, -took, &source);
                    st.taken_back += took;
                }
                if took < due {
                    push(r.at, Kind::Unrecovered, due - took, &source);
                    st.unrecovered += due - took;
                }
            }
            Event::Action(a) => {
                if a.at < rules.starts {
                    continue;
                }
                let Some((_, points, max)) = p.actions.iter().find(|(k, _, _)| *k == a.kind) else {
                    continue;
                };
                let count = match action_counts.iter().position(|(k, _)| *k == a.kind) {
                    Some(i) => i,
                    None => {
                        action_counts.push((a.kind, 0));
                        action_counts.len() - 1
                    }
                };
                let count = &mut action_counts[count].1;
                if max.is_some_and(|m| *count >= m)
                    || !action_refs.insert((a.kind, a.reference.as_str()))
                {
                    continue;
                }
                *count += 1;
                if *points > 0 {
                    let source = || Source::Action(a.reference.clone());
                    lots.add(rules, a.at, *points, false, keep.then(source));
                    push(a.at, Kind::Award, *points, &source);
                    st.awarded += points;
                }
            }
            Event::Redeem(r) => {
                let balance = lots.sum(true);
                if r.points <= 0 || r.points > balance {
                    refused.push((
                        (*r).clone(),
                        format!("{} points asked, {balance} spendable", r.points),
                    ));
                    continue;
                }
                lots.consume(r.points, true);
                push(r.at, Kind::Redeem, -r.points, &|| {
                    Source::Redemption(r.reference.clone())
                });
                st.redeemed += r.points;
            }
        }
    }
    // Up to the moment asked (expiries at that very moment included).
    run_scheduled((as_of, Step::Order), &mut lots, &mut st, &mut push);
    slide(&mut window, &mut window_sum, as_of);
    st.tier = rules.thresholds.tier(window_sum);
    st.year_spend_minor = window_sum.max(0);
    st.balance = lots.sum(true);
    st.pending = lots.sum(false);
    (st, refused)
}

/// A lot's source, for its later lines.
fn lots_source(sources: &[Source], lot: usize) -> Source {
    sources.get(lot).cloned().unwrap_or(Source::Order(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::programme::Programme;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const BASE: &str = r#"
name = "Test club"
starts_on = "2011-01-01"
points_per_unit = "1"
pending_days = 14
expiry_days = 60
[[tier]]
name = "Bronze"
min_spend = "0"
multiplier = "1"
[[tier]]
name = "Silver"
min_spend = "100"
multiplier = "1.5"
[[action]]
kind = "review"
points = 20
max_per_customer = 2
[[badge]]
name = "Regular"
rule = { orders = 3 }
bonus = 7
[[badge]]
name = "Explorer"
rule = { categories = 2 }
bonus = 0
[[challenge]]
name = "March"
from = "2011-03-01"
to = "2011-03-31"
rule = { orders = 2 }
bonus = 11
"#;

    fn setting() -> Setting {
        Setting {
            tz: chrono_tz::Europe::London,
            minor_per_major: 100,
        }
    }

    fn programme(text: &str) -> Compiled {
        Programme::parse(text).unwrap().compile().unwrap()
    }

    fn at(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2011, m, d, h, 0, 0).unwrap()
    }

    fn order(id: i64, at: DateTime<Utc>, minor: i64, categories: &[u32]) -> Order {
        Order {
            id,
            customer: 1,
            at,
            merchandise_minor: minor,
            categories: categories.to_vec(),
        }
    }

    fn refund(id: i64, order: Option<i64>, at: DateTime<Utc>, minor: i64) -> Refund {
        Refund {
            id,
            customer: 1,
            order,
            at,
            merchandise_minor: minor,
        }
    }

    fn lines(r: &Replay, kind: Kind) -> Vec<(DateTime<Utc>, i64)> {
        r.entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.at, e.points))
            .collect()
    }

    #[test]
    fn earns_floor_of_spend_times_the_tier_multiplier_at_the_moment() {
        let p = programme(BASE);
        let h = History {
            orders: vec![
                // Before the start: no points, but it counts toward the tier.
                order(
                    1,
                    Utc.with_ymd_and_hms(2010, 12, 20, 10, 0, 0).unwrap(),
                    4_000,
                    &[1],
                ),
                order(2, at(1, 10, 10), 6_099, &[1]),
                // 40.00 + 60.99 = 100.99 in the year before: Silver, × 1.5.
                order(3, at(2, 1, 10), 1_033, &[1]),
            ],
            ..History::default()
        };
        let r = replay(&p, setting(), &h, at(2, 2, 0));
        assert_eq!(
            lines(&r, Kind::Earn),
            vec![(at(1, 10, 10), 60), (at(2, 1, 10), 15)]
        );
        let s = &r.standings[0];
        assert_eq!((s.earned, s.orders, s.tier), (75, 2, 1));
        // 14 days after the first order it became spendable; the second is
        // still pending.
        assert_eq!(lines(&r, Kind::Available), vec![(at(1, 24, 10), 60)]);
        assert_eq!((s.balance, s.pending), (60, 15));
        assert_eq!(s.year_spend_minor, 4_000 + 6_099 + 1_033);
    }

    #[test]
    fn a_plan_multiplier_applies_while_subscribed_when_higher_than_the_tier() {
        let p = programme(BASE);
        let span = |from, until, m: &str| PlanMultiplier {
            customer: 1,
            from,
            until,
            multiplier: m.parse().unwrap(),
        };
        let h = History {
            orders: vec![
                // On Gold (× 2) from 5 to 20 January: 10.33 × 2 = 20.66 → 20.
                order(1, at(1, 10, 10), 1_033, &[1]),
                // Gold ended: Bronze's × 1.
                order(2, at(1, 25, 10), 1_033, &[1]),
                order(3, at(1, 26, 10), 8_500, &[1]),
                // Silver (× 1.5) beats the plan's × 1.2: 15.495 → 15.
                order(4, at(2, 2, 10), 1_033, &[1]),
            ],
            // Taken back at the rate its order earned at: 5.00 × 2.
            refunds: vec![refund(1, Some(1), at(1, 12, 10), 500)],
            plans: vec![
                span(at(1, 5, 0), Some(at(1, 20, 0)), "2"),
                span(at(2, 1, 0), None, "1.2"),
            ],
            ..History::default()
        };
        let r = replay(&p, setting(), &h, at(2, 3, 0));
        let earned: Vec<i64> = lines(&r, Kind::Earn).iter().map(|l| l.1).collect();
        assert_eq!(earned, vec![20, 10, 85, 15]);
        assert_eq!(lines(&r, Kind::TakeBack), vec![(at(1, 12, 10), -10)]);
        // Another customer's plan changes nothing for this one.
        let mut other = h.clone();
        other.plans = vec![PlanMultiplier {
            customer: 2,
            ..span(at(1, 1, 0), None, "3")
        }];
        let r = replay(&p, setting(), &other, at(2, 3, 0));
        let earned: Vec<i64> = lines(&r, Kind::Earn).iter().map(|l| l.1).collect();
        assert_eq!(earned, vec![10, 10, 85, 15]);
    }

    #[test]
    fn points_expire_their_lot_and_tiers_fall_back() {
        let p = programme(BASE);
        let h = History {
            orders: vec![order(1, at(1, 10, 10), 15_000, &[1])],
            ..History::default()
        };
        // 60 × 24 hours after the order its unspent points expire.
        let r = replay(&p, setting(), &h, at(3, 11, 10));
        assert_eq!(lines(&r, Kind::Expire), vec![(at(3, 11, 10), -150)]);
        let s = &r.standings[0];
        assert_eq!((s.balance, s.pending, s.expired), (0, 0, 150));
        assert_eq!(s.tier, 1);
        // A year and a moment later the spend has left the window.
        let r = replay(
            &p,
            setting(),
            &h,
            Utc.with_ymd_and_hms(2012, 1, 10, 10, 0, 1).unwrap(),
        );
        assert_eq!(r.standings[0].tier, 0);
    }

    #[test]
    fn refunds_take_back_at_the_order_multiplier_never_more_than_it_earned() {
        let p = programme(BASE);
        let h = History {
            orders: vec![
                order(1, at(1, 10, 10), 10_000, &[1]),
                order(2, at(1, 20, 10), 1_000, &[1]), // Silver: 15
            ],
            refunds: vec![
                // 8.55 of order 2 at × 1.5: floor(12.825) = 12.
                refund(1, Some(2), at(1, 21, 10), 855),
                // Another 8.55: only the 3 it has left.
                refund(2, Some(2), at(1, 22, 10), 855),
                // No order named: the latest earning one at or before (2),
                // which has nothing left to take.
                refund(3, None, at(1, 23, 10), 500),
            ],
            ..History::default()
        };
        let r = replay(&p, setting(), &h, at(1, 25, 0));
        assert_eq!(
            lines(&r, Kind::TakeBack),
            vec![(at(1, 21, 10), -12), (at(1, 22, 10), -3)]
        );
        let s = &r.standings[0];
        assert_eq!((s.earned, s.taken_back, s.unrecovered), (115, 15, 0));
        // Oldest lot first: the 100 of order 1 paid for it.
        assert_eq!((s.balance, s.pending), (85, 15));
        // The refunds took 10.10 off the year's spend.
        assert_eq!(s.year_spend_minor, 11_000 - 2_210);
    }

    #[test]
    fn a_refund_of_spent_points_is_recorded_as_unrecovered_and_the_balance_stays_at_zero() {
        let p = programme(BASE);
        let h = History {
            orders: vec![order(1, at(1, 10, 10), 5_000, &[1])],
            refunds: vec![refund(1, None, at(2, 1, 10), 5_000)],
            redemptions: vec![Redemption {
                customer: 1,
                at: at(1, 30, 10),
                points: 40,
                reference: "R1".into(),
            }],
            ..History::default()
        };
        let r = replay(&p, setting(), &h, at(2, 2, 0));
        let s = &r.standings[0];
        assert_eq!((s.redeemed, s.taken_back, s.unrecovered), (40, 10, 40));
        assert_eq!((s.balance, s.pending), (0, 0));
        assert!(r.refused.is_empty());
        // A redemption needs spendable points: pending ones do not count.
        let h = History {
            orders: vec![order(1, at(1, 10, 10), 5_000, &[1])],
            redemptions: vec![Redemption {
                customer: 1,
                at: at(1, 12, 10),
                points: 40,
                reference: "R1".into(),
            }],
            ..History::default()
        };
        let r = replay(&p, setting(), &h, at(2, 2, 0));
        assert_eq!(r.refused.len(), 1);
        assert_eq!(r.refused[0].1, "40 points asked, 0 spendable");
        assert_eq!(r.standings[0].balance, 50);
    }

    #[test]
    fn at_one_moment_the_order_comes_before_its_refund_and_expiry_before_both() {
        let p = programme(BASE);
        let t = at(3, 11, 10);
        let h = History {
            orders: vec![
                order(1, at(1, 10, 10), 2_000, &[1]),
                order(2, t, 3_000, &[1]),
            ],
            refunds: vec![refund(1, None, t, 3_000)],
            ..History::default()
        };
        let r = replay(&p, setting(), &h, at(3, 12, 0));
        let kinds: Vec<(Kind, i64)> = r.entries.iter().map(|e| (e.kind, e.points)).collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Earn, 20),
                (Kind::Available, 20),
                (Kind::Expire, -20),
                (Kind::Earn, 30),
                (Kind::TakeBack, -30),
            ]
        );
    }

    #[test]
    fn badges_challenges_and_actions_award_once_within_their_rules() {
        let p = programme(BASE);
        let review = |n: u32, reference: &str| ActionEvent {
            customer: 1,
            kind: ActionKind::Review,
            at: at(1, n, 12),
            reference: reference.into(),
            referred: None,
        };
        let h = History {
            orders: vec![
                order(1, at(2, 25, 10), 100, &[1]),
                order(2, at(3, 2, 10), 100, &[2]),
                order(3, at(3, 3, 10), 100, &[1]),
                order(4, at(3, 4, 10), 100, &[3]),
            ],
            actions: vec![
                review(2, "a"),
                review(3, "a"), // the same reference: once
                review(4, "b"),
                review(5, "c"), // beyond max_per_customer
            ],
            ..History::default()
        };
        let r = replay(&p, setting(), &h, at(3, 5, 0));
        let awards: Vec<(DateTime<Utc>, i64, Source)> = r
            .entries
            .iter()
            .filter(|e| e.kind == Kind::Award)
            .map(|e| (e.at, e.points, e.source.clone()))
            .collect();
        assert_eq!(
            awards,
            vec![
                (at(1, 2, 12), 20, Source::Action("a".into())),
                (at(1, 4, 12), 20, Source::Action("b".into())),
                // Regular: the third order; the March challenge: its second
                // order in March (the February one does not count).
                (at(3, 3, 10), 7, Source::Badge(0)),
                (at(3, 3, 10), 11, Source::Challenge(0)),
            ]
        );
        // Explorer (two categories) on the second order, without a bonus.
        assert_eq!(r.standings[0].badges, vec![1, 0]);
    }

    #[test]
    fn referrals_credit_after_the_first_order_passes_its_window_and_birthdays_once_a_year() {
        let p = programme(&format!(
            "{BASE}[[action]]\nkind = \"referral\"\npoints = 30\n[[action]]\nkind = \"birthday\"\npoints = 5\n"
        ));
        let referral = |referred: i64| ActionEvent {
            customer: 1,
            kind: ActionKind::Referral,
            at: at(1, 10, 9),
            reference: format!("friend {referred}"),
            referred: Some(referred),
        };
        let o = |id: i64, customer: i64, when: DateTime<Utc>| Order {
            customer,
            ..order(id, when, 5_000, &[1])
        };
        let h = History {
            orders: vec![
                // 2 orders after the referral, twice: the first counts.
                o(1, 2, at(1, 20, 10)),
                o(2, 2, at(1, 25, 10)),
                // 3 was a customer before the referral.
                o(3, 3, at(1, 5, 10)),
                // 4's first order comes back in full within the window.
                o(4, 4, at(2, 1, 10)),
                // 5's first order has not passed the window on 10 March.
                o(5, 5, at(3, 1, 10)),
            ],
            refunds: vec![Refund {
                customer: 4,
                ..refund(1, Some(4), at(2, 5, 10), 5_000)
            }],
            actions: vec![
                referral(2),
                referral(3),
                referral(4),
                referral(5),
                // Naming nobody the shop knows: waits.
                ActionEvent {
                    referred: None,
                    ..referral(9)
                },
            ],
            birthdays: vec![
                Birthday {
                    customer: 6,
                    month: 2,
                    day: 29,
                },
                Birthday {
                    customer: 7,
                    month: 12,
                    day: 25,
                },
            ],
            ..History::default()
        };
        let as_of = at(3, 10, 12);
        let counted = counted_actions(&p, setting(), &h, as_of);
        let got: Vec<(i64, ActionKind, DateTime<Utc>, &str)> = counted
            .iter()
            .map(|a| (a.customer, a.kind, a.at, a.reference.as_str()))
            .collect();
        // 14 days after 2's first order; 29 February is the 28th in 2011,
        // at the start of the London day (GMT in winter).
        assert_eq!(
            got,
            vec![
                (1, ActionKind::Referral, at(2, 3, 10), "friend 2"),
                (6, ActionKind::Birthday, at(2, 28, 0), "birthday 2011"),
            ]
        );
        let r = replay(&p, setting(), &h, as_of);
        let one = r.standings.iter().find(|s| s.customer == 1).unwrap();
        assert_eq!((one.awarded, one.balance), (30, 30));
        let six = r.standings.iter().find(|s| s.customer == 6).unwrap();
        assert_eq!(six.awarded, 5);
        // A year on, 6 has a second birthday award; 7 has their first.
        let later = counted_actions(&p, setting(), &h, at(1, 1, 0) + Duration::days(430));
        let birthdays: Vec<(i64, &str)> = later
            .iter()
            .filter(|a| a.kind == ActionKind::Birthday)
            .map(|a| (a.customer, a.reference.as_str()))
            .collect();
        assert_eq!(
            birthdays,
            vec![
                (6, "birthday 2011"),
                (6, "birthday 2012"),
                (7, "birthday 2011")
            ]
        );
    }

    fn arb_history() -> impl Strategy<Value = History> {
        let order = (0i64..3, 0i64..400, 0i64..30_000, 0u32..4);
        let refund = (
            0i64..3,
            0i64..400,
            1i64..20_000,
            proptest::option::of(0usize..40),
        );
        let redeem = (0i64..3, 0i64..400, 1i64..300);
        (
            proptest::collection::vec(order, 0..40),
            proptest::collection::vec(refund, 0..15),
            proptest::collection::vec(redeem, 0..10),
        )
            .prop_map(|(orders, refunds, redeems)| {
                let t0 = Utc.with_ymd_and_hms(2010, 12, 1, 0, 0, 0).unwrap();
                let orders: Vec<Order> = orders
                    .into_iter()
                    .enumerate()
                    .map(|(i, (c, day, minor, cat))| Order {
                        id: i as i64 + 1,
                        customer: c,
                        at: t0 + Duration::hours(day * 24 + (i as i64 % 5)),
                        merchandise_minor: minor,
                        categories: vec![cat],
                    })
                    .collect();
                let refunds = refunds
                    .into_iter()
                    .enumerate()
                    .map(|(i, (c, day, minor, o))| {
                        let named = o.and_then(|o| orders.get(o)).filter(|o| o.customer == c);
                        Refund {
                            id: i as i64 + 1,
                            customer: c,
                            order: named.map(|o| o.id),
                            at: named.map_or(t0 + Duration::days(day), |o| {
                                o.at + Duration::days(day % 30)
                            }),
                            merchandise_minor: minor,
                        }
                    })
                    .collect();
                let redemptions = redeems
                    .into_iter()
                    .enumerate()
                    .map(|(i, (c, day, points))| Redemption {
                        customer: c,
                        at: t0 + Duration::days(day),
                        points,
                        reference: format!("R{i}"),
                    })
                    .collect();
                History {
                    orders,
                    refunds,
                    actions: Vec::new(),
                    redemptions,
                    birthdays: Vec::new(),
                    plans: Vec::new(),
                }
            })
    }

    proptest! {
        #[test]
        fn the_balance_is_the_ledger_and_never_negative(h in arb_history()) {
            let p = programme(BASE);
            let as_of = Utc.with_ymd_and_hms(2012, 2, 1, 0, 0, 0).unwrap();
            let r = replay(&p, setting(), &h, as_of);
            for s in &r.standings {
                let total: i64 = r.entries.iter()
                    .filter(|e| e.customer == s.customer && e.kind.counts())
                    .map(|e| e.points)
                    .sum();
                prop_assert_eq!(s.balance + s.pending, total);
                prop_assert!(s.balance >= 0 && s.pending >= 0);
                prop_assert_eq!(
                    s.earned + s.awarded - s.redeemed - s.expired - s.taken_back,
                    total
                );
            }
            // Replaying gives the same ledger; the standings alone are the same.
            prop_assert_eq!(&r, &replay(&p, setting(), &h, as_of));
            let alone = standings(&p, setting(), &h, as_of);
            prop_assert_eq!(&alone.standings, &r.standings);
            prop_assert_eq!(&alone.refused, &r.refused);
            prop_assert!(alone.entries.is_empty());
            // Customer ids far apart (not a store's dense row ids) group the same.
            let far = |c: i64| c * 1_000_000_007 - 5;
            let mut spread = h.clone();
            spread.orders.iter_mut().for_each(|o| o.customer = far(o.customer));
            spread.refunds.iter_mut().for_each(|r| r.customer = far(r.customer));
            spread.redemptions.iter_mut().for_each(|r| r.customer = far(r.customer));
            let mut apart = replay(&p, setting(), &spread, as_of);
            apart.standings.iter_mut().for_each(|s| s.customer = (s.customer + 5) / 1_000_000_007);
            apart.entries.iter_mut().for_each(|e| e.customer = (e.customer + 5) / 1_000_000_007);
            apart.refused.iter_mut().for_each(|(x, _)| x.customer = (x.customer + 5) / 1_000_000_007);
            prop_assert_eq!(&apart, &r);
            // No order loses more to refunds than it earned.
            let mut by_order: HashMap<i64, i64> = HashMap::new();
            for e in &r.entries {
                if let (Kind::TakeBack | Kind::Unrecovered, Source::Refund(id)) = (e.kind, &e.source) {
                    let refund = h.refunds.iter().find(|x| x.id == *id).unwrap();
                    *by_order.entry(refund.order.unwrap_or(-refund.customer - 1)).or_default() += e.points.abs();
                }
            }
            for (order, lost) in by_order {
                if order > 0 {
                    let earned: i64 = r.entries.iter()
                        .filter(|e| e.kind == Kind::Earn && e.source == Source::Order(order))
                        .map(|e| e.points).sum();
                    prop_assert!(lost <= earned, "order {order}: {lost} > {earned}");
                }
            }
        }
    }
}
