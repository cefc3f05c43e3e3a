//! What every command gets: the shop database the `--db` flag names, the
//! service over it, the output, and progress bars for long work.

use crate::output::Output;
use indicatif::{ProgressBar, ProgressStyle};
use merchant_desk::import::Progress;
use merchant_desk::service::Desk;
use merchant_desk::store::Shop;
use merchant_desk::sync::SyncProgress;
use merchant_desk::Result;
use std::path::PathBuf;

pub struct Context {
    db: PathBuf,
    pub out: Output,
}

impl Context {
    pub fn new(db: PathBuf, json: bool) -> Context {
        Context {
            db,
            out: Output::new(json),
        }
    }

    /// The shop database, for messages.
    pub fn db_display(&self) -> String {
        self.db.display().to_string()
    }

    /// The service over a shop database that must exist.
    pub fn desk(&self) -> Desk {
        Desk::for_file(self.db.clone(), false)
    }

    /// The service over an existing shop database, and its shop; the
    /// output then writes the shop's money.
    pub fn shop_desk(&self) -> Result<(Desk, Shop)> {
        let desk = self.desk();
        let (shop, money_pattern) = desk.shop_and_money()?;
        self.out.set_currency(&shop.currency);
        crate::output::set_shop_money(&shop.currency, &money_pattern);
        Ok((desk, shop))
    }

    /// The service over a shop database this command may create (import,
    /// demo, shop set, connect).
    pub fn desk_creating(&self) -> Desk {
        Desk::for_file(self.db.clone(), true)
    }
}

/// A bar for an import or the demo build, on standard error (hidden when
/// that is not a terminal). Call `finish` when done.
pub fn import_bar() -> (ProgressBar, impl FnMut(&Progress)) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% {elapsed}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    let shown = bar.clone();
    (bar, move |p: &Progress| {
        if p.total > 0 {
            shown.set_length(p.total);
            shown.set_position(p.done);
        }
        shown.set_message(format!("{} ({} rows)", p.stage, p.rows));
    })
}

/// A bar for a sync.
pub fn sync_bar() -> (ProgressBar, impl FnMut(&SyncProgress)) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    let shown = bar.clone();
    (bar, move |p: &SyncProgress| {
        shown.set_message(format!("{} ({} written)", p.stage, p.written));
        if p.total > 0 {
            shown.set_length(p.total);
        }
        shown.set_position(p.done);
    })
}
