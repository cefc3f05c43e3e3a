//! `merchant-desk push price|tags` and `merchant-desk journal list|revert`.

use crate::context::Context;
use crate::output::{money, Output};
use merchant_desk::journal::{self, Entry, ManualChange, RevertScope};
use merchant_desk::service::PushRequest;
use merchant_desk::{Error, Result};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Push {
    /// Set a variant's price (and compare-at price), by SKU.
    Price {
        sku: String,
        /// The new price in major units, e.g. 2.95.
        price: String,
        /// The compare-at price in major units.
        #[arg(long)]
        compare_at: Option<String>,
        /// Why, for the journal.
        #[arg(long, default_value = "set by hand")]
        reason: String,
        /// Send a price that looks like a slip (zero, or more than ten
        /// times or under a tenth of the current price).
        #[arg(long)]
        confirm: bool,
    },
    /// Add or remove a customer's tags (customer by id or e-mail).
    Tags {
        customer: String,
        #[arg(long)]
        add: Vec<String>,
        #[arg(long)]
        remove: Vec<String>,
        #[arg(long, default_value = "set by hand")]
        reason: String,
    },
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// The newest pushes first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Set a change's prior value again.
    Revert {
        /// The journal entry (or, with --batch, the batch).
        id: i64,
        /// Revert every confirmed change of batch ID.
        #[arg(long)]
        batch: bool,
        /// Overwrite values changed in the store since.
        #[arg(long)]
        force: bool,
        /// Revert a revert: push the value it undid again.
        #[arg(long)]
        push_again: bool,
    },
}

pub fn push(ctx: &Context, command: Push) -> Result<ExitCode> {
    let (change, reason, confirmed) = match command {
        Push::Price {
            sku,
            price,
            compare_at,
            reason,
            confirm,
        } => (
            ManualChange::Price {
                sku,
                price,
                compare_at,
            },
            reason,
            confirm,
        ),
        Push::Tags {
            customer,
            add,
            remove,
            reason,
        } => (
            ManualChange::Tags {
                customer,
                add,
                remove,
            },
            reason,
            false,
        ),
    };
    let (desk, shop) = ctx.shop_desk()?;
    let tz = shop.tz()?;
    let currency = shop.currency;
    let entries = desk
        .push_change(PushRequest {
            change,
            reason,
            confirmed,
        })
        .map_err(|e| match e {
            Error::ConfirmationRequired(m) => {
                Error::ConfirmationRequired(format!("{m} (add --confirm)"))
            }
            e => e,
        })?;
    ctx.out
        .show(&entries, |out| print_entries(out, &entries, &currency, tz));
    if let Some(e) = entries.iter().find(|e| e.status == "failed") {
        return Err(Error::Storefront(e.error.clone().unwrap_or_default()));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    let desk = ctx.desk();
    let shop = desk.shop_and_money().ok().map(|(shop, pattern)| {
        crate::output::set_shop_money(&shop.currency, &pattern);
        shop
    });
    let tz = shop
        .as_ref()
        .and_then(|s| s.tz().ok())
        .unwrap_or(chrono_tz::UTC);
    let currency = shop.map(|s| s.currency).unwrap_or_default();
    ctx.out.set_currency(&currency);
    match command {
        Command::List { limit } => {
            let entries = desk.journal(limit)?;
            ctx.out.show(&entries, |out| {
                if entries.is_empty() {
                    out.line("the journal is empty: nothing has been pushed yet");
                } else {
                    print_entries(out, &entries, &currency, tz);
                }
            });
        }
        Command::Revert {
            id,
            batch,
            force,
            push_again,
        } => {
            let scope = if batch {
                RevertScope::Batch(id)
            } else {
                RevertScope::Entry(id)
            };
            let entries = desk.revert_change(scope, force, push_again)?;
            ctx.out
                .show(&entries, |out| print_entries(out, &entries, &currency, tz));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The entries, newest first, with their times on the shop's clock.
fn print_entries(out: &Output, entries: &[Entry], currency: &str, tz: chrono_tz::Tz) {
    out.line(format!(
        "{:>5} {:>5}  {:<20} {:<12} {:<28} change",
        "id", "batch", "when", "status", "what"
    ));
    for e in entries {
        out.line(format!(
            "{:>5} {:>5}  {:<20} {:<12} {:<28} {} -> {}{}{}",
            e.id,
            e.batch,
            merchant_desk::time::shop_time(&e.created_at, tz)
                .unwrap_or_else(|_| e.created_at.clone()),
            e.status,
            e.label,
            journal::describe_with(&e.prior, &|m| money(m, currency)),
            journal::describe_with(&e.new, &|m| money(m, currency)),
            e.error
                .as_deref()
                .map(|m| format!("  ({m})"))
                .unwrap_or_default(),
            e.owner
                .as_ref()
                .map(|o| format!("  [{o}]"))
                .unwrap_or_default()
        ));
    }
}
