//! `merchant-desk bundle suggest|create|check|launch|end|delete|list`.

use super::common::{Id, OverrideFloor};
use crate::context::Context;
use crate::output::money;
use merchant_desk::promotions::bundle::{BundleFile, BundleStatus};
use merchant_desk::recommend::bundles::Suggestion;
use merchant_desk::{toml_file, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Pairs and triples bought together more than chance, each priced as a
    /// bundle (the discount the margin floor allows, the margin it leaves).
    Suggest {
        /// How many of each size (20 unless given).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Store a bundle from a TOML file as a draft; prints its id.
    Create { file: PathBuf },
    /// Check a stored bundle against the margin floor; exits non-zero when refused.
    Check(Id),
    /// Put the bundle on the storefront as a "buy X get Y" discount, journaled.
    Launch {
        #[command(flatten)]
        bundle: Id,
        #[command(flatten)]
        floor: OverrideFloor,
    },
    /// Take a live bundle off the storefront (its discount is reverted).
    End(Id),
    /// Delete a draft.
    Delete(Id),
    /// Every bundle with its status.
    List,
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    let (desk, shop) = ctx.shop_desk()?;
    let c = shop.currency.as_str();
    let line = |s: &Suggestion| {
        let skus: Vec<&str> = s.items.iter().map(|i| i.sku.as_str()).collect();
        format!(
            "{:<24} {:>5} orders  lift {:>5.1}  {} {:>3} % off: {} for {}  margin {}  ({})",
            skus.join(" + "),
            s.orders,
            s.lift,
            s.get_sku,
            s.percent_bp / 100,
            money(s.price_minor, c),
            money(s.bundle_price_minor, c),
            s.margin_minor.map_or("—".into(), |m| money(m, c)),
            s.reason
        )
    };
    match command {
        Command::Suggest { limit } => {
            let s = desk.bundle_suggest(limit)?;
            ctx.out.show(&s, |out| {
                out.line(format!(
                    "{} baskets; in {} or more: {} products, {} pairs, {} triples (found in {} ms)",
                    s.baskets,
                    s.min_orders,
                    s.frequent_items,
                    s.frequent_pairs,
                    s.frequent_triples,
                    s.millis
                ));
                out.line("pairs:");
                out.rows(
                    &s.pairs,
                    "  none yet: too few baskets hold two products together",
                    |p| out.line(format!("  {}", line(p))),
                );
                out.line("triples:");
                out.rows(&s.triples, "  none yet", |p| {
                    out.line(format!("  {}", line(p)))
                });
                if s.no_room > 0 {
                    out.line(format!(
                        "{} more left out: the margin floor leaves no room for 1 % off",
                        s.no_room
                    ));
                }
            });
        }
        Command::Create { file } => {
            let b = desk.create_bundle(toml_file::read::<BundleFile>(&file)?)?;
            ctx.out
                .show(&serde_json::json!({ "id": b.id }), |out| out.line(b.id));
        }
        Command::Check(Id { id }) => {
            let b = desk
                .bundles()?
                .into_iter()
                .find(|b| b.id == id)
                .ok_or_else(|| {
                    merchant_desk::Error::NotFound(format!("there is no bundle {id}"))
                })?;
            if b.status != BundleStatus::Draft {
                // Live, its own discount would count against it.
                return Err(merchant_desk::Error::InvalidArgument(format!(
                    "bundle {id} is {}: a draft is checked before its launch",
                    b.status
                )));
            }
            let check = desk.check_bundle(b.file.clone())?;
            ctx.out.show(&check, |out| {
                out.line(format!(
                    "bundle {id} \"{}\": {}; one of each {} for {}, margin {}",
                    b.file.name,
                    if check.ok {
                        "ready to launch"
                    } else {
                        "would be refused"
                    },
                    money(check.price_minor, c),
                    money(check.bundle_price_minor, c),
                    check
                        .margin_minor
                        .map_or("— (no unit cost)".into(), |m| money(m, c)),
                ));
                for p in &check.problems {
                    out.line(format!("  {:<18} {}", p.code, p.message));
                }
            });
            if !check.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Launch { bundle, floor } => {
            let b = desk.launch_bundle(bundle.id, floor.override_floor)?;
            ctx.out.show(&b, |out| {
                out.line(format!(
                    "bundle {} \"{}\" is {} (journal batch {})",
                    b.id,
                    b.file.name,
                    b.status,
                    b.launch_batch.unwrap_or_default()
                ))
            });
        }
        Command::End(Id { id }) => {
            let b = desk.end_bundle(id)?;
            ctx.out.show(&b, |out| {
                out.line(format!("bundle {id} \"{}\" is {}", b.file.name, b.status))
            });
        }
        Command::Delete(Id { id }) => {
            desk.delete_bundle(id)?;
            ctx.out.show(&serde_json::json!({ "deleted": id }), |out| {
                out.line(format!("bundle {id} deleted"))
            });
        }
        Command::List => {
            let all = desk.bundles()?;
            ctx.out.show(&serde_json::json!({ "bundles": all }), |out| {
                out.rows(
                    &all,
                    "no bundles yet: `merchant-desk bundle suggest` finds some, `bundle create FILE` plans one",
                    |b| {
                        out.line(format!(
                            "{:>4}  {:<6} buy {} get {} {} % off  {}",
                            b.id,
                            b.status,
                            b.file.buy.join(" + "),
                            b.file.get,
                            b.file.percent.0 as f64 / 100.0,
                            b.file.name
                        ))
                    },
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
