//! The desktop shell: a window around the UI and one-line commands into the
//! core's `Desk`. Nothing here computes anything.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use merchant_desk::bench::StartupProbe;
use merchant_desk::desk::{
    AppStatus, CompareRequest, Compared, DashboardRequest, Desk, PushRequest, RuleSets, SaleCheck,
    SalesOverview, StorefrontStatus, TiersCheck, TiersRequest,
};
use merchant_desk::import::{ImportKind, ImportReport, Progress};
use merchant_desk::journal::{Entry, RevertScope};
use merchant_desk::pricing::proposals::{Proposal, ProposalSummary, SavedRules};
use merchant_desk::pricing::rules::RuleSet;
use merchant_desk::pricing::signals::Signal;
use merchant_desk::promotions::floor::MarginFloor;
use merchant_desk::promotions::sale::{Sale, SaleFile, SaleReport};
use merchant_desk::promotions::tiers::{TierFile, TierSet};
use merchant_desk::report::Dashboard;
use merchant_desk::store::Shop;
use merchant_desk::storefront::connection::ConnectRequest;
use merchant_desk::storefront::ShopInfo;
use merchant_desk::sync::{SyncProgress, SyncReport};
use merchant_desk::ErrorPayload;
use std::path::PathBuf;
use tauri::ipc::Channel;
use tauri::State;

type Reply<T> = Result<T, ErrorPayload>;

#[tauri::command]
async fn app_status(desk: State<'_, Desk>) -> Reply<AppStatus> {
    desk.status().map_err(Into::into)
}

#[tauri::command]
async fn open_demo(desk: State<'_, Desk>, on_progress: Channel<Progress>) -> Reply<AppStatus> {
    desk.open_demo(|p| drop(on_progress.send(p.clone())))
        .map_err(Into::into)
}

#[tauri::command]
async fn open_own_shop(desk: State<'_, Desk>) -> Reply<AppStatus> {
    desk.open_own_shop().map_err(Into::into)
}

#[tauri::command]
async fn save_shop(desk: State<'_, Desk>, shop: Shop) -> Reply<AppStatus> {
    desk.save_shop(shop).map_err(Into::into)
}

#[tauri::command]
async fn import_file(
    desk: State<'_, Desk>,
    kind: ImportKind,
    path: PathBuf,
    on_progress: Channel<Progress>,
) -> Reply<ImportReport> {
    desk.import(kind, &path, |p| drop(on_progress.send(p.clone())))
        .map_err(Into::into)
}

#[tauri::command]
fn cancel_job(desk: State<'_, Desk>) {
    desk.cancel()
}

#[tauri::command]
async fn dashboard(desk: State<'_, Desk>, request: DashboardRequest) -> Reply<Dashboard> {
    desk.dashboard(request).map_err(Into::into)
}

#[tauri::command]
async fn storefront_status(desk: State<'_, Desk>) -> Reply<StorefrontStatus> {
    desk.storefront().map_err(Into::into)
}

#[tauri::command]
async fn test_connection(desk: State<'_, Desk>, request: ConnectRequest) -> Reply<ShopInfo> {
    desk.test_connection(request).map_err(Into::into)
}

#[tauri::command]
async fn connect_store(desk: State<'_, Desk>, request: ConnectRequest) -> Reply<AppStatus> {
    desk.connect(request).map_err(Into::into)
}

#[tauri::command]
async fn disconnect_store(desk: State<'_, Desk>) -> Reply<StorefrontStatus> {
    desk.disconnect().map_err(Into::into)
}

#[tauri::command]
async fn sync_now(
    desk: State<'_, Desk>,
    full: bool,
    on_progress: Channel<SyncProgress>,
) -> Reply<SyncReport> {
    desk.sync(full, |p| drop(on_progress.send(p.clone())))
        .map_err(Into::into)
}

#[tauri::command]
async fn journal_list(desk: State<'_, Desk>, limit: u32) -> Reply<Vec<Entry>> {
    desk.journal(limit).map_err(Into::into)
}

#[tauri::command]
async fn push_change(desk: State<'_, Desk>, request: PushRequest) -> Reply<Vec<Entry>> {
    desk.push(request).map_err(Into::into)
}

#[tauri::command]
async fn revert_change(
    desk: State<'_, Desk>,
    scope: RevertScope,
    force: bool,
) -> Reply<Vec<Entry>> {
    desk.revert(scope, force).map_err(Into::into)
}

#[tauri::command]
async fn pricing_signals(desk: State<'_, Desk>) -> Reply<Vec<Signal>> {
    desk.pricing_signals().map_err(Into::into)
}

#[tauri::command]
async fn rule_sets(desk: State<'_, Desk>) -> Reply<RuleSets> {
    desk.rule_sets().map_err(Into::into)
}

#[tauri::command]
async fn save_rules(desk: State<'_, Desk>, rules: RuleSet) -> Reply<SavedRules> {
    desk.save_rules(rules).map_err(Into::into)
}

#[tauri::command]
async fn delete_rules(desk: State<'_, Desk>, id: i64) -> Reply<RuleSets> {
    desk.delete_rules(id).map_err(Into::into)
}

#[tauri::command]
async fn suggest_prices(desk: State<'_, Desk>, rules: RuleSet) -> Reply<Proposal> {
    desk.suggest(rules).map_err(Into::into)
}

#[tauri::command]
async fn proposal_list(desk: State<'_, Desk>) -> Reply<Vec<ProposalSummary>> {
    desk.proposals().map_err(Into::into)
}

#[tauri::command]
async fn proposal_get(desk: State<'_, Desk>, id: i64) -> Reply<Proposal> {
    desk.proposal(id).map_err(Into::into)
}

#[tauri::command]
async fn proposal_edit(
    desk: State<'_, Desk>,
    id: i64,
    variant_id: i64,
    price: String,
) -> Reply<Proposal> {
    desk.edit_proposal(id, variant_id, price)
        .map_err(Into::into)
}

#[tauri::command]
async fn proposal_review(
    desk: State<'_, Desk>,
    id: i64,
    variant_ids: Vec<i64>,
    status: String,
) -> Reply<Proposal> {
    desk.review_proposal(id, variant_ids, status)
        .map_err(Into::into)
}

#[tauri::command]
async fn proposal_discard(desk: State<'_, Desk>, id: i64) -> Reply<Proposal> {
    desk.discard_proposal(id).map_err(Into::into)
}

#[tauri::command]
async fn proposal_apply(desk: State<'_, Desk>, id: i64) -> Reply<Proposal> {
    desk.apply_proposal(id).map_err(Into::into)
}

#[tauri::command]
async fn compare_scenarios(desk: State<'_, Desk>, request: CompareRequest) -> Reply<Vec<Compared>> {
    desk.compare(request).map_err(Into::into)
}

#[tauri::command]
async fn sales_overview(desk: State<'_, Desk>) -> Reply<SalesOverview> {
    desk.sales().map_err(Into::into)
}

#[tauri::command]
async fn save_floor(desk: State<'_, Desk>, floor: MarginFloor) -> Reply<MarginFloor> {
    desk.save_floor(floor).map_err(Into::into)
}

#[tauri::command]
async fn check_sale(desk: State<'_, Desk>, file: SaleFile, id: Option<i64>) -> Reply<SaleCheck> {
    desk.check_sale(file, id).map_err(Into::into)
}

#[tauri::command]
async fn create_sale(desk: State<'_, Desk>, file: SaleFile) -> Reply<Sale> {
    desk.create_sale(file).map_err(Into::into)
}

#[tauri::command]
async fn launch_sale(
    desk: State<'_, Desk>,
    id: i64,
    override_reason: Option<String>,
) -> Reply<Sale> {
    desk.launch_sale(id, override_reason).map_err(Into::into)
}

#[tauri::command]
async fn end_sale(desk: State<'_, Desk>, id: i64) -> Reply<Sale> {
    desk.end_sale(id).map_err(Into::into)
}

#[tauri::command]
async fn sale_report(desk: State<'_, Desk>, id: i64) -> Reply<SaleReport> {
    desk.sale_report(id).map_err(Into::into)
}

#[tauri::command]
async fn sale_snippet(desk: State<'_, Desk>, id: i64) -> Reply<String> {
    desk.sale_snippet(id).map_err(Into::into)
}

#[tauri::command]
async fn tier_sets(desk: State<'_, Desk>) -> Reply<Vec<TierSet>> {
    desk.tier_sets().map_err(Into::into)
}

#[tauri::command]
async fn check_tiers(desk: State<'_, Desk>, request: TiersRequest) -> Reply<TiersCheck> {
    desk.check_tiers(request).map_err(Into::into)
}

#[tauri::command]
async fn create_tiers(desk: State<'_, Desk>, file: TierFile) -> Reply<TierSet> {
    desk.create_tiers(file).map_err(Into::into)
}

#[tauri::command]
async fn launch_tiers(
    desk: State<'_, Desk>,
    id: i64,
    override_reason: Option<String>,
) -> Reply<TierSet> {
    desk.launch_tiers(id, override_reason).map_err(Into::into)
}

#[tauri::command]
async fn end_tiers(desk: State<'_, Desk>, id: i64) -> Reply<TierSet> {
    desk.end_tiers(id).map_err(Into::into)
}

#[tauri::command]
fn app_painted(probe: State<'_, StartupProbe>, page_ms: f64) -> Reply<()> {
    probe.painted(page_ms).map_err(Into::into)
}

fn main() {
    let probe = StartupProbe::start();
    // A dashboard needs no GPU compositing; without it WebKitGTK starts about
    // 200 ms sooner and uses about 100 MB less on a machine without a GPU
    // (docs/benchmarks.md). An owner's own setting of the variable wins.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let data_dir = std::env::var_os("MERCHANT_DESK_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(merchant_desk::store::data_dir);
    merchant_desk::logging::init(&data_dir);
    let prefer_demo = std::env::args().any(|a| a == "--demo");
    let desk = match Desk::new(data_dir, prefer_demo) {
        Ok(desk) => desk,
        Err(e) => {
            eprintln!("Merchant Desk cannot start: {e}");
            std::process::exit(1);
        }
    };
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(desk)
        .manage(probe)
        .invoke_handler(tauri::generate_handler![
            app_status,
            open_demo,
            open_own_shop,
            save_shop,
            import_file,
            cancel_job,
            dashboard,
            storefront_status,
            test_connection,
            connect_store,
            disconnect_store,
            sync_now,
            journal_list,
            push_change,
            revert_change,
            pricing_signals,
            rule_sets,
            save_rules,
            delete_rules,
            suggest_prices,
            proposal_list,
            proposal_get,
            proposal_edit,
            proposal_review,
            proposal_discard,
            proposal_apply,
            compare_scenarios,
            sales_overview,
            save_floor,
            check_sale,
            create_sale,
            launch_sale,
            end_sale,
            sale_report,
            sale_snippet,
            tier_sets,
            check_tiers,
            create_tiers,
            launch_tiers,
            end_tiers,
            app_painted
        ])
        .run(tauri::generate_context!())
        .expect("the window could not be opened");
}
