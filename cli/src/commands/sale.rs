//! `merchant-desk sale create|check|launch|end|report|list`.

use super::common::{Id, OverrideFloor};
use super::settled_notes;
use crate::context::Context;
use crate::output::money_f;
use merchant_desk::promotions::sale::{Sale, SaleFile, SaleMode};
use merchant_desk::time::shop_time;
use merchant_desk::{toml_file, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Store a sale from a TOML file as a draft; prints its id.
    Create { file: PathBuf },
    /// Replace a draft's definition with a TOML file (a draft only).
    Edit {
        #[command(flatten)]
        sale: Id,
        file: PathBuf,
    },
    /// Delete a draft (a launched one is ended instead).
    Delete(Id),
    /// Check a sale before launch; exits non-zero when it would be refused.
    Check(Id),
    /// Launch a draft sale (now, or at its start).
    Launch {
        #[command(flatten)]
        sale: Id,
        #[command(flatten)]
        floor: OverrideFloor,
    },
    /// End a scheduled or live sale now and revert it exactly.
    End(Id),
    /// How the sale did: units, revenue and profit against the same weekdays
    /// of the four weeks before and against the model's no-sale expectation.
    Report(Id),
    /// Every sale with its status (bringing each up to now first).
    List,
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    let (desk, shop) = ctx.shop_desk()?;
    let tz = shop.tz()?;
    let c = shop.currency.as_str();
    let when = |utc: &str| shop_time(utc, tz).unwrap_or_else(|_| utc.to_string());
    match command {
        Command::Create { file } => {
            let s = desk.create_sale(toml_file::read::<SaleFile>(&file)?)?;
            ctx.out
                .show(&serde_json::json!({ "id": s.id }), |out| out.line(s.id));
        }
        Command::Edit { sale, file } => {
            let s = desk.update_sale(sale.id, toml_file::read::<SaleFile>(&file)?)?;
            ctx.out.show(&s, |out| {
                out.line(format!(
                    "sale {} \"{}\" is saved as edited (still a draft)",
                    s.id, s.file.name
                ))
            });
        }
        Command::Delete(Id { id }) => {
            desk.delete_sale(id)?;
            ctx.out.show(&serde_json::json!({ "deleted": id }), |out| {
                out.line(format!("sale {id} deleted"))
            });
        }
        Command::Check(Id { id }) => {
            let (s, check) = desk.check_saved_sale(id)?;
            let report = &check.report;
            let json = serde_json::json!({
                "ok": report.ok,
                "problems": report.problems,
                "items": report.items,
                "starts_at": report.starts_at,
                "ends_at": report.ends_at,
                "projection": check.projection,
                "projection_error": check.projection_error,
            });
            ctx.out.show(&json, |out| {
                match (&check.projection, &check.projection_error) {
                    (Some(p), _) => out.line(format!(
                        "projection over {:.1} hours ({:.2} days of demand at the shop's hours and weekdays): units {:.0} → {:.0}, revenue {} → {}, profit {} → {}; break-even needs {}; the model expects {}",
                        p.hours,
                        p.demand_days,
                        p.units_without,
                        p.units_with,
                        money_f(p.revenue_without, c),
                        money_f(p.revenue_with, c),
                        money_f(p.profit_without, c),
                        money_f(p.profit_with, c),
                        p.break_even_uplift.map_or("no margin left".into(), |u| format!("{:+.0} % units", u * 100.0)),
                        match (p.expected_uplift, p.uplift_low, p.uplift_high) {
                            (Some(u), Some(lo), Some(hi)) => format!(
                                "{:+.0} % units (80 % band {:+.0} % to {:+.0} %)",
                                u * 100.0,
                                lo * 100.0,
                                hi * 100.0
                            ),
                            (Some(u), _, _) => format!("{:+.0} % units", u * 100.0),
                            _ => "no sales to go by".into(),
                        },
                    )),
                    (None, Some(e)) => out.line(format!("no projection: {e}")),
                    (None, None) => {}
                }
                out.line(format!(
                    "sale {id} \"{}\": {} {}, {} to {}: {}",
                    s.file.name,
                    report.items.len(),
                    if report.items.len() == 1 { "product" } else { "products" },
                    when(&report.starts_at),
                    when(&report.ends_at),
                    if report.ok {
                        "ready to launch"
                    } else {
                        "would be refused"
                    }
                ));
                for p in &report.problems {
                    out.line(format!("  {:<7} {:<18} {}", p.severity, p.code, p.message));
                }
            });
            if !report.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Launch { sale, floor } => {
            let s = desk.launch_sale(sale.id, floor.override_floor)?;
            ctx.out.show(&s, |out| {
                out.line(format!(
                    "sale {} \"{}\" is {}: {} to {}{}",
                    s.id,
                    s.file.name,
                    s.status,
                    when(&s.starts_at),
                    when(&s.ends_at),
                    s.launch_batch
                        .map_or(String::new(), |b| format!(", journal batch {b}"))
                ))
            });
        }
        Command::End(Id { id }) => {
            let s = desk.end_sale(id)?;
            ctx.out.show(&s, |out| {
                out.line(format!("sale {id} \"{}\" is {}", s.file.name, s.status))
            });
        }
        Command::Report(Id { id }) => {
            let r = desk.sale_report(id)?;
            ctx.out.show(&r, |out| {
                out.line(format!(
                    "sale {id} \"{}\" ({}), {} to {}",
                    r.sale.file.name,
                    r.sale.status,
                    when(&r.from),
                    when(&r.to)
                ));
                for (label, t) in [
                    ("actual", &r.actual),
                    ("same weekdays, 4 weeks before", &r.same_weekdays),
                    ("model, no sale", &r.model),
                ] {
                    out.line(format!(
                        "  {label:<31} units {:>8.1}  revenue {:>12}  profit {:>12}",
                        t.units,
                        money_f(t.revenue, c),
                        money_f(t.profit, c)
                    ));
                }
                out.line(format!(
                    "  incremental profit: {} against the same weekdays, {} against the model; {} units in stock now",
                    money_f(r.incremental_vs_weekdays, c),
                    money_f(r.incremental_vs_model, c),
                    r.stock_left
                ));
            });
        }
        Command::List => {
            let overview = desk.sales_overview()?;
            settled_notes(&overview.settled);
            let all: &[Sale] = &overview.sales;
            ctx.out.show(&serde_json::json!({ "sales": all }), |out| {
                out.rows(
                    all,
                    "no sales yet: `merchant-desk sale create FILE` plans one",
                    |s| {
                        out.line(format!(
                            "{:>4}  {:<9} {} → {}  {:<8} {}",
                            s.id,
                            s.status,
                            when(&s.starts_at),
                            when(&s.ends_at),
                            match s.file.mode {
                                SaleMode::Discount => "discount",
                                SaleMode::Price => "price",
                            },
                            s.file.name
                        ))
                    },
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
