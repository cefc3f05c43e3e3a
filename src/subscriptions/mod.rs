//! Subscription boxes (`docs/subscriptions.md`): the book of plans and
//! subscriptions (imported from CSV), its renewal calendar on the shop's
//! local days, pause, skip, resume and cancel, and the metrics of
//! `docs/metrics.md` (MRR, churn, ARPU, boxes due).

pub mod book;
pub mod calendar;
pub mod dunning;
pub mod metrics;
