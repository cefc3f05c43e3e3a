use super::*;
use crate::money::Percent;
use proptest::prelude::*;
use serde::Deserialize;

fn guards(min_margin: Option<i64>, max_bp: i64, min_bp: i64, charm: Charm) -> Guards {
    Guards {
        min_margin_bp: min_margin,
        min_price: None,
        max_price: None,
        max_change_bp: max_bp,
        min_change_bp: min_bp,
        charm,
    }
}

#[test]
fn floor_ceiling_step_and_charm() {
    let g = guards(Some(2000), 1000, 200, Charm::C99);
    // Cost 2.00 + 20 % = 2.40 floor; price 2.55; step 10 % = 0.25.
    let b = g.bounds(255, Some(200), None);
    assert_eq!(
        (b.floor, b.step_low, b.step_high, b.min_change),
        (240, 230, 280, 6)
    );
    // A 20 % cut is held to the floor, and no .99 price lies in [2.40, 2.80].
    let (p, why) = guard(204, &b, Charm::C99, "GBP").unwrap();
    assert_eq!(p, 240);
    assert!(why[0].text.contains("floor 2.40"), "{why:?}");
    assert!(why[1].text.contains("no .99 price"), "{why:?}");
    // Without charm a raise stops at one step up.
    let (p, _) = guard(300, &b, Charm::None, "GBP").unwrap();
    assert_eq!(p, 280);
    // With a wider step the nearest .99 is taken.
    let wide = guards(Some(2000), 5000, 200, Charm::C99).bounds(255, Some(200), None);
    assert_eq!(guard(310, &wide, Charm::C99, "GBP").unwrap().0, 299);
    // A ceiling below the floor holds the price.
    let g2 = Guards {
        max_price: Some(230),
        ..g
    };
    let r = guard(300, &g2.bounds(255, Some(200), None), Charm::None, "GBP").unwrap_err();
    assert!(r.text.contains("above the ceiling"), "{r:?}");
    // Too small a change is not worth making.
    let r = guard(258, &b, Charm::None, "GBP").unwrap_err();
    assert!(r.text.contains("less than the minimum change"), "{r:?}");
}

#[test]
fn charm_picks_the_nearest_ending_inside() {
    assert_eq!(charm_price(250, 99, 0, 1000), Some(299));
    assert_eq!(charm_price(240, 99, 0, 1000), Some(199));
    assert_eq!(charm_price(240, 99, 0, 250), Some(199));
    assert_eq!(charm_price(240, 99, 200, 250), None);
    assert_eq!(charm_price(1249, 49, 0, 2000), Some(1249));
    assert_eq!(charm_price(1000, 95, 0, 2000), Some(995));
}

#[test]
fn percent_reads_numbers_and_text() {
    #[derive(Deserialize)]
    struct T {
        a: Percent,
        b: Percent,
        c: Percent,
    }
    let t: T = toml::from_str("a = -10\nb = 2.5\nc = \"7.25\"").unwrap();
    assert_eq!(
        (t.a, t.b, t.c),
        (Percent(-1000), Percent(250), Percent(725))
    );
    assert!(toml::from_str::<T>("a = 1.234\nb = 1\nc = 1").is_err());
}

#[test]
fn the_module_example_parses() {
    let doc = include_str!("mod.rs")
        .split("//! ```toml\n")
        .nth(1)
        .unwrap()
        .split("//! ```")
        .next()
        .unwrap()
        .lines()
        .map(|l| {
            l.strip_prefix("//! ")
                .or(l.strip_prefix("//!"))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let r = RuleSet::parse(&doc).unwrap();
    assert_eq!(r.rule.len(), 3);
    assert_eq!(r.guardrails.charm, Charm::C99);
    let g = r.checked("GBP").unwrap();
    assert_eq!(
        (g.min_price, g.max_price, g.min_change_bp),
        (Some(50), Some(4000), 200)
    );
}

proptest! {
    /// Whatever the target, costs and guardrails, a proposed price keeps
    /// every guardrail, and a held one had no allowed price.
    #[test]
    fn guardrails_are_never_violated(
        current in 1i64..100_000,
        cost in proptest::option::of(0i64..120_000),
        compare_at in proptest::option::of(0i64..150_000),
        target in 1i64..200_000,
        min_margin in proptest::option::of(-5000i64..20_000),
        min_price in proptest::option::of(1i64..50_000),
        max_price in proptest::option::of(1i64..150_000),
        max_bp in 1i64..9000,
        min_frac in 0i64..=100,
        charm in prop_oneof![Just(Charm::None), Just(Charm::C99), Just(Charm::C95), Just(Charm::C49)],
    ) {
        let g = Guards {
            min_margin_bp: min_margin,
            min_price,
            max_price,
            max_change_bp: max_bp,
            min_change_bp: max_bp * min_frac / 100,
            charm,
        };
        let b = g.bounds(current, cost, compare_at);
        match guard(target, &b, charm, "GBP") {
            Ok((p, _)) => {
                prop_assert!(b.allows(p));
                prop_assert!(p >= b.floor);
                if let (Some(c), Some(m)) = (cost, min_margin) {
                    // Exact: p ≥ cost × (1 + m), in integers.
                    prop_assert!(p as i128 * 10_000 >= c as i128 * (10_000 + m as i128));
                }
                if let Some(lo) = min_price { prop_assert!(p >= lo); }
                let ceiling = max_price.or(compare_at.filter(|c| *c > 0));
                if let Some(hi) = ceiling { prop_assert!(p <= hi); }
                prop_assert!((p - current).abs() as i128 * 10_000 <= current as i128 * max_bp as i128);
                prop_assert!((p - current).abs() as i128 * 10_000 >= current as i128 * g.min_change_bp as i128);
                prop_assert!(p > 0);
            }
            Err(r) => {
                prop_assert!(r.text.starts_with("held"));
                // Held on the minimum change only when the allowed price
                // nearest the target (after charm) moves too little.
                if let Some((lo, hi)) = b.band() {
                    let clipped = target.clamp(lo, hi);
                    let charmed = charm.ending().and_then(|e| charm_price(clipped, e, lo, hi)).unwrap_or(clipped);
                    prop_assert!((charmed - current).abs() < b.min_change);
                }
            }
        }
    }
}
