//! Instants and the clock. One timestamp type ([`Timestamp`], UTC to the millisecond, over
//! `jiff`) with one text form, `YYYY-MM-DDTHH:MM:SS.mmmZ` (fixed width, so it compares as text),
//! used for every stored or shown instant. The clock is a [`Clock`] passed in: the core never
//! reads the system clock; the use-case layer's `SystemClock` does, and edges hand it down.

use crate::period::Date;
use std::fmt;
use std::str::FromStr;

/// An instant in UTC, to the millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

/// A refused timestamp: out of range, or text not in the one format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeError(pub String);

impl std::error::Error for TimeError {}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Timestamp {
    /// Milliseconds since the Unix epoch.
    pub fn from_millis(ms: i64) -> Result<Timestamp, TimeError> {
        jiff::Timestamp::from_millisecond(ms)
            .map(Timestamp)
            .map_err(|e| TimeError(format!("timestamp {ms} ms: {e}")))
    }

    /// Microseconds since the Unix epoch.
    pub fn from_micros(us: i64) -> Result<Timestamp, TimeError> {
        jiff::Timestamp::from_microsecond(us)
            .map(Timestamp)
            .map_err(|e| TimeError(format!("timestamp {us} µs: {e}")))
    }

    pub fn as_millis(self) -> i64 {
        self.0.as_millisecond()
    }

    pub fn as_micros(self) -> i64 {
        self.0.as_microsecond()
    }

    /// The calendar date in China (UTC+8, no daylight saving) at this instant.
    pub fn date_china(self) -> Date {
        let secs = self.0.as_second();
        Date::from_days_since_epoch((secs + 8 * 3600).div_euclid(86_400))
    }

    /// The time of day in China (UTC+8) at this instant, `HH:MM:SS`.
    pub fn time_china(self) -> String {
        let s = (self.0.as_second() + 8 * 3600).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }

    /// This instant moved by `ms` milliseconds.
    pub fn plus_millis(self, ms: i64) -> Result<Timestamp, TimeError> {
        Timestamp::from_millis(self.as_millis().saturating_add(ms))
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, always 24 characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;
    /// Reads the one format (any RFC 3339 instant with an offset is accepted, then normalised).
    fn from_str(s: &str) -> Result<Timestamp, TimeError> {
        s.parse::<jiff::Timestamp>()
            .map(|t| {
                // stored to the millisecond
                let ms = t.as_millisecond();
                jiff::Timestamp::from_millisecond(ms).unwrap_or(t)
            })
            .map(Timestamp)
            .map_err(|e| {
                TimeError(crate::tr!(
                    "time-err-invalid",
                    text = format!("{s:?}"),
                    error = e
                ))
            })
    }
}

/// Where "now" comes from. Use cases take one; tests pass a [`FixedClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// Today's date in China.
    fn today_china(&self) -> Date {
        self.now().date_china()
    }
}

/// A clock that always says the same instant (tests, replays, reproducible runs).
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_fixed_width_format_that_round_trips() {
        let t = Timestamp::from_millis(1_764_650_096_007).expect("ms");
        assert_eq!(t.to_string(), "2025-12-02T04:34:56.007Z");
        assert_eq!(t.to_string().parse::<Timestamp>().expect("parse"), t);
        let epoch = Timestamp::from_millis(0).expect("0");
        assert_eq!(epoch.to_string(), "1970-01-01T00:00:00.000Z");
        assert!(epoch.to_string() < t.to_string(), "compares as text");
        assert!("2025-12-02 04:34".parse::<Timestamp>().is_err());
        assert_eq!(t.time_china(), "12:34:56");
        let late = Timestamp::from_millis(1_764_707_696_000).expect("ms"); // 20:34:56 UTC
        assert_eq!(late.time_china(), "04:34:56");
        assert_eq!(late.date_china().to_string(), "2025-12-03");
    }

    #[test]
    fn china_date_is_utc_plus_eight() {
        // 2025-12-01T16:00:00Z is midnight of 12-02 in Beijing
        let t: Timestamp = "2025-12-01T16:00:00.000Z".parse().expect("t");
        assert_eq!(t.date_china().to_string(), "2025-12-02");
        let before = t.plus_millis(-1).expect("t");
        assert_eq!(before.date_china().to_string(), "2025-12-01");
        assert_eq!(FixedClock(t).today_china().to_string(), "2025-12-02");
    }
}
