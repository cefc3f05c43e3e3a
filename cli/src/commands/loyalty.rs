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

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    match command {
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
                .simulate_loyalty(&programmes, months, redemption_rate)?;
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
