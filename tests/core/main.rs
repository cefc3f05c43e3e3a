//! The core's integration tests: one binary, real SQLite files in temporary
//! folders, the real data set where it matters.

#[path = "../fake/shopify.rs"]
mod fake;

mod bad_input;
mod fixtures;
mod generic_and_shopify;
mod migrations;
mod pricing;
mod pricing_rules;
mod promotions;
mod properties;
mod real_data;
mod summary;
mod sync;
