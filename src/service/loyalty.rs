//! Loyalty: the programme's simulation on the shop's own history.

use super::Desk;
use crate::error::Result;
use crate::loyalty::programme::Programme;
use crate::loyalty::simulate::{self, Simulation};
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
}
