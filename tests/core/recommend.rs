//! Recommendations on a small shop worked by hand, through the real
//! importer, the store, the service and the CLI.

use crate::fixtures::{import_str, shop, temp_store, TempStore};
use chrono::Utc;
use merchant_desk::import::ImportKind;
use merchant_desk::recommend::lists::List;
use merchant_desk::recommend::store::Override;
use merchant_desk::service::Desk;

const PRODUCTS: &str = "sku,title,price,category,cost,stock
TEA,Green tea tin,4.00,Kitchen,1.50,10
POT,Tea pot white,12.00,Kitchen,5.00,10
POTL,Tea pot large,18.00,Kitchen,6.00,10
CUP,Tea cup,3.00,Kitchen,1.00,10
CANDLE,Vanilla candle,6.00,Home,2.00,10
MATCH,Matches,1.00,Home,0.30,10
SNUF,Candle snuffer,9.00,Home,3.00,10
SHIP,Postage,5.00,,,
";

/// Tea and pot in 12 orders (a cup in 4 of them, postage in 4), candle and
/// matches in 10, the large pot with tea in 4, the snuffer once.
fn orders() -> String {
    let mut csv =
        String::from("order_id,ordered_at,sku,title,quantity,unit_price,currency,customer_id\n");
    let mut line = |order: &str, day: u32, sku: &str, customer: &str| {
        let title = PRODUCTS
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{sku},")))
            .and_then(|rest| rest.split(',').next())
            .unwrap();
        csv.push_str(&format!(
            "{order},2024-03-{day:02}T10:00:00Z,{sku},{title},1,1.00,GBP,{customer}\n"
        ));
    };
    for n in 0..12 {
        let (order, who) = (format!("T{n}"), ["alice", "bob"][n % 2]);
        line(&order, 1 + n as u32, "TEA", who);
        line(&order, 1 + n as u32, "POT", who);
        if n % 3 == 0 {
            line(&order, 1 + n as u32, "CUP", who);
            line(&order, 1 + n as u32, "SHIP", who);
        }
    }
    for n in 0..10 {
        let (order, who) = (format!("C{n}"), ["carol", "dan"][n % 2]);
        line(&order, 2 + n as u32, "CANDLE", who);
        line(&order, 2 + n as u32, "MATCH", who);
    }
    for n in 0..4 {
        let order = format!("P{n}");
        line(&order, 14 + n as u32, "POTL", "bob");
        line(&order, 14 + n as u32, "TEA", "bob");
    }
    line("R0", 20, "SNUF", "dan");
    csv
}

fn small_shop() -> TempStore {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("GBP", "Europe/London"), Utc::now())
        .unwrap();
    import_str(&mut t.store, ImportKind::Products, "p.csv", PRODUCTS).unwrap();
    import_str(&mut t.store, ImportKind::Orders, "o.csv", &orders()).unwrap();
    t.store
        .conn()
        .execute(
            "UPDATE products SET kind = 'shipping' WHERE id =
             (SELECT product_id FROM variants WHERE sku = 'SHIP')",
            [],
        )
        .unwrap();
    t
}

fn skus(list: &merchant_desk::recommend::store::ProductList) -> Vec<&str> {
    list.items.iter().map(|i| i.sku.as_str()).collect()
}

#[test]
fn the_lists_explain_themselves_and_fall_back_on_little_data() {
    let t = small_shop();
    let desk = Desk::for_file(t.store.path().to_path_buf(), false);
    let none = desk
        .recommend_list("TEA".into(), List::Related, None)
        .unwrap_err();
    assert!(none.to_string().contains("build them first"), "{none}");

    let build = desk.recommend_build().unwrap();
    // 27 orders with merchandise; six products in two orders or more.
    assert_eq!((build.orders, build.model_items), (27, 6));
    assert_eq!(build.products, 7);

    let tea = desk
        .recommend_list("TEA".into(), List::Related, None)
        .unwrap();
    assert_eq!(tea.items[0].sku, "POT");
    assert_eq!(tea.items[0].reason, "bought together in 12 orders");
    let together: Vec<(&str, &str)> = tea
        .items
        .iter()
        .filter(|i| i.reason.starts_with("bought together"))
        .map(|i| (i.sku.as_str(), i.reason.as_str()))
        .collect();
    assert!(
        together.contains(&("POTL", "bought together in 4 orders")),
        "{together:?}"
    );
    assert!(
        together.contains(&("CUP", "bought together in 4 orders")),
        "{together:?}"
    );
    // Postage is never recommended, nor is a product itself.
    for l in List::ALL {
        for sku in ["TEA", "POT", "CANDLE", "SNUF"] {
            let list = desk.recommend_list(sku.into(), l, Some(100)).unwrap();
            assert!(!skus(&list).contains(&"SHIP"), "{sku} {l:?}");
            assert!(!skus(&list).contains(&sku), "{sku} {l:?}");
        }
    }
    let ship = desk
        .recommend_list("SHIP".into(), List::Related, None)
        .unwrap_err();
    assert!(ship.to_string().contains("postage"), "{ship}");

    // Bought once: its title and category first, then what sells.
    let snuffer = desk
        .recommend_list("SNUF".into(), List::Related, None)
        .unwrap();
    assert_eq!(snuffer.items[0].sku, "CANDLE");
    assert_eq!(
        snuffer.items[0].reason,
        "only 1 order yet: similar title (“candle”), same category (Home)"
    );
    assert_eq!(snuffer.items[1].sku, "MATCH");
    assert_eq!(
        snuffer.items[1].reason,
        "only 1 order yet: same category (Home)"
    );
    let sells = &snuffer.items[2];
    assert_eq!(sells.sku, "TEA");
    assert_eq!(
        sells.reason,
        "only 1 order yet: a best seller, in 16 orders"
    );

    // The better pot: similar, dearer, a better margin, sold enough.
    let upsell = desk
        .recommend_list("POT".into(), List::Upsell, None)
        .unwrap();
    assert_eq!(skus(&upsell), ["POTL"]);
    assert_eq!(
        upsell.items[0].reason,
        "similar title (“pot”, “tea”), same category (Kitchen); 1.5× the price, 1.7× the margin, in 4 orders"
    );
    assert_eq!(upsell.items[0].margin_minor, Some(1200));
    // Nothing dearer with a better margin for the large pot.
    let none = desk
        .recommend_list("POTL".into(), List::Upsell, None)
        .unwrap();
    assert!(none.items.is_empty(), "{none:?}");

    let similar = desk
        .recommend_list("POT".into(), List::Similar, Some(2))
        .unwrap();
    assert_eq!(similar.items.len(), 2);
    assert_eq!(similar.items[0].sku, "POTL");

    // A product no longer sold leaves every list at the next build.
    t.store
        .conn()
        .execute("UPDATE variants SET active = 0 WHERE sku = 'CUP'", [])
        .unwrap();
    desk.recommend_build().unwrap();
    let tea = desk
        .recommend_list("TEA".into(), List::Related, Some(100))
        .unwrap();
    assert!(!skus(&tea).contains(&"CUP"), "{:?}", skus(&tea));
}

#[test]
fn pins_come_first_and_exclusions_never_show_until_cleared() {
    let t = small_shop();
    let desk = Desk::for_file(t.store.path().to_path_buf(), false);
    desk.recommend_build().unwrap();
    let pinned = desk
        .recommend_override("TEA".into(), List::Related, "CANDLE".into(), Override::Pin)
        .unwrap();
    assert_eq!(pinned.items[0].sku, "CANDLE");
    assert!(
        pinned.items[0].reason.starts_with("pinned by you"),
        "{:?}",
        pinned.items[0]
    );
    assert_eq!(pinned.items.iter().filter(|i| i.sku == "CANDLE").count(), 1);
    let excluded = desk
        .recommend_override("tea".into(), List::Related, "POT".into(), Override::Exclude)
        .unwrap();
    assert!(!skus(&excluded).contains(&"POT"));
    assert_eq!(excluded.excluded.len(), 1);
    assert_eq!(excluded.excluded[0].sku, "POT");
    assert_eq!(excluded.excluded[0].reason, "bought together in 12 orders");
    // Choices outlive a build, and belong to one list.
    desk.recommend_build().unwrap();
    let again = desk
        .recommend_list("TEA".into(), List::Related, None)
        .unwrap();
    assert_eq!(again.items[0].sku, "CANDLE");
    assert!(!skus(&again).contains(&"POT"));
    let similar = desk
        .recommend_list("TEA".into(), List::Similar, Some(100))
        .unwrap();
    assert!(similar.excluded.is_empty());
    let cleared = desk
        .recommend_override("TEA".into(), List::Related, "POT".into(), Override::Clear)
        .unwrap();
    assert_eq!(cleared.items[1].sku, "POT");
    // A product is never in its own list; unknown SKUs are named.
    let own = desk
        .recommend_override("TEA".into(), List::Related, "TEA".into(), Override::Pin)
        .unwrap_err();
    assert!(own.to_string().contains("the product itself"), "{own}");
    let unknown = desk
        .recommend_override("TEA".into(), List::Related, "NOPE".into(), Override::Pin)
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no product has the SKU NOPE"),
        "{unknown}"
    );
    let zero = desk
        .recommend_list("TEA".into(), List::Related, Some(0))
        .unwrap_err();
    assert!(zero.to_string().contains("at least 1"), "{zero}");
}

#[test]
fn carts_complete_without_their_own_items_and_picks_count_repeats() {
    let t = small_shop();
    let desk = Desk::for_file(t.store.path().to_path_buf(), false);
    desk.recommend_build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let carts = dir.path().join("carts.csv");
    std::fs::write(
        &carts,
        "basket,sku,customer\nk1,TEA,\nk1,NOPE,\nk2,TEA,alice\nk2,POT,alice\nk3,CANDLE,\nk4,NOPE,\n",
    )
    .unwrap();
    let done = desk.recommend_complete(carts.clone(), Some(3)).unwrap();
    let got: Vec<(&str, Vec<&str>)> = done
        .baskets
        .iter()
        .map(|b| (b.id.as_str(), b.skus.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].0, "k1");
    assert_eq!(got[0].1[0], "POT");
    for (id, items) in &got {
        assert_eq!(items.len(), 3, "{id}");
    }
    assert!(!got[1].1.contains(&"TEA") && !got[1].1.contains(&"POT"));
    assert_eq!(got[2].1[0], "MATCH");
    // A cart of unknown SKUs only gets what sells.
    assert_eq!(got[3].1, ["TEA", "POT", "CANDLE"]);

    // The CLI prints the shape.
    let out = crate::pricing::cli(
        t.store.path(),
        &[
            "--json",
            "recommend",
            "complete",
            "--baskets",
            carts.to_str().unwrap(),
            "--limit",
            "2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["baskets"][0]["id"], "k1");
    assert_eq!(v["baskets"][0]["skus"].as_array().unwrap().len(), 2);
    let out = crate::pricing::cli(t.store.path(), &["--json", "recommend", "related", "TEA"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sku"], "TEA");
    assert_eq!(v["items"][0]["sku"], "POT");
    assert_eq!(v["items"][0]["reason"], "bought together in 12 orders");
    assert!(v["items"][0]["score"].as_f64().unwrap() > 0.0);

    // Alice bought tea and a pot in six orders each.
    let picks = desk.recommend_picks("alice".into(), Some(3)).unwrap();
    assert_eq!(picks.orders, 6);
    let top: Vec<(&str, &str)> = picks
        .items
        .iter()
        .map(|i| (i.sku.as_str(), i.reason.as_str()))
        .collect();
    assert!(
        top[..2].contains(&("TEA", "bought 6 times before")),
        "{top:?}"
    );
    assert!(
        top[..2].contains(&("POT", "bought 6 times before")),
        "{top:?}"
    );
    let nobody = desk.recommend_picks("zed".into(), None).unwrap_err();
    assert!(nobody.to_string().contains("no customer zed"), "{nobody}");
}

/// A synced Shopify shop: the lists go to the Search & Discovery
/// metafields as product references, once, come back with a revert, and a
/// reference the store refuses is named.
#[test]
fn the_lists_reach_shopify_as_search_and_discovery_metafields() {
    use crate::sync::{cli, ok};
    let (fake, _dir, db) = crate::promotions::cli_on_the_fake();
    let js = |args: &[&str]| -> serde_json::Value {
        let out = cli(&db, args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let not_built = cli(&db, &["recommend", "push"]).output().unwrap();
    assert!(String::from_utf8_lossy(&not_built.stderr).contains("build them first"));
    let build = js(&["--json", "recommend", "build"]);
    let products = build["products"].as_u64().unwrap() as usize;
    assert!(products > 10, "{build}");
    let pushed = js(&["--json", "recommend", "push"]);
    assert_eq!(pushed["failed"], 0, "{pushed}");
    assert_eq!(pushed["products"], products);
    let sent = pushed["confirmed"].as_u64().unwrap() as usize;
    assert_eq!(sent, 2 * products);
    let namespace = merchant_desk::recommend::push::NAMESPACE.to_string();
    {
        let s = fake.state.lock().unwrap();
        let lists: Vec<_> = s
            .metafields
            .iter()
            .filter(|(k, _)| k.1 == namespace)
            .collect();
        assert_eq!(lists.len(), sent);
        for ((owner, _, key), (ty, value)) in &lists {
            assert!(owner.starts_with("gid://shopify/Product/"), "{owner}");
            assert!(key == "complementary_products" || key == "related_products");
            assert_eq!(ty, "list.product_reference");
            let ids: Vec<String> = serde_json::from_str(value).unwrap();
            assert!(!ids.is_empty() && ids.len() <= 10, "{value}");
            assert!(!ids.contains(owner), "a product in its own list: {value}");
        }
    }
    // What the app shows is what the store gets: the first related item.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let (sku, gid): (String, String) = conn
            .query_row(
                "SELECT v.sku, p.external_id FROM products p JOIN variants v ON v.product_id = p.id
                 WHERE p.id IN (SELECT product_id FROM recommend_lists) ORDER BY p.id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let shown = js(&["--json", "recommend", "related", &sku]);
        let other: String = conn
            .query_row(
                "SELECT p.external_id FROM products p JOIN variants v ON v.product_id = p.id WHERE v.sku = ?1",
                [shown["items"][0]["sku"].as_str().unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        let s = fake.state.lock().unwrap();
        let (_, value) = &s.metafields[&(
            gid.clone(),
            namespace.clone(),
            "complementary_products".to_string(),
        )];
        let ids: Vec<String> = serde_json::from_str(value).unwrap();
        assert_eq!(ids[0], other);
    }
    let again = js(&["--json", "recommend", "push"]);
    assert_eq!(
        (again["confirmed"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(sent as u64))
    );

    // Reverting the batch takes every list back off the store.
    let batch = pushed["batch"].to_string();
    ok(&mut cli(&db, &["journal", "revert", "--batch", &batch]));
    assert_eq!(
        fake.state
            .lock()
            .unwrap()
            .metafields
            .keys()
            .filter(|k| k.1 == namespace)
            .count(),
        0
    );

    // A product deleted on the store since the sync: the calls whose lists
    // name it are refused (a call is all or nothing), in the store's words.
    {
        let mut s = fake.state.lock().unwrap();
        let gone = *s.products.keys().next_back().unwrap();
        s.products.remove(&gone);
    }
    let out = cli(&db, &["--json", "recommend", "push"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let partly: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(partly["failed"].as_u64().unwrap() > 0, "{partly}");
    assert!(
        partly["errors"][0]
            .as_str()
            .unwrap()
            .contains("non-existent"),
        "{partly}"
    );
}

/// 27 baskets; in 3 or more: tea 16, pot 12, candle 10, matches 10, cup 4,
/// large pot 4. Lifted at least 2× (27 × together / (a × b)): candle and
/// matches 2.7, pot and cup 2.25; tea with the pot (or the cup, or the
/// large pot) only 1.69, and the tea-pot-cup triple's weakest split (the
/// pot and cup pair with tea) 1.69 too.
#[test]
fn bundles_are_the_lifted_pairs_priced_under_the_floor() {
    let t = small_shop();
    let desk = Desk::for_file(t.store.path().to_path_buf(), false);
    let s = desk.bundle_suggest(None).unwrap();
    assert_eq!(
        (
            s.baskets,
            s.min_orders,
            s.frequent_items,
            s.frequent_pairs,
            s.frequent_triples
        ),
        (27, 3, 6, 5, 1)
    );
    let sets: Vec<Vec<&str>> = s
        .pairs
        .iter()
        .map(|p| p.items.iter().map(|i| i.sku.as_str()).collect())
        .collect();
    // Best first: 10 × ln 2.7 before 4 × ln 2.25; the cheaper one is the
    // one at a discount (both keep the floor at 10 %).
    assert_eq!(sets, vec![vec!["CANDLE", "MATCH"], vec!["POT", "CUP"]]);
    assert!(s.triples.is_empty());
    let cm = &s.pairs[0];
    assert_eq!((cm.orders, cm.get_sku.as_str()), (10, "MATCH"));
    assert!((cm.lift - 2.7).abs() < 1e-9, "{}", cm.lift);
    // 6.00 + 1.00, 10 % off the matches: 6.90, less costs 2.30.
    assert_eq!(
        (
            cm.price_minor,
            cm.bundle_price_minor,
            cm.margin_minor,
            cm.percent_bp
        ),
        (700, 690, Some(460), 1000)
    );
    // With the floor at 0 % the matches keep their 0.30 cost down to 70 % off.
    assert_eq!(cm.max_percent_bp, Some(7000));
    assert_eq!(
        cm.reason,
        "bought together in 10 orders, 2.7× as often as chance"
    );

    // A floor of 200 % on cost in Home: the matches (cost 0.30) must sell
    // at 0.90, so 10 % is the most; the candle has no room at all.
    let mut floor = merchant_desk::promotions::floor::MarginFloor::default();
    floor.categories.insert("Home".into(), 20_000);
    desk.save_floor(floor.clone()).unwrap();
    let s = desk.bundle_suggest(None).unwrap();
    let cm = &s.pairs[0];
    assert_eq!(
        (cm.get_sku.as_str(), cm.max_percent_bp),
        ("MATCH", Some(1000))
    );
    // At 250 % neither has room for 1 % off: the pair is left out, and said.
    floor.categories.insert("Home".into(), 25_000);
    desk.save_floor(floor).unwrap();
    let s = desk.bundle_suggest(None).unwrap();
    assert_eq!(s.no_room, 1);
    assert_eq!(s.pairs.len(), 1);
    assert_eq!(s.pairs[0].get_sku, "CUP");
    assert!(desk.bundle_suggest(Some(0)).is_err());
}

/// A bundle from its file to Shopify and back: refused below the floor in
/// the owner's words, launched with a reason as one automatic buy X get Y
/// discount the store holds in full, counted by a sale's floor check as a
/// discount that stacks, and taken back by `bundle end`.
#[test]
fn a_bundle_is_a_buy_x_get_y_discount_on_shopify_under_the_floor() {
    use crate::sync::{cli, ok};
    let (fake, dir, db) = crate::promotions::cli_on_the_fake();
    let js = |args: &[&str]| -> serde_json::Value {
        let out = cli(&db, args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Two products with unit costs, and their variants' ids on the store.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let picked: Vec<(String, String, i64, i64)> = conn
        .prepare(
            "SELECT v.sku, v.external_id, v.price_minor, v.cost_minor FROM variants v
             JOIN products p ON p.id = v.product_id
             WHERE p.kind = 'merchandise' AND v.cost_minor IS NOT NULL AND v.price_minor >= 100
               AND v.active = 1 AND p.active = 1
             ORDER BY v.id LIMIT 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let (buy, get) = (&picked[0], &picked[1]);
    let file = dir.path().join("bundle.toml");
    let write = |percent: u32| {
        std::fs::write(
            &file,
            format!(
                "name = \"Pair\"\nbuy = [\"{}\"]\nget = \"{}\"\npercent = {percent}\n",
                buy.0, get.0
            ),
        )
        .unwrap();
    };
    // 60 % off: below the cost (55 % of the price), so below a 0 % floor.
    write(60);
    let id = js(&["--json", "bundle", "create", file.to_str().unwrap()])["id"].to_string();
    let checked = cli(&db, &["--json", "bundle", "check", &id])
        .output()
        .unwrap();
    assert_eq!(checked.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!(report["problems"][0]["code"], "below_floor", "{report}");
    let refused = cli(&db, &["bundle", "launch", &id]).output().unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("below the margin floor") && said.contains(&get.0),
        "{said}"
    );
    assert_eq!(fake.state.lock().unwrap().discounts.len(), 0);
    ok(&mut cli(&db, &["bundle", "delete", &id]));

    // 10 % keeps the floor: one buy X get Y discount, as Shopify takes it.
    write(10);
    let id = js(&["--json", "bundle", "create", file.to_str().unwrap()])["id"].to_string();
    let check = js(&["--json", "bundle", "check", &id]);
    let after = get.2 - (get.2 as f64 * 0.1).round() as i64;
    assert_eq!(check["bundle_price_minor"], buy.2 + after, "{check}");
    assert_eq!(
        check["margin_minor"],
        buy.2 + after - buy.3 - get.3,
        "{check}"
    );
    let live = js(&["--json", "bundle", "launch", &id]);
    assert_eq!(live["status"], "live", "{live}");
    {
        let s = fake.state.lock().unwrap();
        let (kind, input) = s.discounts.values().next().unwrap();
        assert_eq!(kind, "automatic_bxgy");
        assert_eq!(input["title"], "Bundle: Pair");
        assert_eq!(
            input["customerBuys"]["items"]["products"]["productVariantsToAdd"],
            serde_json::json!([buy.1])
        );
        assert_eq!(input["customerBuys"]["value"]["quantity"], "1");
        assert_eq!(
            input["customerGets"]["items"]["products"]["productVariantsToAdd"],
            serde_json::json!([get.1])
        );
        let on = &input["customerGets"]["value"]["discountOnQuantity"];
        assert_eq!(
            (on["quantity"].as_str(), on["effect"]["percentage"].as_f64()),
            (Some("1"), Some(0.1))
        );
    }
    // The journal read it back as sent; the sync brings it home in full.
    let journal = js(&["--json", "journal", "list"]);
    assert_eq!(journal[0]["status"], "confirmed", "{journal}");
    ok(&mut cli(&db, &["sync"]));
    let kept: String = conn
        .query_row(
            "SELECT definition FROM discounts WHERE source = 'shopify'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        kept.contains("\"buy_get\"") && kept.contains(&get.1),
        "{kept}"
    );

    // A sale of 40 % on the discounted product keeps the floor alone (cost
    // is 55 % of the price) but not with the bundle's 10 % on top.
    let sale = dir.path().join("sale.toml");
    std::fs::write(
        &sale,
        format!(
            "name = \"Deal\"\ntargets = {{ skus = [\"{}\"] }}\ndiscount = {{ percent = 40 }}\nstarts_at = \"2030-01-01T09:00\"\nends_at = \"2030-01-02T09:00\"\n",
            get.0
        ),
    )
    .unwrap();
    let sale_id = js(&["--json", "sale", "create", sale.to_str().unwrap()])["id"].to_string();
    let sale_check = cli(&db, &["--json", "sale", "check", &sale_id])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&sale_check.stdout);
    assert!(text.contains("stacks_below_floor"), "{text}");

    // A bundle is not deleted once launched; ending it takes the discount back.
    assert!(!cli(&db, &["bundle", "delete", &id])
        .output()
        .unwrap()
        .status
        .success());
    let ended = js(&["--json", "bundle", "end", &id]);
    assert_eq!(ended["status"], "ended");
    assert_eq!(fake.state.lock().unwrap().discounts.len(), 0);
    let listed = js(&["--json", "bundle", "list"]);
    assert_eq!(listed["bundles"][0]["status"], "ended");
    // What is wrong in a file is named.
    std::fs::write(
        &file,
        format!(
            "name = \"X\"\nbuy = [\"{}\"]\nget = \"{}\"\npercent = 10\n",
            buy.0, buy.0
        ),
    )
    .unwrap();
    let twice = cli(&db, &["bundle", "create", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&twice.stderr).contains("each SKU once"));
    std::fs::write(
        &file,
        format!(
            "name = \"X\"\nbuy = [\"NOPE-1\"]\nget = \"{}\"\npercent = 10\n",
            get.0
        ),
    )
    .unwrap();
    let unknown = cli(&db, &["bundle", "create", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no product with SKU NOPE-1"));
}
