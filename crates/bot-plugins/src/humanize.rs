//! Small time helpers: "5 minutes ago", durations like `1h30m`, and times
//! of day like `18:00`.
//!
//! Written here rather than taken from a crate: `humantime` prints
//! `5m 3s` (not "5 minutes ago") and its parser accepts a wider grammar
//! than a chat command should; what the plugins need is a few dozen lines.

use thiserror::Error;

/// The longest duration accepted by [`parse_duration`]: one year.
pub const MAX_DURATION_SECS: u64 = 366 * 86_400;

/// Why a duration or a time of day was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not of the form `10s`, `5m`, `2h`, `1d`, `1w` or a combination.
    #[error("cannot read {0:?} as a duration (try 10s, 5m, 2h, 1d or 1h30m)")]
    BadDuration(String),
    /// Zero, or longer than a year.
    #[error("a duration must be more than 0 seconds and at most a year")]
    OutOfRange,
    /// Not of the form `HH:MM` on a 24-hour clock.
    #[error("cannot read {0:?} as a time of day (try 18:00)")]
    BadTime(String),
}

/// Parses a duration: one or more `<number><unit>` parts with units
/// `s`, `m`, `h`, `d`, `w` (`10s`, `5m`, `1h30m`, `1d12h`). The result is
/// in seconds, more than zero and at most [`MAX_DURATION_SECS`].
///
/// ```
/// use bot_plugins::humanize::parse_duration;
/// assert_eq!(parse_duration("1h30m").unwrap(), 5_400);
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<u64, TimeError> {
    let bad = || TimeError::BadDuration(text.to_owned());
    let text_lc = text.trim().to_ascii_lowercase();
    if text_lc.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for ch in text_lc.chars() {
        if ch.is_ascii_digit() {
            if digits.len() >= 9 {
                return Err(TimeError::OutOfRange);
            }
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    if total == 0 || total > MAX_DURATION_SECS {
        return Err(TimeError::OutOfRange);
    }
    Ok(total)
}

/// Parses a time of day `HH:MM` (24-hour clock) into seconds after midnight.
///
/// ```
/// use bot_plugins::humanize::parse_time_of_day;
/// assert_eq!(parse_time_of_day("18:00").unwrap(), 18 * 3600);
/// assert!(parse_time_of_day("24:00").is_err());
/// ```
pub fn parse_time_of_day(text: &str) -> Result<u32, TimeError> {
    let bad = || TimeError::BadTime(text.to_owned());
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let ok = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(h) || m.len() != 2 || !ok(m) {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 3_600 + m * 60)
}

fn unit(n: u64, name: &str) -> String {
    if n == 1 {
        format!("1 {name}")
    } else {
        format!("{n} {name}s")
    }
}

/// A duration in words, to the two largest units: `5 minutes`,
/// `2 hours 3 minutes`, `3 days 4 hours`, `12 seconds`.
///
/// ```
/// use bot_plugins::humanize::format_duration;
/// assert_eq!(format_duration(3_780), "1 hour 3 minutes");
/// assert_eq!(format_duration(1), "1 second");
/// ```
pub fn format_duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let Some(first) = UNITS.iter().position(|(size, _)| secs >= *size) else {
        return "0 seconds".to_owned();
    };
    let (size, name) = UNITS[first];
    let mut out = unit(secs / size, name);
    if let Some(&(next, next_name)) = UNITS.get(first + 1) {
        let n = (secs % size) / next;
        if n > 0 {
            out.push(' ');
            out.push_str(&unit(n, next_name));
        }
    }
    out
}

/// How long ago `then` was, seen at `now` (both in seconds since the
/// epoch): `just now`, `5 minutes ago`, `2 hours 3 minutes ago`. A time in
/// the future (a clock set back) reads `just now`.
///
/// ```
/// use bot_plugins::humanize::ago;
/// assert_eq!(ago(1_000, 1_300), "5 minutes ago");
/// assert_eq!(ago(1_000, 1_002), "just now");
/// ```
pub fn ago(then: i64, now: i64) -> String {
    let secs = u64::try_from(now.saturating_sub(then)).unwrap_or(0);
    if secs < 5 {
        "just now".to_owned()
    } else {
        format!("{} ago", format_duration(secs))
    }
}

/// A UTC offset such as `+02:00`, `-05:30` or `Z`, in seconds east of UTC.
///
/// ```
/// use bot_plugins::humanize::parse_utc_offset;
/// assert_eq!(parse_utc_offset("+02:00").unwrap(), 7_200);
/// assert_eq!(parse_utc_offset("-05:30").unwrap(), -19_800);
/// ```
pub fn parse_utc_offset(text: &str) -> Result<i32, TimeError> {
    let bad = || TimeError::BadTime(text.to_owned());
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Ok(0);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let secs = i32::try_from(parse_time_of_day(rest)?).map_err(|_| bad())?;
    if secs > 14 * 3_600 {
        return Err(bad());
    }
    Ok(sign * secs)
}

/// The wall-clock `HH:MM` of `unix` seconds at `offset` seconds east of UTC.
pub fn clock_time(unix: i64, offset: i32) -> String {
    let local = unix.saturating_add(i64::from(offset)).rem_euclid(86_400);
    format!("{:02}:{:02}", local / 3_600, (local % 3_600) / 60)
}

/// The next moment, strictly after `now`, when the wall clock at `offset`
/// reads `time_of_day` (seconds after midnight): today, or tomorrow when
/// that time has passed.
pub fn next_time_of_day(now: i64, offset: i32, time_of_day: u32) -> i64 {
    let local_secs = now.saturating_add(i64::from(offset)).rem_euclid(86_400);
    let mut wait = i64::from(time_of_day) - local_secs;
    if wait <= 0 {
        wait += 86_400;
    }
    now.saturating_add(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, want) in [
            ("10s", 10),
            ("5m", 300),
            ("2h", 7_200),
            ("1d", 86_400),
            ("1w", 604_800),
            ("1h30m", 5_400),
            ("1H30M", 5_400),
            ("1d2h3m4s", 93_784),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
        for bad in ["", "10", "m", "10x", "1h 30m", "-5m", "1.5h"] {
            assert!(
                matches!(parse_duration(bad), Err(TimeError::BadDuration(_))),
                "{bad:?}"
            );
        }
        assert_eq!(parse_duration("0s"), Err(TimeError::OutOfRange));
        assert_eq!(parse_duration("400d"), Err(TimeError::OutOfRange));
        assert_eq!(
            parse_duration("99999999999999999999s"),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn formatting() {
        assert_eq!(format_duration(0), "0 seconds");
        assert_eq!(format_duration(59), "59 seconds");
        assert_eq!(format_duration(60), "1 minute");
        assert_eq!(format_duration(61), "1 minute 1 second");
        assert_eq!(format_duration(300), "5 minutes");
        assert_eq!(format_duration(7_380), "2 hours 3 minutes");
        assert_eq!(format_duration(7_201), "2 hours");
        assert_eq!(
            format_duration(3 * 86_400 + 4 * 3_600 + 5),
            "3 days 4 hours"
        );
        assert_eq!(ago(0, 300), "5 minutes ago");
        assert_eq!(ago(300, 0), "just now");
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time_of_day("9:05"), Ok(9 * 3_600 + 300));
        for bad in ["", "18", "18:0", "18:60", "24:00", "a:bc", "18:00:00"] {
            assert!(parse_time_of_day(bad).is_err(), "{bad:?}");
        }
        // 2026-01-01T17:00:00Z is 1767286800.
        let five_pm = 1_767_286_800;
        assert_eq!(next_time_of_day(five_pm, 0, 18 * 3_600), five_pm + 3_600);
        assert_eq!(
            next_time_of_day(five_pm, 0, 16 * 3_600),
            five_pm + 23 * 3_600
        );
        assert_eq!(next_time_of_day(five_pm, 0, 17 * 3_600), five_pm + 86_400);
        // At +02:00 it is 19:00, so 18:00 local is tomorrow.
        assert_eq!(
            next_time_of_day(five_pm, 7_200, 18 * 3_600),
            five_pm + 23 * 3_600
        );
        assert_eq!(clock_time(five_pm, 7_200), "19:00");
        assert_eq!(parse_utc_offset("Z"), Ok(0));
        assert!(parse_utc_offset("+15:00").is_err());
        assert!(parse_utc_offset("0200").is_err());
    }
}
