//! Everything the command line prints goes through here: text for people,
//! or, with the global `--json`, one JSON document on standard output.
//! Money in text is written as the shop writes it (`£10,271,433.06`).
//!
//! A reader that closes the pipe early (`merchant-desk price signals | head`)
//! ends the output quietly: the first failed write marks the output closed,
//! later writes are skipped, and the program exits as if it had finished.

use serde::Serialize;
use std::cell::Cell;
use std::fmt::Display;
use std::io::{ErrorKind, Write};

/// Standard output in the chosen format.
pub struct Output {
    json: bool,
    closed: Cell<bool>,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output {
            json,
            closed: Cell::new(false),
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

    /// `value` as JSON when `--json` was given, else `human` writes text.
    pub fn show<T: Serialize + ?Sized>(&self, value: &T, human: impl FnOnce(&Output)) {
        if self.json {
            self.line(serde_json::to_string_pretty(value).expect("the core's types serialise"));
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
    merchant_desk::money::format_money(minor, currency)
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
