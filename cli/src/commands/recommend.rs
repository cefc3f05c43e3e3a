//! `merchant-desk recommend …`: recommendations from the shop's baskets.

use crate::context::Context;
use merchant_desk::Result;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
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

pub fn run(ctx: &Context, command: Command) -> Result<ExitCode> {
    match command {
        Command::Evaluate { last } => {
            let e = ctx.desk().recommend_evaluate(last)?;
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
            Ok(ExitCode::SUCCESS)
        }
    }
}
