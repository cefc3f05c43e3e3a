//! Subscription boxes (`docs/subscriptions.md`): the book of plans and
//! subscriptions (imported from CSV), its renewal calendar on the shop's
//! local days, pause, skip, resume and cancel, the metrics of
//! `docs/metrics.md` (MRR, churn, ARPU, boxes due), dunning, the owner's
//! set-up (who bills, what boxes are made of), each cycle's boxes, and the
//! renewals Merchant Desk runs in "desk bills" mode.

pub mod book;
pub mod calendar;
pub mod contracts;
pub mod curate;
pub mod dunning;
pub mod metrics;
pub mod renew;
pub mod setup;
pub mod tags;
