//! Dynamic pricing: per-variant signals, elasticity from the shop's own
//! history, the base demand model and its simulator.

pub mod data;
pub mod elasticity;
pub mod model;
pub mod proposals;
pub mod rng;
pub mod rules;
pub mod scenario;
pub mod signals;

use crate::error::Result;
use crate::store::Shop;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

/// Weeks of history the elasticity estimates read by default.
pub const HISTORY_WEEKS: i64 = 52;

/// Every merchandise variant's elasticity, from the `weeks` weeks ending on
/// the shop's today.
pub fn elasticities(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
    weeks: i64,
) -> Result<Vec<elasticity::Estimate>> {
    if !(4..=520).contains(&weeks) {
        return Err(crate::Error::InvalidArgument(
            "weeks of history must be between 4 and 520".into(),
        ));
    }
    let today = shop.today(now)?;
    let sales = data::daily_sales(conn, shop, today, weeks * 7)?;
    let items: Vec<elasticity::Item> =
        data::weekly_items(data::variants(conn, shop)?, &sales, today, weeks)
            .into_iter()
            .map(|(_, item)| item)
            .collect();
    Ok(elasticity::estimate(&items))
}

/// Days of recent sales the baseline demand λ is read from.
pub const BASELINE_DAYS: i64 = 28;

/// The shop's demand model as of today, with what it was built from.
#[derive(Debug, Clone)]
pub struct Built {
    pub variants: Vec<data::Variant>,
    pub estimates: Vec<elasticity::Estimate>,
    pub model: model::Model,
    pub today: chrono::NaiveDate,
}

/// Units sold per weekday (Monday first) in `sales`, as factors with mean 1
/// (all 1 without sales).
fn weekday_factors(sales: &data::DailySales) -> [f64; 7] {
    use chrono::Datelike;
    let mut units = [0.0f64; 7];
    for rows in sales.values() {
        for (day, u, _) in rows {
            units[day.weekday().num_days_from_monday() as usize] += *u as f64;
        }
    }
    let mean = units.iter().sum::<f64>() / 7.0;
    if mean > 0.0 {
        units.map(|u| u / mean)
    } else {
        [1.0; 7]
    }
}

/// The elasticity the model uses: the estimate, kept downward-sloping and
/// within what retail demand shows.
fn model_elasticity(e: f64) -> f64 {
    e.clamp(-6.0, -0.1)
}

/// Builds the demand model from the history ending on the shop's today.
pub fn build(conn: &Connection, shop: &Shop, now: DateTime<Utc>) -> Result<Built> {
    use chrono::Datelike;
    let today = shop.today(now)?;
    // One read of the year's sales: the weekly histories, the recent
    // baseline and the weekday pattern all come from it.
    let sales = data::daily_sales(conn, shop, today, HISTORY_WEEKS * 7)?;
    let weekly = data::weekly_items(data::variants(conn, shop)?, &sales, today, HISTORY_WEEKS);
    let (variants, items): (Vec<data::Variant>, Vec<elasticity::Item>) = weekly.into_iter().unzip();
    let estimates = elasticity::estimate(&items);
    let items = variants
        .iter()
        .zip(&estimates)
        .map(|(v, e)| {
            let (units, _) = data::sum_back(sales.get(&v.id), today, BASELINE_DAYS, 0);
            model::ItemModel {
                variant_id: v.id,
                sku: v.sku.clone(),
                title: v.title.clone(),
                category: v.category.clone(),
                p0_minor: v.price_minor,
                cost_minor: v.cost_minor,
                stock: v.stock,
                lambda: units as f64 / BASELINE_DAYS as f64,
                elasticity: model_elasticity(e.elasticity),
            }
        })
        .collect();
    let model = model::Model {
        items,
        weekday: weekday_factors(&sales),
        first_weekday: (today.weekday().num_days_from_monday() as usize + 1) % 7,
    };
    Ok(Built {
        variants,
        estimates,
        model,
        today,
    })
}

/// The velocity window the rules read, in days (the middle of the signals'
/// default windows).
pub const RULE_WINDOWS: [i64; 3] = [7, 28, 90];

/// What `rules` propose for the shop today: the signals (and, for the
/// optimiser, the demand model) of every merchandise variant, bounded by
/// the guardrails, with items in a live promotion held.
pub fn suggest(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
    rules: &rules::RuleSet,
) -> Result<rules::Suggestions> {
    rules.checked(&shop.currency)?;
    let signals = signals::signals(conn, shop, now, &RULE_WINDOWS)?;
    let promotions = data::live_promotions(conn, now)?;
    let built = match rules.mode {
        rules::Mode::Rules => None,
        _ => Some(build(conn, shop, now)?),
    };
    if let Some(b) = &built {
        // Both come from `data::variants`, in its order.
        if b.variants.len() != signals.len()
            || b.variants
                .iter()
                .zip(&signals)
                .any(|(v, s)| v.id != s.variant_id)
        {
            return Err(crate::Error::InvalidArgument(
                "the catalog changed while the suggestions were made; try again".into(),
            ));
        }
    }
    let inputs: Vec<rules::Input> = signals
        .iter()
        .map(|s| rules::Input {
            variant_id: s.variant_id,
            signal: s,
            velocity: s.velocity[1],
            in_promotion: promotions.get(&s.variant_id).cloned(),
        })
        .collect();
    rules::suggest(
        rules,
        &inputs,
        built.as_ref().map(|b| &b.model),
        &shop.currency,
    )
}

/// A back-test of the base model: what it forecast for the last `weeks`
/// weeks at the prices actually charged, against "the same as the `weeks`
/// weeks before".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub weeks: i64,
    /// The held-out days.
    pub from: String,
    pub to: String,
    /// Products with a sale in either window.
    pub products: usize,
    pub actual_units: i64,
    pub model_units: f64,
    pub naive_units: i64,
    /// Σ|actual − forecast| / Σ actual, over products.
    pub model_wape: f64,
    pub naive_wape: f64,
}

/// Holds out the last `weeks` weeks and scores the model's forecast of each
/// product's units against the naive one.
pub fn backtest(
    conn: &Connection,
    shop: &Shop,
    now: DateTime<Utc>,
    weeks: i64,
) -> Result<Backtest> {
    if !(1..=26).contains(&weeks) {
        return Err(crate::Error::InvalidArgument(
            "hold out between 1 and 26 weeks".into(),
        ));
    }
    let today = shop.today(now)?;
    let cut = today - chrono::Days::new((weeks * 7) as u64);
    // One read: the year before the cut (for the estimates and the window
    // before it) and the held-out weeks after it.
    let sales = data::daily_sales(conn, shop, today, (HISTORY_WEEKS + weeks) * 7)?;
    let weekly = data::weekly_items(data::variants(conn, shop)?, &sales, cut, HISTORY_WEEKS);
    let (variants, items): (Vec<data::Variant>, Vec<elasticity::Item>) = weekly.into_iter().unzip();
    let estimates = elasticity::estimate(&items);
    let mut out = Backtest {
        weeks,
        from: (cut + chrono::Days::new(1)).to_string(),
        to: today.to_string(),
        products: 0,
        actual_units: 0,
        model_units: 0.0,
        naive_units: 0,
        model_wape: 0.0,
        naive_wape: 0.0,
    };
    let (mut model_err, mut naive_err) = (0.0, 0.0);
    for (v, e) in variants.iter().zip(&estimates) {
        let rows = sales.get(&v.id);
        let (actual, actual_gross) = data::sum_back(rows, today, weeks * 7, 0);
        let (pre, pre_gross) = data::sum_back(rows, cut, weeks * 7, 0);
        if actual == 0 && pre == 0 {
            continue;
        }
        let pre_price = if pre > 0 && pre_gross > 0 {
            pre_gross as f64 / pre as f64
        } else {
            v.price_minor as f64
        };
        let charged = if actual > 0 && actual_gross > 0 {
            actual_gross as f64 / actual as f64
        } else {
            pre_price
        };
        let forecast = pre as f64 * (charged / pre_price).powf(model_elasticity(e.elasticity));
        out.products += 1;
        out.actual_units += actual;
        out.model_units += forecast;
        out.naive_units += pre;
        model_err += (actual as f64 - forecast).abs();
        naive_err += (actual - pre).abs() as f64;
    }
    if out.actual_units > 0 {
        out.model_wape = model_err / out.actual_units as f64;
        out.naive_wape = naive_err / out.actual_units as f64;
    }
    Ok(out)
}

/// Quantiles of an amount, as decimal strings in major units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct MoneyQuantiles {
    pub mean: String,
    pub p10: String,
    pub p50: String,
    pub p90: String,
}

impl MoneyQuantiles {
    fn of(q: model::Quantiles, currency: &str) -> MoneyQuantiles {
        let f = |v: f64| crate::money::format_major(v.round() as i64, currency);
        MoneyQuantiles {
            mean: f(q.mean),
            p10: f(q.p10),
            p50: f(q.p50),
            p90: f(q.p90),
        }
    }
}

/// Units, revenue and profit over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Totals {
    pub units: model::Quantiles,
    pub revenue: MoneyQuantiles,
    pub profit: MoneyQuantiles,
}

/// One changed variant in a simulation report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ItemReport {
    pub sku: String,
    pub title: String,
    pub current_price: String,
    pub price: String,
    pub elasticity: f64,
    pub units: model::Quantiles,
    pub revenue: MoneyQuantiles,
    pub profit: MoneyQuantiles,
    pub stockout_probability: f64,
    /// The same at current prices, same seed.
    pub baseline_units: model::Quantiles,
    pub baseline_profit: MoneyQuantiles,
}

/// `price simulate`: the scenario against current prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SimulationReport {
    pub name: String,
    pub days: usize,
    /// 0: expected values, no sampling.
    pub paths: usize,
    #[cfg_attr(test, ts(type = "number"))]
    pub seed: u64,
    pub total: Totals,
    pub baseline: Totals,
    /// The variants whose price the scenario changes.
    pub items: Vec<ItemReport>,
    /// Cumulative units, revenue and profit (minor units) by day, for the
    /// fan chart; not printed by the CLI.
    #[serde(skip)]
    pub by_day: Vec<model::DayBand>,
    #[serde(skip)]
    pub baseline_by_day: Vec<model::DayBand>,
}

/// Simulates `scenario` and current prices over `days` (`paths` = 0: the
/// expected mode).
pub fn simulate(
    built: &Built,
    scenario: &scenario::Scenario,
    currency: &str,
    run: model::Run,
    threads: usize,
) -> Result<SimulationReport> {
    let prices = scenario.prices(&built.variants, currency)?;
    simulate_prices(built, &scenario.name, &prices, currency, run, threads)
}

/// Simulates new `prices` (one per variant of `built`, in order) and
/// current prices.
pub fn simulate_prices(
    built: &Built,
    name: &str,
    prices: &[i64],
    currency: &str,
    run: model::Run,
    threads: usize,
) -> Result<SimulationReport> {
    let mut reports = simulate_many(
        built,
        &[(name.to_string(), prices.to_vec())],
        currency,
        run,
        threads,
        &mut |_, _| Ok(()),
    )?;
    Ok(reports.remove(0))
}

/// Simulates several sets of prices against current prices, each with the
/// same seed. Current prices are simulated once and serve as every
/// scenario's baseline (and as the outcome of a scenario that changes
/// nothing). `step(done, total)` hears before each simulation; an error
/// from it (a cancel) stops the run there.
pub fn simulate_many(
    built: &Built,
    scenarios: &[(String, Vec<i64>)],
    currency: &str,
    run: model::Run,
    threads: usize,
    step: &mut dyn FnMut(usize, usize) -> Result<()>,
) -> Result<Vec<SimulationReport>> {
    if !(1..=365).contains(&run.days) {
        return Err(crate::Error::InvalidArgument(
            "simulate between 1 and 365 days".into(),
        ));
    }
    if run.paths > 100_000 {
        return Err(crate::Error::InvalidArgument(
            "at most 100,000 paths".into(),
        ));
    }
    let current: Vec<i64> = built.variants.iter().map(|v| v.price_minor).collect();
    for (_, prices) in scenarios {
        // A product may be free today; a scenario may not make one free.
        if prices.len() != current.len()
            || prices
                .iter()
                .zip(&current)
                .any(|(p, c)| *p < 0 || (*p == 0 && *c != 0))
        {
            return Err(crate::Error::InvalidArgument(
                "every changed product needs a price above zero".into(),
            ));
        }
    }
    let go = |p: &[i64]| {
        if run.paths == 0 {
            built.model.expected(p, run.days)
        } else {
            built.model.simulate(p, run, threads)
        }
    };
    let current_prices = current.clone();
    let runs = 1 + scenarios
        .iter()
        .filter(|(_, p)| *p != current_prices)
        .count();
    step(0, runs)?;
    let base = go(&current);
    let mut done = 1;
    // Every changed scenario, simulated in turn, each step reported.
    let mut outcomes: Vec<Option<model::Outcome>> = Vec::with_capacity(scenarios.len());
    for (_, prices) in scenarios {
        if *prices == current {
            outcomes.push(None);
        } else {
            step(done, runs)?;
            outcomes.push(Some(go(prices)));
            done += 1;
        }
    }
    step(done, runs)?;
    let totals = |o: &model::Outcome| Totals {
        units: o.units,
        revenue: MoneyQuantiles::of(o.revenue, currency),
        profit: MoneyQuantiles::of(o.profit, currency),
    };
    let money = |m: i64| crate::money::format_major(m, currency);
    Ok(scenarios
        .iter()
        .zip(&outcomes)
        .map(|((name, prices), simulated)| {
            let new = simulated.as_ref().unwrap_or(&base);
            let items = (0..prices.len())
                .filter(|&i| prices[i] != current[i])
                .map(|i| {
                    let (o, b) = (&new.items[i], &base.items[i]);
                    ItemReport {
                        sku: built.variants[i].sku.clone(),
                        title: built.variants[i].title.clone(),
                        current_price: money(current[i]),
                        price: money(prices[i]),
                        elasticity: built.model.items[i].elasticity,
                        units: o.units,
                        revenue: MoneyQuantiles::of(o.revenue, currency),
                        profit: MoneyQuantiles::of(o.profit, currency),
                        stockout_probability: o.stockout_probability,
                        baseline_units: b.units,
                        baseline_profit: MoneyQuantiles::of(b.profit, currency),
                    }
                })
                .collect();
            SimulationReport {
                name: name.clone(),
                by_day: new.by_day.clone(),
                baseline_by_day: base.by_day.clone(),
                days: run.days,
                paths: run.paths,
                seed: run.seed,
                total: totals(new),
                baseline: totals(&base),
                items,
            }
        })
        .collect())
}
