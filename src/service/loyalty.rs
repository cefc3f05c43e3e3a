//! Loyalty: the programme's simulation on the shop's own history.

use super::Desk;
use crate::error::Result;
use crate::loyalty::programme::Programme;
use crate::loyalty::simulate::{self, Simulation};
use crate::loyalty::store::{self, MemberLedger, Members, Stored};
use chrono::Utc;

impl Desk {
    /// Replays each programme on the shop's last `months` months, as if it
    /// had started then; `redemption_rate` of the issued points spent.
    pub fn simulate_loyalty(
        &self,
        programmes: &[Programme],
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

    /// Makes a draft the live programme (the one live before ends).
    pub fn launch_loyalty(&self, id: i64) -> Result<Stored> {
        self.with_store(|s| {
            let now = s.require_shop()?.clock(Utc::now());
            store::launch(s.conn_mut(), id, now)
        })
    }

    /// Every member of the live programme as of the end of today.
    pub fn loyalty_members(&self) -> Result<Members> {
        self.with_store(|s| store::members(s.conn(), &s.require_shop()?, Utc::now()))
    }

    /// One member's standing and ledger lines.
    pub fn loyalty_member(&self, customer: &str) -> Result<MemberLedger> {
        self.with_store(|s| store::member(s.conn(), &s.require_shop()?, Utc::now(), customer))
    }

    /// Awards an action by hand; the member's standing after it.
    pub fn award_loyalty(
        &self,
        customer: &str,
        kind: crate::loyalty::programme::ActionKind,
        reference: Option<&str>,
    ) -> Result<MemberLedger> {
        self.with_store(|s| {
            let shop = s.require_shop()?;
            store::award(s.conn(), customer, kind, reference, shop.clock(Utc::now()))?;
            store::member(s.conn(), &shop, Utc::now(), customer)
        })
    }
}
