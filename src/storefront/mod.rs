//! The hosted storefront, seen through one trait. A storefront hands over
//! its records a batch at a time with the checkpoint that follows each batch
//! (the sync engine commits both together), reads the current value of
//! anything Merchant Desk may change, and sets such values. Every change is
//! "set this target to this value", so the journal can revert any change by
//! setting the prior value again. `local` applies the same changes to the
//! local store only; `shopify` talks to the Shopify Admin GraphQL API.

pub mod connection;
pub mod local;
pub mod secret;
pub mod shopify;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The shop as the storefront describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ShopInfo {
    pub name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// IANA time zone.
    pub time_zone: String,
    /// How the shop writes money (Shopify's `moneyFormat`, `£{{amount}}`),
    /// where the platform has one.
    pub money_format: Option<String>,
}

/// What a pull brings over, in the order a sync pulls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Products,
    Customers,
    Orders,
    /// Every discount, pulled whole each time: there are few, and a whole
    /// pull is the only way to see one deleted on the platform.
    Discounts,
}

impl Entity {
    /// All entities, products first so orders find their variants.
    pub const ALL: [Entity; 4] = [
        Entity::Products,
        Entity::Customers,
        Entity::Orders,
        Entity::Discounts,
    ];

    /// The entity's name in `sync_state` and in progress reports.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Products => "products",
            Entity::Customers => "customers",
            Entity::Orders => "orders",
            Entity::Discounts => "discounts",
        }
    }
}

/// Where a pull of one entity stands. Each platform uses the fields it needs
/// (Shopify: a bulk operation id and a line, or a page cursor; WooCommerce
/// would keep a page number in `cursor`). Stored as JSON in `sync_state`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// A full pull is under way (else an incremental one since `since`).
    #[serde(default)]
    pub full: bool,
    /// Records updated at or after this UTC time are pulled.
    #[serde(default)]
    pub since: Option<String>,
    /// The platform's page cursor after the last committed batch.
    #[serde(default)]
    pub cursor: Option<String>,
    /// A running or finished bulk export the pull is reading.
    #[serde(default)]
    pub bulk_id: Option<String>,
    /// Lines of the bulk export already committed.
    #[serde(default)]
    pub line: u64,
    /// The newest `updated_at` seen in this pull: the next pull's `since`.
    #[serde(default)]
    pub high_water: Option<String>,
    /// The pull finished; the next one is incremental from `high_water`.
    #[serde(default)]
    pub done: bool,
    /// The sync run a whole-set pull (discounts) began in: what it has not
    /// seen since then is gone from the platform.
    #[serde(default)]
    pub started_run: Option<i64>,
}

/// A product with its variants. Money is in the shop's minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: String,
    pub title: String,
    /// The shop's own type for it, else the platform's taxonomy category.
    pub category: Option<String>,
    pub vendor: Option<String>,
    /// Sorted, without blanks or repeats.
    pub tags: Vec<String>,
    pub active: bool,
    pub updated_at: String,
    pub variants: Vec<VariantRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRecord {
    pub id: String,
    pub sku: Option<String>,
    pub title: String,
    pub price_minor: i64,
    pub compare_at_minor: Option<i64>,
    pub stock: Option<i64>,
    /// What one unit cost the shop, where the platform has it.
    pub cost_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    pub tags: Vec<String>,
    /// `MM-DD`, from the customer's birth date metafield.
    pub birthday: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: String,
    pub number: String,
    pub customer: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    pub placed_at: String,
    pub updated_at: String,
    pub cancelled_at: Option<String>,
    /// The platform's payment state, lower case ("paid", "refunded", ...).
    pub financial_status: String,
    pub currency: String,
    pub lines: Vec<LineRecord>,
    pub refunds: Vec<RefundRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    pub id: String,
    /// `None` when the product was deleted since.
    pub variant: Option<String>,
    pub sku: Option<String>,
    pub title: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: String,
    pub created_at: String,
    pub total_minor: i64,
    pub lines: Vec<RefundLineRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLineRecord {
    /// The order line refunded.
    pub line: String,
    pub quantity: i64,
    pub amount_minor: i64,
}

/// A discount of a kind Merchant Desk does not edit (buy X get Y, an
/// app's discount, free shipping): known by its window, so checks can
/// count it and say it may combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct OtherDiscount {
    pub title: String,
    /// What it is, for people: "buy X get Y", "app", "free shipping".
    pub kind: String,
    /// Applied without a code.
    pub automatic: bool,
    /// It can take money off items (free shipping cannot).
    pub on_items: bool,
    /// UTC, like [`Discount::starts_at`].
    pub starts_at: String,
    pub ends_at: Option<String>,
}

/// A discount as a pull brings it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PulledDiscount {
    Basic(Discount),
    Other(OtherDiscount),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountRecord {
    pub id: String,
    pub discount: PulledDiscount,
}

/// One record of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Product(ProductRecord),
    Customer(CustomerRecord),
    Order(OrderRecord),
    Discount(DiscountRecord),
}

/// What a pull has done so far, for the progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullProgress {
    /// Objects read so far in this pull (records, or a bulk export's lines).
    pub done: u64,
    /// Objects in all, when the platform says (a bulk export's object count).
    pub total: Option<u64>,
}

/// Receives a pull's batches: the records, then the checkpoint after them.
pub type Sink<'s> = dyn FnMut(Vec<Record>, &Checkpoint, PullProgress) -> Result<()> + 's;

/// A thing Merchant Desk can change on a storefront.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A variant's price and compare-at price.
    VariantPrice { product: String, variant: String },
    /// A customer's tag set.
    CustomerTags { customer: String },
    /// One metafield of a product, variant, customer or order.
    Metafield {
        owner: String,
        namespace: String,
        key: String,
    },
    /// A discount; `id` is `None` until a new one is created.
    Discount { id: Option<String> },
    /// A subscription contract's status on the platform.
    Contract { id: String },
    /// Whether the billing cycle of a contract holding the instant `at`
    /// (UTC: late on the renewal day, in the shop's time zone) is skipped.
    BillingCycle { contract: String, at: String },
    /// One renewal attempt of a subscription (its id where it came from)
    /// for one cycle (the shop-local renewal day); `attempt` 1, then each
    /// dunning retry. Its idempotency key is [`renewal_key`].
    Renewal {
        subscription: String,
        cycle: String,
        attempt: u32,
    },
}

/// A customer tag naming something the shop gives people (a loyalty tier,
/// a subscription plan): `prefix` and the name in lower case, spaces as
/// hyphens (`tier:gold`, `plan:tea-lovers`).
pub fn name_tag(prefix: &str, name: &str) -> String {
    let slug: Vec<String> = name.split_whitespace().map(|w| w.to_lowercase()).collect();
    format!("{prefix}{}", slug.join("-"))
}

/// A [`Target::Renewal`]'s parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalRef<'a> {
    pub subscription: &'a str,
    pub cycle: &'a str,
    pub attempt: u32,
}

impl RenewalRef<'_> {
    /// Its idempotency key.
    pub fn key(&self) -> String {
        renewal_key(self.subscription, self.cycle, self.attempt)
    }
}

impl Target {
    /// The renewal this target is, or an error when it is another kind.
    pub fn as_renewal(&self) -> Result<RenewalRef<'_>> {
        match self {
            Target::Renewal {
                subscription,
                cycle,
                attempt,
            } => Ok(RenewalRef {
                subscription,
                cycle,
                attempt: *attempt,
            }),
            _ => Err(Error::InvalidArgument("that is not a renewal".into())),
        }
    }
}

/// The idempotency key of a renewal attempt: the subscription, the cycle
/// and the attempt, so an attempt sent again is the same attempt.
pub fn renewal_key(subscription: &str, cycle: &str, attempt: u32) -> String {
    format!("merchant-desk/{subscription}/{cycle}/{attempt}")
}

/// What became of a renewal attempt on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewalOutcome {
    /// No attempt with its key was made.
    Missing,
    /// Made; the payment is still being processed.
    Processing,
    /// Paid: the renewal order (its name or id there).
    Billed { order: String },
    /// The payment failed, as the platform says.
    Failed { error: String },
}

/// A price and its compare-at price, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Price {
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub compare_at_minor: Option<i64>,
}

/// A metafield's typed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Metafield {
    /// The platform's type name, e.g. `single_line_text_field`, `number_integer`.
    pub r#type: String,
    pub value: String,
}

/// How a discount is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum DiscountMethod {
    /// Applied at checkout without a code.
    Automatic,
    /// Applied when the buyer enters a code.
    Code,
}

/// What a discount takes off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiscountValue {
    /// Basis points: 1500 is 15 %.
    Percentage {
        #[cfg_attr(test, ts(type = "number"))]
        basis_points: i64,
    },
    /// A fixed amount in minor units, off each item or off the order.
    Amount {
        #[cfg_attr(test, ts(type = "number"))]
        amount_minor: i64,
        each_item: bool,
    },
    /// The order's shipping, free (`Code` discounts only; nothing off the
    /// merchandise).
    FreeShipping,
    /// Buy X get Y (automatic only; boxed, as it is the largest).
    BuyGet(Box<BuyGet>),
}

/// Buy X get Y: once the cart holds `buy_quantity` of `buys` (any mix),
/// `get_quantity` of the discount's `items` get `basis_points` off; the
/// discount has no other minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct BuyGet {
    pub buys: Items,
    #[cfg_attr(test, ts(type = "number"))]
    pub buy_quantity: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub get_quantity: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub basis_points: i64,
    /// How often one order can have it; `None`: as often as it qualifies.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub uses_per_order: Option<i64>,
}

/// What a discount requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Minimum {
    None,
    Quantity {
        #[cfg_attr(test, ts(type = "number"))]
        quantity: i64,
    },
    Subtotal {
        #[cfg_attr(test, ts(type = "number"))]
        amount_minor: i64,
    },
}

/// Which items a discount applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Items {
    All,
    /// Products and variants by their external ids.
    Some {
        products: Vec<String>,
        variants: Vec<String>,
    },
}

impl Items {
    /// Whether the items include the product or the variant (external ids).
    pub fn covers(&self, product: &str, variant: &str) -> bool {
        match self {
            Items::All => true,
            Items::Some { products, variants } => {
                products.iter().any(|p| p == product) || variants.iter().any(|v| v == variant)
            }
        }
    }
}

/// A discount as Merchant Desk creates and reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Discount {
    pub title: String,
    pub method: DiscountMethod,
    /// The code buyers enter (`Code` discounts only).
    pub code: Option<String>,
    pub value: DiscountValue,
    pub minimum: Minimum,
    /// The items that get money off (for buy X get Y, the Y).
    pub items: Items,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub starts_at: String,
    /// UTC; `None` runs until ended.
    pub ends_at: Option<String>,
    /// Redemptions allowed in all (`Code` discounts only).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub usage_limit: Option<i64>,
    /// Each customer may use it once (`Code` discounts only).
    #[serde(default)]
    pub once_per_customer: bool,
    /// The only customers who may use it, by external id (`Code` discounts
    /// only); empty: every buyer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
    pub customers: Vec<String>,
}

/// The value of a [`Target`]. `Metafield(None)` and `Discount(None)` mean
/// "does not exist": setting them deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Value {
    Price(Price),
    Tags(Vec<String>),
    Metafield(Option<Metafield>),
    Discount(Option<Discount>),
    /// A renewal attempt was made (`false`: not yet). It cannot be unmade:
    /// a renewal is taken back by refunding its order.
    Renewal(bool),
    /// A contract's status: `ACTIVE`, `PAUSED`, `CANCELLED`, … as the
    /// platform writes it.
    ContractStatus(String),
    /// A billing cycle is skipped.
    Skipped(bool),
}

impl Value {
    /// Tags are a set: order and repeats carry no meaning.
    pub fn normalized(self) -> Value {
        match self {
            Value::Tags(mut tags) => {
                for t in &mut tags {
                    *t = t.trim().to_string();
                }
                tags.retain(|t| !t.is_empty());
                tags.sort();
                tags.dedup();
                Value::Tags(tags)
            }
            other => other,
        }
    }

    /// Whether the value has the shape `target` takes.
    pub fn fits(&self, target: &Target) -> bool {
        matches!(
            (target, self),
            (Target::VariantPrice { .. }, Value::Price(_))
                | (Target::CustomerTags { .. }, Value::Tags(_))
                | (Target::Metafield { .. }, Value::Metafield(_))
                | (Target::Discount { .. }, Value::Discount(_))
                | (Target::Renewal { .. }, Value::Renewal(true))
                | (Target::Contract { .. }, Value::ContractStatus(_))
                | (Target::BillingCycle { .. }, Value::Skipped(_))
        )
    }
}

/// A value set on a storefront: the target as it now is (a created discount
/// gets its id) and the value the storefront reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub target: Target,
    pub value: Value,
}

/// One storefront. Object-safe so the app can hold whichever is connected.
pub trait Storefront {
    /// `shopify`, `local`, ...
    fn platform(&self) -> &'static str;

    /// Name, currency and time zone.
    fn shop_info(&mut self) -> Result<ShopInfo>;

    /// Pulls `entity` from `from` to its end, handing every batch to `sink`
    /// with the checkpoint after it. `from.full` starts a full pull when
    /// nothing is under way; otherwise records changed since `from.since`.
    fn pull(&mut self, entity: Entity, from: &Checkpoint, sink: &mut Sink) -> Result<()>;

    /// The current value of each target, in order.
    fn read(&mut self, targets: &[Target]) -> Result<Vec<Value>>;

    /// Sets each target to its value; one outcome per change, in order. A
    /// refused change (the platform's user error) does not stop the others.
    fn apply(&mut self, changes: &[(Target, Value)]) -> Result<Vec<Result<Applied>>>;

    /// Finds what a creation whose answer was lost made, so it is confirmed
    /// rather than sent again. `None`: nothing was made (or cannot be told).
    fn find_created(&mut self, _value: &Value) -> Result<Option<Target>> {
        Ok(None)
    }

    /// What became of the renewal attempt `target` (a [`Target::Renewal`]).
    fn renewal_outcome(&mut self, target: &Target) -> Result<RenewalOutcome> {
        let _ = target;
        Err(Error::InvalidArgument(format!(
            "{} does not bill renewals",
            self.platform()
        )))
    }
}

/// Checks a shop address and turns it into a base URL. A bare domain means
/// HTTPS; plain HTTP is accepted only for this machine (tests and fakes).
pub fn base_url(shop: &str) -> Result<String> {
    let shop = shop.trim().trim_end_matches('/');
    if shop.is_empty() {
        return Err(Error::InvalidArgument("the shop address is empty".into()));
    }
    let (scheme, rest) = match shop.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("https".to_string(), shop),
    };
    let host = rest.split('/').next().unwrap_or("");
    let host_name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_ascii_lowercase()
    };
    let valid_host = !host_name.is_empty()
        && host_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if !valid_host || rest.contains('/') {
        return Err(Error::InvalidArgument(format!(
            "\"{shop}\" is not a shop address: give a domain such as my-shop.myshopify.com"
        )));
    }
    match scheme.as_str() {
        "https" => Ok(format!("https://{host}")),
        "http" if matches!(host_name.as_str(), "127.0.0.1" | "localhost" | "[::1]") => {
            Ok(format!("http://{host}"))
        }
        "http" => Err(Error::InvalidArgument(format!(
            "\"{shop}\" is plain HTTP: only https:// addresses are accepted (plain HTTP only for 127.0.0.1 or localhost)"
        ))),
        _ => Err(Error::InvalidArgument(format!(
            "\"{shop}\" is not an https:// address"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_addresses() {
        assert_eq!(
            base_url("my-shop.myshopify.com").unwrap(),
            "https://my-shop.myshopify.com"
        );
        assert_eq!(
            base_url("https://my-shop.myshopify.com/").unwrap(),
            "https://my-shop.myshopify.com"
        );
        assert_eq!(
            base_url("http://127.0.0.1:8123").unwrap(),
            "http://127.0.0.1:8123"
        );
        assert_eq!(
            base_url("http://localhost:9").unwrap(),
            "http://localhost:9"
        );
        for bad in [
            "http://my-shop.myshopify.com",
            "http://10.0.0.1:80",
            "ftp://x.com",
            "",
            "https://x.com/admin",
            "a b",
        ] {
            assert!(base_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tags_are_a_set() {
        let v = Value::Tags(vec!["vip".into(), " b ".into(), "vip".into(), "".into()]);
        assert_eq!(
            v.normalized(),
            Value::Tags(vec!["b".to_string(), "vip".to_string()])
        );
    }
}
