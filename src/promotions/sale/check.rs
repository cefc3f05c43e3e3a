//! The checks before launch.

use super::*;
use crate::error::Result;
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

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
    // Money as the shop writes it.
    let written = crate::store::shop_money_format(conn, &shop.currency)?;
    let money = |m: i64| written.format(m, &shop.currency);
    let mut problems = Vec::new();
    let mut say =
        |code: &str, sku: Option<&str>, severity: &str, overridable: bool, message: String| {
            problems.push(Problem {
                code: code.into(),
                message,
                sku: sku.map(str::to_string),
                severity: Severity::parse(severity).expect("a severity named in this module"),
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
    // Early access: said before launch, so the owner can tell the plan's
    // customers their code.
    for (plan, hours, customers) in crate::promotions::run::early_access(conn, shop, now)? {
        let opens = (start - chrono::Duration::hours(hours.into())).max(now);
        let message = if sale.mode == SaleMode::Price {
            format!(
                "{plan} brings early access, but a price-mode sale changes prices for everyone at its start: run it in discount mode to give {plan}'s customers its price first"
            )
        } else if opens >= start {
            format!("the sale starts now, so {plan}'s early access has no time before it")
        } else {
            let code = match this_sale {
                Some(id) => format!(
                    "the code {}",
                    crate::subscriptions::gating::code(&plan, &format!("EARLY-{id}"))
                ),
                None => "a code of their own".into(),
            };
            format!(
                "{plan}'s {} customer{} can buy at the sale's price with {code} from {} ({})",
                customers.len(),
                if customers.len() == 1 { "" } else { "s" },
                crate::time::shop_time(&fmt_utc(opens), shop.tz()?)?,
                if opens > now {
                    format!("{hours} hours before the public start")
                } else {
                    format!("now: the public start is less than {hours} hours away")
                },
            )
        };
        say("early_access", None, "warning", false, message);
    }
    Ok(CheckReport {
        ok: !problems.iter().any(|p| p.severity == "error"),
        problems,
        items,
        starts_at: start_s,
        ends_at: end_s,
    })
}
