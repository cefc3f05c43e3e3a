//! Shop time: wall-clock times in the shop's IANA zone to the UTC the store keeps.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

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
