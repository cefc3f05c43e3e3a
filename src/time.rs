//! Time: the store keeps UTC as `2011-12-10T09:00:00Z` text; owners write
//! days and wall-clock times in the shop's IANA zone. Every conversion
//! between the two lives here.

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The stored form of a UTC instant: `2011-12-10T09:00:00Z`.
pub fn fmt_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A day as the store keeps it, `2011-12-09`.
pub fn fmt_day(d: NaiveDate) -> String {
    // Hot when the derived sales tables are rebuilt: plain integer
    // formatting, not strftime.
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// A stored UTC time (`2011-12-10T09:00:00Z`).
pub fn parse_utc(utc: &str) -> Result<DateTime<Utc>> {
    // Hot when a ledger reads millions of orders: the stored form read
    // by its digits; anything else (an offset, a fraction) by RFC 3339.
    if let Some(t) = stored_utc(utc.as_bytes()) {
        return Ok(t);
    }
    DateTime::parse_from_rfc3339(utc)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::InvalidArgument(format!("\"{utc}\" is not a UTC time")))
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly, or nothing.
fn stored_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 20
        || (b[4], b[7], b[10], b[13], b[16], b[19]) != (b'-', b'-', b'T', b':', b':', b'Z')
    {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    Some(
        date.and_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?
            .and_utc(),
    )
}

/// A stored UTC time as the shop's clock shows it: `2011-12-10 09:00 GMT`.
pub fn shop_time(utc: &str, tz: chrono_tz::Tz) -> Result<String> {
    Ok(parse_utc(utc)?
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string())
}

/// Parses a day written `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Error::InvalidArgument(format!("{text:?} is not a date like 2011-12-09")))
}

/// Parses an ISO 8601 time. With an offset (`Z`, `+01:00`) it is exact; a
/// date or wall-clock time without one is read in the shop's time zone.
pub fn parse_instant(text: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    Some(local_to_utc(tz, naive))
}

/// Reads an IANA time zone name.
pub fn parse_time_zone(name: &str) -> Result<chrono_tz::Tz> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        Error::InvalidArgument(format!(
            "{name:?} is not an IANA time zone (for example Europe/London or America/New_York)"
        ))
    })
}

/// The UTC instant of a wall-clock time in `tz`. An ambiguous time (the hour
/// repeated when clocks go back) is its first occurrence; a time skipped when
/// clocks go forward is read as the hour after, which is what a clock that
/// was not yet changed showed.
pub fn local_to_utc(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        // No zone skips more than an hour at once; fall back to reading it as UTC.
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_stored_form_reads_as_rfc3339_does() {
        for text in [
            "2011-12-10T09:00:00Z",
            "1999-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2023-02-29T10:00:00Z",
            "2011-13-10T09:00:00Z",
            "2011-12-10T24:00:00Z",
            "2011-12-10T09:00:60Z",
            "2011-12-10t09:00:00Z",
            "2011-12-1OT09:00:00Z",
            "+011-12-10T09:00:00Z",
            "2011-12-10T09:00:00+01:00",
            "2011-12-10T09:00:00.250Z",
        ] {
            let rfc = DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .ok();
            assert_eq!(parse_utc(text).ok(), rfc, "{text}");
        }
        assert_eq!(
            stored_utc(b"2011-12-10T09:00:00Z"),
            Utc.with_ymd_and_hms(2011, 12, 10, 9, 0, 0).single()
        );
    }

    #[test]
    fn stored_times_on_the_shop_clock() {
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        assert_eq!(
            shop_time("2011-12-10T09:00:00Z", london).unwrap(),
            "2011-12-10 09:00 GMT"
        );
        assert_eq!(
            shop_time("2011-07-01T09:00:00Z", london).unwrap(),
            "2011-07-01 10:00 BST"
        );
        assert!(shop_time("yesterday", london).is_err());
    }

    #[test]
    fn clock_changes() {
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        // Summer time.
        assert_eq!(
            local_to_utc(london, at("2011-07-01 10:00")).to_rfc3339(),
            "2011-07-01T09:00:00+00:00"
        );
        // 01:30 happened twice on 2011-10-30: the first time was still BST.
        assert_eq!(
            local_to_utc(london, at("2011-10-30 01:30")).to_rfc3339(),
            "2011-10-30T00:30:00+00:00"
        );
        // 01:30 did not happen on 2011-03-27.
        assert_eq!(
            local_to_utc(london, at("2011-03-27 01:30")).to_rfc3339(),
            "2011-03-27T01:30:00+00:00"
        );
    }
}
