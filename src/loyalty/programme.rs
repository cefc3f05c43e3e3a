//! The loyalty programme as the owner writes it (TOML; the app edits the
//! same thing), and the checks it passes before anything is replayed.

use crate::error::{Error, Result};
use crate::money::parse_decimal;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A tier: its threshold on the last 365 days' merchandise spend, its
/// points multiplier and what it gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "LoyaltyTier"))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    /// Major units of merchandise spend in the 365 days before the moment,
    /// refunds taken off.
    pub min_spend: String,
    pub multiplier: String,
    #[serde(default)]
    pub benefits: Vec<String>,
}

/// Things other than orders that earn points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Review,
    Referral,
    Profile,
    Birthday,
    Signup,
    Social,
}

/// Points for an action, at most `max_per_customer` times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "LoyaltyAction"))]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub kind: ActionKind,
    #[cfg_attr(test, ts(type = "number"))]
    pub points: i64,
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub max_per_customer: Option<i64>,
}

/// What earns a badge or completes a challenge (one of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "LoyaltyRule"))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// Orders that earn points.
    Orders(#[cfg_attr(test, ts(type = "number"))] i64),
    /// Distinct product categories bought on them.
    Categories(#[cfg_attr(test, ts(type = "number"))] i64),
    /// Merchandise spend on them, major units, refunds taken off.
    Spend(String),
    /// Calendar months in a row (the shop's) with an earning order.
    MonthsInARow(#[cfg_attr(test, ts(type = "number"))] i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Badge {
    pub name: String,
    pub rule: Rule,
    #[cfg_attr(test, ts(type = "number"))]
    #[serde(default)]
    pub bonus: i64,
}

/// A badge that counts only what happens between two shop-local dates
/// (both included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub name: String,
    pub from: String,
    pub to: String,
    pub rule: Rule,
    #[cfg_attr(test, ts(type = "number"))]
    #[serde(default)]
    pub bonus: i64,
}

/// What a reward takes off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "RewardDiscount"))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Discount {
    /// Major units off the order.
    Amount(String),
    Percent(#[cfg_attr(test, ts(type = "number"))] i64),
    FreeShipping(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Reward {
    pub name: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub points: i64,
    pub discount: Discount,
    #[serde(default)]
    pub min_order: Option<String>,
}

/// A loyalty programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Programme {
    pub name: String,
    /// Shop-local date: orders placed from then on earn.
    pub starts_on: String,
    /// Points per 1.00 of merchandise spend.
    pub points_per_unit: String,
    /// Days after an order before its points can be spent.
    #[cfg_attr(test, ts(type = "number"))]
    #[serde(default)]
    pub pending_days: i64,
    /// Days after an order its unspent points expire (none: never).
    #[cfg_attr(test, ts(type = "number | null"))]
    #[serde(default)]
    pub expiry_days: Option<i64>,
    #[serde(default)]
    pub tier: Vec<Tier>,
    #[serde(default)]
    pub action: Vec<Action>,
    #[serde(default)]
    pub badge: Vec<Badge>,
    #[serde(default)]
    pub challenge: Vec<Challenge>,
    #[serde(default)]
    pub reward: Vec<Reward>,
}

impl crate::toml_file::TomlFile for Programme {
    const WHAT: &'static str = "the loyalty programme";

    fn check(&self) -> Result<()> {
        self.compile().map(|_| ())
    }
}

/// A programme with its amounts read: what the ledger replays.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub starts_on: chrono::NaiveDate,
    pub points_per_unit: Decimal,
    pub pending_days: i64,
    pub expiry_days: Option<i64>,
    /// Ascending by `min_spend`, the first at 0: (min spend in minor units
    /// once the currency is known, as major units here; multiplier).
    pub tiers: Vec<(Decimal, Decimal)>,
    pub badges: Vec<(CompiledRule, i64)>,
    /// Window (shop-local dates, both included), rule, bonus.
    pub challenges: Vec<(chrono::NaiveDate, chrono::NaiveDate, CompiledRule, i64)>,
    pub actions: Vec<(ActionKind, i64, Option<i64>)>,
}

/// The tiers' thresholds in a currency's minor units: the least whole
/// spend that reaches each `min_spend` (spends are whole minor units, so
/// reaching the decimal threshold and reaching its ceiling are the same).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds(Vec<i64>);

impl Thresholds {
    /// The tier (index) of a year's merchandise spend: the highest whose
    /// `min_spend` it reaches; a negative spend counts as none.
    pub fn tier(&self, spend_minor: i64) -> usize {
        let s = spend_minor.max(0);
        self.0.iter().rposition(|t| *t <= s).unwrap_or(0)
    }
}

/// The least whole number of minor units that reaches `amount` major
/// units (a whole spend reaches `amount` exactly when it reaches this).
pub fn least_whole_minor(amount: Decimal, minor_per_major: i64) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (amount * Decimal::from(minor_per_major))
        .ceil()
        .to_i64()
        .unwrap_or(i64::MAX)
}

impl Compiled {
    /// The tiers' thresholds for a currency of `minor_per_major`.
    pub fn thresholds(&self, minor_per_major: i64) -> Thresholds {
        Thresholds(
            self.tiers
                .iter()
                .map(|(m, _)| least_whole_minor(*m, minor_per_major))
                .collect(),
        )
    }
}

impl ActionKind {
    /// The name files and the store use (`review`, `signup`, …).
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Review => "review",
            ActionKind::Referral => "referral",
            ActionKind::Profile => "profile",
            ActionKind::Birthday => "birthday",
            ActionKind::Signup => "signup",
            ActionKind::Social => "social",
        }
    }

    /// The action named `text` (any case), or what the names are.
    pub fn parse(text: &str) -> Result<ActionKind> {
        const ALL: [ActionKind; 6] = [
            ActionKind::Review,
            ActionKind::Referral,
            ActionKind::Profile,
            ActionKind::Birthday,
            ActionKind::Signup,
            ActionKind::Social,
        ];
        let t = text.trim();
        ALL.into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{text:?} is not an action (review, referral, profile, birthday, signup or social)"
                ))
            })
    }
}

/// A [`Rule`] with its amount read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CompiledRule {
    Orders(i64),
    Categories(i64),
    Spend(Decimal),
    MonthsInARow(i64),
}

impl Programme {
    /// Reads a programme, naming the problem when it is wrong.
    pub fn parse(text: &str) -> Result<Programme> {
        crate::toml_file::parse(text)
    }

    /// The tiers' names, in order ("everyone" for a programme without tiers).
    pub fn tier_names(&self) -> Vec<String> {
        if self.tier.is_empty() {
            vec!["everyone".into()]
        } else {
            self.tier.iter().map(|t| t.name.clone()).collect()
        }
    }

    /// The programme's amounts and dates read and checked.
    pub fn compile(&self) -> Result<Compiled> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if self.name.trim().is_empty() {
            return bad("the programme needs a name".into());
        }
        let starts_on = crate::time::parse_day(&self.starts_on).map_err(|_| {
            Error::InvalidArgument(format!(
                "starts_on: {:?} is not a date (YYYY-MM-DD)",
                self.starts_on
            ))
        })?;
        let amount = |what: &str, text: &str| -> Result<Decimal> {
            match parse_decimal(text) {
                Some(d) if !d.is_sign_negative() => Ok(d),
                _ => Err(Error::InvalidArgument(format!(
                    "{what}: {text:?} is not an amount of zero or more (e.g. \"1.5\")"
                ))),
            }
        };
        let points_per_unit = amount("points_per_unit", &self.points_per_unit)?;
        if points_per_unit.is_zero() {
            return bad("points_per_unit: give more than 0 points per 1.00".into());
        }
        if !(0..=365).contains(&self.pending_days) {
            return bad(format!(
                "pending_days: {} is not between 0 and 365",
                self.pending_days
            ));
        }
        if let Some(e) = self.expiry_days {
            if !(1..=3650).contains(&e) {
                return bad(format!("expiry_days: {e} is not between 1 and 3650"));
            }
            if e <= self.pending_days {
                return bad(format!(
                    "expiry_days ({e}) must be longer than pending_days ({}): points would expire before they can be spent",
                    self.pending_days
                ));
            }
        }
        let mut tiers = Vec::new();
        for (n, t) in self.tier.iter().enumerate() {
            let at = format!("tier {} ({})", n + 1, t.name);
            if t.name.trim().is_empty() {
                return bad(format!("tier {}: give it a name", n + 1));
            }
            if self.tier[..n]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&t.name))
            {
                return bad(format!("{at}: another tier has that name"));
            }
            let min = amount(&format!("{at}: min_spend"), &t.min_spend)?;
            let multiplier = amount(&format!("{at}: multiplier"), &t.multiplier)?;
            if let Some((prev, _)) = tiers.last() {
                if min <= *prev {
                    return bad(format!(
                        "{at}: min_spend must be above the tier before ({prev})"
                    ));
                }
            } else if !min.is_zero() {
                return bad(format!(
                    "{at}: the first tier is everyone's: its min_spend must be \"0\""
                ));
            }
            tiers.push((min, multiplier));
        }
        if tiers.is_empty() {
            tiers.push((Decimal::ZERO, Decimal::ONE));
        }
        let rule = |at: &str, r: &Rule| -> Result<CompiledRule> {
            let count = |n: i64| {
                if n < 1 {
                    Err(Error::InvalidArgument(format!(
                        "{at}: the rule needs 1 or more"
                    )))
                } else {
                    Ok(n)
                }
            };
            Ok(match r {
                Rule::Orders(n) => CompiledRule::Orders(count(*n)?),
                Rule::Categories(n) => CompiledRule::Categories(count(*n)?),
                Rule::MonthsInARow(n) => CompiledRule::MonthsInARow(count(*n)?),
                Rule::Spend(s) => CompiledRule::Spend(amount(&format!("{at}: spend"), s)?),
            })
        };
        let bonus = |at: &str, b: i64| {
            if b < 0 {
                Err(Error::InvalidArgument(format!(
                    "{at}: a bonus cannot be negative"
                )))
            } else {
                Ok(b)
            }
        };
        let mut badges = Vec::new();
        for (n, b) in self.badge.iter().enumerate() {
            let at = format!("badge {} ({})", n + 1, b.name);
            badges.push((rule(&at, &b.rule)?, bonus(&at, b.bonus)?));
        }
        let mut challenges = Vec::new();
        for (n, c) in self.challenge.iter().enumerate() {
            let at = format!("challenge {} ({})", n + 1, c.name);
            let day = |what: &str, text: &str| {
                crate::time::parse_day(text).map_err(|_| {
                    Error::InvalidArgument(format!(
                        "{at}: {what}: {text:?} is not a date (YYYY-MM-DD)"
                    ))
                })
            };
            let (from, to) = (day("from", &c.from)?, day("to", &c.to)?);
            if to < from {
                return bad(format!("{at}: it ends ({to}) before it starts ({from})"));
            }
            challenges.push((from, to, rule(&at, &c.rule)?, bonus(&at, c.bonus)?));
        }
        let mut actions = Vec::new();
        for a in &self.action {
            if actions.iter().any(|(k, _, _)| *k == a.kind) {
                return bad(format!("action {:?} is given twice", a.kind));
            }
            if a.points < 0 || a.max_per_customer.is_some_and(|m| m < 1) {
                return bad(format!(
                    "action {:?}: points must be 0 or more and max_per_customer 1 or more",
                    a.kind
                ));
            }
            actions.push((a.kind, a.points, a.max_per_customer));
        }
        for (n, r) in self.reward.iter().enumerate() {
            let at = format!("reward {} ({})", n + 1, r.name);
            if r.points < 1 {
                return bad(format!("{at}: it must cost 1 point or more"));
            }
            match &r.discount {
                Discount::Amount(a) if amount(&format!("{at}: amount"), a)?.is_zero() => {
                    return bad(format!("{at}: an amount off must be above 0"));
                }
                Discount::Percent(p) if !(1..=100).contains(p) => {
                    return bad(format!("{at}: percent must be between 1 and 100"));
                }
                Discount::FreeShipping(false) => {
                    return bad(format!("{at}: free_shipping = false gives nothing"));
                }
                _ => {}
            }
            if let Some(m) = &r.min_order {
                amount(&format!("{at}: min_order"), m)?;
            }
        }
        Ok(Compiled {
            starts_on,
            points_per_unit,
            pending_days: self.pending_days,
            expiry_days: self.expiry_days,
            tiers,
            badges,
            challenges,
            actions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The programme of the loyalty issue, as an owner would write it.
    pub const GIFT_CLUB: &str = r#"
name = "Gift Club"
starts_on = "2011-01-01"
points_per_unit = "1"
pending_days = 14
expiry_days = 365

[[tier]]
name = "Bronze"
min_spend = "0"
multiplier = "1"
[[tier]]
name = "Silver"
min_spend = "1000"
multiplier = "1.25"
benefits = ["free_shipping"]
[[tier]]
name = "Gold"
min_spend = "5000"
multiplier = "1.5"
benefits = ["early_access"]

[[action]]
kind = "review"
points = 50
max_per_customer = 10

[[badge]]
name = "Regular"
rule = { orders = 5 }
bonus = 100

[[challenge]]
name = "Christmas trio"
from = "2011-12-01"
to = "2011-12-24"
rule = { categories = 3 }
bonus = 200

[[reward]]
name = "£5 off"
points = 500
discount = { amount = "5.00" }
min_order = "25.00"
"#;

    #[test]
    fn reads_the_gift_club() {
        let p = Programme::parse(GIFT_CLUB).unwrap();
        let c = p.compile().unwrap();
        assert_eq!(c.tiers.len(), 3);
        assert_eq!(c.tiers[2], (Decimal::new(5000, 0), Decimal::new(15, 1)));
        assert_eq!(c.badges, vec![(CompiledRule::Orders(5), 100)]);
        assert_eq!(c.challenges[0].2, CompiledRule::Categories(3));
        assert_eq!(c.actions, vec![(ActionKind::Review, 50, Some(10))]);
        assert_eq!(p.reward[0].discount, Discount::Amount("5.00".into()));
    }

    #[test]
    fn says_what_is_wrong_and_where() {
        let cases = [
            (
                "points_per_unit = \"1\"",
                "points_per_unit = \"-1\"",
                "points_per_unit",
            ),
            (
                "expiry_days = 365",
                "expiry_days = 10",
                "longer than pending_days",
            ),
            (
                "min_spend = \"1000\"",
                "min_spend = \"6000\"",
                "above the tier before",
            ),
            ("min_spend = \"0\"", "min_spend = \"10\"", "everyone's"),
            (
                "starts_on = \"2011-01-01\"",
                "starts_on = \"01/01/2011\"",
                "not a date",
            ),
            ("to = \"2011-12-24\"", "to = \"2011-11-24\"", "ends"),
            ("points = 500", "points = 0", "1 point or more"),
            (
                "rule = { orders = 5 }",
                "rule = { orders = 0 }",
                "1 or more",
            ),
        ];
        for (from, to, says) in cases {
            let text = GIFT_CLUB.replacen(from, to, 1);
            let err = Programme::parse(&text).unwrap_err().to_string();
            assert!(err.contains(says), "{to}: {err}");
        }
        // A typo names its line and column.
        let err = Programme::parse(&GIFT_CLUB.replace("pending_days", "pending_dayz"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 5"), "{err}");
        let err = Programme::parse(&GIFT_CLUB.replace("{ orders = 5 }", "{ visits = 5 }"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line"), "{err}");
    }
}
