//! Merchant Desk core: the local copy of a shop and everything computed on
//! it. This crate knows nothing of the desktop shell; the app, the CLI, the
//! tests and the benchmarks all drive it the same way.

pub mod bench;
pub mod demo;
pub mod desk;
pub mod error;
pub mod import;
pub mod journal;
pub mod logging;
pub mod money;
pub mod pricing;
pub mod promotions;
pub mod report;
pub mod store;
pub mod storefront;
pub mod sync;
pub mod time;

pub use error::{Error, ErrorPayload, Result};
