//! `merchant-desk tiers create|check|preview|lookback|launch|end|list`.

use super::common::{Id, OverrideFloor};
use crate::context::Context;
use crate::output::money;
use merchant_desk::promotions::tiers::{Kind, TierFile};
use merchant_desk::time::shop_time;
use merchant_desk::{toml_file, Error, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Store tiers from a TOML file as a draft; prints their id.
    Create { file: PathBuf },
    /// Replace a draft's definition with a TOML file (a draft only).
    Edit {
        #[command(flatten)]
        tiers: Id,
        file: PathBuf,
    },
    /// Delete a draft (a launched one is ended instead).
    Delete(Id),
    /// Check the deepest tier against the margin floor; exits non-zero when refused.
    Check(Id),
    /// A cart at today's prices with the tiers applied: --cart SKU=QTY,SKU=QTY.
    Preview {
        #[command(flatten)]
        tiers: Id,
        #[arg(long, value_delimiter = ',', required = true)]
        cart: Vec<String>,
    },
    /// Had these tiers existed over the last N days.
    Lookback {
        #[command(flatten)]
        tiers: Id,
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Push the tiers as storefront discounts, one per tier.
    Launch {
        #[command(flatten)]
        tiers: Id,
        #[command(flatten)]
        floor: OverrideFloor,
    },
    /// Take live tiers off the storefront.
    End(Id),
    /// Every tier set with its status.
    List,
}

/// `SKU=QTY` cart lines.
fn cart_lines(cart: &[String]) -> Result<Vec<(String, i64)>> {
    cart.iter()
        .map(|item| {
            let (sku, q) = item
                .split_once('=')
                .ok_or_else(|| Error::InvalidArgument(format!("\"{item}\": write SKU=QUANTITY")))?;
            let q: i64 = q
                .trim()
                .parse()
                .map_err(|_| Error::InvalidArgument(format!("\"{q}\" is not a whole number")))?;
            Ok((sku.trim().to_string(), q))
        })
        .collect()
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    let (desk, shop) = ctx.shop_desk()?;
    let c = shop.currency.as_str();
    let tz = shop.tz()?;
    match command {
        Command::Create { file } => {
            let t = desk.create_tiers(toml_file::read::<TierFile>(&file)?)?;
            ctx.out
                .show(&serde_json::json!({ "id": t.id }), |out| out.line(t.id));
        }
        Command::Edit { tiers, file } => {
            let t = desk.update_tiers(tiers.id, toml_file::read::<TierFile>(&file)?)?;
            ctx.out.show(&t, |out| {
                out.line(format!(
                    "tier set {} \"{}\" is saved as edited (still a draft)",
                    t.id, t.file.name
                ))
            });
        }
        Command::Delete(Id { id }) => {
            desk.delete_tiers(id)?;
            ctx.out.show(&serde_json::json!({ "deleted": id }), |out| {
                out.line(format!("tier set {id} deleted"))
            });
        }
        Command::Check(Id { id }) => {
            let (t, check) = desk.check_saved_tiers(id, Vec::new(), None)?;
            let json = serde_json::json!({ "ok": check.ok, "problems": check.problems });
            ctx.out.show(&json, |out| {
                out.line(format!(
                    "tiers {id} \"{}\": {}",
                    t.file.name,
                    if check.ok {
                        "ready to launch"
                    } else {
                        "would be refused"
                    }
                ));
                for p in &check.problems {
                    out.line(format!("  {:<18} {}", p.code, p.message));
                }
            });
            if !check.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Preview { tiers, cart } => {
            let (_, check) = desk.check_saved_tiers(tiers.id, cart_lines(&cart)?, None)?;
            let p = check.preview.expect("a cart was given");
            ctx.out.show(&p, |out| {
                for l in &p.lines {
                    out.line(format!(
                        "  {:<10} {:>4} × {:>9}  −{:>9} ({:>5.2} %)  = {:>10}  margin {:>10}{}",
                        l.sku,
                        l.quantity,
                        money(l.unit_minor, c),
                        money(l.discount_minor, c),
                        l.tier_bp as f64 / 100.0,
                        money(l.net_minor, c),
                        l.margin_minor.map_or("—".into(), |m| money(m, c)),
                        if l.keeps_floor == Some(false) {
                            "  BELOW THE FLOOR"
                        } else {
                            ""
                        }
                    ));
                }
                out.line(format!(
                    "  subtotal {}  discount {}  total {}  margin left {}",
                    money(p.subtotal_minor, c),
                    money(p.discount_minor, c),
                    money(p.total_minor, c),
                    p.margin_minor.map_or("—".into(), |m| money(m, c))
                ));
            });
        }
        Command::Lookback { tiers, days } => {
            let (_, check) = desk.check_saved_tiers(tiers.id, Vec::new(), Some(days))?;
            let l = check.lookback.expect("a look-back was asked for");
            ctx.out.show(&l, |out| {
                out.line(format!(
                    "the last {days} days ({} to {}): {} of {} orders would have qualified, at a discount cost of {} on sales of {} and profit of {}; the tiers pay for themselves with {} more profit",
                    shop_time(&l.from, tz).unwrap_or_else(|_| l.from.clone()),
                    shop_time(&l.to, tz).unwrap_or_else(|_| l.to.clone()),
                    l.qualifying_orders,
                    l.orders,
                    money(l.discount_cost_minor, c),
                    money(l.sales_minor, c),
                    money(l.profit_minor, c),
                    l.uplift_to_pay.map_or("—".into(), |u| format!("{:.1} %", u * 100.0))
                ))
            });
        }
        Command::Launch { tiers, floor } => {
            let t = desk.launch_tiers(tiers.id, floor.override_floor)?;
            ctx.out.show(&t, |out| {
                out.line(format!(
                    "tiers {} \"{}\" are {} (journal batch {})",
                    t.id,
                    t.file.name,
                    t.status,
                    t.launch_batch.unwrap_or_default()
                ))
            });
        }
        Command::End(Id { id }) => {
            let t = desk.end_tiers(id)?;
            ctx.out.show(&t, |out| {
                out.line(format!("tiers {id} \"{}\" are {}", t.file.name, t.status))
            });
        }
        Command::List => {
            let all = desk.tier_sets()?;
            ctx.out.show(&serde_json::json!({ "tiers": all }), |out| {
                out.rows(
                    &all,
                    "no tiers yet: `merchant-desk tiers create FILE` plans them",
                    |t| {
                        out.line(format!(
                            "{:>4}  {:<6} {:<7} {} tiers  {}",
                            t.id,
                            t.status,
                            match t.file.kind {
                                Kind::Volume => "volume",
                                Kind::Spend => "spend",
                            },
                            t.file.tier.len(),
                            t.file.name
                        ))
                    },
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
