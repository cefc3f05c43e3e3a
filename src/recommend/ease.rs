//! EASE (Steck, 2019): item-to-item weights `B` that best rebuild each
//! basket from its other items, `min ‖X − XB‖² + λ‖B‖²` with a zero
//! diagonal, solved in closed form: `P = (XᵀX + λI)⁻¹`, `B_ij = −P_ij /
//! P_jj`. A basket's scores for every item are the sum of its items' rows.
//! Items bought too rarely to learn from stay out of the matrix (their
//! score is 0 and the caller falls back).

use super::baskets::Basket;
use crate::error::{Error, Result};

/// How the model is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The ridge penalty; `None`: 15 + the kept items' mean basket count
    /// (the hold-out chooses a multiple of it on the training orders' own
    /// last fifth, `evaluate::choose_lambda`).
    pub lambda: Option<f64>,
    /// Items in fewer baskets than this stay out of the matrix.
    pub min_support: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            lambda: None,
            min_support: 2,
        }
    }
}

/// The weights each item keeps (see [`Ease::prune`]).
pub const KEEP: usize = 100;

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Ease {
    /// The items in the matrix, by position.
    items: Vec<u32>,
    /// Each item's position in the matrix, or `u32::MAX`.
    position: Vec<u32>,
    /// `B`, row-major over positions.
    weights: Vec<f32>,
    /// Baskets holding each item (all items).
    pub support: Vec<u32>,
    pub lambda: f64,
}

/// 15 + the kept items' mean basket count: the scale the λ grid is read on.
fn base_lambda(support: &[u32], items: &[u32]) -> f64 {
    if items.is_empty() {
        return 15.0;
    }
    15.0 + items
        .iter()
        .map(|i| f64::from(support[*i as usize]))
        .sum::<f64>()
        / items.len() as f64
}

/// [`base_lambda`] of `baskets`.
pub fn base_lambda_of(baskets: &[Basket], n_items: usize, min_support: u32) -> f64 {
    let (support, items) = supported(baskets, n_items, min_support);
    base_lambda(&support, &items)
}

/// How many baskets hold each item, and the items in at least
/// `min_support` of them (ascending).
fn supported(baskets: &[Basket], n_items: usize, min_support: u32) -> (Vec<u32>, Vec<u32>) {
    let mut support = vec![0u32; n_items];
    for b in baskets {
        for i in &b.items {
            support[*i as usize] += 1;
        }
    }
    let items = (0..n_items as u32)
        .filter(|i| support[*i as usize] >= min_support.max(1))
        .collect();
    (support, items)
}

impl Ease {
    /// Fits on `baskets` over `n_items` items.
    pub fn fit(baskets: &[Basket], n_items: usize, settings: Settings) -> Result<Ease> {
        let (support, items) = supported(baskets, n_items, settings.min_support);
        let mut position = vec![u32::MAX; n_items];
        for (p, i) in items.iter().enumerate() {
            position[*i as usize] = p as u32;
        }
        let k = items.len();
        let mut gram = faer::Mat::<f32>::zeros(k, k);
        let mut kept: Vec<usize> = Vec::new();
        for b in baskets {
            kept.clear();
            kept.extend(
                b.items
                    .iter()
                    .map(|i| position[*i as usize])
                    .filter(|p| *p != u32::MAX)
                    .map(|p| p as usize),
            );
            for (x, &i) in kept.iter().enumerate() {
                for &j in &kept[x..] {
                    gram[(i, j)] += 1.0;
                }
            }
        }
        let lambda = settings
            .lambda
            .unwrap_or_else(|| base_lambda(&support, &items));
        for i in 0..k {
            gram[(i, i)] += lambda as f32;
        }
        let mut weights = vec![0f32; k * k];
        if k > 0 {
            use faer::linalg::solvers::DenseSolveCore;
            let llt = gram.llt(faer::Side::Upper).map_err(|_| {
                Error::InvalidArgument("the baskets' item matrix is not positive definite".into())
            })?;
            let p = llt.inverse();
            for i in 0..k {
                for j in 0..k {
                    if i != j {
                        weights[i * k + j] = -p[(i, j)] / p[(j, j)];
                    }
                }
            }
        }
        Ok(Ease {
            items,
            position,
            weights,
            support,
            lambda,
        })
    }

    /// Adds `basket`'s scores for every item to `out` (one slot an item).
    pub fn add_scores(&self, basket: &[u32], out: &mut [f32]) {
        let k = self.items.len();
        for i in basket {
            let p = self.position[*i as usize];
            if p == u32::MAX {
                continue;
            }
            let row = &self.weights[p as usize * k..(p as usize + 1) * k];
            for (w, item) in row.iter().zip(&self.items) {
                out[*item as usize] += *w;
            }
        }
    }

    /// How many items are in the matrix.
    pub fn size(&self) -> usize {
        self.items.len()
    }

    /// Keeps each item's `keep` strongest weights (by size) and drops the
    /// rest: what the store keeps and serves, so what the hold-out
    /// measures is what the shop gets.
    pub fn prune(&mut self, keep: usize) {
        let k = self.items.len();
        if keep >= k {
            return;
        }
        let mut order: Vec<u32> = (0..k as u32).collect();
        for row in self.weights.chunks_mut(k.max(1)) {
            order.select_nth_unstable_by(keep, |a, b| {
                row[*b as usize]
                    .abs()
                    .total_cmp(&row[*a as usize].abs())
                    .then(a.cmp(b))
            });
            for p in &order[keep..] {
                row[*p as usize] = 0.0;
            }
        }
    }

    /// Item `item`'s row: each other item (index) with its weight, the
    /// zero weights left out; `None` for an item outside the matrix.
    pub fn row(&self, item: u32) -> Option<impl Iterator<Item = (u32, f32)> + '_> {
        let p = *self.position.get(item as usize)?;
        if p == u32::MAX {
            return None;
        }
        let k = self.items.len();
        Some(
            self.weights[p as usize * k..(p as usize + 1) * k]
                .iter()
                .zip(&self.items)
                .filter(|(w, _)| **w != 0.0)
                .map(|(w, i)| (*i, *w)),
        )
    }
}
