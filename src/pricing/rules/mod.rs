//! Rules and guardrails: turning signals into proposed prices, each with
//! its reasons. A rule set is TOML for the CLI (and JSON for the app):
//!
//! ```toml
//! name = "weekly review"
//! mode = "rules"            # or "profit" / "revenue": the optimiser
//! horizon_days = 30         # what the optimiser looks ahead
//!
//! [guardrails]
//! min_margin_percent = 20   # floor = cost × 1.20 …
//! min_price = "0.50"        # … or this, whichever is higher
//! max_price = "40.00"       # ceiling; without it, the compare-at price
//! max_change_percent = 10   # per step, either way
//! min_change_percent = 2    # smaller changes are not worth making
//! charm = ".99"             # ".99", ".95", ".49" or "none"
//!
//! [[rule]]
//! kind = "low_stock"        # raise when stock runs out soon and sells fast
//! max_days_of_cover = 21
//! min_velocity = 0.5        # units a day over the last 28 days
//! change_percent = 5
//!
//! [[rule]]
//! kind = "overstock"        # lower when stock sits
//! min_days_of_cover = 180
//! max_velocity = 0.2
//! change_percent = -10
//!
//! [[rule]]
//! kind = "competitor"       # position against the cheapest competitor
//! offset_percent = -2
//! ```
//!
//! Rules are tried in order and the first that matches a variant sets its
//! target; the guardrails then bound the target, and every proposal says
//! which signal, which rule and which guardrail made it what it is. Items in
//! a live promotion are never changed.

mod file;
mod guard;
mod optimise;
mod suggest;
#[cfg(test)]
mod tests;

pub use file::*;
pub use guard::*;
use optimise::*;
pub use suggest::*;
