//! The desktop app's commands, declared once. Each line names a [`Desk`]
//! method, its arguments and what it returns (inside `Result<_, Error>`);
//! `progress P` adds a channel the method reports `P` through.
//!
//! The shell turns the list into its `#[tauri::command]` handlers (each one
//! call on tokio's blocking pool) and `cargo test` turns it into
//! `ui/src/lib/bindings/commands.ts`: the typed `Commands` interface and the
//! `invoke` wrappers the UI calls. CI fails when the committed file differs.
//!
//! [`Desk`]: super::Desk

/// Calls `$m! { … }` with the command list.
#[macro_export]
macro_rules! desk_commands {
    ($m:ident) => {
        $m! {
            /// Which shop is open and what it is.
            status() -> $crate::service::AppStatus;
            /// Opens the demo shop, building it first if needed.
            open_demo() -> $crate::service::AppStatus, progress $crate::import::Progress;
            /// Switches to the owner's own shop.
            open_own_shop() -> $crate::service::AppStatus;
            /// Sets up (or edits) the owner's own shop and opens it.
            save_shop(shop: $crate::store::Shop) -> $crate::service::AppStatus;
            /// Imports a file into the open shop.
            import_file(kind: $crate::import::ImportKind, path: std::path::PathBuf) -> $crate::import::ImportReport, progress $crate::import::Progress;
            /// Asks the running job to stop; it rolls back and says `cancelled`.
            cancel_job() -> ();
            /// Everything the dashboard shows.
            dashboard(request: $crate::service::DashboardRequest) -> $crate::report::Dashboard;
            /// The storefront connection and the last sync.
            storefront() -> $crate::service::StorefrontStatus;
            /// Tries credentials; nothing is kept.
            test_connection(request: $crate::storefront::connection::ConnectRequest) -> $crate::storefront::ShopInfo;
            /// Connects the owner's shop (secret into the keyring) and opens it.
            connect_store(request: $crate::storefront::connection::ConnectRequest) -> $crate::service::AppStatus;
            /// Forgets the connection and its keyring entry.
            disconnect_store() -> $crate::service::StorefrontStatus;
            /// Pulls the storefront, then settles sales and tiers.
            sync_now(full: bool) -> $crate::service::Synced, progress $crate::sync::SyncProgress;
            /// The background loop: sync interval, last and next sync, unread notifications.
            background() -> $crate::service::Background;
            /// Minutes between background syncs (0: off).
            set_sync_every(minutes: u32) -> $crate::service::Background;
            /// The newest notifications first.
            notifications(limit: u32) -> Vec<$crate::notify::Notice>;
            /// Marks every notification seen.
            mark_notifications_read() -> $crate::service::Background;
            /// The newest journal entries first.
            journal(limit: u32) -> Vec<$crate::journal::Entry>;
            /// Pushes one change by hand, journaled.
            push_change(request: $crate::service::PushRequest) -> Vec<$crate::journal::Entry>;
            /// Reverts an entry or a batch; `conflict` when the value changed upstream, unless `force`; a sale's changes are refused, a revert's revert needs `push_again`.
            revert_change(scope: $crate::journal::RevertScope, force: bool, push_again: bool) -> Vec<$crate::journal::Entry>;
            /// Every variant's pricing signals.
            pricing_signals() -> Vec<$crate::pricing::signals::Signal>;
            /// Every variant's elasticity as the demand model uses it, with its standard error and where it came from.
            pricing_elasticities() -> Vec<$crate::pricing::elasticity::Estimate>;
            /// The saved rule sets and the starter set.
            rule_sets() -> $crate::service::RuleSets;
            /// Saves a rule set under its name.
            save_rules(rules: $crate::pricing::rules::RuleSet) -> $crate::pricing::proposals::SavedRules;
            /// Deletes a saved rule set.
            delete_rules(id: i64) -> $crate::service::RuleSets;
            /// Runs a rule set and stores what it proposes.
            suggest_prices(rules: $crate::pricing::rules::RuleSet) -> $crate::pricing::proposals::Proposal;
            /// The newest proposals first.
            proposals() -> Vec<$crate::pricing::proposals::ProposalSummary>;
            /// One proposal with its items and reasons.
            proposal(id: i64) -> $crate::pricing::proposals::Proposal;
            /// The owner's own price (major units, as typed); marks the item approved. Beyond the rule set's step, or a slip (zero, 10×, a tenth): `confirmation_required` unless `confirmed`.
            edit_proposal(id: i64, variant_id: i64, price: String, confirmed: bool) -> $crate::pricing::proposals::Proposal;
            /// Approves, rejects or un-reviews items; no ids: every item.
            review_proposal(id: i64, variant_ids: Vec<i64>, status: $crate::pricing::proposals::ItemStatus) -> $crate::pricing::proposals::Proposal;
            /// Closes a proposal without applying it.
            discard_proposal(id: i64) -> $crate::pricing::proposals::Proposal;
            /// Pushes the approved prices as one journaled batch.
            apply_proposal(id: i64) -> $crate::pricing::proposals::Proposal;
            /// Simulates one to four scenarios with the same seed.
            compare_scenarios(request: $crate::service::CompareRequest) -> Vec<$crate::service::Compared>, progress $crate::import::Progress;
            /// Brings sales up to now (starts, ends, overdue reverts) and lists them.
            sales_overview() -> $crate::service::SalesOverview;
            /// Replaces the margin floor.
            save_floor(floor: $crate::promotions::floor::MarginFloor) -> $crate::promotions::floor::MarginFloor;
            /// Checks a sale as edited and projects it; `id` when it is saved.
            check_sale(file: $crate::promotions::sale::SaleFile, id: Option<i64>) -> $crate::service::SaleCheck;
            /// Stores a draft sale.
            create_sale(file: $crate::promotions::sale::SaleFile) -> $crate::promotions::sale::Sale;
            /// Replaces a draft sale's definition (only a draft).
            update_sale(id: i64, file: $crate::promotions::sale::SaleFile) -> $crate::promotions::sale::Sale;
            /// Deletes a draft sale.
            delete_sale(id: i64) -> $crate::service::SalesOverview;
            /// Launches a draft; `floor_override_required` when only the floor stands in the way and no reason is given.
            launch_sale(id: i64, override_reason: Option<String>) -> $crate::promotions::sale::Sale;
            /// Ends a sale now and reverts it.
            end_sale(id: i64) -> $crate::promotions::sale::Sale;
            /// How a sale did.
            sale_report(id: i64) -> $crate::promotions::sale::SaleReport;
            /// HTML and JavaScript countdown for the storefront theme.
            sale_snippet(id: i64) -> String;
            /// Every tier set.
            tier_sets() -> Vec<$crate::promotions::tiers::TierSet>;
            /// Floor check of tiers as edited, with a cart preview and a look-back when asked.
            check_tiers(request: $crate::service::TiersRequest) -> $crate::service::TiersCheck;
            /// Stores tiers as a draft.
            create_tiers(file: $crate::promotions::tiers::TierFile) -> $crate::promotions::tiers::TierSet;
            /// Replaces a draft tier set's definition (only a draft).
            update_tiers(id: i64, file: $crate::promotions::tiers::TierFile) -> $crate::promotions::tiers::TierSet;
            /// Deletes a draft tier set.
            delete_tiers(id: i64) -> Vec<$crate::promotions::tiers::TierSet>;
            /// Pushes tiers as storefront discounts.
            launch_tiers(id: i64, override_reason: Option<String>) -> $crate::promotions::tiers::TierSet;
            /// Takes live tiers off the storefront.
            end_tiers(id: i64) -> $crate::promotions::tiers::TierSet;
            /// Every stored loyalty programme, newest first.
            loyalty_programmes() -> Vec<$crate::loyalty::store::Stored>;
            /// A programme as edited: its rules, then each reward against the margin floor.
            check_loyalty_programme(programme: $crate::loyalty::programme::Programme) -> $crate::service::ProgrammeCheck;
            /// Replays programmes on the shop's last months of orders, side by side.
            simulate_loyalty(programmes: Vec<$crate::loyalty::programme::Programme>, months: u32, redemption_rate: f64) -> Vec<$crate::loyalty::simulate::Simulation>;
            /// Stores a programme as a draft (checked first).
            create_loyalty(programme: $crate::loyalty::programme::Programme) -> $crate::loyalty::store::Stored;
            /// Makes a draft the live programme; `floor_override_required` when a reward breaks the margin floor and no reason is given.
            launch_loyalty(id: i64, override_reason: Option<String>) -> $crate::loyalty::store::Stored;
            /// Every member of the live programme as of the end of today.
            loyalty_members() -> $crate::loyalty::store::Members;
            /// One page of the members table: searched, by tier, sorted (fast at 100,000 members: the replay is kept until the shop's data changes).
            loyalty_members_page(query: $crate::loyalty::store::MembersQuery) -> $crate::loyalty::store::MembersPage;
            /// One member's standing and ledger lines.
            loyalty_member(customer: String) -> $crate::loyalty::store::MemberLedger;
            /// Awards an action by hand.
            award_loyalty(customer: String, kind: $crate::loyalty::programme::ActionKind, reference: Option<String>) -> $crate::loyalty::store::MemberLedger;
            /// Spends a member's points on a reward: a single-use code for them, journaled.
            redeem_loyalty(customer: String, reward: String) -> $crate::loyalty::rewards::Redeemed;
            /// Every member's points and tier to the storefront (metafields, tier tag), journaled.
            push_loyalty() -> $crate::loyalty::push::Pushed;
            /// The theme snippet that shows a logged-in customer their points and tier.
            loyalty_snippet() -> String;
            /// Every subscription plan with its subscribers and MRR today.
            subs_plans() -> Vec<$crate::subscriptions::book::Plan>;
            /// The subscriptions, or those with one status.
            subs_list(status: Option<String>) -> Vec<$crate::subscriptions::book::Subscription>;
            /// A month's MRR, churn, new and ARPU (`YYYY-MM`, shop-local).
            subs_metrics(month: String) -> $crate::subscriptions::metrics::Month;
            /// The last months' figures and the retention cohorts by start month.
            subs_trends(months: Option<u32>) -> $crate::service::subscriptions::Trends;
            /// A month's renewal calendar: each day's renewals.
            subs_calendar(month: String) -> Vec<$crate::subscriptions::book::CalendarDay>;
            /// The boxes due in a month, per plan.
            subs_boxes(month: String) -> $crate::service::subscriptions::Boxes;
            /// The dunning plan and queue: each past-due subscription's next action.
            subs_dunning() -> $crate::service::subscriptions::Dunning;
            /// Replaces the dunning plan.
            subs_dunning_plan_set(plan: $crate::subscriptions::dunning::DunningPlan) -> $crate::subscriptions::dunning::DunningPlan;
            /// Marks a past-due subscription's customer contacted.
            subs_contacted(id: String, note: Option<String>) -> $crate::service::subscriptions::Dunning;
            /// Pauses a subscription until a shop-local day.
            subs_pause(id: String, until: String) -> $crate::subscriptions::book::Subscription;
            /// Skips a subscription's next renewal.
            subs_skip(id: String) -> $crate::service::subscriptions::Skipped;
            /// Ends a subscription's pause today.
            subs_resume(id: String) -> $crate::subscriptions::book::Subscription;
            /// Cancels a subscription today, for a reason.
            subs_cancel(id: String, reason: String) -> $crate::subscriptions::book::Subscription;
            /// The subscriptions set-up: who bills, what each plan's boxes hold.
            subs_setup() -> $crate::subscriptions::setup::Setup;
            /// Checks the subscriptions set-up against the shop and stores it.
            subs_setup_set(setup: $crate::subscriptions::setup::Setup) -> $crate::subscriptions::setup::Setup;
            /// Brings the connected Shopify store's subscription contracts into the book.
            subs_sync() -> $crate::subscriptions::contracts::ContractsSynced;
            /// Every subscriber's plan to the storefront as a customer tag and metafield, journaled.
            subs_push_plans() -> $crate::subscriptions::tags::PlansPushed;
            /// Runs the renewals due and the dunning plan's steps ("desk bills").
            subs_renew() -> $crate::subscriptions::renew::RenewRun;
            /// Plans a month's boxes not planned yet, then shows the month.
            subs_curate(month: String) -> $crate::subscriptions::curate::Curation;
            /// A month's planned boxes with the picking totals.
            subs_curation(month: String) -> $crate::subscriptions::curate::Curation;
            /// Writes a month's picking list as CSV.
            subs_picking_csv(month: String, path: std::path::PathBuf) -> $crate::subscriptions::curate::Curation;
            /// Writes the list of past-due customers to contact as CSV.
            subs_dunning_csv(path: std::path::PathBuf) -> $crate::service::subscriptions::Dunning;
            /// The units each box item needs over the next 7, 30 and 60 days.
            subs_forecast() -> Vec<$crate::subscriptions::curate::ForecastLine>;
            /// Pairs and triples worth selling together, each priced as a bundle under the margin floor.
            bundle_suggest(limit: Option<u32>) -> $crate::recommend::bundles::Suggestions;
            /// Every bundle, newest first.
            bundles() -> Vec<$crate::promotions::bundle::Bundle>;
            /// A bundle as written against the margin floor, with what it leaves the shop.
            check_bundle(file: $crate::promotions::bundle::BundleFile) -> $crate::promotions::bundle::BundleCheck;
            /// Stores a bundle as a draft.
            create_bundle(file: $crate::promotions::bundle::BundleFile) -> $crate::promotions::bundle::Bundle;
            /// Deletes a draft bundle.
            delete_bundle(id: i64) -> Vec<$crate::promotions::bundle::Bundle>;
            /// Launches a draft bundle as a storefront "buy X get Y" discount.
            launch_bundle(id: i64, override_reason: Option<String>) -> $crate::promotions::bundle::Bundle;
            /// Ends a live bundle and takes its discount back.
            end_bundle(id: i64) -> $crate::promotions::bundle::Bundle;
            /// How good the recommendations are on the shop's own hold-out, beside popularity.
            recommend_evaluate(last: Option<u32>) -> $crate::recommend::evaluate::Evaluation;
            /// Fits the model on every order and rebuilds every product's lists.
            recommend_build() -> $crate::recommend::store::Build;
            /// The newest build and evaluation.
            recommend_overview() -> $crate::service::recommend::Overview;
            /// One product's list (related, similar or upsell), pins first, exclusions left out.
            recommend_list(sku: String, list: $crate::recommend::lists::List, limit: Option<u32>) -> $crate::recommend::store::ProductList;
            /// Pins, excludes or clears an item in a product's list; the list then.
            recommend_override(sku: String, list: $crate::recommend::lists::List, other: String, choice: $crate::recommend::store::Override) -> $crate::recommend::store::ProductList;
            /// A customer's picks: what they buy again and what goes with it.
            recommend_picks(customer: String, limit: Option<u32>) -> $crate::recommend::serve::Picks;
            /// Every product's bought-together and similar lists to the storefront (Search & Discovery metafields), journaled.
            recommend_push() -> $crate::recommend::push::Pushed;
        }
    };
}

#[cfg(test)]
mod typescript {
    //! Writes `commands.ts` beside the types ts-rs exports.

    use std::collections::BTreeMap;
    use std::fmt::Write;

    struct Spec {
        name: &'static str,
        doc: &'static str,
        args: Vec<(&'static str, String)>,
        progress: Option<String>,
        ret: String,
    }

    /// A Rust type's TypeScript name, with its imports noted. Every integer
    /// crosses IPC as a JSON number.
    fn ts<T: ts_rs::TS + 'static + ?Sized>(imports: &mut BTreeMap<String, String>) -> String {
        /// Notes the exported types among `T` and its type arguments
        /// (`Entry` in `Vec<Entry>`), which is what the signature names.
        struct Named<'a>(&'a mut BTreeMap<String, String>);
        impl ts_rs::TypeVisitor for Named<'_> {
            fn visit<U: ts_rs::TS + 'static + ?Sized>(&mut self) {
                if let Some(d) = ts_rs::Dependency::from_ty::<U>() {
                    let file = d.output_path.with_extension("");
                    self.0.insert(d.ts_name, file.display().to_string());
                }
                U::visit_generics(self);
            }
        }
        ts_rs::TypeVisitor::visit::<T>(&mut Named(imports));
        match T::name().replace("bigint", "number").as_str() {
            "null" => "void".to_string(),
            other => other.to_string(),
        }
    }

    fn camel(name: &str) -> String {
        let mut out = String::new();
        let mut up = false;
        for c in name.chars() {
            if c == '_' {
                up = true;
            } else if up {
                out.extend(c.to_uppercase());
                up = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    macro_rules! specs {
        ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty $(, progress $p:ty)? ; )*) => {{
            let mut imports = BTreeMap::new();
            let specs = vec![$(
                Spec {
                    name: stringify!($name),
                    doc: concat!($($doc),*),
                    args: vec![$((stringify!($arg), ts::<$ty>(&mut imports))),*],
                    progress: {
                        #[allow(unused_variables)]
                        let p: Option<String> = None;
                        $( let p = Some(ts::<$p>(&mut imports)); )?
                        p
                    },
                    ret: ts::<$ret>(&mut imports),
                }
            ),*];
            (specs, imports)
        }};
    }

    fn render() -> String {
        let (specs, imports) = desk_commands!(specs);
        let mut out = String::from(
            "// Generated by `cargo test` from the command list in src/service/contract.rs: do not edit.\n\n",
        );
        for (name, file) in &imports {
            writeln!(out, "import type {{ {name} }} from './{file}';").unwrap();
        }
        out.push_str("\n/** Every command of the backend, as the UI calls it. */\nexport interface Commands {\n");
        for s in &specs {
            let mut params: Vec<String> = s
                .args
                .iter()
                .map(|(a, t)| format!("{}: {t}", camel(a)))
                .collect();
            if let Some(p) = &s.progress {
                params.push(format!("onProgress: (p: {p}) => void"));
            }
            writeln!(out, "  /** {} */", s.doc.trim()).unwrap();
            writeln!(
                out,
                "  {}({}): Promise<{}>;",
                camel(s.name),
                params.join(", "),
                s.ret
            )
            .unwrap();
        }
        out.push_str(
            "}\n\n/** Sends a command across IPC: its name and its arguments by name. */\n\
             export type Call = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;\n\
             /** Makes a channel that hands each progress message to `on`. */\n\
             export type MakeChannel = <P>(on: (p: P) => void) => unknown;\n\n\
             /** The commands over `call`, with their names and argument names as the shell declares them. */\n\
             export function commands(call: Call, channel: MakeChannel): Commands {\n  return {\n",
        );
        for s in &specs {
            let mut params: Vec<String> = s.args.iter().map(|(a, _)| camel(a)).collect();
            let mut passed: Vec<String> = params.clone();
            if s.progress.is_some() {
                params.push("onProgress".into());
                passed.push("onProgress: channel(onProgress)".into());
            }
            let args = if passed.is_empty() {
                String::new()
            } else {
                format!(", {{ {} }}", passed.join(", "))
            };
            writeln!(
                out,
                "    {}: ({}) => call('{}'{args}),",
                camel(s.name),
                params.join(", "),
                s.name
            )
            .unwrap();
        }
        out.push_str("  };\n}\n");
        out
    }

    #[test]
    fn export_commands() {
        let dir = std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "bindings".into());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("commands.ts"), render()).unwrap();
    }

    #[test]
    fn the_contract_names_every_argument_as_tauri_expects() {
        let text = render();
        // Tauri maps camelCase keys to snake_case arguments.
        assert!(text.contains("editProposal: (id, variantId, price, confirmed) => call('edit_proposal', { id, variantId, price, confirmed }),"), "{text}");
        assert!(text.contains("importFile(kind: ImportKind, path: string, onProgress: (p: Progress) => void): Promise<ImportReport>;"), "{text}");
        assert!(
            text.contains("launchSale(id: number, overrideReason: string | null): Promise<Sale>;"),
            "{text}"
        );
        assert!(text.contains("cancelJob(): Promise<void>;"), "{text}");
        assert!(
            text.contains("import type { Entry } from './Entry';"),
            "{text}"
        );
    }
}
