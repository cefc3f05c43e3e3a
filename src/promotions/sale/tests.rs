use super::*;
use crate::storefront::{Discount, DiscountValue, Items, Minimum};
use chrono::Utc;

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
    let doc = include_str!("mod.rs")
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
    let base = "name = \"x\"\nstarts_at = \"2011-12-10T09:00\"\nends_at = \"2011-12-10T21:00\"\n";
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
    let once = format!(
        "{base}targets = {{ all = true }}\ndiscount = {{ percent = 5 }}\nper_customer_limit = 1"
    );
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
        customers: Vec::new(),
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

#[test]
fn statuses_are_words_in_every_form() {
    assert_eq!(format!("{:<9}|", SaleStatus::Draft), "draft    |");
    assert_eq!(SaleStatus::parse("live"), Some(SaleStatus::Live));
    assert_eq!(SaleStatus::parse("Live"), None);
    assert_eq!(SaleStatus::Reverted, "reverted");
    assert_eq!(
        serde_json::to_string(&SaleStatus::Scheduled).unwrap(),
        "\"scheduled\""
    );
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let back: SaleStatus = conn
        .query_row("SELECT ?1", [SaleStatus::Ended], |r| r.get(0))
        .unwrap();
    assert_eq!(back, SaleStatus::Ended);
    let wrong: rusqlite::Result<SaleStatus> = conn.query_row("SELECT 'over'", [], |r| r.get(0));
    assert!(wrong.is_err());
}
