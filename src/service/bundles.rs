//! Bundles: suggestions from the shop's baskets, and the owner's bundles
//! checked, stored, launched on the storefront and ended.

use super::Desk;
use crate::error::{Error, Result};
use crate::promotions::bundle::{self, Bundle, BundleCheck, BundleFile};
use crate::promotions::floor::MarginFloor;
use crate::recommend::bundles::{self as mining, Offer, Settings, Suggestions};
use crate::recommend::{baskets, catalog};
use chrono::Utc;
use std::collections::HashMap;

/// Suggestions of each size when none is asked.
const SUGGESTED: usize = 20;

impl Desk {
    /// The pairs and triples worth selling together, each priced as a
    /// bundle under the margin floor (at most `limit` of each size).
    pub fn bundle_suggest(&self, limit: Option<u32>) -> Result<Suggestions> {
        let limit = match limit {
            None => SUGGESTED,
            Some(n @ 1..=100) => n as usize,
            Some(_) => {
                return Err(Error::InvalidArgument(
                    "the limit is a whole number from 1 to 100".into(),
                ))
            }
        };
        self.with_store(|store| {
            let started = std::time::Instant::now();
            let shop = store.require_shop()?;
            let conn = store.conn();
            let now = crate::time::fmt_utc(shop.clock(Utc::now()));
            let b = baskets::read(conn)?;
            let settings = Settings::for_shop(b.baskets.len());
            let found = mining::mine(&b, settings.min_orders);
            let products: HashMap<i64, catalog::Product> = catalog::read(conn)?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let floor = MarginFloor::load(conn)?;
            let live = crate::storefront::local::discounts_overlapping(conn, &now, "9999")?;
            let offer = |id: i64| -> Option<Offer> {
                let p = products.get(&id).filter(|p| p.active && p.sku.is_some())?;
                Some(Offer {
                    product: p,
                    floor_minor: p
                        .cost_minor
                        .map(|c| floor.min_price(c, p.category.as_deref())),
                    stacking: live
                        .iter()
                        .filter(|d| d.items.covers(&p.external_id, &p.variant_external))
                        .collect(),
                })
            };
            let (pairs, triples, no_room) = mining::suggest(&b, &found, settings, &offer, limit);
            Ok(Suggestions {
                baskets: b.baskets.len() as u32,
                min_orders: settings.min_orders,
                min_lift: settings.min_lift,
                frequent_items: found.items.len() as u32,
                frequent_pairs: found.pairs.len() as u32,
                frequent_triples: found.triples.len() as u32,
                pairs,
                triples,
                no_room,
                millis: started.elapsed().as_millis() as u64,
            })
        })
    }

    /// Every bundle, newest first.
    pub fn bundles(&self) -> Result<Vec<Bundle>> {
        self.with_store(|store| bundle::list(store.conn()))
    }

    /// A bundle as written (saved or not) against the margin floor, with
    /// what it leaves the shop.
    pub fn check_bundle(&self, file: BundleFile) -> Result<BundleCheck> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            bundle::check(store.conn(), &shop, &file, shop.clock(Utc::now()))
        })
    }

    /// Stores a bundle as a draft.
    pub fn create_bundle(&self, file: BundleFile) -> Result<Bundle> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            bundle::create(store.conn(), &shop, &file, shop.clock(Utc::now()))
        })
    }

    /// Deletes a draft bundle; lists what is left.
    pub fn delete_bundle(&self, id: i64) -> Result<Vec<Bundle>> {
        self.with_store(|store| bundle::delete(store.conn(), id))?;
        self.bundles()
    }

    /// Launches a draft bundle as its storefront discount.
    pub fn launch_bundle(&self, id: i64, override_reason: Option<String>) -> Result<Bundle> {
        self.storefront_job(|conn, sf| {
            let shop = crate::store::read_shop(conn)?.ok_or(Error::NoShop)?;
            let now = shop.clock(Utc::now());
            bundle::launch(conn, &shop, sf, id, override_reason.as_deref(), now)
        })
    }

    /// Ends a live bundle and takes its discount back.
    pub fn end_bundle(&self, id: i64) -> Result<Bundle> {
        self.storefront_job(|conn, sf| {
            let shop = crate::store::read_shop(conn)?.ok_or(Error::NoShop)?;
            bundle::end(conn, sf, id, shop.clock(Utc::now()))
        })
    }
}
