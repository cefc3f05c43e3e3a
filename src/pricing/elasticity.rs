//! Own-price elasticity from a shop's own history.
//!
//! Each variant's weekly units are split by the kind of line they came on
//! (ordinary lines of account customers, wholesale-size lines, guests'
//! lines: see [`Band`]), and each band's weekly units are modelled as
//! Poisson with mean `days · exp(a_band + ε · ln(price / typical price) +
//! γ · promotion share)`, fitted by Newton's method (a Poisson GLM with a log
//! link: weeks without a sale count, unlike a regression of log units). The
//! price is the list price in force, never the average paid, so a week that
//! happened to bring a wholesale buyer's big order moves its band's level,
//! not the price response; `γ` is the lift of a promotion beyond its price
//! (publicity), with a N(0, 0.5²) prior so weeks whose price moved only in
//! promotions still say what they can. Each band's weeks are weighted by
//! their own overdispersion (a second pass with each band's Pearson
//! dispersion). Estimates are then shrunk toward their category's, and the
//! category's toward the whole shop's (empirical Bayes, with the spread
//! between items estimated by DerSimonian–Laird), so an item whose price
//! barely moved leans on its prior. `docs/pricing-model.md` has the details.

use serde::Serialize;
use std::collections::BTreeMap;

/// The kinds of line a variant's units are counted on, each with a level of
/// its own in the fit (order-size mix controlled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Account customers' lines of an ordinary size.
    Ordinary = 0,
    /// Account customers' wholesale-size lines (see `data::wholesale_size`).
    Wholesale = 1,
    /// Lines of orders without a customer account.
    Guest = 2,
}

/// The number of [`Band`]s.
pub const BANDS: usize = 3;

/// One week (or period) of a variant's history: the list price in force,
/// the units sold on each [`Band`] of lines, the days it covers and the
/// share of them under a promotion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub price: f64,
    pub units: [f64; BANDS],
    pub days: f64,
    /// The share of the period's days under a promotion, 0 to 1.
    pub promo: f64,
}

impl Observation {
    /// A period whose units all came on ordinary lines, without promotion.
    pub fn ordinary(price: f64, units: f64, days: f64) -> Observation {
        Observation {
            price,
            units: [units, 0.0, 0.0],
            days,
            promo: 0.0,
        }
    }

    pub fn total(&self) -> f64 {
        self.units.iter().sum()
    }
}

/// An item's own fit, before shrinkage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub elasticity: f64,
    pub std_error: f64,
    /// Periods fitted.
    pub observations: usize,
    /// Periods (partly) under a promotion.
    pub promo_weeks: usize,
    /// The promotion lift beyond the price, as a factor (1: none seen).
    pub promo_lift: f64,
}

/// Fewer periods than this, or a price that moved less than this (standard
/// deviation of log price), give no fit of its own.
const MIN_OBSERVATIONS: usize = 4;
const MIN_LOG_PRICE_SD: f64 = 0.005;
/// The prior standard deviation of the log promotion lift.
const PROMO_PRIOR_SD: f64 = 0.5;

/// Solves `a · x = b` for a small symmetric positive definite `a`
/// (Gaussian elimination with partial pivoting); `None` when singular.
#[allow(clippy::needless_range_loop)] // rows and columns of one matrix
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let k = b.len();
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-12 || !a[p][c].is_finite() {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..k {
            let f = a[r][c] / a[c][c];
            for j in c..k {
                a[r][j] -= f * a[c][j];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; k];
    for c in (0..k).rev() {
        let s: f64 = (c + 1..k).map(|j| a[c][j] * x[j]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Fits one item. `None` when its history cannot say anything: too few
/// periods, no sale, or a price that never moved.
#[allow(clippy::needless_range_loop)] // weeks index the price and the rows
pub fn fit(history: &[Observation]) -> Option<Fit> {
    let obs: Vec<&Observation> = history
        .iter()
        .filter(|o| o.price > 0.0 && o.days > 0.0 && o.units.iter().all(|u| *u >= 0.0))
        .collect();
    let n = obs.len();
    if n < MIN_OBSERVATIONS || obs.iter().all(|o| o.total() == 0.0) {
        return None;
    }
    let logp: Vec<f64> = obs.iter().map(|o| o.price.ln()).collect();
    let centre = logp.iter().sum::<f64>() / n as f64;
    let x: Vec<f64> = logp.iter().map(|l| l - centre).collect();
    let sd = (x.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
    if sd < MIN_LOG_PRICE_SD {
        return None;
    }
    let bands: Vec<usize> = (0..BANDS)
        .filter(|&b| obs.iter().any(|o| o.units[b] > 0.0))
        .collect();
    let promo_weeks = obs.iter().filter(|o| o.promo > 0.0).count();
    let with_promo = promo_weeks > 0;
    // Parameters: ε, then γ (with promotions), then one level per band.
    let first_band = 1 + usize::from(with_promo);
    let k = first_band + bands.len();
    let total_days: f64 = obs.iter().map(|o| o.days).sum();
    let mut theta = vec![0.0; k];
    for (j, &b) in bands.iter().enumerate() {
        theta[first_band + j] = (obs.iter().map(|o| o.units[b]).sum::<f64>() / total_days).ln();
    }
    let row = |i: usize, j: usize| -> Vec<f64> {
        let mut r = vec![0.0; k];
        r[0] = x[i];
        if with_promo {
            r[1] = obs[i].promo;
        }
        r[first_band + j] = 1.0;
        r
    };
    let mean = |theta: &[f64], r: &[f64], days: f64| -> f64 {
        let eta: f64 = r.iter().zip(theta).map(|(a, b)| a * b).sum::<f64>() + days.ln();
        eta.clamp(-40.0, 40.0).exp().max(1e-10)
    };
    let mut phi = vec![1.0; bands.len()];
    let mut hessian = vec![vec![0.0; k]; k];
    for pass in 0..2 {
        for _ in 0..100 {
            let mut h = vec![vec![0.0; k]; k];
            let mut g = vec![0.0; k];
            for i in 0..n {
                for (j, &b) in bands.iter().enumerate() {
                    let r = row(i, j);
                    let mu = mean(&theta, &r, obs[i].days);
                    let w = 1.0 / phi[j];
                    for p in 0..k {
                        g[p] += w * (obs[i].units[b] - mu) * r[p];
                        for q in 0..k {
                            h[p][q] += w * mu * r[p] * r[q];
                        }
                    }
                }
            }
            if with_promo {
                let prior = 1.0 / (PROMO_PRIOR_SD * PROMO_PRIOR_SD);
                h[1][1] += prior;
                g[1] -= prior * theta[1];
            }
            hessian = h.clone();
            let step = solve(h, g)?;
            let mut largest: f64 = 0.0;
            for (t, s) in theta.iter_mut().zip(&step) {
                let s = s.clamp(-5.0, 5.0);
                largest = largest.max(s.abs());
                *t += s;
            }
            if largest < 1e-10 {
                break;
            }
        }
        if pass == 1 {
            break;
        }
        // Each band's own overdispersion weights its weeks in the refit.
        for (j, &b) in bands.iter().enumerate() {
            let pearson: f64 = (0..n)
                .map(|i| {
                    let mu = mean(&theta, &row(i, j), obs[i].days);
                    (obs[i].units[b] - mu).powi(2) / mu
                })
                .sum();
            let free = n as f64 - 1.0 - (k - bands.len()) as f64 / bands.len() as f64;
            phi[j] = if free > 0.0 {
                (pearson / free).max(1.0)
            } else {
                1.0
            };
        }
    }
    // The variance of ε: the first diagonal entry of the inverse.
    let mut unit = vec![0.0; k];
    unit[0] = 1.0;
    let var_b = solve(hessian, unit)?[0];
    let b = theta[0];
    if !b.is_finite() || !var_b.is_finite() || var_b <= 0.0 {
        return None;
    }
    Some(Fit {
        elasticity: b,
        std_error: var_b.sqrt(),
        observations: n,
        promo_weeks,
        promo_lift: if with_promo { theta[1].exp() } else { 1.0 },
    })
}

/// The shop-wide prior when no item has a usable fit: typical of
/// discretionary retail goods.
pub const DEFAULT_PRIOR: f64 = -1.5;
/// The least spread assumed between items' true elasticities, so one
/// category's few items never pin each other.
const MIN_SPREAD: f64 = 0.3;

/// An item's estimate after shrinkage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Estimate {
    #[cfg_attr(test, ts(type = "number"))]
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    /// The posterior estimate, what the simulator uses: the mean of the
    /// item's posterior below zero (see [`below_zero`]).
    pub elasticity: f64,
    pub std_error: f64,
    /// Periods in the item's own fit (0: none).
    pub observations: usize,
    /// The item's own fit, before shrinkage.
    pub own: Option<f64>,
    pub own_std_error: Option<f64>,
    /// The prior it was shrunk toward (its category's, itself shrunk toward the shop's).
    pub prior: f64,
    /// The prior's share of the estimate, 0 to 1.
    pub prior_weight: f64,
    /// Whether the prior outweighs the item's own history.
    pub prior_dominated: bool,
    /// Weeks of its history (partly) under a promotion.
    pub promo_weeks: usize,
    /// A promotion's lift beyond its price, as a factor (1: none seen).
    pub promo_lift: f64,
}

/// One item to estimate.
#[derive(Debug, Clone)]
pub struct Item {
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    pub history: Vec<Observation>,
}

/// The standard normal distribution function, by the complementary error
/// function of W. J. Cody's rational approximations as given in Numerical
/// Recipes (`erfc` to about 1.2e-7 everywhere).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let erfc = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// The mean and standard deviation of N(`mean`, `sd`²) restricted to
/// values below zero: demand does not rise with price, so the estimate's
/// distribution is cut there and renormalised (never a pile-up at a clamp).
pub fn below_zero(mean: f64, sd: f64) -> (f64, f64) {
    if sd <= 0.0 || !sd.is_finite() {
        return (mean.min(0.0), sd.max(0.0));
    }
    let a = -mean / sd;
    // The inverse Mills ratio φ(a)/Φ(a); its asymptote where Φ underflows.
    let mills = if a < -8.0 {
        let a2 = a * a;
        -a / (1.0 - 1.0 / a2 + 3.0 / (a2 * a2))
    } else {
        let density = (-0.5 * a * a).exp() / (2.0 * std::f64::consts::PI).sqrt();
        density / normal_cdf(a)
    };
    let var = sd * sd * (1.0 - a * mills - mills * mills).max(1e-6);
    ((mean - sd * mills).min(-1e-6), var.sqrt())
}

/// A precision-weighted mean of `(estimate, std_error)` pairs and the
/// DerSimonian–Laird spread between them.
fn pool(fits: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    if fits.is_empty() {
        return None;
    }
    let w: Vec<f64> = fits.iter().map(|(_, s)| 1.0 / (s * s)).collect();
    let sw: f64 = w.iter().sum();
    let mean = fits.iter().zip(&w).map(|((e, _), w)| e * w).sum::<f64>() / sw;
    let q: f64 = fits
        .iter()
        .zip(&w)
        .map(|((e, _), w)| w * (e - mean).powi(2))
        .sum();
    let c = sw - w.iter().map(|w| w * w).sum::<f64>() / sw;
    let tau2 = if fits.len() > 1 && c > 0.0 {
        ((q - (fits.len() - 1) as f64) / c).max(0.0)
    } else {
        0.0
    };
    Some((mean, tau2.sqrt().max(MIN_SPREAD), (1.0 / sw).sqrt()))
}

/// Fits every item and shrinks each toward its category and the shop.
pub fn estimate<I: std::borrow::Borrow<Item>>(items: &[I]) -> Vec<Estimate> {
    let items: Vec<&Item> = items.iter().map(|i| i.borrow()).collect();
    let fits: Vec<Option<Fit>> = items.iter().map(|i| fit(&i.history)).collect();
    let usable = |f: &Option<Fit>| f.filter(|f| f.std_error < 2.0);
    let all: Vec<(f64, f64)> = fits
        .iter()
        .filter_map(|f| usable(f).map(|f| (f.elasticity, f.std_error)))
        .collect();
    let (shop_mean, spread) = match pool(&all) {
        Some((m, tau, _)) => (m.clamp(-4.0, -0.2), tau),
        None => (DEFAULT_PRIOR, 1.0),
    };
    // Each category's mean, shrunk toward the shop's by how much it knows.
    let mut by_category: BTreeMap<Option<&str>, Vec<(f64, f64)>> = BTreeMap::new();
    for (item, f) in items.iter().zip(&fits) {
        if let Some(f) = usable(f) {
            by_category
                .entry(item.category.as_deref())
                .or_default()
                .push((f.elasticity, (f.std_error.powi(2) + spread * spread).sqrt()));
        }
    }
    let category_prior: BTreeMap<Option<&str>, f64> = by_category
        .iter()
        .map(|(c, fits)| {
            let (m, _, se) = pool(fits).expect("non-empty");
            let (wc, ws) = (1.0 / (se * se), 1.0 / (spread * spread));
            (*c, (m * wc + shop_mean * ws) / (wc + ws))
        })
        .collect();
    items
        .iter()
        .zip(&fits)
        .map(|(item, f)| {
            let prior = category_prior
                .get(&item.category.as_deref())
                .copied()
                .unwrap_or(shop_mean);
            let wp = 1.0 / (spread * spread);
            let (elasticity, std_error, prior_weight) = match f {
                Some(f) => {
                    let wo = 1.0 / (f.std_error * f.std_error);
                    (
                        (f.elasticity * wo + prior * wp) / (wo + wp),
                        (1.0 / (wo + wp)).sqrt(),
                        wp / (wo + wp),
                    )
                }
                None => (prior, spread, 1.0),
            };
            let (elasticity, std_error) = below_zero(elasticity, std_error);
            Estimate {
                variant_id: item.variant_id,
                sku: item.sku.clone(),
                title: item.title.clone(),
                category: item.category.clone(),
                elasticity,
                std_error,
                observations: f.map_or(0, |f| f.observations),
                own: f.map(|f| f.elasticity),
                own_std_error: f.map(|f| f.std_error),
                prior,
                prior_weight,
                prior_dominated: prior_weight > 0.5,
                promo_weeks: f.map_or(0, |f| f.promo_weeks),
                promo_lift: f.map_or(1.0, |f| f.promo_lift),
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pricing::rng::Rng;

    /// A seeded shop history: `n` items in four categories with known
    /// elasticities, weekly prices moving within ±`swing` (log), Poisson
    /// daily demand. Returns the items and their true elasticities.
    pub fn synthetic(seed: u64, n: usize, weeks: usize, swing: f64) -> (Vec<Item>, Vec<f64>) {
        let mut rng = Rng::new(seed, 0);
        let mut items = Vec::new();
        let mut truth = Vec::new();
        for i in 0..n {
            let e = -0.5 - 2.0 * rng.uniform();
            let base = 2.0 + 38.0 * rng.uniform();
            let p0 = 1.0 + 20.0 * rng.uniform();
            let history = (0..weeks)
                .map(|_| {
                    let p = p0 * (swing * (2.0 * rng.uniform() - 1.0)).exp();
                    let rate = base * (p / p0).powf(e);
                    let units: u64 = (0..7).map(|_| rng.poisson(rate)).sum();
                    Observation::ordinary(p, units as f64, 7.0)
                })
                .collect();
            items.push(Item {
                variant_id: i as i64,
                sku: format!("SKU{i}"),
                title: format!("Item {i}"),
                category: Some(format!("Category {}", i % 4)),
                history,
            });
            truth.push(e);
        }
        (items, truth)
    }

    #[test]
    fn recovers_known_elasticities_where_prices_moved_enough() {
        let (items, truth) = synthetic(2026, 60, 104, 0.3);
        let estimates = estimate(&items);
        let mut checked = 0;
        for (e, t) in estimates.iter().zip(&truth) {
            // "Enough price variation": the item's own fit is tight.
            if e.own_std_error.is_some_and(|s| s <= 0.05) {
                checked += 1;
                assert!(
                    (e.elasticity - t).abs() <= 0.15,
                    "{}: estimated {:.3}, true {t:.3}",
                    e.sku,
                    e.elasticity
                );
                assert!(!e.prior_dominated);
            }
        }
        assert!(checked >= 20, "only {checked} items had enough variation");
    }

    #[test]
    fn an_item_whose_price_never_moved_leans_on_its_category() {
        let (mut items, _) = synthetic(7, 24, 52, 0.3);
        items[0].history.iter_mut().for_each(|o| o.price = 5.0);
        items[1].history.truncate(2);
        let estimates = estimate(&items);
        for e in &estimates[..2] {
            assert_eq!(e.observations, 0);
            assert_eq!(e.prior_weight, 1.0);
            assert!(e.prior_dominated);
            // The prior, cut below zero: a little further from zero.
            assert!(
                e.elasticity <= e.prior && e.elasticity > e.prior - 0.01,
                "{e:?}"
            );
        }
        // Its prior is its category's: the other items of category 0.
        let peers: Vec<f64> = estimates
            .iter()
            .filter(|e| e.category == items[0].category && e.own.is_some())
            .map(|e| e.own.unwrap())
            .collect();
        let lo = peers.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = peers.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert!(estimates[0].prior >= lo && estimates[0].prior <= hi);
    }

    #[test]
    fn little_variation_gives_a_wide_fit_pulled_to_the_prior() {
        let (items, _) = synthetic(9, 12, 52, 0.01);
        for e in estimate(&items) {
            assert!(e.prior_weight > 0.5, "{e:?}");
        }
    }

    #[test]
    fn the_estimate_is_the_posterior_cut_below_zero() {
        // Far below zero: unchanged.
        let (m, s) = below_zero(-3.0, 0.2);
        assert!((m + 3.0).abs() < 1e-9 && (s - 0.2).abs() < 1e-9);
        // At zero: the half-normal's mean −s·√(2/π) and sd s·√(1 − 2/π).
        let (m, s) = below_zero(0.0, 1.0);
        assert!(
            (m + (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-6,
            "{m}"
        );
        assert!(
            (s - (1.0 - 2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-6,
            "{s}"
        );
        // Far above zero: just below it, and tight, never positive.
        let (m, s) = below_zero(5.0, 0.5);
        assert!(m < 0.0 && m > -0.2, "{m}");
        assert!(s < 0.2, "{s}");
        // Monotone in the mean, against a numerical integral.
        let numeric = |mean: f64, sd: f64| {
            let (mut w, mut wx) = (0.0, 0.0);
            for i in 0..200_000 {
                let x = -20.0 + 20.0 * (i as f64 + 0.5) / 200_000.0;
                let d = (-0.5 * ((x - mean) / sd).powi(2)).exp();
                w += d;
                wx += d * x;
            }
            wx / w
        };
        for (mean, sd) in [(0.7, 1.4), (-0.5, 0.9), (2.0, 1.0)] {
            let (m, _) = below_zero(mean, sd);
            assert!((m - numeric(mean, sd)).abs() < 1e-4, "{mean} {sd}: {m}");
        }
    }

    #[test]
    fn no_usable_history_at_all_falls_back_to_the_default_prior() {
        let items = vec![Item {
            variant_id: 1,
            sku: "A".into(),
            title: "A".into(),
            category: None,
            history: vec![],
        }];
        let e = &estimate(&items)[0];
        assert_eq!((e.elasticity, e.std_error), below_zero(DEFAULT_PRIOR, 1.0));
        assert_eq!(e.prior, DEFAULT_PRIOR);
        assert!(e.prior_dominated);
    }
}
