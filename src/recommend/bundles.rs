//! Bundle suggestions: the pairs and triples of products the shop's
//! baskets hold together often (support) and more often than chance
//! (lift), each with the product to discount, the largest discount the
//! margin floor allows on it with every live discount that can stack, and
//! the bundle's margin at the suggested discount.
//!
//! The mining is exact frequent-itemset counting in the Apriori manner: a
//! pair is counted only among products in `min_orders` baskets or more, a
//! triple only when its three pairs are frequent.

use super::baskets::Baskets;
use super::catalog::Product;
use crate::storefront::Discount;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// What the search keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Baskets a product, pair or triple must be in.
    pub min_orders: u32,
    /// How much more often than chance the items must go together.
    pub min_lift: f64,
    /// The discount suggested where the floor allows it, basis points.
    pub percent_bp: i64,
}

impl Settings {
    /// For `baskets` baskets: in 0.5 % of them and at least 3, twice as
    /// often as chance, 10 % off.
    pub fn for_shop(baskets: usize) -> Settings {
        Settings {
            min_orders: ((baskets as f64 * 0.005).ceil() as u32).max(3),
            min_lift: 2.0,
            percent_bp: 1000,
        }
    }
}

/// The frequent itemsets of the baskets: indexes into `Baskets::products`
/// with their basket counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frequent {
    pub items: Vec<(u32, u32)>,
    pub pairs: Vec<([u32; 2], u32)>,
    pub triples: Vec<([u32; 3], u32)>,
}

/// Counts every product, pair and triple in `min_orders` baskets or more.
pub fn mine(b: &Baskets, min_orders: u32) -> Frequent {
    let n = b.products.len();
    let mut count = vec![0u32; n];
    for basket in &b.baskets {
        for &i in &basket.items {
            count[i as usize] += 1;
        }
    }
    // Dense indexes for the frequent products, in product order.
    let mut dense = vec![u32::MAX; n];
    let mut frequent: Vec<u32> = Vec::new();
    for (i, c) in count.iter().enumerate() {
        if *c >= min_orders {
            dense[i] = frequent.len() as u32;
            frequent.push(i as u32);
        }
    }
    let f = frequent.len();
    let tri = |a: usize, b: usize| b * (b - 1) / 2 + a; // a < b
    let mut pair = vec![0u32; f * f.saturating_sub(1) / 2];
    // Each basket's frequent products, by dense index, once for both passes
    // (a basket with fewer than two holds no pair).
    let kept_baskets: Vec<Vec<u32>> = b
        .baskets
        .iter()
        .map(|basket| {
            basket
                .items
                .iter()
                .map(|&i| dense[i as usize])
                .filter(|&d| d != u32::MAX)
                .collect::<Vec<u32>>()
        })
        .filter(|kept| kept.len() >= 2)
        .collect();
    for kept in &kept_baskets {
        for (x, &bi) in kept.iter().enumerate() {
            for &ai in &kept[..x] {
                pair[tri(ai as usize, bi as usize)] += 1;
            }
        }
    }
    let is_pair = |a: u32, b: u32| pair[tri(a as usize, b as usize)] >= min_orders;
    let mut triples: HashMap<[u32; 3], u32> = HashMap::new();
    let mut next: Vec<u32> = Vec::new();
    for kept in &kept_baskets {
        for (x, &a) in kept.iter().enumerate() {
            // The later products this one forms a frequent pair with.
            next.clear();
            next.extend(kept[x + 1..].iter().copied().filter(|&c| is_pair(a, c)));
            for (y, &bb) in next.iter().enumerate() {
                for &c in &next[y + 1..] {
                    if is_pair(bb, c) {
                        *triples.entry([a, bb, c]).or_insert(0) += 1;
                    }
                }
            }
        }
    }
    let mut out = Frequent {
        items: frequent.iter().map(|&i| (i, count[i as usize])).collect(),
        ..Default::default()
    };
    for bi in 1..f {
        for ai in 0..bi {
            let c = pair[tri(ai, bi)];
            if c >= min_orders {
                out.pairs.push(([frequent[ai], frequent[bi]], c));
            }
        }
    }
    out.triples = triples
        .into_iter()
        .filter(|(_, c)| *c >= min_orders)
        .map(|(t, c)| (t.map(|d| frequent[d as usize]), c))
        .collect();
    out.triples.sort_unstable();
    out
}

/// One product of a suggested bundle. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct BundleItem {
    pub sku: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub cost_minor: Option<i64>,
    /// Baskets holding it.
    pub orders: u32,
}

/// A pair or triple worth selling together.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "BundleSuggestion"))]
pub struct Suggestion {
    /// What the buyer buys, then the product at a discount (last).
    pub items: Vec<BundleItem>,
    /// The product at a discount.
    pub get_sku: String,
    /// Baskets holding every product of the bundle.
    pub orders: u32,
    /// Share of the baskets.
    pub support: f64,
    /// How many times as often as chance the products go together.
    pub lift: f64,
    /// The suggested discount on `get_sku`, basis points.
    #[cfg_attr(test, ts(type = "number"))]
    pub percent_bp: i64,
    /// The largest whole-percent discount on `get_sku` that keeps the
    /// margin floor with every live discount that can stack (none: no unit
    /// cost, so the floor cannot be checked).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub max_percent_bp: Option<i64>,
    /// One of each at full price.
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    /// One of each with the suggested discount.
    #[cfg_attr(test, ts(type = "number"))]
    pub bundle_price_minor: i64,
    /// The bundle price less the unit costs (none: a cost is missing).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_minor: Option<i64>,
    /// One of each at full price less the unit costs.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub full_margin_minor: Option<i64>,
    pub reason: String,
}

/// The search's figures and its suggestions, pairs and triples each best
/// first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "BundleSuggestions"))]
pub struct Suggestions {
    /// Baskets searched.
    pub baskets: u32,
    pub min_orders: u32,
    pub min_lift: f64,
    /// Frequent itemsets found (every product, active or not).
    pub frequent_items: u32,
    pub frequent_pairs: u32,
    pub frequent_triples: u32,
    pub pairs: Vec<Suggestion>,
    pub triples: Vec<Suggestion>,
    /// Frequent, lifted bundles left out because the floor leaves no room
    /// for even 1 % off.
    pub no_room: u32,
    #[cfg_attr(test, ts(type = "number"))]
    pub millis: u64,
}

/// The largest whole percent off `price` whose price, after every discount
/// in `stacking`, keeps `floor_minor`; `None` when not even 1 % does.
pub fn max_percent_bp(price: i64, floor_minor: i64, stacking: &[&Discount]) -> Option<i64> {
    let keeps = |bp: i64| {
        let after = crate::money::mul_round(price, Decimal::new(10_000 - bp, 4));
        stacking
            .iter()
            .fold(after, |p, d| crate::promotions::sale::stack(p, d))
            .max(0)
            >= floor_minor
    };
    if !keeps(100) {
        return None;
    }
    let (mut lo, mut hi) = (1i64, 99i64);
    while lo < hi {
        let mid = (lo + hi + 1) / 2;
        if keeps(mid * 100) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(lo * 100)
}

/// How many times as often as chance the products of `set` are bought
/// together: for a pair P(AB) / (P(A) P(B)); for a triple the least of
/// P(ABC) / (P(XY) P(Z)) over its three splits, so a triple is lifted only
/// when its third product goes with the other two more than alone.
fn lift(
    set: &[u32],
    together: u32,
    total: f64,
    count: &HashMap<u32, u32>,
    pairs: &HashMap<[u32; 2], u32>,
) -> f64 {
    let p = |n: u32| n as f64 / total;
    match set {
        [a, b] => p(together) / (p(count[a]) * p(count[b])),
        [a, b, c] => [([*a, *b], *c), ([*a, *c], *b), ([*b, *c], *a)]
            .iter()
            .map(|(xy, z)| p(together) / (p(pairs[xy]) * p(count[z])))
            .fold(f64::INFINITY, f64::min),
        _ => 0.0,
    }
}

/// The figures [`suggest`] needs about one product.
pub struct Offer<'a> {
    pub product: &'a Product,
    /// The lowest price the floor allows (none: no unit cost).
    pub floor_minor: Option<i64>,
    /// Live discounts that can stack on it.
    pub stacking: Vec<&'a Discount>,
}

/// Ranks the frequent, lifted pairs and triples of sellable products
/// (active, with a SKU) and prices each as a bundle. `offer` gives a
/// product's figures (none: not sellable); at most `limit` of each size.
pub fn suggest<'a>(
    b: &Baskets,
    found: &Frequent,
    settings: Settings,
    offer: &dyn Fn(i64) -> Option<Offer<'a>>,
    limit: usize,
) -> (Vec<Suggestion>, Vec<Suggestion>, u32) {
    let total = b.baskets.len().max(1) as f64;
    let count: HashMap<u32, u32> = found.items.iter().copied().collect();
    let pairs_count: HashMap<[u32; 2], u32> = found.pairs.iter().copied().collect();
    let mut no_room = 0;
    let mut build = |set: &[u32], together: u32| -> Option<Suggestion> {
        let lift = lift(set, together, total, &count, &pairs_count);
        if lift < settings.min_lift {
            return None;
        }
        let offers: Vec<Offer> = set
            .iter()
            .map(|i| offer(b.products[*i as usize]))
            .collect::<Option<_>>()?;
        // The product to discount: the cheapest whose floor allows the
        // suggested discount (the least money off), else the one with the
        // most room; one without a cost only when all lack it.
        // Each product's largest discount under its floor (none: no cost).
        let maxes: Vec<Option<Option<i64>>> = offers
            .iter()
            .map(|o| {
                o.floor_minor
                    .map(|f| max_percent_bp(o.product.price_minor, f, &o.stacking))
            })
            .collect();
        let room = |k: usize| match maxes[k] {
            Some(m) => m.unwrap_or(0),
            None => -1,
        };
        let get = (0..offers.len())
            .max_by_key(|&k| {
                let r = room(k);
                let fits = r >= settings.percent_bp;
                (
                    fits,
                    if fits { 0 } else { r },
                    std::cmp::Reverse(offers[k].product.price_minor),
                    std::cmp::Reverse(k),
                )
            })
            .expect("a bundle has products");
        let max = maxes[get];
        let percent_bp = match max {
            Some(None) => {
                no_room += 1;
                return None;
            }
            Some(Some(m)) => m.min(settings.percent_bp),
            None => settings.percent_bp,
        };
        let price: i64 = offers.iter().map(|o| o.product.price_minor).sum();
        let off = offers[get].product.price_minor
            - crate::money::mul_round(
                offers[get].product.price_minor,
                Decimal::new(10_000 - percent_bp, 4),
            );
        let cost: Option<i64> = offers.iter().map(|o| o.product.cost_minor).sum();
        let mut items: Vec<BundleItem> = offers
            .iter()
            .zip(set)
            .map(|(o, i)| BundleItem {
                sku: o.product.sku.clone().unwrap_or_default(),
                title: o.product.title.clone(),
                price_minor: o.product.price_minor,
                cost_minor: o.product.cost_minor,
                orders: count[i],
            })
            .collect();
        let got = items.remove(get);
        items.push(got);
        let lift_text = if lift >= 10.0 {
            format!("{lift:.0}")
        } else {
            format!("{lift:.1}")
        };
        Some(Suggestion {
            get_sku: items.last().expect("a bundle has products").sku.clone(),
            orders: together,
            support: together as f64 / total,
            lift,
            percent_bp,
            max_percent_bp: max.flatten(),
            price_minor: price,
            bundle_price_minor: price - off,
            margin_minor: cost.map(|c| price - off - c),
            full_margin_minor: cost.map(|c| price - c),
            reason: format!(
                "bought together in {}, {lift_text}× as often as chance{}",
                super::lists::orders(together),
                match max {
                    None => "; no unit cost, so the margin floor cannot be checked".to_string(),
                    Some(Some(m)) if m < settings.percent_bp => format!(
                        "; the margin floor allows at most {} % off {}",
                        m / 100,
                        items.last().map(|i| i.sku.as_str()).unwrap_or("")
                    ),
                    _ => String::new(),
                }
            ),
            items,
        })
    };
    // Best first: baskets together weighted by how far above chance.
    let rank = |s: &Suggestion| s.orders as f64 * s.lift.ln();
    let mut pairs: Vec<Suggestion> = found
        .pairs
        .iter()
        .filter_map(|(p, c)| build(p, *c))
        .collect();
    let mut triples: Vec<Suggestion> = found
        .triples
        .iter()
        .filter_map(|(t, c)| build(t, *c))
        .collect();
    for list in [&mut pairs, &mut triples] {
        list.sort_by(|a, b| {
            rank(b)
                .total_cmp(&rank(a))
                .then_with(|| a.get_sku.cmp(&b.get_sku))
        });
        list.truncate(limit);
    }
    (pairs, triples, no_room)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::baskets::Basket;
    use crate::storefront::{DiscountMethod, DiscountValue, Items, Minimum};

    fn baskets(list: &[&[u32]]) -> Baskets {
        Baskets {
            products: (0..6).map(|i| 100 + i).collect(),
            baskets: list
                .iter()
                .enumerate()
                .map(|(n, items)| Basket {
                    order: n as i64,
                    customer: None,
                    items: items.to_vec(),
                })
                .collect(),
        }
    }

    #[test]
    fn counts_what_is_frequent_and_nothing_else() {
        let b = baskets(&[
            &[0, 1, 2],
            &[0, 1, 2],
            &[0, 1],
            &[0, 2, 3],
            &[1, 2, 3],
            &[4],
            &[3, 5],
        ]);
        let f = mine(&b, 2);
        // 5 is in one basket, 4 in one: not frequent.
        assert_eq!(f.items, vec![(0, 4), (1, 4), (2, 4), (3, 3)]);
        assert_eq!(
            f.pairs,
            vec![([0, 1], 3), ([0, 2], 3), ([1, 2], 3), ([2, 3], 2)]
        );
        // {0,1,2} twice; {0,2,3} and {1,2,3} once each.
        assert_eq!(f.triples, vec![([0, 1, 2], 2)]);
        let f3 = mine(&b, 3);
        assert_eq!(f3.pairs.len(), 3);
        assert!(f3.triples.is_empty());
    }

    #[test]
    fn the_floor_caps_the_discount_with_what_stacks() {
        // 10.00 with a floor at 8.50: 15 % keeps it, 16 % does not.
        assert_eq!(max_percent_bp(1000, 850, &[]), Some(1500));
        let five = Discount {
            title: "5 %".into(),
            method: DiscountMethod::Automatic,
            code: None,
            value: DiscountValue::Percentage { basis_points: 500 },
            minimum: Minimum::None,
            items: Items::All,
            starts_at: String::new(),
            ends_at: None,
            usage_limit: None,
            once_per_customer: false,
            customers: Vec::new(),
        };
        // With 5 % stacking: 10.00 × 0.89 = 8.90 × 0.95 = 8.46 < 8.50; 10 %
        // gives 9.00 × 0.95 = 8.55.
        assert_eq!(max_percent_bp(1000, 850, &[&five]), Some(1000));
        assert_eq!(max_percent_bp(1000, 995, &[]), None);
    }
}
