//! The baseline: how many units an item sells in an ordinary week from now,
//! at the price it had, from its weekly history alone; and how much a week
//! varies around that (`docs/pricing-model.md`).
//!
//! One simple forecast misleads on a small shop's data, where most items
//! sell a few units some weeks and none in others, and a wholesale buyer's
//! order now and then sells a hundred. The level is a combination measured
//! on the shop's own back-test: half the mean of four simple forecasts
//! (the average of the last weeks, simple exponential smoothing, ADIDA and
//! IMAPA: Croston-style aggregation for intermittent demand) and half the
//! median of the last four weeks, which a single large order does not move.
//! The shop's trend (its growth or decline in total, damped) is applied to
//! every item's level; so is last year's season once the shop has more
//! than a year of weeks. A week varies around the level as a negative
//! binomial where the item's weeks show more spread than Poisson, with the
//! dispersion estimated from its own weeks.

/// Smoothing weight of the exponential smoothing (and inside ADIDA and IMAPA).
const ALPHA: f64 = 0.5;
/// Weeks of the recent median.
const MEDIAN_WEEKS: usize = 4;
/// Weeks the item's spread is measured over (since its first sale).
const SPREAD_WEEKS: usize = 26;
/// Half the shop's trend is believed.
const TREND_DAMPING: f64 = 0.5;
/// Weeks of shop totals the trend is fitted on.
const TREND_WEEKS: usize = 13;

/// An item's ordinary week ahead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// Expected units in a week at the reference price.
    pub weekly: f64,
    /// Negative binomial size `k` of a week's units (variance `m + m²/k`);
    /// `None`: no more spread than Poisson.
    pub dispersion: Option<f64>,
}

/// Simple exponential smoothing from the first sale on; 0 without one.
fn ses(weeks: &[f64]) -> f64 {
    let Some(first) = weeks.iter().position(|&u| u > 0.0) else {
        return 0.0;
    };
    weeks[first + 1..]
        .iter()
        .fold(weeks[first], |level, &u| ALPHA * u + (1.0 - ALPHA) * level)
}

/// ADIDA: the weeks summed into buckets of `k` (the newest bucket ends on the
/// last week), smoothed, and spread back over `k` weeks.
fn adida(weeks: &[f64], k: usize) -> f64 {
    let n = weeks.len() / k * k;
    if n == 0 {
        return 0.0;
    }
    let buckets: Vec<f64> = weeks[weeks.len() - n..]
        .chunks(k)
        .map(|c| c.iter().sum())
        .collect();
    ses(&buckets) / k as f64
}

fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The mean of four simple forecasts of a week for a horizon of `h` weeks:
/// the average of the last `h` weeks, simple exponential smoothing, ADIDA
/// with buckets of `h` weeks and IMAPA (ADIDA over buckets of 1 to `h`). The
/// back-test reports it as a reference.
pub fn simple_average(weeks: &[f64], h: usize) -> f64 {
    let h = h.clamp(1, 26);
    let Some(first) = weeks.iter().position(|&u| u > 0.0) else {
        return 0.0;
    };
    let since = &weeks[first..];
    let naive = weeks[weeks.len().saturating_sub(h)..].iter().sum::<f64>() / h as f64;
    let imapa = (1..=h).map(|k| adida(since, k)).sum::<f64>() / h as f64;
    (naive + ses(weeks) + adida(since, h) + imapa) / 4.0
}

/// The level of an item from its weekly units (oldest first, ending on the
/// cut), for a horizon of `horizon_weeks` weeks, before the shop's trend.
pub fn level(weeks: &[f64], horizon_weeks: usize) -> Level {
    let h = horizon_weeks.clamp(1, 26);
    let Some(first) = weeks.iter().position(|&u| u > 0.0) else {
        return Level {
            weekly: 0.0,
            dispersion: None,
        };
    };
    let since = &weeks[first..];
    let simple = simple_average(weeks, h);
    let med = median(&weeks[weeks.len().saturating_sub(MEDIAN_WEEKS)..]);
    let weekly = 0.5 * simple + 0.5 * med;
    Level {
        weekly,
        dispersion: dispersion(&since[since.len().saturating_sub(SPREAD_WEEKS)..]),
    }
}

/// Method-of-moments negative binomial size of an item's weeks; `None` when
/// they spread no more than Poisson (within 5 %) or are too few to say.
fn dispersion(weeks: &[f64]) -> Option<f64> {
    if weeks.len() < 4 {
        return None;
    }
    let n = weeks.len() as f64;
    let mean = weeks.iter().sum::<f64>() / n;
    let var = weeks.iter().map(|u| (u - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean > 0.0 && var > 1.05 * mean).then(|| mean * mean / (var - mean))
}

/// The shop's demand factor for the `horizon_weeks` after the cut: the
/// damped trend of its recent weekly totals `trend_totals` (each item's
/// weeks taken to its reference price, so price moves are no trend) times
/// last year's season from its raw weekly totals `season_totals` (the
/// horizon's weeks a year back against the weeks before those), when those
/// weeks are all in its history. Both oldest first, ending on the cut.
pub fn shop_factor(trend_totals: &[f64], season_totals: &[f64], horizon_weeks: usize) -> f64 {
    let h = horizon_weeks.clamp(1, 26);
    trend(trend_totals, h) * season(season_totals, h)
}

/// The shop's first week with a sale may hold only its last days: only the
/// weeks after it are whole.
fn first_whole_week(totals: &[f64]) -> Option<usize> {
    totals.iter().position(|&t| t > 0.0).map(|f| f + 1)
}

fn trend(totals: &[f64], h: usize) -> f64 {
    let Some(first) = first_whole_week(totals) else {
        return 1.0;
    };
    // Log-linear over the last whole weeks with sales.
    let start = totals.len().saturating_sub(TREND_WEEKS).max(first);
    let recent: Vec<(f64, f64)> = totals[start.min(totals.len())..]
        .iter()
        .enumerate()
        .filter(|(_, &t)| t > 0.0)
        .map(|(i, &t)| (i as f64, t.ln()))
        .collect();
    if recent.len() < 8 {
        return 1.0;
    }
    let n = recent.len() as f64;
    let mx = recent.iter().map(|p| p.0).sum::<f64>() / n;
    let my = recent.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = recent.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = recent.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = (sxy / sxx).clamp(-0.1, 0.1);
    // From the last week to the horizon's middle.
    let ahead = (h as f64 + 1.0) / 2.0;
    (TREND_DAMPING * slope * ahead).exp()
}

fn season(totals: &[f64], h: usize) -> f64 {
    let Some(first) = first_whole_week(totals) else {
        return 1.0;
    };
    if totals.len() < 52 + h || totals.len() - 52 < first + h {
        return 1.0;
    }
    let year_ago = totals.len() - 52;
    let before: f64 = totals[year_ago - h..year_ago].iter().sum();
    let during: f64 = totals[year_ago..year_ago + h].iter().sum();
    if before > 0.0 && during > 0.0 {
        (during / before).clamp(0.5, 2.0).sqrt()
    } else {
        1.0
    }
}

/// The spread of a forecast week: the week's own (`level.dispersion`) and
/// the level's, which is estimated from a few recent weeks (its variance is
/// taken as a quarter of a week's), as a negative binomial size for a week
/// of mean `mean`.
pub fn predictive_size(mean: f64, dispersion: Option<f64>) -> Option<f64> {
    if mean <= 0.0 {
        return dispersion;
    }
    let week = mean + dispersion.map_or(0.0, |k| mean * mean / k);
    let total = week * 1.25;
    Some(mean * mean / (total - mean))
}

/// The `q` quantile (0 < q < 1) of a week's (or a horizon's) units with mean
/// `mean` and negative binomial size `k` (`None`: Poisson). Exact by summing
/// the distribution while its first term is representable; a normal
/// approximation beyond (a Poisson mean above about 690).
pub fn quantile(mean: f64, k: Option<f64>, q: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    let var = mean + k.map_or(0.0, |k| mean * mean / k);
    let log_p0 = match k {
        Some(k) => k * (k / (k + mean)).ln(),
        None => -mean,
    };
    if log_p0 < -690.0 {
        let z = normal_quantile(q);
        return (mean + z * var.sqrt()).max(0.0).round();
    }
    let mut p = log_p0.exp();
    let mut cdf = p;
    let mut x = 0.0;
    let limit = mean + 50.0 * var.sqrt() + 50.0;
    while cdf < q && x < limit {
        // pmf(x + 1) / pmf(x)
        p *= match k {
            Some(k) => (x + k) / (x + 1.0) * (mean / (k + mean)),
            None => mean / (x + 1.0),
        };
        x += 1.0;
        cdf += p;
    }
    x
}

/// The standard normal quantile (Acklam's rational approximation, error
/// below 1.2e-9).
fn normal_quantile(q: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let q = q.clamp(1e-12, 1.0 - 1e-12);
    let tail = |t: f64| {
        (((((C[0] * t + C[1]) * t + C[2]) * t + C[3]) * t + C[4]) * t + C[5])
            / ((((D[0] * t + D[1]) * t + D[2]) * t + D[3]) * t + 1.0)
    };
    if q < 0.02425 {
        tail((-2.0 * q.ln()).sqrt())
    } else if q > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - q).ln()).sqrt())
    } else {
        let r = q - 0.5;
        let t = r * r;
        (((((A[0] * t + A[1]) * t + A[2]) * t + A[3]) * t + A[4]) * t + A[5]) * r
            / (((((B[0] * t + B[1]) * t + B[2]) * t + B[3]) * t + B[4]) * t + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::rng::Rng;

    #[test]
    fn a_steady_seller_keeps_its_level_and_a_single_big_order_barely_moves_it() {
        let steady = vec![10.0; 30];
        let l = level(&steady, 4);
        assert!((l.weekly - 10.0).abs() < 1e-9, "{l:?}");
        assert_eq!(l.dispersion, None, "no spread at all");
        // One wholesale week of 200 among weeks of 10.
        let mut burst = steady.clone();
        burst[28] = 200.0;
        let b = level(&burst, 4);
        let mean_of_last_four = (10.0 * 3.0 + 200.0) / 4.0;
        assert!(b.weekly > 10.0 && b.weekly < mean_of_last_four, "{b:?}");
        assert!(b.dispersion.is_some(), "the burst shows as spread");
    }

    #[test]
    fn an_item_never_sold_has_no_level_and_a_new_one_starts_from_its_first_sale() {
        assert_eq!(level(&[0.0; 20], 4).weekly, 0.0);
        let mut weeks = vec![0.0; 20];
        weeks[16..].copy_from_slice(&[6.0, 6.0, 6.0, 6.0]);
        assert!((level(&weeks, 4).weekly - 6.0).abs() < 1e-9);
    }

    #[test]
    fn the_shop_trend_is_damped_and_last_years_season_applies_with_a_year_of_weeks() {
        // Growing 5 % a week for 13 weeks: half of it is applied, to the
        // middle of a 4-week horizon.
        let growing: Vec<f64> = (0..13).map(|i| 1000.0 * 1.05f64.powi(i)).collect();
        let mut history = vec![0.0, 500.0];
        history.extend(&growing);
        let f = shop_factor(&history, &[], 4);
        assert!((f - (0.5 * 1.05f64.ln() * 2.5).exp()).abs() < 1e-9, "{f}");
        assert_eq!(shop_factor(&[1000.0; 20], &[1000.0; 20], 4), 1.0);
        // Flat now, but a year ago the four weeks after the cut sold twice
        // the four before.
        let mut year = vec![1000.0; 60];
        for w in &mut year[8..12] {
            *w = 2000.0;
        }
        let f = shop_factor(&[], &year, 4);
        assert!((f - 2f64.sqrt()).abs() < 1e-9, "{f}");
        // A shop whose history starts mid-week a little over a year ago: its
        // first, partial week is no season to compare with.
        let mut young = vec![0.0; 4];
        young.push(150.0);
        young.extend(vec![1000.0; 55]);
        assert_eq!(shop_factor(&young, &young, 4), 1.0);
    }

    #[test]
    fn quantiles_match_the_distribution() {
        // Poisson(3): P(X ≤ 1) = 0.199, P(X ≤ 5) = 0.916.
        assert_eq!(quantile(3.0, None, 0.1), 1.0);
        assert_eq!(quantile(3.0, None, 0.9), 5.0);
        assert_eq!(quantile(0.0, None, 0.9), 0.0);
        // Negative binomial against draws from the sampler.
        let mut rng = Rng::new(7, 1);
        let mut draws: Vec<f64> = (0..20_000)
            .map(|_| rng.negative_binomial(8.0, 1.5) as f64)
            .collect();
        draws.sort_by(f64::total_cmp);
        for q in [0.1, 0.5, 0.9] {
            let sampled = draws[(q * draws.len() as f64) as usize];
            assert!((quantile(8.0, Some(1.5), q) - sampled).abs() <= 1.0, "{q}");
        }
        // Exact where the first term is representable: Poisson(600)'s
        // p90 is 631; the normal approximation for larger means.
        assert_eq!(quantile(600.0, None, 0.9), 631.0);
        let hi = quantile(10_000.0, None, 0.9);
        assert!((hi - (10_000.0 + 1.2816 * 100.0)).abs() < 1.0, "{hi}");
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-6);
    }
}
