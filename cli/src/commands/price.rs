//! `merchant-desk price …`: signals, elasticities, the back-test, what-if
//! simulations, suggestions and proposals.

use crate::context::Context;
use crate::output::{money, money_text, Output};
use merchant_desk::pricing::model::Run;
use merchant_desk::pricing::proposals::{Proposal, Take};
use merchant_desk::pricing::rules::RuleSet;
use merchant_desk::pricing::scenario::Scenario;
use merchant_desk::service::ScenarioSource;
use merchant_desk::toml_file;
use merchant_desk::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Per-product signals: stock, velocity, days of cover, trend, margin.
    Signals {
        /// Velocity windows in days, ending today.
        #[arg(long, value_delimiter = ',', default_value = "7,28,90")]
        windows: Vec<i64>,
    },
    /// Simulate a scenario file (TOML), or a proposal, against current prices.
    Simulate {
        /// A scenario file (TOML).
        #[arg(
            long,
            required_unless_present = "proposal",
            conflicts_with = "proposal"
        )]
        scenario: Option<PathBuf>,
        /// Or a stored proposal's prices (its items not rejected).
        #[arg(long)]
        proposal: Option<i64>,
        /// Days ahead.
        #[arg(long, default_value_t = 30)]
        days: usize,
        /// Monte Carlo paths; 0 gives expected values without sampling.
        #[arg(long, default_value_t = 1000)]
        paths: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Hold out the last weeks and score the demand model's forecast.
    Backtest {
        #[arg(long, default_value_t = 4)]
        weeks: i64,
    },
    /// Propose prices from a rule set (TOML; default: the app's first saved
    /// set, else the starter rules) and store the proposal.
    Suggest {
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Push a proposal's prices (all but those rejected in the app) as one
    /// journaled batch; `journal revert ID --batch` undoes it.
    Apply { proposal: i64 },
    /// List the proposals, or show one.
    Proposals {
        /// Show this proposal with its items and reasons.
        id: Option<i64>,
    },
    /// Each product's own-price elasticity from the shop's history.
    Elasticity {
        /// Weeks of history ending today.
        #[arg(long, default_value_t = merchant_desk::pricing::HISTORY_WEEKS)]
        weeks: i64,
    },
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    let (desk, shop) = ctx.shop_desk()?;
    let c = shop.currency.as_str();
    match command {
        Command::Signals { windows } => {
            let rows = desk.signals(&windows)?;
            ctx.out.show(&serde_json::json!({ "items": rows }), |out| {
                if rows.is_empty() {
                    out.line("no products yet: import the shop's products and orders first");
                    return;
                }
                let days: Vec<String> = windows.iter().map(|w| format!("{w} d")).collect();
                out.line(format!(
                    "{:<10} {:>12}  {:>7}  {:>7}  {:>20}  {:>7}  {:>7}  {:>12}  {:>11}  title",
                    "sku",
                    "price",
                    "margin",
                    "stock",
                    format!("sold a day ({})", days.join("/")),
                    "cover",
                    "trend",
                    "cheapest rival",
                    "views/carts"
                ));
                for r in &rows {
                    let opt =
                        |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("—".to_string(), f);
                    out.line(format!(
                        "{:<10} {:>12}  {:>7}  {:>7}  {:>20}  {:>7}  {:>7}  {:>12}  {:>11}  {}",
                        r.sku,
                        money(r.price_minor, c),
                        r.margin_bp
                            .map_or("—".into(), |m| format!("{:.1}%", m as f64 / 100.0)),
                        r.stock.map_or("—".into(), |s| s.to_string()),
                        r.velocity
                            .iter()
                            .map(|v| format!("{v:.2}"))
                            .collect::<Vec<_>>()
                            .join("/"),
                        opt(r.days_of_cover, &|d| format!("{d:.0} d")),
                        opt(r.trend, &|t| format!("{:+.0}%", t * 100.0)),
                        r.competitor_min_minor.map_or("—".into(), |m| money(m, c)),
                        match (r.views, r.add_to_carts) {
                            (Some(v), Some(a)) => format!("{v}/{a}"),
                            _ => "—".into(),
                        },
                        r.title
                    ));
                }
            });
        }
        Command::Simulate {
            scenario,
            proposal,
            days,
            paths,
            seed,
        } => {
            let source = match (scenario, proposal) {
                (Some(path), _) => ScenarioSource::Changes {
                    scenario: toml_file::read::<Scenario>(&path)?,
                },
                (None, Some(id)) => ScenarioSource::Proposal { id },
                (None, None) => unreachable!("the arguments require one"),
            };
            let report = desk.simulate(source, Run { days, paths, seed })?;
            ctx.out.show(&report, |out| {
                out.line(format!(
                    "{}: {} days, {}",
                    report.name,
                    report.days,
                    if paths == 0 {
                        "expected values".to_string()
                    } else {
                        format!("{paths} paths, seed {seed}")
                    }
                ));
                let m = |s: &str| money_text(s, c);
                for (label, t) in [("current prices", &report.baseline), ("scenario", &report.total)] {
                    out.line(format!(
                        "  {label:<15} units {:>10.0} (p10 {:.0}, p90 {:.0})  revenue {} (p10 {}, p90 {})  profit {} (p10 {}, p90 {})",
                        t.units.mean, t.units.p10, t.units.p90,
                        m(&t.revenue.mean), m(&t.revenue.p10), m(&t.revenue.p90),
                        m(&t.profit.mean), m(&t.profit.p10), m(&t.profit.p90)
                    ));
                }
                for i in &report.items {
                    out.line(format!(
                        "  {:<10} {} → {}: units {:.1} → {:.1}, profit {} → {}, stock-out {:.0}%",
                        i.sku,
                        m(&i.current_price),
                        m(&i.price),
                        i.baseline_units.mean,
                        i.units.mean,
                        m(&i.baseline_profit.mean),
                        m(&i.profit.mean),
                        i.stockout_probability * 100.0
                    ));
                }
            });
        }
        Command::Backtest { weeks } => {
            let b = desk.backtest(weeks)?;
            ctx.out.show(&b, |out| {
                let actual: i64 = b.items.iter().map(|i| i.actual).sum();
                let forecast: f64 = b.items.iter().map(|i| i.forecast).sum();
                let naive: i64 = b.items.iter().map(|i| i.naive).sum();
                out.line(format!(
                    "held out the {} weeks after {} to {}: {} products, {} units sold",
                    b.weeks, b.cut, b.to, b.items.len(), actual
                ));
                out.line(format!(
                    "model WAPE {:.3} ({:.0} units forecast), naive WAPE {:.3} ({} units), simple average {:.3}; {:.0} % of product-weeks inside the model's 80 % band",
                    b.model_wape, forecast, b.naive_wape, naive, b.reference_wape, b.coverage_p10_p90 * 100.0
                ));
                out.line(format!(
                    "week by week: model WAPE {:.3}, flat naive (the average week before) {:.3}",
                    b.model_weekly_wape, b.naive_weekly_wape
                ));
                let mut worst: Vec<_> = b.items.iter().collect();
                worst.sort_by(|x, y| {
                    let e = |i: &&merchant_desk::pricing::BacktestItem| (i.actual as f64 - i.forecast).abs();
                    e(y).total_cmp(&e(x))
                });
                out.line("the ten worst forecasts:".to_string());
                out.line(format!(
                    "  {:<10} {:<36} {:>8} {:>10} {:>8} {:>17}",
                    "SKU", "product", "actual", "forecast", "naive", "80 % band"
                ));
                for i in worst.iter().take(10) {
                    out.line(format!(
                        "  {:<10} {:<36} {:>8} {:>10.0} {:>8} {:>8.0} – {:<6.0}",
                        i.sku,
                        i.title.chars().take(36).collect::<String>(),
                        i.actual,
                        i.forecast,
                        i.naive,
                        i.p10,
                        i.p90
                    ));
                }
            });
        }
        Command::Suggest { rules } => {
            let rules = match rules {
                Some(path) => toml_file::read::<RuleSet>(&path)?,
                None => desk.default_rules()?,
            };
            let proposal = desk.suggest_prices(rules)?;
            ctx.out
                .show(&proposal, |out| print_proposal(out, &proposal, c));
        }
        Command::Apply { proposal } => {
            let p = desk.apply_proposal_taking(proposal, Take::NotRejected)?;
            ctx.out.show(&p, |out| print_proposal(out, &p, c));
        }
        Command::Proposals { id: Some(id) } => {
            let p = desk.proposal(id)?;
            ctx.out.show(&p, |out| print_proposal(out, &p, c));
        }
        Command::Proposals { id: None } => {
            let list = desk.proposals()?;
            ctx.out
                .show(&serde_json::json!({ "proposals": list }), |out| {
                    out.rows(
                        &list,
                        "no proposals yet: `merchant-desk price suggest` makes one",
                        |p| {
                            out.line(format!(
                                "{:>5}  {}  {:<8} {:<9} {:>5} prices  {}",
                                p.id,
                                p.created_at,
                                p.mode.name(),
                                p.status,
                                p.items,
                                p.name
                            ))
                        },
                    )
                });
        }
        Command::Elasticity { weeks } => {
            let items = desk.elasticities(weeks)?;
            ctx.out.show(&serde_json::json!({ "items": items }), |out| {
                if items.is_empty() {
                    out.line("no product has enough sales history for an estimate");
                    return;
                }
                out.line(format!(
                    "{:<10} {:>10} {:>9} {:>6} {:>7}  title",
                    "sku", "elasticity", "std err", "weeks", "prior"
                ));
                for e in &items {
                    out.line(format!(
                        "{:<10} {:>10.2} {:>9.2} {:>6} {:>6.0}%  {}",
                        e.sku,
                        e.elasticity,
                        e.std_error,
                        e.observations,
                        e.prior_weight * 100.0,
                        e.title
                    ));
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_proposal(out: &Output, p: &Proposal, currency: &str) {
    out.line(format!(
        "proposal {} \"{}\" ({}, {}): {} prices, {} held{}",
        p.id,
        p.name,
        p.mode.name(),
        p.status,
        p.items.len(),
        p.held.len(),
        p.batch.map_or(String::new(), |b| format!(
            "; journal batch {b} (undo: merchant-desk journal revert {b} --batch)"
        ))
    ));
    for i in &p.items {
        out.line(format!(
            "  {:<10} {:>10} → {:>10}  {:<9} {}",
            i.sku,
            money(i.current_minor, currency),
            money(i.proposed_minor, currency),
            i.status,
            i.title
        ));
        for r in &i.reasons {
            out.line(format!("      {:?}: {}", r.source, r.text));
        }
        if let Some(e) = &i.error {
            out.line(format!("      error: {e}"));
        }
    }
}
