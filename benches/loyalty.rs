//! Rebuilding a loyalty programme's whole ledger (reading the orders and
//! refunds, replaying every customer) against the floor: reading the same
//! rows from SQLite with the same queries, in the same run. On the demo
//! shop, and on a generated shop of `--customers` customers and `--orders`
//! orders. Then the app's members table on each: a fresh desk's first page,
//! the pages after it, one member's ledger. Not a timed test: it prints
//! figures (docs/benchmarks.md).
//! `benches/loyalty.sh` builds the demo shop and runs it.
//!
//! `cargo bench --bench loyalty -- --db DEMO.sqlite [--customers 100000] [--orders 2000000] [--json]`

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{arg, median_ms, tempfile_dir};
use merchant_desk::error::Result;
use merchant_desk::loyalty::store::{MemberSort, MembersQuery};
use merchant_desk::loyalty::{self, ledger, programme::Programme};
use merchant_desk::service::Desk;
use merchant_desk::store::{Shop, Store};
use serde::Serialize;
use std::path::Path;

const PROGRAMME: &str = include_str!("../docs/examples/gift-club.toml");

#[derive(Debug, Serialize)]
struct Figures {
    orders: usize,
    customers: usize,
    /// Reading the rows only, milliseconds (median of 5).
    floor_ms: f64,
    /// Reading them into the ledger's inputs and replaying, milliseconds.
    ledger_ms: f64,
    ratio: f64,
    /// Of the ledger's time, reading the rows into its inputs only.
    read_ms: f64,
    ledger_lines: usize,
    /// The app's members table: a fresh desk's first page (the replay of
    /// standings, the customers' names, one page), milliseconds (median of 3).
    members_first_ms: f64,
    /// The pages after it (a search, a tier, a sort, the next page), served
    /// from the kept replay, milliseconds (median of 8).
    members_page_ms: f64,
    /// A page's JSON as the window receives it, kilobytes.
    members_page_kb: f64,
    /// One member's ledger (the customer with the most orders).
    member_ms: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    demo: Figures,
    generated: Figures,
}

/// The floor and the rebuild on one store.
fn measure(store: &mut Store, shop: &Shop) -> Result<Figures> {
    let conn = store.conn();
    let p = Programme::parse(PROGRAMME)?;
    let compiled = p.compile()?;
    let setting = loyalty::setting(shop)?;
    let now = Utc::now();
    let until = merchant_desk::time::fmt_utc(now);
    let floor_ms = median_ms(5, || {
        let mut n = 0i64;
        for sql in [loyalty::ORDER_LINES, loyalty::REFUNDS] {
            let mut stmt = conn.prepare(sql)?;
            let mut rows = stmt.query(rusqlite::params![shop.currency, until])?;
            while let Some(r) = rows.next()? {
                for i in 0..5 {
                    n = n.wrapping_add(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Integer(v) => v,
                        rusqlite::types::ValueRef::Text(t) => t.len() as i64,
                        _ => 1,
                    });
                }
            }
        }
        std::hint::black_box(n);
        Ok(())
    })?;
    let read_ms = median_ms(5, || {
        std::hint::black_box(loyalty::read_history(conn, shop, now)?);
        Ok(())
    })?;
    let mut lines = 0;
    let mut counts = (0, 0);
    let ledger_ms = median_ms(5, || {
        let history = loyalty::read_history(conn, shop, now)?;
        let r = ledger::replay(&compiled, setting, &history, now);
        lines = r.entries.len();
        counts = (history.orders.len(), r.standings.len());
        Ok(())
    })?;
    let stored = loyalty::store::create(store.conn(), &p, now)?;
    loyalty::store::launch(store.conn_mut(), shop, stored.id, Some("benchmark"), now)?;
    let path = store.path().to_path_buf();
    let members_first_ms = median_ms(3, || {
        let desk = Desk::for_file(path.clone(), false);
        std::hint::black_box(desk.loyalty_members_page(MembersQuery::default())?);
        Ok(())
    })?;
    let desk = Desk::for_file(path.clone(), false);
    let first = desk.loyalty_members_page(MembersQuery::default())?;
    let members_page_kb = serde_json::to_vec(&first).map_or(0, |v| v.len()) as f64 / 1e3;
    let asks = [
        ("7", None, MemberSort::Balance, 0),
        (
            "",
            first.tiers.last().map(|t| t.name.clone()),
            MemberSort::Earned,
            0,
        ),
        ("", None, MemberSort::Tier, 200),
        ("12", None, MemberSort::Customer, 0),
    ];
    let mut i = 0;
    let members_page_ms = median_ms(8, || {
        let (search, tier, sort, offset) = asks[i % asks.len()].clone();
        i += 1;
        let q = MembersQuery {
            search: search.into(),
            tier,
            sort,
            offset,
            limit: 200,
        };
        std::hint::black_box(serde_json::to_vec(&desk.loyalty_members_page(q)?).ok());
        Ok(())
    })?;
    let busiest: String = store.conn().query_row(
        "SELECT c.external_id FROM customers c JOIN orders o ON o.customer_id = c.id
         GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    let member_ms = median_ms(3, || {
        std::hint::black_box(desk.loyalty_member(busiest.clone())?);
        Ok(())
    })?;
    Ok(Figures {
        members_first_ms,
        members_page_ms,
        members_page_kb,
        member_ms,
        orders: counts.0,
        customers: counts.1,
        floor_ms,
        ledger_ms,
        read_ms,
        ratio: ledger_ms / floor_ms,
        ledger_lines: lines,
    })
}

/// A shop of `customers` customers and `orders` one- to three-line orders
/// over two years, 2 % of them refunded in part, written straight into a
/// new store.
fn generated(dir: &Path, customers: i64, orders: i64) -> Result<Store> {
    let path = dir.join("generated.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path)?;
    let shop = Shop {
        name: "Generated".into(),
        platform: "local".into(),
        currency: "GBP".into(),
        time_zone: "Europe/London".into(),
        demo: false,
        fixed_today: None,
    };
    let now = Utc::now();
    store.set_shop(&shop, now)?;
    let stamp = merchant_desk::time::fmt_utc(now);
    let tx = store.conn_mut().transaction()?;
    for i in 0..50i64 {
        tx.execute(
            "INSERT INTO products (id, source, external_id, title, category, created_at, updated_at)
             VALUES (?1, 'bench', ?1, 'Product', ?2, ?3, ?3)",
            rusqlite::params![i + 1, format!("Category {}", i % 8), stamp],
        )?;
        tx.execute(
            "INSERT INTO variants (id, product_id, source, external_id, sku, title, currency, price_minor, created_at, updated_at)
             VALUES (?1, ?1, 'bench', ?1, ?1, 'Variant', 'GBP', ?2, ?3, ?3)",
            rusqlite::params![i + 1, 199 + 100 * i, stamp],
        )?;
    }
    {
        let mut c = tx.prepare("INSERT INTO customers (id, source, external_id, created_at) VALUES (?1, 'bench', ?1, ?2)")?;
        for i in 1..=customers {
            c.execute(rusqlite::params![i, stamp])?;
        }
        let mut o = tx.prepare(
            "INSERT INTO orders (id, source, external_id, number, customer_id, placed_at, status, currency)
             VALUES (?1, 'bench', ?1, ?1, ?2, ?3, 'placed', 'GBP')",
        )?;
        let mut l = tx.prepare(
            "INSERT INTO order_lines (order_id, line_no, variant_id, quantity, unit_price_minor, line_total_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut r = tx.prepare(
            "INSERT INTO refunds (id, source, external_id, number, kind, order_id, customer_id, created_at, currency)
             VALUES (?1, 'bench', ?1, ?1, 'refund', ?2, ?3, ?4, 'GBP')",
        )?;
        let mut rl = tx.prepare(
            "INSERT INTO refund_lines (refund_id, line_no, variant_id, quantity, unit_price_minor, amount_minor)
             VALUES (?1, 1, ?2, 1, ?3, ?3)",
        )?;
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let span = 2 * 365 * 24 * 3600i64;
        let mut state = 0x2545F4914F6CDD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut refund = 0i64;
        for id in 1..=orders {
            // Orders in time order; customers drawn unevenly (some buy often).
            let at = start + Duration::seconds(span * id / orders);
            let customer =
                1 + ((next() % customers as u64) * (next() % customers as u64)) as i64 / customers;
            o.execute(rusqlite::params![
                id,
                customer.max(1),
                merchant_desk::time::fmt_utc(at)
            ])?;
            let lines = 1 + next() % 3;
            for line in 0..lines {
                let v = 1 + (next() % 50) as i64;
                let q = 1 + (next() % 4) as i64;
                let price = 199 + 100 * (v - 1);
                l.execute(rusqlite::params![
                    id,
                    line as i64 + 1,
                    v,
                    q,
                    price,
                    q * price
                ])?;
            }
            if next() % 50 == 0 {
                refund += 1;
                let v = 1 + (next() % 50) as i64;
                r.execute(rusqlite::params![
                    refund,
                    id,
                    customer.max(1),
                    merchant_desk::time::fmt_utc(at + Duration::days(3))
                ])?;
                rl.execute(rusqlite::params![refund, v, 199 + 100 * (v - 1)])?;
            }
        }
    }
    tx.commit()?;
    Ok(store)
}

fn main() {
    let db = arg("--db", "");
    if db.is_empty() {
        eprintln!("error: give --db with a shop database (benches/loyalty.sh builds the demo)");
        std::process::exit(2);
    }
    let customers: i64 = arg("--customers", "100000")
        .parse()
        .expect("--customers is a whole number");
    let orders: i64 = arg("--orders", "2000000")
        .parse()
        .expect("--orders is a whole number");
    let run = || -> Result<Report> {
        let mut demo_store = Store::open(Path::new(&db))?;
        let shop = demo_store.require_shop()?;
        let demo = measure(&mut demo_store, &shop)?;
        let dir = tempfile_dir()?;
        eprintln!("writing a shop of {customers} customers and {orders} orders…");
        let mut g = generated(&dir, customers, orders)?;
        let shop = g.require_shop()?;
        let generated = measure(&mut g, &shop)?;
        drop(g);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(Report { demo, generated })
    };
    common::report(run(), |r| {
        for (name, f) in [("demo shop", &r.demo), ("generated shop", &r.generated)] {
            println!(
                "{name}: {} orders, {} customers, {} ledger lines; floor {:.0} ms, ledger {:.0} ms (reading {:.0} ms), ratio {:.2}; members table: first page {:.0} ms, next pages {:.1} ms ({:.0} kB), one member's ledger {:.0} ms",
                f.orders, f.customers, f.ledger_lines, f.floor_ms, f.ledger_ms, f.read_ms, f.ratio,
                f.members_first_ms, f.members_page_ms, f.members_page_kb, f.member_ms
            );
        }
    });
}
