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

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Model => "model",
            Basis::Similar => "similar",
            Basis::Pinned => "pinned",
            Basis::Sells => "sells",
        }
    }

    pub fn parse(s: &str) -> Option<Basis> {
        [Basis::Model, Basis::Similar, Basis::Pinned, Basis::Sells]
            .into_iter()
            .find(|b| b.as_str() == s)
    }
}

/// One item of one product's list (indexes into the catalog).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub product: usize,
    pub list: List,
    pub other: usize,
    pub score: f32,
    pub basis: Basis,
    pub reason: String,
}

/// What the lists are built from: the catalog, and for each catalog
/// product the baskets (by index) holding it and the customers who bought
/// it.
pub struct Inputs<'a> {
    pub catalog: &'a [Product],
    /// Each catalog product's baskets, ascending.
    pub baskets_of: Vec<Vec<u32>>,
    /// Each basket's customer.
    pub customer_of: Vec<Option<i64>>,
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

    fn is_similar(&self) -> bool {
        self.title >= SIMILAR_TITLE || self.same_category
    }
}

/// Builds every product's lists.
pub fn build(inputs: &Inputs) -> Vec<Entry> {
    let catalog = inputs.catalog;
    let n = catalog.len();
    let support: Vec<u32> = inputs.baskets_of.iter().map(|b| b.len() as u32).collect();

    // Title vectors (TF-IDF, unit length) and each word's products.
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut titles: Vec<Vec<u32>> = Vec::with_capacity(n);
    for p in catalog {
        let ws = words(&p.title);
        titles.push(
            ws.into_iter()
                .map(|w| {
                    let next = vocabulary.len() as u32;
                    *vocabulary.entry(w).or_insert(next)
                })
                .collect(),
        );
    }
    let mut word_products: Vec<Vec<u32>> = vec![Vec::new(); vocabulary.len()];
    for (i, ws) in titles.iter().enumerate() {
        for w in ws {
            word_products[*w as usize].push(i as u32);
        }
    }
    let mut spelling: Vec<&str> = vec![""; vocabulary.len()];
    for (w, id) in &vocabulary {
        spelling[*id as usize] = w;
    }
    let idf: Vec<f32> = word_products
        .iter()
        .map(|ps| ((n as f32 + 1.0) / ps.len() as f32).ln())
        .collect();
    let norm: Vec<f32> = titles
        .iter()
        .map(|ws| {
            ws.iter()
                .map(|w| idf[*w as usize].powi(2))
                .sum::<f32>()
                .sqrt()
        })
        .collect();

    // The customers of each product and the products of each customer.
    let mut items_of: HashMap<i64, Vec<u32>> = HashMap::new();
    for (i, bs) in inputs.baskets_of.iter().enumerate() {
        for b in bs {
            if let Some(c) = inputs.customer_of[*b as usize] {
                items_of.entry(c).or_default().push(i as u32);
            }
        }
    }
    items_of.retain(|_, items| {
        items.sort_unstable();
        items.dedup();
        items.len() <= MAX_CUSTOMER_ITEMS
    });
    let mut customers_of: Vec<Vec<i64>> = vec![Vec::new(); n];
    for (c, items) in &items_of {
        for i in items {
            customers_of[*i as usize].push(*c);
        }
    }

    // What sells, best first: the last fallback.
    let mut sellers: Vec<usize> = (0..n)
        .filter(|i| catalog[*i].active && support[*i] > 0)
        .collect();
    sellers.sort_by(|a, b| support[*b].cmp(&support[*a]).then(a.cmp(b)));
    sellers.truncate(STORED * 3);

    let mut title_acc = vec![0f32; n];
    let mut customer_acc = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(n * STORED * 2);
    for i in 0..n {
        // Alike: title words, then the same customers.
        for w in &titles[i] {
            let weight = idf[*w as usize].powi(2);
            for j in &word_products[*w as usize] {
                if title_acc[*j as usize] == 0.0 && customer_acc[*j as usize] == 0 {
                    touched.push(*j);
                }
                title_acc[*j as usize] += weight;
            }
        }
        for c in &customers_of[i] {
            for j in &items_of[c] {
                if title_acc[*j as usize] == 0.0 && customer_acc[*j as usize] == 0 {
                    touched.push(*j);
                }
                customer_acc[*j as usize] += 1;
            }
        }
        let alike = |j: usize| -> Alike {
            let title = if norm[i] > 0.0 && norm[j] > 0.0 {
                title_acc[j] / (norm[i] * norm[j])
            } else {
                0.0
            };
            let customers = customer_acc[j];
            let (ci, cj) = (customers_of[i].len(), customers_of[j].len());
            Alike {
                title,
                same_category: catalog[i].category.is_some()
                    && catalog[i].category == catalog[j].category,
                customers,
                customer_cosine: if ci > 0 && cj > 0 {
                    customers as f32 / ((ci * cj) as f32).sqrt()
                } else {
                    0.0
                },
            }
        };
        let shared_words = |j: usize| -> Vec<&str> {
            let mut shared: Vec<u32> = titles[i]
                .iter()
                .filter(|w| titles[j].contains(w))
                .copied()
                .collect();
            shared.sort_by(|a, b| idf[*b as usize].total_cmp(&idf[*a as usize]).then(a.cmp(b)));
            shared
                .iter()
                .take(2)
                .map(|w| spelling[*w as usize])
                .collect()
        };
        let why_alike = |j: usize, a: &Alike| -> String {
            let mut parts = Vec::new();
            if a.title >= SIMILAR_TITLE {
                let ws: Vec<String> = shared_words(j).iter().map(|w| format!("“{w}”")).collect();
                parts.push(format!("similar title ({})", ws.join(", ")));
            }
            if a.same_category {
                parts.push(format!(
                    "same category ({})",
                    catalog[i].category.as_deref().unwrap_or_default()
                ));
            }
            if a.customers >= 2 && j != i {
                parts.push(format!("bought by {} of the same customers", a.customers));
            }
            parts.join(", ")
        };
        let mut similar: Vec<(usize, f32)> = touched
            .iter()
            .map(|j| *j as usize)
            .filter(|j| *j != i && catalog[*j].active)
            .filter_map(|j| {
                let a = alike(j);
                a.is_similar().then(|| (j, a.score()))
            })
            .collect();
        similar.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(support[b.0].cmp(&support[a.0]))
                .then(a.0.cmp(&b.0))
        });

        // Related: the model's partners bought with it often enough.
        let mut related: Vec<(usize, f32, u32)> = Vec::new();
        if let Some(row) = inputs.model.row(i as u32) {
            let mut partners: Vec<(usize, f32)> = row
                .filter(|(j, w)| *w > 0.0 && catalog[*j as usize].active)
                .map(|(j, w)| (j as usize, w))
                .collect();
            partners.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            for (j, w) in partners {
                let together = together(&inputs.baskets_of[i], &inputs.baskets_of[j]);
                if together >= MIN_TOGETHER {
                    related.push((j, w, together));
                    if related.len() == STORED {
                        break;
                    }
                }
            }
        }
        let mut push = |list: List, other: usize, score: f32, basis: Basis, reason: String| {
            out.push(Entry {
                product: i,
                list,
                other,
                score,
                basis,
                reason,
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
                format!("bought together in {together} orders"),
            );
            count += 1;
        }
        let few = if support[i] < 10 {
            format!("only {} orders yet", support[i])
        } else {
            "not bought with enough other items yet".to_string()
        };
        for (j, s) in &similar {
            if count == STORED {
                break;
            }
            if !seen[*j] {
                seen[*j] = true;
                let a = alike(*j);
                push(
                    List::Related,
                    *j,
                    *s,
                    Basis::Similar,
                    format!("{few}: {}", why_alike(*j, &a)),
                );
                count += 1;
            }
        }
        for j in &sellers {
            if count == STORED {
                break;
            }
            if *j != i && !seen[*j] {
                seen[*j] = true;
                push(
                    List::Related,
                    *j,
                    0.0,
                    Basis::Sells,
                    format!("{few}: a best seller, in {} orders", support[*j]),
                );
                count += 1;
            }
        }
        for (j, _, _) in &related {
            seen[*j] = false;
        }
        for (j, _) in &similar {
            seen[*j] = false;
        }
        for j in &sellers {
            seen[*j] = false;
        }

        // Similar, filled from sellers.
        let mut count = 0;
        for (j, s) in similar.iter().take(STORED) {
            let a = alike(*j);
            push(List::Similar, *j, *s, Basis::Similar, why_alike(*j, &a));
            seen[*j] = true;
            count += 1;
        }
        for j in &sellers {
            if count == STORED {
                break;
            }
            if *j != i && !seen[*j] {
                push(
                    List::Similar,
                    *j,
                    0.0,
                    Basis::Sells,
                    format!(
                        "nothing alike yet: a best seller, in {} orders",
                        support[*j]
                    ),
                );
                count += 1;
            }
        }
        for (j, _) in similar.iter().take(STORED) {
            seen[*j] = false;
        }

        // Upsell: alike, dearer, a better margin, selling well enough.
        let me = &catalog[i];
        let mut upsell: Vec<(usize, f32, String)> = similar
            .iter()
            .filter_map(|(j, s)| {
                let other = &catalog[*j];
                if other.price_minor <= me.price_minor || support[*j] < MIN_UPSELL_ORDERS {
                    return None;
                }
                let price = other.price_minor as f64 / me.price_minor.max(1) as f64;
                let margin = match (me.margin_minor(), other.margin_minor()) {
                    (Some(a), Some(b)) if b > a => {
                        if a > 0 {
                            format!("{:.1}× the margin", b as f64 / a as f64)
                        } else {
                            "a better margin".to_string()
                        }
                    }
                    (Some(_), Some(_)) => return None,
                    _ => "margin unknown (no unit cost)".to_string(),
                };
                let a = alike(*j);
                Some((
                    *j,
                    s * (1.0 + support[*j] as f32).ln(),
                    format!(
                        "{}; {price:.1}× the price, {margin}, in {} orders",
                        why_alike(*j, &a),
                        support[*j]
                    ),
                ))
            })
            .collect();
        upsell.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (j, s, reason) in upsell.into_iter().take(STORED) {
            push(List::Upsell, j, s, Basis::Similar, reason);
        }

        for j in touched.drain(..) {
            title_acc[j as usize] = 0.0;
            customer_acc[j as usize] = 0;
        }
    }
    out
}

/// How many of two ascending basket lists' baskets they share.
fn together(a: &[u32], b: &[u32]) -> u32 {
    let (mut x, mut y, mut n) = (0, 0, 0);
    while x < a.len() && y < b.len() {
        match a[x].cmp(&b[y]) {
            std::cmp::Ordering::Less => x += 1,
            std::cmp::Ordering::Greater => y += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                x += 1;
                y += 1;
            }
        }
    }
    n
}
