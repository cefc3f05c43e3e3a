//! `merchant-desk subs import|plans|list|pause|skip|resume|cancel|dunning|
//! contacted|metrics|boxes|setup|renew|curate|picking|forecast`.

use crate::context::{import_bar, Context};
use crate::output::money;
use merchant_desk::import::ImportKind;
use merchant_desk::money::format_major;
use merchant_desk::subscriptions::book::Subscription;
use merchant_desk::subscriptions::curate::{Curation, Short};
use merchant_desk::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Import the subscription book from CSV (`subscription_id, customer,
    /// email, plan, status, started_on, …`, or a subscription app's export
    /// with --format); importing it again changes nothing.
    Import {
        file: PathBuf,
        /// generic (the default), shopify (Shopify Subscriptions' contract
        /// CSV) or recharge (Recharge's subscriptions).
        #[arg(long, default_value = "generic")]
        format: String,
    },
    /// Every plan with its subscribers and MRR today.
    Plans,
    /// The subscriptions, or those with one status.
    List {
        /// active, paused, past_due or cancelled.
        #[arg(long)]
        status: Option<String>,
    },
    /// Pause until a day (shop-local, YYYY-MM-DD): no renewal before it.
    Pause {
        id: String,
        #[arg(long)]
        until: String,
    },
    /// Skip the next renewal.
    Skip { id: String },
    /// End a pause today.
    Resume { id: String },
    /// Cancel today, for a reason.
    Cancel {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// The dunning queue: each past-due subscription's next action; with
    /// --retry and --then, set the plan first; with --csv, write the list
    /// of customers to contact.
    Dunning {
        /// Days after a failed renewal to retry it, e.g. 1,3,7.
        #[arg(long, value_delimiter = ',')]
        retry: Vec<u32>,
        /// After the last retry: skip, pause or cancel.
        #[arg(long)]
        then: Option<String>,
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Mark a past-due subscription's customer contacted.
    Contacted {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// The month's MRR, churn, new, ARPU (shop-local month YYYY-MM).
    Metrics {
        #[arg(long)]
        month: String,
    },
    /// MRR, churn and new subscriptions month by month, and the retention
    /// cohorts by start month, up to this month.
    Trends {
        /// How many months (12 unless given).
        #[arg(long)]
        months: Option<u32>,
    },
    /// The month's renewal calendar: each day's renewals (skipped ones
    /// marked).
    Calendar {
        #[arg(long)]
        month: String,
    },
    /// The boxes due in a month, per plan.
    Boxes {
        #[arg(long)]
        month: String,
    },
    /// The subscriptions set-up (who bills, what each plan's boxes hold);
    /// with FILE (TOML), check it against the shop and store it.
    Setup { file: Option<PathBuf> },
    /// Bring the connected Shopify store's subscription contracts into the
    /// book (the connected app needs Shopify's subscription scopes).
    Sync,
    /// Send every subscriber's plan to the storefront: the customer tag
    /// `plan:gold` and the metafield `merchant_desk.plan`, then each plan's
    /// member discount and free-shipping codes for its customers, journaled.
    PushPlans,
    /// Run the renewals due and the dunning plan's retries and final
    /// actions ("desk bills" mode).
    Renew,
    /// Plan the month's boxes not planned yet (reserving their items), then
    /// show the month's boxes, shortages and picking totals.
    Curate {
        #[arg(long)]
        month: String,
    },
    /// The month's planned boxes and picking totals; --csv writes the list.
    Picking {
        #[arg(long)]
        month: String,
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// The units each box item needs over the next 7, 30 and 60 days.
    Forecast,
}

fn show_curation(out: &crate::output::Output, c: &Curation) {
    out.rows(&c.boxes, "no boxes planned this month", |b| {
        let items: Vec<&str> = b.items.iter().map(|i| i.sku.as_str()).collect();
        out.line(format!(
            "{} {:<10} {:<22} {:<12} {}{}",
            b.cycle_on,
            b.subscription,
            b.customer,
            b.plan,
            items.join(" "),
            match b.short {
                Some(Short::Stock) => format!(
                    "  short {}: out of stock",
                    b.wanted as usize - b.items.len()
                ),
                Some(Short::History) => format!(
                    "  short {}: has had the plan's other items",
                    b.wanted as usize - b.items.len()
                ),
                None => String::new(),
            }
        ))
    });
    out.line(format!(
        "{}: {} boxes planned, {} short{}",
        c.month,
        c.boxes.len(),
        c.shortages,
        if c.unplanned > 0 {
            format!(
                ", {} due and not planned yet (`merchant-desk subs curate --month {}`)",
                c.unplanned, c.month
            )
        } else {
            String::new()
        }
    ));
    for p in &c.picking {
        out.line(format!(
            "  pick {:>4} × {:<10} {}{}",
            p.units,
            p.sku,
            p.title,
            p.stock
                .map(|s| format!("  (stock {s})"))
                .unwrap_or_default()
        ));
    }
}

fn line(s: &Subscription) -> String {
    format!(
        "{:<10} {:<16} {:<9} {:<22} {} {} × {}{}{}",
        s.external_id,
        s.plan,
        s.status,
        s.customer,
        money(s.price_minor, &s.currency),
        s.interval_count,
        s.interval,
        s.next_due
            .as_deref()
            .map(|d| format!("  next due {d}"))
            .unwrap_or_default(),
        s.paused_until
            .as_deref()
            .map(|d| format!("  paused until {d}"))
            .unwrap_or_default(),
    )
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    if let Command::Import { file, format } = command {
        let kind = match format.trim() {
            "generic" => ImportKind::Subscriptions,
            "shopify" => ImportKind::ShopifySubscriptions,
            "recharge" => ImportKind::RechargeSubscriptions,
            other => {
                return Err(merchant_desk::Error::InvalidArgument(format!(
                    "--format {other:?}: choose generic, shopify or recharge"
                )))
            }
        };
        let (bar, progress) = import_bar();
        let report = ctx.desk_creating().import_file(kind, file, progress);
        bar.finish_and_clear();
        let report = report?;
        ctx.out
            .show(&report, |out| super::import::print(out, &report));
        return Ok(ExitCode::SUCCESS);
    }
    let (desk, shop) = ctx.shop_desk()?;
    let c = shop.currency.as_str();
    match command {
        Command::Import { .. } => unreachable!("handled above"),
        Command::Plans => {
            let plans = desk.subs_plans()?;
            ctx.out.show(&serde_json::json!({ "plans": plans }), |out| {
                out.rows(
                    &plans,
                    "no plans yet: `merchant-desk subs import FILE`",
                    |p| {
                        out.line(format!(
                            "{:<20} {:>5} active ({} paused)  MRR {}",
                            p.name,
                            p.active,
                            p.paused,
                            money(p.mrr_minor, c)
                        ))
                    },
                )
            });
        }
        Command::List { status } => {
            let all = desk.subs_list(status)?;
            ctx.out
                .show(&serde_json::json!({ "subscriptions": all }), |out| {
                    out.rows(&all, "no subscriptions", |s| out.line(line(s)))
                });
        }
        Command::Pause { id, until } => {
            let s = desk.subs_pause(id, until)?;
            ctx.out.show(&s, |out| out.line(line(&s)));
        }
        Command::Skip { id } => {
            let k = desk.subs_skip(id)?;
            let (s, day) = (&k.subscription, &k.skipped);
            ctx.out.show(&k, |out| {
                out.line(format!(
                    "subscription {}: the renewal of {day} is skipped",
                    s.external_id
                ))
            });
        }
        Command::Resume { id } => {
            let s = desk.subs_resume(id)?;
            ctx.out.show(&s, |out| out.line(line(&s)));
        }
        Command::Cancel { id, reason } => {
            let s = desk.subs_cancel(id, reason)?;
            ctx.out.show(&s, |out| out.line(line(&s)));
        }
        Command::Dunning { retry, then, csv } => {
            if !retry.is_empty() || then.is_some() {
                let mut plan = desk.subs_dunning()?.plan;
                if !retry.is_empty() {
                    plan.retry_days = retry;
                }
                if let Some(t) = then {
                    plan.final_action = t.trim().to_string();
                }
                desk.subs_dunning_plan_set(plan)?;
            }
            let d = match csv {
                Some(path) => desk.subs_dunning_csv(path)?,
                None => desk.subs_dunning()?,
            };
            ctx.out.show(&d, |out| {
                let days: Vec<String> = d.plan.retry_days.iter().map(u32::to_string).collect();
                out.line(format!(
                    "retry after {} days, then {}",
                    days.join(", "),
                    d.plan.final_action
                ));
                out.rows(&d.queue, "nothing past due", |q| {
                    out.line(format!(
                        "{:<10} {:<22} failed {:<10}  next: {} on {}{}",
                        q.subscription.external_id,
                        q.subscription
                            .email
                            .as_deref()
                            .unwrap_or(&q.subscription.customer),
                        q.failed_on.as_deref().unwrap_or("—"),
                        q.next_action,
                        q.next_on.as_deref().unwrap_or("—"),
                        q.contacted_at
                            .as_deref()
                            .map(|c| format!("  contacted {c}"))
                            .unwrap_or_default()
                    ))
                })
            });
        }
        Command::Contacted { id, note } => {
            let d = desk.subs_contacted(id.clone(), note)?;
            ctx.out.show(&d, |out| {
                out.line(format!("subscription {id}: marked contacted"))
            });
        }
        Command::Metrics { month } => {
            let m = desk.subs_metrics(month)?;
            let json = serde_json::json!({
                "month": m.month,
                "mrr": format_major(m.mrr_minor, c),
                "active_start": m.active_start,
                "active_end": m.active_end,
                "paused_end": m.paused_end,
                "new": m.new,
                "cancelled": m.cancelled,
                "churn_rate": m.churn_rate,
                "arpu": m.arpu_minor.map(|a| format_major(a, c)),
                "revenue_churn_rate": m.revenue_churn_rate,
            });
            ctx.out.show(&json, |out| {
                out.line(format!(
                    "{}: MRR {} at the month's end; {} active at its start, {} at its end ({} paused); {} new, {} cancelled; churn {}; ARPU {}",
                    m.month,
                    money(m.mrr_minor, c),
                    m.active_start,
                    m.active_end,
                    m.paused_end,
                    m.new,
                    m.cancelled,
                    m.churn_rate.map_or("—".into(), |r| format!("{:.1} %", r * 100.0)),
                    m.arpu_minor.map_or("—".into(), |a| money(a, c)),
                ))
            });
        }
        Command::Trends { months } => {
            let t = desk.subs_trends(months)?;
            ctx.out.show(&t, |out| {
                out.line(format!(
                    "{:<8} {:>12} {:>7} {:>5} {:>9} {:>7}",
                    "month", "MRR", "active", "new", "cancelled", "churn"
                ));
                for m in &t.months {
                    out.line(format!(
                        "{:<8} {:>12} {:>7} {:>5} {:>9} {:>7}",
                        m.month,
                        money(m.mrr_minor, c),
                        m.active_end,
                        m.new,
                        m.cancelled,
                        m.churn_rate
                            .map_or("—".into(), |r| format!("{:.1} %", r * 100.0))
                    ));
                }
                out.line("retention by start month (share still active at each month's end):");
                for k in &t.cohorts {
                    let shares: Vec<String> = k
                        .active
                        .iter()
                        .map(|a| {
                            if k.started == 0 {
                                "—".into()
                            } else {
                                format!("{:.0} %", *a as f64 * 100.0 / k.started as f64)
                            }
                        })
                        .collect();
                    out.line(format!(
                        "{} {:>4} started  {}",
                        k.month,
                        k.started,
                        shares.join("  ")
                    ));
                }
            });
        }
        Command::Calendar { month } => {
            let days = desk.subs_calendar(month)?;
            ctx.out.show(&serde_json::json!({ "days": days }), |out| {
                out.rows(&days, "no renewals that month", |d| {
                    let each: Vec<String> = d
                        .renewals
                        .iter()
                        .map(|r| {
                            format!(
                                "{} {} {}{}",
                                r.subscription,
                                r.customer,
                                money(r.price_minor, &r.currency),
                                if r.skipped { " (skipped)" } else { "" }
                            )
                        })
                        .collect();
                    out.line(format!("{}  {}", d.day, each.join("; ")))
                })
            });
        }
        Command::Boxes { month } => {
            let b = desk.subs_boxes(month)?;
            ctx.out.show(&b, |out| {
                for p in &b.plans {
                    out.line(format!("{:<20} {:>6} boxes", p.plan, p.boxes));
                }
                out.line(format!(
                    "{:<20} {:>6} boxes in {}",
                    "total", b.total, b.month
                ));
            });
        }
        Command::Setup { file } => {
            let setup = match file {
                Some(path) => desk.subs_setup_set(merchant_desk::toml_file::read(&path)?)?,
                None => desk.subs_setup()?,
            };
            ctx.out.show(&setup, |out| {
                out.line(format!("billing: {}", setup.billing));
                out.rows(
                    &setup.plans,
                    "no plan set up yet: `merchant-desk subs setup FILE`",
                    |p| {
                        out.line(format!(
                            "{:<16} rank {}  {} items a box from {}{}",
                            p.name,
                            p.rank,
                            p.items,
                            [p.categories.join(", "), p.products.join(", ")]
                                .into_iter()
                                .filter(|s| !s.is_empty())
                                .collect::<Vec<_>>()
                                .join("; "),
                            p.box_sku
                                .as_deref()
                                .map(|s| format!("  box product {s}"))
                                .unwrap_or_default()
                        ))
                    },
                );
            });
        }
        Command::Sync => {
            let r = desk.subs_sync()?;
            ctx.out.show(&r, |out| {
                out.line(format!(
                    "{} contracts: {} new or changed, {} as they were",
                    r.contracts, r.written, r.unchanged
                ));
                for why in &r.left_out {
                    out.line(format!("  left out: {why}"));
                }
            });
        }
        Command::PushPlans => {
            let p = desk.subs_push_plans()?;
            ctx.out.show(&p, |out| {
                out.line(format!(
                    "{} customers: {} changes confirmed, {} refused, {} already so; {} subscriptions have no customer in the shop",
                    p.customers, p.confirmed, p.failed, p.unchanged, p.unlinked
                ));
                for e in &p.errors {
                    out.line(format!("  refused: {e}"));
                }
                for b in &p.benefits {
                    out.line(format!(
                        "{:<24} {:<6} {} for {} customers{}",
                        b.code,
                        b.plan,
                        b.status,
                        b.customers,
                        if b.left_out > 0 {
                            format!(", {} items left out", b.left_out)
                        } else {
                            String::new()
                        }
                    ));
                    if let Some(m) = &b.message {
                        out.line(format!("  {m}"));
                    }
                }
            });
        }
        Command::Renew => {
            let r = desk.subs_renew()?;
            ctx.out.show(&r, |out| {
                for x in &r.renewals {
                    out.line(format!(
                        "{} {:<10} {:<22} {} {}{}",
                        x.cycle_on,
                        x.subscription,
                        x.customer,
                        money(x.price_minor, &x.currency),
                        x.outcome,
                        x.order
                            .as_deref()
                            .map(|o| format!(": order {o}"))
                            .or(x.error.as_deref().map(|e| format!(": {e}")))
                            .unwrap_or_default()
                    ));
                }
                for d in &r.dunning {
                    out.line(format!(
                        "{} {:<10} {:<22} dunning: {} after the last retry",
                        d.cycle_on, d.subscription, d.customer, d.action
                    ));
                }
                out.line(format!(
                    "{} billed, {} failed, {} processing, {} refused, {} waiting for a retry",
                    r.billed, r.failed, r.processing, r.refused, r.waiting
                ));
            });
        }
        Command::Curate { month } => {
            let c = desk.subs_curate(month)?;
            ctx.out.show(&c, |out| show_curation(out, &c));
        }
        Command::Picking { month, csv } => {
            let c = match csv {
                Some(path) => desk.subs_picking_csv(month, path)?,
                None => desk.subs_curation(month)?,
            };
            ctx.out.show(&c, |out| show_curation(out, &c));
        }
        Command::Forecast => {
            let f = desk.subs_forecast()?;
            ctx.out.show(&serde_json::json!({ "items": f }), |out| {
                out.line(format!(
                    "{:<10} {:>6} {:>6} {:>6} {:>7}  item",
                    "SKU", "7 d", "30 d", "60 d", "stock"
                ));
                out.rows(&f, "no boxes ahead: set up the plans' boxes first", |l| {
                    out.line(format!(
                        "{:<10} {:>6} {:>6} {:>6} {:>7}  {}",
                        l.sku,
                        l.days_7,
                        l.days_30,
                        l.days_60,
                        l.stock.map_or("—".into(), |s| s.to_string()),
                        l.title
                    ))
                });
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
