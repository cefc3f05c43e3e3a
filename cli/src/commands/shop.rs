//! `merchant-desk shop show|set` and `merchant-desk demo`.

use crate::context::{import_bar, Context};
use merchant_desk::store::Shop;
use merchant_desk::Result;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The shop record: name, platform, currency, time zone.
    Show,
    /// Create or change the shop record.
    Set {
        #[arg(long)]
        name: String,
        /// ISO 4217 code, e.g. GBP.
        #[arg(long)]
        currency: String,
        /// IANA time zone, e.g. Europe/London.
        #[arg(long)]
        time_zone: String,
    },
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    match command {
        Command::Show => {
            let shop = ctx.desk().shop()?;
            ctx.out.show(&shop, |out| {
                out.line(format!("name       {}", shop.name));
                out.line(format!("platform   {}", shop.platform));
                out.line(format!("currency   {}", shop.currency));
                out.line(format!("time zone  {}", shop.time_zone));
                if shop.demo {
                    out.line(format!(
                        "demo shop, today is {}",
                        shop.fixed_today.as_deref().unwrap_or("the real today")
                    ));
                }
            });
        }
        Command::Set {
            name,
            currency,
            time_zone,
        } => {
            let status = ctx.desk_creating().save_shop(Shop {
                name,
                platform: "local".into(),
                currency,
                time_zone,
                demo: false,
                fixed_today: None,
            })?;
            ctx.out.show(&status.shop, |out| out.line("shop saved"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `merchant-desk demo`: builds the demo shop into `--db`.
pub fn demo(ctx: &Context) -> Result<ExitCode> {
    let (bar, progress) = import_bar();
    let status = ctx.desk_creating().open_demo(progress);
    bar.finish_and_clear();
    let status = status?;
    let shop = status.shop.as_ref().expect("the demo has a shop");
    ctx.out.show(&status, |out| {
        out.line(format!(
            "demo shop ready: {} ({}, {}), today is {}",
            status.db_path,
            shop.currency,
            shop.time_zone,
            merchant_desk::demo::DEMO_TODAY
        ))
    });
    Ok(ExitCode::SUCCESS)
}
