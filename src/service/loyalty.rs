//! Loyalty: the programme's simulation on the shop's own history.

use super::Desk;
use crate::error::Result;
use crate::loyalty::programme::Programme;
use crate::loyalty::push::{self, Pushed};
use crate::loyalty::rewards::{self, Redeemed, RewardFloor};
use crate::loyalty::simulate::{self, Simulation};
use crate::loyalty::store::{self, MemberLedger, Members, MembersPage, MembersQuery, Stored};
use crate::store::Store;
use serde::Serialize;
use std::sync::Arc;

/// The members of the last replay and what the store was then: its file,
/// `PRAGMA data_version` (changes when another connection writes), this
/// connection's total changes, and the shop's day.
pub(super) struct MembersCache {
    key: (std::path::PathBuf, i64, u64, chrono::NaiveDate),
    members: Arc<Members>,
    tiers: Vec<String>,
}

/// What the programme editor shows while the owner types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ProgrammeCheck {
    /// The first rule broken, in the owner's words (none: the rules hold).
    pub error: Option<String>,
    /// Each reward against the margin floor.
    pub rewards: Vec<RewardFloor>,
}
use chrono::Utc;

impl Desk {
    /// Replays each programme on the shop's last `months` months, as if it
    /// had started then; `redemption_rate` of the issued points spent.
    pub fn simulate_loyalty(
        &self,
        programmes: Vec<Programme>,
        months: u32,
        redemption_rate: f64,
    ) -> Result<Vec<Simulation>> {
        self.with_store(|store| {
            let shop = store.require_shop()?;
            programmes
                .iter()
                .map(|p| {
                    simulate::simulate(store.conn(), &shop, p, months, redemption_rate, Utc::now())
                })
                .collect()
        })
    }

    /// Stores a programme as a draft (checked first).
    pub fn create_loyalty(&self, programme: Programme) -> Result<Stored> {
        self.with_store(|s| {
            let now = s.require_shop()?.clock(Utc::now());
            store::create(s.conn(), &programme, now)
        })
    }

    /// Every stored programme, newest first.
    pub fn loyalty_programmes(&self) -> Result<Vec<Stored>> {
        self.with_store(|s| store::list(s.conn()))
    }

    /// One stored programme, checked again.
    pub fn check_loyalty(&self, id: i64) -> Result<Stored> {
        self.with_store(|s| {
            let p = store::get(s.conn(), id)?;
            p.programme.compile()?;
            Ok(p)
        })
    }

    /// Makes a draft the live programme (the one live before ends); a
    /// reward below the margin floor needs `override_reason`.
    pub fn launch_loyalty(&self, id: i64, override_reason: Option<String>) -> Result<Stored> {
        self.with_store(|s| {
            let shop = s.require_shop()?;
            let now = shop.clock(Utc::now());
            store::launch(s.conn_mut(), &shop, id, override_reason.as_deref(), now)
        })
    }

    /// A programme as the editor checks it while the owner types: the
    /// rules (an error names the field), then each reward against the
    /// margin floor.
    pub fn check_loyalty_programme(&self, programme: Programme) -> Result<ProgrammeCheck> {
        self.with_store(|s| {
            let shop = s.require_shop()?;
            let error = programme.compile().err().map(|e| e.to_string());
            let rewards = match error {
                Some(_) => Vec::new(),
                None => rewards::check_floor(s.conn(), &shop, &programme, Utc::now())?,
            };
            Ok(ProgrammeCheck { error, rewards })
        })
    }

    /// Spends a member's points on a reward: a single-use code for them on
    /// the storefront, journaled.
    pub fn redeem_loyalty(&self, customer: String, reward: String) -> Result<Redeemed> {
        self.storefront_job(|conn, sf| {
            let shop = crate::store::read_shop(conn)?.ok_or(crate::error::Error::NoShop)?;
            rewards::redeem(conn, &shop, sf, &customer, &reward, shop.clock(Utc::now()))
        })
    }

    /// Every member's points and tier to the storefront (metafields and a
    /// tier tag), what changed only, journaled.
    pub fn push_loyalty(&self) -> Result<Pushed> {
        self.storefront_job(|conn, sf| {
            let shop = crate::store::read_shop(conn)?.ok_or(crate::error::Error::NoShop)?;
            push::push(conn, &shop, sf, shop.clock(Utc::now()))
        })
    }

    /// The theme snippet showing a logged-in customer their points and tier.
    pub fn loyalty_snippet(&self) -> Result<String> {
        self.with_store(|s| {
            let name =
                store::live(s.conn())?.map_or_else(|| "Loyalty".to_string(), |l| l.programme.name);
            Ok(push::theme_snippet(&name))
        })
    }

    /// Every member of the live programme as of the end of today.
    pub fn loyalty_members(&self) -> Result<Members> {
        self.with_store(|s| Ok(self.members(s)?.0.as_ref().clone()))
    }

    /// One page of the members table.
    pub fn loyalty_members_page(&self, query: MembersQuery) -> Result<MembersPage> {
        self.with_store(|s| {
            let (members, tiers) = self.members(s)?;
            Ok(store::page(&members, &tiers, &query))
        })
    }

    /// The live programme's members and tier names, replayed again only
    /// when the store changed (a write through this connection or another)
    /// or the shop's day turned.
    fn members(&self, s: &Store) -> Result<(Arc<Members>, Vec<String>)> {
        let shop = s.require_shop()?;
        let now = Utc::now();
        let data_version: i64 = s
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let key = (
            s.path().to_path_buf(),
            data_version,
            s.conn().total_changes(),
            shop.today(now)?,
        );
        let mut cache = super::lock(&self.members_cache);
        if let Some(c) = cache.as_ref().filter(|c| c.key == key) {
            return Ok((c.members.clone(), c.tiers.clone()));
        }
        let tiers = store::require_live(s.conn())?.programme.tier_names();
        let members = Arc::new(store::members(s.conn(), &shop, now)?);
        *cache = Some(MembersCache {
            key,
            members: members.clone(),
            tiers: tiers.clone(),
        });
        Ok((members, tiers))
    }

    /// One member's standing and ledger lines.
    pub fn loyalty_member(&self, customer: String) -> Result<MemberLedger> {
        self.with_store(|s| store::member(s.conn(), &s.require_shop()?, Utc::now(), &customer))
    }

    /// Awards an action by hand; the member's standing after it.
    pub fn award_loyalty(
        &self,
        customer: String,
        kind: crate::loyalty::programme::ActionKind,
        reference: Option<String>,
    ) -> Result<MemberLedger> {
        self.with_store(|s| {
            let shop = s.require_shop()?;
            store::award(
                s.conn(),
                &customer,
                kind,
                reference.as_deref(),
                shop.clock(Utc::now()),
            )?;
            store::member(s.conn(), &shop, Utc::now(), &customer)
        })
    }
}
