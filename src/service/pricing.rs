//! Pricing: signals, elasticities and the back-test, rule sets, proposals
//! and the what-if comparison. The demand model is built once per state of
//! the shop's data and kept, so an edit recomputes without rebuilding it.

use super::{lock, Desk};
use crate::error::{Error, Result};
use crate::pricing::elasticity::Estimate;
use crate::pricing::model::{DayBand, Run};
use crate::pricing::proposals::{self, ItemStatus, Proposal, ProposalSummary, SavedRules, Take};
use crate::pricing::rules::RuleSet;
use crate::pricing::scenario::Scenario;
use crate::pricing::signals::Signal;
use crate::pricing::{self, Backtest, Built, SimulationReport};
use crate::store::Store;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The saved rule sets, and the starter set to begin from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct RuleSets {
    pub saved: Vec<SavedRules>,
    pub starter: RuleSet,
}

/// What a compared scenario sets prices from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScenarioSource {
    /// Today's prices.
    Current,
    /// A proposal's prices (all but rejected items).
    Proposal {
        #[cfg_attr(test, ts(type = "number"))]
        id: i64,
    },
    /// Manual edits: a percentage on a category, a price on one SKU, …
    Changes { scenario: Scenario },
}

/// Up to four scenarios to simulate side by side.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct CompareRequest {
    pub scenarios: Vec<NamedSource>,
    pub days: usize,
    /// 0: expected values, instantly.
    pub paths: usize,
    #[cfg_attr(test, ts(type = "number"))]
    pub seed: u64,
}

/// A scenario with its name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct NamedSource {
    pub name: String,
    pub source: ScenarioSource,
}

/// One scenario's outcome, with its fan chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Compared {
    pub report: SimulationReport,
    /// Cumulative units, revenue and profit (minor units) by day.
    pub by_day: Vec<DayBand>,
}

/// The model built for one state of the data.
pub(super) struct ModelCache {
    key: (String, String),
    built: std::sync::Arc<Built>,
}

/// What changes whenever prices, stock, sales or the catalog can change:
/// imports, syncs and pushes all leave a row behind.
fn data_key(store: &Store) -> Result<(String, String)> {
    let stamp: String = store.conn().query_row(
        "SELECT coalesce((SELECT max(id) FROM import_runs), 0) || '/' ||
                coalesce((SELECT max(id) FROM sync_runs), 0) || '/' ||
                coalesce((SELECT max(id) FROM journal), 0) || '/' ||
                coalesce((SELECT max(confirmed_at) FROM journal), '')",
        [],
        |r| r.get(0),
    )?;
    Ok((store.path().display().to_string(), stamp))
}

/// The most paths the What-if comparison runs.
pub const MAX_COMPARE_PATHS: usize = 10_000;

impl Desk {
    /// The demand model for the open shop as its data stands now.
    pub(super) fn model(&self, store: &Store) -> Result<std::sync::Arc<Built>> {
        let key = data_key(store)?;
        let mut cache = lock(&self.model_cache);
        if let Some(c) = cache.as_ref().filter(|c| c.key == key) {
            return Ok(c.built.clone());
        }
        let built = std::sync::Arc::new(pricing::build(
            store.conn(),
            &store.require_shop()?,
            Utc::now(),
        )?);
        *cache = Some(ModelCache {
            key,
            built: built.clone(),
        });
        Ok(built)
    }

    /// Every variant's signals (velocity over 7, 28 and 90 days).
    pub fn pricing_signals(&self) -> Result<Vec<Signal>> {
        self.signals(&pricing::RULE_WINDOWS)
    }

    /// Every variant's elasticity in the demand model as it stands.
    pub fn pricing_elasticities(&self) -> Result<Vec<Estimate>> {
        self.with_store(|store| Ok(self.model(store)?.estimates.clone()))
    }

    /// Every variant's signals, with velocities over `windows` days.
    pub fn signals(&self, windows: &[i64]) -> Result<Vec<Signal>> {
        self.with_store(|store| {
            pricing::signals::signals(store.conn(), &store.require_shop()?, Utc::now(), windows)
        })
    }

    /// Each product's own-price elasticity over `weeks` of history.
    pub fn elasticities(&self, weeks: i64) -> Result<Vec<Estimate>> {
        self.with_store(|store| {
            pricing::elasticities(store.conn(), &store.require_shop()?, Utc::now(), weeks)
        })
    }

    /// The demand model's forecast of the last `weeks`, held out.
    pub fn backtest(&self, weeks: i64) -> Result<Backtest> {
        self.with_store(|store| {
            pricing::backtest(store.conn(), &store.require_shop()?, Utc::now(), weeks)
        })
    }

    /// The rule set a suggestion uses when none is given: the first saved
    /// one, else the starter rules.
    pub fn default_rules(&self) -> Result<RuleSet> {
        self.with_store(|store| {
            Ok(proposals::saved_rules(store.conn())?
                .into_iter()
                .next()
                .map_or_else(RuleSet::starter, |s| s.rules))
        })
    }

    /// The saved rule sets and the starter.
    pub fn rule_sets(&self) -> Result<RuleSets> {
        self.with_store(|store| {
            Ok(RuleSets {
                saved: proposals::saved_rules(store.conn())?,
                starter: RuleSet::starter(),
            })
        })
    }

    /// Saves a rule set under its name.
    pub fn save_rules(&self, rules: RuleSet) -> Result<SavedRules> {
        self.with_store(|store| {
            let currency = store.require_shop()?.currency;
            proposals::save_rules(store.conn(), &rules, &currency, Utc::now())
        })
    }

    /// Deletes a saved rule set.
    pub fn delete_rules(&self, id: i64) -> Result<RuleSets> {
        self.with_store(|store| proposals::delete_rules(store.conn(), id))?;
        self.rule_sets()
    }

    /// Runs a rule set and stores what it proposes.
    pub fn suggest_prices(&self, rules: RuleSet) -> Result<Proposal> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            let found = pricing::suggest(store.conn(), &shop, Utc::now(), &rules)?;
            proposals::save(store.conn(), &rules, &found, Utc::now())
        })
    }

    /// The newest proposals first.
    pub fn proposals(&self) -> Result<Vec<ProposalSummary>> {
        self.with_store(|store| proposals::list(store.conn(), 100))
    }

    /// One proposal with its items and reasons.
    pub fn proposal(&self, id: i64) -> Result<Proposal> {
        self.with_store(|store| proposals::get(store.conn(), id))
    }

    /// The owner's own price for one item (major units, as typed).
    pub fn edit_proposal(
        &self,
        id: i64,
        variant_id: i64,
        price: String,
        confirmed: bool,
    ) -> Result<Proposal> {
        self.with_store(|store| {
            let currency = store.require_shop()?.currency;
            let minor = crate::money::parse_decimal(price.trim())
                .and_then(|d| crate::money::to_minor(d, &currency))
                .ok_or_else(|| Error::InvalidArgument(format!("\"{price}\" is not an amount")))?;
            proposals::edit(store.conn(), id, variant_id, minor, &currency, confirmed)?;
            proposals::get(store.conn(), id)
        })
    }

    /// Approves, rejects or un-reviews items (none named: all).
    pub fn review_proposal(
        &self,
        id: i64,
        variant_ids: Vec<i64>,
        status: ItemStatus,
    ) -> Result<Proposal> {
        self.with_store(|store| proposals::review(store.conn(), id, &variant_ids, status.as_str()))
    }

    /// Closes a proposal without applying it.
    pub fn discard_proposal(&self, id: i64) -> Result<Proposal> {
        self.with_store(|store| proposals::discard(store.conn(), id))
    }

    /// Pushes the approved prices as one journaled batch.
    pub fn apply_proposal(&self, id: i64) -> Result<Proposal> {
        self.apply_proposal_taking(id, Take::Approved)
    }

    /// Pushes a proposal's prices (those `take` chooses) as one journaled
    /// batch through the connected storefront, or the local store.
    pub fn apply_proposal_taking(&self, id: i64, take: Take) -> Result<Proposal> {
        self.storefront_job(|conn, sf| proposals::apply(conn, sf, id, take, Utc::now()))
    }

    /// Simulates one scenario against today's prices (the command line's
    /// `price simulate`), named after its file or its proposal.
    pub fn simulate(&self, source: ScenarioSource, run: Run) -> Result<SimulationReport> {
        let name = match &source {
            ScenarioSource::Current => "current prices".to_string(),
            ScenarioSource::Changes { scenario } => scenario.name.clone(),
            ScenarioSource::Proposal { id } => {
                let p = self.proposal(*id)?;
                format!("proposal {id}: {}", p.name)
            }
        };
        let mut compared = self.compare_scenarios(
            CompareRequest {
                scenarios: vec![NamedSource { name, source }],
                days: run.days,
                paths: run.paths,
                seed: run.seed,
            },
            |_| {},
        )?;
        Ok(compared.remove(0).report)
    }

    /// Simulates up to four scenarios against today's prices, each with the
    /// same seed.
    pub fn compare_scenarios(
        &self,
        request: CompareRequest,
        mut on_progress: impl FnMut(&crate::import::Progress),
    ) -> Result<Vec<Compared>> {
        if request.scenarios.is_empty() || request.scenarios.len() > 4 {
            return Err(Error::InvalidArgument(
                "compare one to four scenarios".into(),
            ));
        }
        // The labels are the What-if form's.
        if !(1..=365).contains(&request.days) {
            return Err(Error::field("Days", "give a whole number from 1 to 365."));
        }
        // Up to four scenarios of every product: beyond 10,000 paths the
        // bands no longer move and the owner waits for nothing.
        if request.paths > MAX_COMPARE_PATHS {
            return Err(Error::field(
                "Paths",
                format!("give a whole number from 0 to {MAX_COMPARE_PATHS}."),
            ));
        }
        // One simulation at a time, and Cancel stops it between scenarios.
        self.exclusive(|| {
            let (built, currency, proposals) = self.with_store(|store| {
                let built = self.model(store)?;
                let mut wanted = HashMap::new();
                for s in &request.scenarios {
                    if let ScenarioSource::Proposal { id } = s.source {
                        wanted.insert(id, proposals::get(store.conn(), id)?);
                    }
                }
                Ok((built, store.require_shop()?.currency, wanted))
            })?;
            let run = Run {
                days: request.days,
                paths: request.paths,
                seed: request.seed,
            };
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let scenarios = request
                .scenarios
                .iter()
                .map(|s| {
                    let prices: Vec<i64> = match &s.source {
                        ScenarioSource::Current => {
                            built.variants.iter().map(|v| v.price_minor).collect()
                        }
                        ScenarioSource::Changes { scenario } => {
                            scenario.prices(&built.variants, &currency)?
                        }
                        ScenarioSource::Proposal { id } => {
                            proposals::prices(&proposals[id], &built.variants)
                        }
                    };
                    Ok((s.name.clone(), prices))
                })
                .collect::<Result<Vec<_>>>()?;
            // Today's prices are simulated once, as every scenario's baseline.
            Ok(pricing::simulate_many(
                &built,
                &scenarios,
                &currency,
                run,
                threads,
                &mut |done, total| {
                    on_progress(&crate::import::Progress {
                        stage: if done < total {
                            format!("Simulating {} of {total}", done + 1)
                        } else {
                            "Simulated".into()
                        },
                        done: done as u64,
                        total: total as u64,
                        rows: 0,
                    });
                    if self.cancel.load(std::sync::atomic::Ordering::SeqCst) {
                        return Err(Error::Cancelled);
                    }
                    Ok(())
                },
            )?
            .into_iter()
            .map(|report| Compared {
                by_day: report.by_day.clone(),
                report,
            })
            .collect())
        })
    }
}
