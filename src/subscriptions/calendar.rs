//! The renewal calendar of one subscription, on the shop's local days, as
//! `docs/metrics.md` defines it: on `next_renewal_on`, then every interval
//! after it (months step from `next_renewal_on` keeping its day, the
//! month's last day when shorter); none for a cancelled subscription, none
//! from its cancellation day on; one on a day the subscription is paused is
//! skipped, one on `paused_until` itself is due.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

stored_enum! {
    /// Where a subscription stands.
    pub enum SubscriptionStatus {
        Active = "active",
        Paused = "paused",
        /// A renewal failed; still active, still renewing.
        PastDue = "past_due",
        Cancelled = "cancelled",
    }
}

stored_enum! {
    /// The unit of a subscription's interval.
    pub enum IntervalUnit {
        Week = "week",
        Month = "month",
        Year = "year",
    }
}

/// What the calendar and the metrics read of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub status: SubscriptionStatus,
    pub started_on: NaiveDate,
    pub cancelled_on: Option<NaiveDate>,
    pub paused_until: Option<NaiveDate>,
    pub unit: IntervalUnit,
    pub count: u32,
    pub next_renewal_on: Option<NaiveDate>,
}

impl Terms {
    /// Paused on `day`: `paused_until` is after it (a pause covers every
    /// day before `paused_until`). A paused subscription with no
    /// `paused_until` is paused until resumed: every day.
    pub fn paused_on(&self, day: NaiveDate) -> bool {
        match self.paused_until {
            Some(until) => until > day,
            None => self.status == SubscriptionStatus::Paused,
        }
    }

    /// Active on `day`: started on or before it and not cancelled on or
    /// before it.
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.cancelled_on.is_none_or(|c| c > day)
    }

    /// The `n`th renewal date (0: `next_renewal_on`), before pauses.
    fn nth(&self, first: NaiveDate, n: u32) -> Option<NaiveDate> {
        match self.unit {
            IntervalUnit::Week => {
                first.checked_add_days(Days::new(7 * self.count as u64 * n as u64))
            }
            IntervalUnit::Month => first.checked_add_months(Months::new(self.count * n)),
            IntervalUnit::Year => first.checked_add_months(Months::new(12 * self.count * n)),
        }
    }

    /// The renewal days in `from..=to`, paused ones left out.
    pub fn renewals(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let Some(first) = self.next_renewal_on else {
            return out;
        };
        if self.status == SubscriptionStatus::Cancelled || from > to {
            return out;
        }
        // Skip ahead near `from` without walking years of renewals.
        let mut n = match self.unit {
            IntervalUnit::Week => {
                let days = (from - first).num_days().max(0) as u64;
                (days / (7 * self.count as u64)).saturating_sub(1) as u32
            }
            IntervalUnit::Month | IntervalUnit::Year => {
                let per = match self.unit {
                    IntervalUnit::Year => 12,
                    _ => 1,
                } * self.count as i32;
                let months =
                    (from.year() - first.year()) * 12 + from.month() as i32 - first.month() as i32;
                ((months.max(0) / per) as u32).saturating_sub(1)
            }
        };
        while let Some(day) = self.nth(first, n) {
            if day > to || self.cancelled_on.is_some_and(|c| day >= c) {
                break;
            }
            if day >= from && !self.paused_on(day) {
                out.push(day);
            }
            n += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn monthly(next: &str) -> Terms {
        Terms {
            status: SubscriptionStatus::Active,
            started_on: d("2025-01-01"),
            cancelled_on: None,
            paused_until: None,
            unit: IntervalUnit::Month,
            count: 1,
            next_renewal_on: Some(d(next)),
        }
    }

    #[test]
    fn months_keep_their_day_and_shorter_months_take_their_last() {
        let t = monthly("2026-01-31");
        assert_eq!(
            t.renewals(d("2026-01-01"), d("2026-05-31")),
            vec![
                d("2026-01-31"),
                d("2026-02-28"),
                d("2026-03-31"),
                d("2026-04-30"),
                d("2026-05-31")
            ]
        );
        // Nothing before next_renewal_on.
        assert!(t.renewals(d("2025-12-01"), d("2025-12-31")).is_empty());
    }

    #[test]
    fn pauses_skip_and_the_day_a_pause_ends_is_due() {
        let mut t = monthly("2026-03-10");
        t.paused_until = Some(d("2026-04-10"));
        assert_eq!(
            t.renewals(d("2026-03-01"), d("2026-05-31")),
            vec![d("2026-04-10"), d("2026-05-10")]
        );
        t.paused_until = Some(d("2026-04-11"));
        assert_eq!(
            t.renewals(d("2026-03-01"), d("2026-05-31")),
            vec![d("2026-05-10")]
        );
        t.status = SubscriptionStatus::Cancelled;
        assert!(t.renewals(d("2026-03-01"), d("2026-05-31")).is_empty());
    }

    #[test]
    fn weeks_and_years_step_from_the_first_renewal() {
        let mut t = monthly("2026-01-05");
        t.unit = IntervalUnit::Week;
        t.count = 2;
        assert_eq!(
            t.renewals(d("2026-02-01"), d("2026-02-28")),
            vec![d("2026-02-02"), d("2026-02-16")]
        );
        t.unit = IntervalUnit::Year;
        t.count = 1;
        t.next_renewal_on = Some(d("2024-02-29"));
        assert_eq!(
            t.renewals(d("2026-01-01"), d("2026-12-31")),
            vec![d("2026-02-28")]
        );
        // A cancellation ahead stops the renewals from its day on.
        let mut t = monthly("2026-01-15");
        t.cancelled_on = Some(d("2026-03-15"));
        assert_eq!(
            t.renewals(d("2026-01-01"), d("2026-12-31")),
            vec![d("2026-01-15"), d("2026-02-15")]
        );
    }
}

#[cfg(test)]
mod more {
    use super::*;

    #[test]
    fn a_year_due_in_the_month() {
        let d = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
        let t = Terms {
            status: SubscriptionStatus::PastDue,
            started_on: d("2025-12-01"),
            cancelled_on: None,
            paused_until: None,
            unit: IntervalUnit::Year,
            count: 1,
            next_renewal_on: Some(d("2026-12-01")),
        };
        assert_eq!(
            t.renewals(d("2026-12-01"), d("2026-12-31")),
            vec![d("2026-12-01")]
        );
    }
}

#[cfg(test)]
mod walk {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The skip-ahead finds exactly what walking every renewal from the
        /// first finds.
        #[test]
        fn skipping_ahead_finds_what_walking_finds(
            unit in 0u8..3, count in 1u32..5, first in 0i64..3000,
            from in 0i64..4000, len in 0i64..400, pause in proptest::option::of(0i64..4000),
        ) {
            let base = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
            let at = |n: i64| base + chrono::Days::new(n as u64);
            let t = Terms {
                status: SubscriptionStatus::Active,
                started_on: base,
                cancelled_on: None,
                paused_until: pause.map(at),
                unit: [IntervalUnit::Week, IntervalUnit::Month, IntervalUnit::Year][unit as usize],
                count,
                next_renewal_on: Some(at(first)),
            };
            let (from, to) = (at(from), at(from + len));
            let mut walked = Vec::new();
            let mut n = 0;
            while let Some(day) = t.nth(at(first), n) {
                if day > to { break; }
                if day >= from && !t.paused_on(day) { walked.push(day); }
                n += 1;
            }
            prop_assert_eq!(t.renewals(from, to), walked);
        }
    }
}
