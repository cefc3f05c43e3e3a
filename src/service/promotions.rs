//! Promotions: the margin floor, sales (checks with the model's projection,
//! launch, end, report) and volume and spend tiers.

use super::Desk;
use crate::error::{Error, Result};
use crate::money::Percent;
use crate::promotions::floor::MarginFloor;
use crate::promotions::sale::{self, CheckReport, Problem, Projection, Sale, SaleFile, SaleReport};
use crate::promotions::tiers::{self, Lookback, Preview, TierFile, TierSet};
use crate::promotions::{run, Settled};
use chrono::Utc;
use serde::Serialize;

/// The sales, the floor, and what settling did just now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SalesOverview {
    pub sales: Vec<Sale>,
    pub floor: MarginFloor,
    /// Sales started, ended or reverted because their time came (or went
    /// while the app was closed).
    pub settled: Vec<Settled>,
    /// UTC, for the countdowns.
    pub now: String,
}

/// Tiers as edited: the floor check and, when asked, a cart preview and a
/// look-back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct TiersCheck {
    pub ok: bool,
    pub problems: Vec<Problem>,
    pub preview: Option<Preview>,
    pub lookback: Option<Lookback>,
}

/// What the tiers editor asks.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct TiersRequest {
    pub file: TierFile,
    /// (SKU, quantity) lines; empty: no preview.
    #[cfg_attr(test, ts(type = "Array<[string, number]>"))]
    pub cart: Vec<(String, i64)>,
    /// Days to look back; none: no look-back.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub lookback_days: Option<i64>,
}

/// A sale's checks and the model's projection, for the editor.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SaleCheck {
    pub report: CheckReport,
    pub projection: Option<Projection>,
    /// Why there is no projection.
    pub projection_error: Option<String>,
}

/// Changes to the margin floor, as the command line gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloorEdit {
    /// The shop-wide minimum margin on cost, in percent.
    pub shop_percent: Option<String>,
    /// A category's own minimum in percent; `None` removes it.
    pub categories: Vec<(String, Option<String>)>,
}

impl Desk {
    /// Brings every sale up to now (unless another job holds the store),
    /// then lists them.
    pub fn sales_overview(&self) -> Result<SalesOverview> {
        let settled = match self.exclusive(|| self.with_store(|store| self.settle_in(store.conn())))
        {
            Ok(s) => s,
            Err(Error::Busy) => Vec::new(),
            Err(e) => return Err(e),
        };
        self.with_store(|store| {
            Ok(SalesOverview {
                sales: sale::list(store.conn())?,
                floor: MarginFloor::load(store.conn())?,
                settled,
                now: crate::time::fmt_utc(store.require_shop()?.clock(Utc::now())),
            })
        })
    }

    /// Changes parts of the margin floor (the command line's `floor`):
    /// percentages as written, with at most two decimals.
    pub fn edit_floor(&self, edit: FloorEdit) -> Result<MarginFloor> {
        let bp = |text: &str| -> Result<i64> {
            crate::money::parse_decimal(text.trim())
                .and_then(Percent::from_decimal)
                .map(|p| p.0)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "\"{text}\" is not a percentage with at most two decimals"
                    ))
                })
        };
        self.with_store(|store| {
            let conn = store.conn();
            let mut floor = MarginFloor::load(conn)?;
            let changed = edit.shop_percent.is_some() || !edit.categories.is_empty();
            if let Some(p) = &edit.shop_percent {
                floor.shop_bp = bp(p)?;
            }
            for (name, pct) in &edit.categories {
                match pct {
                    None => {
                        floor.categories.remove(name.trim());
                    }
                    Some(p) => {
                        floor.categories.insert(name.trim().to_string(), bp(p)?);
                    }
                }
            }
            if changed {
                floor.save(conn, Utc::now())?;
            }
            Ok(floor)
        })
    }

    /// Replaces the margin floor.
    pub fn save_floor(&self, floor: MarginFloor) -> Result<MarginFloor> {
        self.with_store(|store| {
            floor.save(store.conn(), Utc::now())?;
            MarginFloor::load(store.conn())
        })
    }

    /// Checks a sale as edited (saved or not) and projects it.
    pub fn check_sale(&self, file: SaleFile, id: Option<i64>) -> Result<SaleCheck> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            let conn = store.conn();
            let now = shop.clock(Utc::now());
            let report = sale::check(conn, &shop, &file, id, now)?;
            let (projection, projection_error) = match self
                .model(store)
                .and_then(|built| sale::projection(conn, &shop, &file, &built, now))
            {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(e.to_string())),
            };
            Ok(SaleCheck {
                report,
                projection,
                projection_error,
            })
        })
    }

    /// Checks a stored sale and projects it (the command line's `sale
    /// check`): the same checks and projection as the editor's.
    pub fn check_saved_sale(&self, id: i64) -> Result<(Sale, SaleCheck)> {
        let s = self.with_store(|store| sale::get(store.conn(), id))?;
        let check = self.check_sale(s.file.clone(), Some(id))?;
        Ok((s, check))
    }

    /// Stores a draft sale.
    pub fn create_sale(&self, file: SaleFile) -> Result<Sale> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            sale::create(store.conn(), &shop, &file, shop.clock(Utc::now()))
        })
    }

    /// Replaces a draft sale's definition.
    pub fn update_sale(&self, id: i64, file: SaleFile) -> Result<Sale> {
        self.with_store(|store| sale::update(store.conn(), &store.require_shop()?, id, &file))
    }

    /// Deletes a draft sale; lists what is left.
    pub fn delete_sale(&self, id: i64) -> Result<SalesOverview> {
        self.with_store(|store| sale::delete(store.conn(), id))?;
        self.sales_overview()
    }

    /// Launches a draft (now, or at its start).
    pub fn launch_sale(&self, id: i64, override_reason: Option<String>) -> Result<Sale> {
        self.storefront_job(|conn, sf| {
            let shop = crate::store::read_shop(conn)?.ok_or(Error::NoShop)?;
            let now = shop.clock(Utc::now());
            run::launch(conn, &shop, sf, id, override_reason.as_deref(), now)
        })
    }

    /// Ends a sale now and reverts it.
    pub fn end_sale(&self, id: i64) -> Result<Sale> {
        self.storefront_job(|conn, sf| run::end(conn, sf, id, shop_clock(conn)?))
    }

    /// How a sale did.
    pub fn sale_report(&self, id: i64) -> Result<SaleReport> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            sale::report(store.conn(), &shop, id, shop.clock(Utc::now()))
        })
    }

    /// Every tier set.
    pub fn tier_sets(&self) -> Result<Vec<TierSet>> {
        self.with_store(|store| tiers::list(store.conn()))
    }

    /// Checks tiers as edited, previews a cart and looks back.
    pub fn check_tiers(&self, request: TiersRequest) -> Result<TiersCheck> {
        // The labels are the tiers panel's.
        if let Some((sku, _)) = request.cart.iter().find(|(_, q)| *q < 1) {
            return Err(Error::field(
                format!("Units of {sku}"),
                "give a whole number 1 or more.",
            ));
        }
        if request
            .lookback_days
            .is_some_and(|d| !(1..=3650).contains(&d))
        {
            return Err(Error::field(
                "Look back (days)",
                "give a whole number from 1 to 3650.",
            ));
        }
        self.with_store(|store| {
            let shop = store.require_shop()?;
            let conn = store.conn();
            let now = shop.clock(Utc::now());
            let (ok, problems) = tiers::check(conn, &shop, &request.file, now)?;
            let preview = if request.cart.is_empty() {
                None
            } else {
                Some(tiers::preview(conn, &shop, &request.file, &request.cart)?)
            };
            let lookback = match request.lookback_days {
                Some(days) => Some(tiers::lookback(conn, &shop, &request.file, days, now)?),
                None => None,
            };
            Ok(TiersCheck {
                ok,
                problems,
                preview,
                lookback,
            })
        })
    }

    /// Checks stored tiers, previews a cart and looks back (the command
    /// line's `tiers check`, `preview` and `lookback`).
    pub fn check_saved_tiers(
        &self,
        id: i64,
        cart: Vec<(String, i64)>,
        lookback_days: Option<i64>,
    ) -> Result<(TierSet, TiersCheck)> {
        let t = self.with_store(|store| tiers::get(store.conn(), id))?;
        let check = self.check_tiers(TiersRequest {
            file: t.file.clone(),
            cart,
            lookback_days,
        })?;
        Ok((t, check))
    }

    /// Stores tiers as a draft.
    pub fn create_tiers(&self, file: TierFile) -> Result<TierSet> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            tiers::create(store.conn(), &shop, &file, shop.clock(Utc::now()))
        })
    }

    /// Replaces a draft tier set's definition.
    pub fn update_tiers(&self, id: i64, file: TierFile) -> Result<TierSet> {
        self.with_store(|store| tiers::update(store.conn(), &store.require_shop()?, id, &file))
    }

    /// Deletes a draft tier set; lists what is left.
    pub fn delete_tiers(&self, id: i64) -> Result<Vec<TierSet>> {
        self.with_store(|store| tiers::delete(store.conn(), id))?;
        self.tier_sets()
    }

    /// Pushes tiers as storefront discounts.
    pub fn launch_tiers(&self, id: i64, override_reason: Option<String>) -> Result<TierSet> {
        self.storefront_job(|conn, sf| {
            let shop = crate::store::read_shop(conn)?.ok_or(Error::NoShop)?;
            let now = shop.clock(Utc::now());
            tiers::launch(conn, &shop, sf, id, override_reason.as_deref(), now)
        })
    }

    /// Takes live tiers off the storefront.
    pub fn end_tiers(&self, id: i64) -> Result<TierSet> {
        self.storefront_job(|conn, sf| tiers::end(conn, sf, id, shop_clock(conn)?))
    }

    /// The storefront countdown snippet of a sale.
    pub fn sale_snippet(&self, id: i64) -> Result<String> {
        self.with_store(|store| Ok(sale::countdown_snippet(&sale::get(store.conn(), id)?)))
    }
}

/// The clock of the shop in `conn` (see [`crate::store::Shop::clock`]).
fn shop_clock(conn: &rusqlite::Connection) -> Result<chrono::DateTime<Utc>> {
    Ok(crate::store::read_shop(conn)?
        .ok_or(Error::NoShop)?
        .clock(Utc::now()))
}
