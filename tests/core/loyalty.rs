//! The loyalty programme's simulation on a small shop worked by hand,
//! through the real importer, the service and the CLI.

use crate::fixtures::{import_str, shop, temp_store};
use chrono::{TimeZone, Utc};
use merchant_desk::import::ImportKind;
use merchant_desk::loyalty::{programme::Programme, simulate};

const PROGRAMME: &str = r#"
name = "Double points"
starts_on = "2020-01-01"
points_per_unit = "2"
pending_days = 7
expiry_days = 30
[[tier]]
name = "Bronze"
min_spend = "0"
multiplier = "1"
[[tier]]
name = "Silver"
min_spend = "100"
multiplier = "1.5"
[[reward]]
name = "£5 off"
points = 500
discount = { amount = "5.00" }
"#;

const ORDERS: &str = "order_id,ordered_at,sku,title,quantity,unit_price,currency,customer_id
A1,2024-01-05T10:00:00Z,MUG,Mug,1,120.50,GBP,alice
A2,2024-02-10T10:00:00Z,MUG,Mug,2,15.00,GBP,alice
B1,2024-03-01T10:00:00Z,CUP,Cup,1,10.99,GBP,bob
G1,2024-03-02T10:00:00Z,CUP,Cup,5,10.00,GBP,
";

#[test]
fn a_simulation_worked_by_hand() {
    let t = shop_with_orders();
    let s = t.store.require_shop().unwrap();
    let now = Utc.with_ymd_and_hms(2024, 3, 15, 12, 0, 0).unwrap();
    let p = Programme::parse(PROGRAMME).unwrap();
    let sim = simulate::simulate(t.store.conn(), &s, &p, 3, 0.3, now).unwrap();
    assert_eq!(
        (sim.from.as_str(), sim.to.as_str()),
        ("2024-01-01", "2024-03-15")
    );
    // Alice: 120.50 × 2 = 241 (Bronze); then 30.00 × 2 × 1.5 = 90 (her
    // year's spend is 120.50: Silver). Bob: floor(10.99 × 2) = 21. The
    // guest earns nothing.
    assert_eq!((sim.members, sim.earning_orders, sim.earned), (2, 3, 352));
    // Alice's points expired 30 days after each of her orders (4 Feb and
    // 11 Mar); Bob's 21 are left.
    assert_eq!(sim.expired, 241 + 90);
    assert_eq!(sim.outstanding, 21);
    // A point is worth 1p at "£5 off": 30 % of 352 points is 105.6p.
    assert_eq!(sim.liability[0].value_minor, Some(21));
    assert_eq!(sim.redemption_cost_minor, Some(106));
    assert_eq!(sim.revenue_minor, 12_050 + 3_000 + 1_099 + 5_000);
    let months: Vec<(&str, i64, i64, Vec<i64>)> = sim
        .monthly
        .iter()
        .map(|m| {
            (
                m.day.as_str(),
                m.issued,
                m.outstanding,
                m.members_by_tier.clone(),
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![
            ("2024-01-31", 241, 241, vec![0, 1]),
            ("2024-02-29", 331, 90, vec![0, 1]),
            ("2024-03-15", 352, 21, vec![1, 1]),
        ]
    );
}

#[test]
fn the_cli_simulates_two_programmes_side_by_side_and_refuses_a_wrong_file() {
    let t = shop_with_orders();
    let db = t.store.path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    std::fs::write(&a, PROGRAMME).unwrap();
    std::fs::write(
        &b,
        PROGRAMME
            .replace("Double points", "Single")
            .replace("\"2\"", "\"1\""),
    )
    .unwrap();
    let out = run(
        &db,
        &[
            "--json",
            "loyalty",
            "simulate",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--months",
            "120",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sims[0]["name"], "Double points");
    assert_eq!(sims[1]["name"], "Single");
    // Half the rate: floor(120.50) + 30.00 × 1.5 + floor(10.99).
    assert_eq!(sims[1]["earned"], 120 + 45 + 10);
    let text = run(
        &db,
        &[
            "loyalty",
            "simulate",
            a.to_str().unwrap(),
            "--months",
            "120",
        ],
    );
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("2 members, 3 orders earning"), "{text}");
    // As of today everything has expired; the cost is the issued points'.
    assert!(text.contains("352 expired; 0 outstanding"), "{text}");
    assert!(
        text.contains("costs £1.06: 0.50 % of the £211.49 merchandise revenue"),
        "{text}"
    );
    // A wrong amount names the file and the field.
    std::fs::write(&b, PROGRAMME.replace("\"1.5\"", "\"one and a half\"")).unwrap();
    let bad = run(&db, &["loyalty", "simulate", b.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("b.toml") && err.contains("multiplier"),
        "{err}"
    );
}

#[test]
fn a_launched_programme_lists_its_members_as_the_ledger_has_them() {
    let t = shop_with_orders();
    let db = t.store.path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("club.toml");
    std::fs::write(&file, PROGRAMME).unwrap();
    // Nothing live yet: said, not an empty list.
    let none = run(&db, &["loyalty", "members"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no loyalty programme is live"));
    let created = json(
        &db,
        &["--json", "loyalty", "create", file.to_str().unwrap()],
    );
    assert_eq!(created["status"], "draft");
    let id = created["id"].as_i64().unwrap().to_string();
    assert_eq!(
        json(&db, &["--json", "loyalty", "launch", &id])["status"],
        "live"
    );
    let again = run(&db, &["loyalty", "launch", &id]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("only a draft can be launched"));
    // As of today every point has long expired (30 days).
    let m = json(&db, &["--json", "loyalty", "members"]);
    let members = m["members"].as_array().unwrap();
    let who: Vec<&str> = members
        .iter()
        .map(|x| x["customer"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["alice", "bob"]);
    let alice = &members[0];
    assert_eq!(alice["earned"], 241 + 90);
    assert_eq!(alice["expired"], 241 + 90);
    assert_eq!(
        (alice["balance"].as_i64(), alice["pending"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(alice["tier"], "Bronze");
    assert_eq!(members[1]["earned"], 21);
    // Alice's ledger: two orders earning, becoming spendable, expiring.
    let a = json(&db, &["--json", "loyalty", "member", "alice"]);
    let kinds: Vec<(&str, i64)> = a["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap(), l["points"].as_i64().unwrap()))
        .collect();
    let whats: Vec<&str> = a["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["what"].as_str().unwrap())
        .collect();
    assert_eq!(whats[0], "order A1");
    assert_eq!(whats[3], "order A2");
    assert_eq!(
        kinds,
        [
            ("earn", 241),
            ("available", 241),
            ("expire", -241),
            ("earn", 90),
            ("available", 90),
            ("expire", -90)
        ]
    );
    // A second programme launched ends the first.
    let second = json(
        &db,
        &["--json", "loyalty", "create", file.to_str().unwrap()],
    );
    let second = second["id"].as_i64().unwrap().to_string();
    json(&db, &["--json", "loyalty", "launch", &second]);
    let list = json(&db, &["--json", "loyalty", "list"]);
    let statuses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["live", "ended"]);
}

#[test]
fn actions_imported_and_awarded_by_hand_earn_once_within_the_rules() {
    let mut t = shop_with_orders();
    let programme = format!(
        "{}\n[[action]]\nkind = \"review\"\npoints = 25\nmax_per_customer = 2\n",
        PROGRAMME.replace("expiry_days = 30", "expiry_days = 3650")
    );
    let actions = "customer,action,at,reference
alice,review,2024-01-06,rv-1
alice,Review,2024-01-06,rv-1
nobody,review,2024-01-06,rv-2
bob@example.com,review,2024-03-02T10:00:00Z,rv-3
";
    // Bob is known by email too.
    t.store
        .conn()
        .execute(
            "UPDATE customers SET email = 'Bob@Example.com' WHERE external_id = 'bob'",
            [],
        )
        .unwrap();
    let report = import_str(
        &mut t.store,
        ImportKind::LoyaltyActions,
        "actions.csv",
        actions,
    )
    .unwrap();
    assert_eq!((report.rows_imported, report.rows_skipped), (2, 2));
    let again = import_str(
        &mut t.store,
        ImportKind::LoyaltyActions,
        "actions.csv",
        actions,
    )
    .unwrap();
    assert_eq!(again.rows_imported, 0);
    let bad = import_str(
        &mut t.store,
        ImportKind::LoyaltyActions,
        "bad.csv",
        "customer,action,at,reference\nalice,dance,2024-01-06,x\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("line 2") && bad.contains("not an action"),
        "{bad}"
    );

    let db = t.store.path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("club.toml");
    std::fs::write(&file, programme).unwrap();
    let id = json(
        &db,
        &["--json", "loyalty", "create", file.to_str().unwrap()],
    )["id"]
        .to_string();
    json(&db, &["--json", "loyalty", "launch", &id]);
    // Two awards by hand for Alice: the second goes beyond max_per_customer.
    let first = json(&db, &["--json", "loyalty", "award", "alice", "review"]);
    assert_eq!(first["member"]["awarded"], 50);
    let second = json(
        &db,
        &[
            "--json",
            "loyalty",
            "award",
            "alice",
            "review",
            "--reference",
            "by phone",
        ],
    );
    assert_eq!(second["member"]["awarded"], 50);
    let members = json(&db, &["--json", "loyalty", "members"]);
    let bob = &members["members"][1];
    assert_eq!(
        (bob["customer"].as_str(), bob["awarded"].as_i64()),
        (Some("bob"), Some(25))
    );
    assert_eq!(bob["balance"], 21 + 25);
}

/// A London shop with the orders of [`ORDERS`].
fn shop_with_orders() -> crate::fixtures::TempStore {
    let mut t = temp_store();
    t.store
        .set_shop(&shop("GBP", "Europe/London"), Utc::now())
        .unwrap();
    import_str(&mut t.store, ImportKind::Orders, "orders.csv", ORDERS).unwrap();
    t
}

/// The CLI on `db`.
fn run(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    crate::pricing::cli(db, args)
}

/// The CLI's JSON on `db`, which must succeed.
fn json(db: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const STOREFRONT_PROGRAMME: &str = r#"
name = "Gift Club"
starts_on = "2010-01-01"
points_per_unit = "1"
[[tier]]
name = "Bronze"
min_spend = "0"
multiplier = "1"
[[tier]]
name = "Gold Star"
min_spend = "200"
multiplier = "2"
[[action]]
kind = "birthday"
points = 40
[[reward]]
name = "£5 off"
points = 500
discount = { amount = "5.00" }
min_order = "25.00"
[[reward]]
name = "Free delivery"
points = 300
discount = { free_shipping = true }
"#;

/// The whole storefront path on the Shopify fake, through the CLI: codes
/// for one customer, metafields and tags sent once, birthdays pulled, a
/// revert giving the points back.
#[test]
fn rewards_metafields_and_tags_reach_the_shopify_fake_exactly_once() {
    use crate::sync::{cli, ok};
    let (fake, dir, db) = crate::promotions::cli_on_the_fake();
    let file = dir.path().join("club.toml");
    std::fs::write(&file, STOREFRONT_PROGRAMME).unwrap();
    let js = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&ok(&mut cli(&db, args))).unwrap()
    };
    let id = js(&["--json", "loyalty", "create", file.to_str().unwrap()])["id"].to_string();
    // The £5 can take an item below the floor: said, and launched only with a reason.
    ok(&mut cli(&db, &["floor", "--shop", "60"]));
    let refused = cli(&db, &["loyalty", "launch", &id]).output().unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && err.contains("below the margin floor"),
        "{err}"
    );
    let live = js(&[
        "--json",
        "loyalty",
        "launch",
        &id,
        "--override",
        "a thank-you",
    ]);
    assert_eq!(live["floor_override"], "a thank-you");

    // Birthdays came with the customers (every seventh has one upstream).
    let birthdays: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM customers WHERE birthday IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(birthdays > 0);
    let members = js(&["--json", "loyalty", "members"]);
    let members = members["members"].as_array().unwrap().clone();
    // Each birthday since the start awarded 40 points, once a year.
    assert!(members
        .iter()
        .any(|m| m["awarded"].as_i64().unwrap() >= 40 && m["awarded"].as_i64().unwrap() % 40 == 0));
    let rich = members
        .iter()
        .find(|m| m["balance"].as_i64().unwrap() >= 800)
        .expect("a member with 800 points");
    let customer = rich["customer"].as_str().unwrap().to_string();
    let before = rich["balance"].as_i64().unwrap();

    let five = js(&["--json", "loyalty", "redeem", &customer, "£5 OFF"]);
    assert_eq!(five["balance"], before - 500);
    let ship = js(&["--json", "loyalty", "redeem", &customer, "Free delivery"]);
    assert_eq!(ship["balance"], before - 800);
    {
        let s = fake.state.lock().unwrap();
        assert_eq!(s.discounts_created, 2);
        let codes: Vec<(&str, &serde_json::Value, &serde_json::Value)> = s
            .discounts
            .values()
            .map(|(kind, input)| {
                (
                    kind.as_str(),
                    &input["code"],
                    &input["context"]["customers"]["add"],
                )
            })
            .collect();
        assert_eq!(
            codes,
            vec![
                ("code", &five["code"], &serde_json::json!([customer])),
                (
                    "code_free_shipping",
                    &ship["code"],
                    &serde_json::json!([customer])
                )
            ]
        );
        let (_, input) = s.discounts.values().next().unwrap();
        assert_eq!(input["usageLimit"], 1);
        assert_eq!(
            input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"],
            "25.00"
        );
    }
    // More than the member holds is refused, and nothing is sent.
    let poor = members
        .iter()
        .min_by_key(|m| m["balance"].as_i64().unwrap())
        .unwrap();
    assert!(poor["balance"].as_i64().unwrap() < 300, "{poor}");
    let no = cli(
        &db,
        &[
            "loyalty",
            "redeem",
            poor["customer"].as_str().unwrap(),
            "Free delivery",
        ],
    )
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&no.stderr).contains("points to spend"));
    assert_eq!(fake.state.lock().unwrap().discounts_created, 2);

    // Points and tiers: two metafields and a tag per member, once.
    let pushed = js(&["--json", "loyalty", "push"]);
    let n = members.len();
    assert_eq!(pushed["members"], n);
    assert_eq!(pushed["failed"], 0);
    {
        let s = fake.state.lock().unwrap();
        assert_eq!(s.metafield_sets, 2 * n);
        let gid = |c: &str| c.to_string();
        let key = (gid(&customer), "loyalty".to_string(), "points".to_string());
        assert_eq!(
            s.metafields.get(&key).map(|(t, v)| (t.as_str(), v.clone())),
            Some(("number_integer", (before - 800).to_string()))
        );
        let tagged = s
            .customers
            .values()
            .filter(|c| {
                c.tags
                    .iter()
                    .any(|t| t == "tier:bronze" || t == "tier:gold-star")
            })
            .count();
        assert_eq!(tagged, n);
    }
    let again = js(&["--json", "loyalty", "push"]);
    assert_eq!(
        (again["confirmed"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(3 * n as i64))
    );
    assert_eq!(fake.state.lock().unwrap().metafield_sets, 2 * n);

    // Reverting the £5 code deletes it upstream and gives the points back.
    let entry = five["entry"]["id"].to_string();
    ok(&mut cli(&db, &["journal", "revert", &entry]));
    assert_eq!(fake.state.lock().unwrap().discounts.len(), 1);
    let m = js(&["--json", "loyalty", "member", &customer]);
    assert_eq!(m["member"]["balance"], before - 300);
}

#[test]
fn birthdays_import_by_customer_and_a_wrong_date_says_where() {
    let mut t = shop_with_orders();
    let file = "customer,birthday\nalice,1984-02-29\nbob,03-05\nnobody,01-01\n";
    let r = import_str(&mut t.store, ImportKind::CustomerBirthdays, "b.csv", file).unwrap();
    assert_eq!((r.rows_imported, r.rows_skipped), (2, 1));
    let got: Vec<(String, Option<String>)> = t
        .store
        .conn()
        .prepare("SELECT external_id, birthday FROM customers ORDER BY external_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        got,
        [
            ("alice".to_string(), Some("02-29".to_string())),
            ("bob".to_string(), Some("03-05".to_string()))
        ]
    );
    // The same file again changes nothing.
    let again = import_str(&mut t.store, ImportKind::CustomerBirthdays, "b.csv", file).unwrap();
    assert_eq!(again.rows_imported, 0);
    let bad = import_str(
        &mut t.store,
        ImportKind::CustomerBirthdays,
        "bad.csv",
        "customer,birthday\nalice,13-40\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("bad.csv") && bad.contains("line 2") && bad.contains("not a birthday"),
        "{bad}"
    );
}

/// The app's members table: pages searched, by tier and sorted in the core,
/// and a change through the app or through another connection seen at once.
#[test]
fn the_members_table_pages_and_sees_every_change_at_once() {
    use merchant_desk::loyalty::store::{MemberSort, MembersQuery};
    let t = shop_with_orders();
    let desk = merchant_desk::service::Desk::for_file(t.store.path().to_path_buf(), false);
    let programme = Programme::parse(&format!(
        "{PROGRAMME}\n[[action]]\nkind = \"review\"\npoints = 25\n"
    ))
    .unwrap();
    let stored = desk.create_loyalty(programme).unwrap();
    desk.launch_loyalty(stored.id, Some("test".into())).unwrap();
    let query = |search: &str, tier: Option<&str>, sort, offset, limit| MembersQuery {
        search: search.into(),
        tier: tier.map(str::to_string),
        sort,
        offset,
        limit,
    };
    let names = |p: &merchant_desk::loyalty::store::MembersPage| -> Vec<String> {
        p.members.iter().map(|m| m.customer.clone()).collect()
    };
    let p = desk
        .loyalty_members_page(query("", None, MemberSort::Earned, 0, 1))
        .unwrap();
    assert_eq!(
        (p.total, p.matched, names(&p)),
        (2, 2, vec!["alice".into()])
    );
    let counts: Vec<(String, u32)> = p
        .tiers
        .iter()
        .map(|t| (t.name.clone(), t.members))
        .collect();
    assert_eq!(counts, [("Bronze".into(), 2), ("Silver".into(), 0)]);
    let p = desk
        .loyalty_members_page(query("", None, MemberSort::Earned, 1, 1))
        .unwrap();
    assert_eq!((p.offset, names(&p)), (1, vec!["bob".into()]));
    let p = desk
        .loyalty_members_page(query(" BO ", None, MemberSort::Customer, 0, 0))
        .unwrap();
    assert_eq!((p.matched, names(&p)), (1, vec!["bob".into()]));
    let p = desk
        .loyalty_members_page(query("", Some("Silver"), MemberSort::Balance, 0, 0))
        .unwrap();
    assert_eq!((p.total, p.matched), (2, 0));
    // Everyone's points have expired: most to spend is a tie, by customer.
    let p = desk
        .loyalty_members_page(query("", None, MemberSort::Balance, 0, 0))
        .unwrap();
    assert_eq!(names(&p), ["alice", "bob"]);
    // An award through the app shows in the next page.
    desk.award_loyalty(
        "bob".into(),
        merchant_desk::loyalty::programme::ActionKind::Review,
        None,
    )
    .unwrap();
    let p = desk
        .loyalty_members_page(query("", None, MemberSort::Balance, 0, 0))
        .unwrap();
    assert_eq!(names(&p), ["bob", "alice"]);
    assert_eq!(p.members[0].balance, 25);
    // So does one written by another connection (an import, the CLI).
    let earlier = merchant_desk::time::fmt_utc(Utc::now() - chrono::Duration::hours(1));
    t.store
        .conn()
        .execute(
            "INSERT INTO loyalty_actions (customer_id, kind, at, reference)
             SELECT id, 'review', ?1, 'rv-9' FROM customers WHERE external_id = 'alice'",
            [earlier],
        )
        .unwrap();
    let p = desk
        .loyalty_members_page(query("", None, MemberSort::Balance, 0, 0))
        .unwrap();
    assert_eq!(
        p.members
            .iter()
            .map(|m| (m.customer.as_str(), m.balance))
            .collect::<Vec<_>>(),
        [("alice", 25), ("bob", 25)]
    );
    assert_eq!(desk.loyalty_members().unwrap().members.len(), 2);
}

/// A subscription plan's points multiplier (`points_multiplier` in the
/// subscriptions set-up) raises what its customers' orders earn while they
/// are subscribed, and only theirs.
#[test]
fn a_plans_points_multiplier_raises_what_its_subscribers_earn_while_subscribed() {
    let t = shop_with_orders();
    let db = t.store.path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("club.toml");
    std::fs::write(&file, PROGRAMME).unwrap();
    let id = json(
        &db,
        &["--json", "loyalty", "create", file.to_str().unwrap()],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    json(&db, &["--json", "loyalty", "launch", &id]);
    let earned = |db: &std::path::Path| -> Vec<(String, i64)> {
        json(db, &["--json", "loyalty", "members"])["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["customer"].as_str().unwrap().to_string(),
                    m["earned"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(earned(&db), [("alice".into(), 331), ("bob".into(), 21)]);
    // Bob on Gold from 1 February 2024: his 10.99 of 1 March earns
    // floor(10.99 × 2 × 3) = 65. Alice's plan started after her orders.
    let book = dir.path().join("book.csv");
    std::fs::write(
        &book,
        "subscription_id,customer,email,plan,status,started_on,cancelled_on,paused_until,interval,interval_count,price,currency,next_renewal_on
S1,bob,,Gold,cancelled,2024-02-01,2024-06-01,,month,1,20.00,GBP,
S2,alice,,Gold,active,2024-04-01,,,month,1,20.00,GBP,2024-05-01
",
    )
    .unwrap();
    json(&db, &["--json", "subs", "import", book.to_str().unwrap()]);
    let setup = dir.path().join("subs.toml");
    std::fs::write(
        &setup,
        "[[plan]]\nname = \"Gold\"\npoints_multiplier = \"3\"\n",
    )
    .unwrap();
    json(&db, &["--json", "subs", "setup", setup.to_str().unwrap()]);
    assert_eq!(earned(&db), [("alice".into(), 331), ("bob".into(), 65)]);
    // A multiplier under 1 is refused; 1 gives nothing over Bronze's own.
    std::fs::write(
        &setup,
        "[[plan]]\nname = \"Gold\"\npoints_multiplier = \"0.5\"\n",
    )
    .unwrap();
    let refused = run(&db, &["subs", "setup", setup.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success()
            && err.contains("Points multiplier")
            && err.contains("from 1 to 10"),
        "{err}"
    );
    std::fs::write(
        &setup,
        "[[plan]]\nname = \"Gold\"\npoints_multiplier = \"1\"\n",
    )
    .unwrap();
    json(&db, &["--json", "subs", "setup", setup.to_str().unwrap()]);
    assert_eq!(earned(&db), [("alice".into(), 331), ("bob".into(), 21)]);
}
