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
    /// At most this many items (the most bought) are in the matrix: the
    /// fit's cost grows with the cube of their number.
    pub max_items: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            lambda: None,
            min_support: 2,
            max_items: MAX_ITEMS,
        }
    }
}

/// The matrix's default cap.
pub const MAX_ITEMS: usize = 2500;

/// The weights each item keeps, its strongest by size: what the store
/// keeps and serves, so what the hold-out measures is what the shop gets.
pub const KEEP: usize = 100;

/// One kept weight of an item's row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weight {
    /// The other item (index).
    pub item: u32,
    pub weight: f32,
    /// Baskets holding both.
    pub together: u32,
}

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Ease {
    /// The items in the matrix, by position.
    items: Vec<u32>,
    /// Each item's position in the matrix, or `u32::MAX`.
    position: Vec<u32>,
    /// Each position's row of `B`: its [`KEEP`] strongest weights,
    /// strongest first, ties by the lower index.
    rows: Vec<Vec<Weight>>,
    /// Baskets holding each item (all items).
    pub support: Vec<u32>,
    pub lambda: f64,
}

/// Counts into `gram` (column-major, `k` × `k`) the baskets holding each
/// pair of positions, in the lower triangle (column `i`, rows `j ≥ i`),
/// on two threads each filling its own columns.
fn count_pairs(kept: &[Vec<u32>], k: usize, gram: &mut [f32]) {
    // Split the columns where half of the pairs fall on each side.
    let mut per_column = vec![0u64; k];
    for b in kept {
        for (x, i) in b.iter().enumerate() {
            per_column[*i as usize] += (b.len() - x) as u64;
        }
    }
    let total: u64 = per_column.iter().sum();
    let mut split = 0;
    let mut below = 0;
    while split < k && below * 2 < total {
        below += per_column[split];
        split += 1;
    }
    let fill = |columns: std::ops::Range<usize>, part: &mut [f32]| {
        let first = columns.start;
        for b in kept {
            for (x, i) in b.iter().enumerate() {
                let i = *i as usize;
                if !columns.contains(&i) {
                    continue;
                }
                let column = &mut part[(i - first) * k..(i - first + 1) * k];
                for j in &b[x..] {
                    column[*j as usize] += 1.0;
                }
            }
        }
    };
    let (left, right) = gram.split_at_mut(split * k);
    std::thread::scope(|s| {
        s.spawn(|| fill(0..split, left));
        fill(split..k, right);
    });
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
pub fn base_lambda_of(baskets: &[Basket], n_items: usize, settings: Settings) -> f64 {
    let (support, items) = supported(baskets, n_items, settings);
    base_lambda(&support, &items)
}

/// How many baskets hold each item, and the matrix's items (ascending):
/// those in at least `min_support` baskets, at most `max_items` of them
/// (the most bought; ties to the lower index).
fn supported(baskets: &[Basket], n_items: usize, settings: Settings) -> (Vec<u32>, Vec<u32>) {
    let mut support = vec![0u32; n_items];
    for b in baskets {
        for i in &b.items {
            support[*i as usize] += 1;
        }
    }
    let mut items: Vec<u32> = (0..n_items as u32)
        .filter(|i| support[*i as usize] >= settings.min_support.max(1))
        .collect();
    if items.len() > settings.max_items {
        let by_support = |a: &u32, b: &u32| {
            support[*b as usize]
                .cmp(&support[*a as usize])
                .then(a.cmp(b))
        };
        items.select_nth_unstable_by(settings.max_items, by_support);
        items.truncate(settings.max_items);
        items.sort_unstable();
    }
    (support, items)
}

impl Ease {
    /// Fits on `baskets` over `n_items` items.
    pub fn fit(baskets: &[Basket], n_items: usize, settings: Settings) -> Result<Ease> {
        let (support, items) = supported(baskets, n_items, settings);
        let mut position = vec![u32::MAX; n_items];
        for (p, i) in items.iter().enumerate() {
            position[*i as usize] = p as u32;
        }
        let k = items.len();
        // The baskets over matrix positions (ascending, as the items are).
        let kept: Vec<Vec<u32>> = baskets
            .iter()
            .map(|b| {
                b.items
                    .iter()
                    .map(|i| position[*i as usize])
                    .filter(|p| *p != u32::MAX)
                    .collect()
            })
            .collect();
        let mut gram = vec![0f32; k * k];
        count_pairs(&kept, k, &mut gram);
        let lambda = settings
            .lambda
            .unwrap_or_else(|| base_lambda(&support, &items));
        for i in 0..k {
            gram[i * k + i] += lambda as f32;
        }
        let mut rows = vec![Vec::new(); k];
        if k > 0 {
            use faer::linalg::solvers::DenseSolveCore;
            let llt = faer::MatRef::from_column_major_slice(&gram, k, k)
                .llt(faer::Side::Lower)
                .map_err(|_| {
                    Error::InvalidArgument(
                        "the baskets' item matrix is not positive definite".into(),
                    )
                })?;
            let p = llt.inverse();
            let diagonal: Vec<f32> = (0..k).map(|j| p[(j, j)]).collect();
            // Row i of B is column i of the symmetric P over its diagonal:
            // read down the (column-major) columns, two threads each half.
            let fill = |from: usize, out: &mut [Vec<Weight>]| {
                let mut row: Vec<(u32, f32)> = Vec::with_capacity(k);
                for (x, slot) in out.iter_mut().enumerate() {
                    let i = from + x;
                    let column = p.col(i);
                    row.clear();
                    row.extend(
                        column
                            .iter()
                            .zip(&diagonal)
                            .enumerate()
                            .filter(|(j, (w, _))| *j != i && **w != 0.0)
                            .map(|(j, (w, d))| (j as u32, -*w / *d)),
                    );
                    let strongest = |a: &(u32, f32), b: &(u32, f32)| {
                        b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0))
                    };
                    if row.len() > KEEP {
                        row.select_nth_unstable_by(KEEP, strongest);
                        row.truncate(KEEP);
                    }
                    row.sort_unstable_by(strongest);
                    *slot = row
                        .iter()
                        .map(|(j, w)| {
                            let j = *j as usize;
                            // The counts are in the lower triangle.
                            let together = gram[i.min(j) * k + i.max(j)];
                            Weight {
                                item: items[j],
                                weight: *w,
                                together: together as u32,
                            }
                        })
                        .collect();
                }
            };
            let half = k / 2;
            let (first, second) = rows.split_at_mut(half);
            std::thread::scope(|s| {
                s.spawn(|| fill(0, first));
                fill(half, second);
            });
        }
        Ok(Ease {
            items,
            position,
            rows,
            support,
            lambda,
        })
    }

    /// Adds `basket`'s scores for every item to `out` (one slot an item).
    pub fn add_scores(&self, basket: &[u32], out: &mut [f32]) {
        for i in basket {
            if let Some(row) = self.row(*i) {
                for w in row {
                    out[w.item as usize] += w.weight;
                }
            }
        }
    }

    /// How many items are in the matrix.
    pub fn size(&self) -> usize {
        self.items.len()
    }

    /// Item `item`'s kept weights, strongest first; `None` for an item
    /// outside the matrix.
    pub fn row(&self, item: u32) -> Option<&[Weight]> {
        let p = *self.position.get(item as usize)?;
        (p != u32::MAX).then(|| self.rows[p as usize].as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basket(order: i64, items: &[u32]) -> Basket {
        Basket {
            order,
            customer: None,
            items: items.to_vec(),
        }
    }

    /// Items 0–1 together in six baskets, 1–2 in three, 3 alone in two, 4
    /// once: the cap keeps the most bought, each row counts its pairs.
    #[test]
    fn the_matrix_keeps_the_most_bought_and_counts_each_pair() {
        let mut baskets = Vec::new();
        for n in 0..6 {
            baskets.push(basket(n, &[0, 1]));
        }
        for n in 6..9 {
            baskets.push(basket(n, &[1, 2]));
        }
        baskets.push(basket(9, &[3]));
        baskets.push(basket(10, &[3]));
        baskets.push(basket(11, &[4]));
        let all = Ease::fit(&baskets, 5, Settings::default()).unwrap();
        // Item 4 is in one basket only.
        assert_eq!(all.size(), 4);
        assert!(all.row(4).is_none());
        let row: Vec<(u32, u32)> = all
            .row(1)
            .unwrap()
            .iter()
            .map(|w| (w.item, w.together))
            .collect();
        // Both partners, with their pair counts; item 3 never met item 1.
        assert!(row.contains(&(0, 6)) && row.contains(&(2, 3)), "{row:?}");
        assert!(row.iter().all(|(i, _)| *i != 1));
        let strongest = all.row(1).unwrap();
        assert!(strongest
            .windows(2)
            .all(|w| w[0].weight.abs() >= w[1].weight.abs()));
        assert!(strongest[0].weight > 0.0);
        // Capped at two: items 1 (nine baskets) and 0 (six).
        let capped = Ease::fit(
            &baskets,
            5,
            Settings {
                max_items: 2,
                ..Settings::default()
            },
        )
        .unwrap();
        assert_eq!(capped.size(), 2);
        assert!(capped.row(2).is_none() && capped.row(3).is_none());
        assert_eq!(capped.row(0).unwrap()[0].item, 1);
        let mut scores = vec![0f32; 5];
        capped.add_scores(&[0], &mut scores);
        assert!(scores[1] > 0.0);
        assert_eq!(scores[2], 0.0);
    }
}
