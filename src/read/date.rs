//! Dates from every form the inputs use: RFC 3339 / ISO 8601 (with or without time or offset),
//! RFC 2822 (HTTP and mail headers), epoch seconds or milliseconds, and Common Crawl names.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Latest accepted date (year 9999 is a placeholder more often than a date; see robustness tests).
const MAX_MICROS: i64 = 253_402_300_799_000_000; // 9999-12-31T23:59:59Z
/// Earliest accepted date: the year 1 (year 0 does not exist in the proleptic Gregorian calendar
/// that ISO 8601 uses without agreement).
const MIN_MICROS: i64 = -62_135_596_800_000_000; // 0001-01-01T00:00:00Z

fn in_range(micros: i64) -> Option<i64> {
    (MIN_MICROS..=MAX_MICROS)
        .contains(&micros)
        .then_some(micros)
}

/// Parse a date string to microseconds since the epoch, UTC. `None` when it is not a date.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return in_range(d.with_timezone(&Utc).timestamp_micros());
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return in_range(d.with_timezone(&Utc).timestamp_micros());
    }
    // ISO 8601 without offset (taken as UTC), with a space or T, optional fraction.
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return in_range(Utc.from_utc_datetime(&d).timestamp_micros());
        }
    }
    // With an offset but not strict RFC 3339 (e.g. `+0000`, or a space before it).
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return in_range(d.with_timezone(&Utc).timestamp_micros());
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return in_range(
                Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                    .timestamp_micros(),
            );
        }
    }
    if let Some(m) = crawl_date(s) {
        return Some(m);
    }
    // Epoch seconds written as a string.
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        if let Ok(f) = s.parse::<f64>() {
            return epoch(f);
        }
    }
    None
}

/// Epoch number: seconds, or milliseconds when ≥ 1e11 (no document predates 1973 in ms, and no
/// seconds value reaches 1e11 before the year 5138).
pub fn epoch(v: f64) -> Option<i64> {
    if !v.is_finite() {
        return None;
    }
    let micros = if v.abs() >= 1e11 { v * 1e3 } else { v * 1e6 };
    if micros.abs() > 9.2e18 {
        return None;
    }
    in_range(micros as i64)
}

/// The start date of a Common Crawl crawl named in `s` (`CC-MAIN-2024-22` → Monday of ISO week 22
/// of 2024, the week the crawl started). Also finds the name inside longer strings (paths, dumps).
pub fn crawl_date(s: &str) -> Option<i64> {
    let upper = s.to_ascii_uppercase();
    let i = upper.find("CC-MAIN-")?;
    let rest = &upper[i + "CC-MAIN-".len()..];
    let year: i32 = rest.get(..4)?.parse().ok()?;
    let week: u32 = rest.get(5..7)?.parse().ok()?;
    if rest.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let day = NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon)?;
    in_range(
        Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0)?)
            .timestamp_micros(),
    )
}

/// Format microseconds since the epoch as RFC 3339 (for messages and JSON output).
pub fn format_date(micros: i64) -> String {
    match Utc.timestamp_micros(micros).single() {
        Some(d) => d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => micros.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        format_date(parse_date(s).unwrap_or_else(|| panic!("{s} did not parse")))
    }

    #[test]
    fn common_forms() {
        assert_eq!(iso("2024-05-19T10:11:12Z"), "2024-05-19T10:11:12Z");
        assert_eq!(iso("2024-05-19T12:11:12+02:00"), "2024-05-19T10:11:12Z");
        assert_eq!(iso("2024-05-19 10:11:12"), "2024-05-19T10:11:12Z");
        assert_eq!(iso("2024-05-19"), "2024-05-19T00:00:00Z");
        assert_eq!(iso("Sun, 19 May 2024 10:11:12 GMT"), "2024-05-19T10:11:12Z");
        assert_eq!(iso("1716113472"), "2024-05-19T10:11:12Z");
        assert_eq!(iso("1716113472000"), "2024-05-19T10:11:12Z");
        assert_eq!(iso("CC-MAIN-2024-22"), "2024-05-27T00:00:00Z");
    }

    #[test]
    fn rejects_non_dates_and_absurd_years() {
        for s in [
            "",
            "yesterday",
            "2024-13-45",
            "0000-01-01",
            "99999-01-01T00:00:00Z",
            "NaN",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert!(parse_date("9999-12-31T00:00:00Z").is_some());
    }
}
