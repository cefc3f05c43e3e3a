//! The book's metrics for a month, exactly as `docs/metrics.md` defines
//! them, and the boxes due in a month.

use super::calendar::{IntervalUnit, Terms};
use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One subscription as the metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sub {
    pub terms: Terms,
    pub price_minor: i64,
    pub plan: String,
    /// Renewal days the owner skipped.
    pub skips: BTreeSet<NaiveDate>,
}

/// A subscription's monthly value in minor units, exact: its price / k for
/// `month` × k, price × 52 / (12 × k) for `week` × k, price / (12 × k) for
/// `year` × k.
pub fn monthly_value(terms: &Terms, price_minor: i64) -> Decimal {
    let (price, k) = (Decimal::from(price_minor), Decimal::from(terms.count));
    match terms.unit {
        IntervalUnit::Month => price / k,
        IntervalUnit::Week => price * Decimal::from(52) / (Decimal::from(12) * k),
        IntervalUnit::Year => price / (Decimal::from(12) * k),
    }
}

/// An exact amount rounded half up to the minor unit, once.
fn rounded(exact: Decimal) -> i64 {
    exact
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .try_into()
        .unwrap_or(i64::MAX)
}

/// The first and last day of the month `YYYY-MM`.
pub fn month_days(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").ok()?;
    if month.trim().len() != 7 {
        return None;
    }
    let last = first.checked_add_months(Months::new(1))? - Days::new(1);
    Some((first, last))
}

/// A month of the book. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SubscriptionMetrics"))]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// The monthly values of the subscriptions active and not paused on
    /// the month's last day, summed exactly and rounded once.
    #[cfg_attr(test, ts(type = "number"))]
    pub mrr_minor: i64,
    /// Active on the day before the month's first day.
    pub active_start: u32,
    /// Active on the month's last day (paused or not).
    pub active_end: u32,
    /// Of those, paused on the last day.
    pub paused_end: u32,
    /// Started during the month.
    pub new: u32,
    /// Cancelled during the month (also those that started in it).
    pub cancelled: u32,
    /// `cancelled / active_start` (none when nothing was active).
    pub churn_rate: Option<f64>,
    /// The MRR's exact sum over the subscriptions in it, rounded once
    /// (none when there are none).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub arpu_minor: Option<i64>,
    /// The MRR lost with the month's cancellations (their monthly values on
    /// the day before each cancellation), over the MRR the month started
    /// with: revenue churn.
    pub revenue_churn_rate: Option<f64>,
}

/// The metrics of month `first..=last` over `subs`.
pub fn month(subs: &[Sub], first: NaiveDate, last: NaiveDate) -> Month {
    let before = first - Days::new(1);
    let mut m = Month {
        month: format!("{:04}-{:02}", first.year(), first.month()),
        mrr_minor: 0,
        active_start: 0,
        active_end: 0,
        paused_end: 0,
        new: 0,
        cancelled: 0,
        churn_rate: None,
        arpu_minor: None,
        revenue_churn_rate: None,
    };
    let (mut mrr, mut start_mrr, mut lost) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut paying = 0u32;
    for s in subs {
        let t = &s.terms;
        let value = monthly_value(t, s.price_minor);
        if t.active_on(before) {
            m.active_start += 1;
            if !t.paused_on(before) {
                start_mrr += value;
            }
        }
        if t.active_on(last) {
            m.active_end += 1;
            if t.paused_on(last) {
                m.paused_end += 1;
            } else {
                mrr += value;
                paying += 1;
            }
        }
        if (first..=last).contains(&t.started_on) {
            m.new += 1;
        }
        if let Some(c) = t.cancelled_on.filter(|c| (first..=last).contains(c)) {
            m.cancelled += 1;
            let eve = c - Days::new(1);
            if t.active_on(eve) && !t.paused_on(eve) {
                lost += value;
            }
        }
    }
    m.mrr_minor = rounded(mrr);
    m.churn_rate = (m.active_start > 0).then(|| m.cancelled as f64 / m.active_start as f64);
    m.arpu_minor = (paying > 0).then(|| rounded(mrr / Decimal::from(paying)));
    m.revenue_churn_rate = (start_mrr > Decimal::ZERO).then(|| {
        use rust_decimal::prelude::ToPrimitive;
        (lost / start_mrr).to_f64().unwrap_or(0.0)
    });
    m
}

/// The boxes of one plan due in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "PlanBoxes"))]
pub struct PlanBoxes {
    pub plan: String,
    pub boxes: u32,
}

/// Per plan (by name), the renewals falling in `first..=last` that are not
/// paused or skipped: the boxes to send.
pub fn boxes(subs: &[Sub], first: NaiveDate, last: NaiveDate) -> Vec<PlanBoxes> {
    let mut per: BTreeMap<&str, u32> = BTreeMap::new();
    for s in subs {
        let n = s
            .terms
            .renewals(first, last)
            .into_iter()
            .filter(|d| !s.skips.contains(d))
            .count() as u32;
        *per.entry(s.plan.as_str()).or_insert(0) += n;
    }
    per.into_iter()
        .map(|(plan, boxes)| PlanBoxes {
            plan: plan.to_string(),
            boxes,
        })
        .collect()
}

/// The subscriptions that started in one month, and how many of them were
/// still active (paused or not) at the end of each month since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Cohort {
    /// The start month, `YYYY-MM`.
    pub month: String,
    pub started: u32,
    /// Active on the last day of the start month, the month after, …, up
    /// to the current month (whose figure is as of today).
    pub active: Vec<u32>,
}

/// The months `count` back from `today`'s month to it, oldest first, each
/// as its first and last day.
pub fn months_to(today: NaiveDate, count: u32) -> Vec<(NaiveDate, NaiveDate)> {
    let this = today.with_day(1).expect("day 1 exists");
    (0..count)
        .rev()
        .filter_map(|back| {
            let first = this.checked_sub_months(Months::new(back))?;
            Some((
                first,
                first.checked_add_months(Months::new(1))? - Days::new(1),
            ))
        })
        .collect()
}

/// The retention cohorts of the start months in `months` (oldest first; the
/// last is the current one), counted up to `today`.
pub fn cohorts(subs: &[Sub], months: &[(NaiveDate, NaiveDate)], today: NaiveDate) -> Vec<Cohort> {
    months
        .iter()
        .enumerate()
        .map(|(i, (first, last))| {
            let members: Vec<&Sub> = subs
                .iter()
                .filter(|s| (*first..=*last).contains(&s.terms.started_on))
                .collect();
            Cohort {
                month: format!("{:04}-{:02}", first.year(), first.month()),
                started: members.len() as u32,
                active: months[i..]
                    .iter()
                    .map(|(_, end)| {
                        let on = (*end).min(today);
                        members.iter().filter(|s| s.terms.active_on(on)).count() as u32
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::calendar::SubscriptionStatus as S;
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn monthly_values_are_exact_and_rounded_once() {
        let t = |unit, count| Terms {
            status: S::Active,
            started_on: d("2026-01-01"),
            cancelled_on: None,
            paused_until: None,
            unit,
            count,
            next_renewal_on: None,
        };
        // 10.00 a week: 10.00 × 52 / 12 = 43.333…; three of them 130.00 exactly.
        let w = monthly_value(&t(IntervalUnit::Week, 1), 1000);
        assert_eq!(rounded(w), 4333);
        assert_eq!(rounded(w * Decimal::from(3)), 13000);
        assert_eq!(
            rounded(monthly_value(&t(IntervalUnit::Month, 3), 3000)),
            1000
        );
        assert_eq!(
            rounded(monthly_value(&t(IntervalUnit::Year, 1), 12_006)),
            1001
        );
        assert_eq!(
            month_days("2026-02"),
            Some((d("2026-02-01"), d("2026-02-28")))
        );
        assert_eq!(month_days("2026-2"), None);
        assert_eq!(month_days("2026-13"), None);
    }

    #[test]
    fn cohorts_count_who_is_still_active_at_each_month_end() {
        let sub = |started: &str, cancelled: Option<&str>| Sub {
            terms: Terms {
                status: if cancelled.is_some() {
                    S::Cancelled
                } else {
                    S::Active
                },
                started_on: d(started),
                cancelled_on: cancelled.map(d),
                paused_until: None,
                unit: IntervalUnit::Month,
                count: 1,
                next_renewal_on: None,
            },
            price_minor: 1000,
            plan: "Gold".into(),
            skips: BTreeSet::new(),
        };
        let subs = [
            sub("2026-09-03", None),
            sub("2026-09-20", Some("2026-10-31")),
            sub("2026-09-30", Some("2026-11-15")),
            sub("2026-10-01", Some("2026-10-02")),
            sub("2026-11-10", None),
        ];
        let months = months_to(d("2026-11-12"), 3);
        assert_eq!(months[0], (d("2026-09-01"), d("2026-09-30")));
        assert_eq!(months[2], (d("2026-11-01"), d("2026-11-30")));
        let c = cohorts(&subs, &months, d("2026-11-12"));
        // September: 3 at its end; the one cancelled on 31 October is gone at
        // October's end; the one cancelled on the 15th is still there on the
        // 12th (today).
        assert_eq!(
            c[0],
            Cohort {
                month: "2026-09".into(),
                started: 3,
                active: vec![3, 2, 2]
            }
        );
        assert_eq!(
            c[1],
            Cohort {
                month: "2026-10".into(),
                started: 1,
                active: vec![0, 0]
            }
        );
        // The one starting on the 10th is active today, the 12th.
        assert_eq!(
            c[2],
            Cohort {
                month: "2026-11".into(),
                started: 1,
                active: vec![1]
            }
        );
        assert_eq!(
            months_to(d("2026-01-31"), 2)[0],
            (d("2025-12-01"), d("2025-12-31"))
        );
    }
}
