//! One module per command group; each `run` turns its arguments into one
//! call into the service and prints what comes back.

pub mod bundle;
mod common;
pub mod floor;
pub mod import;
pub mod journal;
pub mod loyalty;
pub mod price;
pub mod recommend;
pub mod report;
pub mod sale;
pub mod shop;
pub mod storefront;
pub mod subs;
pub mod tiers;
pub mod watch;

use crate::args::Command;
use crate::context::Context;
use merchant_desk::Result;
use std::process::ExitCode;

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    match command {
        Command::Import(args) => import::run(ctx, args),
        Command::Demo => shop::demo(ctx),
        Command::Shop(c) => shop::run(ctx, c),
        Command::Report(c) => report::run(ctx, c),
        Command::Price(c) => price::run(ctx, c),
        Command::Connect(c) => storefront::connect(ctx, c),
        Command::Disconnect => storefront::disconnect(ctx),
        Command::Sync(args) => storefront::sync(ctx, args),
        Command::Push(c) => journal::push(ctx, c),
        Command::Journal(c) => journal::run(ctx, c),
        Command::Sale(c) => sale::run(ctx, c),
        Command::Tiers(c) => tiers::run(ctx, c),
        Command::Floor(args) => floor::run(ctx, args),
        Command::Loyalty(c) => loyalty::run(ctx, c),
        Command::Recommend(c) => recommend::run(ctx, c),
        Command::Bundle(c) => bundle::run(ctx, c),
        Command::Subs(c) => subs::run(ctx, c),
        Command::Watch(args) => watch::run(ctx, args),
    }
}

/// The settling notes (sales started or ended because their time came),
/// for the owner on standard error.
fn settled_notes(settled: &[merchant_desk::promotions::Settled]) {
    for n in settled {
        crate::output::note(format!("{} {} \"{}\": {}", n.kind, n.id, n.name, n.what));
    }
}
