//! Sync benchmark: the Online Retail–sized Shopify fake on loopback,
//! throttling at Shopify's standard rate (a 2,000-point bucket refilled at
//! 100 points a second).
//!
//! ```sh
//! cargo bench --profile dev --bench sync
//! ```
//!
//! 1. A full sync (bulk operations) into a fresh store: total time, the time
//!    from the first record to the last, and rows written per second, against
//!    the CSV importer's rows per second on the same file in the same process.
//! 2. Paged pulls of every product and customer (the incremental path, from
//!    long ago): time against the minimum the bucket allows for the query
//!    costs charged, `(Σ actual cost − bucket level at start) / restore rate`.
//!
//! A benchmark, not a test: it prints figures and fails on nothing timed.

use shopify_fake as fake;

use chrono::Utc;
use merchant_desk::import::{self, Control, ImportKind};
use merchant_desk::store::{Shop, Store};
use merchant_desk::storefront::secret::Secret;
use merchant_desk::storefront::shopify::client::{Auth, Tuning};
use merchant_desk::storefront::shopify::Shopify;
use merchant_desk::storefront::{Checkpoint, Entity, Storefront};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

const TABLES: [&str; 7] = [
    "products",
    "variants",
    "customers",
    "orders",
    "order_lines",
    "refunds",
    "refund_lines",
];

fn rows(store: &Store) -> i64 {
    TABLES
        .iter()
        .map(|t| {
            store
                .conn()
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .expect("count")
        })
        .sum()
}

fn client(url: &str) -> Shopify {
    Shopify::new(
        url,
        Auth::Token(Secret::new(fake::TOKEN).expect("token")),
        Tuning::default(),
        Arc::new(AtomicBool::new(false)),
    )
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let never = AtomicBool::new(false);

    // Reference: the CSV importer on the same file, same process.
    let mut reference = Store::open(&dir.path().join("import.sqlite")).expect("store");
    reference.set_shop(&shop(), Utc::now()).expect("shop");
    let started = Instant::now();
    import::import_file(
        &mut reference,
        ImportKind::OnlineRetail,
        &fake::data_file(),
        &mut Control::new(&never, |_| {}),
        Utc::now(),
    )
    .expect("import");
    let import_s = started.elapsed().as_secs_f64();
    let import_rows = rows(&reference);
    drop(reference);

    let shopify = fake::FakeShop::start(fake::Options {
        invoices: None,
        ..fake::Options::default()
    });
    let (p, c, o) = shopify.counts();
    println!("fake: {p} products, {c} customers, {o} orders; bucket 2000, restore 100/s");

    // 1. Full sync through bulk operations.
    let mut store = Store::open(&dir.path().join("sync.sqlite")).expect("store");
    store.set_shop(&shop(), Utc::now()).expect("shop");
    let mut sf = client(&shopify.url);
    let mut first_data: Vec<(Entity, Instant, Instant)> = Vec::new();
    let started = Instant::now();
    let report = merchant_desk::sync::sync(&mut store, &mut sf, false, &never, |p| {
        if p.done == 0 {
            return;
        }
        let now = Instant::now();
        match first_data.last_mut() {
            Some((e, _, last)) if *e == p.entity => *last = now,
            _ => first_data.push((p.entity, now, now)),
        }
    })
    .expect("full sync");
    let total_s = started.elapsed().as_secs_f64();
    let streaming_s: f64 = first_data
        .iter()
        .map(|(_, a, b)| b.duration_since(*a).as_secs_f64())
        .sum();
    let sync_rows = rows(&store);
    let stats = sf.stats().clone();
    let bulk_min = minimum(&stats);
    println!(
        "full sync: {total_s:.2} s for {} products, {} customers, {} orders ({} requests, {:.0} cost points, bucket minimum {bulk_min:.2} s, {} throttled)",
        report.products, report.customers, report.orders, stats.requests, stats.cost, stats.throttled
    );
    println!(
        "  first record to last: {streaming_s:.2} s; {sync_rows} rows written: {:.0} rows/s (whole sync {:.0} rows/s)",
        sync_rows as f64 / streaming_s,
        sync_rows as f64 / total_s
    );
    println!(
        "  reference: CSV import of the same file {import_s:.2} s, {import_rows} rows: {:.0} rows/s; ratio sync/import rows per second {:.2}",
        import_rows as f64 / import_s,
        (sync_rows as f64 / streaming_s) / (import_rows as f64 / import_s)
    );

    // 2. Paged pulls from long ago: bound by the bucket.
    for entity in [Entity::Products, Entity::Customers] {
        let mut sf = client(&shopify.url);
        let from = Checkpoint {
            since: Some("2000-01-01T00:00:00Z".into()),
            ..Checkpoint::default()
        };
        let mut records = 0usize;
        let started = Instant::now();
        sf.pull(entity, &from, &mut |batch, _, _| {
            records += batch.len();
            Ok(())
        })
        .expect("paged pull");
        let took = started.elapsed().as_secs_f64();
        let stats = sf.stats().clone();
        let min = minimum(&stats);
        println!(
            "paged {}: {records} records, {} requests, {:.0} cost points, {took:.1} s against a bucket minimum of {min:.1} s: ratio {:.3} ({} throttled, {:.1} s paced)",
            entity.name(),
            stats.requests,
            stats.cost,
            took / min,
            stats.throttled,
            stats.paced.as_secs_f64()
        );
    }
}

/// The least time the bucket allows for the cost charged: what the bucket
/// held at the start is free, the rest refills at the restore rate.
fn minimum(stats: &merchant_desk::storefront::shopify::client::Stats) -> f64 {
    let rate = stats.restore_rate.unwrap_or(100.0);
    let start = stats.first_available.unwrap_or(2000.0);
    ((stats.cost - start) / rate).max(0.0)
}

fn shop() -> Shop {
    Shop {
        name: "Benchmark".into(),
        platform: "local".into(),
        currency: "GBP".into(),
        time_zone: "Europe/London".into(),
        demo: false,
        fixed_today: None,
    }
}
