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
pub mod gating;
pub mod metrics;
pub mod renew;
pub mod setup;
pub mod tags;

/// CSV text of `header` and `rows`; `what` names the list in an error
/// ("the contact list").
pub(crate) fn csv_text<'a>(
    what: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<&'a str>>,
) -> crate::error::Result<String> {
    let fail = |e: String| {
        crate::error::Error::InvalidArgument(format!("{what} could not be written: {e}"))
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| fail(e.to_string()))?;
    for row in rows {
        w.write_record(row).map_err(|e| fail(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| fail(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| fail(e.to_string()))
}
