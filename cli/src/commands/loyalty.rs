//! `merchant-desk loyalty …`: the loyalty programme.

use crate::context::Context;
use crate::output::money;
use merchant_desk::loyalty::programme::Programme;
use merchant_desk::loyalty::simulate::DEFAULT_REDEMPTION_RATE;
use merchant_desk::{toml_file, Error, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Store a programme file (TOML) as a draft, checked first.
    Create { file: PathBuf },
    /// List the stored programmes.
    List,
    /// Check a stored programme again and show it.
    Check { id: i64 },
    /// Make a draft the live programme (the one live before ends).
    Launch {
        id: i64,
        /// Why to launch although a reward can take an item below the
        /// margin floor.
        #[arg(long = "override")]
        override_reason: Option<String>,
    },
    /// Spend a member's points on a reward: a single-use code for them on
    /// the storefront, journaled (revert it to give the points back).
    Redeem { customer: String, reward: String },
    /// Every member's points and tier to the storefront (customer
    /// metafields loyalty.points and loyalty.tier, and a tier:NAME tag);
    /// only what changed, journaled.
    Push,
    /// The theme snippet that shows a logged-in customer their points and tier.
    Snippet,
    /// Import actions from a CSV (customer, action, at, reference), as
    /// `import loyalty-actions FILE` does.
    ImportEvents { file: PathBuf },
    /// Every member of the live programme as of the end of today.
    Members,
    /// One member's points, tier and ledger lines (external id or email).
    Member { customer: String },
    /// Award an action by hand (review, referral, profile, birthday, signup, social).
    Award {
        customer: String,
        action: String,
        /// Counts once per reference (default: each award counts).
        #[arg(long)]
        reference: Option<String>,
    },
    /// Replay one programme file, or two side by side, on the shop's last
    /// months of orders: points issued and outstanding, what they are
    /// worth, members per tier, the cost against revenue.
    Simulate {
        /// Programme files (TOML; one or two).
        #[arg(required = true, num_args = 1..=2)]
        files: Vec<PathBuf>,
        /// Months replayed, ending today.
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// The share of issued points that end up spent (0 to 1).
        #[arg(long, default_value_t = DEFAULT_REDEMPTION_RATE)]
        redemption_rate: f64,
    },
}

fn show_stored(ctx: &Context, p: &merchant_desk::loyalty::store::Stored) -> Result<()> {
    let tz = ctx.shop_desk()?.1.tz()?;
    let when =
        |utc: &str| merchant_desk::time::shop_time(utc, tz).unwrap_or_else(|_| utc.to_string());
    ctx.out.show(p, |out| {
        out.line(format!(
            "programme {} \"{}\": {}, created {}{}",
            p.id,
            p.programme.name,
            p.status,
            when(&p.created_at),
            p.launched_at
                .as_ref()
                .map_or(String::new(), |l| format!(", launched {}", when(l)))
        ));
        let tiers: Vec<String> = p
            .programme
            .tier
            .iter()
            .map(|t| format!("{} (from {} × {})", t.name, t.min_spend, t.multiplier))
            .collect();
        out.line(format!(
            "  {} points per 1.00 from {}; pending {} days; expiry {}; tiers: {}",
            p.programme.points_per_unit,
            p.programme.starts_on,
            p.programme.pending_days,
            p.programme
                .expiry_days
                .map_or("never".to_string(), |d| format!("{d} days")),
            if tiers.is_empty() {
                "none".to_string()
            } else {
                tiers.join(", ")
            }
        ));
        if let Some(why) = &p.floor_override {
            out.line(format!(
                "  runs although a reward can take an item below the margin floor: {why}"
            ));
        }
    });
    Ok(())
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    match command {
        Command::Create { file } => {
            let p = ctx
                .desk()
                .create_loyalty(toml_file::read::<Programme>(&file)?)?;
            show_stored(ctx, &p)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { id } => {
            let p = ctx.desk().check_loyalty(id)?;
            show_stored(ctx, &p)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Launch {
            id,
            override_reason,
        } => {
            let p = ctx.desk().launch_loyalty(id, override_reason)?;
            show_stored(ctx, &p)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Redeem { customer, reward } => {
            let r = ctx.desk().redeem_loyalty(customer, reward)?;
            ctx.out.show(&r, |out| {
                out.line(format!(
                    "{} spent {} points on {}: code {} (single use, for them only); {} points left",
                    r.customer, r.points, r.reward, r.code, r.balance
                ));
                out.line(format!(
                    "  journal entry {} ({}); revert it to take the code back and return the points",
                    r.entry.id, r.entry.status
                ));
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Push => {
            let p = ctx.desk().push_loyalty()?;
            ctx.out.show(&p, |out| {
                out.line(format!(
                    "\"{}\": {} members; {} values sent and confirmed, {} refused, {} already in the store",
                    p.programme, p.members, p.confirmed, p.failed, p.unchanged
                ));
                if let Some(b) = p.batch {
                    out.line(format!("  journal batch {b}"));
                }
                for e in &p.errors {
                    out.line(format!("  refused: {e}"));
                }
            });
            Ok(if p.failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Snippet => {
            let s = ctx.desk().loyalty_snippet()?;
            ctx.out.show(&s, |out| out.line(s.trim_end()));
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportEvents { file } => super::import::run(
            ctx,
            super::import::Args {
                kind: merchant_desk::import::ImportKind::LoyaltyActions,
                file,
            },
        ),
        Command::List => {
            let list = ctx.desk().loyalty_programmes()?;
            ctx.out.show(&list, |out| {
                out.rows(
                    &list,
                    "no loyalty programme yet: loyalty create FILE stores one",
                    |p| out.line(format!("{:>4}  {:<8} {}", p.id, p.status, p.programme.name)),
                );
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Members => {
            let m = ctx.desk().loyalty_members()?;
            ctx.out.show(&m, |out| {
                out.line(format!(
                    "\"{}\" as of the end of {}: {} members",
                    m.programme,
                    m.as_of,
                    m.members.len()
                ));
                out.line(format!(
                    "  {:<14} {:<10} {:>9} {:>9} {:>9} {:>9} {:>9}  badges",
                    "customer", "tier", "balance", "pending", "earned", "expired", "refunded"
                ));
                for x in &m.members {
                    out.line(format!(
                        "  {:<14} {:<10} {:>9} {:>9} {:>9} {:>9} {:>9}  {}",
                        x.customer,
                        x.tier,
                        x.balance,
                        x.pending,
                        x.earned + x.awarded,
                        x.expired,
                        x.taken_back,
                        x.badges.join(", ")
                    ));
                }
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Award {
            customer,
            action,
            reference,
        } => {
            let kind = merchant_desk::loyalty::programme::ActionKind::parse(&action)?;
            let m = ctx.desk().award_loyalty(customer, kind, reference)?;
            ctx.out.show(&m, |out| {
                let x = &m.member;
                out.line(format!(
                    "{}: {} points to spend, {} pending, {} awarded in all",
                    x.customer, x.balance, x.pending, x.awarded
                ));
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Member { customer } => {
            let (desk, shop) = ctx.shop_desk()?;
            let tz = shop.tz()?;
            let m = desk.loyalty_member(customer)?;
            ctx.out.show(&m, |out| {
                let x = &m.member;
                out.line(format!(
                    "{}: {}, {} points to spend, {} pending; earned {}, awarded {}, redeemed {}, expired {}, taken back {} ({} unrecovered)",
                    x.customer, x.tier, x.balance, x.pending, x.earned, x.awarded, x.redeemed, x.expired, x.taken_back, x.unrecovered
                ));
                for l in &m.lines {
                    out.line(format!(
                        "  {}  {:<12} {:>+8}  {}",
                        l.entry.at.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
                        serde_json::to_value(l.entry.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(|k| k.replace('_', " ")))
                            .unwrap_or_default(),
                        l.entry.points,
                        l.what
                    ));
                }
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            files,
            months,
            redemption_rate,
        } => {
            let programmes = files
                .iter()
                .map(|f| toml_file::read::<Programme>(f))
                .collect::<Result<Vec<_>>>()?;
            if programmes.len() == 2 && programmes[0].name == programmes[1].name {
                return Err(Error::InvalidArgument(
                    "the two programmes have the same name: rename one to tell them apart".into(),
                ));
            }
            let sims = ctx
                .desk()
                .simulate_loyalty(programmes.clone(), months, redemption_rate)?;
            ctx.out.show(&sims, |out| {
                for s in &sims {
                    let c = &s.currency;
                    out.line(format!(
                        "\"{}\" replayed from {} to {}: {} members, {} orders earning",
                        s.name, s.from, s.to, s.members, s.earning_orders
                    ));
                    out.line(format!(
                        "  points: {} earned, {} awarded, {} taken back by refunds ({} already spent or expired), {} expired; {} outstanding",
                        s.earned, s.awarded, s.taken_back, s.unrecovered, s.expired, s.outstanding
                    ));
                    for l in &s.liability {
                        match l.value_minor {
                            Some(v) => out.line(format!(
                                "  outstanding points at \"{}\": {}",
                                l.reward,
                                money(v, c)
                            )),
                            None => out.line(format!(
                                "  \"{}\" has no fixed value per point (a percentage or free shipping)",
                                l.reward
                            )),
                        }
                    }
                    match (s.redemption_cost_minor, s.cost_share) {
                        (Some(cost), Some(share)) => out.line(format!(
                            "  redeeming {:.0} % of the points issued costs {}: {:.2} % of the {} merchandise revenue",
                            s.redemption_rate * 100.0,
                            money(cost, c),
                            share * 100.0,
                            money(s.revenue_minor, c)
                        )),
                        (Some(cost), None) => out.line(format!(
                            "  redeeming {:.0} % of the points issued costs {}",
                            s.redemption_rate * 100.0,
                            money(cost, c)
                        )),
                        _ => out.line("  no reward with an amount off: no cost to put on the points"),
                    }
                    out.line(format!(
                        "  {:<10} {:>10} {:>12}  members by tier ({})",
                        "month end",
                        "issued",
                        "outstanding",
                        s.tiers.join(" / ")
                    ));
                    for m in &s.monthly {
                        out.line(format!(
                            "  {:<10} {:>10} {:>12}  {}",
                            m.day,
                            m.issued,
                            m.outstanding,
                            m.members_by_tier
                                .iter()
                                .map(|n| n.to_string())
                                .collect::<Vec<_>>()
                                .join(" / ")
                        ));
                    }
                }
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}
