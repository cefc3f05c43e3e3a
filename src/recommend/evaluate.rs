//! The shop's own hold-out: fit on the first 80 % of the orders (by time),
//! hide one item of each later basket of two or more items (drawn with a
//! fixed seed) and count how often it is among the ten best for the rest of
//! the basket (HR@10, NDCG@10), beside popularity.

use super::baskets::{Basket, Baskets};
use super::ease::{Ease, Settings};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One method's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendMethod"))]
pub struct Method {
    pub name: String,
    /// Share of test baskets whose hidden item is in the ten best.
    pub hr_at_10: f64,
    pub ndcg_at_10: f64,
}

/// What the hold-out measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendEvaluation"))]
pub struct Evaluation {
    /// Orders with merchandise.
    pub orders: u32,
    /// Orders the model learnt from.
    pub training: u32,
    /// Later baskets of two or more items, one hidden each.
    pub test_baskets: u32,
    /// Items the model's matrix holds (the others fall back).
    pub model_items: u32,
    pub lambda: f64,
    /// λ as a multiple of its base (15 + the mean basket count): what a
    /// build on every order uses.
    pub multiple: f64,
    pub methods: Vec<Method>,
}

/// The share of orders trained on.
const TRAIN_SHARE: f64 = 0.8;
/// How much a customer's own earlier purchases add (per `ln(1 + times)`).
pub const HISTORY_WEIGHT: f32 = 0.05;

/// Runs the hold-out; `last_training` keeps only the last so many training
/// orders (a small shop).
pub fn evaluate(
    b: &Baskets,
    last_training: Option<usize>,
    settings: Settings,
) -> Result<Evaluation> {
    let cut = (b.baskets.len() as f64 * TRAIN_SHARE) as usize;
    let from = last_training.map_or(0, |n| cut.saturating_sub(n));
    let train = &b.baskets[from..cut];
    let n = b.products.len();
    let base = super::ease::base_lambda_of(train, n, settings);
    let multiple = match settings.lambda {
        Some(l) => l / base,
        None => choose_lambda(train, n, settings)?,
    };
    let model = Ease::fit(
        train,
        n,
        Settings {
            lambda: Some(multiple * base),
            ..settings
        },
    )?;
    let mut history: HashMap<i64, HashMap<u32, u32>> = HashMap::new();
    for t in train {
        if let Some(c) = t.customer {
            let h = history.entry(c).or_default();
            for i in &t.items {
                *h.entry(*i).or_default() += 1;
            }
        }
    }
    let tests = held_out(&b.baskets[cut..], 42);
    let support = &model.support;
    let totals = [
        found(&tests, support, |_, _, _| {}),
        found(&tests, support, |_, rest, scores| {
            model.add_scores(rest, scores)
        }),
        found(&tests, support, |t, rest, scores| {
            model.add_scores(rest, scores);
            if let Some(h) = t.customer.and_then(|c| history.get(&c)) {
                for (i, times) in h {
                    scores[*i as usize] += HISTORY_WEIGHT * (1.0 + *times as f32).ln();
                }
            }
        }),
    ];
    let per = |x: f64| {
        if tests.is_empty() {
            0.0
        } else {
            x / tests.len() as f64
        }
    };
    let names = [
        "popularity",
        "EASE on baskets",
        "EASE with the customer's history",
    ];
    Ok(Evaluation {
        orders: b.baskets.len() as u32,
        training: train.len() as u32,
        test_baskets: tests.len() as u32,
        model_items: model.size() as u32,
        lambda: model.lambda,
        multiple,
        methods: names
            .iter()
            .zip(totals)
            .map(|(name, (hits, gain))| Method {
                name: name.to_string(),
                hr_at_10: per(hits),
                ndcg_at_10: per(gain),
            })
            .collect(),
    })
}

/// The multiples of the base λ tried.
const LAMBDA_GRID: [f64; 6] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0];

/// The λ to fit `train` with, as a multiple of its base λ
/// ([`super::ease::base_lambda_of`]): the multiple whose model, fitted on
/// the first 80 % of `train`, best finds the hidden items of its last 20 %
/// (HR@10, then NDCG@10); 1 when that last part has fewer than 50 baskets
/// to test. The shop's own test orders are never looked at.
pub fn choose_lambda(train: &[Basket], n: usize, settings: Settings) -> Result<f64> {
    let cut = (train.len() as f64 * TRAIN_SHARE) as usize;
    let (fit_on, check_on) = train.split_at(cut);
    let tests = held_out(check_on, 7);
    if tests.len() < 50 {
        return Ok(1.0);
    }
    let fit_base = super::ease::base_lambda_of(fit_on, n, settings);
    let mut best = (1.0, (-1.0, -1.0));
    for m in LAMBDA_GRID {
        let model = Ease::fit(
            fit_on,
            n,
            Settings {
                lambda: Some(m * fit_base),
                ..settings
            },
        )?;
        let (hits, gain) = found(&tests, &model.support, |_, rest, scores| {
            model.add_scores(rest, scores)
        });
        if (hits, gain) > best.1 {
            best = (m, (hits, gain));
        }
    }
    Ok(best.0)
}

/// Over `tests`, how many hidden items are among the ten best that `score`
/// gives for the rest of their basket (it adds to scores starting at
/// zero), and the sum of their NDCG gains. Ties go to `support`, then the
/// lower id.
fn found(
    tests: &[(&Basket, u32)],
    support: &[u32],
    mut score: impl FnMut(&Basket, &[u32], &mut [f32]),
) -> (f64, f64) {
    let mut scores = vec![0f32; support.len()];
    let mut rest: Vec<u32> = Vec::new();
    let (mut hits, mut gain) = (0.0, 0.0);
    for (t, hidden) in tests {
        rest.clear();
        rest.extend(t.items.iter().copied().filter(|i| i != hidden));
        scores.iter_mut().for_each(|s| *s = 0.0);
        score(t, &rest, &mut scores);
        if let Some(rank) = rank_of(*hidden, &scores, support, &rest, 10) {
            hits += 1.0;
            gain += 1.0 / (2.0 + rank as f64).log2();
        }
    }
    (hits, gain)
}

/// Each basket of two or more items with one of them drawn to hide
/// (SplitMix64 from `seed`).
fn held_out(baskets: &[Basket], seed: u64) -> Vec<(&Basket, u32)> {
    let mut seed = seed;
    baskets
        .iter()
        .filter(|t| t.items.len() >= 2)
        .map(|t| {
            let k = (splitmix(&mut seed) % t.items.len() as u64) as usize;
            (t, t.items[k])
        })
        .collect()
}

/// Where `item` ranks (0 first) among the `k` best by score, then by how
/// often bought, then by product id, leaving out `excluded`; `None` past `k`.
fn rank_of(
    item: u32,
    scores: &[f32],
    support: &[u32],
    excluded: &[u32],
    k: usize,
) -> Option<usize> {
    let key = |i: usize| (scores[i], support[i]);
    let (s, p) = key(item as usize);
    let mut ahead = 0;
    for i in 0..scores.len() {
        if i == item as usize || excluded.binary_search(&(i as u32)).is_ok() {
            continue;
        }
        let (si, pi) = key(i);
        if si > s || (si == s && (pi > p || (pi == p && i < item as usize))) {
            ahead += 1;
            if ahead >= k {
                return None;
            }
        }
    }
    Some(ahead)
}

/// SplitMix64: the hold-out's fixed draws.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items 0–1 and 2–3 are always bought together; items 4, 5 and 6 are
    /// in most baskets (more popular than either pair), whatever else is in
    /// them: the model finds each partner, popularity puts them behind.
    #[test]
    fn the_model_finds_partners_that_popularity_misses() {
        let mut baskets = Vec::new();
        for n in 0..50i64 {
            let pair = if n % 2 == 0 { [0u32, 1] } else { [2, 3] };
            let mut items = vec![pair[0], pair[1], 4];
            if n % 5 != 0 {
                items.push(5);
            }
            if n % 4 != 0 {
                items.push(6);
            }
            baskets.push(Basket {
                order: n,
                customer: None,
                items,
            });
        }
        let b = Baskets {
            products: (0..7).collect(),
            baskets,
        };
        let e = evaluate(
            &b,
            None,
            Settings {
                lambda: Some(1.0),
                min_support: 1,
                ..Settings::default()
            },
        )
        .unwrap();
        assert_eq!((e.orders, e.training, e.test_baskets), (50, 40, 10));
        let hr: Vec<f64> = e.methods.iter().map(|m| m.hr_at_10).collect();
        // Seven items, so every item is in the ten best: HR is 1 for all;
        // NDCG tells them apart.
        assert_eq!(hr, [1.0, 1.0, 1.0]);
        let ndcg: Vec<f64> = e.methods.iter().map(|m| m.ndcg_at_10).collect();
        // Too few baskets after the training orders' own cut to choose on:
        // the base λ.
        let base = crate::recommend::ease::base_lambda_of(&b.baskets[..40], 7, Settings::default());
        assert_eq!(
            choose_lambda(&b.baskets[..40], 7, Settings::default()).unwrap(),
            1.0
        );
        // 15 + the mean basket count of the seven items in the first 40:
        // four pair items in 20 each, item 4 in 40, item 5 in 32, item 6 in 30.
        assert_eq!(base, 15.0 + (4.0 * 20.0 + 40.0 + 32.0 + 30.0) / 7.0);
        // The model ranks every hidden item first; popularity does not.
        assert!(ndcg[1] > 0.999 && ndcg[2] > 0.999, "{ndcg:?}");
        assert!(ndcg[0] < 0.9, "{ndcg:?}");
    }

    #[test]
    fn a_rank_counts_only_items_ahead_and_breaks_ties_by_support_then_id() {
        let scores = [1.0, 2.0, 2.0, 0.5, 2.0];
        let support = [9, 1, 3, 9, 3];
        // Item 4 ties item 2 on score and support: item 2 (lower id) is
        // ahead, item 1 has less support; item 1 is excluded anyway.
        assert_eq!(rank_of(4, &scores, &support, &[], 10), Some(1));
        assert_eq!(rank_of(4, &scores, &support, &[2], 10), Some(0));
        assert_eq!(rank_of(0, &scores, &support, &[], 10), Some(3));
        assert_eq!(rank_of(3, &scores, &support, &[], 2), None);
    }
}
