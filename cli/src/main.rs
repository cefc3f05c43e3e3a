//! `merchant-desk`: Merchant Desk on the command line. Each command is one
//! call into the same service the desktop app uses
//! (`merchant_desk::service::Desk`); this program only reads arguments and
//! prints results.

mod args;
mod commands;
mod context;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version, and a group named without its subcommand
        // (which prints the group's usage).
        Err(e) => e.exit(),
    };
    let db = cli
        .db
        .clone()
        .unwrap_or_else(merchant_desk::store::default_db_path);
    // The log goes next to the database: `logs/` in the app's data folder.
    if let Some(folder) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        merchant_desk::logging::init(folder);
    }
    let ctx = context::Context::new(db, cli.json);
    match commands::run(&ctx, cli.command) {
        Ok(code) => code,
        Err(e) if ctx.out.closed() => {
            tracing::info!("output closed early: {e}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(code = e.code().as_str(), "{e}");
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
