//! The base demand model and its simulator (`docs/pricing-model.md`).
//!
//! Variant i with reference price p0 and baseline demand λ (units a day at
//! p0) sells, at price p, on day d, Poisson(λ · (p/p0)^ε · w(d)) units,
//! where w is the shop's day-of-week factor (mean 1), up to its remaining
//! stock. Monte Carlo over N seeded paths gives quantiles; the expected mode
//! gives the means directly.

use super::rng::Rng;
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

fn simulate_item(
    item: &ItemModel,
    price: i64,
    daily: &[f64],
    run: Run,
    totals: &mut Totals,
) -> ItemOutcome {
    let rate = item.rate_at(price);
    let rates: Vec<f64> = daily.iter().map(|w| rate * w).collect();
    // Poisson by inversion for small means (almost every item-day): the
    // chance of zero, precomputed.
    let zero: Vec<f64> = rates.iter().map(|r| (-r).exp()).collect();
    let margin = price - item.cost_minor.unwrap_or(0);
    let mut rng = Rng::new(run.seed, item.variant_id as u64);
    let mut units = Vec::with_capacity(run.paths);
    let mut out_days = Vec::new();
    for path in 0..run.paths {
        let mut left = item.stock.unwrap_or(i64::MAX).max(0);
        let mut sold_total = 0i64;
        let row = path * run.days;
        for d in 0..run.days {
            if left == 0 {
                break;
            }
            let r = rates[d];
            let demand = if r < 30.0 {
                let u = rng.uniform();
                if u <= zero[d] {
                    0
                } else {
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
                rng.poisson(r) as i64
            };
            if demand == 0 {
                continue;
            }
            let sold = demand.min(left);
            left -= sold;
            sold_total += sold;
            totals.units[row + d] += sold as f64;
            totals.revenue[row + d] += (sold * price) as f64;
            totals.profit[row + d] += (sold * margin) as f64;
            if left == 0 {
                out_days.push((d + 1) as f64);
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
    fn daily_factors(&self, days: usize) -> Vec<f64> {
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
        let chunk = self.items.len().div_ceil(threads).max(1);
        let parts: Vec<(Vec<ItemOutcome>, Totals)> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .items
                .chunks(chunk)
                .zip(prices.chunks(chunk))
                .map(|(items, prices)| {
                    let daily = &daily;
                    s.spawn(move || {
                        let mut totals = Totals::new(cells);
                        let outcomes = items
                            .iter()
                            .zip(prices)
                            .map(|(item, &p)| simulate_item(item, p, daily, run, &mut totals))
                            .collect();
                        (outcomes, totals)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("simulation thread"))
                .collect()
        });
        let mut items = Vec::with_capacity(self.items.len());
        let mut totals = Totals::new(cells);
        for (outcomes, t) in parts {
            items.extend(outcomes);
            totals.add(&t);
        }
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
        assert_eq!(prices.len(), self.items.len(), "one price per item");
        let daily = self.daily_factors(days);
        let mut cumulative_w = Vec::with_capacity(days);
        let mut acc = 0.0;
        for w in &daily {
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
            let mut previous = 0.0;
            for d in 0..days {
                let e = expected_min(rate * cumulative_w[d], stock);
                let sold = e - previous;
                previous = e;
                day_units[d] += sold;
                day_revenue[d] += sold * price as f64;
                day_profit[d] += sold * margin;
            }
            let total = previous;
            let lambda = rate * acc;
            let stockout_probability = match stock {
                Some(s) => poisson_tail(lambda, s),
                None => 0.0,
            };
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

/// E[min(D, s)] for D ~ Poisson(λ): Σ_{k<s} P(D > k); λ when s is out of reach.
pub fn expected_min(lambda: f64, stock: Option<i64>) -> f64 {
    let Some(s) = stock else { return lambda };
    if lambda <= 0.0 || s <= 0 {
        return 0.0;
    }
    if (s as f64) > lambda + 12.0 * lambda.sqrt() + 30.0 {
        return lambda;
    }
    // P(D = k) by recurrence in log space to survive large λ.
    let mut log_pk = -lambda;
    let mut cdf = 0.0;
    let mut sum = 0.0;
    for k in 0..s {
        if k > 0 {
            log_pk += lambda.ln() - (k as f64).ln();
        }
        cdf += log_pk.exp();
        sum += (1.0 - cdf).max(0.0);
    }
    sum
}

/// P(D ≥ s) for D ~ Poisson(λ).
pub fn poisson_tail(lambda: f64, s: i64) -> f64 {
    if s <= 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    let mut log_pk = -lambda;
    let mut cdf = 0.0;
    for k in 0..s {
        if k > 0 {
            log_pk += lambda.ln() - (k as f64).ln();
        }
        cdf += log_pk.exp();
        if cdf >= 1.0 {
            return 0.0;
        }
    }
    (1.0 - cdf).max(0.0)
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
        for (lambda, s) in [(3.0f64, 2), (10.0, 10), (50.0, 40), (0.5, 5)] {
            let mut direct = 0.0;
            let mut p = (-lambda).exp();
            for k in 0..400 {
                if k > 0 {
                    p *= lambda / k as f64;
                }
                direct += p * (k.min(s) as f64);
            }
            assert!(
                (expected_min(lambda, Some(s)) - direct).abs() < 1e-9,
                "{lambda} {s}"
            );
        }
    }
}
