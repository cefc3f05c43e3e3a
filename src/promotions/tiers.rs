//! Volume and spend tiers: "3+ units of X: 5 % off, 5+: 10 %" per product
//! or category, and cart tiers such as "spend £100, get 10 %". Checked
//! against the margin floor on the worst case, previewed on a cart, looked
//! back over past orders, and pushed as storefront discounts, one per tier.
//!
//! ```toml
//! name = "Bulk buys"
//! kind = "volume"                        # or "spend"
//! targets = { category = "Kitchen & Dining" }
//! [[tier]]
//! min_quantity = 3
//! percent = 5
//! [[tier]]
//! min_quantity = 5
//! percent = 10
//! ```
//!
//! A spend tier reads `min_subtotal = "100.00"` instead of `min_quantity`
//! and covers every product (no `targets`).

use super::floor::MarginFloor;
use super::push::{upstream, Settled, SettledKind, Upstream};
use super::sale::{self, Problem, SaleFile, Severity, Targets};
use crate::error::{Error, Result};
use crate::journal::{self, Change, RevertScope, Why};
use crate::money::Percent;
use crate::store::Shop;
use crate::storefront::{
    Discount, DiscountMethod, DiscountValue, Items, Minimum, Storefront, Target, Value,
};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Quantity tiers on products, or subtotal tiers on the cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "TierKind"))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Volume,
    Spend,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub min_quantity: Option<i64>,
    /// Major units.
    #[serde(default)]
    pub min_subtotal: Option<String>,
    #[cfg_attr(test, ts(type = "number"))]
    pub percent: Percent,
}

/// A set of tiers as the owner writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct TierFile {
    pub name: String,
    pub kind: Kind,
    /// Volume tiers: which products (skus, a category, or all).
    #[serde(default)]
    pub targets: Option<Targets>,
    pub tier: Vec<Tier>,
}

impl TierFile {
    /// Reads a tier file, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<TierFile> {
        crate::toml_file::parse(text)
    }

    /// What can be checked without the shop.
    pub fn validate_shape(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if self.name.trim().is_empty() {
            return bad("the tiers need a name".into());
        }
        if self.tier.is_empty() {
            return bad("give at least one [[tier]]".into());
        }
        match (self.kind, &self.targets) {
            (Kind::Volume, None) => {
                return bad("volume tiers need targets (skus, a category, or all = true)".into())
            }
            (Kind::Spend, Some(_)) => {
                return bad("spend tiers cover the whole cart; leave targets out".into())
            }
            (Kind::Volume, Some(t)) if t.count() != 1 => {
                return bad(
                    "targets: give exactly one of skus, products, category or all = true".into(),
                );
            }
            _ => {}
        }
        for (n, t) in self.tier.iter().enumerate() {
            let which = n + 1;
            match self.kind {
                Kind::Volume
                    if t.min_quantity.is_none_or(|q| q < 2) || t.min_subtotal.is_some() =>
                {
                    return bad(format!(
                        "tier {which}: a volume tier has min_quantity of 2 or more"
                    ));
                }
                Kind::Spend if t.min_subtotal.is_none() || t.min_quantity.is_some() => {
                    return bad(format!("tier {which}: a spend tier has min_subtotal"));
                }
                _ => {}
            }
            if t.percent.0 <= 0 || t.percent.0 >= 10_000 {
                return bad(format!("tier {which}: percent is above 0 and below 100"));
            }
        }
        Ok(())
    }

    /// The tiers as (threshold, basis points), thresholds rising: units for
    /// volume, minor units of subtotal for spend.
    pub fn steps(&self, currency: &str) -> Result<Vec<(i64, i64)>> {
        let mut steps = Vec::new();
        for (n, t) in self.tier.iter().enumerate() {
            let threshold = match self.kind {
                Kind::Volume => t.min_quantity.unwrap_or(0),
                Kind::Spend => {
                    let text = t.min_subtotal.as_deref().unwrap_or("");
                    crate::money::parse_decimal(text)
                        .and_then(|d| crate::money::to_minor(d, currency))
                        .filter(|m| *m > 0)
                        .ok_or_else(|| {
                            Error::InvalidArgument(format!(
                                "tier {}: min_subtotal \"{text}\" is not a positive amount",
                                n + 1
                            ))
                        })?
                }
            };
            steps.push((threshold, t.percent.0));
        }
        steps.sort();
        for w in steps.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::InvalidArgument(
                    "two tiers have the same threshold".into(),
                ));
            }
            if w[1].1 <= w[0].1 {
                return Err(Error::InvalidArgument(
                    "a higher tier must take off more than the one below it".into(),
                ));
            }
        }
        Ok(steps)
    }

    fn as_sale_targets(&self) -> SaleFile {
        SaleFile {
            name: self.name.clone(),
            targets: self.targets.clone().unwrap_or(Targets {
                all: true,
                ..Default::default()
            }),
            discount: sale::DiscountSpec {
                percent: Some(Percent(1)),
                ..Default::default()
            },
            starts_at: String::new(),
            ends_at: String::new(),
            stock_cap: None,
            mode: sale::SaleMode::Discount,
            code: None,
            per_customer_limit: None,
        }
    }
}

/// The best step reached at `amount`, as basis points off.
fn reached(steps: &[(i64, i64)], amount: i64) -> i64 {
    steps
        .iter()
        .filter(|(t, _)| *t <= amount)
        .map(|(_, bp)| *bp)
        .max()
        .unwrap_or(0)
}

stored_enum! {
    /// Where a tier set stands.
    pub enum TierStatus {
        Draft = "draft",
        Live = "live",
        Ended = "ended",
    }
}

/// A stored tier set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct TierSet {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub file: TierFile,
    pub status: TierStatus,
    pub override_reason: Option<String>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub launch_batch: Option<i64>,
    pub created_at: String,
    pub launched_at: Option<String>,
    pub ended_at: Option<String>,
}

const SELECT: &str = "SELECT id, definition, status, override_reason, launch_batch, created_at, launched_at, ended_at FROM tier_sets";

fn row(r: &rusqlite::Row) -> rusqlite::Result<TierSet> {
    let def: String = r.get(1)?;
    Ok(TierSet {
        id: r.get(0)?,
        file: serde_json::from_str(&def).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        status: r.get(2)?,
        override_reason: r.get(3)?,
        launch_batch: r.get(4)?,
        created_at: r.get(5)?,
        launched_at: r.get(6)?,
        ended_at: r.get(7)?,
    })
}

/// One tier set.
pub fn get(conn: &Connection, id: i64) -> Result<TierSet> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("there are no tiers {id}")))
}

/// Every tier set, newest first.
pub fn list(conn: &Connection) -> Result<Vec<TierSet>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id DESC"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores tiers as a draft after checking them against the shop.
pub fn create(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    now: DateTime<Utc>,
) -> Result<TierSet> {
    file.validate_shape()?;
    file.steps(&shop.currency)?;
    sale::items(conn, shop, &file.as_sale_targets())?;
    conn.execute(
        "INSERT INTO tier_sets (name, definition, kind, status, created_at) VALUES (?1, ?2, ?3, 'draft', ?4)",
        params![
            file.name.trim(),
            serde_json::to_string(file).expect("tiers serialise"),
            match file.kind {
                Kind::Volume => "volume",
                Kind::Spend => "spend",
            },
            fmt_utc(now)
        ],
    )?;
    get(conn, conn.last_insert_rowid())
}

/// The floor check: the deepest tier on every product it covers, with every
/// discount live now that can combine with it.
pub fn check(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    now: DateTime<Utc>,
) -> Result<(bool, Vec<Problem>)> {
    file.validate_shape()?;
    let steps = file.steps(&shop.currency)?;
    let deepest = steps.iter().map(|s| s.1).max().unwrap_or(0);
    let items = sale::items(conn, shop, &file.as_sale_targets())?;
    let stamp = fmt_utc(now);
    // Tiers have no end: every discount not over by now can meet them.
    let others = crate::storefront::local::discounts_overlapping(conn, &stamp, "9999")?;
    let money = |m: i64| crate::money::format_major(m, &shop.currency);
    let mut problems = Vec::new();
    for item in &items {
        let after = crate::money::mul_round(item.price_minor, Decimal::new(10_000 - deepest, 4));
        let worst = others
            .iter()
            .filter(|d| sale::applies(d, item))
            .fold(after, sale::stack)
            .max(0);
        let problem = |code: &str, message: String| Problem {
            code: code.into(),
            message,
            sku: Some(item.sku.clone()),
            severity: Severity::Error,
            overridable: true,
        };
        match item.floor_minor {
            None => problems.push(problem("no_cost", format!("{}: no unit cost, so the margin floor cannot be checked", item.sku))),
            Some(f) if after < f => problems.push(problem(
                "below_floor",
                format!("{}: the deepest tier takes {} to {}, below the margin floor {}", item.sku, money(item.price_minor), money(after), money(f)),
            )),
            Some(f) if worst < f => problems.push(problem(
                "stacks_below_floor",
                format!("{}: with the discounts live now the price can reach {}, below the margin floor {}", item.sku, money(worst), money(f)),
            )),
            _ => {}
        }
    }
    Ok((problems.is_empty(), problems))
}

/// One line of a cart preview. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct PreviewLine {
    pub sku: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub quantity: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub unit_minor: i64,
    /// The tier reached, in basis points off (0: none).
    #[cfg_attr(test, ts(type = "number"))]
    pub tier_bp: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub discount_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub net_minor: i64,
    /// Net less cost; `None` without a cost.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_minor: Option<i64>,
    /// Whether the net unit price keeps the margin floor.
    pub keeps_floor: Option<bool>,
}

/// A cart with the tiers applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Preview {
    pub lines: Vec<PreviewLine>,
    #[cfg_attr(test, ts(type = "number"))]
    pub subtotal_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub discount_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub total_minor: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub margin_minor: Option<i64>,
}

/// Applies the tiers to lines of (variant, quantity, line total).
fn apply_tiers(
    file: &TierFile,
    steps: &[(i64, i64)],
    covered: &std::collections::HashSet<i64>,
    lines: &[(i64, i64, i64)],
) -> Vec<i64> {
    match file.kind {
        Kind::Volume => lines
            .iter()
            .map(|(v, q, total)| {
                let bp = if covered.contains(v) {
                    reached(steps, *q)
                } else {
                    0
                };
                crate::money::mul_round(*total, Decimal::new(bp, 4))
            })
            .collect(),
        Kind::Spend => {
            let subtotal: i64 = lines.iter().map(|l| l.2).sum();
            let bp = reached(steps, subtotal);
            lines
                .iter()
                .map(|(_, _, total)| crate::money::mul_round(*total, Decimal::new(bp, 4)))
                .collect()
        }
    }
}

/// A cart of (SKU, quantity) at today's prices with the tiers applied.
pub fn preview(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    cart: &[(String, i64)],
) -> Result<Preview> {
    file.validate_shape()?;
    let steps = file.steps(&shop.currency)?;
    let all = sale::items(
        conn,
        shop,
        &SaleFile {
            targets: Targets {
                all: true,
                ..Default::default()
            },
            ..file.as_sale_targets()
        },
    )?;
    let covered: std::collections::HashSet<i64> = sale::items(conn, shop, &file.as_sale_targets())?
        .iter()
        .map(|i| i.variant_id)
        .collect();
    let floor = MarginFloor::load(conn)?;
    let mut chosen = Vec::new();
    for (sku, q) in cart {
        if *q <= 0 {
            return Err(Error::InvalidArgument(format!(
                "{sku}: a quantity is at least 1"
            )));
        }
        let item = all.iter().find(|i| &i.sku == sku).ok_or_else(|| {
            Error::InvalidArgument(format!("no product with SKU {sku} in this shop"))
        })?;
        chosen.push((item, *q));
    }
    let lines: Vec<(i64, i64, i64)> = chosen
        .iter()
        .map(|(i, q)| (i.variant_id, *q, i.price_minor * q))
        .collect();
    let discounts = apply_tiers(file, &steps, &covered, &lines);
    let mut out = Preview {
        lines: Vec::new(),
        subtotal_minor: 0,
        discount_minor: 0,
        total_minor: 0,
        margin_minor: Some(0),
    };
    for ((item, q), d) in chosen.iter().zip(&discounts) {
        let total = item.price_minor * q;
        let net = total - d;
        let margin = item.cost_minor.map(|c| net - c * q);
        out.subtotal_minor += total;
        out.discount_minor += d;
        out.margin_minor = match (out.margin_minor, margin) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        out.lines.push(PreviewLine {
            sku: item.sku.clone(),
            title: item.title.clone(),
            quantity: *q,
            unit_minor: item.price_minor,
            tier_bp: if total > 0 {
                (Decimal::from(*d) * Decimal::from(10_000) / Decimal::from(total))
                    .round()
                    .try_into()
                    .unwrap_or(0)
            } else {
                0
            },
            discount_minor: *d,
            net_minor: net,
            margin_minor: margin,
            keeps_floor: item
                .cost_minor
                .map(|c| floor.allows_line(net, c, *q, item.category.as_deref())),
        });
    }
    out.total_minor = out.subtotal_minor - out.discount_minor;
    Ok(out)
}

/// Had the tiers existed over the last `days` days.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Lookback {
    #[cfg_attr(test, ts(type = "number"))]
    pub days: i64,
    pub from: String,
    pub to: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub qualifying_orders: i64,
    /// What the tiers would have taken off, minor units.
    #[cfg_attr(test, ts(type = "number"))]
    pub discount_cost_minor: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub sales_minor: i64,
    /// Sales less unit costs (lines with a cost).
    #[cfg_attr(test, ts(type = "number"))]
    pub profit_minor: i64,
    /// The extra profit the tiers must bring to pay for themselves, as a
    /// share of the period's profit (0.05 = 5 % more).
    pub uplift_to_pay: Option<f64>,
}

/// Replays the orders of the last `days` shop-local days (ending today)
/// through the tiers.
pub fn lookback(
    conn: &Connection,
    shop: &Shop,
    file: &TierFile,
    days: i64,
    now: DateTime<Utc>,
) -> Result<Lookback> {
    if !(1..=3650).contains(&days) {
        return Err(Error::InvalidArgument("look back 1 to 3650 days".into()));
    }
    file.validate_shape()?;
    let steps = file.steps(&shop.currency)?;
    let tz = shop.tz()?;
    let today = shop.today(now)?;
    let first = today - chrono::Days::new(days as u64 - 1);
    let midnight = |d: chrono::NaiveDate| {
        crate::time::local_to_utc(tz, d.and_hms_opt(0, 0, 0).expect("midnight"))
    };
    let (from, to) = (midnight(first), midnight(today + chrono::Days::new(1)));
    let covered: std::collections::HashSet<i64> = sale::items(conn, shop, &file.as_sale_targets())?
        .iter()
        .map(|i| i.variant_id)
        .collect();
    let cost: std::collections::HashMap<i64, i64> = {
        let mut stmt =
            conn.prepare("SELECT id, cost_minor FROM variants WHERE cost_minor IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut stmt = conn.prepare(
        "SELECT o.id, ol.variant_id, ol.quantity, ol.line_total_minor
         FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE o.placed_at >= ?1 AND o.placed_at < ?2 AND o.status != 'cancelled' AND o.currency = ?3
           AND ol.quantity > 0
         ORDER BY o.id",
    )?;
    let mut out = Lookback {
        days,
        from: fmt_utc(from),
        to: fmt_utc(to),
        orders: 0,
        qualifying_orders: 0,
        discount_cost_minor: 0,
        sales_minor: 0,
        profit_minor: 0,
        uplift_to_pay: None,
    };
    let mut current: Option<i64> = None;
    let mut lines: Vec<(i64, i64, i64)> = Vec::new();
    let finish = |lines: &mut Vec<(i64, i64, i64)>, out: &mut Lookback| {
        if lines.is_empty() {
            return;
        }
        let d: i64 = apply_tiers(file, &steps, &covered, lines).iter().sum();
        out.orders += 1;
        if d > 0 {
            out.qualifying_orders += 1;
        }
        out.discount_cost_minor += d;
        for (v, q, total) in lines.iter() {
            out.sales_minor += total;
            if let Some(c) = cost.get(v) {
                out.profit_minor += total - c * q;
            }
        }
        lines.clear();
    };
    for r in stmt.query_map(params![fmt_utc(from), fmt_utc(to), shop.currency], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })? {
        let (order, v, q, total) = r?;
        if current != Some(order) {
            finish(&mut lines, &mut out);
            current = Some(order);
        }
        lines.push((v, q, total));
    }
    finish(&mut lines, &mut out);
    if out.profit_minor > 0 {
        out.uplift_to_pay = Some(out.discount_cost_minor as f64 / out.profit_minor as f64);
    }
    Ok(out)
}

/// The storefront discounts of a tier set: one per tier.
fn changes(conn: &Connection, shop: &Shop, t: &TierSet, now: DateTime<Utc>) -> Result<Vec<Change>> {
    let steps = t.file.steps(&shop.currency)?;
    let variants: Vec<String> = sale::items(conn, shop, &t.file.as_sale_targets())?
        .into_iter()
        .map(|i| i.variant_external)
        .collect();
    let money = |m: i64| crate::money::format_major(m, &shop.currency);
    Ok(steps
        .iter()
        .map(|(threshold, bp)| {
            let (title, minimum, items) = match t.file.kind {
                Kind::Volume => (
                    format!(
                        "{}: {threshold}+ units, {} % off",
                        t.file.name,
                        Decimal::new(*bp, 2).normalize()
                    ),
                    Minimum::Quantity {
                        quantity: *threshold,
                    },
                    Items::Some {
                        products: Vec::new(),
                        variants: variants.clone(),
                    },
                ),
                Kind::Spend => (
                    format!(
                        "{}: spend {}, {} % off",
                        t.file.name,
                        money(*threshold),
                        Decimal::new(*bp, 2).normalize()
                    ),
                    Minimum::Subtotal {
                        amount_minor: *threshold,
                    },
                    Items::All,
                ),
            };
            Change {
                target: Target::Discount { id: None },
                label: format!("Discount \"{title}\" (tiers {})", t.id),
                value: Value::Discount(Some(Discount {
                    title,
                    method: DiscountMethod::Automatic,
                    code: None,
                    value: DiscountValue::Percentage { basis_points: *bp },
                    minimum,
                    items,
                    starts_at: fmt_utc(now),
                    ends_at: None,
                    usage_limit: None,
                    once_per_customer: false,
                })),
            }
        })
        .collect())
}

/// Pushes a draft tier set as storefront discounts, one per tier; refused
/// on the floor unless `override_reason` says why.
pub fn launch(
    conn: &Connection,
    shop: &Shop,
    sf: &mut dyn Storefront,
    id: i64,
    override_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TierSet> {
    let t = get(conn, id)?;
    if t.status != "draft" {
        return Err(Error::InvalidArgument(format!(
            "tiers {id} are {}; only a draft is launched",
            t.status
        )));
    }
    let (ok, problems) = check(conn, shop, &t.file, now)?;
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if !ok {
        let Some(reason) = reason else {
            let list: Vec<&str> = problems
                .iter()
                .take(10)
                .map(|p| p.message.as_str())
                .collect();
            return Err(Error::FloorOverrideRequired(format!(
                "tiers {id} were not launched: {}{} (to go below the margin floor anyway, give the reason)",
                list.join("; "),
                if problems.len() > 10 { format!("; and {} more", problems.len() - 10) } else { String::new() }
            )));
        };
        conn.execute(
            "UPDATE tier_sets SET override_reason = ?2 WHERE id = ?1",
            params![id, reason],
        )?;
    }
    let t = get(conn, id)?;
    let why = Why {
        playbook: "promotions".into(),
        reason: match &t.override_reason {
            Some(r) => format!("tiers {id}: {} (margin floor overridden: {r})", t.file.name),
            None => format!("tiers {id}: {}", t.file.name),
        },
    };
    let mut own = |batch: i64| -> Result<()> {
        conn.execute(
            "UPDATE tier_sets SET launch_batch = ?2, launched_at = ?3, status = 'live' WHERE id = ?1",
            params![id, batch, fmt_utc(now)],
        )?;
        Ok(())
    };
    let disown = || -> Result<()> {
        conn.execute(
            "UPDATE tier_sets SET launch_batch = NULL, launched_at = NULL, status = 'draft' WHERE id = ?1",
            [id],
        )?;
        Ok(())
    };
    super::push::push_all_or_nothing(
        conn,
        sf,
        changes(conn, shop, &t, now)?,
        &why,
        now,
        &mut own,
        &disown,
        "none of the tiers is live",
    )?;
    get(conn, id)
}

/// Ends live tiers whose discounts were all deleted in the storefront's
/// admin (as the last sync saw it).
pub fn settle(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Settled>> {
    let stamp = fmt_utc(now);
    let mut done = Vec::new();
    for t in list(conn)? {
        if let ("live", Some(batch)) = (t.status.as_str(), t.launch_batch) {
            if let Upstream::Gone = upstream(conn, batch)? {
                conn.execute(
                    "UPDATE tier_sets SET status = 'ended', ended_at = ?2 WHERE id = ?1",
                    params![t.id, stamp],
                )?;
                done.push(Settled {
                    kind: SettledKind::Tiers,
                    id: t.id,
                    name: t.file.name.clone(),
                    what: "their discounts were deleted on the storefront; the tiers are off"
                        .into(),
                });
            }
        }
    }
    for d in &done {
        tracing::info!(kind = d.kind.as_str(), id = d.id, "{}", d.what);
    }
    Ok(done)
}

/// Takes live tiers off the storefront (reverting their discounts).
pub fn end(
    conn: &Connection,
    sf: &mut dyn Storefront,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TierSet> {
    let t = get(conn, id)?;
    if t.status != "live" {
        return Err(Error::InvalidArgument(format!(
            "tiers {id} are {}; only live tiers are ended",
            t.status
        )));
    }
    if let Some(batch) = t.launch_batch {
        journal::revert(conn, sf, RevertScope::Batch(batch), false, now)?;
    }
    conn.execute(
        "UPDATE tier_sets SET status = 'ended', ended_at = ?2 WHERE id = ?1",
        params![id, fmt_utc(now)],
    )?;
    get(conn, id)
}

impl crate::toml_file::TomlFile for TierFile {
    const WHAT: &'static str = "the tier file";
    fn check(&self) -> Result<()> {
        self.validate_shape()
    }
}
