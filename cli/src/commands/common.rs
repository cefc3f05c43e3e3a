//! Arguments more than one command group takes.

/// A stored sale, tier set or proposal.
#[derive(clap::Args)]
pub struct Id {
    pub id: i64,
}

/// Launching below the margin floor.
#[derive(clap::Args)]
pub struct OverrideFloor {
    /// Go below the margin floor anyway, for this reason.
    #[arg(long)]
    pub override_floor: Option<String>,
}
