//! Bundles: "buy A (and B), get C at N % off", written by the owner or taken
//! from a suggestion, checked against the margin floor with every live
//! discount that can stack, and sold as one automatic buy X get Y discount
//! on the storefront, pushed through the journal and taken back when ended.
//!
//! ```toml
//! name = "Lantern and candles"
//! buy = ["21733"]          # one or two SKUs, one of each
//! get = "84879"            # the SKU at a discount
//! percent = 10
//! # ends_at = "2011-12-24T23:59"   # shop-local; none: until ended
//! ```
//!
//! The storefront counts any mix of the `buy` SKUs: with two of them, two
//! of the first also qualify. The floor is checked on the discounted
//! product, the line the discount lands on.

mod check;
mod file;
mod launch;
mod store;

pub use check::*;
pub use file::*;
pub use launch::*;
pub use store::*;
