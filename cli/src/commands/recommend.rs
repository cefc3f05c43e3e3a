//! `merchant-desk recommend …`: recommendations from the shop's baskets.

use crate::context::Context;
use crate::output::{money, Output};
use merchant_desk::recommend::lists::List;
use merchant_desk::recommend::store::{Item, Override, ProductList};
use merchant_desk::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Fit the model on every order and build every product's lists
    /// (related, similar, upsell).
    Build,
    /// Frequently bought together with a product.
    Related {
        sku: String,
        /// How many items (10 unless given).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Items like a product (substitutes): title, category, the same customers.
    Similar {
        sku: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// The better item in a product's family: alike, dearer, a higher margin.
    Upsell {
        sku: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// A customer's picks (their id or email).
    For {
        customer: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// The next items for each cart of a CSV with the header `basket,sku`
    /// and an optional `customer` column, one row per item.
    Complete {
        #[arg(long)]
        baskets: PathBuf,
        /// Items per cart (10 unless given).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Always show OTHER first in SKU's list.
    Pin {
        sku: String,
        other: String,
        /// related, similar or upsell.
        #[arg(long, default_value = "related", value_parser = parse_list)]
        list: List,
    },
    /// Never show OTHER in SKU's list.
    Exclude {
        sku: String,
        other: String,
        #[arg(long, default_value = "related", value_parser = parse_list)]
        list: List,
    },
    /// Undo a pin or an exclusion.
    Clear {
        sku: String,
        other: String,
        #[arg(long, default_value = "related", value_parser = parse_list)]
        list: List,
    },
    /// Send every product's bought-together and similar lists to the
    /// storefront (Shopify's Search & Discovery metafields), journaled.
    Push,
    /// How good the recommendations are on the shop's own orders: train on
    /// the first 80 % by time, hide one item of each later basket of two or
    /// more, count how often it is in the ten best (HR@10, NDCG@10),
    /// beside popularity.
    Evaluate {
        /// Learn from the last N training orders only (a small shop).
        #[arg(long)]
        last: Option<u32>,
    },
}

fn parse_list(s: &str) -> std::result::Result<List, String> {
    List::parse(s).ok_or_else(|| format!("{s:?} is not a list: related, similar or upsell"))
}

fn show_items(out: &Output, items: &[Item], currency: &str) {
    out.rows(items, "  (nothing to recommend)", |i| {
        out.line(format!(
            "  {:<10} {:<38} {:>10}  {}",
            i.sku,
            i.title.chars().take(38).collect::<String>(),
            money(i.price_minor, currency),
            i.reason
        ))
    });
}

fn show_list(ctx: &Context, l: &ProductList, currency: &str) {
    ctx.out.show(l, |out| {
        out.line(format!("{} {} ({}):", l.list.as_str(), l.sku, l.title));
        show_items(out, &l.items, currency);
        if !l.excluded.is_empty() {
            out.line(format!(
                "  excluded: {}",
                l.excluded
                    .iter()
                    .map(|i| i.sku.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    });
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    let (desk, shop) = ctx.shop_desk()?;
    let currency = shop.currency.clone();
    match command {
        Command::Build => {
            let b = desk.recommend_build()?;
            ctx.out.show(&b, |out| {
                out.line(format!(
                    "built the lists of {} products from {} orders ({} products in the model, λ {:.0}) in {} ms",
                    b.products, b.orders, b.model_items, b.lambda, b.millis
                ))
            });
        }
        Command::Related { sku, limit } => show_list(
            ctx,
            &desk.recommend_list(sku, List::Related, limit)?,
            &currency,
        ),
        Command::Similar { sku, limit } => show_list(
            ctx,
            &desk.recommend_list(sku, List::Similar, limit)?,
            &currency,
        ),
        Command::Upsell { sku, limit } => show_list(
            ctx,
            &desk.recommend_list(sku, List::Upsell, limit)?,
            &currency,
        ),
        Command::Pin { sku, other, list } => show_list(
            ctx,
            &desk.recommend_override(sku, list, other, Override::Pin)?,
            &currency,
        ),
        Command::Exclude { sku, other, list } => show_list(
            ctx,
            &desk.recommend_override(sku, list, other, Override::Exclude)?,
            &currency,
        ),
        Command::Clear { sku, other, list } => show_list(
            ctx,
            &desk.recommend_override(sku, list, other, Override::Clear)?,
            &currency,
        ),
        Command::For { customer, limit } => {
            let p = desk.recommend_picks(customer, limit)?;
            ctx.out.show(&p, |out| {
                out.line(format!("for {} ({} orders):", p.customer, p.orders));
                show_items(out, &p.items, &currency);
            });
        }
        Command::Push => {
            let p = desk.recommend_push()?;
            ctx.out.show(&p, |out| {
                out.line(format!(
                    "{} products: {} lists sent and confirmed, {} refused, {} already in the store",
                    p.products, p.confirmed, p.failed, p.unchanged
                ));
                if let Some(b) = p.batch {
                    out.line(format!(
                        "  journal batch {b}; revert it to take the lists back"
                    ));
                }
                for e in &p.errors {
                    out.line(format!("  refused: {e}"));
                }
            });
            if p.failed > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Complete { baskets, limit } => {
            let c = desk.recommend_complete(baskets, limit)?;
            ctx.out.show(&c, |out| {
                out.rows(&c.baskets, "no baskets in the file", |b| {
                    out.line(format!("{}: {}", b.id, b.skus.join(" ")))
                })
            });
        }
        Command::Evaluate { last } => {
            let e = desk.recommend_evaluate(last)?;
            ctx.out.show(&e, |out| {
                out.line(format!(
                    "{} orders: learnt from {}, tested on {} later baskets of two or more items ({} items in the model, λ {:.0})",
                    e.orders, e.training, e.test_baskets, e.model_items, e.lambda
                ));
                for m in &e.methods {
                    out.line(format!(
                        "  {:<34} HR@10 {:.3}  NDCG@10 {:.3}",
                        m.name, m.hr_at_10, m.ndcg_at_10
                    ));
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
