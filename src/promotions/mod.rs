//! Promotions: flash sales, volume tiers and bundles, all under one margin
//! floor.

pub mod bundle;
pub mod floor;
pub mod push;
pub mod run;
pub mod sale;
pub mod tiers;

use crate::error::Result;
use crate::store::Shop;
use crate::storefront::Storefront;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use push::{Settled, SettledEvent, SettledKind};

/// Brings every sale, tier set and bundle up to `now` (see [`run::settle`],
/// [`tiers::settle`] and [`bundle::settle`]): at start, every minute while the app or `watch`
/// runs, after every sync and when they are listed. What it did is kept as
/// notifications.
pub fn settle(
    conn: &Connection,
    shop: &Shop,
    sf: &mut dyn Storefront,
    now: DateTime<Utc>,
) -> Result<Vec<Settled>> {
    let mut done = run::settle(conn, shop, sf, now)?;
    done.extend(tiers::settle(conn, now)?);
    done.extend(bundle::settle(conn, now)?);
    crate::notify::settled(conn, &done, now)?;
    Ok(done)
}
