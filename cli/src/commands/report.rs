//! `merchant-desk report summary|top-products`.

use crate::context::Context;
use crate::output::{decimal, money};
use merchant_desk::report::RankBy;
use merchant_desk::time::parse_day;
use merchant_desk::Result;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Orders, customers, units, sales, refunds and AOV (docs/metrics.md).
    Summary {
        #[command(flatten)]
        range: Range,
    },
    /// Best-selling products.
    TopProducts {
        #[command(flatten)]
        range: Range,
        #[arg(long, value_enum, default_value = "revenue")]
        by: By,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
}

#[derive(clap::Args)]
pub struct Range {
    /// First day, YYYY-MM-DD (default: the first day with an order).
    #[arg(long)]
    from: Option<String>,
    /// Last day, included (default: the shop's today).
    #[arg(long)]
    to: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum By {
    Revenue,
    Units,
}

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    let days = |r: &Range| -> Result<_> {
        Ok((
            r.from.as_deref().map(parse_day).transpose()?,
            r.to.as_deref().map(parse_day).transpose()?,
        ))
    };
    match command {
        Command::Summary { range } => {
            let (from, to) = days(&range)?;
            let s = ctx.desk().summary_between(from, to)?;
            let d = |v| decimal(v, &s.currency);
            let json = serde_json::json!({
                "from": s.range.from.to_string(),
                "to": s.range.to.to_string(),
                "orders": s.orders,
                "customers": s.customers,
                "repeat_customers": s.repeat_customers,
                "units": s.units,
                "gross_sales": d(s.gross_sales),
                "refunds": d(s.refunds),
                "net_sales": d(s.net_sales),
                "aov": d(s.aov),
                "currency": s.currency,
            });
            ctx.out.show(&json, |out| {
                let m = |v| money(v, &s.currency);
                out.line(format!("{} to {}", s.range.from, s.range.to));
                out.line(format!("orders            {}", s.orders));
                out.line(format!("customers         {}", s.customers));
                out.line(format!("repeat customers  {}", s.repeat_customers));
                out.line(format!("units             {}", s.units));
                out.line(format!("gross sales       {}", m(s.gross_sales)));
                out.line(format!("refunds           {}", m(s.refunds)));
                out.line(format!("net sales         {}", m(s.net_sales)));
                out.line(format!("average order     {}", m(s.aov)));
            });
        }
        Command::TopProducts { range, by, limit } => {
            let (from, to) = days(&range)?;
            let by = match by {
                By::Revenue => RankBy::Revenue,
                By::Units => RankBy::Units,
            };
            let desk = ctx.desk();
            let currency = desk.shop()?.currency;
            let (range, rows) = desk.top_products_between(from, to, by, limit)?;
            let items: Vec<_> = rows
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "sku": p.sku, "title": p.title, "category": p.category,
                        "units": p.units, "revenue": decimal(p.revenue, &currency),
                        "orders": p.orders,
                    })
                })
                .collect();
            let json = serde_json::json!({
                "from": range.from.to_string(), "to": range.to.to_string(),
                "currency": currency, "items": items,
            });
            ctx.out.show(&json, |out| {
                out.line(format!("{} to {}", range.from, range.to));
                if rows.is_empty() {
                    out.line("no sales in these days");
                    return;
                }
                out.line(format!(
                    "{:>4}  {:<10} {:>8} {:>14}  title",
                    "#", "sku", "units", "revenue"
                ));
                for (i, p) in rows.iter().enumerate() {
                    out.line(format!(
                        "{:>4}  {:<10} {:>8} {:>14}  {}",
                        i + 1,
                        p.sku.as_deref().unwrap_or("-"),
                        p.units,
                        money(p.revenue, &currency),
                        p.title
                    ));
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
