//! `merchant-desk`: the headless command line over the same core as the app.

use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use merchant_desk::import::{self, Control, ImportKind, ImportReport, Progress};
use merchant_desk::journal::{self, Entry, ManualChange, RevertScope};
use merchant_desk::money::format_major;
use merchant_desk::report::{self, parse_day, DateRange, RankBy, Summary};
use merchant_desk::store::{default_db_path, Shop, Store};
use merchant_desk::storefront::connection::{self, Credentials, SecretGiven};
use merchant_desk::storefront::shopify::client::Tuning;
use merchant_desk::{Error, Result};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "merchant-desk",
    version,
    about = "Merchant Desk: your shop's data and playbooks, on your machine"
)]
struct Cli {
    /// The shop database (default: the app's own, in your data folder).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import a CSV file (plain or .gz) into the shop.
    Import {
        /// The file's format.
        kind: KindArg,
        /// The file.
        file: PathBuf,
        /// Print the import report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create the demo shop (the Online Retail year with demo costs, stock and categories).
    Demo,
    /// Show or set the shop's name, currency and time zone.
    Shop {
        #[command(subcommand)]
        action: ShopAction,
    },
    /// Reports over a date range in the shop's time zone.
    Report {
        #[command(subcommand)]
        report: ReportCommand,
    },
    /// Dynamic pricing: elasticities, simulations, suggestions.
    Price {
        #[command(subcommand)]
        action: PriceCommand,
    },
    /// Connect the shop to its hosted storefront.
    Connect {
        #[command(subcommand)]
        platform: ConnectCommand,
    },
    /// Forget the storefront connection (and its keyring entry).
    Disconnect,
    /// Pull what changed in the storefront (everything, the first time).
    Sync {
        /// Pull everything again, not only what changed.
        #[arg(long)]
        full: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Push one change to the storefront (journaled, revertible).
    Push {
        #[command(subcommand)]
        change: PushCommand,
    },
    /// The change journal: every push, and reverting one.
    Journal {
        #[command(subcommand)]
        action: JournalCommand,
    },
    /// Flash sales: plan, check, launch, end, report.
    Sale {
        #[command(subcommand)]
        action: SaleCommand,
    },
    /// Volume and spend tiers: plan, check, preview a cart, look back, launch, end.
    Tiers {
        #[command(subcommand)]
        action: TiersCommand,
    },
    /// The margin floor every discount is checked against.
    Floor {
        /// Shop-wide minimum margin on cost, in percent (price ≥ cost × (1 + m)).
        #[arg(long)]
        shop: Option<String>,
        /// A category's own minimum, as CATEGORY=PERCENT (repeatable);
        /// CATEGORY= removes it.
        #[arg(long)]
        category: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Time our import against the sqlite3 shell and the reports on the real data.
    /// Time the pricing model on the shop (the demo) against NumPy.
    BenchPricing {
        /// The Python with NumPy (benches/pricing.sh sets one up).
        #[arg(long, default_value = "python3")]
        python: String,
        #[arg(long, default_value = "benches/pricing_numpy.py")]
        script: PathBuf,
        #[arg(long, default_value_t = 90)]
        days: usize,
        #[arg(long, default_value_t = 1000)]
        paths: usize,
        #[arg(long)]
        json: bool,
    },
    Bench {
        /// The Online Retail file.
        #[arg(long, default_value = "data/online-retail.csv.gz")]
        file: PathBuf,
        /// The sqlite3 shell to compare with.
        #[arg(long, default_value = "sqlite3")]
        sqlite3: String,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConnectCommand {
    /// A Shopify store, through a custom app's credentials.
    Shopify {
        /// The shop's domain (my-shop.myshopify.com).
        #[arg(long)]
        shop: String,
        /// Environment variable holding an Admin API access token; only
        /// its name is kept, and later commands read the token from it.
        #[arg(long, conflicts_with_all = ["client_id", "client_secret_env"])]
        token_env: Option<String>,
        /// The app's client id (client-credentials grant).
        #[arg(long, requires = "client_secret_env")]
        client_id: Option<String>,
        /// Environment variable holding the app's client secret.
        #[arg(long, requires = "client_id")]
        client_secret_env: Option<String>,
    },
}

#[derive(Subcommand)]
enum PushCommand {
    /// Set a variant's price (and compare-at price), by SKU.
    Price {
        sku: String,
        /// The new price in major units, e.g. 2.95.
        price: String,
        /// The compare-at price in major units.
        #[arg(long)]
        compare_at: Option<String>,
        /// Why, for the journal.
        #[arg(long, default_value = "set by hand")]
        reason: String,
    },
    /// Add or remove a customer's tags (customer by id or e-mail).
    Tags {
        customer: String,
        #[arg(long)]
        add: Vec<String>,
        #[arg(long)]
        remove: Vec<String>,
        #[arg(long, default_value = "set by hand")]
        reason: String,
    },
}

#[derive(Subcommand)]
enum JournalCommand {
    /// The newest pushes first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Set a change's prior value again.
    Revert {
        /// The journal entry (or, with --batch, the batch).
        id: i64,
        /// Revert every confirmed change of batch ID.
        #[arg(long)]
        batch: bool,
        /// Overwrite values changed in the store since.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    OnlineRetail,
    Orders,
    Products,
    ShopifyOrders,
    ShopifyProducts,
    CompetitorPrices,
    DemandEvents,
}

impl From<KindArg> for ImportKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::OnlineRetail => ImportKind::OnlineRetail,
            KindArg::Orders => ImportKind::Orders,
            KindArg::Products => ImportKind::Products,
            KindArg::ShopifyOrders => ImportKind::ShopifyOrders,
            KindArg::ShopifyProducts => ImportKind::ShopifyProducts,
            KindArg::CompetitorPrices => ImportKind::CompetitorPrices,
            KindArg::DemandEvents => ImportKind::DemandEvents,
        }
    }
}

#[derive(Subcommand)]
enum ShopAction {
    /// Print the shop record as JSON.
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

#[derive(Clone, Copy, ValueEnum)]
enum ByArg {
    Revenue,
    Units,
}

#[derive(clap::Args)]
struct RangeArgs {
    /// First day (default: the first day with an order).
    #[arg(long)]
    from: Option<String>,
    /// Last day, included (default: the shop's today).
    #[arg(long)]
    to: Option<String>,
}

#[derive(Subcommand)]
enum PriceCommand {
    /// Per-product signals: stock, velocity, days of cover, trend, margin.
    Signals {
        /// Velocity windows in days, ending today.
        #[arg(long, value_delimiter = ',', default_value = "7,28,90")]
        windows: Vec<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Simulate a scenario file (TOML) against current prices.
    Simulate {
        /// A scenario file (TOML).
        #[arg(
            long,
            required_unless_present = "proposal",
            conflicts_with = "proposal"
        )]
        scenario: Option<PathBuf>,
        /// Or a stored proposal's prices (its items not rejected).
        #[arg(long)]
        proposal: Option<i64>,
        /// Days ahead.
        #[arg(long, default_value_t = 30)]
        days: usize,
        /// Monte Carlo paths; 0 gives expected values without sampling.
        #[arg(long, default_value_t = 1000)]
        paths: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Hold out the last weeks and score the demand model's forecast.
    Backtest {
        #[arg(long, default_value_t = 4)]
        weeks: i64,
        #[arg(long)]
        json: bool,
    },
    /// Propose prices from a rule set (TOML; default: the app's first saved
    /// set, else the starter rules) and store the proposal.
    Suggest {
        #[arg(long)]
        rules: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Push a proposal's prices (all but those rejected in the app) as one
    /// journaled batch; `journal revert ID --batch` undoes it.
    Apply {
        proposal: i64,
        #[arg(long)]
        json: bool,
    },
    /// List the proposals, or show one.
    Proposals {
        /// Show this proposal with its items and reasons.
        id: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Each product's own-price elasticity from the shop's history.
    Elasticity {
        /// Weeks of history ending today.
        #[arg(long, default_value_t = merchant_desk::pricing::HISTORY_WEEKS)]
        weeks: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SaleCommand {
    /// Store a sale from a TOML file as a draft; prints its id.
    Create {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Check a sale before launch; exits non-zero when it would be refused.
    Check {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Launch a draft sale (now, or at its start).
    Launch {
        id: i64,
        /// Go below the margin floor anyway, for this reason.
        #[arg(long)]
        override_floor: Option<String>,
    },
    /// End a scheduled or live sale now and revert it exactly.
    End { id: i64 },
    /// How the sale did: units, revenue and profit against the same weekdays
    /// of the four weeks before and against the model's no-sale expectation.
    Report {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Every sale with its status (bringing each up to now first).
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TiersCommand {
    /// Store tiers from a TOML file as a draft; prints their id.
    Create {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Check the deepest tier against the margin floor; exits non-zero when refused.
    Check {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// A cart at today's prices with the tiers applied: --cart SKU=QTY,SKU=QTY.
    Preview {
        id: i64,
        #[arg(long, value_delimiter = ',', required = true)]
        cart: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Had these tiers existed over the last N days.
    Lookback {
        id: i64,
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[arg(long)]
        json: bool,
    },
    /// Push the tiers as storefront discounts, one per tier.
    Launch {
        id: i64,
        #[arg(long)]
        override_floor: Option<String>,
    },
    /// Take live tiers off the storefront.
    End { id: i64 },
    /// Every tier set with its status.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Orders, customers, units, sales, refunds and AOV (docs/metrics.md).
    Summary {
        #[command(flatten)]
        range: RangeArgs,
        #[arg(long)]
        json: bool,
    },
    /// Best-selling products.
    TopProducts {
        #[command(flatten)]
        range: RangeArgs,
        #[arg(long, value_enum, default_value = "revenue")]
        by: ByArg,
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: bad arguments"));
            std::process::exit(2);
        }
    };
    // Output piped into `head` and closed early ends the program quietly,
    // as other command-line tools do, instead of reporting a panic.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let db = cli.db.clone().unwrap_or_else(default_db_path);
    // The log goes next to the database: `logs/` in the app's data folder.
    if let Some(folder) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        merchant_desk::logging::init(folder);
    }
    if let Err(e) = run(cli, db) {
        tracing::error!(code = e.code(), "{e}");
        eprintln!("error: {}", e.to_string().replace('\n', " "));
        std::process::exit(1);
    }
}

fn print_proposal(p: &merchant_desk::pricing::proposals::Proposal, currency: &str, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(p).expect("proposals serialise")
        );
        return;
    }
    println!(
        "proposal {} \"{}\" ({}, {}): {} prices, {} held{}",
        p.id,
        p.name,
        p.mode.name(),
        p.status,
        p.items.len(),
        p.held.len(),
        p.batch.map_or(String::new(), |b| format!(
            "; journal batch {b} (undo: merchant-desk journal revert ID --batch)"
        ))
    );
    for i in &p.items {
        println!(
            "  {:<10} {:>9} → {:>9} {currency}  {:<9} {}",
            i.sku,
            format_major(i.current_minor, currency),
            format_major(i.proposed_minor, currency),
            i.status,
            i.title
        );
        for r in &i.reasons {
            println!("      {:?}: {}", r.source, r.text);
        }
        if let Some(e) = &i.error {
            println!("      error: {e}");
        }
    }
}

/// A text file the owner names (a scenario, rule, sale or tier file).
fn read_text(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))
}

/// Opens a shop database that must already exist.
fn open_existing(db: &std::path::Path) -> Result<Store> {
    if !db.exists() {
        return Err(Error::InvalidArgument(format!(
            "no shop database at {}",
            db.display()
        )));
    }
    Store::open(db)
}

fn run(cli: Cli, db: PathBuf) -> Result<()> {
    match cli.command {
        Command::Import { kind, file, json } => {
            let mut store = Store::open(&db)?;
            let report = with_progress(|control| {
                import::import_file(&mut store, kind.into(), &file, control, Utc::now())
            })?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("report serialises")
                );
            } else {
                print_import(&report);
            }
        }
        Command::Connect {
            platform:
                ConnectCommand::Shopify {
                    shop,
                    token_env,
                    client_id,
                    client_secret_env,
                },
        } => {
            let creds = match (token_env, client_id, client_secret_env) {
                (Some(var), _, _) => Credentials::Token(SecretGiven::Env(var)),
                (None, Some(id), Some(var)) => Credentials::ClientCredentials {
                    client_id: id,
                    secret: SecretGiven::Env(var),
                },
                _ => {
                    return Err(Error::InvalidArgument(
                        "give --token-env VAR, or --client-id ID with --client-secret-env VAR"
                            .into(),
                    ))
                }
            };
            let mut store = Store::open(&db)?;
            let info =
                connection::connect(&mut store, "shopify", &shop, &creds, Tuning::default())?;
            println!(
                "connected to {} ({}, {}); run `merchant-desk sync` to pull it",
                info.name, info.currency, info.time_zone
            );
        }
        Command::Disconnect => {
            connection::disconnect(&Store::open(&db)?)?;
            println!("disconnected");
        }
        Command::Sync { full, json } => {
            let mut store = Store::open(&db)?;
            let bar = bar();
            let cancel = Arc::new(AtomicBool::new(false));
            let report = connection::sync_store(&mut store, full, cancel, |p| {
                bar.set_message(format!("{} ({} written)", p.stage, p.written));
                if p.total > 0 {
                    bar.set_length(p.total);
                }
                bar.set_position(p.done);
            });
            bar.finish_and_clear();
            let report = report?;
            // New orders may have reached a sale's stock cap.
            for n in merchant_desk::promotions::run::settle_now(
                store.conn(),
                Arc::new(AtomicBool::new(false)),
            )? {
                eprintln!("{} {} \"{}\": {}", n.kind, n.id, n.name, n.what);
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("report serialises")
                );
            } else {
                println!(
                    "{} sync done in {:.1} s: {} products, {} customers, {} orders, {} discounts written",
                    if report.full { "full" } else { "incremental" },
                    report.seconds,
                    report.products,
                    report.customers,
                    report.orders,
                    report.discounts
                );
            }
        }
        Command::Push { change } => {
            let store = Store::open(&db)?;
            let conn = store.conn();
            let currency = store.require_shop()?.currency;
            let (change, reason) = match change {
                PushCommand::Price {
                    sku,
                    price,
                    compare_at,
                    reason,
                } => (
                    ManualChange::Price {
                        sku,
                        price,
                        compare_at,
                    },
                    reason,
                ),
                PushCommand::Tags {
                    customer,
                    add,
                    remove,
                    reason,
                } => (
                    ManualChange::Tags {
                        customer,
                        add,
                        remove,
                    },
                    reason,
                ),
            };
            let entries =
                connection::push_manual(conn, Arc::new(AtomicBool::new(false)), &change, &reason)?;
            print_entries(&entries, &currency);
            if let Some(e) = entries.iter().find(|e| e.status == "failed") {
                return Err(Error::Storefront(e.error.clone().unwrap_or_default()));
            }
        }
        Command::Sale { action } => {
            use merchant_desk::promotions::sale;
            let store = open_existing(&db)?;
            let shop = store.require_shop()?;
            let conn = store.conn();
            match action {
                SaleCommand::Create { file, json } => {
                    let text = read_text(&file)?;
                    let s = sale::create(conn, &shop, &sale::SaleFile::parse(&text)?, Utc::now())?;
                    if json {
                        println!("{}", serde_json::json!({ "id": s.id }));
                    } else {
                        println!("{}", s.id);
                    }
                }
                SaleCommand::Check { id, json } => {
                    let s = sale::get(conn, id)?;
                    let report = sale::check(conn, &shop, &s.file, Some(id), Utc::now())?;
                    let built = merchant_desk::pricing::build(conn, &shop, Utc::now())?;
                    let projection = sale::projection(conn, &shop, &s.file, &built, Utc::now())?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&serde_json::json!({
                                "ok": report.ok,
                                "problems": report.problems,
                                "items": report.items,
                                "starts_at": report.starts_at,
                                "ends_at": report.ends_at,
                                "projection": projection,
                            }))
                            .expect("checks serialise")
                        );
                    } else {
                        let m = |v: f64| format_major(v.round() as i64, &shop.currency);
                        println!(
                            "projection over {:.1} hours ({:.2} days of demand at the shop's hours and weekdays): units {:.0} → {:.0}, revenue {} → {}, profit {} → {}; break-even needs {}; the model expects {}",
                            projection.hours,
                            projection.demand_days,
                            projection.units_without,
                            projection.units_with,
                            m(projection.revenue_without),
                            m(projection.revenue_with),
                            m(projection.profit_without),
                            m(projection.profit_with),
                            projection.break_even_uplift.map_or("no margin left".into(), |u| format!("{:+.0} % units", u * 100.0)),
                            projection.expected_uplift.map_or("no sales to go by".into(), |u| format!("{:+.0} % units", u * 100.0)),
                        );
                        println!(
                            "sale {id} \"{}\": {} products, {} to {} (UTC): {}",
                            s.file.name,
                            report.items.len(),
                            report.starts_at,
                            report.ends_at,
                            if report.ok {
                                "ready to launch"
                            } else {
                                "would be refused"
                            }
                        );
                        for p in &report.problems {
                            println!("  {:<7} {:<18} {}", p.severity, p.code, p.message);
                        }
                    }
                    if !report.ok {
                        std::process::exit(1);
                    }
                }
                SaleCommand::Launch { id, override_floor } => {
                    let s = connection::with_storefront(
                        conn,
                        Arc::new(AtomicBool::new(false)),
                        |sf| {
                            merchant_desk::promotions::run::launch(
                                conn,
                                &shop,
                                sf,
                                id,
                                override_floor.as_deref(),
                                Utc::now(),
                            )
                        },
                    )?;
                    println!(
                        "sale {id} \"{}\" is {}: {} to {} (UTC){}",
                        s.file.name,
                        s.status,
                        s.starts_at,
                        s.ends_at,
                        s.launch_batch
                            .map_or(String::new(), |b| format!(", journal batch {b}"))
                    );
                }
                SaleCommand::Report { id, json } => {
                    let r = sale::report(conn, &shop, id, Utc::now())?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&r).expect("reports serialise")
                        );
                    } else {
                        let m = |v: f64| format_major(v.round() as i64, &shop.currency);
                        println!(
                            "sale {id} \"{}\" ({}), {} to {} (UTC)",
                            r.sale.file.name, r.sale.status, r.from, r.to
                        );
                        for (label, t) in [
                            ("actual", &r.actual),
                            ("same weekdays, 4 weeks before", &r.same_weekdays),
                            ("model, no sale", &r.model),
                        ] {
                            println!(
                                "  {label:<31} units {:>8.1}  revenue {:>10}  profit {:>10}",
                                t.units,
                                m(t.revenue),
                                m(t.profit)
                            );
                        }
                        println!(
                            "  incremental profit: {} against the same weekdays, {} against the model; {} units in stock now",
                            m(r.incremental_vs_weekdays),
                            m(r.incremental_vs_model),
                            r.stock_left
                        );
                    }
                }
                SaleCommand::End { id } => {
                    let s = connection::with_storefront(
                        conn,
                        Arc::new(AtomicBool::new(false)),
                        |sf| merchant_desk::promotions::run::end(conn, sf, id, Utc::now()),
                    )?;
                    println!("sale {id} \"{}\" is {}", s.file.name, s.status);
                }
                SaleCommand::List { json } => {
                    let settled = connection::with_storefront(
                        conn,
                        Arc::new(AtomicBool::new(false)),
                        |sf| merchant_desk::promotions::run::settle(conn, &shop, sf, Utc::now()),
                    )?;
                    for n in &settled {
                        eprintln!("{} {} \"{}\": {}", n.kind, n.id, n.name, n.what);
                    }
                    let all = sale::list(conn)?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&serde_json::json!({ "sales": all }))
                                .expect("sales serialise")
                        );
                    } else {
                        for s in all {
                            println!(
                                "{:>4}  {:<9} {} → {}  {:<8} {}",
                                s.id,
                                s.status,
                                s.starts_at,
                                s.ends_at,
                                match s.file.mode {
                                    sale::SaleMode::Discount => "discount",
                                    sale::SaleMode::Price => "price",
                                },
                                s.file.name
                            );
                        }
                    }
                }
            }
        }
        Command::Tiers { action } => {
            use merchant_desk::promotions::tiers;
            let store = open_existing(&db)?;
            let shop = store.require_shop()?;
            let conn = store.conn();
            let c = &shop.currency;
            let print = |v: serde_json::Value| {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v).expect("tiers serialise")
                )
            };
            match action {
                TiersCommand::Create { file, json } => {
                    let text = read_text(&file)?;
                    let t =
                        tiers::create(conn, &shop, &tiers::TierFile::parse(&text)?, Utc::now())?;
                    if json {
                        println!("{}", serde_json::json!({ "id": t.id }));
                    } else {
                        println!("{}", t.id);
                    }
                }
                TiersCommand::Check { id, json } => {
                    let t = tiers::get(conn, id)?;
                    let (ok, problems) = tiers::check(conn, &shop, &t.file, Utc::now())?;
                    if json {
                        print(serde_json::json!({ "ok": ok, "problems": problems }));
                    } else {
                        println!(
                            "tiers {id} \"{}\": {}",
                            t.file.name,
                            if ok {
                                "ready to launch"
                            } else {
                                "would be refused"
                            }
                        );
                        for p in &problems {
                            println!("  {:<18} {}", p.code, p.message);
                        }
                    }
                    if !ok {
                        std::process::exit(1);
                    }
                }
                TiersCommand::Preview { id, cart, json } => {
                    let t = tiers::get(conn, id)?;
                    let mut lines = Vec::new();
                    for item in cart {
                        let (sku, q) = item.split_once('=').ok_or_else(|| {
                            Error::InvalidArgument(format!("\"{item}\": write SKU=QUANTITY"))
                        })?;
                        let q: i64 = q.trim().parse().map_err(|_| {
                            Error::InvalidArgument(format!("\"{q}\" is not a whole number"))
                        })?;
                        lines.push((sku.trim().to_string(), q));
                    }
                    let p = tiers::preview(conn, &shop, &t.file, &lines)?;
                    if json {
                        print(serde_json::to_value(&p).expect("previews serialise"));
                    } else {
                        for l in &p.lines {
                            println!(
                                "  {:<10} {:>4} × {:>8}  −{:>8} ({:>5.2} %)  = {:>9}  margin {:>9}{}",
                                l.sku, l.quantity, format_major(l.unit_minor, c), format_major(l.discount_minor, c),
                                l.tier_bp as f64 / 100.0, format_major(l.net_minor, c),
                                l.margin_minor.map_or("—".into(), |m| format_major(m, c)),
                                if l.keeps_floor == Some(false) { "  BELOW THE FLOOR" } else { "" }
                            );
                        }
                        println!(
                            "  subtotal {}  discount {}  total {} {c}  margin left {}",
                            format_major(p.subtotal_minor, c),
                            format_major(p.discount_minor, c),
                            format_major(p.total_minor, c),
                            p.margin_minor.map_or("—".into(), |m| format_major(m, c))
                        );
                    }
                }
                TiersCommand::Lookback { id, days, json } => {
                    let t = tiers::get(conn, id)?;
                    let l = tiers::lookback(conn, &shop, &t.file, days, Utc::now())?;
                    if json {
                        print(serde_json::to_value(&l).expect("look-backs serialise"));
                    } else {
                        println!(
                            "the last {days} days ({} to {} UTC): {} of {} orders would have qualified, at a discount cost of {} {c} on sales of {} and profit of {}; the tiers pay for themselves with {} more profit",
                            l.from, l.to, l.qualifying_orders, l.orders, format_major(l.discount_cost_minor, c),
                            format_major(l.sales_minor, c), format_major(l.profit_minor, c),
                            l.uplift_to_pay.map_or("—".into(), |u| format!("{:.1} %", u * 100.0))
                        );
                    }
                }
                TiersCommand::Launch { id, override_floor } => {
                    let t = connection::with_storefront(
                        conn,
                        Arc::new(AtomicBool::new(false)),
                        |sf| {
                            tiers::launch(
                                conn,
                                &shop,
                                sf,
                                id,
                                override_floor.as_deref(),
                                Utc::now(),
                            )
                        },
                    )?;
                    println!(
                        "tiers {id} \"{}\" are {} (journal batch {})",
                        t.file.name,
                        t.status,
                        t.launch_batch.unwrap_or_default()
                    );
                }
                TiersCommand::End { id } => {
                    let t = connection::with_storefront(
                        conn,
                        Arc::new(AtomicBool::new(false)),
                        |sf| tiers::end(conn, sf, id, Utc::now()),
                    )?;
                    println!("tiers {id} \"{}\" are {}", t.file.name, t.status);
                }
                TiersCommand::List { json } => {
                    let all = tiers::list(conn)?;
                    if json {
                        print(serde_json::json!({ "tiers": all }));
                    } else {
                        for t in all {
                            println!(
                                "{:>4}  {:<6} {:<7} {} tiers  {}",
                                t.id,
                                t.status,
                                match t.file.kind {
                                    tiers::Kind::Volume => "volume",
                                    tiers::Kind::Spend => "spend",
                                },
                                t.file.tier.len(),
                                t.file.name
                            );
                        }
                    }
                }
            }
        }
        Command::Floor {
            shop: shop_pct,
            category,
            json,
        } => {
            use merchant_desk::promotions::floor::MarginFloor;
            let store = open_existing(&db)?;
            let conn = store.conn();
            let mut floor = MarginFloor::load(conn)?;
            let bp = |text: &str| -> Result<i64> {
                merchant_desk::money::parse_decimal(text)
                    .and_then(merchant_desk::pricing::rules::Percent::from_decimal)
                    .map(|p| p.0)
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "\"{text}\" is not a percentage with at most two decimals"
                        ))
                    })
            };
            let changed = shop_pct.is_some() || !category.is_empty();
            if let Some(p) = shop_pct {
                floor.shop_bp = bp(&p)?;
            }
            for c in category {
                let (name, pct) = c.split_once('=').ok_or_else(|| {
                    Error::InvalidArgument(format!("\"{c}\": write CATEGORY=PERCENT"))
                })?;
                if pct.trim().is_empty() {
                    floor.categories.remove(name.trim());
                } else {
                    floor
                        .categories
                        .insert(name.trim().to_string(), bp(pct.trim())?);
                }
            }
            if changed {
                floor.save(conn, Utc::now())?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&floor).expect("floors serialise")
                );
            } else {
                println!(
                    "shop-wide: price ≥ cost × (1 + {} %)",
                    floor.shop_bp as f64 / 100.0
                );
                for (c, b) in &floor.categories {
                    println!("{c}: price ≥ cost × (1 + {} %)", *b as f64 / 100.0);
                }
            }
        }
        Command::Journal { action } => {
            let store = Store::open(&db)?;
            let conn = store.conn();
            let currency = store.shop()?.map(|s| s.currency).unwrap_or_default();
            match action {
                JournalCommand::List { limit, json } => {
                    let entries = journal::list(conn, limit)?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&entries).expect("entries serialise")
                        );
                    } else if entries.is_empty() {
                        println!("the journal is empty: nothing has been pushed yet");
                    } else {
                        print_entries(&entries, &currency);
                    }
                }
                JournalCommand::Revert {
                    id,
                    batch,
                    force,
                    json,
                } => {
                    let scope = if batch {
                        RevertScope::Batch(id)
                    } else {
                        RevertScope::Entry(id)
                    };
                    let entries = connection::with_storefront(
                        conn,
                        Arc::new(AtomicBool::new(false)),
                        |sf| journal::revert(conn, sf, scope, force, Utc::now()),
                    )?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&entries).expect("entries serialise")
                        );
                    } else {
                        print_entries(&entries, &currency);
                    }
                }
            }
        }
        Command::Demo => {
            if db.exists() && Store::open(&db)?.shop()?.is_some() {
                return Err(Error::InvalidArgument(format!(
                    "{} already holds a shop; give another --db for the demo",
                    db.display()
                )));
            }
            let _ = std::fs::remove_file(&db);
            let store =
                with_progress(|control| merchant_desk::demo::build(&db, control, Utc::now()))?;
            let shop = store.require_shop()?;
            println!(
                "demo shop ready: {} ({}, {}), today is {}",
                store.path().display(),
                shop.currency,
                shop.time_zone,
                merchant_desk::demo::DEMO_TODAY
            );
        }
        Command::Shop { action } => {
            let mut store = Store::open(&db)?;
            match action {
                ShopAction::Show => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&store.require_shop()?)
                            .expect("shop serialises")
                    )
                }
                ShopAction::Set {
                    name,
                    currency,
                    time_zone,
                } => {
                    let old = store.shop()?;
                    store.set_shop(
                        &Shop {
                            name,
                            platform: old
                                .as_ref()
                                .map(|s| s.platform.clone())
                                .unwrap_or_else(|| "local".into()),
                            currency,
                            time_zone,
                            demo: old.as_ref().is_some_and(|s| s.demo),
                            fixed_today: old.and_then(|s| s.fixed_today),
                        },
                        Utc::now(),
                    )?;
                    println!("shop saved");
                }
            }
        }
        Command::Price { action } => {
            let store = open_existing(&db)?;
            let shop = store.require_shop()?;
            match action {
                PriceCommand::Signals { windows, json } => {
                    let rows = merchant_desk::pricing::signals::signals(
                        store.conn(),
                        &shop,
                        Utc::now(),
                        &windows,
                    )?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&serde_json::json!({ "items": rows }))
                                .expect("signals serialise")
                        );
                    } else {
                        let c = &shop.currency;
                        for r in &rows {
                            let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| {
                                v.map_or("—".to_string(), f)
                            };
                            println!(
                                "{:<10} {:>9} {c}  margin {:>6}  stock {:>7}  velocity/day {}  cover {:>7}  trend {:>7}  rivals {:>9}  views/carts {:>11}  {}",
                                r.sku,
                                format_major(r.price_minor, c),
                                r.margin_bp.map_or("—".into(), |m| format!("{:.1}%", m as f64 / 100.0)),
                                r.stock.map_or("—".into(), |s| s.to_string()),
                                r.velocity.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join("/"),
                                opt(r.days_of_cover, &|d| format!("{d:.0} d")),
                                opt(r.trend, &|t| format!("{:+.0}%", t * 100.0)),
                                r.competitor_min_minor.map_or("—".into(), |m| format_major(m, c)),
                                match (r.views, r.add_to_carts) {
                                    (Some(v), Some(a)) => format!("{v}/{a}"),
                                    _ => "—".into(),
                                },
                                r.title
                            );
                        }
                    }
                }
                PriceCommand::Simulate {
                    scenario,
                    proposal,
                    days,
                    paths,
                    seed,
                    json,
                } => {
                    let built = merchant_desk::pricing::build(store.conn(), &shop, Utc::now())?;
                    let (name, prices) = match (scenario, proposal) {
                        (Some(path), _) => {
                            let text = read_text(&path)?;
                            let scenario =
                                merchant_desk::pricing::scenario::Scenario::parse(&text)?;
                            let prices = scenario.prices(&built.variants, &shop.currency)?;
                            (scenario.name, prices)
                        }
                        (None, Some(id)) => {
                            let p = merchant_desk::pricing::proposals::get(store.conn(), id)?;
                            let prices =
                                merchant_desk::pricing::proposals::prices(&p, &built.variants);
                            (format!("proposal {id}: {}", p.name), prices)
                        }
                        (None, None) => unreachable!("clap requires one"),
                    };
                    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                    let report = merchant_desk::pricing::simulate_prices(
                        &built,
                        &name,
                        &prices,
                        &shop.currency,
                        merchant_desk::pricing::model::Run { days, paths, seed },
                        threads,
                    )?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&report).expect("report serialises")
                        );
                    } else {
                        let c = &shop.currency;
                        println!(
                            "{}: {} days, {}",
                            report.name,
                            report.days,
                            if paths == 0 {
                                "expected values".to_string()
                            } else {
                                format!("{paths} paths, seed {seed}")
                            }
                        );
                        for (label, t) in [
                            ("current prices", &report.baseline),
                            ("scenario", &report.total),
                        ] {
                            println!(
                                "  {label:<15} units {:>10.0} (p10 {:.0}, p90 {:.0})  revenue {} {c} (p10 {}, p90 {})  profit {} {c} (p10 {}, p90 {})",
                                t.units.mean, t.units.p10, t.units.p90, t.revenue.mean, t.revenue.p10, t.revenue.p90, t.profit.mean, t.profit.p10, t.profit.p90
                            );
                        }
                        for i in &report.items {
                            println!(
                                "  {:<10} {} → {} {c}: units {:.1} → {:.1}, profit {} → {} {c}, stock-out {:.0}%",
                                i.sku, i.current_price, i.price, i.baseline_units.mean, i.units.mean, i.baseline_profit.mean, i.profit.mean, i.stockout_probability * 100.0
                            );
                        }
                    }
                }
                PriceCommand::Suggest { rules, json } => {
                    use merchant_desk::pricing::{proposals, rules::RuleSet};
                    let rules = match rules {
                        Some(path) => RuleSet::parse(&read_text(&path)?)?,
                        None => proposals::saved_rules(store.conn())?
                            .into_iter()
                            .next()
                            .map_or_else(RuleSet::starter, |s| s.rules),
                    };
                    let found =
                        merchant_desk::pricing::suggest(store.conn(), &shop, Utc::now(), &rules)?;
                    let proposal = proposals::save(store.conn(), &rules, &found, Utc::now())?;
                    print_proposal(&proposal, &shop.currency, json);
                }
                PriceCommand::Apply { proposal, json } => {
                    let p = merchant_desk::pricing::proposals::apply_to_store(
                        store.conn(),
                        Arc::new(AtomicBool::new(false)),
                        proposal,
                        merchant_desk::pricing::proposals::Take::NotRejected,
                    )?;
                    print_proposal(&p, &shop.currency, json);
                }
                PriceCommand::Proposals { id, json } => match id {
                    Some(id) => print_proposal(
                        &merchant_desk::pricing::proposals::get(store.conn(), id)?,
                        &shop.currency,
                        json,
                    ),
                    None => {
                        let list = merchant_desk::pricing::proposals::list(store.conn(), 100)?;
                        if json {
                            println!(
                                "{}",
                                serde_json::to_string_pretty(
                                    &serde_json::json!({ "proposals": list })
                                )
                                .expect("proposals serialise")
                            );
                        } else {
                            for p in list {
                                println!(
                                    "{:>5}  {}  {:<8} {:<9} {:>5} prices  {}",
                                    p.id,
                                    p.created_at,
                                    p.mode.name(),
                                    p.status,
                                    p.items,
                                    p.name
                                );
                            }
                        }
                    }
                },
                PriceCommand::Backtest { weeks, json } => {
                    let b =
                        merchant_desk::pricing::backtest(store.conn(), &shop, Utc::now(), weeks)?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&b).expect("backtest serialises")
                        );
                    } else {
                        println!(
                            "held out {} to {} ({} weeks), {} products, {} units sold: model WAPE {:.3} ({:.0} units forecast), naive WAPE {:.3} ({} units)",
                            b.from, b.to, b.weeks, b.products, b.actual_units, b.model_wape, b.model_units, b.naive_wape, b.naive_units
                        );
                    }
                }
                PriceCommand::Elasticity { weeks, json } => {
                    let items = merchant_desk::pricing::elasticities(
                        store.conn(),
                        &shop,
                        Utc::now(),
                        weeks,
                    )?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&serde_json::json!({ "items": items }))
                                .expect("estimates serialise")
                        );
                    } else {
                        println!(
                            "{:<10} {:>10} {:>9} {:>6} {:>7}  title",
                            "sku", "elasticity", "std err", "weeks", "prior"
                        );
                        for e in &items {
                            println!(
                                "{:<10} {:>10.2} {:>9.2} {:>6} {:>6.0}%  {}",
                                e.sku,
                                e.elasticity,
                                e.std_error,
                                e.observations,
                                e.prior_weight * 100.0,
                                e.title
                            );
                        }
                    }
                }
            }
        }
        Command::Report { report } => {
            let store = open_existing(&db)?;
            let shop = store.require_shop()?;
            match report {
                ReportCommand::Summary { range, json } => {
                    let range = resolve_range(&store, &shop, &range)?;
                    let s = report::summary(store.conn(), &shop, range)?;
                    if json {
                        println!("{}", summary_json(&s));
                    } else {
                        print_summary(&s);
                    }
                }
                ReportCommand::TopProducts {
                    range,
                    by,
                    limit,
                    json,
                } => {
                    let range = resolve_range(&store, &shop, &range)?;
                    let by = match by {
                        ByArg::Revenue => RankBy::Revenue,
                        ByArg::Units => RankBy::Units,
                    };
                    let rows = report::top_products(store.conn(), &shop, range, by, limit)?;
                    if json {
                        let items: Vec<_> = rows
                            .iter()
                            .map(|p| {
                                serde_json::json!({
                                    "sku": p.sku, "title": p.title, "category": p.category,
                                    "units": p.units, "revenue": format_major(p.revenue, &shop.currency),
                                    "orders": p.orders,
                                })
                            })
                            .collect();
                        println!(
                            "{}",
                            serde_json::json!({"from": range.from.to_string(), "to": range.to.to_string(), "currency": shop.currency, "items": items})
                        );
                    } else {
                        println!(
                            "{:>4}  {:<10} {:>8} {:>12}  title",
                            "#", "sku", "units", "revenue"
                        );
                        for (i, p) in rows.iter().enumerate() {
                            println!(
                                "{:>4}  {:<10} {:>8} {:>12}  {}",
                                i + 1,
                                p.sku.as_deref().unwrap_or("-"),
                                p.units,
                                format_major(p.revenue, &shop.currency),
                                p.title
                            );
                        }
                    }
                }
            }
        }
        Command::BenchPricing {
            python,
            script,
            days,
            paths,
            json,
        } => {
            let store = open_existing(&db)?;
            let r = merchant_desk::bench::pricing(
                &store,
                &python,
                &script,
                days,
                paths,
                &mut std::io::stderr(),
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r).expect("serialises"));
            } else {
                println!(
                    "{} variants, {} days × {} paths\nmodel built in {:.0} ms; expected mode {:.1} ms\nMonte Carlo: ours {:.2} s on {} threads, {:.2} s on 1; NumPy {:.2} s\nratio NumPy / ours: {:.1} ({:.1} on 1 thread)\nmean shop units: ours {:.0}, expected {:.0}, NumPy {:.0}",
                    r.variants, r.days, r.paths, r.build_ms, r.expected_ms, r.simulate_s, r.threads, r.simulate_1_thread_s, r.numpy_s, r.ratio, r.ratio_1_thread, r.units_mean, r.units_expected, r.units_numpy
                );
            }
        }
        Command::Bench {
            file,
            sqlite3,
            json,
        } => {
            let report = merchant_desk::bench::run(&file, &sqlite3, &mut std::io::stderr())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("serialises")
                );
            } else {
                println!("rows                      {}", report.rows);
                println!("import (ours)             {:.3} s", report.import_s);
                println!("import (sqlite3 .import)  {:.3} s", report.sqlite3_import_s);
                println!("ratio ours / sqlite3      {:.2}", report.import_ratio);
                println!("summary, whole year       {:.1} ms", report.summary_ms);
                println!("top products, whole year  {:.1} ms", report.top_products_ms);
                println!("dashboard, whole year     {:.1} ms", report.dashboard_ms);
            }
        }
    }
    Ok(())
}

fn resolve_range(store: &Store, shop: &Shop, args: &RangeArgs) -> Result<DateRange> {
    let to = match &args.to {
        Some(t) => parse_day(t)?,
        None => shop.today(Utc::now())?,
    };
    let from = match &args.from {
        Some(f) => parse_day(f)?,
        None => report::data_span(store.conn(), shop)?
            .map(|s| s.from)
            .unwrap_or(to),
    };
    DateRange::new(from, to)
}

fn summary_json(s: &Summary) -> String {
    let m = |v| format_major(v, &s.currency);
    serde_json::json!({
        "from": s.range.from.to_string(),
        "to": s.range.to.to_string(),
        "orders": s.orders,
        "customers": s.customers,
        "repeat_customers": s.repeat_customers,
        "units": s.units,
        "gross_sales": m(s.gross_sales),
        "refunds": m(s.refunds),
        "net_sales": m(s.net_sales),
        "aov": m(s.aov),
        "currency": s.currency,
    })
    .to_string()
}

fn print_summary(s: &Summary) {
    let m = |v| format!("{} {}", format_major(v, &s.currency), s.currency);
    println!("{} to {}", s.range.from, s.range.to);
    println!("orders            {}", s.orders);
    println!("customers         {}", s.customers);
    println!("repeat customers  {}", s.repeat_customers);
    println!("units             {}", s.units);
    println!("gross sales       {}", m(s.gross_sales));
    println!("refunds           {}", m(s.refunds));
    println!("net sales         {}", m(s.net_sales));
    println!("average order     {}", m(s.aov));
}

fn print_import(r: &ImportReport) {
    println!(
        "imported {} of {} rows from {} ({} skipped, {} flagged): {} orders, {} refunds, {} variants, {} customers, {} price changes",
        r.rows_imported, r.rows_read, r.file, r.rows_skipped, r.rows_flagged, r.orders, r.refunds, r.variants, r.customers, r.price_changes
    );
    for issue in &r.issues {
        let lines: Vec<String> = issue.lines.iter().map(u64::to_string).collect();
        let more = if issue.count as usize > issue.lines.len() {
            ", …"
        } else {
            ""
        };
        println!(
            "  {} {:>6}  {} (lines {}{more})",
            issue.action,
            issue.count,
            issue.reason,
            lines.join(", ")
        );
    }
}

/// Runs a job with a progress bar on stderr (hidden when stderr is not a terminal).
fn with_progress<T>(job: impl FnOnce(&mut Control) -> Result<T>) -> Result<T> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    let cancel = AtomicBool::new(false);
    let result = {
        let mut control = Control::new(&cancel, |p: &Progress| {
            if p.total > 0 {
                bar.set_length(p.total);
                bar.set_position(p.done);
            }
            bar.set_message(format!("{} ({} rows)", p.stage, p.rows));
        });
        job(&mut control)
    };
    bar.finish_and_clear();
    result
}

fn bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
            .expect("template is valid")
            .progress_chars("=> "),
    );
    bar
}

fn print_entries(entries: &[Entry], currency: &str) {
    println!(
        "{:>5} {:>5}  {:<12} {:<28} change",
        "id", "batch", "status", "what"
    );
    for e in entries {
        println!(
            "{:>5} {:>5}  {:<12} {:<28} {} -> {}{}",
            e.id,
            e.batch,
            e.status,
            e.label,
            journal::describe(&e.prior, currency),
            journal::describe(&e.new, currency),
            e.error
                .as_deref()
                .map(|m| format!("  ({m})"))
                .unwrap_or_default()
        );
    }
}
