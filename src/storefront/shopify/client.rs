//! The Admin GraphQL API over HTTP: authentication (an access token, or the
//! client-credentials grant refreshed before it expires), pacing inside
//! Shopify's leaky bucket from `extensions.cost.throttleStatus`, and bounded
//! retries of what is safe to retry. The token goes to the shop's own
//! address only, and never into an error or a log line.

use crate::error::{Error, Result};
use crate::storefront::secret::Secret;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The Admin API version every request names. The documents in `graphql/`
/// are checked against this version's schema (tests/shopify-schema).
pub const API_VERSION: &str = "2026-10";

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A custom app's Admin API access token.
    Token(Secret),
    /// The client-credentials grant: a client id and secret buy a token
    /// that lasts about a day.
    ClientCredentials { client_id: String, secret: Secret },
}

/// Timeouts and retry bounds; tests shorten them.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Whole-request limit for a GraphQL call.
    pub request_timeout: Duration,
    /// Attempts for a call that failed on the network or with a 5xx.
    pub attempts: u32,
    /// First back-off; doubled per attempt, capped at 8 s.
    pub backoff: Duration,
    /// How often a bulk operation's status is polled at first (grows to 2 s).
    pub poll: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            request_timeout: Duration::from_secs(30),
            attempts: 5,
            backoff: Duration::from_millis(500),
            poll: Duration::from_millis(250),
        }
    }
}

/// What the client did, for the benchmark and for the sync's summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub requests: u64,
    /// Sum of `actualQueryCost` (what the bucket was charged).
    pub cost: f64,
    /// The bucket's level when the first response told it.
    pub first_available: Option<f64>,
    pub restore_rate: Option<f64>,
    /// Answers that were `THROTTLED` or HTTP 429.
    pub throttled: u64,
    /// Retries after network faults, 5xx and malformed bodies.
    pub retries: u64,
    /// Time spent waiting for the bucket to refill.
    pub paced: Duration,
}

/// The leaky bucket as last reported, with the time of the report.
#[derive(Debug, Clone)]
struct Bucket {
    max: f64,
    available: f64,
    rate: f64,
    at: Instant,
}

impl Bucket {
    fn now(&self) -> f64 {
        (self.available + self.rate * self.at.elapsed().as_secs_f64()).min(self.max)
    }
}

/// A connection to one shop's Admin API.
pub struct Client {
    base: String,
    http: reqwest::blocking::Client,
    auth: Auth,
    token: Option<(Secret, Instant)>,
    bucket: Option<Bucket>,
    /// The requested cost each operation last had: what to wait for.
    costs: HashMap<String, f64>,
    tuning: Tuning,
    cancel: Arc<AtomicBool>,
    pub stats: Stats,
}

/// Whether a request may be sent again after a fault that leaves unknown
/// whether it took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads and set-to-value writes: sending twice is harmless.
    Safe,
    /// Creations: sent at most once.
    Never,
}

/// The HTTP client: rustls with ring and the Mozilla roots (no system TLS
/// library, the same roots on every machine), gzip, no redirects followed
/// (an Admin API answers where it is asked), `timeout` on connecting and on
/// each wait for the answer.
pub fn http_client(timeout: Duration) -> Result<reqwest::blocking::Client> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Network(format!("TLS is not available: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(15).min(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("MerchantDesk/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Network(format!("the HTTP client could not start: {e}")))
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

enum Attempt {
    Done(Json),
    /// Wait this long, then try again without counting a failed attempt.
    Wait(Duration),
    /// A fault worth another attempt (if any are left and retrying is safe).
    Fault(String),
}

impl Client {
    /// A client for `base` (from [`crate::storefront::base_url`]).
    pub fn new(base: &str, auth: Auth, tuning: Tuning, cancel: Arc<AtomicBool>) -> Client {
        Client {
            base: base.to_string(),
            // Fixed settings only (ring, the bundled roots): building cannot
            // fail on one machine and not another.
            http: http_client(tuning.request_timeout)
                .expect("the HTTP client's settings are valid"),
            auth,
            token: None,
            bucket: None,
            costs: HashMap::new(),
            tuning,
            cancel,
            stats: Stats::default(),
        }
    }

    /// The tuning in force.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    fn check_cancel(&self) -> Result<()> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Sleeps in short steps so a cancel is noticed.
    pub fn sleep(&self, d: Duration) -> Result<()> {
        let end = Instant::now() + d;
        loop {
            self.check_cancel()?;
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }

    fn access_token(&mut self) -> Result<Secret> {
        match &self.auth {
            Auth::Token(t) => Ok(t.clone()),
            Auth::ClientCredentials { client_id, secret } => {
                if let Some((t, expires)) = &self.token {
                    if Instant::now() + Duration::from_secs(300) < *expires {
                        return Ok(t.clone());
                    }
                }
                let body = form_encode(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret.expose()),
                ]);
                let url = format!("{}/admin/oauth/access_token", self.base);
                let mut last = String::new();
                for attempt in 0..self.tuning.attempts {
                    if attempt > 0 {
                        self.stats.retries += 1;
                        self.sleep(self.backoff(attempt))?;
                    }
                    let resp = self
                        .http
                        .post(&url)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Accept", "application/json")
                        .body(body.clone())
                        .send();
                    let resp = match resp {
                        Ok(r) => r,
                        Err(e) => {
                            last = format!("could not reach the store for a token: {e}");
                            continue;
                        }
                    };
                    let status = resp.status().as_u16();
                    let text = resp.text().unwrap_or_default();
                    if status >= 500 {
                        last = format!("the store's token endpoint answered HTTP {status}");
                        continue;
                    }
                    if status != 200 {
                        return Err(Error::Auth(format!(
                            "the client id and secret were refused (HTTP {status})"
                        )));
                    }
                    let v: Json = serde_json::from_str(&text).map_err(|_| {
                        Error::Auth("the token endpoint's answer is not JSON".into())
                    })?;
                    let token = v["access_token"].as_str().ok_or_else(|| {
                        Error::Auth("the token endpoint's answer has no access_token".into())
                    })?;
                    let lifetime = v["expires_in"].as_u64().unwrap_or(86_399);
                    let token = Secret::new(token)?;
                    self.token = Some((
                        token.clone(),
                        Instant::now() + Duration::from_secs(lifetime),
                    ));
                    return Ok(token);
                }
                Err(Error::Network(last))
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        (self.tuning.backoff * 2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(Duration::from_secs(8))
    }

    /// Waits until the bucket holds what `operation` cost last time.
    fn pace(&mut self, operation: &str) -> Result<()> {
        let (Some(bucket), Some(&cost)) = (&self.bucket, self.costs.get(operation)) else {
            return Ok(());
        };
        let have = bucket.now();
        if have < cost && bucket.rate > 0.0 {
            let wait = Duration::from_secs_f64((cost - have) / bucket.rate);
            self.stats.paced += wait;
            self.sleep(wait)?;
        }
        Ok(())
    }

    fn note_cost(&mut self, operation: &str, body: &Json) {
        let cost = &body["extensions"]["cost"];
        let status = &cost["throttleStatus"];
        if let (Some(max), Some(available), Some(rate)) = (
            status["maximumAvailable"].as_f64(),
            status["currentlyAvailable"].as_f64(),
            status["restoreRate"].as_f64(),
        ) {
            if self.stats.first_available.is_none() {
                self.stats.first_available =
                    Some(available + cost["actualQueryCost"].as_f64().unwrap_or(0.0));
                self.stats.restore_rate = Some(rate);
            }
            self.bucket = Some(Bucket {
                max,
                available,
                rate,
                at: Instant::now(),
            });
        }
        if let Some(requested) = cost["requestedQueryCost"].as_f64() {
            self.costs.insert(operation.to_string(), requested);
        }
        if let Some(actual) = cost["actualQueryCost"].as_f64() {
            self.stats.cost += actual;
        }
    }

    /// Runs `operation` of `document` and returns its `data`.
    pub fn graphql(
        &mut self,
        document: &str,
        operation: &str,
        variables: Json,
        retry: Retry,
    ) -> Result<Json> {
        let payload = json!({
            "query": document,
            "operationName": operation,
            "variables": variables,
        })
        .to_string();
        let url = format!("{}/admin/api/{API_VERSION}/graphql.json", self.base);
        let mut failures = 0u32;
        let mut waits = 0u32;
        let mut refreshed = false;
        loop {
            self.check_cancel()?;
            self.pace(operation)?;
            let token = self.access_token()?;
            match self.send(&url, &payload, &token, operation)? {
                Attempt::Done(data) => {
                    tracing::debug!(operation, "answered");
                    return Ok(data);
                }
                Attempt::Wait(d) => {
                    tracing::info!(
                        operation,
                        wait_ms = d.as_millis() as u64,
                        "throttled: waiting for the bucket"
                    );
                    waits += 1;
                    if waits > 50 {
                        return Err(Error::Network(
                            "the store kept throttling every request; try again later (nothing is lost: the next sync resumes)".into(),
                        ));
                    }
                    self.stats.throttled += 1;
                    self.sleep(d)?;
                }
                Attempt::Fault(message) if message == "unauthorized" => {
                    if refreshed || matches!(self.auth, Auth::Token(_)) {
                        return Err(Error::Auth(
                            "the access token was refused (HTTP 401): check it, or connect the store again".into(),
                        ));
                    }
                    tracing::info!(operation, "access token refused: requesting a new one");
                    self.token = None;
                    refreshed = true;
                }
                Attempt::Fault(message) => {
                    failures += 1;
                    if retry == Retry::Never || failures >= self.tuning.attempts {
                        tracing::error!(operation, failures, "{message}: giving up");
                        return Err(Error::Network(format!(
                            "{}: {message} (after {failures} attempt{}); what was done is kept and the next run resumes",
                            doing(operation),
                            if failures == 1 { "" } else { "s" }
                        )));
                    }
                    tracing::warn!(operation, failures, "{message}: retrying");
                    self.stats.retries += 1;
                    self.sleep(self.backoff(failures))?;
                }
            }
        }
    }

    fn send(
        &mut self,
        url: &str,
        payload: &str,
        token: &Secret,
        operation: &str,
    ) -> Result<Attempt> {
        self.stats.requests += 1;
        let resp = self
            .http
            .post(url)
            .header("X-Shopify-Access-Token", token.expose())
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(payload.to_string())
            .send();
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return Ok(Attempt::Fault(format!("could not reach the store ({e})"))),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        // An answer is a page of at most 1,000 query points: far below
        // this, so a longer one is refused rather than held in memory.
        let mut text = String::new();
        if let Err(e) = resp.take(64 << 20).read_to_string(&mut text) {
            return Ok(Attempt::Fault(format!("the answer was cut off ({e})")));
        }
        match status {
            200 => {}
            429 => {
                return Ok(Attempt::Wait(Duration::from_secs_f64(
                    retry_after.unwrap_or(1.0).clamp(0.0, 60.0),
                )))
            }
            401 => return Ok(Attempt::Fault("unauthorized".into())),
            403 => {
                return Err(Error::Auth(
                    "the app lacks a permission this needs (HTTP 403): check the app's access scopes".into(),
                ))
            }
            404 => {
                return Err(Error::Storefront(format!(
                    "no Admin API at this address (HTTP 404); check the shop domain and that API version {API_VERSION} is available"
                )))
            }
            s if s >= 500 => return Ok(Attempt::Fault(format!("the store answered HTTP {s}"))),
            s => return Err(Error::Storefront(format!("HTTP {s}"))),
        }
        let body: Json = match serde_json::from_str(&text) {
            Ok(b) => b,
            Err(_) => return Ok(Attempt::Fault("the answer was not valid JSON".into())),
        };
        self.note_cost(operation, &body);
        if let Some(errors) = body["errors"].as_array().filter(|e| !e.is_empty()) {
            let throttled = errors
                .iter()
                .any(|e| e["extensions"]["code"].as_str() == Some("THROTTLED"));
            if throttled {
                let cost = &body["extensions"]["cost"];
                let requested = cost["requestedQueryCost"].as_f64().unwrap_or(50.0);
                let status = &cost["throttleStatus"];
                let have = status["currentlyAvailable"].as_f64().unwrap_or(0.0);
                let rate = status["restoreRate"].as_f64().unwrap_or(50.0).max(1.0);
                let wait = ((requested - have).max(0.0) / rate).max(0.0);
                return Ok(Attempt::Wait(Duration::from_secs_f64(wait)));
            }
            let messages: Vec<&str> = errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect();
            return Err(Error::Storefront(format!(
                "{}: {}",
                doing(operation),
                messages.join("; ")
            )));
        }
        match body.get("data") {
            Some(d) if d.is_object() => Ok(Attempt::Done(d.clone())),
            _ => Ok(Attempt::Fault("the answer had no data".into())),
        }
    }

    /// Opens a bulk operation's result file. It lives on Shopify's storage,
    /// not the shop: no credentials are sent with it.
    pub fn download(&mut self, url: &str) -> Result<Box<dyn Read + Send>> {
        self.stats.requests += 1;
        let resp = http_client(self.tuning.request_timeout)?
            .get(url)
            .send()
            .map_err(|e| Error::Network(format!("could not fetch the bulk export ({e})")))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(Error::Network(format!(
                "the bulk export could not be fetched (HTTP {status})"
            )));
        }
        Ok(Box::new(resp))
    }
}

/// What an operation does, for a message the owner reads (never the
/// GraphQL operation's own name).
fn doing(operation: &str) -> &'static str {
    match operation {
        "ShopInfo" => "reading the shop's name, currency and time zone",
        "ProductsPage" | "ProductVariantsPage" => "reading products",
        "CustomersPage" => "reading customers",
        "OrdersPage" | "OrderLinesPage" => "reading orders",
        "BulkRun" | "BulkStatus" => "exporting the store in bulk",
        "DiscountsPage" | "ReadDiscount" => "reading discounts",
        "ReadNodes" => "reading back what was changed",
        "VariantPrices" => "changing prices",
        "TagsAdd" | "TagsRemove" => "changing customer tags",
        "MetafieldsSet" | "MetafieldsDelete" => "changing metafields",
        "AutomaticCreate" | "AutomaticUpdate" | "AutomaticDelete" | "CodeCreate" | "CodeUpdate"
        | "CodeDelete" => "changing discounts",
        _ => "talking to the store",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode(&[("a", "b c&d=é"), ("grant_type", "client_credentials")]),
            "a=b%20c%26d%3D%C3%A9&grant_type=client_credentials"
        );
    }

    #[test]
    fn bucket_refills_to_its_maximum() {
        let b = Bucket {
            max: 100.0,
            available: 10.0,
            rate: 1000.0,
            at: Instant::now() - Duration::from_secs(1),
        };
        assert_eq!(b.now(), 100.0);
        let b = Bucket {
            max: 2000.0,
            available: 10.0,
            rate: 100.0,
            at: Instant::now(),
        };
        assert!(b.now() >= 10.0 && b.now() < 20.0);
    }
}
