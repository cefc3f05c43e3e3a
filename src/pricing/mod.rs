//! Dynamic pricing: per-variant signals, elasticity from the shop's own
//! history, the base demand model and its simulator.

pub mod data;
pub mod elasticity;
pub mod forecast;
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
use std::collections::HashMap;

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
    let prices = data::weekly_prices(conn, shop, today, weeks)?;
    let items: Vec<elasticity::Item> = data::weekly_items(
        data::variants(conn, shop)?,
        &sales,
        &prices,
        today,
        today,
        weeks,
    )
    .into_iter()
    .map(|w| w.item)
    .collect();
    Ok(elasticity::estimate(&items))
}

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
pub(crate) fn model_elasticity(e: f64) -> f64 {
    e.clamp(-6.0, -0.1)
}

/// Weeks ahead the model's level is forecast for (what-if and sale
/// horizons are mostly a few weeks).
pub const LEVEL_WEEKS: usize = 4;

/// The price effect the forecast applies between two prices, kept within
/// ×5 either way so one odd week cannot dominate.
fn price_factor(price: f64, reference: f64, elasticity: f64) -> f64 {
    if price <= 0.0 || reference <= 0.0 {
        return 1.0;
    }
    (price / reference).powf(elasticity).clamp(0.2, 5.0)
}

/// The factor a week's promotion share `promo` multiplies demand by.
fn promo_factor(lift: f64, promo: f64) -> f64 {
    lift.powf(promo)
}

/// An item's weekly units as they would have been at `reference` without a
/// promotion: each week divided by its price effect (a week at a lower
/// price sold more) and by its promotion's lift.
fn at_reference_price(
    units: &[f64],
    listed: &[Option<data::Week>],
    reference: f64,
    elasticity: f64,
    promo_lift: f64,
) -> Vec<f64> {
    let mut last: Option<f64> = None;
    units
        .iter()
        .zip(listed)
        .map(|(u, w)| {
            last = w.and_then(|w| w.price).or(last);
            let promo = w.map_or(0.0, |w| w.promo);
            u / last.map_or(1.0, |p| price_factor(p, reference, elasticity))
                / promo_factor(promo_lift, promo)
        })
        .collect()
}

/// Each item's weeks up to `to` taken to its reference price, with the
/// elasticity and the reference used: the last price in force up to `to`
/// (`None`: its list price today).
struct Adjusted {
    /// Units sold each week, as sold.
    units: Vec<f64>,
    /// The same weeks taken to the reference price, without promotions.
    weeks: Vec<f64>,
    elasticity: f64,
    promo_lift: f64,
    reference: f64,
    /// The lowest and highest weekly price in force in weeks it sold.
    sold_prices: Option<(i64, i64)>,
}

fn adjusted_items(
    weekly: &[data::Weekly],
    estimates: &[elasticity::Estimate],
    last_price_as_reference: bool,
) -> Vec<Adjusted> {
    weekly
        .iter()
        .zip(estimates)
        .map(|(w, e)| {
            let elasticity = model_elasticity(e.elasticity);
            let reference = if last_price_as_reference {
                w.listed.iter().rev().find_map(|l| l.and_then(|l| l.price))
            } else {
                None
            }
            .unwrap_or(w.variant.price_minor as f64);
            let sold: Vec<f64> = w
                .units
                .iter()
                .zip(&w.listed)
                .filter_map(|(u, l)| l.and_then(|l| l.price).filter(|_| *u > 0.0))
                .collect();
            let sold_prices = (!sold.is_empty()).then(|| {
                let lo = sold.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = sold.iter().copied().fold(0.0, f64::max);
                (lo.round() as i64, hi.round() as i64)
            });
            let weeks =
                at_reference_price(&w.units, &w.listed, reference, elasticity, e.promo_lift);
            Adjusted {
                weeks,
                units: w.units.clone(),
                elasticity,
                promo_lift: e.promo_lift,
                reference,
                sold_prices,
            }
        })
        .collect()
}

/// The items' adjusted weeks summed: the shop's weeks at reference prices,
/// so price moves are no trend.
fn adjusted_totals(items: &[Adjusted]) -> Vec<f64> {
    let mut totals = vec![0.0; HISTORY_WEEKS as usize];
    for item in items {
        for (t, u) in totals.iter_mut().zip(&item.weeks) {
            *t += u;
        }
    }
    totals
}

/// The shop's demand factor ahead (see [`forecast::shop_factor`]): the trend
/// of `trend_totals` (see [`adjusted_totals`]), last year's season from two
/// years of raw totals ending `to`.
fn shop_factor_of(
    trend_totals: &[f64],
    sales: &data::DailySales,
    to: chrono::NaiveDate,
    h: usize,
) -> f64 {
    forecast::shop_factor(trend_totals, &shop_weeks(sales, to, 2 * HISTORY_WEEKS), h)
}

/// Each category's trend over the shop's, half believed: the damped trend of
/// its items' adjusted weeks summed (see [`forecast::shop_factor`]) over the
/// shop's, square-rooted (a category's few items say less than the shop's
/// many, so its own trend is shrunk halfway to the shop's).
fn category_factors(
    weekly: &[data::Weekly],
    items: &[Adjusted],
    shop_totals: &[f64],
    h: usize,
) -> HashMap<Option<String>, f64> {
    let mut totals: HashMap<Option<String>, Vec<f64>> = HashMap::new();
    for (w, a) in weekly.iter().zip(items) {
        let t = totals
            .entry(w.variant.category.clone())
            .or_insert_with(|| vec![0.0; HISTORY_WEEKS as usize]);
        for (t, u) in t.iter_mut().zip(&a.weeks) {
            *t += u;
        }
    }
    let shop_trend = forecast::shop_factor(shop_totals, &[], h);
    totals
        .into_iter()
        .map(|(c, t)| (c, (forecast::shop_factor(&t, &[], h) / shop_trend).sqrt()))
        .collect()
}

/// The shop's weekly merchandise units, oldest first, over the `weeks`
/// weeks ending `to`.
fn shop_weeks(sales: &data::DailySales, to: chrono::NaiveDate, weeks: i64) -> Vec<f64> {
    let mut totals = vec![0.0; weeks as usize];
    for rows in sales.values() {
        for (t, u) in totals
            .iter_mut()
            .zip(data::weekly_units(Some(rows), to, weeks))
        {
            *t += u;
        }
    }
    totals
}

/// What the model is made of, fitted on the 52 weeks up to `cut` (today for
/// the model, the start of the hold-out for the back-test): the sales read
/// (two years before `cut`, for last year's season, and the days after it),
/// the weekly prices in force, every variant's estimate and adjusted weeks,
/// and the shop's factor for `h` weeks ahead.
struct Fitted {
    sales: data::DailySales,
    prices: data::WeeklyPrices,
    variants: Vec<data::Variant>,
    estimates: Vec<elasticity::Estimate>,
    adjusted: Vec<Adjusted>,
    shop_factor: f64,
    /// Each category's own trend against the shop's (see [`category_factors`]).
    category_factor: HashMap<Option<String>, f64>,
}

fn fit(
    conn: &Connection,
    shop: &Shop,
    today: chrono::NaiveDate,
    cut: chrono::NaiveDate,
    last_price_as_reference: bool,
    h: usize,
) -> Result<Fitted> {
    let after = (today - cut).num_days() / 7;
    // One read of the sales and one of the weekly prices: the estimates,
    // the levels and the weekday pattern all come from them.
    let sales = data::daily_sales(conn, shop, today, (2 * HISTORY_WEEKS + after) * 7)?;
    let prices = data::weekly_prices(conn, shop, today, HISTORY_WEEKS + after)?;
    let weekly = data::weekly_items(
        data::variants(conn, shop)?,
        &sales,
        &prices,
        today,
        cut,
        HISTORY_WEEKS,
    );
    let estimates = elasticity::estimate(&weekly.iter().map(|w| &w.item).collect::<Vec<_>>());
    let adjusted = adjusted_items(&weekly, &estimates, last_price_as_reference);
    let variants: Vec<data::Variant> = weekly.iter().map(|w| w.variant.clone()).collect();
    let totals = adjusted_totals(&adjusted);
    let shop_factor = shop_factor_of(&totals, &sales, cut, h);
    let category_factor = category_factors(&weekly, &adjusted, &totals, h);
    Ok(Fitted {
        sales,
        prices,
        variants,
        estimates,
        adjusted,
        shop_factor,
        category_factor,
    })
}

/// Builds the demand model from the history ending on the shop's today.
pub fn build(conn: &Connection, shop: &Shop, now: DateTime<Utc>) -> Result<Built> {
    use chrono::Datelike;
    let today = shop.today(now)?;
    let Fitted {
        sales,
        variants,
        estimates,
        adjusted,
        shop_factor,
        category_factor,
        ..
    } = fit(conn, shop, today, today, false, LEVEL_WEEKS)?;
    let items = variants
        .iter()
        .zip(&adjusted)
        .zip(&estimates)
        .map(|((v, a), e)| {
            let level = forecast::level(&a.weeks, LEVEL_WEEKS);
            model::ItemModel {
                variant_id: v.id,
                sku: v.sku.clone(),
                title: v.title.clone(),
                category: v.category.clone(),
                p0_minor: v.price_minor,
                cost_minor: v.cost_minor,
                stock: v.stock,
                lambda: level.weekly
                    * shop_factor
                    * category_factor.get(&v.category).copied().unwrap_or(1.0)
                    / 7.0,
                promo_lift: a.promo_lift,
                elasticity: a.elasticity,
                elasticity_se: e.std_error,
                sold_prices: a.sold_prices,
                dispersion: level.dispersion,
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

/// One held-out week of an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestWeek {
    /// The week's first day (the day after the cut, then every 7 days).
    pub week_start: String,
    pub actual: i64,
    pub forecast: f64,
}

/// An item's held-out weeks: what it sold, what the model forecast, the
/// naive forecast, and the model's 80 % band for the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestItem {
    pub sku: String,
    pub title: String,
    pub actual: i64,
    pub forecast: f64,
    /// Units of the same number of weeks before the cut.
    pub naive: i64,
    pub p10: f64,
    pub p90: f64,
    pub weekly: Vec<BacktestWeek>,
}

/// A back-test of the model: the last `weeks` whole weeks before the shop's
/// today held out, forecast from the data up to `cut` and the prices in
/// force during the held-out weeks (never the average paid), against
/// "the same as the `weeks` weeks before".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub weeks: i64,
    /// The last day the forecast may use; the hold-out runs from the day
    /// after to `to`.
    pub cut: String,
    pub to: String,
    /// Σ|actual − forecast| / Σ actual over the items' held-out totals.
    pub model_wape: f64,
    pub naive_wape: f64,
    /// The WAPE of a plain reference: the average of four simple forecasts
    /// (naive, exponential smoothing, ADIDA, IMAPA) of the raw weeks,
    /// without prices, trend or season.
    pub reference_wape: f64,
    /// Σ|actual − forecast| / Σ actual over every item's held-out weeks,
    /// for the model and for the flat naive forecast (each week the average
    /// week of the `weeks` weeks before the cut).
    pub model_weekly_wape: f64,
    pub naive_weekly_wape: f64,
    /// The share of held-out item-weeks whose units fall inside the
    /// model's p10–p90 band for that week.
    pub coverage_p10_p90: f64,
    /// Merchandise variants sold in the 52 weeks up to the cut or in the
    /// hold-out, by SKU.
    pub items: Vec<BacktestItem>,
}

/// Holds out the last `weeks` weeks and scores the model's forecast of each
/// item against the naive one.
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
    let h = weeks as usize;
    let Fitted {
        sales,
        prices,
        variants,
        adjusted,
        shop_factor,
        category_factor,
        ..
    } = fit(conn, shop, today, cut, true, h)?;
    let mut out = Backtest {
        weeks,
        cut: cut.to_string(),
        to: today.to_string(),
        model_wape: 0.0,
        naive_wape: 0.0,
        reference_wape: 0.0,
        model_weekly_wape: 0.0,
        naive_weekly_wape: 0.0,
        coverage_p10_p90: 0.0,
        items: Vec::new(),
    };
    let (mut model_week_err, mut naive_week_err) = (0.0, 0.0);
    let (mut actual_total, mut model_err, mut naive_err) = (0i64, 0.0, 0.0);
    let mut reference_err = 0.0;
    let (mut covered, mut item_weeks) = (0usize, 0usize);
    for (v, a) in variants.iter().zip(&adjusted) {
        let history = &a.units;
        let held = data::weekly_units(sales.get(&v.id), today, weeks);
        if history.iter().all(|&u| u == 0.0) && held.iter().all(|&u| u == 0.0) {
            continue;
        }
        let (elasticity, reference) = (a.elasticity, a.reference);
        let level = forecast::level(&a.weeks, h);
        let ahead = data::window(prices.get(&v.id), today, today, weeks);
        let mut price = Some(reference);
        let mut item = BacktestItem {
            sku: v.sku.clone(),
            title: v.title.clone(),
            actual: held.iter().sum::<f64>() as i64,
            forecast: 0.0,
            naive: history[history.len() - h..].iter().sum::<f64>() as i64,
            p10: 0.0,
            p90: 0.0,
            weekly: Vec::with_capacity(h),
        };
        for (w, &units) in held.iter().enumerate() {
            price = ahead[w].and_then(|a| a.price).or(price);
            let promo = ahead[w].map_or(0.0, |a| a.promo);
            let mean = level.weekly
                * shop_factor
                * category_factor.get(&v.category).copied().unwrap_or(1.0)
                * price.map_or(1.0, |p| price_factor(p, reference, elasticity))
                * promo_factor(a.promo_lift, promo);
            let size = forecast::predictive_size(mean, level.dispersion);
            let (lo, hi) = (
                forecast::quantile(mean, size, 0.1),
                forecast::quantile(mean, size, 0.9),
            );
            item_weeks += 1;
            model_week_err += (units - mean).abs();
            naive_week_err += (units - item.naive as f64 / h as f64).abs();
            if (lo..=hi).contains(&units) {
                covered += 1;
            }
            item.forecast += mean;
            item.weekly.push(BacktestWeek {
                week_start: (cut + chrono::Days::new(1 + 7 * w as u64)).to_string(),
                actual: units as i64,
                forecast: mean,
            });
        }
        // Weeks independent: the horizon's size is the weeks' sizes summed.
        let total_k = forecast::predictive_size(item.forecast / h as f64, level.dispersion)
            .map(|k| k * h as f64);
        item.p10 = forecast::quantile(item.forecast, total_k, 0.1);
        item.p90 = forecast::quantile(item.forecast, total_k, 0.9);
        actual_total += item.actual;
        model_err += (item.actual as f64 - item.forecast).abs();
        naive_err += (item.actual - item.naive).abs() as f64;
        reference_err +=
            (item.actual as f64 - forecast::simple_average(history, h) * h as f64).abs();
        out.items.push(item);
    }
    out.items.sort_by(|a, b| a.sku.cmp(&b.sku));
    if actual_total > 0 {
        out.model_wape = model_err / actual_total as f64;
        out.naive_wape = naive_err / actual_total as f64;
        out.reference_wape = reference_err / actual_total as f64;
        out.model_weekly_wape = model_week_err / actual_total as f64;
        out.naive_weekly_wape = naive_week_err / actual_total as f64;
    }
    if item_weeks > 0 {
        out.coverage_p10_p90 = covered as f64 / item_weeks as f64;
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
    /// Its standard error: the UI shows the estimate as `ε ± se`.
    pub elasticity_se: f64,
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
                        elasticity_se: built.model.items[i].elasticity_se,
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
