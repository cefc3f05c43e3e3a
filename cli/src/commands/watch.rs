//! `merchant-desk watch`: the app's background loop without the app, in the
//! foreground. It settles sales and tiers every minute and runs the shop's
//! background sync every N minutes, logging each thing it does, until
//! Ctrl-C or SIGTERM (a service unit's stop). docs/watch.md has a systemd
//! user unit.

use crate::context::Context;
use merchant_desk::service::watch::{self, Timing, WatchEvent};
use merchant_desk::{Error, Result};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Seconds between settles of sales and tiers.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    settle_every: u64,
    /// Save a new interval between background syncs first, in minutes (0: off).
    #[arg(long)]
    sync_every: Option<u32>,
}

pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (desk, shop) = ctx.shop_desk()?;
    if let Some(minutes) = args.sync_every {
        desk.set_sync_every(minutes)?;
    }
    let background = desk.background()?;
    let tz = shop.tz()?;
    let stamp = move || {
        chrono::Utc::now()
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    };
    let sync_line = match (background.connected, background.sync_every_minutes) {
        (false, _) => "no storefront connected, so no background sync".to_string(),
        (true, 0) => "background sync is off (--sync-every MINUTES turns it on)".to_string(),
        (true, m) => format!("background sync every {m} minutes"),
    };
    println!(
        "{} watching {} ({}): settling every {} s, {sync_line}; Ctrl-C stops",
        stamp(),
        shop.name,
        ctx.db_display(),
        args.settle_every
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the watch loop", e))?;
    let timing = Timing {
        settle_every: Duration::from_secs(args.settle_every),
    };
    let desk = Arc::new(desk);
    runtime.block_on(async move {
        let (stop, listen) = tokio::sync::watch::channel(false);
        let signals = tokio::spawn(async move {
            stopped().await;
            let _ = stop.send(true);
        });
        let log = stamp;
        watch::run(desk, timing, listen, move |event| match event {
            WatchEvent::SyncStarted => println!("{} background sync started", log()),
            WatchEvent::SyncProgress { .. } => {}
            WatchEvent::Round { round } => {
                if let Some(r) = &round.synced {
                    println!(
                        "{} background sync done: {} products, {} customers, {} orders, {} discounts written",
                        log(),
                        r.products,
                        r.customers,
                        r.orders,
                        r.discounts
                    );
                }
                for n in &round.notices {
                    println!("{} {}: {}", log(), n.title, n.body);
                }
            }
            WatchEvent::Failed { message } => eprintln!("{} round failed: {message}", log()),
        })
        .await;
        signals.abort();
    });
    println!("{} stopped", stamp());
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM where there is one.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
