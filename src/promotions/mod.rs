//! Promotions: flash sales and volume tiers, all under one margin floor.

pub mod floor;
pub mod run;
pub mod sale;
pub mod tiers;
