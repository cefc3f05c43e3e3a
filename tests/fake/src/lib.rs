//! A stateful Shopify Admin API on loopback, for tests and the sync
//! benchmark only. It follows the documented shapes of the operations the
//! client sends: `extensions.cost` on every answer, a leaky bucket that
//! really throttles (`THROTTLED`), cursor pages, bulk operations that go
//! CREATED → RUNNING → COMPLETED and serve JSONL, `userErrors`, the
//! client-credentials grant, and faults injected on demand. It is seeded
//! from the Online Retail data: one product per stock code, one customer per
//! customer id, one order per invoice, cancellation invoices as refunds.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "shpat_fake_admin_token_5e1f";
pub const CLIENT_ID: &str = "fake-client-id";
pub const CLIENT_SECRET: &str = "fake_client_secret_9a7b";

/// One fault, used by the next GraphQL request (or bulk download).
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this HTTP status.
    Status(u16),
    /// Close the connection without answering.
    Reset,
    /// Wait this long before answering.
    Stall(Duration),
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Answer 429 with Retry-After: 1.
    TooMany,
    /// (bulk download) stop after this many lines.
    CutAfter(usize),
    /// Do the work, then close the connection without answering.
    DropAnswer,
    /// No fault: lets a request through ahead of the faults behind it.
    Pass,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub bucket: f64,
    pub restore_rate: f64,
    /// How long a bulk operation runs.
    pub bulk_time: Duration,
    /// Invoices to seed (None: all).
    pub invoices: Option<usize>,
    /// Lifetime of tokens from the client-credentials grant.
    pub grant_lifetime: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bucket: 2000.0,
            restore_rate: 100.0,
            bulk_time: Duration::from_millis(150),
            invoices: Some(400),
            grant_lifetime: 86_399,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: u64,
    pub sku: String,
    pub title: String,
    pub price: i64,
    pub compare_at: Option<i64>,
    pub stock: i64,
    /// `inventoryItem.unitCost`; `None` where the owner never entered one.
    pub cost: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub title: String,
    /// The shop's own product type ("" when not set, as Shopify answers).
    pub product_type: String,
    /// The standard taxonomy category's name, when one was chosen.
    pub category: Option<String>,
    pub vendor: String,
    pub tags: Vec<String>,
    pub updated: i64,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: u64,
    pub name: String,
    pub country: String,
    pub tags: Vec<String>,
    /// The `facts.birth_date` metafield (assumed: the standard definition's
    /// namespace and key), `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub created: i64,
    pub updated: i64,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub id: u64,
    pub variant: u64,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub price: i64,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: u64,
    pub created: i64,
    /// (line id, quantity, amount)
    pub lines: Vec<(u64, i64, i64)>,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub name: String,
    pub customer: Option<u64>,
    pub country: String,
    pub placed: i64,
    pub updated: i64,
    pub cancelled: Option<i64>,
    pub lines: Vec<Line>,
    pub refunds: Vec<Refund>,
}

/// A subscription contract (the app's own: Shopify shows an app only the
/// contracts it created).
#[derive(Debug, Clone)]
pub struct Contract {
    pub id: u64,
    /// `ACTIVE`, `PAUSED`, `CANCELLED`, `EXPIRED` or `FAILED`.
    pub status: String,
    pub created: i64,
    pub updated: i64,
    pub next_billing: Option<i64>,
    pub customer: Option<u64>,
    pub email: Option<String>,
    /// `DAY`, `WEEK`, `MONTH` or `YEAR`.
    pub interval: String,
    pub interval_count: u32,
    pub plan: String,
    pub title: String,
    pub price: i64,
    pub quantity: i64,
    /// The payment method's answer to a charge: `None` pays; a
    /// `SubscriptionBillingAttemptErrorCode` such as `CARD_DECLINED` fails.
    pub declines: Option<String>,
}

/// A billing attempt.
#[derive(Debug, Clone)]
pub struct BillingAttempt {
    pub id: u64,
    pub contract: u64,
    pub key: String,
    pub created: i64,
    /// Read back once: Shopify processes an attempt asynchronously
    /// (`ready` false at first); the fake is ready from the first read
    /// after its creation (assumed timing).
    pub read: bool,
    pub error: Option<String>,
    pub order: Option<u64>,
}

struct Bulk {
    entity: &'static str,
    started: Instant,
    jsonl: Option<Arc<String>>,
    objects: usize,
}

#[derive(Default)]
pub struct State {
    pub products: BTreeMap<u64, Product>,
    pub customers: BTreeMap<u64, Customer>,
    pub orders: BTreeMap<u64, Order>,
    /// id → (kind 'code'|'code_free_shipping'|'automatic', input as sent)
    pub discounts: BTreeMap<u64, (String, Json)>,
    pub metafields: HashMap<(String, String, String), (String, String)>,
    /// Metafields received by `metafieldsSet`, and discounts created, in all.
    pub metafield_sets: usize,
    pub discounts_created: usize,
    pub faults: VecDeque<Fault>,
    pub bulk_faults: VecDeque<Fault>,
    pub requests: u64,
    pub throttled: u64,
    /// Every request body, to check what was sent.
    pub bodies: Vec<String>,
    /// Every access token seen.
    pub tokens: HashMap<String, Instant>,
    pub grants: u64,
    /// Subscription contracts and billing attempts, and whether the app has
    /// the `read/write_own_subscription_contracts` scopes (Shopify grants
    /// them only to approved apps: off unless a test turns it on).
    pub contracts: BTreeMap<u64, Contract>,
    pub attempts: Vec<BillingAttempt>,
    pub subscription_scopes: bool,
    /// Billing cycles skipped, by contract and the UTC day of the instant
    /// that selected them (assumed: a cycle is known by its day).
    pub skipped_cycles: std::collections::BTreeSet<(u64, String)>,
    /// Holds the next request of this operation for this long, then carries
    /// it out (its sender may be gone by then).
    pub hold: Option<(String, Duration)>,
    /// The shop's money format (`currencyFormats.moneyFormat`): a real store
    /// always has one, `£{{amount}}` for a new GBP shop; tests change it.
    pub money_format: String,
    available: f64,
    at: Option<Instant>,
    bulks: HashMap<u64, Bulk>,
    next_id: u64,
    clock: i64,
    options: Options,
}

impl State {
    /// A fresh id for a new record (tests add orders and products with it).
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// How many requests of the GraphQL operation `op` arrived.
    pub fn received(&self, op: &str) -> usize {
        self.bodies
            .iter()
            .filter(|b| serde_json::from_str::<Json>(b).unwrap_or_default()["operationName"] == op)
            .count()
    }

    /// A strictly later "now" for each change.
    pub fn tick(&mut self) -> i64 {
        self.clock += 1;
        self.clock
    }

    pub fn variant_mut(&mut self, id: u64) -> Option<&mut Variant> {
        self.products
            .values_mut()
            .flat_map(|p| p.variants.iter_mut())
            .find(|v| v.id == id)
    }

    fn product_of(&self, variant: u64) -> Option<u64> {
        self.products
            .values()
            .find(|p| p.variants.iter().any(|v| v.id == variant))
            .map(|p| p.id)
    }
}

pub struct FakeShop {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Drop for FakeShop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

pub fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

fn num(gid: &str) -> u64 {
    gid.rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub fn time(t: i64) -> String {
    Utc.timestamp_opt(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn parse_time(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp())
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn minor(text: &str) -> i64 {
    let d: rust_decimal::Decimal = text.parse().unwrap_or_default();
    (d * rust_decimal::Decimal::from(100))
        .round()
        .try_into()
        .unwrap_or(0)
}

/// Where the Online Retail file is: the repository's copy.
pub fn data_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/online-retail.csv.gz")
}

fn seed(state: &mut State, invoices: Option<usize>) {
    let file = std::fs::File::open(data_file()).expect("data/online-retail.csv.gz");
    let mut rdr = csv::Reader::from_reader(flate2::read::GzDecoder::new(file));
    let london = chrono_tz::Europe::London;
    let mut products: HashMap<String, u64> = HashMap::new();
    let mut customers: HashMap<String, u64> = HashMap::new();
    let mut orders: HashMap<String, u64> = HashMap::new();
    let mut refunds: HashMap<(String, u64), u64> = HashMap::new();
    // (customer, sku) → the latest order line
    let mut bought: HashMap<(u64, String), (u64, u64, i64)> = HashMap::new();
    let mut seen_invoices = 0usize;
    let mut last_invoice = String::new();
    for row in rdr.records() {
        let row = row.expect("a CSV row");
        let invoice = row[0].to_string();
        if invoice != last_invoice {
            seen_invoices += 1;
            last_invoice = invoice.clone();
            if invoices.is_some_and(|n| seen_invoices > n) {
                break;
            }
        }
        let sku = row[1].to_string();
        let qty: i64 = row[3].parse().unwrap_or(0);
        let placed = NaiveDateTime::parse_from_str(&row[4], "%Y-%m-%d %H:%M")
            .ok()
            .and_then(|t| london.from_local_datetime(&t).earliest())
            .map(|t| t.timestamp())
            .unwrap_or(0);
        let price = minor(&row[5]);
        if price < 0 || qty == 0 || sku.is_empty() {
            continue;
        }
        let title = if row[2].trim().is_empty() {
            sku.clone()
        } else {
            row[2].trim().to_string()
        };
        let vid = match products.get(&sku) {
            Some(v) => *v,
            None => {
                let pid = state.id();
                let vid = state.id();
                let (product_type, category) = catalog_of(&title, pid);
                state.products.insert(
                    pid,
                    Product {
                        id: pid,
                        title: title.clone(),
                        product_type,
                        category,
                        vendor: "Online Retail".into(),
                        tags: Vec::new(),
                        updated: placed,
                        variants: vec![Variant {
                            id: vid,
                            sku: sku.clone(),
                            title: "Default Title".into(),
                            price,
                            compare_at: None,
                            stock: 100,
                            cost: unit_cost(price, vid),
                        }],
                    },
                );
                products.insert(sku.clone(), vid);
                vid
            }
        };
        let customer = if row[6].trim().is_empty() {
            None
        } else {
            let key = row[6].trim().to_string();
            Some(match customers.get(&key) {
                Some(c) => *c,
                None => {
                    let id = state.id();
                    state.customers.insert(
                        id,
                        Customer {
                            id,
                            name: format!("Customer {key}"),
                            country: row[7].to_string(),
                            tags: Vec::new(),
                            // Every seventh customer gave a birthday.
                            birth_date: id.is_multiple_of(7).then(|| {
                                format!(
                                    "19{:02}-{:02}-{:02}",
                                    60 + id % 40,
                                    1 + id % 12,
                                    1 + id % 28
                                )
                            }),
                            created: placed,
                            updated: placed,
                        },
                    );
                    customers.insert(key, id);
                    id
                }
            })
        };
        if invoice.starts_with('C') {
            // A cancellation: a refund on the latest order of this customer
            // with this item.
            let Some(c) = customer else { continue };
            let Some(&(order, line, unit)) = bought.get(&(c, sku.clone())) else {
                continue;
            };
            let rid = match refunds.get(&(invoice.clone(), order)) {
                Some(r) => *r,
                None => {
                    let rid = state.id();
                    let o = state.orders.get_mut(&order).unwrap();
                    o.refunds.push(Refund {
                        id: rid,
                        created: placed.max(o.placed),
                        lines: Vec::new(),
                    });
                    o.updated = o.updated.max(placed);
                    refunds.insert((invoice.clone(), order), rid);
                    rid
                }
            };
            let o = state.orders.get_mut(&order).unwrap();
            let r = o.refunds.iter_mut().find(|r| r.id == rid).unwrap();
            r.lines.push((line, -qty, -qty * unit));
            continue;
        }
        if qty < 0 {
            continue;
        }
        let oid = match orders.get(&invoice) {
            Some(o) => *o,
            None => {
                let id = state.id();
                state.orders.insert(
                    id,
                    Order {
                        id,
                        name: format!("#{invoice}"),
                        customer,
                        country: row[7].to_string(),
                        placed,
                        updated: placed,
                        cancelled: None,
                        lines: Vec::new(),
                        refunds: Vec::new(),
                    },
                );
                orders.insert(invoice.clone(), id);
                id
            }
        };
        let lid = state.id();
        state.orders.get_mut(&oid).unwrap().lines.push(Line {
            id: lid,
            variant: vid,
            sku: sku.clone(),
            title,
            quantity: qty,
            price,
        });
        if let Some(c) = customer {
            bought.insert((c, sku), (oid, lid, price));
        }
        if let Some(p) = products.get(&row[1]).and_then(|v| state.product_of(*v)) {
            let p = state.products.get_mut(&p).unwrap();
            p.updated = p.updated.max(placed);
        }
    }
    state.clock = parse_time("2012-01-01T00:00:00Z").unwrap();
    state.money_format = "£{{amount}}".into();
}

impl FakeShop {
    pub fn start(options: Options) -> FakeShop {
        let mut state = State {
            available: options.bucket,
            options: options.clone(),
            ..State::default()
        };
        seed(&mut state, options.invoices);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(state));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st, u) = (state.clone(), stop.clone(), url.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (s, u) = (s.clone(), u.clone());
                std::thread::spawn(move || serve(conn, s, u));
            }
        });
        FakeShop { url, state, stop }
    }

    pub fn fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push_back(f);
    }

    pub fn bulk_fault(&self, f: Fault) {
        self.state.lock().unwrap().bulk_faults.push_back(f);
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let s = self.state.lock().unwrap();
        (s.products.len(), s.customers.len(), s.orders.len())
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn respond(w: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = w.write_all(head.as_bytes());
    let _ = w.write_all(body);
    let _ = w.flush();
}

fn serve(conn: TcpStream, state: Arc<Mutex<State>>, url: String) {
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    while let Some(req) = read_request(&mut reader) {
        let fault = {
            let mut s = state.lock().unwrap();
            s.requests += 1;
            s.bodies
                .push(String::from_utf8_lossy(&req.body).to_string());
            if req.path.starts_with("/bulk/") {
                s.bulk_faults.pop_front()
            } else {
                s.faults.pop_front()
            }
        };
        match fault {
            Some(Fault::Reset) => return,
            Some(Fault::Stall(d)) => std::thread::sleep(d),
            Some(Fault::Status(code)) => {
                respond(&mut writer, code, &[], b"{\"errors\":\"Internal error\"}");
                continue;
            }
            Some(Fault::Garbage) => {
                respond(&mut writer, 200, &[], b"{\"data\": {\"shop\": ");
                continue;
            }
            Some(Fault::TooMany) => {
                respond(
                    &mut writer,
                    429,
                    &[("Retry-After", "1".into())],
                    b"{\"errors\":\"Throttled\"}",
                );
                continue;
            }
            _ => {}
        }
        if req.method == "GET" && req.path.starts_with("/bulk/") {
            let id: u64 = req.path[6..]
                .trim_end_matches(".jsonl")
                .parse()
                .unwrap_or(0);
            let body = state
                .lock()
                .unwrap()
                .bulks
                .get(&id)
                .and_then(|b| b.jsonl.clone());
            match (body, fault) {
                (Some(b), Some(Fault::CutAfter(n))) => {
                    // Promise the whole file, send part of it, hang up.
                    let part: String = b.lines().take(n).map(|l| format!("{l}\n")).collect();
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len());
                    let _ = writer.write_all(head.as_bytes());
                    let _ = writer.write_all(part.as_bytes());
                    return;
                }
                (Some(b), _) => respond(&mut writer, 200, &[], b.as_bytes()),
                (None, _) => respond(&mut writer, 404, &[], b"not found"),
            }
            continue;
        }
        if req.path == "/admin/oauth/access_token" {
            let form = String::from_utf8_lossy(&req.body).to_string();
            let ok = form.contains("grant_type=client_credentials")
                && form.contains(&format!("client_id={CLIENT_ID}"))
                && form.contains(&format!("client_secret={CLIENT_SECRET}"));
            if !ok {
                respond(&mut writer, 400, &[], b"{\"error\":\"invalid_client\"}");
                continue;
            }
            let mut s = state.lock().unwrap();
            s.grants += 1;
            let token = format!("shpca_granted_{}", s.grants);
            let life = s.options.grant_lifetime;
            s.tokens
                .insert(token.clone(), Instant::now() + Duration::from_secs(life));
            let body = json!({"access_token": token, "scope": "read_products,write_products", "expires_in": life});
            respond(&mut writer, 200, &[], body.to_string().as_bytes());
            continue;
        }
        if req.path != "/admin/api/2026-10/graphql.json" || req.method != "POST" {
            respond(&mut writer, 404, &[], b"{\"errors\":\"Not Found\"}");
            continue;
        }
        let token = req
            .headers
            .get("x-shopify-access-token")
            .cloned()
            .unwrap_or_default();
        let authorized = {
            let s = state.lock().unwrap();
            token == TOKEN
                || s.tokens
                    .get(&token)
                    .is_some_and(|exp| *exp > Instant::now())
        };
        if !authorized {
            respond(
                &mut writer,
                401,
                &[],
                b"{\"errors\":\"[API] Invalid API key or access token (unrecognized login or wrong password)\"}",
            );
            continue;
        }
        let body: Json = serde_json::from_slice(&req.body).unwrap_or(Json::Null);
        let held = {
            let mut s = state.lock().unwrap();
            match &s.hold {
                Some((op, d)) if body["operationName"] == json!(op) => {
                    let d = *d;
                    s.hold = None;
                    Some(d)
                }
                _ => None,
            }
        };
        if let Some(d) = held {
            std::thread::sleep(d);
        }
        let answer = graphql(&state, &url, &body);
        if matches!(fault, Some(Fault::DropAnswer)) {
            return;
        }
        respond(&mut writer, 200, &[], answer.to_string().as_bytes());
    }
}

/// A unit cost for a seeded variant. Assumed: the data set has no costs, so
/// a cost is 55 % of the first price seen, and one variant in eight has
/// none, as in a store where the owner has not entered every cost.
fn unit_cost(price: i64, variant: u64) -> Option<i64> {
    (variant % 8 != 3).then(|| (price * 55 + 50) / 100)
}

/// The product type and taxonomy category of a seeded product. Assumed: a
/// few products have a type the shop typed, some only a taxonomy category
/// chosen from the title, the rest neither (Shopify answers "" and null).
fn catalog_of(title: &str, product: u64) -> (String, Option<String>) {
    let t = title.to_uppercase();
    let category = [
        ("BAG", "Handbags, Wallets & Cases"),
        ("CANDLE", "Candles"),
        ("MUG", "Mugs"),
        ("CARD", "Greeting & Note Cards"),
        ("LIGHT", "Lighting"),
    ]
    .into_iter()
    .find(|(word, _)| t.contains(word))
    .map(|(_, name)| name.to_string());
    let product_type = if product.is_multiple_of(5) && category.is_some() {
        "Gifts".to_string()
    } else {
        String::new()
    };
    (product_type, category)
}

/// What an operation may cost, before it runs (Shopify's requested cost).
fn requested_cost(op: &str, vars: &Json) -> f64 {
    let first = vars["first"].as_f64().unwrap_or(1.0);
    match op {
        "ProductsPage" => 2.0 + first * (1.0 + 1.0 + 2.0 + 10.0 * 3.0),
        "CustomersPage" => 2.0 + first * 4.0,
        "OrdersPage" => 2.0 + first * (3.0 + 82.0 + 3.0 * 45.0),
        "ProductVariantsPage" => 1.0 + 2.0 + 100.0 * 3.0,
        "OrderLinesPage" => 1.0 + 2.0 + 100.0 * 2.0,
        "ReadNodes" => 1.0 + vars["ids"].as_array().map(|a| a.len()).unwrap_or(1) as f64,
        // Contract 1, customer 1, its email 1, billing policy 1, lines of
        // 5 × (line 1 + price 1) + 2.
        "ContractsPage" => 2.0 + first * 16.0,
        "ContractBillingAttempts" => 1.0 + 2.0 + 25.0 * 2.0,
        "BillingAttemptCreate" => 10.0,
        "ContractStatus" | "BillingCycleSkipped" => 2.0,
        "ContractPause" | "ContractActivate" | "ContractCancel" | "BillingCycleSkip"
        | "BillingCycleUnskip" => 10.0,
        "BulkRun"
        | "VariantPrices"
        | "TagsAdd"
        | "TagsRemove"
        | "MetafieldsSet"
        | "MetafieldsDelete"
        | "AutomaticCreate"
        | "AutomaticUpdate"
        | "AutomaticDelete"
        | "CodeCreate"
        | "CodeUpdate"
        | "CodeDelete"
        | "FreeShippingCreate"
        | "FreeShippingUpdate"
        | "AutomaticBxgyCreate" => 10.0,
        // nodes: one per id, each with one metafield object.
        "ReadMetafields" => 1.0 + 2.0 * vars["ids"].as_array().map(|a| a.len()).unwrap_or(1) as f64,
        // The basic branch (two connections of 100) costs most; a buy X get
        // Y's four connections of 25 cost less.
        "ReadDiscount" => 5.0 + 2.0 * 100.0,
        "DiscountsPage" => 2.0 + first * (5.0 + 2.0 * 100.0),
        _ => 1.0,
    }
}

fn graphql(state: &Arc<Mutex<State>>, url: &str, body: &Json) -> Json {
    let op = body["operationName"].as_str().unwrap_or("").to_string();
    let vars = body["variables"].clone();
    let mut s = state.lock().unwrap();
    let now = Instant::now();
    let (max, rate) = (s.options.bucket, s.options.restore_rate);
    if let Some(at) = s.at {
        s.available = (s.available + rate * now.duration_since(at).as_secs_f64()).min(max);
    }
    s.at = Some(now);
    let requested = requested_cost(&op, &vars);
    let cost = |actual: f64, available: f64| {
        json!({
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": max, "currentlyAvailable": available, "restoreRate": rate}
        })
    };
    // Documented: a single query may not request more than 1,000 points.
    if requested > 1000.0 {
        return json!({
            "errors": [{"message": format!("Query cost is {requested}, which exceeds the single query max cost limit (1000)."),
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": 1000}}],
        });
    }
    if s.available < requested {
        s.throttled += 1;
        return json!({
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": {"cost": cost(0.0, s.available)}
        });
    }
    let (data, actual) = match run(&mut s, url, &op, &vars) {
        Ok(r) => r,
        Err(message) => {
            return json!({"errors": [{"message": message}], "extensions": {"cost": cost(1.0, s.available)}})
        }
    };
    let actual = actual.min(requested);
    s.available -= actual;
    json!({"data": data, "extensions": {"cost": cost(actual, s.available)}})
}

fn product_json(p: &Product, variants: Option<&[Variant]>) -> Json {
    let mut j = json!({
        "id": gid("Product", p.id), "title": p.title, "productType": p.product_type,
        "category": p.category.as_ref().map(|name| json!({"name": name})),
        "vendor": p.vendor, "tags": p.tags,
        "status": "ACTIVE", "updatedAt": time(p.updated),
    });
    if let Some(vs) = variants {
        j["variants"] = json!({
            "pageInfo": {"hasNextPage": false, "endCursor": null},
            "nodes": vs.iter().map(variant_json).collect::<Vec<_>>()
        });
    }
    j
}

fn variant_json(v: &Variant) -> Json {
    json!({"id": gid("ProductVariant", v.id), "sku": v.sku, "title": v.title,
           "price": money(v.price), "compareAtPrice": v.compare_at.map(money),
           "inventoryQuantity": v.stock,
           "inventoryItem": {"unitCost": v.cost.map(|c| json!({"amount": money(c), "currencyCode": "GBP"}))}})
}

fn customer_json(c: &Customer) -> Json {
    json!({"id": gid("Customer", c.id), "displayName": c.name,
           "defaultEmailAddress": {"emailAddress": format!("customer{}@example.com", c.id)},
           "defaultAddress": {"countryCodeV2": c.country.chars().take(2).collect::<String>().to_uppercase()},
           "tags": c.tags, "createdAt": time(c.created), "updatedAt": time(c.updated),
           "birthDate": c.birth_date.as_ref().map(|d| json!({"value": d}))})
}

fn line_json(l: &Line) -> Json {
    json!({"id": gid("LineItem", l.id), "sku": l.sku, "title": l.title, "quantity": l.quantity,
           "variant": {"id": gid("ProductVariant", l.variant)},
           "originalUnitPriceSet": {"shopMoney": {"amount": money(l.price), "currencyCode": "GBP"}}})
}

fn order_json(o: &Order, lines: Option<&[Line]>) -> Json {
    let refunded: i64 = o
        .refunds
        .iter()
        .flat_map(|r| r.lines.iter())
        .map(|l| l.2)
        .sum();
    let mut j = json!({
        "id": gid("Order", o.id), "name": o.name, "email": null,
        "processedAt": time(o.placed), "updatedAt": time(o.updated),
        "cancelledAt": o.cancelled.map(time),
        "displayFinancialStatus": if refunded > 0 { "PARTIALLY_REFUNDED" } else { "PAID" },
        "currencyCode": "GBP",
        "customer": o.customer.map(|c| json!({"id": gid("Customer", c)})),
        "billingAddress": {"countryCodeV2": "GB"},
        "refunds": o.refunds.iter().map(|r| json!({
            "id": gid("Refund", r.id), "createdAt": time(r.created),
            "totalRefundedSet": {"shopMoney": {"amount": money(r.lines.iter().map(|l| l.2).sum())}},
            "refundLineItems": {"nodes": r.lines.iter().map(|(line, q, a)| json!({
                "quantity": q, "lineItem": {"id": gid("LineItem", *line)},
                "subtotalSet": {"shopMoney": {"amount": money(*a)}}})).collect::<Vec<_>>()}
        })).collect::<Vec<_>>(),
    });
    if let Some(ls) = lines {
        j["lineItems"] = json!({
            "pageInfo": {"hasNextPage": ls.len() < o.lines.len(),
                         "endCursor": ls.last().map(|l| l.id.to_string())},
            "nodes": ls.iter().map(line_json).collect::<Vec<_>>()
        });
    }
    j
}

/// Records changed at or after the search's `updated_at:>='…'`.
fn since(vars: &Json) -> i64 {
    vars["query"]
        .as_str()
        .and_then(|q| q.split("updated_at:>='").nth(1))
        .and_then(|r| r.split('\'').next())
        .and_then(parse_time)
        .unwrap_or(i64::MIN)
}

/// A page of `(updated, id)`-sorted items after the cursor "updated:id".
fn page<T: Clone>(items: Vec<(i64, u64, T)>, vars: &Json) -> (Vec<T>, bool, Option<String>) {
    let mut items = items;
    items.sort_by_key(|(u, id, _)| (*u, *id));
    let after = vars["after"].as_str().and_then(|c| {
        let (u, id) = c.split_once(':')?;
        Some((u.parse::<i64>().ok()?, id.parse::<u64>().ok()?))
    });
    let first = vars["first"].as_u64().unwrap_or(50) as usize;
    let rest: Vec<_> = items
        .into_iter()
        .filter(|(u, id, _)| after.is_none_or(|a| (*u, *id) > a))
        .collect();
    let more = rest.len() > first;
    let taken: Vec<_> = rest.into_iter().take(first).collect();
    let cursor = taken.last().map(|(u, id, _)| format!("{u}:{id}"));
    (taken.into_iter().map(|(_, _, t)| t).collect(), more, cursor)
}

fn user_error(field: &[&str], message: &str) -> Json {
    json!([{"field": field, "message": message}])
}

fn run(s: &mut State, url: &str, op: &str, vars: &Json) -> Result<(Json, f64), String> {
    Ok(match op {
        // Documented: without the subscription scopes the fields are
        // refused. The wording is assumed.
        "ContractsPage"
        | "ContractBillingAttempts"
        | "BillingAttemptCreate"
        | "ContractStatus"
        | "ContractPause"
        | "ContractActivate"
        | "ContractCancel"
        | "BillingCycleSkipped"
        | "BillingCycleSkip"
        | "BillingCycleUnskip"
            if !s.subscription_scopes =>
        {
            let field = match op {
                "ContractsPage" => "subscriptionContracts",
                "ContractBillingAttempts" | "ContractStatus" => "subscriptionContract",
                "BillingCycleSkipped" => "subscriptionBillingCycle",
                _ => "subscriptionBillingAttemptCreate",
            };
            return Err(format!(
                "Access denied for {field} field. Required access: `read_own_subscription_contracts` access scope."
            ));
        }
        "ContractStatus" => {
            let id = vars["id"].as_str().unwrap_or("");
            let c = s
                .contracts
                .get(&num(id))
                .filter(|_| id.contains("SubscriptionContract"));
            (
                json!({"subscriptionContract": c.map(|c| json!({"id": id, "status": c.status}))}),
                2.0,
            )
        }
        "ContractPause" | "ContractActivate" | "ContractCancel" => {
            let field = match op {
                "ContractPause" => "subscriptionContractPause",
                "ContractActivate" => "subscriptionContractActivate",
                _ => "subscriptionContractCancel",
            };
            let id = vars["id"].as_str().unwrap_or("").to_string();
            let refuse = |message: &str| {
                Ok((
                    json!({field: {"contract": null, "userErrors": user_error(&["subscriptionContractId"], message)}}),
                    10.0,
                ))
            };
            let at = s.tick();
            let Some(c) = s
                .contracts
                .get_mut(&num(&id))
                .filter(|_| id.contains("SubscriptionContract"))
            else {
                return refuse("Contract does not exist");
            };
            // Assumed (the wording too): a cancelled or expired contract
            // stays so; nothing else is refused.
            if matches!(c.status.as_str(), "CANCELLED" | "EXPIRED") {
                return refuse("Contract is already cancelled or expired");
            }
            c.status = match op {
                "ContractPause" => "PAUSED",
                "ContractActivate" => "ACTIVE",
                _ => "CANCELLED",
            }
            .into();
            let status = c.status.clone();
            c.updated = at;
            (
                json!({field: {"contract": {"id": id, "status": status}, "userErrors": []}}),
                10.0,
            )
        }
        "BillingCycleSkipped" | "BillingCycleSkip" | "BillingCycleUnskip" => {
            let input = &vars["input"];
            let id = input["contractId"].as_str().unwrap_or("");
            let day: String = input["selector"]["date"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(10)
                .collect();
            let Some(c) = s
                .contracts
                .get(&num(id))
                .filter(|_| id.contains("SubscriptionContract"))
            else {
                return Ok((json!({"subscriptionBillingCycle": null}), 1.0));
            };
            let key = (c.id, day);
            let field = match op {
                "BillingCycleSkipped" => "subscriptionBillingCycle",
                "BillingCycleSkip" => "subscriptionBillingCycleSkip",
                _ => "subscriptionBillingCycleUnskip",
            };
            match op {
                "BillingCycleSkip" => {
                    s.skipped_cycles.insert(key.clone());
                }
                "BillingCycleUnskip" => {
                    s.skipped_cycles.remove(&key);
                }
                _ => {}
            }
            let cycle = json!({"cycleIndex": 0, "skipped": s.skipped_cycles.contains(&key)});
            if op == "BillingCycleSkipped" {
                (json!({field: cycle}), 2.0)
            } else {
                (
                    json!({field: {"billingCycle": cycle, "userErrors": []}}),
                    10.0,
                )
            }
        }
        "ContractsPage" => {
            let items = s
                .contracts
                .values()
                .map(|c| (c.created, c.id, c.clone()))
                .collect();
            let (nodes, more, cursor) = page(items, vars);
            let cost = 2.0 + 16.0 * nodes.len() as f64;
            let nodes: Vec<Json> = nodes.iter().map(|c| contract_json(s, c)).collect();
            (
                json!({"subscriptionContracts": {"pageInfo": {"hasNextPage": more, "endCursor": cursor}, "nodes": nodes}}),
                cost,
            )
        }
        "ContractBillingAttempts" => {
            let id = vars["id"].as_str().unwrap_or("");
            let Some(c) = s
                .contracts
                .get(&num(id))
                .filter(|_| id.contains("SubscriptionContract"))
            else {
                return Ok((json!({"subscriptionContract": null}), 1.0));
            };
            let cid = c.id;
            let mut mine: Vec<&mut BillingAttempt> = s
                .attempts
                .iter_mut()
                .filter(|a| a.contract == cid)
                .collect();
            mine.reverse();
            let nodes: Vec<Json> = mine
                .into_iter()
                .take(25)
                .map(|a| {
                    a.read = true;
                    attempt_json(a)
                })
                .collect();
            let cost = 3.0 + 2.0 * nodes.len() as f64;
            (
                json!({"subscriptionContract": {"id": id, "billingAttempts": {"nodes": nodes}}}),
                cost,
            )
        }
        "BillingAttemptCreate" => {
            let field = "subscriptionBillingAttemptCreate";
            let refuse = |path: &[&str], message: &str, code: &str| {
                let mut e = user_error(path, message);
                e[0]["code"] = json!(code);
                Ok((
                    json!({field: {"subscriptionBillingAttempt": null, "userErrors": e}}),
                    10.0,
                ))
            };
            let id = vars["contract"].as_str().unwrap_or("");
            let key = vars["input"]["idempotencyKey"]
                .as_str()
                .unwrap_or("")
                .to_string();
            // Documented: the key is required (`String!`), and a key seen
            // before returns that attempt rather than charging again.
            if key.is_empty() {
                return refuse(
                    &["idempotencyKey"],
                    "Idempotency key can't be blank",
                    "BLANK",
                );
            }
            let Some(c) = s
                .contracts
                .get(&num(id))
                .filter(|_| id.contains("SubscriptionContract"))
                .cloned()
            else {
                return refuse(
                    &["subscriptionContractId"],
                    "Contract does not exist",
                    "CONTRACT_NOT_FOUND",
                );
            };
            if let Some(a) = s
                .attempts
                .iter()
                .find(|a| a.contract == c.id && a.key == key)
            {
                let a = BillingAttempt {
                    read: false,
                    ..a.clone()
                };
                return Ok((
                    json!({field: {"subscriptionBillingAttempt": attempt_json(&a), "userErrors": []}}),
                    10.0,
                ));
            }
            // Assumed: a paused, cancelled or expired contract is not billed.
            if !matches!(c.status.as_str(), "ACTIVE" | "FAILED") {
                return refuse(
                    &["subscriptionContractId"],
                    "Contract is not active",
                    "CONTRACT_TERMINATED",
                );
            }
            let aid = s.id();
            let created = s.tick();
            let order = c.declines.is_none().then(|| aid + 1_000_000);
            let a = BillingAttempt {
                id: aid,
                contract: c.id,
                key,
                created,
                read: false,
                error: c.declines.clone(),
                order,
            };
            let answer = attempt_json(&a);
            s.attempts.push(a);
            (
                json!({field: {"subscriptionBillingAttempt": answer, "userErrors": []}}),
                10.0,
            )
        }
        "ShopInfo" => (
            json!({"shop": {"name": "Online Retail (fake Shopify)", "currencyCode": "GBP",
                   "ianaTimezone": "Europe/London", "myshopifyDomain": "online-retail.myshopify.com",
                   "currencyFormats": {"moneyFormat": s.money_format}}}),
            1.0,
        ),
        "ProductsPage" => {
            let from = since(vars);
            let items = s
                .products
                .values()
                .filter(|p| p.updated >= from)
                .map(|p| (p.updated, p.id, p.clone()))
                .collect();
            let (nodes, more, cursor) = page(items, vars);
            let cost = 2.0
                + nodes
                    .iter()
                    .map(|p: &Product| 4.0 + 3.0 * p.variants.len().min(10) as f64)
                    .sum::<f64>();
            let nodes: Vec<Json> = nodes
                .iter()
                .map(|p| product_json(p, Some(&p.variants[..p.variants.len().min(10)])))
                .collect();
            (
                json!({"products": {"pageInfo": {"hasNextPage": more, "endCursor": cursor}, "nodes": nodes}}),
                cost,
            )
        }
        "CustomersPage" => {
            let from = since(vars);
            let items = s
                .customers
                .values()
                .filter(|c| c.updated >= from)
                .map(|c| (c.updated, c.id, c.clone()))
                .collect();
            let (nodes, more, cursor) = page(items, vars);
            let cost = 2.0 + nodes.len() as f64 * 3.0;
            let nodes: Vec<Json> = nodes.iter().map(customer_json).collect();
            (
                json!({"customers": {"pageInfo": {"hasNextPage": more, "endCursor": cursor}, "nodes": nodes}}),
                cost,
            )
        }
        "OrdersPage" => {
            let from = since(vars);
            let items = s
                .orders
                .values()
                .filter(|o| o.updated >= from)
                .map(|o| (o.updated, o.id, o.clone()))
                .collect();
            let (nodes, more, cursor) = page(items, vars);
            let cost = 2.0
                + nodes
                    .iter()
                    .map(|o: &Order| {
                        5.0 + 4.0 * o.lines.len().min(20) as f64
                            + o.refunds
                                .iter()
                                .map(|r| 3.0 + 4.0 * r.lines.len() as f64)
                                .sum::<f64>()
                    })
                    .sum::<f64>();
            let nodes: Vec<Json> = nodes
                .iter()
                .map(|o| order_json(o, Some(&o.lines[..o.lines.len().min(20)])))
                .collect();
            (
                json!({"orders": {"pageInfo": {"hasNextPage": more, "endCursor": cursor}, "nodes": nodes}}),
                cost,
            )
        }
        "OrderLinesPage" => {
            let o = s
                .orders
                .get(&num(vars["id"].as_str().unwrap_or("")))
                .ok_or("no such order")?;
            let after: u64 = vars["after"]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or(0);
            let rest: Vec<&Line> = o.lines.iter().filter(|l| l.id > after).collect();
            let taken: Vec<Json> = rest.iter().take(100).map(|l| line_json(l)).collect();
            let cost = 3.0 + 4.0 * taken.len() as f64;
            (
                json!({"order": {"lineItems": {"pageInfo": {"hasNextPage": rest.len() > 100,
                "endCursor": rest.get(rest.len().min(100).wrapping_sub(1)).map(|l| l.id.to_string())}, "nodes": taken}}}),
                cost,
            )
        }
        "ProductVariantsPage" => (
            json!({"product": {"variants": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": []}}}),
            3.0,
        ),
        "BulkRun" => {
            let q = vars["query"].as_str().unwrap_or("");
            let entity = ["products", "customers", "orders"]
                .into_iter()
                .find(|e| {
                    q.trim_start()
                        .trim_start_matches('{')
                        .trim_start()
                        .starts_with(e)
                })
                .ok_or("bulk query must select products, customers or orders")?;
            if s.bulks
                .values()
                .any(|b| b.jsonl.is_none() && b.started.elapsed() < s.options.bulk_time)
            {
                return Ok((
                    json!({"bulkOperationRunQuery": {"bulkOperation": null,
                    "userErrors": user_error(&["query"], "A bulk query operation for this app and shop is already in progress")}}),
                    10.0,
                ));
            }
            let id = s.id();
            s.bulks.insert(
                id,
                Bulk {
                    entity,
                    started: Instant::now(),
                    jsonl: None,
                    objects: 0,
                },
            );
            (
                json!({"bulkOperationRunQuery": {"bulkOperation": {"id": gid("BulkOperation", id), "status": "CREATED"}, "userErrors": []}}),
                10.0,
            )
        }
        "BulkStatus" => {
            let id = num(vars["id"].as_str().unwrap_or(""));
            let bulk_time = s.options.bulk_time;
            let ready = s
                .bulks
                .get(&id)
                .ok_or("no such bulk operation")?
                .started
                .elapsed()
                >= bulk_time;
            if ready && s.bulks[&id].jsonl.is_none() {
                let (text, n) = export(s, s.bulks[&id].entity);
                let b = s.bulks.get_mut(&id).unwrap();
                b.jsonl = Some(Arc::new(text));
                b.objects = n;
            }
            let b = &s.bulks[&id];
            let status = if b.jsonl.is_some() {
                "COMPLETED"
            } else {
                "RUNNING"
            };
            (
                json!({"bulkOperation": {"id": gid("BulkOperation", id), "status": status, "errorCode": null,
                "objectCount": b.objects.to_string(),
                "url": b.jsonl.as_ref().map(|_| format!("{url}/bulk/{id}.jsonl"))}}),
                1.0,
            )
        }
        "ReadNodes" => {
            let nodes: Vec<Json> = vars["ids"].as_array().into_iter().flatten().map(|id| {
                let id = id.as_str().unwrap_or("");
                let n = num(id);
                if id.contains("/ProductVariant/") {
                    s.products.values().flat_map(|p| &p.variants).find(|v| v.id == n)
                        .map(|v| json!({"id": id, "price": money(v.price), "compareAtPrice": v.compare_at.map(money)}))
                        .unwrap_or(Json::Null)
                } else if id.contains("/Customer/") {
                    s.customers.get(&n).map(|c| json!({"id": id, "tags": c.tags})).unwrap_or(Json::Null)
                } else {
                    Json::Null
                }
            }).collect();
            let n = nodes.len() as f64;
            (json!({"nodes": nodes}), 1.0 + n)
        }
        "VariantPrices" => {
            let product = num(vars["productId"].as_str().unwrap_or(""));
            let mut out = Vec::new();
            let t = s.tick();
            let Some(p) = s.products.get_mut(&product) else {
                return Ok((
                    json!({"productVariantsBulkUpdate": {"productVariants": null,
                    "userErrors": user_error(&["productId"], "Product does not exist")}}),
                    10.0,
                ));
            };
            for (i, v) in vars["variants"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let vid = num(v["id"].as_str().unwrap_or(""));
                let price = v["price"].as_str().map(minor);
                if price.is_some_and(|p| p < 0) {
                    return Ok((
                        json!({"productVariantsBulkUpdate": {"productVariants": null,
                        "userErrors": user_error(&["variants", &i.to_string(), "price"], "Price must be greater than or equal to 0")}}),
                        10.0,
                    ));
                }
                let Some(var) = p.variants.iter_mut().find(|x| x.id == vid) else {
                    return Ok((
                        json!({"productVariantsBulkUpdate": {"productVariants": null,
                        "userErrors": user_error(&["variants", &i.to_string(), "id"], "Product variant does not exist")}}),
                        10.0,
                    ));
                };
                if let Some(pr) = price {
                    var.price = pr;
                }
                if v.get("compareAtPrice").is_some() {
                    var.compare_at = v["compareAtPrice"].as_str().map(minor);
                }
                out.push(json!({"id": gid("ProductVariant", vid), "price": money(var.price), "compareAtPrice": var.compare_at.map(money)}));
            }
            p.updated = t;
            (
                json!({"productVariantsBulkUpdate": {"productVariants": out, "userErrors": []}}),
                10.0,
            )
        }
        "TagsAdd" | "TagsRemove" => {
            let field = if op == "TagsAdd" {
                "tagsAdd"
            } else {
                "tagsRemove"
            };
            let id = vars["id"].as_str().unwrap_or("").to_string();
            let t = s.tick();
            let Some(c) = s.customers.get_mut(&num(&id)) else {
                return Ok((
                    json!({field: {"node": null, "userErrors": user_error(&["id"], "Customer does not exist")}}),
                    10.0,
                ));
            };
            for tag in vars["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str())
            {
                if op == "TagsAdd" {
                    if !c.tags.iter().any(|x| x == tag) {
                        c.tags.push(tag.to_string());
                    }
                } else {
                    c.tags.retain(|x| x != tag);
                }
            }
            c.updated = t;
            (json!({field: {"node": {"id": id}, "userErrors": []}}), 10.0)
        }
        "ReadMetafields" => {
            let (namespace, key) = (
                vars["namespace"].as_str().unwrap_or("").to_string(),
                vars["key"].as_str().unwrap_or("").to_string(),
            );
            let ids: Vec<String> = vars["ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect();
            if ids.len() > 250 {
                return Err(
                    "The input array size of ids is greater than the maximum allowed of 250."
                        .into(),
                );
            }
            let nodes: Vec<Json> = ids
                .iter()
                .map(|id| {
                    let m = s
                        .metafields
                        .get(&(id.clone(), namespace.clone(), key.clone()))
                        .map(|(t, v)| json!({"type": t, "value": v}));
                    json!({"id": id, "metafield": m})
                })
                .collect();
            let n = nodes.len() as f64;
            (json!({"nodes": nodes}), 1.0 + 2.0 * n)
        }
        "MetafieldsSet" => {
            let list: Vec<Json> = vars["metafields"].as_array().cloned().unwrap_or_default();
            // Documented: at most 25 a call. The refusal's wording is assumed.
            if list.len() > 25 {
                return Err(format!(
                    "The input array size of {} is greater than the maximum allowed of 25.",
                    list.len()
                ));
            }
            s.metafield_sets += list.len();
            // Documented: atomic; nothing is set when one is refused.
            for (i, m) in list.iter().enumerate() {
                let (ty, value) = (
                    m["type"].as_str().unwrap_or("single_line_text_field"),
                    m["value"].as_str().unwrap_or(""),
                );
                // Documented: a `list.product_reference` value is a JSON
                // array of product GIDs. Refusing one that names no product
                // of the store, and the refusal's wording, are assumed.
                if ty == "list.product_reference" {
                    let ids: Option<Vec<String>> = serde_json::from_str(value).ok();
                    let known = |g: &String| {
                        g.strip_prefix("gid://shopify/Product/")
                            .and_then(|n| n.parse::<u64>().ok())
                            .is_some_and(|n| s.products.contains_key(&n))
                    };
                    if !ids.is_some_and(|ids| ids.iter().all(known)) {
                        return Ok((
                            json!({"metafieldsSet": {"metafields": [], "userErrors": [{
                                "field": ["metafields", i.to_string(), "value"],
                                "elementIndex": i,
                                "message": "Value references non-existent resource."}]}}),
                            10.0,
                        ));
                    }
                }
                if ty == "number_integer" && value.parse::<i64>().is_err() {
                    return Ok((
                        json!({"metafieldsSet": {"metafields": [], "userErrors": [{
                            "field": ["metafields", i.to_string(), "value"],
                            "elementIndex": i,
                            "message": "Value must be an integer."}]}}),
                        10.0,
                    ));
                }
            }
            let mut out = Vec::new();
            for m in &list {
                let key = (
                    m["ownerId"].as_str().unwrap_or("").to_string(),
                    m["namespace"].as_str().unwrap_or("").to_string(),
                    m["key"].as_str().unwrap_or("").to_string(),
                );
                let (ty, value) = (
                    m["type"].as_str().unwrap_or("single_line_text_field"),
                    m["value"].as_str().unwrap_or(""),
                );
                s.metafields
                    .insert(key.clone(), (ty.to_string(), value.to_string()));
                out.push(json!({"key": key.2, "namespace": key.1, "value": value}));
            }
            (
                json!({"metafieldsSet": {"metafields": out, "userErrors": []}}),
                10.0,
            )
        }
        "MetafieldsDelete" => {
            for m in vars["metafields"].as_array().into_iter().flatten() {
                let key = (
                    m["ownerId"].as_str().unwrap_or("").to_string(),
                    m["namespace"].as_str().unwrap_or("").to_string(),
                    m["key"].as_str().unwrap_or("").to_string(),
                );
                s.metafields.remove(&key);
            }
            (
                json!({"metafieldsDelete": {"deletedMetafields": [], "userErrors": []}}),
                10.0,
            )
        }
        "AutomaticCreate" | "CodeCreate" | "FreeShippingCreate" => {
            let input = vars["input"].clone();
            let field = match op {
                "CodeCreate" => "discountCodeBasicCreate",
                "FreeShippingCreate" => "discountCodeFreeShippingCreate",
                _ => "discountAutomaticBasicCreate",
            };
            // Assumed: a code for customers who do not exist is refused.
            for c in input["context"]["customers"]["add"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if !s.customers.contains_key(&num(c.as_str().unwrap_or(""))) {
                    return Ok((
                        json!({field: {"userErrors": user_error(&["basicCodeDiscount", "context", "customers", "add"], "Customer does not exist")}}),
                        10.0,
                    ));
                }
            }
            if input["title"].as_str().unwrap_or("").is_empty() {
                return Ok((
                    json!({field: {"userErrors": user_error(&["title"], "Title can't be blank")}}),
                    10.0,
                ));
            }
            let id = s.id();
            let kind = match op {
                "CodeCreate" => "code",
                "FreeShippingCreate" => "code_free_shipping",
                _ => "automatic",
            };
            s.discounts.insert(id, (kind.to_string(), input));
            s.discounts_created += 1;
            let (node, g) = if kind.starts_with("code") {
                ("codeDiscountNode", gid("DiscountCodeNode", id))
            } else {
                ("automaticDiscountNode", gid("DiscountAutomaticNode", id))
            };
            (json!({field: {node: {"id": g}, "userErrors": []}}), 10.0)
        }
        "AutomaticBxgyCreate" => {
            let input = vars["input"].clone();
            let field = "discountAutomaticBxgyCreate";
            let refuse = |path: &[&str], message: &str| {
                let mut full = vec!["automaticBxgyDiscount"];
                full.extend_from_slice(path);
                Ok((
                    json!({field: {"automaticDiscountNode": null, "userErrors": user_error(&full, message)}}),
                    10.0,
                ))
            };
            if input["title"].as_str().unwrap_or("").is_empty() {
                return refuse(&["title"], "Title can't be blank");
            }
            // Documented: what the buyer buys is products or collections.
            // The wording is assumed.
            if input["customerBuys"]["items"].get("products").is_none() {
                return refuse(
                    &["customerBuys", "items"],
                    "Items must be products or collections",
                );
            }
            // Documented: BXGY takes neither `percentage` nor `discountAmount`,
            // only `discountOnQuantity`. The wording is assumed.
            let on = &input["customerGets"]["value"]["discountOnQuantity"];
            if on.is_null() {
                return refuse(
                    &["customerGets", "value"],
                    "Value must be discount on quantity",
                );
            }
            // `UnsignedInt64` is a string; the wording is assumed.
            for (path, q) in [
                (
                    ["customerBuys", "value", "quantity"],
                    &input["customerBuys"]["value"]["quantity"],
                ),
                (["customerGets", "value", "quantity"], &on["quantity"]),
            ] {
                if q.as_str()
                    .and_then(|t| t.parse::<u64>().ok())
                    .is_none_or(|n| n == 0)
                {
                    return refuse(&path, "Quantity must be greater than 0");
                }
            }
            let pct = on["effect"]["percentage"].as_f64().unwrap_or(-1.0);
            if !(0.0..=1.0).contains(&pct) || pct == 0.0 {
                return refuse(
                    &[
                        "customerGets",
                        "value",
                        "discountOnQuantity",
                        "effect",
                        "percentage",
                    ],
                    "Value must be between 0.0 and 1.0",
                );
            }
            // Assumed: a product the shop does not have is refused.
            for side in ["customerBuys", "customerGets"] {
                for p in input[side]["items"]["products"]["productsToAdd"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if !s.products.contains_key(&num(p.as_str().unwrap_or(""))) {
                        return refuse(
                            &[side, "items", "products", "productsToAdd"],
                            "Product does not exist",
                        );
                    }
                }
            }
            let id = s.id();
            s.discounts
                .insert(id, ("automatic_bxgy".to_string(), input));
            s.discounts_created += 1;
            (
                json!({field: {"automaticDiscountNode": {"id": gid("DiscountAutomaticNode", id)}, "userErrors": []}}),
                10.0,
            )
        }
        "AutomaticUpdate" | "CodeUpdate" | "FreeShippingUpdate" => {
            let id = num(vars["id"].as_str().unwrap_or(""));
            let (field, node) = match op {
                "CodeUpdate" => ("discountCodeBasicUpdate", "codeDiscountNode"),
                "FreeShippingUpdate" => ("discountCodeFreeShippingUpdate", "codeDiscountNode"),
                _ => ("discountAutomaticBasicUpdate", "automaticDiscountNode"),
            };
            let Some((_, input)) = s.discounts.get_mut(&id) else {
                return Ok((
                    json!({field: {node: null, "userErrors": user_error(&["id"], "Discount does not exist")}}),
                    10.0,
                ));
            };
            let old_items = input["customerGets"]["items"].clone();
            let old_buyers = input["context"]["customers"]["add"].clone();
            for (k, v) in vars["input"].as_object().into_iter().flatten() {
                input[k] = v.clone();
            }
            // customers.add / .remove apply to who was there.
            if let Some(c) = vars["input"]["context"].get("customers") {
                let mut v: Vec<Json> = old_buyers.as_array().cloned().unwrap_or_default();
                for a in c["add"].as_array().into_iter().flatten() {
                    if !v.contains(a) {
                        v.push(a.clone());
                    }
                }
                let rm: Vec<Json> = c["remove"].as_array().cloned().unwrap_or_default();
                v.retain(|x| !rm.contains(x));
                input["context"] = json!({"customers": {"add": v}});
            }
            // productsToAdd/ToRemove apply to what was there.
            if let Some(p) = vars["input"]["customerGets"]["items"].get("products") {
                let merge = |old: &Json, add: &Json, remove: &Json| -> Json {
                    let mut v: Vec<String> = old
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect();
                    for a in add
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str())
                    {
                        if !v.iter().any(|x| x == a) {
                            v.push(a.to_string());
                        }
                    }
                    let rm: Vec<&str> = remove
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str())
                        .collect();
                    v.retain(|x| !rm.contains(&x.as_str()));
                    json!(v)
                };
                let op_ = &old_items["products"];
                input["customerGets"]["items"] = json!({"products": {
                    "productsToAdd": merge(&op_["productsToAdd"], &p["productsToAdd"], &p["productsToRemove"]),
                    "productVariantsToAdd": merge(&op_["productVariantsToAdd"], &p["productVariantsToAdd"], &p["productVariantsToRemove"]),
                }});
            }
            (
                json!({field: {node: {"id": vars["id"]}, "userErrors": []}}),
                10.0,
            )
        }
        "AutomaticDelete" | "CodeDelete" => {
            let id = num(vars["id"].as_str().unwrap_or(""));
            let (field, key) = if op == "CodeDelete" {
                ("discountCodeDelete", "deletedCodeDiscountId")
            } else {
                ("discountAutomaticDelete", "deletedAutomaticDiscountId")
            };
            if s.discounts.remove(&id).is_none() {
                return Ok((
                    json!({field: {key: null, "userErrors": user_error(&["id"], "Discount does not exist")}}),
                    10.0,
                ));
            }
            (json!({field: {key: vars["id"], "userErrors": []}}), 10.0)
        }
        "ReadDiscount" => {
            let id = num(vars["id"].as_str().unwrap_or(""));
            let node = s.discounts.get(&id).map(
                |(kind, input)| json!({"id": vars["id"], "discount": discount_json(kind, input)}),
            );
            (json!({"discountNode": node}), 5.0)
        }
        "FindDiscounts" => {
            let q = vars["query"].as_str().unwrap_or("");
            let title = q
                .strip_prefix("title:'")
                .and_then(|t| t.strip_suffix('\''))
                .unwrap_or("")
                .replace("\\'", "'");
            let nodes: Vec<Json> = s
                .discounts
                .iter()
                .filter(|(_, (_, i))| i["title"] == json!(title))
                .map(|(id, (kind, _))| json!({"id": discount_gid(kind, *id)}))
                .collect();
            (json!({"discountNodes": {"nodes": nodes}}), 2.0)
        }
        "DiscountsPage" => {
            // Sorted by id; the cursor is the last id given.
            let after = vars["after"]
                .as_str()
                .and_then(|c| c.parse::<u64>().ok())
                .unwrap_or(0);
            let first = vars["first"].as_u64().unwrap_or(4) as usize;
            let rest: Vec<(&u64, &(String, Json))> = s.discounts.range(after + 1..).collect();
            let nodes: Vec<Json> = rest.iter().take(first)
                .map(|(id, (kind, input))| json!({"id": discount_gid(kind, **id), "discount": discount_json(kind, input)}))
                .collect();
            let more = rest.len() > first;
            let cursor = rest
                .iter()
                .take(first)
                .next_back()
                .map(|(id, _)| id.to_string());
            let n = nodes.len() as f64;
            (
                json!({"discountNodes": {"nodes": nodes, "pageInfo": {"hasNextPage": more, "endCursor": cursor}}}),
                2.0 + 5.0 * n,
            )
        }
        other => return Err(format!("Field '{other}' doesn't exist on type 'QueryRoot'")),
    })
}

fn contract_json(s: &State, c: &Contract) -> Json {
    let email = c.email.clone();
    json!({
        "id": gid("SubscriptionContract", c.id),
        "status": c.status,
        "createdAt": time(c.created),
        "updatedAt": time(c.updated),
        "nextBillingDate": c.next_billing.map(time),
        "currencyCode": "GBP",
        "customer": c.customer.and_then(|id| s.customers.get(&id)).map(|cu| json!({
            "id": gid("Customer", cu.id), "displayName": cu.name,
            "defaultEmailAddress": email.as_ref().map(|e| json!({"emailAddress": e})),
        })),
        "billingPolicy": {"interval": c.interval, "intervalCount": c.interval_count},
        "lines": {"nodes": [{
            "title": c.title, "sellingPlanName": c.plan, "quantity": c.quantity,
            "currentPrice": {"amount": money(c.price), "currencyCode": "GBP"},
        }]},
    })
}

/// An attempt as Shopify answers it: not ready when just made.
fn attempt_json(a: &BillingAttempt) -> Json {
    let ready = a.read;
    json!({
        "id": gid("SubscriptionBillingAttempt", a.id),
        "idempotencyKey": a.key,
        "ready": ready,
        "errorCode": if ready { a.error.clone() } else { None },
        "errorMessage": if ready { a.error.as_ref().map(|_| "Your card was declined.") } else { None },
        "order": if ready { a.order.map(|o| json!({"id": gid("Order", o), "name": format!("#R{o}")})) } else { None },
    })
}

fn discount_gid(kind: &str, id: u64) -> String {
    if kind.starts_with("code") {
        gid("DiscountCodeNode", id)
    } else {
        gid("DiscountAutomaticNode", id)
    }
}

/// A discount as the Admin API shows it. `bxgy` is an automatic buy X get
/// Y discount (its input: title, startsAt, endsAt), which the app reads by
/// its window only.
fn discount_json(kind: &str, input: &Json) -> Json {
    if kind == "bxgy" {
        return json!({"__typename": "DiscountAutomaticBxgy", "title": input["title"],
            "startsAt": input["startsAt"], "endsAt": input["endsAt"]});
    }
    if kind == "automatic_bxgy" {
        let side = |items: &Json| {
            let page = |ids: &Json| {
                json!({"pageInfo": {"hasNextPage": false},
                "nodes": ids.as_array().into_iter().flatten().map(|id| json!({"id": id})).collect::<Vec<_>>()})
            };
            json!({"__typename": "DiscountProducts",
                "products": page(&items["products"]["productsToAdd"]),
                "productVariants": page(&items["products"]["productVariantsToAdd"])})
        };
        let on = &input["customerGets"]["value"]["discountOnQuantity"];
        return json!({"__typename": "DiscountAutomaticBxgy", "title": input["title"],
            "startsAt": input["startsAt"], "endsAt": input["endsAt"],
            // `usesPerOrderLimit` reads back as an Int.
            "usesPerOrderLimit": input["usesPerOrderLimit"].as_str().and_then(|t| t.parse::<i64>().ok()),
            "customerBuys": {"items": side(&input["customerBuys"]["items"]),
                "value": {"__typename": "DiscountQuantity", "quantity": input["customerBuys"]["value"]["quantity"]}},
            "customerGets": {"items": side(&input["customerGets"]["items"]),
                "value": {"__typename": "DiscountOnQuantity",
                    "quantity": {"quantity": on["quantity"]},
                    "effect": {"__typename": "DiscountPercentage", "percentage": on["effect"]["percentage"]}}}});
    }
    let buyers = match input["context"]["customers"]["add"].as_array() {
        Some(ids) if !ids.is_empty() => json!({"__typename": "DiscountCustomers",
            "customers": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()}),
        _ => json!({"__typename": "DiscountBuyerSelectionAll", "all": "ALL"}),
    };
    let min = &input["minimumRequirement"];
    let minimum = if let Some(q) = min.get("quantity") {
        json!({"__typename": "DiscountMinimumQuantity", "greaterThanOrEqualToQuantity": q["greaterThanOrEqualToQuantity"]})
    } else if let Some(sub) = min.get("subtotal") {
        json!({"__typename": "DiscountMinimumSubtotal", "greaterThanOrEqualToSubtotal": {"amount": sub["greaterThanOrEqualToSubtotal"]}})
    } else {
        Json::Null
    };
    if kind == "code_free_shipping" {
        return json!({"__typename": "DiscountCodeFreeShipping", "title": input["title"],
            "startsAt": input["startsAt"], "endsAt": input["endsAt"],
            "usageLimit": input["usageLimit"],
            "appliesOncePerCustomer": input["appliesOncePerCustomer"].as_bool().unwrap_or(false),
            "codes": {"nodes": [{"code": input["code"]}]},
            "context": buyers, "minimumRequirement": minimum});
    }
    let gets = &input["customerGets"];
    let value = if let Some(p) = gets["value"].get("percentage") {
        json!({"__typename": "DiscountPercentage", "percentage": p})
    } else {
        let a = &gets["value"]["discountAmount"];
        json!({"__typename": "DiscountAmount", "amount": {"amount": a["amount"]}, "appliesOnEachItem": a["appliesOnEachItem"]})
    };
    let items = match gets["items"].get("products") {
        Some(p) => json!({"__typename": "DiscountProducts",
            "products": {"nodes": p["productsToAdd"].as_array().into_iter().flatten().map(|id| json!({"id": id})).collect::<Vec<_>>()},
            "productVariants": {"nodes": p["productVariantsToAdd"].as_array().into_iter().flatten().map(|id| json!({"id": id})).collect::<Vec<_>>()}}),
        None => json!({"__typename": "AllDiscountItems", "allItems": true}),
    };
    let mut d = json!({
        "__typename": if kind == "code" { "DiscountCodeBasic" } else { "DiscountAutomaticBasic" },
        "title": input["title"], "startsAt": input["startsAt"], "endsAt": input["endsAt"],
        "minimumRequirement": minimum, "customerGets": {"value": value, "items": items},
    });
    if kind == "code" {
        d["usageLimit"] = input["usageLimit"].clone();
        d["appliesOncePerCustomer"] =
            json!(input["appliesOncePerCustomer"].as_bool().unwrap_or(false));
        d["codes"] = json!({"nodes": [{"code": input["code"]}]});
        d["context"] = buyers;
    }
    d
}

/// The JSONL a bulk export of `entity` gives: each parent, then its children.
fn export(s: &State, entity: &str) -> (String, usize) {
    let mut out = String::new();
    let mut n = 0;
    let mut line = |j: Json, out: &mut String| {
        out.push_str(&j.to_string());
        out.push('\n');
        n += 1;
    };
    match entity {
        "products" => {
            for p in s.products.values() {
                line(product_json(p, None), &mut out);
                for v in &p.variants {
                    let mut j = variant_json(v);
                    j["__parentId"] = json!(gid("Product", p.id));
                    line(j, &mut out);
                }
            }
        }
        "customers" => {
            for c in s.customers.values() {
                line(customer_json(c), &mut out);
            }
        }
        _ => {
            for o in s.orders.values() {
                line(order_json(o, None), &mut out);
                for l in &o.lines {
                    let mut j = line_json(l);
                    j["__parentId"] = json!(gid("Order", o.id));
                    line(j, &mut out);
                }
            }
        }
    }
    (out, n)
}
