//! Recommendations from the shop's own baskets (`docs/recommendations.md`):
//! an item-to-item model fitted on the orders' merchandise (EASE: the
//! closed-form ridge regression of each item on the others in a basket),
//! measured on the shop's own hold-out against popularity; each product's
//! lists with their reasons, basket completion and a customer's picks.

pub mod baskets;
pub mod bundles;
pub mod catalog;
pub mod ease;
pub mod evaluate;
pub mod lists;
pub mod push;
pub mod serve;
pub mod store;
