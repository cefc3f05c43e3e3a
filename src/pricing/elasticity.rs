//! Own-price elasticity from a shop's own history.
//!
//! Each variant's weekly units are modelled as Poisson with mean
//! `days · exp(a + ε · ln(price / typical price))`, fitted by iteratively
//! reweighted least squares (a Poisson GLM with a log link: weeks without a
//! sale count, unlike a regression of log units). The standard error is
//! scaled up by the Pearson dispersion when the weeks vary more than Poisson
//! allows. Estimates are then shrunk toward their category's, and the
//! category's toward the whole shop's (empirical Bayes, with the spread
//! between items estimated by DerSimonian–Laird), so an item whose price
//! barely moved leans on its prior. `docs/pricing-model.md` has the details.

use serde::Serialize;
use std::collections::BTreeMap;

/// One period of a variant's history: its price, the units sold, and the
/// number of days the period covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub price: f64,
    pub units: f64,
    pub days: f64,
}

/// An item's own fit, before shrinkage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub elasticity: f64,
    pub std_error: f64,
    pub observations: usize,
}

/// Fewer periods than this, or a price that moved less than this (standard
/// deviation of log price), give no fit of its own.
const MIN_OBSERVATIONS: usize = 4;
const MIN_LOG_PRICE_SD: f64 = 0.005;

/// Fits one item. `None` when its history cannot say anything: too few
/// periods, no sale, or a price that never moved.
pub fn fit(history: &[Observation]) -> Option<Fit> {
    let obs: Vec<&Observation> = history
        .iter()
        .filter(|o| o.price > 0.0 && o.days > 0.0 && o.units >= 0.0)
        .collect();
    let n = obs.len();
    if n < MIN_OBSERVATIONS || obs.iter().all(|o| o.units == 0.0) {
        return None;
    }
    let logp: Vec<f64> = obs.iter().map(|o| o.price.ln()).collect();
    let centre = logp.iter().sum::<f64>() / n as f64;
    let x: Vec<f64> = logp.iter().map(|l| l - centre).collect();
    let sd = (x.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
    if sd < MIN_LOG_PRICE_SD {
        return None;
    }
    let y: Vec<f64> = obs.iter().map(|o| o.units).collect();
    let offset: Vec<f64> = obs.iter().map(|o| o.days.ln()).collect();
    let total_days: f64 = obs.iter().map(|o| o.days).sum();
    let mut a = (y.iter().sum::<f64>() / total_days).ln();
    let mut b = 0.0;
    let mut info = [0.0; 3];
    for _ in 0..100 {
        let (mut sw, mut swx, mut swxx, mut swz, mut swxz) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let eta = (a + b * x[i] + offset[i]).clamp(-40.0, 40.0);
            let mu = eta.exp().max(1e-10);
            let z = a + b * x[i] + (y[i] - mu) / mu;
            sw += mu;
            swx += mu * x[i];
            swxx += mu * x[i] * x[i];
            swz += mu * z;
            swxz += mu * x[i] * z;
        }
        let det = sw * swxx - swx * swx;
        if det <= 0.0 || !det.is_finite() {
            return None;
        }
        let na = (swxx * swz - swx * swxz) / det;
        let nb = (sw * swxz - swx * swz) / det;
        let done = (nb - b).abs() < 1e-10 && (na - a).abs() < 1e-10;
        a = na;
        b = nb;
        info = [sw, swx, swxx];
        if done {
            break;
        }
    }
    let pearson: f64 = (0..n)
        .map(|i| {
            let mu = (a + b * x[i] + offset[i])
                .clamp(-40.0, 40.0)
                .exp()
                .max(1e-10);
            (y[i] - mu).powi(2) / mu
        })
        .sum();
    let dispersion = if n > 2 {
        (pearson / (n - 2) as f64).max(1.0)
    } else {
        1.0
    };
    let det = info[0] * info[2] - info[1] * info[1];
    let var_b = dispersion * info[0] / det;
    if !b.is_finite() || !var_b.is_finite() || var_b <= 0.0 {
        return None;
    }
    Some(Fit {
        elasticity: b,
        std_error: var_b.sqrt(),
        observations: n,
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
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    /// The posterior estimate, what the simulator uses.
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
}

/// One item to estimate.
#[derive(Debug, Clone)]
pub struct Item {
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    pub history: Vec<Observation>,
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
pub fn estimate(items: &[Item]) -> Vec<Estimate> {
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
            Estimate {
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
                    Observation {
                        price: p,
                        units: units as f64,
                        days: 7.0,
                    }
                })
                .collect();
            items.push(Item {
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
            assert_eq!(e.elasticity, e.prior);
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
    fn no_usable_history_at_all_falls_back_to_the_default_prior() {
        let items = vec![Item {
            sku: "A".into(),
            title: "A".into(),
            category: None,
            history: vec![],
        }];
        let e = &estimate(&items)[0];
        assert_eq!(e.elasticity, DEFAULT_PRIOR);
        assert!(e.prior_dominated);
    }
}
