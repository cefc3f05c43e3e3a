//! Recommendations: the model measured on the shop's own hold-out.

use super::Desk;
use crate::error::Result;
use crate::recommend::{baskets, ease::Settings, evaluate};

impl Desk {
    /// The hold-out figures (`last`: learn from the last so many training
    /// orders only).
    pub fn recommend_evaluate(&self, last: Option<u32>) -> Result<evaluate::Evaluation> {
        self.with_store(|s| {
            s.require_shop()?;
            let b = baskets::read(s.conn())?;
            evaluate::evaluate(&b, last.map(|n| n as usize), Settings::default())
        })
    }
}
