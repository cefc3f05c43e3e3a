//! Subscriptions: the book (import, plans, list, contracts from Shopify),
//! the owner's pause, skip, resume and cancel (pushed to Shopify for its
//! contracts), the month's metrics and boxes, dunning, the set-up,
//! renewals, curation and picking.

use super::Desk;
use crate::error::{Error, Result};
use crate::journal::{self, Change, EntryStatus, Why};
use crate::storefront::{Target, Value};
use crate::subscriptions::book::{self, Plan, Subscription};
use crate::subscriptions::calendar::SubscriptionStatus;
use crate::subscriptions::contracts::ContractsSynced;
use crate::subscriptions::curate::{self, Curation, ForecastLine};
use crate::subscriptions::dunning::{self, Dunned, DunningPlan};
use crate::subscriptions::metrics::{self, Month, PlanBoxes};
use crate::subscriptions::renew::{self, RenewRun};
use crate::subscriptions::setup::Setup;
use crate::time::fmt_day;
use chrono::Utc;
use serde::Serialize;
use std::path::PathBuf;

/// The boxes due in a month, per plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "MonthBoxes"))]
pub struct Boxes {
    pub month: String,
    pub plans: Vec<PlanBoxes>,
    pub total: u32,
}

/// The dunning plan and its queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Dunning {
    pub plan: DunningPlan,
    pub queue: Vec<Dunned>,
}

/// The book over the last months: each month's figures (MRR, churn, …)
/// and the retention cohorts by start month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SubscriptionTrends"))]
pub struct Trends {
    pub months: Vec<Month>,
    pub cohorts: Vec<metrics::Cohort>,
}

/// A skipped renewal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SkippedRenewal"))]
pub struct Skipped {
    pub subscription: Subscription,
    /// The renewal day skipped.
    pub skipped: String,
}

fn month_of(text: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    metrics::month_days(text)
        .ok_or_else(|| Error::InvalidArgument(format!("\"{text}\" is not a month (use 2026-11)")))
}

impl Desk {
    /// Every plan with its subscribers today.
    pub fn subs_plans(&self) -> Result<Vec<Plan>> {
        self.with_store(|s| {
            let shop = s.require_shop()?;
            book::plans(s.conn(), &shop.currency, shop.today(Utc::now())?)
        })
    }

    /// The subscriptions (with `status`, only those).
    pub fn subs_list(&self, status: Option<String>) -> Result<Vec<Subscription>> {
        let status = match status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(SubscriptionStatus::parse(t).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "\"{t}\" is not a status (active, paused, past_due or cancelled)"
                ))
            })?),
        };
        self.with_store(|s| {
            let today = s.require_shop()?.today(Utc::now())?;
            book::list(s.conn(), status)?
                .into_iter()
                .map(|x| x.with_next_due(today))
                .collect()
        })
    }

    /// Pauses a subscription until a shop-local day (`YYYY-MM-DD`).
    pub fn subs_pause(&self, id: String, until: String) -> Result<Subscription> {
        let day = crate::time::parse_day(until.trim()).map_err(|_| {
            Error::InvalidArgument(format!(
                "--until \"{until}\" is not a date (use 2026-12-24)"
            ))
        })?;
        self.owner_change(&id, |conn, today, now| {
            let s = book::pause(conn, &id, day, today, now)?;
            let label = format!("Pause of {} until {}", s.external_id, fmt_day(day));
            Ok((s, Some((label, ContractChange::Status("PAUSED")))))
        })
    }

    /// Skips a subscription's next renewal; returns it and the day skipped.
    pub fn subs_skip(&self, id: String) -> Result<Skipped> {
        let mut day = String::new();
        let subscription = self.owner_change(&id, |conn, today, now| {
            let (s, skipped) = book::skip(conn, &id, today, now)?;
            day = skipped.clone();
            let label = format!("Skip of {}'s renewal of {skipped}", s.external_id);
            Ok((s, Some((label, ContractChange::Skip(skipped)))))
        })?;
        Ok(Skipped {
            subscription,
            skipped: day,
        })
    }

    /// Ends a subscription's pause today.
    pub fn subs_resume(&self, id: String) -> Result<Subscription> {
        self.owner_change(&id, |conn, today, now| {
            let s = book::resume(conn, &id, today, now)?;
            let label = format!("Resume of {}", s.external_id);
            Ok((s, Some((label, ContractChange::Status("ACTIVE")))))
        })
    }

    /// Cancels a subscription today, for a reason.
    pub fn subs_cancel(&self, id: String, reason: String) -> Result<Subscription> {
        self.owner_change(&id, |conn, today, now| {
            let s = book::cancel(conn, &id, &reason, today, now)?;
            let label = format!("Cancellation of {} ({})", s.external_id, reason.trim());
            Ok((s, Some((label, ContractChange::Status("CANCELLED")))))
        })
    }

    /// Makes the owner's change to the book, and for a Shopify contract on
    /// a connected store pushes it there through the journal; a change
    /// Shopify refuses is taken back out of the book and named.
    fn owner_change(
        &self,
        id: &str,
        change: impl FnOnce(
            &rusqlite::Connection,
            chrono::NaiveDate,
            chrono::DateTime<Utc>,
        ) -> Result<(Subscription, Option<(String, ContractChange)>)>,
    ) -> Result<Subscription> {
        self.exclusive(|| {
            self.with_store(|store| {
                let conn = store.conn();
                let shop = store.require_shop()?;
                let now = Utc::now();
                let today = shop.today(now)?;
                let before = book::find(conn, id)?;
                let (after, push) = change(conn, today, now)?;
                if let (Some((label, what)), "shopify") = (push, before.source.as_str()) {
                    if let Some(mut sf) = self.connected(conn)? {
                        let target = match &what {
                            ContractChange::Status(_) => Target::Contract {
                                id: before.external_id.clone(),
                            },
                            ContractChange::Skip(day) => Target::BillingCycle {
                                contract: before.external_id.clone(),
                                at: late_on(day, shop.tz()?)?,
                            },
                        };
                        let value = match what {
                            ContractChange::Status(s) => Value::ContractStatus(s.into()),
                            ContractChange::Skip(_) => Value::Skipped(true),
                        };
                        let pushed = journal::push(
                            conn,
                            &mut sf,
                            vec![Change {
                                target,
                                label,
                                value,
                            }],
                            &Why {
                                playbook: "subscriptions".into(),
                                reason: "the owner's change".into(),
                            },
                            now,
                        );
                        let refused = match &pushed {
                            Ok(entries) => entries
                                .iter()
                                .find(|e| e.status == EntryStatus::Failed)
                                .map(|e| e.error.clone().unwrap_or_default()),
                            Err(e) => Some(e.to_string()),
                        };
                        if let Some(why) = refused {
                            book::restore(conn, &before, now)?;
                            return Err(Error::Storefront(format!(
                                "Shopify did not take the change, so the book is as it was: {why}"
                            )));
                        }
                    }
                }
                after.with_next_due(today)
            })
        })
    }

    /// The dunning plan; `plan` replaces it first when given.
    pub fn subs_dunning_plan_set(&self, plan: DunningPlan) -> Result<DunningPlan> {
        self.with_store(|s| {
            plan.save(s.conn(), Utc::now())?;
            DunningPlan::load(s.conn())
        })
    }

    /// The dunning queue: every past-due subscription with its next action.
    pub fn subs_dunning(&self) -> Result<Dunning> {
        self.with_store(|s| {
            let today = s.require_shop()?.today(Utc::now())?;
            Ok(Dunning {
                plan: DunningPlan::load(s.conn())?,
                queue: dunning::queue(s.conn(), today)?,
            })
        })
    }

    /// Marks a past-due subscription's customer contacted.
    pub fn subs_contacted(&self, id: String, note: Option<String>) -> Result<Dunning> {
        self.with_store(|s| dunning::mark_contacted(s.conn(), &id, note.as_deref(), Utc::now()))?;
        self.subs_dunning()
    }

    /// The metrics of a month (`YYYY-MM`, shop-local).
    pub fn subs_metrics(&self, month: String) -> Result<Month> {
        let (first, last) = month_of(&month)?;
        self.with_store(|s| {
            let shop = s.require_shop()?;
            Ok(metrics::month(
                &book::for_metrics(s.conn(), &shop.currency)?,
                first,
                last,
            ))
        })
    }

    /// The last `months` months (12 when not given, at most 36) to this
    /// one: each month's figures and the retention cohorts.
    pub fn subs_trends(&self, months: Option<u32>) -> Result<Trends> {
        let n = months.unwrap_or(12);
        if !(1..=36).contains(&n) {
            return Err(Error::InvalidArgument(format!(
                "--months {n}: give 1 to 36 months"
            )));
        }
        self.with_store(|s| {
            let shop = s.require_shop()?;
            let today = shop.today(Utc::now())?;
            let subs = book::for_metrics(s.conn(), &shop.currency)?;
            let span = metrics::months_to(today, n);
            Ok(Trends {
                months: span
                    .iter()
                    .map(|(first, last)| metrics::month(&subs, *first, *last))
                    .collect(),
                cohorts: metrics::cohorts(&subs, &span, today),
            })
        })
    }

    /// A month's renewal calendar: each day's renewals (skipped ones
    /// marked).
    pub fn subs_calendar(&self, month: String) -> Result<Vec<book::CalendarDay>> {
        let (first, last) = month_of(&month)?;
        self.with_store(|s| book::calendar(s.conn(), first, last))
    }

    /// The boxes due in a month, per plan.
    pub fn subs_boxes(&self, month: String) -> Result<Boxes> {
        let (first, last) = month_of(&month)?;
        self.with_store(|s| {
            let shop = s.require_shop()?;
            let plans = metrics::boxes(&book::for_metrics(s.conn(), &shop.currency)?, first, last);
            Ok(Boxes {
                month: month.trim().to_string(),
                total: plans.iter().map(|p| p.boxes).sum(),
                plans,
            })
        })
    }

    /// The subscriptions set-up: who bills, what each plan's boxes hold.
    pub fn subs_setup(&self) -> Result<Setup> {
        self.with_store(|s| Setup::load(s.conn()))
    }

    /// Checks the set-up against the shop and stores it.
    pub fn subs_setup_set(&self, setup: Setup) -> Result<Setup> {
        self.with_store(|s| setup.save(s.conn(), Utc::now()))
    }

    /// Runs the renewals due and the dunning plan's steps ("desk bills").
    pub fn subs_renew(&self) -> Result<RenewRun> {
        self.with_store(|store| self.renew_in(store.conn()))
    }

    /// [`Desk::subs_renew`] on the shop in `conn` (the background loop's own
    /// connection), one job at a time.
    pub(super) fn renew_in(&self, conn: &rusqlite::Connection) -> Result<RenewRun> {
        self.exclusive(|| {
            let now = Utc::now();
            let today = crate::store::read_shop(conn)?
                .ok_or(Error::NoShop)?
                .today(now)?;
            match self.connected(conn)? {
                Some(mut sf) => renew::run(conn, Some(&mut sf), today, now),
                None => renew::run(conn, None, today, now),
            }
        })
    }

    /// Brings the connected Shopify store's subscription contracts into
    /// the book (the connected app needs Shopify's subscription scopes).
    pub fn subs_sync(&self) -> Result<ContractsSynced> {
        self.exclusive(|| {
            self.with_store(|store| {
                let conn = store.conn();
                let shop = store.require_shop()?;
                let Some(mut sf) = self.connected(conn)? else {
                    return Err(Error::InvalidArgument(
                        "no Shopify store is connected: connect it in Settings, or import your subscription app's CSV export".into(),
                    ));
                };
                let contracts = sf.contracts()?;
                crate::subscriptions::contracts::write(conn, &contracts, shop.tz()?, Utc::now())
            })
        })
    }

    /// Every subscriber's plan to the storefront: the tag `plan:gold` and
    /// the metafield `merchant_desk.plan`, then each plan's member discount
    /// and free-shipping codes for its customers, journaled.
    pub fn subs_push_plans(&self) -> Result<crate::subscriptions::tags::PlansPushed> {
        self.storefront_job(|conn, sf| {
            let now = Utc::now();
            let shop = crate::store::read_shop(conn)?.ok_or(Error::NoShop)?;
            let today = shop.today(now)?;
            let mut pushed = crate::subscriptions::tags::push(conn, sf, today, now)?;
            pushed.benefits = crate::subscriptions::gating::push(conn, &shop, sf, today, now)?;
            Ok(pushed)
        })
    }

    /// Plans the boxes of a month not planned yet, then shows the month.
    pub fn subs_curate(&self, month: String) -> Result<Curation> {
        let (first, last) = month_of(&month)?;
        self.with_store(|s| {
            let now = Utc::now();
            let today = s.require_shop()?.today(now)?;
            curate::curate(s.conn(), first, last, today, now)?;
            curate::month(s.conn(), month.trim(), first, last, today)
        })
    }

    /// The boxes planned for a month, with the picking totals.
    pub fn subs_curation(&self, month: String) -> Result<Curation> {
        let (first, last) = month_of(&month)?;
        self.with_store(|s| {
            let today = s.require_shop()?.today(Utc::now())?;
            curate::month(s.conn(), month.trim(), first, last, today)
        })
    }

    /// Writes a month's picking list as CSV; returns the month.
    pub fn subs_picking_csv(&self, month: String, path: PathBuf) -> Result<Curation> {
        let c = self.subs_curation(month)?;
        write_file(&path, &curate::picking_csv(&c)?)?;
        Ok(c)
    }

    /// Writes the list of past-due customers to contact as CSV.
    pub fn subs_dunning_csv(&self, path: PathBuf) -> Result<Dunning> {
        let d = self.subs_dunning()?;
        write_file(&path, &dunning::contacts_csv(&d.queue)?)?;
        Ok(d)
    }

    /// The units each box item needs over the next 7, 30 and 60 days.
    pub fn subs_forecast(&self) -> Result<Vec<ForecastLine>> {
        self.with_store(|s| {
            let today = s.require_shop()?.today(Utc::now())?;
            curate::forecast(s.conn(), today)
        })
    }
}

/// What the owner changes on a Shopify contract.
enum ContractChange {
    Status(&'static str),
    /// The renewal day skipped.
    Skip(String),
}

/// An instant late on a shop-local day (23:00 there), in UTC: inside the
/// billing cycle that starts that day (assumed: Shopify's cycles start at
/// the billing time on the renewal day).
fn late_on(day: &str, tz: chrono_tz::Tz) -> Result<String> {
    let d = crate::time::parse_day(day)?;
    Ok(crate::time::fmt_utc(crate::time::local_to_utc(
        tz,
        d.and_hms_opt(23, 0, 0).expect("23:00 exists"),
    )))
}

fn write_file(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
