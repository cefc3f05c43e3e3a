//! The command line's grammar: global flags and the command groups. Each
//! group's own arguments live beside its code in `commands/`.

use crate::commands::{
    bundle, floor, import, journal, loyalty, price, recommend, report, sale, shop, storefront,
    subs, tiers, watch,
};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "merchant-desk",
    version,
    about = "Merchant Desk: your shop's data and playbooks, on your machine"
)]
pub struct Cli {
    /// The shop database (default: the app's own, in your data folder).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    /// Print the result as JSON (money as decimal strings) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Import a CSV file (plain or .gz) into the shop.
    Import(import::Args),
    /// Create the demo shop (the Online Retail year with demo costs, stock and categories).
    Demo,
    /// Show or set the shop's name, currency and time zone.
    #[command(subcommand)]
    Shop(shop::Command),
    /// Reports over a date range in the shop's time zone.
    #[command(subcommand)]
    Report(report::Command),
    /// Dynamic pricing: signals, elasticities, simulations, suggestions.
    #[command(subcommand)]
    Price(price::Command),
    /// Connect the shop to its hosted storefront.
    #[command(subcommand)]
    Connect(storefront::Connect),
    /// Forget the storefront connection (and its keyring entry).
    Disconnect,
    /// Pull what changed in the storefront (everything, the first time).
    Sync(storefront::SyncArgs),
    /// Push one change to the storefront (journaled, revertible).
    #[command(subcommand)]
    Push(journal::Push),
    /// The change journal: every push, and reverting one.
    #[command(subcommand)]
    Journal(journal::Command),
    /// Flash sales: plan, check, launch, end, report.
    #[command(subcommand)]
    Sale(sale::Command),
    /// Volume and spend tiers: plan, check, preview a cart, look back, launch, end.
    #[command(subcommand)]
    Tiers(tiers::Command),
    /// The margin floor every discount is checked against.
    Floor(floor::Args),
    /// Loyalty: points, tiers, badges and rewards; simulate a programme on the shop's history.
    #[command(subcommand)]
    Loyalty(loyalty::Command),
    /// Recommendations from the shop's own baskets.
    #[command(subcommand)]
    Recommend(recommend::Command),
    /// Bundles: suggest from the baskets, plan, check, launch as "buy X get Y", end.
    #[command(subcommand)]
    Bundle(bundle::Command),
    /// Subscription boxes: the book, pause, skip, resume, cancel, MRR and the month's boxes.
    #[command(subcommand)]
    Subs(subs::Command),
    /// Keep the shop on time without the app: settle sales and tiers every
    /// minute and sync in the background, until Ctrl-C or SIGTERM.
    Watch(watch::Args),
}
