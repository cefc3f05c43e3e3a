//! Everything the command line prints goes through here: text for people,
//! or, with the global `--json`, one JSON document on standard output.
//! Money in text is written as the shop writes it (`£10,271,433.06`).
//!
//! A reader that closes the pipe early (`merchant-desk price signals | head`)
//! ends the output quietly: the first failed write marks the output closed,
//! later writes are skipped, and the program exits as if it had finished.

use serde::Serialize;
use serde_json::Value as Json;
use std::cell::{Cell, RefCell};
use std::fmt::Display;
use std::io::{ErrorKind, Write};

/// Standard output in the chosen format.
pub struct Output {
    json: bool,
    closed: Cell<bool>,
    /// The shop's currency, once a command has read it: JSON then carries
    /// each amount as a decimal string beside its minor units.
    currency: RefCell<Option<String>>,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output {
            json,
            closed: Cell::new(false),
            currency: RefCell::new(None),
        }
    }

    /// Whether the reader closed standard output.
    pub fn closed(&self) -> bool {
        self.closed.get()
    }

    /// One line of text.
    pub fn line(&self, text: impl Display) {
        if self.closed.get() {
            return;
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, "{text}").and_then(|_| out.flush()) {
            if e.kind() == ErrorKind::BrokenPipe {
                self.closed.set(true);
            } else {
                eprintln!("error: writing the output: {e}");
                self.closed.set(true);
            }
        }
    }

    /// The shop's currency, for the amounts in JSON.
    pub fn set_currency(&self, currency: &str) {
        *self.currency.borrow_mut() = Some(currency.to_string());
    }

    /// `value` as JSON when `--json` was given, else `human` writes text.
    /// In JSON every `…_minor` amount is joined by the same amount as a
    /// decimal string in major units (`"price_minor": 1049` and
    /// `"price": "10.49"`).
    pub fn show<T: Serialize + ?Sized>(&self, value: &T, human: impl FnOnce(&Output)) {
        if self.json {
            let mut v = serde_json::to_value(value).expect("the core's types serialise");
            if let Some(c) = self.currency.borrow().as_deref() {
                with_decimals(&mut v, c);
            }
            self.line(serde_json::to_string_pretty(&v).expect("JSON values serialise"));
        } else {
            human(self);
        }
    }

    /// Text for people when a list is empty, in place of the rows.
    pub fn rows<T>(&self, rows: &[T], empty: &str, each: impl FnMut(&T)) {
        if rows.is_empty() {
            self.line(empty);
        } else {
            rows.iter().for_each(each);
        }
    }
}

/// A note for the owner on standard error (what settling did, progress
/// words): never part of the output a script reads.
pub fn note(text: impl Display) {
    eprintln!("{text}");
}

/// Money for text output.
pub fn money(minor: i64, currency: &str) -> String {
    SHOP_MONEY.with(|m| match &*m.borrow() {
        Some((shop_currency, format)) if shop_currency == currency => {
            format.format(minor, currency)
        }
        _ => merchant_desk::money::format_money(minor, currency),
    })
}

thread_local! {
    /// The open shop's currency and the way it writes money.
    static SHOP_MONEY: std::cell::RefCell<Option<(String, merchant_desk::money::MoneyFormat)>> =
        const { std::cell::RefCell::new(None) };
}

/// Text output writes amounts in `currency` with the shop's `pattern`
/// (Shopify's money format, or the currency's default).
pub fn set_shop_money(currency: &str, pattern: &str) {
    let format = merchant_desk::money::MoneyFormat::for_shop(currency, Some(pattern));
    SHOP_MONEY.with(|m| *m.borrow_mut() = Some((currency.to_string(), format)));
}

/// Money computed as a float (projections), rounded to the minor unit.
pub fn money_f(minor: f64, currency: &str) -> String {
    money(minor.round() as i64, currency)
}

/// Money for JSON output: a decimal string in major units (`"10.49"`).
pub fn decimal(minor: i64, currency: &str) -> String {
    merchant_desk::money::format_major(minor, currency)
}

/// A decimal amount the core reports as text (`"1086573.31"`), for text
/// output (`£1,086,573.31`); left as it is if it is not one.
pub fn money_text(amount: &str, currency: &str) -> String {
    merchant_desk::money::parse_decimal(amount)
        .and_then(|d| merchant_desk::money::to_minor(d, currency))
        .map_or_else(|| amount.to_string(), |m| money(m, currency))
}

/// Adds `X: "10.49"` beside every integer `X_minor` (where no `X` is there).
fn with_decimals(v: &mut Json, currency: &str) {
    match v {
        Json::Array(items) => items.iter_mut().for_each(|i| with_decimals(i, currency)),
        Json::Object(map) => {
            let amounts: Vec<(String, String)> = map
                .iter()
                .filter_map(|(k, v)| {
                    let name = k.strip_suffix("_minor")?;
                    let minor = v.as_i64()?;
                    (!map.contains_key(name)).then(|| (name.to_string(), decimal(minor, currency)))
                })
                .collect();
            for v in map.values_mut() {
                with_decimals(v, currency);
            }
            for (k, d) in amounts {
                map.insert(k, Json::String(d));
            }
        }
        _ => {}
    }
}
