//! Volume and spend tiers: "3+ units of X: 5 % off, 5+: 10 %" per product
//! or category, and cart tiers such as "spend £100, get 10 %". Checked
//! against the margin floor on the worst case, previewed on a cart, looked
//! back over past orders, and pushed as storefront discounts, one per tier.
//!
//! ```toml
//! name = "Bulk buys"
//! kind = "volume"                        # or "spend"
//! targets = { category = "Kitchen & Dining" }
//! [[tier]]
//! min_quantity = 3
//! percent = 5
//! [[tier]]
//! min_quantity = 5
//! percent = 10
//! ```
//!
//! A spend tier reads `min_subtotal = "100.00"` instead of `min_quantity`
//! and covers every product (no `targets`).

mod check;
mod file;
mod launch;
mod store;

pub use check::*;
pub use file::*;
pub use launch::*;
pub use store::*;
