//! Pricing on a synthetic shop with known elasticities, through the real
//! importer and the CLI.

use crate::fixtures::{import_str, shop, temp_store};
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use merchant_desk::import::ImportKind;
use merchant_desk::pricing::{self, model::Run, rng::Rng, scenario::Scenario};

/// The shop's "now": the history ends the day before.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 30, 12, 0, 0).unwrap()
}

struct Truth {
    sku: String,
    elasticity: f64,
    /// Units sold in the last 28 days, and in the 28 before.
    recent_units: i64,
    before_units: i64,
    /// Units a day at the list price p0, on an average weekday.
    rate: f64,
}

/// 8 products, a year of daily orders at weekly prices moving ±30 %, demand
/// Poisson at rate λ·(p/p0)^ε, weekends twice as busy.
fn synthetic_shop() -> (crate::fixtures::TempStore, Vec<Truth>) {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("GBP", "Europe/London"), now())
        .unwrap();
    let mut rng = Rng::new(404, 0);
    let mut products = String::from("sku,title,price,category,cost,stock\n");
    let mut orders = String::from("order_id,ordered_at,sku,title,quantity,unit_price,currency\n");
    let today = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let mut truth = Vec::new();
    let mut order = 0;
    for i in 0..8 {
        let sku = format!("SKU{i}");
        let e = -0.6 - 2.0 * rng.uniform();
        let lambda = 30.0 + 30.0 * rng.uniform();
        let p0 = 5.0 + i as f64;
        products.push_str(&format!(
            "{sku},Product {i},{p0:.2},{},{:.2},100000\n",
            if i % 2 == 0 { "Lighting" } else { "Kitchen" },
            p0 * 0.5
        ));
        let (mut recent, mut before) = (0, 0);
        for week in 0..52u64 {
            let price = (p0 * (0.3 * (2.0 * rng.uniform() - 1.0)).exp() * 100.0).round() / 100.0;
            for d in 0..7u64 {
                let day = today - Days::new(364 - week * 7 - d);
                let weekend = if day.weekday().num_days_from_monday() >= 5 {
                    2.0
                } else {
                    1.0
                } / (9.0 / 7.0);
                let units = rng.poisson(lambda * weekend * (price / p0).powf(e));
                if units == 0 {
                    continue;
                }
                match (today - day).num_days() {
                    0..=27 => recent += units as i64,
                    28..=55 => before += units as i64,
                    _ => {}
                }
                order += 1;
                orders.push_str(&format!(
                    "O{order},{day}T10:00:00Z,{sku},Product {i},{units},{price:.2},GBP\n"
                ));
            }
        }
        truth.push(Truth {
            sku,
            elasticity: e,
            recent_units: recent,
            before_units: before,
            rate: lambda,
        });
    }
    import_str(
        &mut t.store,
        ImportKind::Products,
        "products.csv",
        &products,
    )
    .unwrap();
    import_str(&mut t.store, ImportKind::Orders, "orders.csv", &orders).unwrap();
    (t, truth)
}

#[test]
fn elasticities_simulation_and_backtest_on_a_known_shop() {
    let (t, truth) = synthetic_shop();
    let shop = t.store.require_shop().unwrap();
    let conn = t.store.conn();

    let estimates = pricing::elasticities(conn, &shop, now(), 52).unwrap();
    assert_eq!(estimates.len(), 8);
    for (e, want) in estimates.iter().zip(&truth) {
        assert_eq!(e.sku, want.sku);
        assert_eq!(e.observations, 52);
        assert!(
            (e.elasticity - want.elasticity).abs() <= 0.15,
            "{}: {:.3} vs {:.3}",
            e.sku,
            e.elasticity,
            want.elasticity
        );
        assert!(!e.prior_dominated);
    }

    // The model: λ at today's price from the recent weeks, each taken back
    // to that price through the elasticity, close to the true rate;
    // weekends twice as busy.
    let built = pricing::build(conn, &shop, now()).unwrap();
    for (item, want) in built.model.items.iter().zip(&truth) {
        assert!(
            (item.lambda / want.rate - 1.0).abs() < 0.15,
            "{}: {:.2} against {:.2}",
            item.sku,
            item.lambda,
            want.rate
        );
    }
    let w = built.model.weekday;
    assert!((w[5] / w[2] - 2.0).abs() < 0.15, "{w:?}");

    // Several scenarios report each simulation as it starts, and a cancel
    // between them stops the run: today's prices once, then each changed one.
    {
        let current: Vec<i64> = built.variants.iter().map(|v| v.price_minor).collect();
        let mut cut = current.clone();
        cut[3] = cut[3] * 9 / 10;
        let scenarios = vec![
            ("same".to_string(), current.clone()),
            ("cut".to_string(), cut.clone()),
            ("cut again".to_string(), cut),
        ];
        let run = Run {
            days: 10,
            paths: 50,
            seed: 1,
        };
        let mut steps = Vec::new();
        let reports = pricing::simulate_many(&built, &scenarios, "GBP", run, 1, &mut |d, t| {
            steps.push((d, t));
            Ok(())
        })
        .unwrap();
        assert_eq!(reports.len(), 3);
        assert_eq!(steps, vec![(0, 3), (1, 3), (2, 3), (3, 3)]);
        let mut seen = 0;
        let err = pricing::simulate_many(&built, &scenarios, "GBP", run, 1, &mut |d, _| {
            seen = d;
            if d == 1 {
                Err(merchant_desk::Error::Cancelled)
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(err.code(), "cancelled");
        assert_eq!(seen, 1);
    }

    // A scenario: 10 % off SKU3. Expected mode equals the closed form; the
    // Monte Carlo mean agrees within its error; seeded runs repeat exactly.
    let scenario =
        Scenario::parse("name = \"cut\"\n[[change]]\nsku = \"SKU3\"\npercent = -10\n").unwrap();
    let i = 3;
    let item = &built.model.items[i];
    let ratio = 0.9f64;
    let weekdays: f64 = (0..30)
        .map(|d| w[(built.model.first_weekday + d) % 7])
        .sum();
    let closed = item.lambda * weekdays * ratio.powf(item.elasticity);
    let expected = pricing::simulate(
        &built,
        &scenario,
        "GBP",
        Run {
            days: 30,
            paths: 0,
            seed: 0,
        },
        1,
    )
    .unwrap();
    assert_eq!(expected.items.len(), 1);
    assert_eq!(expected.items[0].sku, "SKU3");
    assert!((expected.items[0].units.mean - closed).abs() < 1e-6);
    assert_eq!(expected.items[0].price, format!("{:.2}", (8.0 * 0.9f64)));
    let run = Run {
        days: 30,
        paths: 2000,
        seed: 12,
    };
    let mc = pricing::simulate(&built, &scenario, "GBP", run, 2).unwrap();
    let se = (closed / 2000.0).sqrt();
    assert!((mc.items[0].units.mean - closed).abs() < 5.0 * se);
    assert_eq!(
        mc,
        pricing::simulate(&built, &scenario, "GBP", run, 1).unwrap()
    );
    // Lower price, more units; the shop's revenue total moves only by SKU3's.
    assert!(mc.items[0].units.mean > mc.items[0].baseline_units.mean);

    // Back-test: the model knows the prices changed (every order paid the
    // week's list price); "same as before" does not.
    let b = pricing::backtest(conn, &shop, now(), 4).unwrap();
    assert_eq!(b.items.len(), 8);
    assert_eq!(b.cut, "2024-06-02");
    assert_eq!(b.to, "2024-06-30");
    assert!(b.model_wape < 0.8 * b.naive_wape, "{b:?}");
    for (item, t) in b.items.iter().zip(&truth) {
        assert_eq!(item.sku, t.sku);
        assert_eq!(item.actual, t.recent_units, "{}", t.sku);
        assert_eq!(item.naive, t.before_units, "{}", t.sku);
        let starts: Vec<&str> = item.weekly.iter().map(|w| w.week_start.as_str()).collect();
        assert_eq!(
            starts,
            ["2024-06-03", "2024-06-10", "2024-06-17", "2024-06-24"]
        );
        assert_eq!(
            item.weekly.iter().map(|w| w.actual).sum::<i64>(),
            item.actual
        );
        let f: f64 = item.weekly.iter().map(|w| w.forecast).sum();
        assert!((f - item.forecast).abs() < 1e-6);
        assert!(
            item.p10 <= item.forecast && item.forecast <= item.p90,
            "{item:?}"
        );
    }
    assert!(
        (0.5..=1.0).contains(&b.coverage_p10_p90),
        "{}",
        b.coverage_p10_p90
    );
}

pub(crate) fn cli(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(crate::cli_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn json(out: std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_cli_prints_elasticities_simulations_and_backtests() {
    let (mut t, truth) = synthetic_shop();
    // The history ends on 2024-06-30: make that the shop's today.
    let mut s = t.store.require_shop().unwrap();
    s.fixed_today = Some("2024-06-30".into());
    t.store.set_shop(&s, now()).unwrap();
    let db = t.store.path().to_path_buf();

    let e = json(cli(&db, &["price", "elasticity", "--json"]));
    let items = e["items"].as_array().unwrap();
    assert_eq!(items.len(), truth.len());
    for key in [
        "sku",
        "elasticity",
        "std_error",
        "observations",
        "prior_weight",
    ] {
        assert!(!items[0][key].is_null(), "{key}");
    }
    assert!((items[2]["elasticity"].as_f64().unwrap() - truth[2].elasticity).abs() <= 0.15);

    let file = db.with_file_name("scenario.toml");
    std::fs::write(
        &file,
        "name = \"summer cut\"\n[[change]]\nsku = \"SKU1\"\npercent = -10\n",
    )
    .unwrap();
    let args = [
        "price",
        "simulate",
        "--scenario",
        file.to_str().unwrap(),
        "--days",
        "30",
        "--paths",
        "500",
        "--seed",
        "7",
        "--json",
    ];
    let first = cli(&db, &args);
    let report = json(cli(&db, &args));
    assert_eq!(
        report,
        serde_json::from_slice::<serde_json::Value>(&first.stdout).unwrap(),
        "same seed, same answer"
    );
    for m in ["units", "revenue", "profit"] {
        for q in ["mean", "p10", "p50", "p90"] {
            assert!(!report["total"][m][q].is_null(), "total.{m}.{q}");
        }
    }
    let money = regex_like_amount(report["total"]["revenue"]["mean"].as_str().unwrap());
    assert!(money, "{}", report["total"]["revenue"]["mean"]);
    let item = &report["items"][0];
    assert_eq!(item["sku"], "SKU1");
    assert_eq!(report["items"].as_array().unwrap().len(), 1);
    assert!(
        item["units"]["mean"].as_f64().unwrap() > item["baseline_units"]["mean"].as_f64().unwrap()
    );
    assert!(regex_like_amount(item["profit"]["p90"].as_str().unwrap()));
    assert!(item["stockout_probability"].as_f64().unwrap() >= 0.0);

    let b = json(cli(&db, &["price", "backtest", "--weeks", "4", "--json"]));
    assert_eq!(b["items"].as_array().unwrap().len(), 8);
    assert_eq!(b["cut"], "2024-06-02");
    assert_eq!(b["items"][0]["weekly"].as_array().unwrap().len(), 4);
    assert_eq!(b["items"][0]["weekly"][0]["week_start"], "2024-06-03");
    assert!(b["model_wape"].as_f64().unwrap() < b["naive_wape"].as_f64().unwrap());
    assert!(b["coverage_p10_p90"].as_f64().unwrap() > 0.0);
    let text = String::from_utf8(cli(&db, &["price", "backtest", "--weeks", "4"]).stdout).unwrap();
    assert!(
        text.contains("the ten worst forecasts:") && text.contains("SKU"),
        "{text}"
    );

    std::fs::write(
        &file,
        "name = \"x\"\n[[change]]\nsku = \"NOPE\"\npercent = 5\n",
    )
    .unwrap();
    let bad = cli(
        &db,
        &["price", "simulate", "--scenario", file.to_str().unwrap()],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no product matches SKU NOPE"));
}

/// "1234.50": digits, a dot, two decimals.
fn regex_like_amount(text: &str) -> bool {
    let (whole, cents) = text
        .trim_start_matches('-')
        .split_once('.')
        .unwrap_or(("", ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && cents.len() == 2
        && cents.bytes().all(|b| b.is_ascii_digit())
}

#[test]
fn signals_show_velocity_cover_trend_margin_and_price_changes() {
    let (mut t, truth) = synthetic_shop();
    // A new price for SKU0: the importer records the change.
    import_str(
        &mut t.store,
        ImportKind::Products,
        "products.csv",
        "sku,title,price\nSKU0,Product 0,5.50\n",
    )
    .unwrap();
    let shop = t.store.require_shop().unwrap();
    let signals = pricing::signals::signals(t.store.conn(), &shop, now(), &[7, 28, 90]).unwrap();
    assert_eq!(signals.len(), 8);
    for (s, want) in signals.iter().zip(&truth) {
        assert_eq!(s.sku, want.sku);
        assert_eq!(s.velocity.len(), 3);
        let v28 = want.recent_units as f64 / 28.0;
        assert!((s.velocity[1] - v28).abs() < 1e-9);
        assert!((s.days_of_cover.unwrap() - 100_000.0 / v28).abs() < 1e-6);
        let trend = want.recent_units as f64 / want.before_units as f64 - 1.0;
        assert!((s.trend.unwrap() - trend).abs() < 1e-9);
        assert_eq!(s.stock, Some(100_000));
    }
    // Cost is half the original price: 50 % margin; SKU0 now sells at 5.50
    // against a cost of 2.50.
    assert_eq!(signals[1].margin_bp, Some(5000));
    assert_eq!(signals[0].price_minor, 550);
    assert_eq!(signals[0].margin_bp, Some((550 - 250) * 10_000 / 550));
    assert!(signals[0].last_price_change.is_some());
    assert!(signals[1].last_price_change.is_none());
    assert_eq!(
        pricing::signals::signals(t.store.conn(), &shop, now(), &[0])
            .unwrap_err()
            .code(),
        "invalid_input"
    );
}
