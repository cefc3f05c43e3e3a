//! The base demand model and its simulator (`docs/pricing-model.md`).
//!
//! Variant i with reference price p0 and baseline demand λ (units a day at
//! p0) sells, at price p, on day d, Poisson(λ · (p/p0)^ε · w(d) · G)
//! units, where w is the shop's day-of-week factor (mean 1) and G is 1, or,
//! for an item whose weeks spread more than Poisson, a Gamma(k, 1/k) draw per
//! path and week (so a week's demand is negative binomial with size k; a
//! slow seller draws one multiplier for the horizon with the weeks' sizes
//! summed, which gives its total the same distribution), up to its remaining
//! stock. Monte Carlo over N seeded paths gives quantiles; the expected mode
//! gives the means directly.

use super::rng::{Ptrs, Rng};
use serde::Serialize;

/// One variant in the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemModel {
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    /// The reference price (today's), minor units.
    pub p0_minor: i64,
    pub cost_minor: Option<i64>,
    /// Units on hand; `None`: not tracked (never runs out).
    pub stock: Option<i64>,
    /// Units a day at p0, before the day-of-week factor.
    pub lambda: f64,
    pub elasticity: f64,
    /// The elasticity's standard error (after shrinkage).
    pub elasticity_se: f64,
    /// The lowest and highest weekly prices in force in weeks the item sold
    /// (minor units): outside them the demand curve is extrapolated.
    pub sold_prices: Option<(i64, i64)>,
    /// Negative binomial size of a week's demand (variance `m + m²/k`) where
    /// the item's weeks spread more than Poisson; `None`: Poisson.
    pub dispersion: Option<f64>,
    /// A promotion's lift beyond its price, as a factor (1: none seen);
    /// a sale's projection applies it, a plain price change does not.
    pub promo_lift: f64,
}

impl ItemModel {
    /// Units a day at `price` (before the day-of-week factor).
    pub fn rate_at(&self, price_minor: i64) -> f64 {
        if self.p0_minor <= 0 || price_minor <= 0 {
            return if price_minor <= 0 { 0.0 } else { self.lambda };
        }
        self.lambda * (price_minor as f64 / self.p0_minor as f64).powf(self.elasticity)
    }
}

/// The shop's model: its variants and its day-of-week pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub items: Vec<ItemModel>,
    /// Demand factor per weekday, Monday first, mean 1.
    pub weekday: [f64; 7],
    /// The first simulated day's weekday (0 = Monday).
    pub first_weekday: usize,
}

/// How to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub days: usize,
    pub paths: usize,
    pub seed: u64,
}

/// Mean and quantiles of a quantity over the paths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Quantiles {
    pub mean: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

impl Quantiles {
    /// From samples (sorted in place).
    pub fn of(samples: &mut [f64]) -> Quantiles {
        if samples.is_empty() {
            return Quantiles {
                mean: 0.0,
                p10: 0.0,
                p50: 0.0,
                p90: 0.0,
            };
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| {
            // Linear interpolation between closest ranks.
            let pos = p * (samples.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            samples[lo] + (samples[hi] - samples[lo]) * (pos - lo as f64)
        };
        Quantiles {
            mean: samples.iter().sum::<f64>() / samples.len() as f64,
            p10: q(0.1),
            p50: q(0.5),
            p90: q(0.9),
        }
    }

    /// A value that does not vary.
    pub fn exactly(v: f64) -> Quantiles {
        Quantiles {
            mean: v,
            p10: v,
            p50: v,
            p90: v,
        }
    }
}

/// One variant's simulated outcome. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemOutcome {
    pub variant_id: i64,
    pub sku: String,
    pub price_minor: i64,
    pub units: Quantiles,
    pub revenue: Quantiles,
    pub profit: Quantiles,
    pub stockout_probability: f64,
    /// Day (1-based) the stock ran out, over the paths where it did.
    pub stockout_day: Option<Quantiles>,
}

/// The shop's simulated outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub days: usize,
    pub paths: usize,
    pub items: Vec<ItemOutcome>,
    pub units: Quantiles,
    pub revenue: Quantiles,
    pub profit: Quantiles,
    /// Cumulative shop totals by the end of each day, for the fan chart.
    pub by_day: Vec<DayBand>,
}

/// The fan chart at one day: cumulative units, revenue and profit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct DayBand {
    pub day: usize,
    pub units: Quantiles,
    pub revenue: Quantiles,
    pub profit: Quantiles,
}

/// Per-path, per-day shop totals one worker accumulates.
struct Totals {
    units: Vec<f64>,
    revenue: Vec<f64>,
    profit: Vec<f64>,
}

impl Totals {
    fn new(n: usize) -> Totals {
        Totals {
            units: vec![0.0; n],
            revenue: vec![0.0; n],
            profit: vec![0.0; n],
        }
    }
    fn add(&mut self, other: &Totals) {
        for (a, b) in [
            (&mut self.units, &other.units),
            (&mut self.revenue, &other.revenue),
            (&mut self.profit, &other.profit),
        ] {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        }
    }
}

/// Below this mean daily demand a variant's paths are drawn as a horizon
/// total split over days, not day by day (the same distribution, fewer draws).
const SPARSE_RATE: f64 = 0.5;
/// Up to this daily mean a day's demand is drawn by inversion (a few steps);
/// above, by transformed rejection (constant time).
const DIRECT_RATE: f64 = 10.0;

fn simulate_item(
    item: &ItemModel,
    price: i64,
    daily: &[f64],
    run: Run,
    totals: &mut Totals,
) -> ItemOutcome {
    let rate = item.rate_at(price);
    let rates: Vec<f64> = daily.iter().map(|w| rate * w).collect();
    let mut cumulative = Vec::with_capacity(rates.len());
    let mut horizon = 0.0;
    for r in &rates {
        horizon += r;
        cumulative.push(horizon);
    }
    // Poisson by inversion for small means (almost every item-day): the
    // chance of zero, precomputed as a threshold on the raw 64 bits.
    let zero: Vec<f64> = rates.iter().map(|r| (-r).exp()).collect();
    let zero_bits: Vec<u64> = zero.iter().map(|z| (z * 2f64.powi(64)) as u64).collect();
    let ptrs: Vec<Option<Ptrs>> = rates
        .iter()
        .map(|&r| (r >= DIRECT_RATE).then(|| Ptrs::new(r)))
        .collect();
    let margin = price - item.cost_minor.unwrap_or(0);
    let mut rng = Rng::new(run.seed, item.variant_id as u64);
    let mut units = Vec::with_capacity(run.paths);
    let mut out_days = Vec::new();
    let sparse = run.days > 0 && horizon / (run.days as f64) < SPARSE_RATE;
    let mut arrivals: Vec<usize> = Vec::new();
    let sell = |totals: &mut Totals, cell: usize, sold: i64| {
        totals.units[cell] += sold as f64;
        totals.revenue[cell] += (sold * price) as f64;
        totals.profit[cell] += (sold * margin) as f64;
    };
    // Sells what a day's demand can take of the stock left; the day the
    // stock runs out is kept.
    let take = |totals: &mut Totals,
                left: &mut i64,
                sold_total: &mut i64,
                out_days: &mut Vec<f64>,
                cell: usize,
                day: usize,
                demand: i64| {
        let sold = demand.min(*left);
        *left -= sold;
        *sold_total += sold;
        sell(totals, cell, sold);
        if *left == 0 {
            out_days.push((day + 1) as f64);
        }
    };
    // An overdispersed item: one demand multiplier per path and week.
    let weeks = run.days.div_ceil(7);
    let mut shock = vec![1.0; weeks];
    for path in 0..run.paths {
        let stock = item.stock.unwrap_or(i64::MAX).max(0);
        let row = path * run.days;
        if let (Some(k), false) = (item.dispersion, sparse) {
            for g in shock.iter_mut() {
                *g = rng.gamma(k) / k;
            }
            let mut left = stock;
            let mut sold_total = 0i64;
            for (w, g) in shock.iter().enumerate() {
                if left == 0 {
                    break;
                }
                let (first, last) = (w * 7, ((w + 1) * 7).min(run.days));
                for (d, r) in rates.iter().enumerate().take(last).skip(first) {
                    let demand = rng.poisson(r * g) as i64;
                    if demand > 0 && left > 0 {
                        take(
                            totals,
                            &mut left,
                            &mut sold_total,
                            &mut out_days,
                            row + d,
                            d,
                            demand,
                        );
                    }
                }
            }
            units.push(sold_total as f64);
            continue;
        }
        if sparse {
            // A slow seller: the horizon's demand in one draw, each unit
            // placed on a day with chance r_d / Σr (a Poisson total split
            // this way gives independent Poisson days), days in order. An
            // overdispersed one: its weeks summed are negative binomial with
            // the weeks' sizes summed, so one multiplier for the horizon
            // gives its total.
            let g = item.dispersion.map_or(1.0, |k| {
                let size = k * run.days as f64 / 7.0;
                rng.gamma(size) / size
            });
            let demand = rng.poisson(horizon * g) as usize;
            arrivals.clear();
            for _ in 0..demand {
                let x = rng.uniform() * horizon;
                arrivals.push(cumulative.partition_point(|&c| c <= x).min(run.days - 1));
            }
            arrivals.sort_unstable();
            let sold = (demand as i64).min(stock) as usize;
            for &d in &arrivals[..sold] {
                sell(totals, row + d, 1);
            }
            if sold > 0 && sold as i64 == stock {
                out_days.push((arrivals[sold - 1] + 1) as f64);
            }
            units.push(sold as f64);
            continue;
        }
        let mut left = stock;
        let mut sold_total = 0i64;
        for d in 0..run.days {
            if left == 0 {
                break;
            }
            let r = rates[d];
            let demand = if r < DIRECT_RATE {
                let bits = rng.next_u64();
                if bits <= zero_bits[d] {
                    0
                } else {
                    let u = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
                    let (mut k, mut p, mut c) = (1i64, zero[d] * r, zero[d]);
                    c += p;
                    while u > c && p > 0.0 {
                        k += 1;
                        p *= r / k as f64;
                        c += p;
                    }
                    k
                }
            } else {
                ptrs[d].expect("set for every fast day").sample(&mut rng) as i64
            };
            if demand > 0 {
                take(
                    totals,
                    &mut left,
                    &mut sold_total,
                    &mut out_days,
                    row + d,
                    d,
                    demand,
                );
            }
        }
        units.push(sold_total as f64);
    }
    let stockout_probability = out_days.len() as f64 / run.paths.max(1) as f64;
    let units_q = Quantiles::of(&mut units);
    let scale = |q: Quantiles, by: f64| Quantiles {
        mean: q.mean * by,
        p10: q.p10 * by,
        p50: q.p50 * by,
        p90: q.p90 * by,
    };
    ItemOutcome {
        variant_id: item.variant_id,
        sku: item.sku.clone(),
        price_minor: price,
        units: units_q,
        // Revenue and profit are units times a constant per variant.
        revenue: scale(units_q, price as f64),
        profit: scale(units_q, margin as f64),
        stockout_probability,
        stockout_day: (!out_days.is_empty()).then(|| Quantiles::of(&mut out_days)),
    }
}

impl Model {
    /// The day-of-week factor of each of the next `days` days.
    pub fn daily_factors(&self, days: usize) -> Vec<f64> {
        (0..days)
            .map(|d| self.weekday[(self.first_weekday + d) % 7])
            .collect()
    }

    /// Monte Carlo over `run.paths` paths at `prices` (one per item, in
    /// order), on `threads` threads. The result depends on the seed only,
    /// not on the number of threads.
    pub fn simulate(&self, prices: &[i64], run: Run, threads: usize) -> Outcome {
        assert_eq!(prices.len(), self.items.len(), "one price per item");
        let daily = self.daily_factors(run.days);
        let cells = run.paths * run.days;
        let threads = threads.clamp(1, 16);
        // Workers take the next few variants as they finish (sales are very
        // uneven between variants); the sums are of whole minor units, exact
        // in any order, so the result does not depend on the split.
        const STEP: usize = 8;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let parts: Vec<(Vec<(usize, ItemOutcome)>, Totals)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (daily, next) = (&daily, &next);
                    s.spawn(move || {
                        let mut totals = Totals::new(cells);
                        let mut outcomes = Vec::new();
                        loop {
                            let from = next.fetch_add(STEP, std::sync::atomic::Ordering::Relaxed);
                            if from >= self.items.len() {
                                break;
                            }
                            let to = (from + STEP).min(self.items.len());
                            for (i, (item, &price)) in self.items[from..to]
                                .iter()
                                .zip(&prices[from..to])
                                .enumerate()
                            {
                                let o = simulate_item(item, price, daily, run, &mut totals);
                                outcomes.push((from + i, o));
                            }
                        }
                        (outcomes, totals)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("simulation thread"))
                .collect()
        });
        let mut indexed = Vec::with_capacity(self.items.len());
        let mut totals = Totals::new(cells);
        for (outcomes, t) in parts {
            indexed.extend(outcomes);
            totals.add(&t);
        }
        indexed.sort_by_key(|(i, _)| *i);
        let items: Vec<ItemOutcome> = indexed.into_iter().map(|(_, o)| o).collect();
        // Cumulative by day, per path, then quantiles across paths.
        let mut by_day = Vec::with_capacity(run.days);
        let mut cum = [
            vec![0.0; run.paths],
            vec![0.0; run.paths],
            vec![0.0; run.paths],
        ];
        for d in 0..run.days {
            for (k, series) in [&totals.units, &totals.revenue, &totals.profit]
                .into_iter()
                .enumerate()
            {
                for (p, c) in cum[k].iter_mut().enumerate() {
                    *c += series[p * run.days + d];
                }
            }
            by_day.push(DayBand {
                day: d + 1,
                units: Quantiles::of(&mut cum[0].clone()),
                revenue: Quantiles::of(&mut cum[1].clone()),
                profit: Quantiles::of(&mut cum[2].clone()),
            });
        }
        let last = by_day.last().copied();
        Outcome {
            days: run.days,
            paths: run.paths,
            items,
            units: last.map_or(Quantiles::exactly(0.0), |b| b.units),
            revenue: last.map_or(Quantiles::exactly(0.0), |b| b.revenue),
            profit: last.map_or(Quantiles::exactly(0.0), |b| b.profit),
            by_day,
        }
    }

    /// Expected values without sampling: E[min(D, stock)] for D Poisson with
    /// the horizon's total rate, exact; quantiles equal the mean.
    pub fn expected(&self, prices: &[i64], days: usize) -> Outcome {
        self.expected_over(prices, &self.daily_factors(days))
    }

    /// [`Model::expected`] over days of the given demand weights (1 is an
    /// average whole day; a part of a day or a quiet weekday weighs less).
    pub fn expected_over(&self, prices: &[i64], daily: &[f64]) -> Outcome {
        assert_eq!(prices.len(), self.items.len(), "one price per item");
        let days = daily.len();
        let mut cumulative_w = Vec::with_capacity(days);
        let mut acc = 0.0;
        for w in daily {
            acc += w;
            cumulative_w.push(acc);
        }
        let mut day_units = vec![0.0; days];
        let mut day_revenue = vec![0.0; days];
        let mut day_profit = vec![0.0; days];
        let mut items = Vec::with_capacity(self.items.len());
        let (mut units_t, mut revenue_t, mut profit_t) = (0.0, 0.0, 0.0);
        for (item, &price) in self.items.iter().zip(prices) {
            let rate = item.rate_at(price);
            let margin = (price - item.cost_minor.unwrap_or(0)) as f64;
            let stock = item.stock.map(|s| s.max(0));
            let lambda = rate * acc;
            // The horizon's total exactly; the days along the way as the
            // fluid path min(Λ_t, S), scaled to end on that total (exact
            // whenever the stock cannot bind).
            let (total, tail) = match stock {
                Some(s) => capped_poisson(lambda, s),
                None => (lambda, 0.0),
            };
            let fluid_end = stock.map_or(lambda, |s| lambda.min(s as f64));
            let scale = if fluid_end > 0.0 {
                total / fluid_end
            } else {
                0.0
            };
            let mut previous = 0.0;
            for d in 0..days {
                let fluid = rate * cumulative_w[d];
                let e = stock.map_or(fluid, |s| fluid.min(s as f64)) * scale;
                let sold = e - previous;
                previous = e;
                day_units[d] += sold;
                day_revenue[d] += sold * price as f64;
                day_profit[d] += sold * margin;
            }
            let stockout_probability = tail;
            units_t += total;
            revenue_t += total * price as f64;
            profit_t += total * margin;
            items.push(ItemOutcome {
                variant_id: item.variant_id,
                sku: item.sku.clone(),
                price_minor: price,
                units: Quantiles::exactly(total),
                revenue: Quantiles::exactly(total * price as f64),
                profit: Quantiles::exactly(total * margin),
                stockout_probability,
                stockout_day: None,
            });
        }
        let mut by_day = Vec::with_capacity(days);
        let (mut u, mut r, mut p) = (0.0, 0.0, 0.0);
        for d in 0..days {
            u += day_units[d];
            r += day_revenue[d];
            p += day_profit[d];
            by_day.push(DayBand {
                day: d + 1,
                units: Quantiles::exactly(u),
                revenue: Quantiles::exactly(r),
                profit: Quantiles::exactly(p),
            });
        }
        Outcome {
            days,
            paths: 0,
            items,
            units: Quantiles::exactly(units_t),
            revenue: Quantiles::exactly(revenue_t),
            profit: Quantiles::exactly(profit_t),
            by_day,
        }
    }
}

/// `(E[min(D, s)], P(D ≥ s))` for D ~ Poisson(λ). Exact up to terms below
/// e^-70: only the k within 12 standard deviations of λ are summed, starting
/// from ln P(D = k0) and stepping by the ratio λ/k.
fn capped_poisson(lambda: f64, s: i64) -> (f64, f64) {
    if s <= 0 {
        return (0.0, 1.0);
    }
    if lambda <= 0.0 {
        return (0.0, 0.0);
    }
    let spread = 12.0 * lambda.sqrt() + 30.0;
    if (s as f64) > lambda + spread {
        return (lambda, 0.0);
    }
    if (s as f64) < lambda - spread {
        return (s as f64, 1.0);
    }
    let k0 = (lambda - spread).floor().max(0.0) as i64;
    // Below k0, P(D > k) is 1 to within e^-70.
    let mut sum = k0.min(s) as f64;
    let mut p = (-lambda + k0 as f64 * lambda.ln() - super::rng::ln_factorial(k0 as f64)).exp();
    let mut cdf = 0.0;
    for k in k0..s {
        if k > k0 {
            p *= lambda / k as f64;
        }
        cdf += p;
        sum += (1.0 - cdf).max(0.0);
    }
    (sum, (1.0 - cdf).clamp(0.0, 1.0))
}

/// E[min(D, s)] for D ~ Poisson(λ) (λ when there is no stock limit).
pub fn expected_min(lambda: f64, stock: Option<i64>) -> f64 {
    match stock {
        Some(s) => capped_poisson(lambda, s).0,
        None => lambda,
    }
}

/// P(D ≥ s) for D ~ Poisson(λ).
pub fn poisson_tail(lambda: f64, s: i64) -> f64 {
    capped_poisson(lambda, s).1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, lambda: f64, elasticity: f64, stock: Option<i64>) -> ItemModel {
        ItemModel {
            variant_id: id,
            sku: format!("S{id}"),
            title: format!("Item {id}"),
            category: None,
            p0_minor: 1000,
            cost_minor: Some(600),
            stock,
            lambda,
            elasticity,
            elasticity_se: 0.1,
            sold_prices: Some((1000, 1000)),
            dispersion: None,
            promo_lift: 1.0,
        }
    }

    fn flat(items: Vec<ItemModel>) -> Model {
        Model {
            items,
            weekday: [1.0; 7],
            first_weekday: 0,
        }
    }

    #[test]
    fn mean_sales_without_stockouts_match_the_closed_form() {
        // λ·H·(p/p0)^ε, within Monte Carlo error (5 standard errors).
        let m = flat(vec![item(1, 3.0, -1.8, None), item(2, 0.4, -0.7, None)]);
        let run = Run {
            days: 60,
            paths: 4000,
            seed: 5,
        };
        let prices = [900, 1250];
        let out = m.simulate(&prices, run, 2);
        for (i, o) in out.items.iter().enumerate() {
            let expected =
                m.items[i].lambda * 60.0 * (prices[i] as f64 / 1000.0).powf(m.items[i].elasticity);
            let se = (expected / run.paths as f64).sqrt();
            assert!(
                (o.units.mean - expected).abs() < 5.0 * se,
                "{}: {} vs {expected}",
                o.sku,
                o.units.mean
            );
            assert_eq!(o.stockout_probability, 0.0);
            // Revenue and profit are exact multiples of the units.
            assert_eq!(o.revenue.mean, o.units.mean * prices[i] as f64);
            assert_eq!(o.profit.mean, o.units.mean * (prices[i] - 600) as f64);
            // And the expected mode says the same, exactly.
            let e = m.expected(&prices, 60);
            assert!((e.items[i].units.mean - expected).abs() < 1e-9);
        }
        let shop_mean: f64 = out.items.iter().map(|o| o.units.mean).sum();
        assert!((out.units.mean - shop_mean).abs() < 1e-6);
        assert!(out.units.p10 <= out.units.p50 && out.units.p50 <= out.units.p90);
    }

    #[test]
    fn an_overdispersed_item_sells_negative_binomial_weeks_around_the_same_mean() {
        // 28 days = 4 independent weeks of size k each: the total is
        // negative binomial with size 4k. A fast and a slow seller.
        use crate::pricing::forecast::quantile;
        for (lambda, k) in [(20.0, 2.0), (0.3, 0.8)] {
            let mut spread = item(1, lambda, -1.5, None);
            spread.dispersion = Some(k);
            let m = flat(vec![spread, item(2, lambda, -1.5, None)]);
            let run = Run {
                days: 28,
                paths: 20_000,
                seed: 5,
            };
            let out = m.simulate(&[1000, 1000], run, 2);
            let mean = lambda * 28.0;
            let (nb, poisson) = (&out.items[0].units, &out.items[1].units);
            let sd = (mean + mean * mean / (4.0 * k)).sqrt();
            assert!(
                (nb.mean - mean).abs() < 5.0 * sd / (20_000f64).sqrt(),
                "{lambda}: {nb:?}"
            );
            for (got, q) in [(nb.p10, 0.1), (nb.p90, 0.9)] {
                let want = quantile(mean, Some(4.0 * k), q);
                assert!(
                    (got - want).abs() <= (0.05 * want).max(1.0),
                    "{lambda} q{q}: {got} vs {want}"
                );
            }
            // The Poisson item beside it keeps its narrow band.
            let want = quantile(mean, None, 0.9);
            assert!(
                (poisson.p90 - want).abs() <= (0.05 * want).max(1.0),
                "{poisson:?}"
            );
            assert!(nb.p90 - nb.p10 > 1.5 * (poisson.p90 - poisson.p10));
        }
    }

    #[test]
    fn stock_caps_sales_and_the_expected_mode_agrees_with_sampling() {
        let m = flat(vec![item(3, 2.0, -1.0, Some(50))]);
        let run = Run {
            days: 30,
            paths: 4000,
            seed: 9,
        };
        let mc = m.simulate(&[1000], run, 1);
        let ex = m.expected(&[1000], 30);
        let o = &mc.items[0];
        assert!(o.units.p90 <= 50.0);
        // Demand 60 against 50 in stock: usually runs out, late in the month.
        assert!((o.stockout_probability - ex.items[0].stockout_probability).abs() < 0.03);
        assert!(o.stockout_probability > 0.8);
        let day = o.stockout_day.unwrap();
        assert!(day.p50 > 20.0 && day.p50 <= 30.0, "{day:?}");
        assert!(
            (o.units.mean - ex.items[0].units.mean).abs() < 0.2,
            "{} vs {}",
            o.units.mean,
            ex.items[0].units.mean
        );
    }

    #[test]
    fn seeded_runs_reproduce_exactly_whatever_the_threads() {
        let m = flat(
            (1..=9)
                .map(|i| item(i, i as f64 * 0.3, -1.2, Some(40)))
                .collect(),
        );
        let run = Run {
            days: 20,
            paths: 300,
            seed: 77,
        };
        let prices = vec![950; 9];
        let a = m.simulate(&prices, run, 1);
        let b = m.simulate(&prices, run, 3);
        assert_eq!(a, b);
        let c = m.simulate(&prices, Run { seed: 78, ..run }, 1);
        assert_ne!(a.units, c.units);
    }

    #[test]
    fn weekday_factors_shape_the_days() {
        let mut m = flat(vec![item(1, 1.0, -1.0, None)]);
        m.weekday = [0.0, 0.0, 0.0, 0.0, 0.0, 3.5, 3.5];
        let e = m.expected(&[1000], 7);
        assert_eq!(e.by_day[4].units.mean, 0.0);
        assert!((e.by_day[6].units.mean - 7.0).abs() < 1e-9);
    }

    #[test]
    fn expected_min_matches_a_direct_sum() {
        for (lambda, s) in [
            (3.0f64, 2),
            (10.0, 10),
            (50.0, 40),
            (0.5, 5),
            (300.0, 280),
            (300.0, 320),
        ] {
            let (mut direct, mut tail) = (0.0, 0.0);
            let mut p = (-lambda).exp();
            for k in 0..1000 {
                if k > 0 {
                    p *= lambda / k as f64;
                }
                direct += p * (k.min(s) as f64);
                if k >= s {
                    tail += p;
                }
            }
            assert!(
                (poisson_tail(lambda, s) - tail).abs() < 1e-9,
                "{lambda} {s}"
            );
            assert!(
                (expected_min(lambda, Some(s)) - direct).abs() < 1e-9,
                "{lambda} {s}"
            );
        }
    }
}
