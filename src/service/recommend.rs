//! Recommendations: building the lists, reading them with the owner's pins
//! and exclusions, completing carts, a customer's picks, and the model
//! measured on the shop's own hold-out.

use super::Desk;
use crate::error::{Error, Result};
use crate::recommend::lists::List;
use crate::recommend::serve::{self, Completions, Picks};
use crate::recommend::store::{self, Build, Override, ProductList};
use crate::recommend::{baskets, ease::Settings, evaluate};
use chrono::Utc;
use serde::Serialize;

/// What the Recommendations page opens with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RecommendOverview"))]
pub struct Overview {
    /// The newest build (none: never built).
    pub build: Option<Build>,
    /// The newest evaluation on every order and when it ran (UTC).
    pub evaluation: Option<evaluate::Evaluation>,
    pub evaluated_at: Option<String>,
}

/// How many items a list may ask for.
const MAX_LIMIT: usize = 100;

fn checked_limit(limit: Option<u32>, default: usize) -> Result<usize> {
    match limit {
        None => Ok(default),
        Some(0) => Err(Error::InvalidArgument(
            "the limit must be at least 1".into(),
        )),
        Some(n) if n as usize > MAX_LIMIT => Err(Error::InvalidArgument(format!(
            "the limit is at most {MAX_LIMIT}"
        ))),
        Some(n) => Ok(n as usize),
    }
}

impl Desk {
    /// Fits the model on every order and rebuilds every product's lists.
    pub fn recommend_build(&self) -> Result<Build> {
        self.with_store(|s| {
            let now = s.require_shop()?.clock(Utc::now());
            store::build(s.conn_mut(), now)
        })
    }

    /// The hold-out figures (`last`: learn from the last so many training
    /// orders only). An evaluation on every order is kept, and when it
    /// chooses a different λ the lists are built again with it.
    pub fn recommend_evaluate(&self, last: Option<u32>) -> Result<evaluate::Evaluation> {
        self.with_store(|s| {
            let now = s.require_shop()?.clock(Utc::now());
            let b = baskets::read(s.conn())?;
            if last == Some(0) {
                return Err(Error::InvalidArgument(
                    "--last must be at least 1 order".into(),
                ));
            }
            let e = evaluate::evaluate(&b, last.map(|n| n as usize), Settings::default())?;
            store::save_evaluation(s.conn(), &e, last, now)?;
            if last.is_none() {
                let built = store::latest_build(s.conn())?;
                if built.is_some_and(|b| b.multiple != Some(e.multiple)) {
                    store::build(s.conn_mut(), now)?;
                }
            }
            Ok(e)
        })
    }

    /// The build and the newest evaluation.
    pub fn recommend_overview(&self) -> Result<Overview> {
        self.with_store(|s| {
            s.require_shop()?;
            let evaluation = store::latest_evaluation(s.conn())?;
            let (evaluated_at, evaluation) = match evaluation {
                Some((at, figures)) => (
                    Some(at),
                    Some(serde_json::from_value(figures).map_err(|e| {
                        Error::InvalidArgument(format!("a stored evaluation is unreadable: {e}"))
                    })?),
                ),
                None => (None, None),
            };
            Ok(Overview {
                build: store::latest_build(s.conn())?,
                evaluation,
                evaluated_at,
            })
        })
    }

    /// One product's list (`limit`: 10 unless given), pins first, without
    /// the excluded items.
    pub fn recommend_list(
        &self,
        sku: String,
        list: List,
        limit: Option<u32>,
    ) -> Result<ProductList> {
        let limit = checked_limit(limit, crate::recommend::lists::SHOWN)?;
        self.with_store(|s| {
            s.require_shop()?;
            store::product_list(s.conn(), &sku, list, limit)
        })
    }

    /// Pins, excludes or clears `other` in `sku`'s list; the list as it is
    /// then.
    pub fn recommend_override(
        &self,
        sku: String,
        list: List,
        other: String,
        choice: Override,
    ) -> Result<ProductList> {
        self.with_store(|s| {
            let now = s.require_shop()?.clock(Utc::now());
            store::set_override(s.conn(), &sku, list, &other, choice, now)?;
            store::product_list(s.conn(), &sku, list, crate::recommend::lists::SHOWN)
        })
    }

    /// The next items for each cart in a CSV (`basket,sku[,customer]`).
    pub fn recommend_complete(
        &self,
        file: std::path::PathBuf,
        limit: Option<u32>,
    ) -> Result<Completions> {
        let limit = checked_limit(limit, crate::recommend::lists::SHOWN)?;
        let name = file.display().to_string();
        let f = std::fs::File::open(&file).map_err(|e| Error::io(format!("opening {name}"), e))?;
        let carts = serve::read_carts(&name, f)?;
        self.with_store(|s| {
            s.require_shop()?;
            serve::complete(s.conn(), &carts, limit)
        })
    }

    /// A customer's picks (by id or email).
    pub fn recommend_picks(&self, customer: String, limit: Option<u32>) -> Result<Picks> {
        let limit = checked_limit(limit, crate::recommend::lists::SHOWN)?;
        self.with_store(|s| {
            s.require_shop()?;
            serve::picks(s.conn(), &customer, limit)
        })
    }

    /// Every product's bought-together and similar lists, as shown, to the
    /// storefront's Search & Discovery metafields (the local store when none
    /// is connected), journaled and revertible.
    pub fn recommend_push(&self) -> Result<crate::recommend::push::Pushed> {
        self.storefront_job(|conn, sf| {
            let shop = crate::store::read_shop(conn)?.ok_or(Error::NoShop)?;
            crate::recommend::push::push(conn, sf, shop.clock(Utc::now()))
        })
    }
}
