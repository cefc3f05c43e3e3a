//! The demo shop: the Online Retail year (embedded in the binary) imported
//! into a store of its own, plus the facts that data lacks — unit costs, stock
//! levels and categories — derived by the fixed rules of `docs/demo-shop.md`.
//! The UI labels those three as demo assumptions.

use crate::error::{Error, Result};
use crate::import::{self, Control, ImportKind, Progress};
use crate::money::mul_round;
use crate::store::{Shop, Store};
use chrono::{DateTime, Utc};
use rusqlite::params;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;

/// The Online Retail file, gzip-compressed, as shipped in `data/`.
pub static ONLINE_RETAIL_GZ: &[u8] = include_bytes!("../data/online-retail.csv.gz");

/// The demo's "today": the last invoice day of the data.
pub const DEMO_TODAY: &str = "2011-12-09";

/// Unit cost as a share of the median selling price.
pub const COST_SHARE: Decimal = Decimal::from_parts(45, 0, 0, false, 2);

/// Stock covers this many days of average sales, plus a seeded 0..=SPREAD.
pub const COVER_DAYS_MIN: u64 = 10;
/// Spread of the days of cover.
pub const COVER_DAYS_SPREAD: u64 = 50;
/// Days of sales the average is taken over, ending on the demo's today.
pub const VELOCITY_WINDOW_DAYS: i64 = 90;

/// Keyword → category, first match wins; anything else is "Other".
pub const CATEGORY_RULES: &[(&str, &[&str])] = &[
    (
        "Christmas",
        &[
            "CHRISTMAS",
            "XMAS",
            "ADVENT",
            "SANTA",
            "REINDEER",
            "SNOWFLAKE",
        ],
    ),
    (
        "Lighting",
        &["LIGHT", "LANTERN", "CANDLE", "LAMP", "NIGHT LIGHT"],
    ),
    ("Bags", &["BAG", "PURSE", "TOTE", "SHOPPER"]),
    (
        "Kitchen & Dining",
        &[
            "MUG",
            "CUP",
            "TEAPOT",
            "PLATE",
            "BOWL",
            "JAR",
            "CAKE",
            "CAKESTAND",
            "BAKING",
            "LUNCH BOX",
            "TEA",
            "NAPKIN",
            "SPOON",
            "TRAY",
            "BOTTLE",
            "TIN",
        ],
    ),
    (
        "Stationery & Gift Wrap",
        &[
            "CARD", "WRAP", "PAPER", "NOTEBOOK", "PENCIL", "PEN", "STICKER", "RIBBON", "TAPE",
            "ENVELOPE", "GIFT TAG",
        ],
    ),
    (
        "Jewellery & Accessories",
        &[
            "NECKLACE", "EARRING", "BRACELET", "RING", "HAIR", "BROOCH", "JEWEL", "UMBRELLA",
        ],
    ),
    (
        "Toys & Kids",
        &[
            "TOY",
            "GAME",
            "DOLL",
            "DOLLY",
            "PLAYHOUSE",
            "SPACEBOY",
            "CHILDREN",
            "KIDS",
            "JIGSAW",
            "TEDDY",
            "PARTY",
        ],
    ),
    ("Garden", &["GARDEN", "PLANT", "FLOWER", "BIRD", "WATERING"]),
    (
        "Home Decor",
        &[
            "SIGN",
            "FRAME",
            "CLOCK",
            "CUSHION",
            "DOORMAT",
            "HOOK",
            "WALL",
            "HEART",
            "DECORATION",
            "VASE",
            "MIRROR",
            "BOX",
            "HOLDER",
            "BUNTING",
            "GARLAND",
        ],
    ),
];

/// The demo category of a product from its title: the first rule with a
/// keyword that appears as a whole word (or its plural with `S`).
pub fn category_for(title: &str) -> &'static str {
    let words: Vec<String> = title
        .to_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let text = format!(" {} ", words.join(" "));
    CATEGORY_RULES
        .iter()
        .find(|(_, keywords)| {
            keywords
                .iter()
                .any(|k| text.contains(&format!(" {k} ")) || text.contains(&format!(" {k}S ")))
        })
        .map(|(category, _)| *category)
        .unwrap_or("Other")
}

/// FNV-1a: a stable, seedless hash so the demo's stock is the same everywhere.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The demo shop's record.
pub fn demo_shop() -> Shop {
    Shop {
        name: "Demo: UK gift shop".into(),
        platform: "demo".into(),
        currency: "GBP".into(),
        time_zone: "Europe/London".into(),
        demo: true,
        fixed_today: Some(DEMO_TODAY.into()),
    }
}

/// Builds the demo shop at `path`. It is written to a side file and renamed
/// into place at the end, so a cancelled or failed build leaves nothing.
pub fn build(path: &Path, control: &mut Control, now: DateTime<Utc>) -> Result<Store> {
    let partial = path.with_extension("partial");
    for p in [
        &partial,
        &partial.with_extension("partial-wal"),
        &partial.with_extension("partial-shm"),
    ] {
        let _ = std::fs::remove_file(p);
    }
    let result = (|| {
        let mut store = Store::open(&partial)?;
        store.set_shop(&demo_shop(), now)?;
        import::import_reader(
            &mut store,
            ImportKind::OnlineRetail,
            "online-retail.csv.gz",
            ONLINE_RETAIL_GZ,
            ONLINE_RETAIL_GZ.len() as u64,
            control,
            now,
        )?;
        control.tick(Progress {
            stage: "Deriving demo costs, stock and categories".into(),
            done: 0,
            total: 0,
            rows: 0,
        })?;
        derive_assumptions(&mut store)?;
        store
            .conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        Ok::<_, Error>(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, path)
        .map_err(|e| Error::io(format!("moving the demo shop to {}", path.display()), e))?;
    Store::open(path)
}

/// Fills in cost, stock and category for every merchandise variant.
pub fn derive_assumptions(store: &mut Store) -> Result<()> {
    let shop = store.require_shop()?;
    let today = shop.today(Utc::now())?;
    let window = crate::report::DateRange::last_days(today, VELOCITY_WINDOW_DAYS as u64);
    let (start, end) = window.utc_bounds(shop.tz()?);
    let tx = store.conn_mut().transaction()?;
    // Every sale line's unit price per variant, for the median.
    let mut prices: HashMap<i64, Vec<i64>> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT l.variant_id, l.unit_price_minor FROM order_lines l
             JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id
             WHERE p.kind = 'merchandise' AND l.quantity > 0 AND l.unit_price_minor >= 1",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            prices.entry(r.get(0)?).or_default().push(r.get(1)?);
        }
    }
    let mut recent_units: HashMap<i64, i64> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT l.variant_id, sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE o.placed_at >= ?1 AND o.placed_at < ?2 AND l.quantity > 0 AND l.unit_price_minor >= 1
             GROUP BY l.variant_id",
        )?;
        let mut rows = stmt.query(params![start, end])?;
        while let Some(r) = rows.next()? {
            recent_units.insert(r.get(0)?, r.get(1)?);
        }
    }
    let variants: Vec<(i64, i64, String, String)> = tx
        .prepare(
            "SELECT v.id, p.id, coalesce(v.sku, v.external_id), p.title FROM variants v
             JOIN products p ON p.id = v.product_id WHERE p.kind = 'merchandise'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    {
        let mut set_variant =
            tx.prepare("UPDATE variants SET cost_minor = ?2, stock = ?3 WHERE id = ?1")?;
        let mut set_product = tx.prepare("UPDATE products SET category = ?2 WHERE id = ?1")?;
        for (variant_id, product_id, sku, title) in variants {
            let cost = prices
                .get_mut(&variant_id)
                .map(|p| mul_round(median(p), COST_SHARE));
            let stock = demo_stock(&sku, recent_units.get(&variant_id).copied().unwrap_or(0));
            set_variant.execute(params![variant_id, cost, stock])?;
            set_product.execute(params![product_id, category_for(&title)])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Median of a non-empty list (the lower middle for an even count, so it is
/// always a price that was actually charged).
fn median(values: &mut [i64]) -> i64 {
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

/// Stock on hand: days of cover × average daily units over the window, with
/// the days seeded by the SKU; items that did not sell get a small seeded count.
pub fn demo_stock(sku: &str, units_in_window: i64) -> i64 {
    let h = stable_hash(sku);
    if units_in_window <= 0 {
        return (h % 25) as i64;
    }
    let days = COVER_DAYS_MIN + h % (COVER_DAYS_SPREAD + 1);
    // Round half up: units × days / window.
    (units_in_window * days as i64 * 2 + VELOCITY_WINDOW_DAYS) / (2 * VELOCITY_WINDOW_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_keyword_rules() {
        assert_eq!(
            category_for("WHITE HANGING HEART T-LIGHT HOLDER"),
            "Lighting"
        );
        assert_eq!(category_for("PAPER CHAIN KIT 50'S CHRISTMAS"), "Christmas");
        assert_eq!(category_for("JUMBO BAG RED RETROSPOT"), "Bags");
        assert_eq!(category_for("REGENCY CAKESTAND 3 TIER"), "Kitchen & Dining");
        assert_eq!(category_for("ASSORTED COLOUR BIRD ORNAMENT"), "Garden");
        assert_eq!(category_for("PARTY BUNTING"), "Toys & Kids");
        assert_eq!(
            category_for("MEDIUM CERAMIC TOP STORAGE JAR"),
            "Kitchen & Dining"
        );
        assert_eq!(category_for("WORLD WAR 2 GLIDERS ASSTD DESIGNS"), "Other");
        // Whole words only: BUNTING does not contain the keyword TIN.
        assert_eq!(category_for("PAPER BUNTING"), "Stationery & Gift Wrap");
        assert_eq!(
            category_for("SET OF 3 CAKE TINS PANTRY DESIGN"),
            "Kitchen & Dining"
        );
    }

    #[test]
    fn stock_is_days_of_cover_and_stable() {
        assert_eq!(stable_hash("85123A"), stable_hash("85123A"));
        assert_ne!(stable_hash("85123A"), stable_hash("85123B"));
        let days = COVER_DAYS_MIN + stable_hash("85123A") % (COVER_DAYS_SPREAD + 1);
        // 900 units over 90 days = 10 a day.
        assert_eq!(demo_stock("85123A", 900), 10 * days as i64);
        assert!(demo_stock("X", 0) < 25);
        let mut v = vec![5, 1, 3, 2];
        assert_eq!(median(&mut v), 2);
    }
}
