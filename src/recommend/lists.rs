//! Each product's lists, built from the fitted model, the baskets and the
//! catalog, each item with its reason:
//! - **related** (frequently bought together): the model's strongest
//!   partners bought with the product in at least two orders;
//! - **similar** (substitutes): a similar title, the same category, bought
//!   by the same customers;
//! - **upsell**: a similar item at a higher price and a higher margin that
//!   sells well enough.
//!
//! A product with too few orders falls back to similar items, then to what
//! sells, and its reason says so.

use super::baskets::Basket;
use super::catalog::Product;
use super::ease::Ease;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Items stored per list (more than are shown, so an exclusion still
/// leaves a full list).
pub const STORED: usize = 20;
/// Items a list shows.
pub const SHOWN: usize = 10;
/// Orders two products must share to be "bought together".
const MIN_TOGETHER: u32 = 2;
/// Orders an upsell must be in to be "selling well enough".
const MIN_UPSELL_ORDERS: u32 = 3;
/// A title at least this close (TF-IDF cosine) is "similar".
const SIMILAR_TITLE: f32 = 0.25;
/// Customers with more distinct products than this (wholesalers) say
/// little about which items are alike and are left out of "the same
/// customers".
const MAX_CUSTOMER_ITEMS: usize = 300;

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendList"))]
#[serde(rename_all = "lowercase")]
pub enum List {
    Related,
    Similar,
    Upsell,
}

impl List {
    pub const ALL: [List; 3] = [List::Related, List::Similar, List::Upsell];

    pub fn as_str(self) -> &'static str {
        match self {
            List::Related => "related",
            List::Similar => "similar",
            List::Upsell => "upsell",
        }
    }

    pub fn parse(s: &str) -> Option<List> {
        List::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Where an item of a list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendBasis"))]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The model: bought together.
    Model,
    /// Alike (title, category, customers).
    Similar,
    /// Pinned by the owner.
    Pinned,
    /// What sells: the last fallback.
    Sells,
}

/// One item of one product's list (indexes into the catalog).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub product: usize,
    pub list: List,
    pub other: usize,
    pub score: f32,
    pub basis: Basis,
    pub why: Why,
}

/// What a list item's reason is written from (stored with the item; the
/// words are written when the list is read, with the prices and margins of
/// that moment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Why {
    /// Orders holding both (bought together).
    pub together: u32,
    /// The rarest title words they share, for a similar title.
    pub words: Vec<String>,
    pub same_category: bool,
    /// Customers who bought both (shown from two).
    pub customers: u32,
}

/// "1 order", "5 orders".
pub fn orders(n: u32) -> String {
    if n == 1 {
        "1 order".to_string()
    } else {
        format!("{n} orders")
    }
}

/// One side of a reason: a product and the orders holding it.
pub struct Side<'a> {
    pub product: &'a Product,
    pub orders: u32,
}

/// The reason shown beside `other` in `me`'s `list`; `alone`: the list has
/// nothing bought together with `me` (it is all fallback, and says why).
pub fn reason(list: List, basis: Basis, why: &Why, me: Side, other: Side, alone: bool) -> String {
    let alike = || {
        let mut parts = Vec::new();
        if !why.words.is_empty() {
            let ws: Vec<String> = why.words.iter().map(|w| format!("“{w}”")).collect();
            parts.push(format!("similar title ({})", ws.join(", ")));
        }
        if why.same_category {
            parts.push(format!(
                "same category ({})",
                me.product.category.as_deref().unwrap_or_default()
            ));
        }
        if why.customers >= 2 {
            parts.push(format!("bought by {} of the same customers", why.customers));
        }
        parts.join(", ")
    };
    let few = |what: String| {
        if !alone {
            what
        } else if me.orders < 10 {
            format!("only {} yet: {what}", orders(me.orders))
        } else {
            format!("not bought with other items often enough yet: {what}")
        }
    };
    match (list, basis) {
        (_, Basis::Model) => format!("bought together in {}", orders(why.together)),
        (List::Related, Basis::Sells) => few(format!("a best seller, in {}", orders(other.orders))),
        (_, Basis::Sells) => format!(
            "nothing alike yet: a best seller, in {}",
            orders(other.orders)
        ),
        (List::Related, _) => few(alike()),
        (List::Upsell, _) => {
            let (a, b) = (me.product, other.product);
            let price = b.price_minor as f64 / a.price_minor.max(1) as f64;
            let margin = match (a.margin_minor(), b.margin_minor()) {
                (Some(x), Some(y)) if x > 0 && y > x => {
                    format!("{:.1}× the margin", y as f64 / x as f64)
                }
                (Some(x), Some(y)) if y > x => "a better margin".to_string(),
                (Some(_), Some(_)) => "no better margin now".to_string(),
                _ => "margin unknown (no unit cost)".to_string(),
            };
            format!(
                "{}; {price:.1}× the price, {margin}, in {}",
                alike(),
                orders(other.orders)
            )
        }
        (List::Similar, _) => alike(),
    }
}

/// What the lists are built from: the catalog, the baskets over catalog
/// indexes, and the model fitted on them.
pub struct Inputs<'a> {
    pub catalog: &'a [Product],
    pub baskets: &'a [Basket],
    pub model: &'a Ease,
}

/// Title words as the similarity reads them.
fn words(title: &str) -> Vec<String> {
    const STOP: [&str; 12] = [
        "and", "of", "the", "with", "in", "for", "a", "an", "to", "on", "set", "x",
    ];
    let mut w: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2 && !STOP.contains(&w.as_str()))
        .collect();
    w.sort();
    w.dedup();
    w
}

/// How alike two products are, and why.
struct Alike {
    title: f32,
    same_category: bool,
    customers: u32,
    customer_cosine: f32,
}

impl Alike {
    fn score(&self) -> f32 {
        0.6 * self.title
            + 0.25 * f32::from(u8::from(self.same_category))
            + 0.15 * self.customer_cosine
    }
}

/// Title words (TF-IDF, unit length) and each word's products.
struct Titles {
    of: Vec<Vec<u32>>,
    products_of: Vec<Vec<u32>>,
    idf: Vec<f32>,
    norm: Vec<f32>,
    spelling: Vec<String>,
}

impl Titles {
    fn new(catalog: &[Product]) -> Titles {
        let n = catalog.len();
        let mut vocabulary: HashMap<String, u32> = HashMap::new();
        let mut spelling = Vec::new();
        let mut of: Vec<Vec<u32>> = Vec::with_capacity(n);
        for p in catalog {
            of.push(
                words(&p.title)
                    .into_iter()
                    .map(|w| {
                        let next = vocabulary.len() as u32;
                        *vocabulary.entry(w.clone()).or_insert_with(|| {
                            spelling.push(w);
                            next
                        })
                    })
                    .collect(),
            );
        }
        let mut products_of: Vec<Vec<u32>> = vec![Vec::new(); vocabulary.len()];
        for (i, ws) in of.iter().enumerate() {
            for w in ws {
                products_of[*w as usize].push(i as u32);
            }
        }
        let idf: Vec<f32> = products_of
            .iter()
            .map(|ps| ((n as f32 + 1.0) / ps.len() as f32).ln())
            .collect();
        let norm = of
            .iter()
            .map(|ws| {
                ws.iter()
                    .map(|w| idf[*w as usize].powi(2))
                    .sum::<f32>()
                    .sqrt()
            })
            .collect();
        Titles {
            of,
            products_of,
            idf,
            norm,
            spelling,
        }
    }

    /// The two rarest words two titles share.
    fn shared(&self, i: usize, j: usize) -> Vec<&str> {
        let mut shared: Vec<u32> = self.of[i]
            .iter()
            .filter(|w| self.of[j].contains(w))
            .copied()
            .collect();
        shared.sort_by(|a, b| {
            self.idf[*b as usize]
                .total_cmp(&self.idf[*a as usize])
                .then(a.cmp(b))
        });
        shared
            .iter()
            .take(2)
            .map(|w| self.spelling[*w as usize].as_str())
            .collect()
    }
}

/// What every product's lists read: the catalog's title words,
/// customers, categories and best sellers.
struct Index<'a> {
    catalog: &'a [Product],
    model: &'a Ease,
    /// Baskets holding each product.
    support: Vec<u32>,
    titles: Titles,
    /// Each product's customers and each customer's products (customers
    /// with few enough distinct products only), by customer index.
    customers_of: Vec<Vec<u32>>,
    products_of: Vec<Vec<u32>>,
    in_category: HashMap<&'a str, Vec<u32>>,
    /// What sells, best first: the last fallback.
    sellers: Vec<usize>,
}

/// One thread's working space, one slot a product, left zeroed.
struct Scratch {
    title_dot: Vec<f32>,
    shared_customers: Vec<u32>,
    candidate: Vec<bool>,
    candidates: Vec<u32>,
    seen: Vec<bool>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            title_dot: vec![0.0; n],
            shared_customers: vec![0; n],
            candidate: vec![false; n],
            candidates: Vec::new(),
            seen: vec![false; n],
        }
    }

    fn clear(&mut self) {
        for j in self.candidates.drain(..) {
            self.title_dot[j as usize] = 0.0;
            self.candidate[j as usize] = false;
        }
        // Most products touch most of them: zeroing them whole is cheaper
        // than remembering which.
        self.shared_customers.fill(0);
    }
}

/// Builds every product's lists, on two threads.
pub fn build(inputs: &Inputs) -> Vec<Entry> {
    let index = Index::new(inputs);
    let n = inputs.catalog.len();
    // Products in chunks, taken in turn by each thread (some products
    // cost far more than others); the chunks are put back in order.
    const CHUNK: usize = 64;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || {
        let mut scratch = Scratch::new(n);
        let mut done: Vec<(usize, Vec<Entry>)> = Vec::new();
        loop {
            let chunk = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let from = chunk * CHUNK;
            if from >= n {
                return done;
            }
            let mut out = Vec::with_capacity(CHUNK * STORED * 3);
            for i in from..(from + CHUNK).min(n) {
                index.product(i, &mut scratch, &mut out);
            }
            done.push((chunk, out));
        }
    };
    let mut chunks = std::thread::scope(|s| {
        let other = s.spawn(run);
        let mut mine = run();
        mine.extend(other.join().expect("a list thread ended"));
        mine
    });
    chunks.sort_by_key(|c| c.0);
    chunks.into_iter().flat_map(|c| c.1).collect()
}

impl<'a> Index<'a> {
    fn new(inputs: &Inputs<'a>) -> Index<'a> {
        let catalog = inputs.catalog;
        let n = catalog.len();
        let mut support = vec![0u32; n];
        let mut items_of: HashMap<i64, Vec<u32>> = HashMap::new();
        for basket in inputs.baskets {
            for i in &basket.items {
                support[*i as usize] += 1;
            }
            if let Some(c) = basket.customer {
                items_of
                    .entry(c)
                    .or_default()
                    .extend_from_slice(&basket.items);
            }
        }
        let mut products_of: Vec<Vec<u32>> = items_of
            .into_values()
            .map(|mut items| {
                items.sort_unstable();
                items.dedup();
                items
            })
            .filter(|items| items.len() <= MAX_CUSTOMER_ITEMS)
            .collect();
        products_of.sort();
        let mut customers_of: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (c, items) in products_of.iter().enumerate() {
            for i in items {
                customers_of[*i as usize].push(c as u32);
            }
        }
        let mut in_category: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, p) in catalog.iter().enumerate() {
            if let Some(c) = p.category.as_deref() {
                in_category.entry(c).or_default().push(i as u32);
            }
        }
        let mut sellers: Vec<usize> = (0..n)
            .filter(|i| catalog[*i].active && support[*i] > 0)
            .collect();
        sellers.sort_by(|a, b| support[*b].cmp(&support[*a]).then(a.cmp(b)));
        sellers.truncate(STORED * 3);
        Index {
            catalog,
            model: inputs.model,
            support,
            titles: Titles::new(catalog),
            customers_of,
            products_of,
            in_category,
            sellers,
        }
    }

    /// Product `i`'s three lists, into `out`.
    fn product(&self, i: usize, scratch: &mut Scratch, out: &mut Vec<Entry>) {
        let catalog = self.catalog;
        let support = &self.support;
        let titles = &self.titles;
        // Counts: the customers it shares with each product.
        for c in &self.customers_of[i] {
            for j in &self.products_of[*c as usize] {
                scratch.shared_customers[*j as usize] += 1;
            }
        }
        // Candidates for similar: products sharing a title word, and the
        // category.
        for w in &titles.of[i] {
            let weight = titles.idf[*w as usize].powi(2);
            for j in &titles.products_of[*w as usize] {
                if !scratch.candidate[*j as usize] {
                    scratch.candidate[*j as usize] = true;
                    scratch.candidates.push(*j);
                }
                scratch.title_dot[*j as usize] += weight;
            }
        }
        let category = catalog[i].category.as_deref();
        if let Some(members) = category.and_then(|c| self.in_category.get(c)) {
            for j in members {
                if !scratch.candidate[*j as usize] {
                    scratch.candidate[*j as usize] = true;
                    scratch.candidates.push(*j);
                }
            }
        }
        let title_dot = &scratch.title_dot;
        let shared_customers = &scratch.shared_customers;
        let customers_i = self.customers_of[i].len();
        // How alike product j is, if similar at all.
        let alike = |j: usize| -> Option<Alike> {
            let title = if titles.norm[i] > 0.0 && titles.norm[j] > 0.0 {
                title_dot[j] / (titles.norm[i] * titles.norm[j])
            } else {
                0.0
            };
            let same_category = category.is_some() && category == catalog[j].category.as_deref();
            if title < SIMILAR_TITLE && !same_category {
                return None;
            }
            let shared = shared_customers[j];
            Some(Alike {
                title,
                same_category,
                customers: shared,
                customer_cosine: if shared > 0 {
                    shared as f32 / ((customers_i * self.customers_of[j].len()) as f32).sqrt()
                } else {
                    0.0
                },
            })
        };
        let why = |j: usize, a: &Alike| -> Why {
            Why {
                together: 0,
                words: if a.title >= SIMILAR_TITLE {
                    titles.shared(i, j).iter().map(|w| w.to_string()).collect()
                } else {
                    Vec::new()
                },
                same_category: a.same_category,
                customers: if a.customers >= 2 { a.customers } else { 0 },
            }
        };
        // Every similar product with its score, the best first.
        let mut similar: Vec<(usize, f32, Alike)> = scratch
            .candidates
            .iter()
            .map(|j| *j as usize)
            .filter(|j| *j != i && catalog[*j].active)
            .filter_map(|j| alike(j).map(|a| (j, a.score(), a)))
            .collect();
        let best = |a: &(usize, f32, Alike), b: &(usize, f32, Alike)| {
            b.1.total_cmp(&a.1)
                .then(support[b.0].cmp(&support[a.0]))
                .then(a.0.cmp(&b.0))
        };
        // The related list may skip up to STORED of them as already in it.
        let head = (2 * STORED).min(similar.len());
        if similar.len() > head {
            similar.select_nth_unstable_by(head, best);
        }
        similar[..head].sort_by(best);

        // Related: the model's partners (strongest first) bought with it
        // often enough; only positive weights attract.
        let mut related: Vec<(usize, f32, u32)> = Vec::new();
        if let Some(row) = self.model.row(i as u32) {
            for weight in row {
                let (j, w, together) = (weight.item as usize, weight.weight, weight.together);
                if w > 0.0 && catalog[j].active && together >= MIN_TOGETHER {
                    related.push((j, w, together));
                    if related.len() == STORED {
                        break;
                    }
                }
            }
            related.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        let seen = &mut scratch.seen;
        let mut push = |list: List, other: usize, score: f32, basis: Basis, why: Why| {
            out.push(Entry {
                product: i,
                list,
                other,
                score,
                basis,
                why,
            })
        };
        // The related list, filled from similar items and then sellers.
        let mut count = 0;
        for (j, w, together) in &related {
            seen[*j] = true;
            push(
                List::Related,
                *j,
                *w,
                Basis::Model,
                Why {
                    together: *together,
                    ..Why::default()
                },
            );
            count += 1;
        }
        for (j, s, a) in &similar[..head] {
            if count == STORED {
                break;
            }
            if !seen[*j] {
                seen[*j] = true;
                push(List::Related, *j, *s, Basis::Similar, why(*j, a));
                count += 1;
            }
        }
        for j in &self.sellers {
            if count == STORED {
                break;
            }
            if *j != i && !seen[*j] {
                seen[*j] = true;
                push(List::Related, *j, 0.0, Basis::Sells, Why::default());
                count += 1;
            }
        }
        for (j, _, _) in &related {
            seen[*j] = false;
        }
        for (j, _, _) in &similar[..head] {
            seen[*j] = false;
        }
        for j in &self.sellers {
            seen[*j] = false;
        }

        // Similar, filled from sellers.
        let mut count = 0;
        let shown = STORED.min(head);
        for (j, s, a) in &similar[..shown] {
            push(List::Similar, *j, *s, Basis::Similar, why(*j, a));
            seen[*j] = true;
            count += 1;
        }
        for j in &self.sellers {
            if count == STORED {
                break;
            }
            if *j != i && !seen[*j] {
                push(List::Similar, *j, 0.0, Basis::Sells, Why::default());
                count += 1;
            }
        }
        for (j, _, _) in &similar[..shown] {
            seen[*j] = false;
        }

        // Upsell: alike, dearer, a better margin (or an unknown one),
        // selling well enough.
        let me = &catalog[i];
        let mut upsell: Vec<(usize, f32, &Alike)> = similar
            .iter()
            .filter(|(j, _, _)| {
                let other = &catalog[*j];
                other.price_minor > me.price_minor
                    && support[*j] >= MIN_UPSELL_ORDERS
                    && match (me.margin_minor(), other.margin_minor()) {
                        (Some(a), Some(b)) => b > a,
                        _ => true,
                    }
            })
            .map(|(j, s, a)| (*j, s * (1.0 + support[*j] as f32).ln(), a))
            .collect();
        let upsell_order = |a: &(usize, f32, &Alike), b: &(usize, f32, &Alike)| {
            b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
        };
        if upsell.len() > STORED {
            upsell.select_nth_unstable_by(STORED, upsell_order);
            upsell.truncate(STORED);
        }
        upsell.sort_by(upsell_order);
        for (j, s, a) in upsell {
            push(List::Upsell, j, s, Basis::Similar, why(j, a));
        }
        scratch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(title: &str, category: Option<&str>, price: i64, cost: Option<i64>) -> Product {
        Product {
            id: 1,
            external_id: "1".into(),
            variant_external: "1".into(),
            sku: Some(title.into()),
            title: title.into(),
            category: category.map(str::to_string),
            active: true,
            price_minor: price,
            cost_minor: cost,
        }
    }

    #[test]
    fn a_reason_says_why_and_whether_the_list_is_only_a_fallback() {
        let me = product("Tea pot", Some("Kitchen"), 1200, Some(500));
        let big = product("Tea pot large", Some("Kitchen"), 1800, Some(600));
        let side = |p, orders| Side { product: p, orders };
        let alike = Why {
            words: vec!["pot".into(), "tea".into()],
            same_category: true,
            customers: 3,
            ..Why::default()
        };
        let r = |list, basis, why: &Why, mine, alone| {
            reason(list, basis, why, side(&me, mine), side(&big, 1), alone)
        };
        assert_eq!(
            r(List::Similar, Basis::Similar, &alike, 40, false),
            "similar title (“pot”, “tea”), same category (Kitchen), bought by 3 of the same customers"
        );
        assert_eq!(
            r(List::Related, Basis::Similar, &alike, 3, true),
            "only 3 orders yet: similar title (“pot”, “tea”), same category (Kitchen), bought by 3 of the same customers"
        );
        assert_eq!(
            r(List::Related, Basis::Sells, &Why::default(), 40, true),
            "not bought with other items often enough yet: a best seller, in 1 order"
        );
        assert_eq!(
            r(List::Related, Basis::Sells, &Why::default(), 40, false),
            "a best seller, in 1 order"
        );
        let together = Why {
            together: 37,
            ..Why::default()
        };
        assert_eq!(
            r(List::Related, Basis::Model, &together, 40, false),
            "bought together in 37 orders"
        );
        assert_eq!(
            r(List::Upsell, Basis::Similar, &Why { customers: 1, ..alike.clone() }, 40, false),
            "similar title (“pot”, “tea”), same category (Kitchen); 1.5× the price, 1.7× the margin, in 1 order"
        );
        let unknown = product("Tea pot large", Some("Kitchen"), 1800, None);
        assert!(reason(
            List::Upsell,
            Basis::Similar,
            &alike,
            side(&me, 9),
            side(&unknown, 5),
            false
        )
        .ends_with("1.5× the price, margin unknown (no unit cost), in 5 orders"));
    }
}
