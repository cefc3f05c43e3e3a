//! Money as integer minor units. Parsing goes through `rust_decimal` so a
//! price such as "0.001" or a product quantity × price is exact until the one
//! explicit rounding (half away from zero) to the minor unit.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Minor units per major unit for a currency (10 to its ISO 4217 exponent).
pub fn minor_per_major(currency: &str) -> i64 {
    10i64.pow(exponent(currency))
}

/// The currency's ISO 4217 exponent: 2 for GBP, 0 for JPY, 3 for KWD; 2
/// for a code that is not a currency of money (refused as a shop currency).
fn exponent(currency: &str) -> u32 {
    money_currency(currency).unwrap_or(2)
}

/// The exponent of a real ISO 4217 currency of money; `None` for a code that
/// is not one (`ABC`) or names no money (`XAU`, gold; `XXX`, no currency).
pub fn money_currency(code: &str) -> Option<u32> {
    iso_currency::Currency::from_code(code)
        .and_then(|c| c.exponent())
        .map(u32::from)
}

/// Parses a plain decimal amount in major units ("2.55", "-11062.06", "3").
/// Thousands separators and currency symbols are refused rather than guessed.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
    {
        return None;
    }
    Decimal::from_str(t).ok()
}

/// Rounds `major × factor` to minor units, half away from zero.
pub fn to_minor(major: Decimal, currency: &str) -> Option<i64> {
    (major * Decimal::from(minor_per_major(currency)))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// `quantity × unit price` rounded once to minor units, half away from zero.
pub fn line_total_minor(quantity: i64, unit_price_major: Decimal, currency: &str) -> Option<i64> {
    to_minor(Decimal::from(quantity) * unit_price_major, currency)
}

/// `numerator / denominator` in minor units, rounded half away from zero.
pub fn div_round(numerator: i64, denominator: i64) -> i64 {
    if denominator == 0 {
        return 0;
    }
    (Decimal::from(numerator) / Decimal::from(denominator))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(0)
}

/// `amount × share` in minor units, rounded half away from zero.
pub fn mul_round(amount: i64, share: Decimal) -> i64 {
    (Decimal::from(amount) * share)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(0)
}

/// Formats minor units as a decimal string in major units: `51947` → `"519.47"`.
pub fn format_major(minor: i64, currency: &str) -> String {
    Decimal::new(minor, exponent(currency)).to_string()
}

/// An amount as a shop writes it for people when the shop has no pattern of
/// its own: the currency's symbol, the thousands grouped (`£10,271,433.06`,
/// `-€5.00`, `¥1,200`). A currency without a well-known symbol is written
/// with its code (`CHF 12.50`).
pub fn format_money(minor: i64, currency: &str) -> String {
    MoneyFormat::default_for(currency).format(minor, currency)
}

/// How a shop writes its money: a storefront's pattern such as Shopify's
/// `£{{amount}}`, `{{amount_with_comma_separator}} €` or
/// `Fr. {{amount_with_apostrophe_separator}}`, the text around one
/// placeholder that says how digits are grouped and whether decimals show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyFormat {
    before: String,
    after: String,
    group: &'static str,
    decimal: &'static str,
    decimals: bool,
}

/// The placeholders a Shopify money format may hold: the name, the
/// thousands separator, the decimal mark, whether decimals are written.
const PLACEHOLDERS: [(&str, &str, &str, bool); 9] = [
    ("amount", ",", ".", true),
    ("amount_no_decimals", ",", ".", false),
    ("amount_with_comma_separator", ".", ",", true),
    ("amount_no_decimals_with_comma_separator", ".", ",", false),
    ("amount_with_apostrophe_separator", "'", ".", true),
    (
        "amount_no_decimals_with_apostrophe_separator",
        "'",
        ".",
        false,
    ),
    ("amount_with_space_separator", "\u{a0}", ",", true),
    (
        "amount_no_decimals_with_space_separator",
        "\u{a0}",
        ",",
        false,
    ),
    (
        "amount_with_period_and_space_separator",
        "\u{a0}",
        ".",
        true,
    ),
];

impl MoneyFormat {
    /// Reads a storefront's pattern. HTML tags around it (`<span
    /// class=money>…</span>`) are dropped; `None` when it holds no known
    /// placeholder, so the shop falls back to [`MoneyFormat::default_for`].
    pub fn parse(pattern: &str) -> Option<MoneyFormat> {
        let mut text = String::with_capacity(pattern.len());
        let mut in_tag = false;
        for c in pattern.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let open = text.find("{{")?;
        let close = open + text[open..].find("}}")?;
        let name = text[open + 2..close].trim();
        let &(_, group, decimal, decimals) = PLACEHOLDERS.iter().find(|p| p.0 == name)?;
        Some(MoneyFormat {
            before: text[..open].to_string(),
            after: text[close + 2..].to_string(),
            group,
            decimal,
            decimals,
        })
    }

    /// The format of a shop without a pattern: the currency's symbol (or its
    /// code and a space) before the amount, comma thousands, point decimals.
    pub fn default_for(currency: &str) -> MoneyFormat {
        MoneyFormat {
            before: currency_symbol(currency)
                .map_or_else(|| format!("{currency} "), str::to_string),
            after: String::new(),
            group: ",",
            decimal: ".",
            decimals: true,
        }
    }

    /// The default written as a pattern of the storefronts' kind
    /// (`£{{amount}}`, `CHF {{amount}}`), for the UI to read like a shop's own.
    pub fn default_pattern(currency: &str) -> String {
        let before =
            currency_symbol(currency).map_or_else(|| format!("{currency} "), str::to_string);
        format!("{before}{{{{amount}}}}")
    }

    /// The shop's pattern when it has a usable one, else the default.
    pub fn for_shop(currency: &str, pattern: Option<&str>) -> MoneyFormat {
        pattern
            .and_then(MoneyFormat::parse)
            .unwrap_or_else(|| MoneyFormat::default_for(currency))
    }

    /// `minor` units of `currency` written this way; a format without
    /// decimals rounds half away from zero to a whole major unit.
    pub fn format(&self, minor: i64, currency: &str) -> String {
        let exp = exponent(currency);
        let mut amount = Decimal::new(minor.unsigned_abs() as i64, exp);
        if !self.decimals {
            amount = amount.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        }
        let digits = amount.to_string();
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits.as_str(), None),
        };
        let mut out =
            String::with_capacity(self.before.len() + digits.len() * 2 + self.after.len());
        if minor < 0 {
            out.push('-');
        }
        out.push_str(&self.before);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push_str(self.group);
            }
            out.push(c);
        }
        if let (Some(f), true) = (fraction, self.decimals) {
            out.push_str(self.decimal);
            out.push_str(f);
        }
        out.push_str(&self.after);
        out
    }
}

fn currency_symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "GBP" => "£",
        "USD" => "$",
        "EUR" => "€",
        "JPY" => "¥",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        "INR" => "₹",
        "KRW" => "₩",
        "ILS" => "₪",
        "VND" => "₫",
        "PHP" => "₱",
        "NGN" => "₦",
        "BRL" => "R$",
        "MXN" => "MX$",
        _ => return None,
    })
}

/// A percentage as written (5, -2.5 or "7.5"), kept in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(pub i64);

impl Percent {
    /// A percentage with at most two decimals (7.25), in basis points.
    pub fn from_decimal(percent: Decimal) -> Option<Percent> {
        let bp = percent * Decimal::from(100);
        bp.fract()
            .is_zero()
            .then(|| bp.to_i64())
            .flatten()
            .map(Percent)
    }

    pub fn decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let d = self.decimal().normalize();
        if f.sign_plus() && self.0 >= 0 {
            write!(f, "+{d} %")
        } else {
            write!(f, "{d} %")
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 100.0)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Int(i64),
            Float(f64),
            Text(String),
        }
        // The untagged enum's own error names the enum: say what is wanted.
        let written = Written::deserialize(d).map_err(|_| {
            serde::de::Error::custom("a percentage is a number with at most two decimals")
        })?;
        let value = match written {
            Written::Int(i) => Some(Decimal::from(i)),
            Written::Float(f) => Decimal::try_from(f).ok(),
            Written::Text(t) => parse_decimal(&t),
        };
        value.and_then(Percent::from_decimal).ok_or_else(|| {
            serde::de::Error::custom("a percentage is a number with at most two decimals")
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shop_patterns_write_money_as_the_shop_does() {
        let f = |p: &str, minor: i64, cur: &str| MoneyFormat::parse(p).unwrap().format(minor, cur);
        assert_eq!(f("£{{amount}}", 113_465, "GBP"), "£1,134.65");
        assert_eq!(
            f("{{amount_with_comma_separator}} €", 113_465, "EUR"),
            "1.134,65 €"
        );
        assert_eq!(f("{{ amount_no_decimals }} kr", 113_450, "SEK"), "1,135 kr");
        assert_eq!(f("{{amount_no_decimals}} kr", 113_449, "SEK"), "1,134 kr");
        assert_eq!(
            f(
                "Fr. {{amount_with_apostrophe_separator}}",
                123_456_789,
                "CHF"
            ),
            "Fr. 1'234'567.89"
        );
        assert_eq!(
            f("{{amount_with_space_separator}} zł", 113_465, "PLN"),
            "1\u{a0}134,65 zł"
        );
        assert_eq!(
            f("{{amount_with_period_and_space_separator}}", 113_465, "USD"),
            "1\u{a0}134.65"
        );
        assert_eq!(
            f("<span class=money>${{amount}} USD</span>", -500, "USD"),
            "-$5.00 USD"
        );
        assert_eq!(f("¥{{amount_no_decimals}}", 1200, "JPY"), "¥1,200");
        // No known placeholder: the shop's money falls back to the default.
        assert_eq!(MoneyFormat::parse("£{{price}}"), None);
        assert_eq!(MoneyFormat::parse("£"), None);
        assert_eq!(
            MoneyFormat::for_shop("GBP", Some("{{oops}}")).format(1049, "GBP"),
            "£10.49"
        );
        assert_eq!(
            MoneyFormat::for_shop("EUR", None).format(1049, "EUR"),
            "€10.49"
        );
        for (currency, minor) in [
            ("GBP", -123_456),
            ("CHF", 1250),
            ("JPY", 1_200_000),
            ("KWD", 1_234_567),
        ] {
            let pattern = MoneyFormat::default_pattern(currency);
            assert_eq!(
                MoneyFormat::parse(&pattern)
                    .unwrap()
                    .format(minor, currency),
                format_money(minor, currency),
                "{pattern}"
            );
        }
    }

    use super::*;

    #[test]
    fn money_as_the_shop_writes_it() {
        assert_eq!(format_money(1_027_143_306, "GBP"), "£10,271,433.06");
        assert_eq!(format_money(-500, "EUR"), "-€5.00");
        assert_eq!(format_money(0, "GBP"), "£0.00");
        assert_eq!(format_money(99_999, "GBP"), "£999.99");
        assert_eq!(format_money(100_000, "GBP"), "£1,000.00");
        assert_eq!(format_money(1200, "JPY"), "¥1,200");
        assert_eq!(format_money(1250, "CHF"), "CHF 12.50");
        assert_eq!(format_money(1_234_567, "KWD"), "KWD 1,234.567");
    }

    #[test]
    fn parses_and_rounds_half_away_from_zero() {
        assert_eq!(to_minor(parse_decimal("2.555").unwrap(), "GBP"), Some(256));
        assert_eq!(
            to_minor(parse_decimal("-2.555").unwrap(), "GBP"),
            Some(-256)
        );
        assert_eq!(to_minor(parse_decimal("2.554").unwrap(), "GBP"), Some(255));
        assert_eq!(to_minor(parse_decimal("0.001").unwrap(), "GBP"), Some(0));
        assert_eq!(to_minor(parse_decimal("1500").unwrap(), "JPY"), Some(1500));
        assert_eq!(parse_decimal("£2.50"), None);
        assert_eq!(parse_decimal("1,000.00"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("abc"), None);
    }

    #[test]
    fn line_total_rounds_once() {
        // 3 × 0.005 = 0.015 → 0.02 (one rounding), not 3 × round(0.005)=0.03.
        assert_eq!(
            line_total_minor(3, parse_decimal("0.005").unwrap(), "GBP"),
            Some(2)
        );
        assert_eq!(
            line_total_minor(100, parse_decimal("0.001").unwrap(), "GBP"),
            Some(10)
        );
        assert_eq!(
            line_total_minor(12, parse_decimal("1.65").unwrap(), "GBP"),
            Some(1980)
        );
    }

    #[test]
    fn formats_major_units() {
        assert_eq!(format_major(51947, "GBP"), "519.47");
        assert_eq!(format_major(-5, "GBP"), "-0.05");
        assert_eq!(format_major(0, "GBP"), "0.00");
        assert_eq!(format_major(1500, "JPY"), "1500");
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(7, 0), 0);
    }
}
