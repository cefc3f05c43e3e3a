//! Flash sales: the plan (a TOML file for the CLI, a form in the app), the
//! items it touches at what sale price, and the checks before launch.
//!
//! ```toml
//! name = "Winter flash"
//! targets = { skus = ["85123A", "22423"] }  # or { category = "Lighting" }, or { all = true }
//! discount = { percent = 20 }               # or { amount_off = "1.00" }, or { sale_price = "2.49" }
//! starts_at = "2011-12-10T09:00"            # shop time zone
//! ends_at = "2011-12-10T21:00"
//! stock_cap = 100                           # optional
//! mode = "discount"                         # or "price" (price + compare-at)
//! ```

mod check;
mod file;
mod items;
mod projection;
mod report;
mod snippet;
mod store;
#[cfg(test)]
mod tests;

pub use check::*;
pub use file::*;
pub use items::*;
pub use projection::*;
pub use report::*;
pub use snippet::*;
pub use store::*;
