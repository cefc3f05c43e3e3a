//! `merchant-desk floor [--shop PERCENT] [--category CATEGORY=PERCENT]`.

use crate::context::Context;
use merchant_desk::service::FloorEdit;
use merchant_desk::{Error, Result};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Shop-wide minimum margin on cost, in percent (price ≥ cost × (1 + m)).
    #[arg(long)]
    shop: Option<String>,
    /// A category's own minimum, as CATEGORY=PERCENT (repeatable);
    /// CATEGORY= removes it.
    #[arg(long)]
    category: Vec<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let categories = args
        .category
        .iter()
        .map(|c| {
            let (name, pct) = c.split_once('=').ok_or_else(|| {
                Error::InvalidArgument(format!("\"{c}\": write CATEGORY=PERCENT"))
            })?;
            let pct = pct.trim();
            Ok((
                name.trim().to_string(),
                (!pct.is_empty()).then(|| pct.to_string()),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let floor = ctx.desk().edit_floor(FloorEdit {
        shop_percent: args.shop,
        categories,
    })?;
    ctx.out.show(&floor, |out| {
        out.line(format!(
            "shop-wide: price ≥ cost × (1 + {} %)",
            floor.shop_bp as f64 / 100.0
        ));
        for (c, b) in &floor.categories {
            out.line(format!("{c}: price ≥ cost × (1 + {} %)", *b as f64 / 100.0));
        }
    });
    Ok(ExitCode::SUCCESS)
}
