//! `merchant-desk connect shopify`, `disconnect` and `sync`.

use super::settled_notes;
use crate::context::{sync_bar, Context};
use merchant_desk::storefront::connection::{Credentials, SecretGiven};
use merchant_desk::{Error, Result};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Connect {
    /// A Shopify store, through a custom app's credentials.
    Shopify {
        /// The shop's domain (my-shop.myshopify.com).
        #[arg(long)]
        shop: String,
        /// Environment variable holding an Admin API access token; only
        /// its name is kept, and later commands read the token from it.
        #[arg(long, conflicts_with_all = ["client_id", "client_secret_env"])]
        token_env: Option<String>,
        /// The app's client id (client-credentials grant).
        #[arg(long, requires = "client_secret_env")]
        client_id: Option<String>,
        /// Environment variable holding the app's client secret.
        #[arg(long, requires = "client_id")]
        client_secret_env: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct SyncArgs {
    /// Pull everything again, not only what changed.
    #[arg(long)]
    full: bool,
}

pub fn connect(ctx: &Context, command: Connect) -> Result<ExitCode> {
    let Connect::Shopify {
        shop,
        token_env,
        client_id,
        client_secret_env,
    } = command;
    let credentials = match (token_env, client_id, client_secret_env) {
        (Some(var), _, _) => Credentials::Token(SecretGiven::Env(var)),
        (None, Some(id), Some(var)) => Credentials::ClientCredentials {
            client_id: id,
            secret: SecretGiven::Env(var),
        },
        _ => {
            return Err(Error::InvalidArgument(
                "give --token-env VAR, or --client-id ID with --client-secret-env VAR".into(),
            ))
        }
    };
    let info = ctx
        .desk_creating()
        .connect_with("shopify", &shop, &credentials)?;
    ctx.out.show(&info, |out| {
        out.line(format!(
            "connected to {} ({}, {}); run `merchant-desk sync` to pull it",
            info.name, info.currency, info.time_zone
        ))
    });
    Ok(ExitCode::SUCCESS)
}

pub fn disconnect(ctx: &Context) -> Result<ExitCode> {
    let status = ctx.desk().disconnect_store()?;
    ctx.out.show(&status, |out| out.line("disconnected"));
    Ok(ExitCode::SUCCESS)
}

pub fn sync(ctx: &Context, args: SyncArgs) -> Result<ExitCode> {
    let (bar, progress) = sync_bar();
    let synced = ctx.desk().sync_now(args.full, progress);
    bar.finish_and_clear();
    let synced = synced?;
    settled_notes(&synced.settled);
    let r = &synced.report;
    ctx.out.show(r, |out| {
        out.line(format!(
            "{} sync done in {:.1} s: {} products, {} customers, {} orders, {} discounts written",
            if r.full { "full" } else { "incremental" },
            r.seconds,
            r.products,
            r.customers,
            r.orders,
            r.discounts
        ))
    });
    Ok(ExitCode::SUCCESS)
}
