//! Flash sales: the plan (a TOML file for the CLI, a form in the app), the
//! items it touches at what sale price, and the checks before launch.
//!
//! ```toml
//! name = "Winter flash"
//! targets = { skus = ["85123A", "22423"] }  # or { category = "Lighting" }, or { all = true }
//! discount = { percent = 20 }               # or { amount_off = "1.00" }, or { sale_price = "2.49" }
//! starts_at = "2011-12-10T09:00"            # shop time zone
//! ends_at = "2011-12-10T21:00"
//! stock_cap = 100                           # optional
//! mode = "discount"                         # or "price" (price + compare-at)
//! ```

use super::floor::MarginFloor;
use crate::error::{Error, Result};
use crate::pricing::rules::Percent;
use crate::store::{fmt_utc, Shop};
use crate::storefront::{Discount, DiscountValue, Items, Minimum};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which products a sale covers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SaleTargets"))]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub skus: Vec<String>,
    /// Every variant of these products, by title.
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub all: bool,
}

impl Targets {
    /// How many kinds of target are given (one is right).
    pub fn count(&self) -> u8 {
        (!self.skus.is_empty()) as u8
            + (!self.products.is_empty()) as u8
            + self.category.is_some() as u8
            + self.all as u8
    }

    /// Whether a product with `sku`, `title` and `category` is covered.
    pub fn covers(&self, sku: &str, title: &str, category: Option<&str>) -> bool {
        self.all
            || self
                .category
                .as_deref()
                .is_some_and(|c| category == Some(c))
            || self.skus.iter().any(|s| s == sku)
            || self
                .products
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(title.trim()))
    }
}

/// What the sale takes off: exactly one of the three.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "SaleDiscount"))]
#[serde(deny_unknown_fields)]
pub struct DiscountSpec {
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub percent: Option<Percent>,
    /// Off each unit, major units.
    #[serde(default)]
    pub amount_off: Option<String>,
    /// One price for every item, major units.
    #[serde(default)]
    pub sale_price: Option<String>,
}

/// How a sale reaches the storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum SaleMode {
    /// A storefront discount with its own start and end (the platform ends it).
    #[default]
    Discount,
    /// The price itself, with the old price as compare-at (the app ends it).
    Price,
}

/// A sale as the owner writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SaleFile {
    pub name: String,
    pub targets: Targets,
    pub discount: DiscountSpec,
    /// Wall-clock time in the shop's time zone, e.g. "2011-12-10T09:00".
    pub starts_at: String,
    pub ends_at: String,
    /// Units at the sale price; the sale ends when they are sold.
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub stock_cap: Option<i64>,
    #[serde(default)]
    pub mode: SaleMode,
    /// A code buyers enter (discount mode); none: automatic.
    #[serde(default)]
    pub code: Option<String>,
    /// Uses per customer (code discounts).
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub per_customer_limit: Option<i64>,
}

impl SaleFile {
    /// Reads a sale file, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<SaleFile> {
        let s: SaleFile = toml::from_str(text).map_err(|e| {
            Error::InvalidArgument(format!("the sale file is not valid: {}", e.message()))
        })?;
        s.validate_shape()?;
        Ok(s)
    }

    /// What can be checked without the shop.
    pub fn validate_shape(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidArgument(m.to_string()));
        if self.name.trim().is_empty() {
            return bad("the sale needs a name");
        }
        let t = &self.targets;
        if t.count() != 1 {
            return bad("targets: give exactly one of skus, products, category or all = true");
        }
        let d = &self.discount;
        if d.percent.is_some() as u8 + d.amount_off.is_some() as u8 + d.sale_price.is_some() as u8
            != 1
        {
            return bad("discount: give exactly one of percent, amount_off or sale_price");
        }
        if d.percent.is_some_and(|p| p.0 <= 0 || p.0 >= 10_000) {
            return bad("discount: percent is above 0 and below 100");
        }
        if self.stock_cap.is_some_and(|c| c <= 0) {
            return bad("stock_cap is at least 1");
        }
        match self.per_customer_limit {
            None => {}
            Some(1) if self.code.is_some() => {}
            Some(1) => return bad("per_customer_limit needs a code: automatic discounts cannot count customers"),
            // Shopify offers "once per customer" and nothing between.
            Some(_) => return bad("per_customer_limit can only be 1 (once per customer): the storefront counts no other limit"),
        }
        if self.mode == SaleMode::Price
            && (self.code.is_some() || self.per_customer_limit.is_some())
        {
            return bad(
                "a price-mode sale has no code or per-customer limit; use mode = \"discount\"",
            );
        }
        Ok(())
    }

    /// The window in UTC.
    pub fn window(&self, shop: &Shop) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        let tz = shop.tz()?;
        let at = |what: &str, text: &str| {
            crate::import::parse_instant(text.trim(), tz).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{what} \"{text}\" is not a time (use 2011-12-10T09:00, in the shop's time zone)"
                ))
            })
        };
        Ok((
            at("starts_at", &self.starts_at)?,
            at("ends_at", &self.ends_at)?,
        ))
    }
}

/// One product in a sale, money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SaleItem {
    #[cfg_attr(test, ts(type = "number"))]
    pub variant_id: i64,
    pub sku: String,
    pub title: String,
    pub category: Option<String>,
    #[serde(skip)]
    pub product_external: String,
    #[serde(skip)]
    pub variant_external: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub price_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub compare_at_minor: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub cost_minor: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub stock: Option<i64>,
    /// The price during the sale.
    #[cfg_attr(test, ts(type = "number"))]
    pub sale_minor: i64,
    /// The lowest price the margin floor allows (`None` without a cost).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub floor_minor: Option<i64>,
    /// The lowest price if every discount that can combine with the sale does.
    #[cfg_attr(test, ts(type = "number"))]
    pub worst_case_minor: i64,
}

/// Something `check` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Problem {
    pub code: String,
    pub message: String,
    pub sku: Option<String>,
    /// 'error' (launch refuses) or 'warning' (launch goes ahead).
    pub severity: String,
    /// Whether a written reason can override it (the margin floor only).
    pub overridable: bool,
}

/// The discounts and sales that overlap a sale's window.
#[derive(Debug, Clone)]
struct Other {
    name: String,
    discount: Option<Discount>,
    /// Another price-mode sale's price per variant id.
    prices: std::collections::HashMap<i64, i64>,
}

/// The sale price of `price` under `d`.
pub fn sale_price(d: &DiscountSpec, price: i64, currency: &str) -> Result<i64> {
    let amount = |text: &str| {
        crate::money::parse_decimal(text.trim())
            .and_then(|v| crate::money::to_minor(v, currency))
            .filter(|m| *m > 0)
            .ok_or_else(|| Error::InvalidArgument(format!("\"{text}\" is not a positive amount")))
    };
    Ok(match (&d.percent, &d.amount_off, &d.sale_price) {
        (Some(p), _, _) => {
            crate::money::mul_round(price, Decimal::ONE - p.decimal() / Decimal::from(100))
        }
        (_, Some(a), _) => price - amount(a)?,
        (_, _, Some(s)) => amount(s)?,
        _ => price,
    })
}

/// The lowest a unit at `price` can go when `d` combines with it: a cart of
/// this item alone, just reaching `d`'s minimum.
pub(crate) fn stack(price: i64, d: &Discount) -> i64 {
    match &d.value {
        DiscountValue::Percentage { basis_points } => {
            crate::money::mul_round(price, Decimal::new(10_000 - basis_points, 4))
        }
        DiscountValue::Amount {
            amount_minor,
            each_item: true,
        } => price - amount_minor,
        DiscountValue::Amount {
            amount_minor,
            each_item: false,
        } => {
            // An order-level amount spread over a cart at its minimum.
            let cart = match d.minimum {
                Minimum::Subtotal { amount_minor: m } => m.max(price),
                Minimum::Quantity { quantity } => price * quantity.max(1),
                Minimum::None => price,
            };
            price - crate::money::div_round(amount_minor * price, cart.max(1))
        }
    }
}

pub(crate) fn applies(d: &Discount, item: &SaleItem) -> bool {
    match &d.items {
        Items::All => true,
        Items::Some { products, variants } => {
            products.contains(&item.product_external) || variants.contains(&item.variant_external)
        }
    }
}

/// The products `sale` covers, with their sale prices.
pub fn items(conn: &Connection, shop: &Shop, sale: &SaleFile) -> Result<Vec<SaleItem>> {
    let floor = MarginFloor::load(conn)?;
    let mut stmt = conn.prepare(
        "SELECT v.id, v.sku, p.title, p.category, p.external_id, v.external_id, v.price_minor,
                v.compare_at_minor, v.cost_minor, v.stock
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.kind = 'merchandise' AND v.active = 1 AND v.sku IS NOT NULL AND v.currency = ?1
         ORDER BY v.sku, v.id",
    )?;
    let rows = stmt.query_map([&shop.currency], |r| {
        Ok(SaleItem {
            variant_id: r.get(0)?,
            sku: r.get(1)?,
            title: r.get(2)?,
            category: r.get(3)?,
            product_external: r.get(4)?,
            variant_external: r.get(5)?,
            price_minor: r.get(6)?,
            compare_at_minor: r.get(7)?,
            cost_minor: r.get(8)?,
            stock: r.get(9)?,
            sale_minor: 0,
            floor_minor: None,
            worst_case_minor: 0,
        })
    })?;
    let t = &sale.targets;
    let mut out = Vec::new();
    let mut seen_skus = std::collections::HashSet::new();
    let mut seen_titles: std::collections::HashSet<String> = std::collections::HashSet::new();
    for row in rows {
        let mut item = row?;
        if !t.covers(&item.sku, &item.title, item.category.as_deref())
            || !seen_skus.insert(item.sku.clone())
        {
            continue;
        }
        seen_titles.insert(item.title.trim().to_lowercase());
        item.sale_minor = sale_price(&sale.discount, item.price_minor, &shop.currency)?;
        item.floor_minor = item
            .cost_minor
            .map(|c| floor.min_price(c, item.category.as_deref()));
        item.worst_case_minor = item.sale_minor;
        out.push(item);
    }
    if let Some(missing) = t.skus.iter().find(|s| !seen_skus.contains(*s)) {
        return Err(Error::InvalidArgument(format!(
            "targets: no product with SKU {missing} in this shop"
        )));
    }
    if let Some(missing) = t
        .products
        .iter()
        .find(|p| !seen_titles.contains(&p.trim().to_lowercase()))
    {
        return Err(Error::InvalidArgument(format!(
            "targets: no product called \"{missing}\" in this shop"
        )));
    }
    Ok(out)
}

fn overlapping(
    conn: &Connection,
    start: &str,
    end: &str,
    this_sale: Option<i64>,
    items: &[SaleItem],
    currency: &str,
) -> Result<Vec<Other>> {
    let mut out: Vec<Other> = crate::storefront::local::discounts_overlapping(conn, start, end)?
        .into_iter()
        .map(|d| Other {
            name: d.title.clone(),
            discount: Some(d),
            prices: Default::default(),
        })
        .collect();
    let mut stmt = conn.prepare(
        "SELECT id, name, definition FROM sales
         WHERE mode = 'price' AND status IN ('scheduled', 'live') AND starts_at < ?2 AND ends_at > ?1
           AND id IS NOT ?3",
    )?;
    let rows: Vec<(i64, String, String)> = stmt
        .query_map(params![start, end, this_sale], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (_, name, def) in rows {
        let Ok(file) = serde_json::from_str::<SaleFile>(&def) else {
            continue;
        };
        let mut prices = std::collections::HashMap::new();
        for it in items {
            if file
                .targets
                .covers(&it.sku, &it.title, it.category.as_deref())
            {
                prices.insert(
                    it.variant_id,
                    sale_price(&file.discount, it.price_minor, currency)?,
                );
            }
        }
        out.push(Other {
            name,
            discount: None,
            prices,
        });
    }
    Ok(out)
}

/// What `check` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct CheckReport {
    /// No error (warnings allowed).
    pub ok: bool,
    pub problems: Vec<Problem>,
    pub items: Vec<SaleItem>,
    /// The window in UTC.
    pub starts_at: String,
    pub ends_at: String,
}

/// Shopify allows this many automatic discounts active at once.
pub const SHOPIFY_AUTOMATIC_LIMIT: usize = 25;

/// Checks a sale before launch: the margin floor (alone and stacked with
/// every discount that overlaps its window), overlaps, the window, stock
/// against the cap, and the platform's limits.
pub fn check(
    conn: &Connection,
    shop: &Shop,
    sale: &SaleFile,
    this_sale: Option<i64>,
    now: DateTime<Utc>,
) -> Result<CheckReport> {
    sale.validate_shape()?;
    let (start, end) = sale.window(shop)?;
    let (start_s, end_s) = (fmt_utc(start), fmt_utc(end));
    let money = |m: i64| crate::money::format_major(m, &shop.currency);
    let mut problems = Vec::new();
    let mut say =
        |code: &str, sku: Option<&str>, severity: &str, overridable: bool, message: String| {
            problems.push(Problem {
                code: code.into(),
                message,
                sku: sku.map(str::to_string),
                severity: severity.into(),
                overridable,
            })
        };
    if end <= start {
        say(
            "window",
            None,
            "error",
            false,
            "the sale ends before it starts".into(),
        );
    } else if end <= now {
        say(
            "window",
            None,
            "error",
            false,
            "the sale's end has already passed".into(),
        );
    }
    let mut items = items(conn, shop, sale)?;
    if items.is_empty() {
        say(
            "no_targets",
            None,
            "error",
            false,
            "no product matches the targets".into(),
        );
    }
    let others = overlapping(conn, &start_s, &end_s, this_sale, &items, &shop.currency)?;
    let mut overlaps: std::collections::BTreeMap<String, usize> = Default::default();
    for item in &mut items {
        let sku = Some(item.sku.as_str());
        if item.sale_minor >= item.price_minor {
            say(
                "not_a_discount",
                sku,
                "error",
                false,
                format!(
                    "{}: the sale price {} is not below the price {}",
                    item.sku,
                    money(item.sale_minor),
                    money(item.price_minor)
                ),
            );
        }
        if item.sale_minor <= 0 {
            say(
                "free",
                sku,
                "error",
                false,
                format!("{}: the discount takes the whole price", item.sku),
            );
        }
        // Worst case: the lowest base (another price-mode sale), then every
        // overlapping discount that covers the item.
        let mut worst = item.sale_minor;
        for o in &others {
            let covers = match &o.discount {
                Some(d) => applies(d, item),
                None => o.prices.contains_key(&item.variant_id),
            };
            if !covers {
                continue;
            }
            *overlaps.entry(o.name.clone()).or_default() += 1;
            if let Some(p) = o.prices.get(&item.variant_id) {
                worst = worst.min(sale_price(&sale.discount, *p, &shop.currency)?);
            }
        }
        for o in others
            .iter()
            .filter_map(|o| o.discount.as_ref().filter(|d| applies(d, item)))
        {
            worst = stack(worst, o);
        }
        item.worst_case_minor = worst.max(0);
        match (item.cost_minor, item.floor_minor) {
            (Some(_), Some(floor)) => {
                if item.sale_minor < floor {
                    say(
                        "below_floor",
                        sku,
                        "error",
                        true,
                        format!(
                            "{}: the sale price {} is below the margin floor {}",
                            item.sku,
                            money(item.sale_minor),
                            money(floor)
                        ),
                    );
                } else if item.worst_case_minor < floor {
                    say(
                        "stacks_below_floor",
                        sku,
                        "error",
                        true,
                        format!(
                            "{}: with the discounts that overlap the sale the price can reach {}, below the margin floor {}",
                            item.sku,
                            money(item.worst_case_minor),
                            money(floor)
                        ),
                    );
                }
            }
            _ => say(
                "no_cost",
                sku,
                "error",
                true,
                format!(
                    "{}: no unit cost, so the margin floor cannot be checked",
                    item.sku
                ),
            ),
        }
        if sale.mode == SaleMode::Price
            && item.compare_at_minor.is_some_and(|c| c > item.price_minor)
        {
            say(
                "compare_at_set",
                sku,
                "warning",
                false,
                format!(
                    "{}: a compare-at price {} is already set; the sale shows it and restores it after",
                    item.sku,
                    money(item.compare_at_minor.unwrap_or(0))
                ),
            );
        }
    }
    for (name, n) in &overlaps {
        say(
            "overlap",
            None,
            "warning",
            false,
            format!("\"{name}\" overlaps the sale on {n} of its products; the floor check assumes they combine"),
        );
    }
    // Kinds the app does not read in full (buy X get Y, apps): named, so the
    // owner can judge them, and counted against the platform's limit.
    let unread = crate::storefront::local::other_discounts_overlapping(conn, &start_s, &end_s)?;
    for o in unread.iter().filter(|o| o.on_items) {
        say(
            "other_discount",
            None,
            "warning",
            false,
            format!(
                "\"{}\" (a {} discount, {}) overlaps the sale; Merchant Desk cannot tell what it takes off, so the floor check leaves it out",
                o.title,
                o.kind,
                if o.automatic { "automatic" } else { "with a code" }
            ),
        );
    }
    if let Some(cap) = sale.stock_cap {
        let stock: i64 = items.iter().filter_map(|i| i.stock).map(|s| s.max(0)).sum();
        if items.iter().all(|i| i.stock.is_some()) && stock < cap {
            say(
                "stock_below_cap",
                None,
                "warning",
                false,
                format!("the products have {stock} units in stock, fewer than the cap of {cap}"),
            );
        }
    }
    let platform = crate::storefront::connection::load(conn)?.map(|c| c.platform);
    if sale.mode == SaleMode::Discount
        && sale.code.is_none()
        && platform.as_deref() == Some("shopify")
    {
        let live_automatic = others
            .iter()
            .filter(|o| {
                o.discount
                    .as_ref()
                    .is_some_and(|d| d.method == crate::storefront::DiscountMethod::Automatic)
            })
            .count()
            + unread.iter().filter(|o| o.automatic).count();
        if live_automatic >= SHOPIFY_AUTOMATIC_LIMIT {
            say(
                "platform_limit",
                None,
                "error",
                false,
                format!("Shopify allows {SHOPIFY_AUTOMATIC_LIMIT} active automatic discounts and {live_automatic} overlap this sale; give it a code"),
            );
        }
    }
    if sale.mode == SaleMode::Price {
        say(
            "ends_from_the_app",
            None,
            "warning",
            false,
            "a price-mode sale has no end on the storefront: Merchant Desk ends it, and on its next start reverts a sale found past its end".into(),
        );
    }
    if sale.stock_cap.is_some() && sale.mode == SaleMode::Discount {
        say(
            "cap_watched",
            None,
            "warning",
            false,
            "the storefront does not count units against the cap: syncs watch it and end the sale when it is reached".into(),
        );
    }
    Ok(CheckReport {
        ok: !problems.iter().any(|p| p.severity == "error"),
        problems,
        items,
        starts_at: start_s,
        ends_at: end_s,
    })
}

/// What the pricing model expects during the window, with and without the
/// sale, over the sale's products. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Projection {
    /// Shop days the window touches.
    pub days: usize,
    /// The window's length.
    pub hours: f64,
    /// The demand the window carries, in average whole days: its hours
    /// weighted by the shop's hour-of-day and weekday pattern.
    pub demand_days: f64,
    pub units_without: f64,
    pub units_with: f64,
    pub revenue_without: f64,
    pub revenue_with: f64,
    pub profit_without: f64,
    pub profit_with: f64,
    /// The extra units the sale must sell, over no sale, to make the same
    /// profit (e.g. 0.35 = 35 % more); `None` when the sale price leaves no
    /// margin.
    pub break_even_uplift: Option<f64>,
    /// The extra units the model expects from the lower price.
    pub expected_uplift: Option<f64>,
    /// Products the model expects to sell out during the sale (probability
    /// above one half), and the highest such probability.
    pub stockouts: usize,
    pub max_stockout_probability: f64,
}

/// The model's expected outcome of the sale against no sale, from the
/// shop's demand model as it stands `now` (the app keeps one built per
/// state of the data; see [`crate::pricing::build`]).
pub fn projection(
    conn: &Connection,
    shop: &Shop,
    sale: &SaleFile,
    built: &crate::pricing::Built,
    now: DateTime<Utc>,
) -> Result<Projection> {
    let (start, end) = sale.window(shop)?;
    expected_over(conn, shop, sale, built, start, end, now)
}

/// The demand weight of each shop day the span `[from, to)` touches: the
/// weekday's factor times the share of a day's units sold in the hours
/// covered, so a whole average day weighs 1 and a quiet evening little.
pub(crate) fn span_weights(
    weekday: &[f64; 7],
    hours: &[f64; 24],
    tz: chrono_tz::Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<f64> {
    use chrono::{Datelike, Timelike};
    let mut out: Vec<f64> = Vec::new();
    let mut day = None;
    let mut t = from;
    // Quarter hours: every time zone's offset is a whole number of them.
    while t < to {
        let local = t.with_timezone(&tz);
        let into = (local.minute() % 15) * 60 + local.second();
        let next = (t + chrono::Duration::seconds(900 - into as i64)).min(to);
        let share = (next - t).num_seconds() as f64 / 3600.0;
        if day != Some(local.date_naive()) {
            day = Some(local.date_naive());
            out.push(0.0);
        }
        if let Some(w) = out.last_mut() {
            *w += weekday[local.weekday().num_days_from_monday() as usize]
                * hours[local.hour() as usize]
                * share;
        }
        t = next;
    }
    out
}

/// The model's expectation over `[from, to)` with and without the sale:
/// demand weighted by weekday and hour of day, stock less what is expected
/// to sell at today's prices before `from`.
fn expected_over(
    conn: &Connection,
    shop: &Shop,
    sale: &SaleFile,
    built: &crate::pricing::Built,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Projection> {
    let chosen = items(conn, shop, sale)?;
    let hours = crate::pricing::data::hour_shares(conn, shop, shop.today(now)?)?;
    let tz = shop.tz()?;
    let weights = span_weights(&built.model.weekday, &hours, tz, from, to);
    let lead: f64 = span_weights(&built.model.weekday, &hours, tz, now, from)
        .iter()
        .sum();
    let mut model = std::borrow::Cow::Borrowed(&built.model);
    if lead > 0.0 {
        for item in &mut model.to_mut().items {
            if let Some(stock) = item.stock.filter(|s| *s > 0) {
                let before = crate::pricing::model::expected_min(
                    item.rate_at(item.p0_minor) * lead,
                    Some(stock),
                );
                item.stock = Some((stock as f64 - before).round().max(0.0) as i64);
            }
        }
    }
    let at: std::collections::HashMap<i64, i64> = chosen
        .iter()
        .map(|i| (i.variant_id, i.sale_minor))
        .collect();
    let current: Vec<i64> = built.variants.iter().map(|v| v.price_minor).collect();
    let with: Vec<i64> = built
        .variants
        .iter()
        .map(|v| at.get(&v.id).copied().unwrap_or(v.price_minor))
        .collect();
    let (base, new) = (
        model.expected_over(&current, &weights),
        model.expected_over(&with, &weights),
    );
    let mut p = Projection {
        days: weights.len(),
        hours: (to - from).num_minutes() as f64 / 60.0,
        demand_days: weights.iter().sum(),
        units_without: 0.0,
        units_with: 0.0,
        revenue_without: 0.0,
        revenue_with: 0.0,
        profit_without: 0.0,
        profit_with: 0.0,
        break_even_uplift: None,
        expected_uplift: None,
        stockouts: 0,
        max_stockout_probability: 0.0,
    };
    for (b, n) in base.items.iter().zip(&new.items) {
        if !at.contains_key(&b.variant_id) {
            continue;
        }
        p.units_without += b.units.mean;
        p.units_with += n.units.mean;
        p.revenue_without += b.revenue.mean;
        p.revenue_with += n.revenue.mean;
        p.profit_without += b.profit.mean;
        p.profit_with += n.profit.mean;
        if n.stockout_probability > 0.5 {
            p.stockouts += 1;
        }
        p.max_stockout_probability = p.max_stockout_probability.max(n.stockout_probability);
    }
    if p.units_without > 0.0 {
        p.expected_uplift = Some(p.units_with / p.units_without - 1.0);
        // Profit per unit at the sale prices, weighted as no-sale demand is.
        // `expected_over` keeps the model's item order.
        let margin_with: f64 = model
            .items
            .iter()
            .zip(&base.items)
            .filter_map(|(m, b)| {
                let sale = at.get(&m.variant_id)?;
                Some(b.units.mean * (sale - m.cost_minor?) as f64)
            })
            .sum::<f64>()
            / p.units_without;
        if margin_with > 0.0 {
            p.break_even_uplift = Some(p.profit_without / (margin_with * p.units_without) - 1.0);
        }
    }
    Ok(p)
}

/// A stored UTC time (`2011-12-10T09:00:00Z`).
pub(crate) fn parse_utc(utc: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(utc)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::InvalidArgument(format!("\"{utc}\" is not a UTC time")))
}

/// A stored sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Sale {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub file: SaleFile,
    /// UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// 'draft', 'scheduled', 'live', 'ended', 'reverted'.
    pub status: String,
    pub override_reason: Option<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub launch_batch: Option<i64>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub end_batch: Option<i64>,
    pub created_at: String,
    pub launched_at: Option<String>,
    pub ended_at: Option<String>,
}

/// Stores a new draft sale after checking its shape, targets and window.
pub fn create(conn: &Connection, shop: &Shop, file: &SaleFile, now: DateTime<Utc>) -> Result<Sale> {
    file.validate_shape()?;
    let (start, end) = file.window(shop)?;
    items(conn, shop, file)?;
    conn.execute(
        "INSERT INTO sales (name, definition, mode, starts_at, ends_at, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6)",
        params![
            file.name.trim(),
            serde_json::to_string(file).expect("sales serialise"),
            match file.mode {
                SaleMode::Discount => "discount",
                SaleMode::Price => "price",
            },
            fmt_utc(start),
            fmt_utc(end),
            fmt_utc(now)
        ],
    )?;
    get(conn, conn.last_insert_rowid())
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Sale> {
    let def: String = r.get(1)?;
    Ok(Sale {
        id: r.get(0)?,
        file: serde_json::from_str(&def).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        starts_at: r.get(2)?,
        ends_at: r.get(3)?,
        status: r.get(4)?,
        override_reason: r.get(5)?,
        launch_batch: r.get(6)?,
        end_batch: r.get(7)?,
        created_at: r.get(8)?,
        launched_at: r.get(9)?,
        ended_at: r.get(10)?,
    })
}

const SELECT: &str =
    "SELECT id, definition, starts_at, ends_at, status, override_reason, launch_batch,
    end_batch, created_at, launched_at, ended_at FROM sales";

/// One sale.
pub fn get(conn: &Connection, id: i64) -> Result<Sale> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)
        .optional()?
        .ok_or_else(|| Error::InvalidArgument(format!("there is no sale {id}")))
}

/// Every sale, the latest start first.
pub fn list(conn: &Connection) -> Result<Vec<Sale>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY starts_at DESC, id DESC"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_weights_follow_hours_weekdays_and_the_clock() {
        use chrono::TimeZone;
        let weekday = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 1.5];
        let flat = [1.0 / 24.0; 24];
        let utc = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
        };
        // Saturday 22:00 to Monday 02:00 in London (summer, UTC+1).
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        let w = span_weights(
            &weekday,
            &flat,
            london,
            utc(2024, 6, 29, 21, 0),
            utc(2024, 7, 1, 1, 0),
        );
        assert!(
            close(&w, &[0.5 * 2.0 / 24.0, 1.5, 1.0 * 2.0 / 24.0]),
            "{w:?}"
        );
        // The spring change: Sunday 31 March 2024 has 23 hours.
        let w = span_weights(
            &weekday,
            &flat,
            london,
            utc(2024, 3, 31, 0, 0),
            utc(2024, 3, 31, 23, 0),
        );
        assert!(close(&w, &[1.5 * 23.0 / 24.0]), "{w:?}");
        // A half-hour offset and an uneven day: 09:30–10:15 in Kolkata.
        let mut hours = [0.0; 24];
        hours[9] = 0.6;
        hours[10] = 0.4;
        let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
        let w = span_weights(
            &weekday,
            &hours,
            kolkata,
            utc(2024, 7, 1, 4, 0),
            utc(2024, 7, 1, 4, 45),
        );
        assert!(close(&w, &[0.6 * 0.5 + 0.4 * 0.25]), "{w:?}");
        assert!(span_weights(
            &weekday,
            &flat,
            london,
            utc(2024, 7, 1, 4, 0),
            utc(2024, 7, 1, 4, 0)
        )
        .is_empty());
    }

    #[test]
    fn the_module_example_parses_and_prices_are_exact() {
        let doc = include_str!("sale.rs")
            .split("//! ```toml\n")
            .nth(1)
            .unwrap()
            .split("//! ```")
            .next()
            .unwrap()
            .lines()
            .map(|l| l.strip_prefix("//! ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let s = SaleFile::parse(&doc).unwrap();
        assert_eq!(s.targets.skus, vec!["85123A", "22423"]);
        assert_eq!(s.stock_cap, Some(100));
        // 20 % off 2.95 = 2.36; off 2.55 = 2.04; amount and fixed price exact.
        assert_eq!(sale_price(&s.discount, 295, "GBP").unwrap(), 236);
        assert_eq!(sale_price(&s.discount, 255, "GBP").unwrap(), 204);
        let off = DiscountSpec {
            amount_off: Some("1.00".into()),
            ..Default::default()
        };
        assert_eq!(sale_price(&off, 295, "GBP").unwrap(), 195);
        let fixed = DiscountSpec {
            sale_price: Some("2.49".into()),
            ..Default::default()
        };
        assert_eq!(sale_price(&fixed, 295, "GBP").unwrap(), 249);
    }

    #[test]
    fn wrong_files_say_what_is_wrong() {
        let err = |t: &str| SaleFile::parse(t).unwrap_err().to_string();
        let base =
            "name = \"x\"\nstarts_at = \"2011-12-10T09:00\"\nends_at = \"2011-12-10T21:00\"\n";
        assert!(err(&format!(
            "{base}targets = {{ all = true, category = \"A\" }}\ndiscount = {{ percent = 5 }}"
        ))
        .contains("exactly one of skus"));
        assert!(err(&format!(
            "{base}targets = {{ all = true }}\ndiscount = {{ percent = 100 }}"
        ))
        .contains("below 100"));
        assert!(err(&format!(
            "{base}targets = {{ all = true }}\ndiscount = {{ percent = 5, sale_price = \"1\" }}"
        ))
        .contains("exactly one of percent"));
        assert!(err(&format!("{base}targets = {{ all = true }}\ndiscount = {{ percent = 5 }}\nmode = \"price\"\ncode = \"X\""))
            .contains("no code"));
        assert!(err("name = 1").contains("not valid"));
        let once = format!("{base}targets = {{ all = true }}\ndiscount = {{ percent = 5 }}\nper_customer_limit = 1");
        assert!(err(&once).contains("needs a code"));
        assert!(err(&once.replace("= 1", "= 2")).contains("can only be 1"));
        assert!(SaleFile::parse(&format!("{once}\ncode = \"ONCE\"")).is_ok());
    }

    #[test]
    fn stacking_takes_the_worst_case() {
        let d = |value, minimum| Discount {
            title: "t".into(),
            method: crate::storefront::DiscountMethod::Automatic,
            code: None,
            value,
            minimum,
            items: Items::All,
            starts_at: "2011-01-01T00:00:00Z".into(),
            ends_at: None,
            usage_limit: None,
            once_per_customer: false,
        };
        assert_eq!(
            stack(
                1000,
                &d(
                    DiscountValue::Percentage { basis_points: 1500 },
                    Minimum::None
                )
            ),
            850
        );
        assert_eq!(
            stack(
                1000,
                &d(
                    DiscountValue::Amount {
                        amount_minor: 100,
                        each_item: true
                    },
                    Minimum::None
                )
            ),
            900
        );
        // £10 off orders over £100: a £10 unit carries a tenth of it.
        assert_eq!(
            stack(
                1000,
                &d(
                    DiscountValue::Amount {
                        amount_minor: 1000,
                        each_item: false
                    },
                    Minimum::Subtotal {
                        amount_minor: 10_000
                    }
                )
            ),
            900
        );
        // With no minimum, one unit can take all of it.
        assert_eq!(
            stack(
                1000,
                &d(
                    DiscountValue::Amount {
                        amount_minor: 1000,
                        each_item: false
                    },
                    Minimum::None
                )
            ),
            0
        );
    }
}

/// Units, revenue and profit over a time span, money in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Takings {
    pub units: f64,
    pub revenue: f64,
    /// Revenue less unit costs (products without a cost count none).
    pub profit: f64,
}

/// How a sale did against its baselines.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SaleReport {
    pub sale: Sale,
    /// The span reported (UTC): the window, cut short if it ended early or
    /// is still running.
    pub from: String,
    pub to: String,
    pub actual: Takings,
    /// The same weekdays and hours of the previous four weeks, averaged.
    pub same_weekdays: Takings,
    /// What the pricing model expects at normal prices over the window.
    pub model: Takings,
    /// Actual profit less each baseline's.
    pub incremental_vs_weekdays: f64,
    pub incremental_vs_model: f64,
    /// Units in stock now across the sale's products.
    #[cfg_attr(test, ts(type = "number"))]
    pub stock_left: i64,
}

fn takings(conn: &Connection, items: &[SaleItem], from: &str, to: &str) -> Result<Takings> {
    let cost: std::collections::HashMap<i64, Option<i64>> =
        items.iter().map(|i| (i.variant_id, i.cost_minor)).collect();
    let mut stmt = conn.prepare_cached(
        "SELECT ol.variant_id, sum(ol.quantity), sum(ol.line_total_minor)
         FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE o.placed_at >= ?1 AND o.placed_at < ?2 AND o.status != 'cancelled'
         GROUP BY ol.variant_id",
    )?;
    let mut t = Takings::default();
    for row in stmt.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (v, units, revenue) = row?;
        let Some(c) = cost.get(&v) else { continue };
        t.units += units as f64;
        t.revenue += revenue as f64;
        t.profit += (revenue - units * c.unwrap_or(0)) as f64;
    }
    Ok(t)
}

/// Units of the sale's products ordered from its start up to `until` (UTC).
pub fn units_sold(conn: &Connection, shop: &Shop, s: &Sale, until: &str) -> Result<i64> {
    let items = items(conn, shop, &s.file)?;
    Ok(takings(conn, &items, &s.starts_at, until)?.units as i64)
}

/// The sale's results so far against the same weekdays of the four weeks
/// before and against the model's no-sale expectation.
pub fn report(conn: &Connection, shop: &Shop, id: i64, now: DateTime<Utc>) -> Result<SaleReport> {
    let s = get(conn, id)?;
    if s.status == "draft" {
        return Err(Error::InvalidArgument(format!(
            "sale {id} has not been launched"
        )));
    }
    let from = parse_utc(&s.starts_at)?;
    let mut to = parse_utc(&s.ends_at)?.min(now);
    if let Some(e) = &s.ended_at {
        to = to.min(parse_utc(e)?);
    }
    if to <= from {
        return Err(Error::InvalidArgument(format!(
            "sale {id} has not started yet"
        )));
    }
    let items = items(conn, shop, &s.file)?;
    let actual = takings(conn, &items, &fmt_utc(from), &fmt_utc(to))?;
    let mut same = Takings::default();
    for w in 1..=4 {
        let back = chrono::Duration::weeks(w);
        let t = takings(conn, &items, &fmt_utc(from - back), &fmt_utc(to - back))?;
        same.units += t.units / 4.0;
        same.revenue += t.revenue / 4.0;
        same.profit += t.profit / 4.0;
    }
    // The model's no-sale demand over exactly the span reported.
    let built = crate::pricing::build(conn, shop, from)?;
    let p = expected_over(conn, shop, &s.file, &built, from, to, from)?;
    let model = Takings {
        units: p.units_without,
        revenue: p.revenue_without,
        profit: p.profit_without,
    };
    Ok(SaleReport {
        from: fmt_utc(from),
        to: fmt_utc(to),
        incremental_vs_weekdays: actual.profit - same.profit,
        incremental_vs_model: actual.profit - model.profit,
        stock_left: items.iter().filter_map(|i| i.stock).map(|s| s.max(0)).sum(),
        actual,
        same_weekdays: same,
        model,
        sale: s,
    })
}

/// A countdown to the sale's end for the storefront theme: plain HTML and
/// JavaScript, no dependencies; it shows the time left and hides itself
/// when the sale is over.
pub fn countdown_snippet(s: &Sale) -> String {
    let id = format!("md-countdown-{}", s.id);
    let name = s
        .file
        .name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        r#"<div id="{id}" style="font-weight:600">{name} ends in <span>…</span></div>
<script>
(function () {{
  var end = Date.parse("{end}");
  var box = document.getElementById("{id}");
  function pad(n) {{ return (n < 10 ? "0" : "") + n; }}
  function tick() {{
    var left = Math.floor((end - Date.now()) / 1000);
    if (left <= 0) {{ box.style.display = "none"; return; }}
    var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600),
        m = Math.floor(left % 3600 / 60), s = left % 60;
    box.querySelector("span").textContent = (d > 0 ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    setTimeout(tick, 1000);
  }}
  tick();
}})();
</script>
"#,
        end = s.ends_at
    )
}
