//! The demo shop built from the real Online Retail file, checked against an
//! independent reading of the same file.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use merchant_desk::import::{Control, Progress};
use merchant_desk::report::{self, DateRange};
use merchant_desk::time::parse_day;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;

const NOT_MERCHANDISE: &[&str] = &[
    "POST",
    "DOT",
    "C2",
    "M",
    "m",
    "D",
    "S",
    "B",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
];

#[derive(Default, Debug, PartialEq)]
struct Expected {
    orders: i64,
    customers: i64,
    repeat_customers: i64,
    units: i64,
    gross: i64,
    refunds: i64,
}

/// Price in thousandths of a pound, exact for this file (at most 3 decimals).
fn milli(text: &str) -> i64 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let negative = whole.starts_with('-');
    let w: i64 = whole.trim_start_matches('-').parse().unwrap();
    let f: i64 = format!("{frac:0<3}")[..3].parse().unwrap();
    let v = w * 1000 + f;
    if negative {
        -v
    } else {
        v
    }
}

/// Thousandths to pennies, half away from zero.
fn pennies(m: i64) -> i64 {
    if m >= 0 {
        (m + 5) / 10
    } else {
        -((-m + 5) / 10)
    }
}

struct Reading {
    expected: Vec<Expected>,
    medians: HashMap<String, i64>,
}

fn read_expected(ranges: &[(NaiveDate, NaiveDate)], median_of: &[&str]) -> Reading {
    let london = chrono_tz::Europe::London;
    let file = std::fs::File::open(crate::fixtures::online_retail()).unwrap();
    let mut reader = csv::Reader::from_reader(flate2::read::MultiGzDecoder::new(file));
    let mut sale_orders: Vec<HashMap<String, Option<String>>> = vec![HashMap::new(); ranges.len()];
    let mut out: Vec<Expected> = ranges.iter().map(|_| Expected::default()).collect();
    let mut prices: HashMap<String, Vec<i64>> = HashMap::new();
    let mut first_customer: HashMap<String, Option<String>> = HashMap::new();
    for rec in reader.records() {
        let r = rec.unwrap();
        let (invoice, code, qty, date, price, customer) = (
            &r[0],
            &r[1],
            r[3].parse::<i64>().unwrap(),
            &r[4],
            milli(&r[5]),
            &r[6],
        );
        let customer = (!customer.is_empty()).then(|| customer.trim_end_matches(".0").to_string());
        first_customer
            .entry(invoice.to_string())
            .or_insert(customer);
        let merchandise = !NOT_MERCHANDISE.contains(&code) && !code.starts_with("gift_0001_");
        let day = london
            .from_local_datetime(&NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M").unwrap())
            .earliest()
            .unwrap()
            .date_naive();
        let cancellation = invoice.starts_with('C');
        let sale = merchandise && !cancellation && qty > 0 && pennies(price) >= 1;
        if sale && median_of.contains(&code) {
            prices
                .entry(code.to_string())
                .or_default()
                .push(pennies(price));
        }
        for (i, (from, to)) in ranges.iter().enumerate() {
            if day < *from || day > *to {
                continue;
            }
            if sale {
                let cust = first_customer[invoice].clone();
                sale_orders[i].insert(invoice.to_string(), cust);
                out[i].units += qty;
                out[i].gross += pennies(qty * price);
            }
            if cancellation && merchandise {
                out[i].refunds += pennies(-qty * price);
            }
        }
    }
    for (i, orders) in sale_orders.iter().enumerate() {
        let mut per: HashMap<&String, i64> = HashMap::new();
        for c in orders.values().flatten() {
            *per.entry(c).or_insert(0) += 1;
        }
        out[i].orders = orders.len() as i64;
        out[i].customers = per.len() as i64;
        out[i].repeat_customers = per.values().filter(|n| **n >= 2).count() as i64;
    }
    let medians = prices
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            (k, v[(v.len() - 1) / 2])
        })
        .collect();
    Reading {
        expected: out,
        medians,
    }
}

#[test]
fn demo_shop_from_the_real_file_matches_an_independent_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite");
    let cancel = AtomicBool::new(false);
    let mut stages: HashSet<String> = HashSet::new();
    let mut last_done = 0;
    let mut monotonic = true;
    let mut control = Control::new(&cancel, |p: &Progress| {
        stages.insert(p.stage.clone());
        if p.total > 0 {
            monotonic &= p.done >= last_done || p.done == 0;
            last_done = p.done;
        }
    });
    let store = merchant_desk::demo::build(&path, &mut control, chrono::Utc::now()).unwrap();
    drop(control);
    assert!(monotonic, "progress went backwards");
    assert!(
        stages.iter().any(|s| s.contains("online-retail")),
        "{stages:?}"
    );
    assert!(!dir.path().join("demo.partial").exists());

    let shop = store.require_shop().unwrap();
    assert!(shop.demo);
    assert_eq!(
        shop.today(chrono::Utc::now()).unwrap().to_string(),
        "2011-12-09"
    );
    let rows: i64 = store
        .conn()
        .query_row("SELECT rows_read FROM import_runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 541_909);

    // The demo lives on its own clock: Promotions' "now" is on its last
    // trading day, and the example sale of docs/promotions.md (the next
    // day) is a sale in the demo's future that checks cleanly.
    // Recommendations on the shop's own hold-out (issue goals: HR@10 of at
    // least 0.28 with every order, 0.17 with the last 500).
    {
        let desk = merchant_desk::service::Desk::for_file(path.clone(), false);
        for (last, goal) in [(None, 0.28), (Some(500), 0.17)] {
            let e = desk.recommend_evaluate(last).unwrap();
            let hr: Vec<f64> = e.methods.iter().map(|m| m.hr_at_10).collect();
            assert!(e.test_baskets > 3000, "{e:?}");
            assert!(hr[1] >= goal, "{last:?}: {e:?}");
            assert!(hr[1] > 3.0 * hr[0], "{last:?}: {e:?}");
        }
        // Every product's lists; a "bought together" count is what the
        // orders say.
        let build = desk.recommend_build().unwrap();
        assert!(
            build.products > 3900 && build.model_items > 2000,
            "{build:?}"
        );
        let related = desk
            .recommend_list(
                "85123A".into(),
                merchant_desk::recommend::lists::List::Related,
                None,
            )
            .unwrap();
        assert_eq!(related.items.len(), 10);
        let first = &related.items[0];
        let together: i64 = store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM orders o WHERE o.status != 'cancelled'
                 AND EXISTS (SELECT 1 FROM order_lines l JOIN variants v ON v.id = l.variant_id
                             WHERE l.order_id = o.id AND v.sku = '85123A')
                 AND EXISTS (SELECT 1 FROM order_lines l JOIN variants v ON v.id = l.variant_id
                             WHERE l.order_id = o.id AND v.sku = ?1)",
                [&first.sku],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            first.reason,
            format!("bought together in {together} orders"),
            "{first:?}"
        );
        // Bundles: the best pair's count is what the orders say, and the
        // example of docs/recommendations.md is a bundle that keeps the floor.
        let found = desk.bundle_suggest(None).unwrap();
        assert_eq!(found.min_orders, 110, "{:?}", found.baskets);
        assert!(found.frequent_pairs > 1000 && found.frequent_triples > 1000);
        let best = &found.pairs[0];
        let both: i64 = store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM orders o WHERE o.status != 'cancelled'
                 AND EXISTS (SELECT 1 FROM order_lines l JOIN variants v ON v.id = l.variant_id
                             WHERE l.order_id = o.id AND v.sku = ?1)
                 AND EXISTS (SELECT 1 FROM order_lines l JOIN variants v ON v.id = l.variant_id
                             WHERE l.order_id = o.id AND v.sku = ?2)",
                [&best.items[0].sku, &best.items[1].sku],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(best.orders as i64, both, "{best:?}");
        assert!(best.lift >= 2.0 && best.margin_minor.is_some(), "{best:?}");
        let doc = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/recommendations.md"),
        )
        .unwrap();
        let example = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let file = merchant_desk::promotions::bundle::BundleFile::parse(example).unwrap();
        let check = desk.check_bundle(file).unwrap();
        assert!(check.ok, "{check:?}");
        assert!(check.bundle_price_minor < check.price_minor);
    }
    {
        let desk = merchant_desk::service::Desk::for_file(path.clone(), false);
        let overview = desk.sales_overview().unwrap();
        assert!(overview.now.starts_with("2011-12-09T"), "{}", overview.now);
        let doc = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/promotions.md"),
        )
        .unwrap();
        let example = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let file = merchant_desk::promotions::sale::SaleFile::parse(example).unwrap();
        let sale = desk.create_sale(file.clone()).unwrap();
        assert_eq!(sale.status, "draft");
        let check = desk.check_sale(file, Some(sale.id)).unwrap();
        let codes: Vec<&str> = check
            .report
            .problems
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        assert!(!codes.contains(&"window"), "{codes:?}");
        assert!(check.projection.is_some(), "{:?}", check.projection_error);
        assert_eq!(
            desk.background().unwrap().sync_every_minutes,
            0,
            "no background sync for the demo"
        );
        desk.delete_sale(sale.id).unwrap();
    }

    let d = |s| parse_day(s).unwrap();
    // The whole year, and a month in British Summer Time.
    let ranges = [
        (d("2010-12-01"), d("2011-12-09")),
        (d("2011-07-01"), d("2011-07-31")),
    ];
    let reading = read_expected(&ranges, &["85123A", "22423", "47566"]);
    for ((from, to), want) in ranges.iter().zip(&reading.expected) {
        let s = report::summary(store.conn(), &shop, DateRange::new(*from, *to).unwrap()).unwrap();
        let got = Expected {
            orders: s.orders,
            customers: s.customers,
            repeat_customers: s.repeat_customers,
            units: s.units,
            gross: s.gross_sales,
            refunds: s.refunds,
        };
        assert_eq!(&got, want, "{from}..{to}");
        assert_eq!(s.net_sales, s.gross_sales - s.refunds);
    }
    // Top products over the whole year (whole months plus loose days) add up
    // to the gross sales, and over a range inside one month too.
    for (from, to) in [ranges[0], (d("2011-11-10"), d("2011-12-09"))] {
        let r = DateRange::new(from, to).unwrap();
        let all =
            report::top_products(store.conn(), &shop, r, report::RankBy::Revenue, 100_000).unwrap();
        let s = report::summary(store.conn(), &shop, r).unwrap();
        assert_eq!(
            all.iter().map(|p| p.revenue).sum::<i64>(),
            s.gross_sales,
            "{from}..{to}"
        );
        assert_eq!(
            all.iter().map(|p| p.units).sum::<i64>(),
            s.units,
            "{from}..{to}"
        );
    }
    let best = report::top_products(
        store.conn(),
        &shop,
        DateRange::new(ranges[0].0, ranges[0].1).unwrap(),
        report::RankBy::Revenue,
        1,
    )
    .unwrap();
    assert_eq!(best[0].sku.as_deref(), Some("22423"));
    assert_eq!(best[0].revenue, 17_448_474);

    // The figures the issue quotes for the whole year.
    assert_eq!(reading.expected[0].orders, 19_773);
    let year = report::summary(
        store.conn(),
        &shop,
        DateRange::new(ranges[0].0, ranges[0].1).unwrap(),
    )
    .unwrap();
    assert_eq!(
        merchant_desk::money::format_major(year.aov, "GBP"),
        "519.47"
    );

    // Demo assumptions: cost is 45% of the median selling price, every
    // merchandise item has a category and non-negative stock.
    for (sku, median) in &reading.medians {
        let cost: i64 = store
            .conn()
            .query_row(
                "SELECT cost_minor FROM variants WHERE sku = ?1",
                [sku],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cost, (median * 45 + 50) / 100, "{sku}");
    }
    let missing: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM variants v JOIN products p ON p.id = v.product_id
             WHERE p.kind = 'merchandise' AND (p.category IS NULL OR v.stock IS NULL OR v.stock < 0)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 0);
    let category: String = store
        .conn()
        .query_row(
            "SELECT p.category FROM products p WHERE p.external_id = '85123A'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(category, "Lighting");
    let non_merch: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM products WHERE kind != 'merchandise' AND category IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(non_merch, 0, "postage and fees get no demo category");

    // The demand model's back-test on the real file (docs/pricing-model.md):
    // the held-out and the naive units are the file's own, read
    // independently; the model beats "the same as before" and its 80 %
    // bands hold about 80 % of the held-out weeks.
    let now = chrono::Utc::now();
    let today = shop.today(now).unwrap();
    let mut windows = Vec::new();
    for weeks in [4u64, 8] {
        let cut = today - chrono::Days::new(7 * weeks);
        windows.push((cut + chrono::Days::new(1), today));
        windows.push((cut - chrono::Days::new(7 * weeks - 1), cut));
    }
    let reading = read_expected(&windows, &[]);
    for (i, weeks) in [4i64, 8].into_iter().enumerate() {
        let b = merchant_desk::pricing::backtest(store.conn(), &shop, now, weeks).unwrap();
        let actual: i64 = b.items.iter().map(|i| i.actual).sum();
        let naive: i64 = b.items.iter().map(|i| i.naive).sum();
        assert_eq!(
            actual,
            reading.expected[2 * i].units,
            "{weeks} weeks held out"
        );
        assert_eq!(
            naive,
            reading.expected[2 * i + 1].units,
            "{weeks} weeks before"
        );
        assert!(b.items.iter().all(|i| i.weekly.len() == weeks as usize));
        assert!(
            b.model_wape < b.naive_wape - 0.03,
            "{weeks} weeks: model {:.3}, naive {:.3}",
            b.model_wape,
            b.naive_wape
        );
        assert!(
            b.model_wape < b.reference_wape,
            "{weeks} weeks: model {:.3}, simple average {:.3}",
            b.model_wape,
            b.reference_wape
        );
        assert!(
            (0.7..=0.9).contains(&b.coverage_p10_p90),
            "{weeks} weeks: coverage {:.3}",
            b.coverage_p10_p90
        );
    }

    // Where a product's list price genuinely moved (two or more levels, each
    // held four weeks or more in weeks that sold, and 20 weeks with sales),
    // the model's elasticity agrees with a plain log-log regression of
    // weekly units on the weekly list price. The regression is noisy itself
    // (its standard error is about 0.5 for a typical product), so: the two
    // medians within 0.35; within 0.35 at the median where the regression
    // is precise (standard error ≤ 0.3); and the gaps within their combined
    // 90 % band for most products.
    let gaps = loglog_gaps(&store, &shop, now);
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ours = median(gaps.iter().map(|g| g.ours).collect());
    let plain = median(gaps.iter().map(|g| g.slope).collect());
    let precise: Vec<f64> = gaps
        .iter()
        .filter(|g| g.slope_se <= 0.3)
        .map(|g| (g.ours - g.slope).abs())
        .collect();
    let within_band = gaps
        .iter()
        .filter(|g| (g.ours - g.slope).abs() <= 1.645 * g.ours_se.hypot(g.slope_se))
        .count();
    eprintln!(
        "log-log on {} products: medians {ours:.3} and {plain:.3}; {} precise, median gap {:.3}; {within_band} within their band; {} within 0.35",
        gaps.len(),
        precise.len(),
        median(precise.clone()),
        gaps.iter().filter(|g| (g.ours - g.slope).abs() <= 0.35).count()
    );
    assert!(
        gaps.len() >= 100,
        "only {} products with moving prices",
        gaps.len()
    );
    assert!(
        (ours - plain).abs() <= 0.35,
        "medians {ours:.3} and {plain:.3}"
    );
    assert!(precise.len() >= 20, "{precise:?}");
    assert!(median(precise.clone()) <= 0.35, "{precise:?}");
    assert!(
        within_band * 100 >= gaps.len() * 85,
        "{within_band} of {}",
        gaps.len()
    );
}

/// A product's model elasticity beside the plain regression's slope.
struct Gap {
    ours: f64,
    ours_se: f64,
    slope: f64,
    slope_se: f64,
}

/// Products whose list price genuinely moved, each with its model
/// elasticity and the least-squares slope of log weekly units on log weekly
/// list price over the weeks that sold.
fn loglog_gaps(
    store: &merchant_desk::store::Store,
    shop: &merchant_desk::store::Shop,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Gap> {
    use merchant_desk::pricing::{self, data};
    let conn = store.conn();
    let today = shop.today(now).unwrap();
    let weeks = pricing::HISTORY_WEEKS;
    let prices = data::weekly_prices(conn, shop, today, weeks).unwrap();
    let sales = data::daily_sales(conn, shop, today, weeks * 7).unwrap();
    let estimates = pricing::elasticities(conn, shop, now, weeks).unwrap();
    let mut out = Vec::new();
    for e in &estimates {
        let units = data::weekly_units(sales.get(&e.variant_id), today, weeks);
        let Some(listed) = prices.get(&e.variant_id) else {
            continue;
        };
        let points: Vec<(f64, f64)> = units
            .iter()
            .zip(listed)
            .filter_map(|(u, w)| Some((w.price?.ln(), *u)).filter(|_| *u > 0.0))
            .map(|(p, u)| (p, u.ln()))
            .collect();
        if points.len() < 20 {
            continue;
        }
        // Levels: prices rounded to a penny, each held four sold weeks.
        let mut held: std::collections::HashMap<i64, usize> = Default::default();
        for (p, _) in &points {
            *held.entry((p.exp()).round() as i64).or_default() += 1;
        }
        if held.values().filter(|n| **n >= 4).count() < 2 {
            continue;
        }
        let n = points.len() as f64;
        let (mx, my) = (
            points.iter().map(|p| p.0).sum::<f64>() / n,
            points.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        if (sxx / n).sqrt() < 0.05 {
            continue;
        }
        let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
        let residual: f64 = points
            .iter()
            .map(|p| (p.1 - my - slope * (p.0 - mx)).powi(2))
            .sum::<f64>()
            / (n - 2.0);
        out.push(Gap {
            ours: e.elasticity,
            ours_se: e.std_error,
            slope,
            slope_se: (residual / sxx).sqrt(),
        });
    }
    out
}
