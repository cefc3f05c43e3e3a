//! Rules, guardrails, imported signals and proposals on a small shop whose
//! every proposal can be worked out by hand; applied and reverted through
//! the journal, from the core and from the CLI.

use crate::fixtures::{import_str, shop, temp_store};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use merchant_desk::import::ImportKind;
use merchant_desk::journal::{self, RevertScope};
use merchant_desk::pricing::proposals::{self, Take};
use merchant_desk::pricing::rules::RuleSet;
use merchant_desk::pricing::{self};
use merchant_desk::storefront::local::Local;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 30, 12, 0, 0).unwrap()
}

const RULES: &str = r#"
name = "weekly"
[guardrails]
min_margin_percent = 20
max_change_percent = 10
min_change_percent = 2
charm = ".49"
[[rule]]
kind = "low_stock"
max_days_of_cover = 21
min_velocity = 0.5
change_percent = 5
[[rule]]
kind = "overstock"
min_days_of_cover = 180
max_velocity = 0.2
change_percent = -10
[[rule]]
kind = "competitor"
offset_percent = -2
"#;

/// A: 2 a day, 10 in stock (5 days of cover). B: no sales, 500 in stock,
/// priced below cost + 20 %. C: 1 a day, 100 in stock, a competitor at
/// 7.50. D: like A but in a live promotion. E: like A, no cost.
fn small_shop() -> crate::fixtures::TempStore {
    let mut t = temp_store();
    let mut s = shop("GBP", "Europe/London");
    s.fixed_today = Some("2024-06-30".into());
    t.store.set_shop(&s, now()).unwrap();
    import_str(
        &mut t.store,
        ImportKind::Products,
        "products.csv",
        "sku,title,price,category,cost,stock\n\
         A,Lamp,10.00,Lighting,5.00,10\n\
         B,Vase,4.00,Home,3.50,500\n\
         C,Mug,8.00,Kitchen,2.00,100\n\
         D,Candle,6.00,Lighting,1.00,5\n\
         E,Card,3.00,Paper,,10\n",
    )
    .unwrap();
    let today = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let mut orders = String::from("order_id,ordered_at,sku,title,quantity,unit_price,currency\n");
    for d in 0..28u64 {
        let day = today - Days::new(d);
        for (sku, units, price) in [
            ("A", 2, "10.00"),
            ("C", 1, "8.00"),
            ("D", 2, "6.00"),
            ("E", 2, "3.00"),
        ] {
            orders.push_str(&format!(
                "{sku}{d},{day}T10:00:00Z,{sku},x,{units},{price},GBP\n"
            ));
        }
    }
    import_str(&mut t.store, ImportKind::Orders, "orders.csv", &orders).unwrap();
    t
}

#[test]
fn rules_propose_with_reasons_inside_the_guardrails_and_apply_as_one_revertible_batch() {
    let mut t = small_shop();
    // Competitor prices: the latest per competitor within 30 days counts.
    let r = import_str(
        &mut t.store,
        ImportKind::CompetitorPrices,
        "rivals.csv",
        "sku,competitor,price,observed_at\n\
         C,rival.example,9.00,2024-06-01\n\
         C,rival.example,7.50,2024-06-20T09:00:00Z\n\
         C,old.example,1.00,2024-04-01\n\
         NOPE,rival.example,1.00,2024-06-20\n",
    )
    .unwrap();
    assert_eq!((r.rows_read, r.rows_imported, r.rows_skipped), (4, 3, 1));
    assert_eq!(r.issues[0].lines, vec![5]);
    // Importing the same file again changes nothing.
    import_str(
        &mut t.store,
        ImportKind::CompetitorPrices,
        "rivals.csv",
        "sku,competitor,price,observed_at\nC,rival.example,7.50,2024-06-20T09:00:00Z\n",
    )
    .unwrap();
    let r = import_str(
        &mut t.store,
        ImportKind::DemandEvents,
        "events.csv",
        "sku,date,views,add_to_carts\nA,2024-06-29,120,9\nA,2024-06-30,80,4\nA,2024-01-01,999,99\n",
    )
    .unwrap();
    assert_eq!(r.rows_imported, 3);
    let bad = import_str(
        &mut t.store,
        ImportKind::DemandEvents,
        "bad.csv",
        "sku,date,views,add_to_carts\nA,30/06/2024,1,1\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("line 2") && bad.contains("is not a date"),
        "{bad}"
    );

    // D is in a live discount.
    let d_variant: String = t
        .store
        .conn()
        .query_row(
            "SELECT external_id FROM variants WHERE sku = 'D'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    t.store
        .conn()
        .execute(
            "INSERT INTO discounts (source, external_id, definition, updated_at) VALUES ('local', 'local-discount-1', ?1, '2024-06-01T00:00:00Z')",
            [serde_json::json!({
                "title": "Candle week", "method": "automatic", "code": null,
                "value": {"kind": "percentage", "basis_points": 1500},
                "minimum": {"kind": "none"},
                "items": {"kind": "some", "products": [], "variants": [d_variant]},
                "starts_at": "2024-06-25T00:00:00Z", "ends_at": "2024-07-05T00:00:00Z", "usage_limit": null
            })
            .to_string()],
        )
        .unwrap();

    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let signals = pricing::signals::signals(conn, &shop, now(), &[7, 28, 90]).unwrap();
    let a = signals.iter().find(|s| s.sku == "A").unwrap();
    assert_eq!((a.views, a.add_to_carts), (Some(200), Some(13)));
    let c = signals.iter().find(|s| s.sku == "C").unwrap();
    assert_eq!((c.competitor_min_minor, c.competitors), (Some(750), 1));

    let rules = RuleSet::parse(RULES).unwrap();
    let found = pricing::suggest(conn, &shop, now(), &rules).unwrap();
    let price = |sku: &str| {
        found
            .items
            .iter()
            .find(|p| p.sku == sku)
            .map(|p| p.proposed_minor)
    };
    // A: +5 % = 10.50 → nearest .49 inside [9.00, 11.00] is 10.49.
    assert_eq!(price("A"), Some(1049));
    // C: 7.50 − 2 % = 7.35 → 7.49 (6.49 is more than a step down).
    assert_eq!(price("C"), Some(749));
    let c_reasons: Vec<&str> = found
        .items
        .iter()
        .find(|p| p.sku == "C")
        .unwrap()
        .reasons
        .iter()
        .map(|r| r.text.as_str())
        .collect();
    assert!(
        c_reasons[0].contains("rival.example at 7.50"),
        "{c_reasons:?}"
    );
    assert!(
        c_reasons
            .iter()
            .any(|r| r.contains("charm rounding 7.35 → 7.49")),
        "{c_reasons:?}"
    );
    // B's rule lowers, but its floor (4.20) is above its price: held.
    // D is in "Candle week". E has no cost, and its +5 % is allowed.
    let held = |sku: &str| {
        found
            .held
            .iter()
            .find(|h| h.sku == sku)
            .map(|h| h.reasons.last().unwrap().text.clone())
            .unwrap_or_default()
    };
    assert!(held("B").contains("other way"), "{}", held("B"));
    assert!(held("D").contains("Candle week"), "{}", held("D"));
    // E: 3.15, and no .49 price lies within one step of 3.00: kept unrounded.
    assert_eq!(price("E"), Some(315));

    // Stored, then applied through the local storefront as one batch.
    let proposal = proposals::save(conn, &rules, &found, now()).unwrap();
    assert_eq!(proposal.items.len(), 3);
    // The owner's own price keeps the rule set's step unless confirmed.
    let e = proposal
        .items
        .iter()
        .find(|i| i.sku == "E")
        .unwrap()
        .clone();
    let step = rules.guardrails.max_change_percent.0;
    let beyond = e.current_minor + e.current_minor * step / 10_000 + 1;
    let err = proposals::edit(conn, proposal.id, e.variant_id, beyond, "GBP", false).unwrap_err();
    assert_eq!(err.code(), "confirmation_required");
    assert!(err.to_string().contains("at most"), "{err}");
    let zero = proposals::edit(conn, proposal.id, e.variant_id, 0, "GBP", false).unwrap_err();
    assert_eq!(zero.code(), "invalid_input", "{zero}");
    let within = e.current_minor + e.current_minor * step / 10_000;
    let edited = proposals::edit(conn, proposal.id, e.variant_id, within, "GBP", false).unwrap();
    assert_eq!(edited.proposed_minor, within);
    let edited = proposals::edit(conn, proposal.id, e.variant_id, beyond, "GBP", true).unwrap();
    assert_eq!(edited.proposed_minor, beyond);
    proposals::review(
        conn,
        proposal.id,
        &[proposal
            .items
            .iter()
            .find(|i| i.sku == "E")
            .unwrap()
            .variant_id],
        "rejected",
    )
    .unwrap();
    let mut local = Local::new(conn, "2024-06-30T12:00:00Z".into());
    let applied =
        proposals::apply(conn, &mut local, proposal.id, Take::NotRejected, now()).unwrap();
    assert_eq!(applied.status, "applied");
    let status: Vec<(&str, &str)> = applied
        .items
        .iter()
        .map(|i| (i.sku.as_str(), i.status.as_str()))
        .collect();
    assert_eq!(
        status,
        vec![("A", "applied"), ("C", "applied"), ("E", "rejected")]
    );
    let now_price = |sku: &str| -> i64 {
        conn.query_row(
            "SELECT price_minor FROM variants WHERE sku = ?1",
            [sku],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(
        (now_price("A"), now_price("C"), now_price("E")),
        (1049, 749, 300)
    );
    let history: i64 = conn
        .query_row("SELECT count(*) FROM price_history WHERE reason = 'push' AND price_minor IN (1049, 749)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(history, 2);
    let batch = applied.batch.unwrap();
    let entries = journal::list(conn, 10).unwrap();
    assert!(entries
        .iter()
        .all(|e| e.batch == batch && e.playbook == "pricing"));
    // An applied proposal does not change again.
    assert!(proposals::apply(conn, &mut local, proposal.id, Take::NotRejected, now()).is_err());

    // A price moved after a proposal was made is not sent.
    let again = proposals::save(
        conn,
        &rules,
        &pricing::suggest(conn, &shop, now(), &rules).unwrap(),
        now(),
    )
    .unwrap();
    conn.execute("UPDATE variants SET price_minor = 1111 WHERE sku = 'A'", [])
        .unwrap();
    let after = proposals::apply(conn, &mut local, again.id, Take::NotRejected, now()).unwrap();
    let a_item = after
        .items
        .iter()
        .find(|i| i.sku == "A")
        .expect("A proposed again");
    assert_eq!(a_item.status, "failed");
    assert!(a_item
        .error
        .as_deref()
        .unwrap()
        .contains("changed after the proposal"));
    assert_eq!(now_price("A"), 1111);
    assert!(after
        .items
        .iter()
        .filter(|i| i.sku != "A")
        .all(|i| i.status == "applied"));
    journal::revert(
        conn,
        &mut local,
        RevertScope::Batch(after.batch.unwrap()),
        false,
        now(),
    )
    .unwrap();
    conn.execute("UPDATE variants SET price_minor = 1049 WHERE sku = 'A'", [])
        .unwrap();

    // Reverting the batch restores every price.
    journal::revert(conn, &mut local, RevertScope::Batch(batch), false, now()).unwrap();
    assert_eq!((now_price("A"), now_price("C")), (1000, 800));
}

fn profit_at(m: &pricing::model::ItemModel, price: i64, weight: f64) -> f64 {
    pricing::model::expected_min(m.rate_at(price) * weight, m.stock)
        * (price - m.cost_minor.unwrap()) as f64
}

#[test]
fn the_optimiser_maximises_expected_profit_inside_the_guardrails() {
    let t = small_shop();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();
    let rules = RuleSet::parse(
        "name = \"opt\"\nmode = \"profit\"\nhorizon_days = 30\n[guardrails]\nmin_margin_percent = 10\nmax_change_percent = 20\nmin_change_percent = 1\n",
    )
    .unwrap();
    let built = pricing::build(conn, &shop, now()).unwrap();
    let found = pricing::suggest(conn, &shop, now(), &rules).unwrap();
    let weight: f64 = built.model.daily_factors(30).iter().sum();
    for p in &found.items {
        let i = built
            .model
            .items
            .iter()
            .position(|m| m.variant_id == p.variant_id)
            .unwrap();
        let m = &built.model.items[i];
        let cost = m.cost_minor.unwrap();
        let profit = |price: i64| {
            pricing::model::expected_min(m.rate_at(price) * weight, m.stock) * (price - cost) as f64
        };
        // Better than today's price, and no price on a fine grid inside
        // the guardrails does better than the grid's pick by more than the
        // grid's resolution allows.
        assert!(profit(p.proposed_minor) > profit(p.current_minor));
        let (lo, hi) = (p.current_minor * 8 / 10, p.current_minor * 12 / 10);
        let lo = lo.max(p.floor_minor);
        let best = (lo..=hi).map(profit).fold(f64::MIN, f64::max);
        assert!(
            profit(p.proposed_minor) >= best * 0.99,
            "{}: {} vs {}",
            p.sku,
            profit(p.proposed_minor),
            best
        );
        assert!(p.proposed_minor >= p.floor_minor);
        assert!((p.proposed_minor - p.current_minor).abs() * 5 <= p.current_minor);
    }
    // A sells out its 10 units at today's price within the horizon: the
    // optimiser raises it (same units, more margin each).
    let a = found
        .items
        .iter()
        .find(|p| p.sku == "A")
        .expect("A is repriced");
    assert!(a.proposed_minor > a.current_minor);
    // It has only ever sold at 10.00: the higher price is marked as the
    // model's guess, and the gain comes with its range.
    let texts: Vec<&str> = a.reasons.iter().map(|r| r.text.as_str()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("extrapolated:") && t.contains("(10.00 to 10.00)")),
        "{texts:?}"
    );
    let gain = texts
        .iter()
        .find(|t| t.contains("with the elasticity's 80 % range"))
        .expect("the gain's range");
    let range: Vec<f64> = gain
        .split("the gain is ")
        .nth(1)
        .unwrap()
        .split(" with")
        .next()
        .unwrap()
        .split(" to ")
        .map(|x| x.parse().unwrap())
        .collect();
    let m = built.model.items.iter().find(|m| m.sku == "A").unwrap();
    let point =
        (profit_at(m, a.proposed_minor, weight) - profit_at(m, a.current_minor, weight)) / 100.0;
    assert!(
        range[0] <= point + 0.01 && point - 0.01 <= range[1],
        "{range:?} {point}"
    );
    // E has no cost: held, with the reason.
    assert!(found
        .held
        .iter()
        .any(|h| h.sku == "E" && h.reasons[0].text.contains("no unit cost")));
}

#[test]
fn the_cli_suggests_and_applies_a_proposal_and_journal_reverts_it() {
    let t = small_shop();
    let db = t.store.path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(crate::cli_bin())
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or(serde_json::Value::Null)
    };
    let p = run(&[
        "price",
        "suggest",
        "--rules",
        rules.to_str().unwrap(),
        "--json",
    ]);
    let id = p["id"].as_i64().unwrap();
    let skus: Vec<&str> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sku"].as_str().unwrap())
        .collect();
    // No competitor prices and no promotion in this shop: the three fast
    // sellers low on stock.
    assert_eq!(skus, vec!["A", "D", "E"]);
    assert!(p["items"][0]["reasons"][1]["text"]
        .as_str()
        .unwrap()
        .contains("low stock"));
    // Simulated before it goes out: the three raised prices sell as many
    // (stock-capped) units for more profit.
    let sim = run(&[
        "price",
        "simulate",
        "--proposal",
        &id.to_string(),
        "--days",
        "30",
        "--paths",
        "0",
        "--json",
    ]);
    assert_eq!(sim["items"].as_array().unwrap().len(), 3);
    let profit = |v: &serde_json::Value| v["mean"].as_str().unwrap().parse::<f64>().unwrap();
    assert!(
        profit(&sim["total"]["profit"]) > profit(&sim["baseline"]["profit"]),
        "{sim}"
    );
    let applied = run(&["price", "apply", &id.to_string(), "--json"]);
    assert_eq!(applied["status"], "applied");
    let batch = applied["batch"].as_i64().unwrap();
    let signals = run(&["price", "signals", "--json"]);
    let price_of = |s: &serde_json::Value, sku: &str| {
        s["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["sku"] == sku)
            .unwrap()["price_minor"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(price_of(&signals, "A"), 1049);
    let out = std::process::Command::new(crate::cli_bin())
        .arg("--db")
        .arg(&db)
        .args(["journal", "revert", &batch.to_string(), "--batch"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(price_of(&run(&["price", "signals", "--json"]), "A"), 1000);
    // A bad rule file says what is wrong and changes nothing.
    std::fs::write(
        &rules,
        "name = \"x\"\n[guardrails]\nmax_change_percent = 0\n",
    )
    .unwrap();
    let out = std::process::Command::new(crate::cli_bin())
        .arg("--db")
        .arg(&db)
        .args(["price", "suggest", "--rules", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maximum change per step"));
}
