//! Merchant Desk core: the local copy of a shop and everything computed on
//! it. This crate knows nothing of the desktop shell; the app, the CLI, the
//! tests and the benchmarks all drive it the same way.

#[macro_use]
mod stored_enum;

pub mod demo;
pub mod error;
pub mod import;
pub mod journal;
pub mod logging;
pub mod loyalty;
pub mod money;
pub mod notify;
pub mod pricing;
pub mod promotions;
pub mod recommend;
pub mod report;
pub mod service;
pub mod store;
pub mod storefront;
pub mod subscriptions;
pub mod sync;
pub mod time;
pub mod toml_file;

pub use error::{Error, ErrorPayload, Result};
