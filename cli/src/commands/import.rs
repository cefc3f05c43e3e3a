//! `merchant-desk import KIND FILE`.

use crate::context::{import_bar, Context};
use crate::output::Output;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use merchant_desk::import::{ImportKind, ImportReport};
use merchant_desk::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The file's format.
    #[arg(value_parser = kind_parser())]
    pub kind: ImportKind,
    /// The file.
    pub file: PathBuf,
}

fn kind_parser() -> impl TypedValueParser<Value = ImportKind> {
    PossibleValuesParser::new(ImportKind::ALL.map(ImportKind::name))
        .map(|name| ImportKind::from_name(&name).expect("one of the possible values"))
}

pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (bar, progress) = import_bar();
    let report = ctx
        .desk_creating()
        .import_file(args.kind, args.file, progress);
    bar.finish_and_clear();
    let report = report?;
    ctx.out.show(&report, |out| print(out, &report));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn print(out: &Output, r: &ImportReport) {
    out.line(format!(
        "imported {} of {} rows from {} ({} skipped, {} flagged): {} orders, {} refunds, {} variants, {} customers, {} price changes",
        r.rows_imported, r.rows_read, r.file, r.rows_skipped, r.rows_flagged, r.orders, r.refunds, r.variants, r.customers, r.price_changes
    ));
    for issue in &r.issues {
        let lines: Vec<String> = issue.lines.iter().map(u64::to_string).collect();
        let more = if issue.count as usize > issue.lines.len() {
            ", …"
        } else {
            ""
        };
        out.line(format!(
            "  {} {:>6}  {} (lines {}{more})",
            issue.action,
            issue.count,
            issue.reason,
            lines.join(", ")
        ));
    }
}
