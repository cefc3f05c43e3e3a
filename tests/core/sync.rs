//! Sync, push, journal and revert against the loopback Shopify fake.

use crate::fake::{self, gid, FakeShop, Fault, Options};
use crate::fixtures::{count, shop, temp_store};
use chrono::Utc;
use merchant_desk::journal::{self, Change, RevertScope, Why};
use merchant_desk::store::Store;
use merchant_desk::storefront::secret::Secret;
use merchant_desk::storefront::shopify::client::{Auth, Tuning};
use merchant_desk::storefront::shopify::Shopify;
use merchant_desk::storefront::{
    Discount, DiscountMethod, DiscountValue, Items, Metafield, Minimum, Price, Storefront, Target,
    Value,
};
use merchant_desk::sync::{self, SyncReport};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

fn quick() -> Tuning {
    Tuning {
        request_timeout: Duration::from_millis(1500),
        attempts: 6,
        backoff: Duration::from_millis(20),
        poll: Duration::from_millis(20),
    }
}

pub(crate) fn client(fake: &FakeShop) -> Shopify {
    Shopify::new(
        &fake.url,
        Auth::Token(Secret::new(fake::TOKEN).unwrap()),
        quick(),
        Arc::new(AtomicBool::new(false)),
    )
}

fn ready_store() -> crate::fixtures::TempStore {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("GBP", "Europe/London"), Utc::now())
        .unwrap();
    t
}

/// A fake seeded with `invoices` invoices, and a store synced from it.
pub(crate) fn synced(invoices: usize) -> (FakeShop, crate::fixtures::TempStore, Shopify) {
    let fake = FakeShop::start(Options {
        invoices: Some(invoices),
        ..Options::default()
    });
    let mut t = ready_store();
    let mut sf = client(&fake);
    run(&mut t.store, &mut sf, false).unwrap();
    (fake, t, sf)
}

pub(crate) fn run(
    store: &mut Store,
    sf: &mut Shopify,
    full: bool,
) -> merchant_desk::Result<SyncReport> {
    sync::sync(store, sf, full, &AtomicBool::new(false), |_| {})
}

fn shopify_count(store: &Store, table: &str) -> i64 {
    store
        .conn()
        .query_row(
            &format!("SELECT count(*) FROM {table} WHERE source = 'shopify'"),
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn local_price(store: &Store, variant: u64) -> (i64, Option<i64>) {
    store
        .conn()
        .query_row(
            "SELECT price_minor, compare_at_minor FROM variants WHERE external_id = ?1",
            [gid("ProductVariant", variant)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// Everything synced, as text: equal texts mean equal copies.
fn digest(store: &Store) -> String {
    let q = |sql: &str| -> String {
        let mut stmt = store.conn().prepare(sql).unwrap();
        let rows = stmt
            .query_map([], |r| {
                let n = r.as_ref().column_count();
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
    };
    [
        "SELECT external_id, title, active FROM products ORDER BY external_id",
        "SELECT external_id, sku, price_minor, compare_at_minor FROM variants ORDER BY external_id",
        "SELECT external_id, name, email, country, tags FROM customers ORDER BY external_id",
        "SELECT o.external_id, o.number, o.placed_at, o.status, (SELECT count(*) || ':' || sum(line_total_minor) FROM order_lines WHERE order_id = o.id) FROM orders o ORDER BY o.external_id",
        "SELECT r.external_id, (SELECT sum(amount_minor) FROM refund_lines WHERE refund_id = r.id) FROM refunds r ORDER BY r.external_id",
        "SELECT day, count(*), sum(gross_minor) FROM sales_by_order GROUP BY day ORDER BY day",
        "SELECT external_id, definition FROM discounts ORDER BY external_id",
    ]
    .iter()
    .map(|s| q(s))
    .collect::<Vec<_>>()
    .join("\n--\n")
}

#[test]
fn full_then_incremental_sync_follows_upstream_edits() {
    let fake = FakeShop::start(Options::default());
    let (products, customers, orders) = fake.counts();
    assert!(products > 300 && orders > 300, "{products} {orders}");
    let mut t = ready_store();
    let mut sf = client(&fake);
    let report = run(&mut t.store, &mut sf, false).unwrap();
    assert!(report.full);
    assert_eq!(report.products as usize, products);
    assert_eq!(report.customers as usize, customers);
    assert_eq!(report.orders as usize, orders);
    assert_eq!(shopify_count(&t.store, "orders") as usize, orders);
    let lines: i64 = fake
        .state
        .lock()
        .unwrap()
        .orders
        .values()
        .map(|o| o.lines.len() as i64)
        .sum();
    assert_eq!(count(&t.store, "order_lines"), lines);
    let shop = t.store.require_shop().unwrap();
    assert_eq!(shop.name, "Online Retail (fake Shopify)");
    assert!(count(&t.store, "sales_by_order") > 0);

    // Nothing changed upstream: an incremental sync writes nothing new
    // beyond the records at the high-water second.
    let again = run(&mut t.store, &mut sf, false).unwrap();
    assert!(!again.full);
    assert!(again.orders < 5, "{again:?}");

    // Edit upstream: a price, an order's line, a refund, a cancellation, a tag.
    let (variant, order_a, order_b, customer) = {
        let mut s = fake.state.lock().unwrap();
        let t1 = s.tick();
        let p = s.products.values_mut().next().unwrap();
        p.variants[0].price = 12345;
        p.updated = t1;
        let variant = p.variants[0].id;
        let t2 = s.tick();
        let mut ids = s.orders.keys().copied();
        let (a, b) = (ids.next().unwrap(), ids.nth(3).unwrap());
        let o = s.orders.get_mut(&a).unwrap();
        o.lines[0].quantity += 10;
        let line = o.lines[0].id;
        let amount = o.lines[0].price;
        o.refunds.push(fake::Refund {
            id: 999_001,
            created: t2,
            lines: vec![(line, 1, amount)],
        });
        o.updated = t2;
        let t3 = s.tick();
        let ob = s.orders.get_mut(&b).unwrap();
        ob.cancelled = Some(t3);
        ob.updated = t3;
        let t4 = s.tick();
        let c = s.customers.values_mut().next().unwrap();
        c.tags.push("vip".into());
        c.updated = t4;
        (variant, a, b, c.id)
    };
    let inc = run(&mut t.store, &mut sf, false).unwrap();
    assert!(!inc.full);
    assert!(
        inc.products >= 1 && inc.orders >= 2 && inc.customers >= 1,
        "{inc:?}"
    );
    assert!(
        inc.orders < 10,
        "only the changed orders are pulled: {inc:?}"
    );
    assert_eq!(local_price(&t.store, variant).0, 12345);
    let conn = t.store.conn();
    let (status_b, qty_a): (String, i64) = conn
        .query_row(
            "SELECT (SELECT status FROM orders WHERE external_id = ?2),
                    (SELECT quantity FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.external_id = ?1 AND l.line_no = 1)",
            [gid("Order", order_a), gid("Order", order_b)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status_b, "cancelled");
    let upstream_qty = fake.state.lock().unwrap().orders[&order_a].lines[0].quantity;
    assert_eq!(qty_a, upstream_qty);
    let refunded: i64 = conn
        .query_row(
            "SELECT count(*) FROM refunds WHERE external_id = ?1",
            [gid("Refund", 999_001)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(refunded, 1);
    let tags: String = conn
        .query_row(
            "SELECT tags FROM customers WHERE external_id = ?1",
            [gid("Customer", customer)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tags, "[\"vip\"]");

    // A forced full sync gives the same copy as the incremental ones did.
    let before = digest(&t.store);
    let full = run(&mut t.store, &mut sf, true).unwrap();
    assert!(full.full);
    assert_eq!(digest(&t.store), before);
}

/// Puts `n` automatic discounts of 1 % to n % off everything in the fake.
fn seed_discounts(fake: &FakeShop, n: u64) {
    let mut s = fake.state.lock().unwrap();
    for i in 1..=n {
        s.discounts.insert(
            5_000 + i,
            (
                "automatic".into(),
                serde_json::json!({"title": format!("Seeded {i}"), "startsAt": fake::time(0),
                    "endsAt": null, "customerGets": {"value": {"percentage": i as f64 / 100.0},
                    "items": {"all": true}}}),
            ),
        );
    }
}

fn local_discount_titles(store: &Store) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare("SELECT coalesce(json_extract(definition, '$.title'), json_extract(definition, '$.other.title')) FROM discounts ORDER BY external_id")
        .unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(|r| r.unwrap()).collect()
}

fn fake_discount_titles(fake: &FakeShop) -> Vec<String> {
    let s = fake.state.lock().unwrap();
    let mut v: Vec<(String, String)> = s
        .discounts
        .iter()
        .map(|(id, (_, i))| {
            (
                format!("gid://shopify/DiscountAutomaticNode/{id}"),
                i["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, t)| t).collect()
}

#[test]
fn discounts_are_pulled_whole_across_pages_and_deletions_follow() {
    let fake = FakeShop::start(Options {
        invoices: Some(20),
        ..Options::default()
    });
    seed_discounts(&fake, 10);
    let mut t = ready_store();
    let mut sf = client(&fake);
    let report = run(&mut t.store, &mut sf, false).unwrap();
    assert_eq!(report.discounts, 10, "three pages of four");
    assert_eq!(local_discount_titles(&t.store), fake_discount_titles(&fake));
    let seeded: merchant_desk::storefront::Discount = serde_json::from_str(
        &t.store
            .conn()
            .query_row(
                "SELECT definition FROM discounts WHERE external_id = 'gid://shopify/DiscountAutomaticNode/5007'",
                [],
                |r| r.get::<_, String>(0),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        seeded.value,
        merchant_desk::storefront::DiscountValue::Percentage { basis_points: 700 }
    );
    assert_eq!(seeded.items, merchant_desk::storefront::Items::All);

    // Deleted upstream: gone after the next pull; a new one arrives.
    {
        let mut s = fake.state.lock().unwrap();
        for id in [5_001, 5_005, 5_010] {
            s.discounts.remove(&id);
        }
    }
    fake.state.lock().unwrap().discounts.insert(
        5_011,
        (
            "bxgy".into(),
            serde_json::json!({"title": "Buy 2 get 1", "startsAt": fake::time(0), "endsAt": null}),
        ),
    );
    assert_eq!(run(&mut t.store, &mut sf, false).unwrap().discounts, 8);
    assert_eq!(local_discount_titles(&t.store), fake_discount_titles(&fake));
    let others = merchant_desk::storefront::local::other_discounts_overlapping(
        t.store.conn(),
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
    )
    .unwrap();
    assert_eq!(others.len(), 1);
    assert_eq!(
        (others[0].kind.as_str(), others[0].automatic),
        ("buy X get Y", true)
    );

    // Stopped after the first page of a pull, then resumed: deletions on
    // the later pages still follow, nothing is doubled.
    {
        let mut s = fake.state.lock().unwrap();
        for id in [5_008, 5_009] {
            s.discounts.remove(&id);
        }
    }
    let cancel = AtomicBool::new(false);
    let err = sync::sync(&mut t.store, &mut sf, false, &cancel, |p| {
        if p.entity == merchant_desk::storefront::Entity::Discounts && p.done > 0 {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    })
    .unwrap_err();
    assert_eq!(err.code(), "cancelled", "{err}");
    assert_eq!(
        local_discount_titles(&t.store).len(),
        8,
        "nothing removed mid-pull"
    );
    run(&mut t.store, &mut sf, false).unwrap();
    assert_eq!(local_discount_titles(&t.store), fake_discount_titles(&fake));
    assert_eq!(local_discount_titles(&t.store).len(), 6);
}

#[test]
fn faults_end_in_a_complete_sync_or_a_resumable_error() {
    let fake = FakeShop::start(Options {
        invoices: Some(150),
        ..Options::default()
    });
    seed_discounts(&fake, 6);
    let mut reference = ready_store();
    run(&mut reference.store, &mut client(&fake), false).unwrap();
    let want = digest(&reference.store);

    // Transient faults of every kind: retried, and the copy is exact.
    for f in [
        Fault::Status(500),
        Fault::Status(503),
        Fault::Reset,
        Fault::Garbage,
        Fault::TooMany,
        Fault::Stall(Duration::from_millis(2500)),
    ] {
        fake.fault(f);
    }
    fake.bulk_fault(Fault::CutAfter(40));
    let mut t = ready_store();
    let mut sf = client(&fake);
    if let Err(e) = run(&mut t.store, &mut sf, false) {
        panic!("{e} {:?}", sf.stats());
    }
    assert_eq!(digest(&t.store), want);
    assert!(sf.stats().retries >= 5, "{:?}", sf.stats());

    // A fault that outlasts the retries: a clear error, then a resume.
    let mut t = ready_store();
    let mut sf = client(&fake);
    run(&mut t.store, &mut sf, false).unwrap();
    {
        let mut s = fake.state.lock().unwrap();
        let t1 = s.tick();
        for o in s.orders.values_mut().take(30) {
            o.updated = t1;
        }
    }
    for _ in 0..6 {
        fake.fault(Fault::Status(502));
    }
    let err = run(&mut t.store, &mut sf, false).unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
    assert!(err.to_string().contains("resumes"), "{err}");
    let last = sync::last_run(t.store.conn()).unwrap().unwrap();
    assert_eq!(last.status, "failed");
    run(&mut t.store, &mut sf, false).unwrap();
    let mut reference = ready_store();
    run(&mut reference.store, &mut client(&fake), false).unwrap();
    assert_eq!(digest(&t.store), digest(&reference.store));
}

#[test]
fn the_bucket_throttles_and_the_client_paces_inside_it() {
    // A small bucket: paged pulls must wait for it to refill.
    let fake = FakeShop::start(Options {
        invoices: Some(60),
        bucket: 1000.0,
        restore_rate: 2000.0,
        ..Options::default()
    });
    let mut t = ready_store();
    let mut sf = client(&fake);
    // Start incremental from long ago: every record, through cursor pages.
    t.store
        .conn()
        .execute_batch(
            "INSERT INTO sync_state (entity, checkpoint, updated_at) VALUES
             ('products', '{\"done\":true,\"high_water\":\"2000-01-01T00:00:00Z\"}', 'x'),
             ('customers', '{\"done\":true,\"high_water\":\"2000-01-01T00:00:00Z\"}', 'x'),
             ('orders', '{\"done\":true,\"high_water\":\"2000-01-01T00:00:00Z\"}', 'x');",
        )
        .unwrap();
    let report = run(&mut t.store, &mut sf, false).unwrap();
    assert!(!report.full);
    let (p, c, o) = fake.counts();
    assert_eq!(
        (
            report.products as usize,
            report.customers as usize,
            report.orders as usize
        ),
        (p, c, o)
    );
    let stats = sf.stats().clone();
    assert!(stats.paced > Duration::ZERO, "{stats:?}");
    // Pacing keeps throttled answers rare (the first estimate of a new
    // operation's cost can still miss).
    let throttled = fake.state.lock().unwrap().throttled;
    assert!(throttled <= 3, "throttled {throttled} times");

    // The fake really throttles a client that does not pace.
    let body =
        serde_json::json!({"operationName": "OrdersPage", "query": "", "variables": {"first": 4}});
    let client =
        merchant_desk::storefront::shopify::client::http_client(Duration::from_secs(10)).unwrap();
    let mut throttled_seen = false;
    for _ in 0..5 {
        let r = client
            .post(format!("{}/admin/api/2026-10/graphql.json", fake.url))
            .header("X-Shopify-Access-Token", fake::TOKEN)
            .body(body.to_string())
            .send()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.text().unwrap()).unwrap();
        assert!(v["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].is_number());
        throttled_seen |= v["errors"][0]["extensions"]["code"] == "THROTTLED";
    }
    assert!(throttled_seen);
}

fn price_change(store: &Store, fake: &FakeShop, price: i64) -> (Change, u64) {
    let s = fake.state.lock().unwrap();
    let p = s.products.values().nth(2).unwrap();
    let v = p.variants[0].clone();
    let change =
        journal::price_change(store.conn(), &v.sku, price, Some(price + 100), true).unwrap();
    assert_eq!(
        change.target,
        Target::VariantPrice {
            product: gid("Product", p.id),
            variant: gid("ProductVariant", v.id)
        }
    );
    (change, v.id)
}

fn why() -> Why {
    Why {
        playbook: "manual".into(),
        reason: "test".into(),
    }
}

#[test]
fn push_pull_revert_pull_restores_prior_values() {
    let (fake, mut t, mut sf) = synced(100);
    let (change, variant) = price_change(&t.store, &fake, 777);
    let before = local_price(&t.store, variant);
    let customer = *fake.state.lock().unwrap().customers.keys().next().unwrap();
    let tags = journal::tags_change(
        t.store.conn(),
        &gid("Customer", customer),
        &["vip".into(), "gold".into()],
        &[],
    )
    .unwrap();
    let meta = Change {
        target: Target::Metafield {
            owner: gid("Product", 1),
            namespace: "merchant_desk".into(),
            key: "floor".into(),
        },
        label: "Price floor".into(),
        value: Value::Metafield(Some(Metafield {
            r#type: "number_integer".into(),
            value: "250".into(),
        })),
    };
    let discount = Discount {
        title: "Winter 10".into(),
        method: DiscountMethod::Code,
        code: Some("WINTER10".into()),
        value: DiscountValue::Percentage { basis_points: 1000 },
        minimum: Minimum::Quantity { quantity: 3 },
        items: Items::Some {
            products: vec![gid("Product", 1)],
            variants: vec![],
        },
        starts_at: "2026-12-01T00:00:00Z".into(),
        ends_at: Some("2026-12-31T23:00:00Z".into()),
        usage_limit: Some(50),
        once_per_customer: false,
        customers: Vec::new(),
    };
    let create = Change {
        target: Target::Discount { id: None },
        label: "Discount Winter 10".into(),
        value: Value::Discount(Some(discount.clone())),
    };
    let bad = Change {
        target: Target::Metafield {
            owner: gid("Product", 1),
            namespace: "merchant_desk".into(),
            key: "n".into(),
        },
        label: "Bad number".into(),
        value: Value::Metafield(Some(Metafield {
            r#type: "number_integer".into(),
            value: "abc".into(),
        })),
    };
    let conn = t.store.conn();
    let entries = journal::push(
        conn,
        &mut sf,
        vec![change, tags, meta, create, bad],
        &why(),
        Utc::now(),
    )
    .unwrap();
    let status: Vec<&str> = entries.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(
        status,
        ["confirmed", "confirmed", "confirmed", "confirmed", "failed"]
    );
    assert!(
        entries[4].error.as_deref().unwrap().contains("integer"),
        "{:?}",
        entries[4].error
    );
    assert_eq!(
        entries[0].prior,
        Value::Price(Price {
            price_minor: before.0,
            compare_at_minor: before.1
        })
    );
    let Target::Discount {
        id: Some(discount_id),
    } = entries[3].target.clone()
    else {
        panic!("no id")
    };
    // The store has it, and so does the local copy, before any pull.
    {
        let s = fake.state.lock().unwrap();
        let v = s
            .products
            .values()
            .flat_map(|p| &p.variants)
            .find(|v| v.id == variant)
            .unwrap();
        assert_eq!((v.price, v.compare_at), (777, Some(877)));
        let mut tags = s.customers[&customer].tags.clone();
        tags.sort();
        assert_eq!(tags, ["gold", "vip"]);
        assert_eq!(s.discounts.len(), 1);
    }
    assert_eq!(local_price(&t.store, variant), (777, Some(877)));
    assert_eq!(entries[3].new, Value::Discount(Some(discount)));
    drop(entries);
    run(&mut t.store, &mut sf, false).unwrap();
    assert_eq!(local_price(&t.store, variant), (777, Some(877)));

    // Revert the whole batch: every prior value is back, upstream and here.
    let batch = journal::list(t.store.conn(), 10).unwrap()[0].batch;
    let reverted = journal::revert(
        t.store.conn(),
        &mut sf,
        RevertScope::Batch(batch),
        false,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(reverted.len(), 4);
    assert!(reverted
        .iter()
        .all(|e| e.status == "confirmed" && e.revert_of.is_some()));
    {
        let s = fake.state.lock().unwrap();
        let v = s
            .products
            .values()
            .flat_map(|p| &p.variants)
            .find(|v| v.id == variant)
            .unwrap();
        assert_eq!((v.price, v.compare_at), before);
        assert!(s.customers[&customer].tags.is_empty());
        assert!(s.discounts.is_empty());
        assert!(s.metafields.is_empty());
    }
    run(&mut t.store, &mut sf, false).unwrap();
    assert_eq!(local_price(&t.store, variant), before);
    let all = journal::list(t.store.conn(), 20).unwrap();
    assert_eq!(all.iter().filter(|e| e.status == "reverted").count(), 4);
    assert!(
        sf.read(&[Target::Discount {
            id: Some(discount_id)
        }])
        .unwrap()[0]
            == Value::Discount(None)
    );
}

#[test]
fn reverting_a_value_changed_upstream_warns_first() {
    let (fake, t, mut sf) = synced(50);
    let (change, variant) = price_change(&t.store, &fake, 555);
    let before = local_price(&t.store, variant).0;
    let e = journal::push(t.store.conn(), &mut sf, vec![change], &why(), Utc::now())
        .unwrap()
        .remove(0);
    fake.state
        .lock()
        .unwrap()
        .variant_mut(variant)
        .unwrap()
        .price = 600;
    let err = journal::revert(
        t.store.conn(),
        &mut sf,
        RevertScope::Entry(e.id),
        false,
        Utc::now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("6.00 GBP"), "{err}");
    assert_eq!(
        fake.state
            .lock()
            .unwrap()
            .variant_mut(variant)
            .unwrap()
            .price,
        600
    );
    journal::revert(
        t.store.conn(),
        &mut sf,
        RevertScope::Entry(e.id),
        true,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        fake.state
            .lock()
            .unwrap()
            .variant_mut(variant)
            .unwrap()
            .price,
        before
    );
    let err = journal::revert(
        t.store.conn(),
        &mut sf,
        RevertScope::Entry(e.id),
        true,
        Utc::now(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("reverted"), "{err}");
}

#[test]
fn an_interrupted_push_is_settled_by_reading_back_never_sent_twice() {
    let (fake, t, mut sf) = synced(50);
    // The store applies the creation but the answer is lost.
    let d = Discount {
        title: "Lost answer".into(),
        method: DiscountMethod::Automatic,
        code: None,
        value: DiscountValue::Amount {
            amount_minor: 500,
            each_item: false,
        },
        minimum: Minimum::Subtotal { amount_minor: 5000 },
        items: Items::All,
        starts_at: "2026-12-01T00:00:00Z".into(),
        ends_at: None,
        usage_limit: None,
        once_per_customer: false,
        customers: Vec::new(),
    };
    let create = Change {
        target: Target::Discount { id: None },
        label: "Discount".into(),
        value: Value::Discount(Some(d)),
    };
    // ReadNodes is skipped for discounts: the next request is the create.
    fake.fault(Fault::DropAnswer);
    let err = journal::push(t.store.conn(), &mut sf, vec![create], &why(), Utc::now()).unwrap_err();
    assert_eq!(err.code(), "network");
    assert_eq!(journal::pending(t.store.conn()).unwrap().len(), 1);
    // A price push that never reached the store (every attempt reset).
    let (change, variant) = price_change(&t.store, &fake, 4242);
    // The read of the prior value gets through; every send is reset.
    fake.fault(Fault::Pass);
    for _ in 0..6 {
        fake.fault(Fault::Reset);
    }
    let _ = journal::push(t.store.conn(), &mut sf, vec![change], &why(), Utc::now());
    fake.state.lock().unwrap().faults.clear();
    assert_ne!(
        fake.state
            .lock()
            .unwrap()
            .variant_mut(variant)
            .unwrap()
            .price,
        4242
    );

    let settled = journal::reconcile(t.store.conn(), &mut sf).unwrap();
    let status: Vec<&str> = settled.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(status.len(), 2, "{settled:?}");
    assert_eq!(status[0], "confirmed");
    assert!(matches!(
        settled[0].target,
        Target::Discount { id: Some(_) }
    ));
    assert_eq!(
        fake.state.lock().unwrap().discounts.len(),
        1,
        "created once"
    );
    assert_eq!(status[1], "not_applied");
    assert!(journal::pending(t.store.conn()).unwrap().is_empty());
}

#[test]
fn client_credentials_are_exchanged_and_refreshed() {
    let fake = FakeShop::start(Options {
        invoices: Some(20),
        grant_lifetime: 1,
        ..Options::default()
    });
    let mut t = ready_store();
    let mut sf = Shopify::new(
        &fake.url,
        Auth::ClientCredentials {
            client_id: fake::CLIENT_ID.into(),
            secret: Secret::new(fake::CLIENT_SECRET).unwrap(),
        },
        quick(),
        Arc::new(AtomicBool::new(false)),
    );
    run(&mut t.store, &mut sf, false).unwrap();
    assert!(
        fake.state.lock().unwrap().grants >= 2,
        "a token that expires is replaced"
    );
    let mut wrong = Shopify::new(
        &fake.url,
        Auth::ClientCredentials {
            client_id: fake::CLIENT_ID.into(),
            secret: Secret::new("wrong_secret_value").unwrap(),
        },
        quick(),
        Arc::new(AtomicBool::new(false)),
    );
    let err = wrong.shop_info().unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(!err.to_string().contains("wrong_secret_value"));
    let mut bad_token = Shopify::new(
        &fake.url,
        Auth::Token(Secret::new("shpat_not_this_one").unwrap()),
        quick(),
        Arc::new(AtomicBool::new(false)),
    );
    let err = bad_token.shop_info().unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(!err.to_string().contains("shpat_not_this_one"));
}

pub(crate) fn cli(db: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(crate::cli_bin());
    c.arg("--db")
        .arg(db)
        .args(args)
        .env("FAKE_SHOPIFY_TOKEN", fake::TOKEN);
    c
}

pub(crate) fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap_or_default();
    for ext in ["-wal", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(ext);
        all.extend(std::fs::read(std::path::PathBuf::from(p)).unwrap_or_default());
    }
    all
}

#[test]
fn the_cli_connects_syncs_pushes_and_reverts_without_keeping_the_token() {
    let fake = FakeShop::start(Options {
        invoices: Some(80),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let refused = cli(
        &db,
        &[
            "connect",
            "shopify",
            "--shop",
            "http://example.com",
            "--token-env",
            "FAKE_SHOPIFY_TOKEN",
        ],
    )
    .output()
    .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("plain HTTP"));
    // The store writes money its own way (Shopify's money format, with the
    // HTML a theme may wrap it in); the CLI's text follows it.
    fake.state.lock().unwrap().money_format =
        "<span class=money>£{{amount_with_comma_separator}}</span>".into();
    let out = ok(&mut cli(
        &db,
        &[
            "connect",
            "shopify",
            "--shop",
            &fake.url,
            "--token-env",
            "FAKE_SHOPIFY_TOKEN",
        ],
    ));
    assert!(out.contains("Online Retail (fake Shopify)"), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&ok(&mut cli(&db, &["sync", "--json"]))).unwrap();
    assert_eq!(report["orders"].as_u64().unwrap() as usize, fake.counts().2);
    let sku = fake
        .state
        .lock()
        .unwrap()
        .products
        .values()
        .next()
        .unwrap()
        .variants[0]
        .sku
        .clone();
    ok(&mut cli(&db, &["push", "price", &sku, "9.99"]));
    let text = ok(&mut cli(&db, &["journal", "list"]));
    assert!(text.contains("£9,99"), "{text}");
    // A new format in the store comes over with the next sync.
    fake.state.lock().unwrap().money_format = "{{amount}} GBP".into();
    ok(&mut cli(&db, &["sync"]));
    let text = ok(&mut cli(&db, &["journal", "list"]));
    assert!(
        text.contains("9.99 GBP") && !text.contains("£9,99"),
        "{text}"
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(&mut cli(&db, &["journal", "list", "--json"]))).unwrap();
    assert_eq!(list[0]["status"], "confirmed");
    assert_eq!(list[0]["new"]["value"]["price_minor"], 999);
    let id = list[0]["id"].as_i64().unwrap().to_string();
    ok(&mut cli(&db, &["journal", "revert", &id]));
    let list: serde_json::Value =
        serde_json::from_str(&ok(&mut cli(&db, &["journal", "list", "--json"]))).unwrap();
    assert_eq!(list[1]["status"], "reverted");
    assert_eq!(list[0]["revert_of"].as_i64().unwrap().to_string(), id);
    // A token that does not work: a clear error that does not show it.
    let out = cli(&db, &["sync"])
        .env("FAKE_SHOPIFY_TOKEN", "shpat_revoked_abcdef")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused") && !stderr.contains("shpat_revoked_abcdef"),
        "{stderr}"
    );
    drop(Store::open(&db).unwrap());
    let bytes = file_bytes(&db);
    assert!(!bytes.is_empty());
    for secret in [fake::TOKEN, "shpat_revoked_abcdef"] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in the database"
        );
    }
    assert!(
        bytes.windows(18).any(|w| w == b"FAKE_SHOPIFY_TOKEN"),
        "the variable's name is kept"
    );
    // The log next to the database tells what happened, without a secret.
    let mut log = String::new();
    for entry in std::fs::read_dir(dir.path().join("logs")).unwrap() {
        log.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for said in [
        "store connected",
        "sync completed",
        "push confirmed",
        "access token was refused",
    ] {
        assert!(log.contains(said), "the log lacks {said:?}:\n{log}");
    }
    for secret in [fake::TOKEN, "shpat_revoked_abcdef"] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
}

/// A real child process killed mid-sync, then run again, ends with the same
/// copy as an uninterrupted sync, on the whole data set.
#[test]
fn a_sync_killed_midway_resumes_to_the_same_copy() {
    let fake = FakeShop::start(Options {
        invoices: None,
        ..Options::default()
    });
    let (products, _, orders) = fake.counts();
    assert!(products > 3000 && orders > 20_000, "{products} {orders}");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    for db in [&a, &b] {
        ok(&mut cli(
            db,
            &[
                "connect",
                "shopify",
                "--shop",
                &fake.url,
                "--token-env",
                "FAKE_SHOPIFY_TOKEN",
            ],
        ));
    }
    ok(&mut cli(&a, &["sync"]));

    let mut child = cli(&b, &["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let watcher = rusqlite::Connection::open(&b).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let line: i64 = watcher
            .query_row("SELECT coalesce(json_extract(checkpoint, '$.line'), 0) FROM sync_state WHERE entity = 'orders'", [], |r| r.get(0))
            .unwrap_or(0);
        if line > 50_000 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sync ended before it could be killed"
        );
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(watcher);
    let partial: i64 = Store::open(&b)
        .unwrap()
        .conn()
        .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap();
    assert!(partial > 0 && (partial as usize) < orders, "{partial}");
    ok(&mut cli(&b, &["sync"]));
    let (sa, sb) = (Store::open(&a).unwrap(), Store::open(&b).unwrap());
    assert_eq!(shopify_count(&sb, "orders") as usize, orders);
    assert_eq!(digest(&sa), digest(&sb));
}

/// The app's service: test connection, sync with progress and cancel, push
/// and revert with the conflict question, as the Settings and journal pages
/// call them.
#[test]
fn the_app_tests_syncs_cancels_pushes_and_reverts() {
    use merchant_desk::journal::ManualChange;
    use merchant_desk::service::{Desk, PushRequest};
    use merchant_desk::storefront::connection::{self, ConnectRequest, Credentials, SecretGiven};

    let fake = FakeShop::start(Options {
        invoices: Some(300),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::new(dir.path().to_path_buf(), false).unwrap();
    let request = |secret: &str| -> ConnectRequest {
        serde_json::from_value(serde_json::json!({
            "platform": "shopify", "shop": fake.url, "auth": "token",
            "client_id": null, "secret": secret,
        }))
        .unwrap()
    };
    let err = desk.test_connection(request("  ")).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("access token"), "{err}");
    let err = desk
        .test_connection(request("shpat_wrong_0000"))
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(!err.to_string().contains("shpat_wrong_0000"), "{err}");
    assert!(!format!("{:?}", request("shpat_wrong_0000")).contains("shpat_wrong_0000"));
    let info = desk.test_connection(request(fake::TOKEN)).unwrap();
    assert_eq!(info.name, "Online Retail (fake Shopify)");
    assert_eq!(info.money_format.as_deref(), Some("£{{amount}}"));
    assert_eq!(desk.status().unwrap().shop, None, "testing keeps nothing");
    assert_eq!(
        desk.sync_now(false, |_| {}).unwrap_err().code(),
        "not_connected"
    );

    // The keyring is the desktop session's; here the token comes from a
    // variable, as on a headless machine.
    std::env::set_var("MD_DESK_TEST_TOKEN", fake::TOKEN);
    let mut own = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    connection::connect(
        &mut own,
        "shopify",
        &fake.url,
        &Credentials::Token(SecretGiven::Env("MD_DESK_TEST_TOKEN".into())),
        quick(),
    )
    .unwrap();
    drop(own);
    let desk = Desk::new(dir.path().to_path_buf(), false).unwrap();
    // The UI writes money with the store's own format from now on.
    assert_eq!(
        desk.status().unwrap().money_format.as_deref(),
        Some("£{{amount}}")
    );
    let link = desk.storefront().unwrap();
    assert_eq!(link.connection.unwrap().shop_url, fake.url);
    assert!(link.last_sync.is_none());

    // Cancel after the first committed batch: the run says so, and the next
    // sync completes from where it stopped.
    let mut seen = 0;
    let err = desk
        .sync_now(false, |p| {
            seen += 1;
            if p.written > 0 {
                desk.cancel_job().unwrap();
            }
        })
        .unwrap_err();
    assert_eq!(err.code(), "cancelled");
    assert!(seen > 0);
    assert_eq!(
        desk.storefront().unwrap().last_sync.unwrap().status,
        "cancelled"
    );
    let mut progress = Vec::new();
    let report = desk
        .sync_now(false, |p| progress.push(p.clone()))
        .unwrap()
        .report;
    let (products, _, orders) = fake.counts();
    let last = desk.storefront().unwrap().last_sync.unwrap();
    assert_eq!((last.status.as_str(), last.id), ("completed", report.run));
    assert_eq!(count(&desk_store(&dir), "orders"), orders as i64);
    assert_eq!(count(&desk_store(&dir), "products"), products as i64);
    for stage in ["products", "customers", "orders"] {
        assert!(
            progress.iter().any(|p| p.stage.contains(stage)),
            "no progress for {stage}: {progress:?}"
        );
    }
    assert!(progress.windows(2).all(|w| w[1].written >= w[0].written));

    // Push by hand, see it upstream, then revert after an upstream edit.
    let (sku, variant, before) = {
        let s = fake.state.lock().unwrap();
        let v = s.products.values().nth(4).unwrap().variants[0].clone();
        (v.sku, v.id, v.price)
    };
    let bad = desk.push_change(PushRequest {
        change: ManualChange::Price {
            sku: sku.clone(),
            price: "abc".into(),
            compare_at: None,
        },
        reason: String::new(),
        confirmed: false,
    });
    assert_eq!(bad.unwrap_err().code(), "invalid_input");
    // A price that looks like a slip is sent only when confirmed.
    let typed = |price: String, confirmed: bool| PushRequest {
        change: ManualChange::Price {
            sku: sku.clone(),
            price,
            compare_at: None,
        },
        reason: String::new(),
        confirmed,
    };
    let slips = [
        ("0".to_string(), "zero"),
        (
            format!("{:.2}", before as f64 * 11.0 / 100.0),
            "more than ten times",
        ),
        (
            format!("{:.2}", before as f64 / 20.0 / 100.0),
            "less than a tenth",
        ),
    ];
    for (price, why) in slips {
        let err = desk.push_change(typed(price.clone(), false)).unwrap_err();
        assert_eq!(err.code(), "confirmation_required", "{price}");
        assert!(err.to_string().contains(why), "{err}");
    }
    assert!(desk.journal(10).unwrap().is_empty(), "nothing was sent");
    let pushed = desk
        .push_change(PushRequest {
            change: ManualChange::Price {
                sku: sku.clone(),
                price: "12.34".into(),
                compare_at: Some(" ".into()),
            },
            reason: "  ".into(),
            // Whatever the fake's price, this test means it.
            confirmed: true,
        })
        .unwrap();
    assert_eq!(pushed[0].status, "confirmed");
    assert_eq!(pushed[0].reason, "set by hand");
    let upstream = |fake: &FakeShop| {
        fake.state
            .lock()
            .unwrap()
            .variant_mut(variant)
            .unwrap()
            .price
    };
    assert_eq!(upstream(&fake), 1234);
    assert_eq!(desk.journal(10).unwrap()[0].id, pushed[0].id);
    fake.state
        .lock()
        .unwrap()
        .variant_mut(variant)
        .unwrap()
        .price = 1500;
    let err = desk
        .revert_change(RevertScope::Entry(pushed[0].id), false, false)
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("15.00 GBP"), "{err}");
    assert_eq!(
        upstream(&fake),
        1500,
        "nothing is sent before the owner agrees"
    );
    desk.revert_change(RevertScope::Entry(pushed[0].id), true, false)
        .unwrap();
    assert_eq!(upstream(&fake), before);
    let journal = desk.journal(10).unwrap();
    assert_eq!(journal[0].revert_of, Some(pushed[0].id));
    assert_eq!(journal[1].status, "reverted");
    assert_eq!(desk.storefront().unwrap().pending, 0);
    // Reverting the revert is pushing the price again: only when asked so.
    let err = desk
        .revert_change(RevertScope::Entry(journal[0].id), false, false)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("Push again"), "{err}");
    assert_eq!(upstream(&fake), before, "nothing sent");
    desk.revert_change(RevertScope::Entry(journal[0].id), false, true)
        .unwrap();
    // What the revert replaced: the price changed upstream it overwrote.
    assert_eq!(upstream(&fake), 1500);
}

fn desk_store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("shop.sqlite")).unwrap()
}

fn local_cost(store: &Store, variant: u64) -> Option<i64> {
    store
        .conn()
        .query_row(
            "SELECT cost_minor FROM variants WHERE external_id = ?1",
            [gid("ProductVariant", variant)],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn costs_categories_and_tags_come_over_and_an_imported_cost_stays() {
    use merchant_desk::import::{self, Control, ImportKind};
    let (fake, mut t, mut sf) = synced(400);
    // (variant, SKU, unit cost, product type, taxonomy category)
    type Upstream = (u64, String, Option<i64>, String, Option<String>);
    let upstream: Vec<Upstream> = {
        let s = fake.state.lock().unwrap();
        s.products
            .values()
            .map(|p| {
                let v = &p.variants[0];
                (
                    v.id,
                    v.sku.clone(),
                    v.cost,
                    p.product_type.clone(),
                    p.category.clone(),
                )
            })
            .collect()
    };
    let missing = upstream.iter().filter(|u| u.2.is_none()).count();
    assert!(missing > 0 && missing < upstream.len(), "{missing}");
    // The bulk pull brought every cost, and every gap stayed a gap.
    for (variant, _, cost, _, _) in &upstream {
        assert_eq!(local_cost(&t.store, *variant), *cost, "variant {variant}");
    }
    // The shop's own type wins over the taxonomy category; neither: none.
    let category = |variant: u64| -> Option<String> {
        t.store
            .conn()
            .query_row(
                "SELECT p.category FROM products p JOIN variants v ON v.product_id = p.id WHERE v.external_id = ?1",
                [gid("ProductVariant", variant)],
                |r| r.get(0),
            )
            .unwrap()
    };
    let typed = upstream
        .iter()
        .find(|u| !u.3.is_empty())
        .expect("a typed product");
    assert_eq!(category(typed.0).as_deref(), Some(typed.3.as_str()));
    let taxonomy = upstream
        .iter()
        .find(|u| u.3.is_empty() && u.4.is_some())
        .expect("a product with only a taxonomy category");
    assert_eq!(category(taxonomy.0), taxonomy.4);
    let plain = upstream
        .iter()
        .find(|u| u.3.is_empty() && u.4.is_none())
        .expect("a product with neither");
    assert_eq!(category(plain.0), None);
    let catalog = merchant_desk::report::catalog(t.store.conn()).unwrap();
    assert_eq!(catalog.missing_cost as usize, missing);

    // The owner imports the costs Shopify lacks, for two SKUs (one unknown).
    let gap = upstream.iter().find(|u| u.2.is_none()).unwrap().clone();
    let csv = format!("sku,cost\n{},1.25\nNOT-A-SKU,2.00\n", gap.1);
    let report = import::import_reader(
        &mut t.store,
        ImportKind::UnitCosts,
        "costs.csv",
        std::io::Cursor::new(csv.clone().into_bytes()),
        csv.len() as u64,
        &mut Control::new(&AtomicBool::new(false), |_| {}),
        Utc::now(),
    )
    .unwrap();
    assert_eq!((report.rows_read, report.rows_skipped), (2, 1));
    assert_eq!(local_cost(&t.store, gap.0), Some(125));
    assert_eq!(
        merchant_desk::report::catalog(t.store.conn())
            .unwrap()
            .missing_cost as usize,
        missing - 1
    );

    // Upstream: one cost changes, and the gap's product is edited but
    // still has no cost. The incremental pull takes the new cost and keeps
    // the imported one.
    let changed = upstream.iter().find(|u| u.2.is_some()).unwrap().0;
    {
        let mut s = fake.state.lock().unwrap();
        let t1 = s.tick();
        for p in s.products.values_mut() {
            if p.variants[0].id == changed {
                p.variants[0].cost = Some(777);
                p.updated = t1;
            }
            if p.variants[0].id == gap.0 {
                p.tags = vec!["summer".into(), "Gift".into()];
                p.updated = t1;
            }
        }
    }
    let inc = run(&mut t.store, &mut sf, false).unwrap();
    assert!(!inc.full && inc.products >= 2, "{inc:?}");
    assert_eq!(local_cost(&t.store, changed), Some(777));
    assert_eq!(local_cost(&t.store, gap.0), Some(125));
    let tags: String = t
        .store
        .conn()
        .query_row(
            "SELECT p.tags FROM products p JOIN variants v ON v.product_id = p.id WHERE v.external_id = ?1",
            [gid("ProductVariant", gap.0)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tags, r#"["Gift","summer"]"#);
    // A full pull keeps it too.
    run(&mut t.store, &mut sf, true).unwrap();
    assert_eq!(local_cost(&t.store, gap.0), Some(125));
}
