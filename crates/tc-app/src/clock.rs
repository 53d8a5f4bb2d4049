//! The system clock: the one place Tongchou reads the time of day. Edges (the CLI, the web
//! service) create a [`SystemClock`] and hand "now" down; use cases and the store take a
//! [`tongchou_core::Clock`] or a [`tongchou_core::Timestamp`], so tests pass a fixed one.

use tongchou_core::{Clock, Timestamp};

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        // a system clock beyond year 9999 is not a time anyone runs a pension fund at
        Timestamp::from_millis(ms).unwrap_or_else(|_| {
            Timestamp::from_millis(0).unwrap_or_else(|_| unreachable!("the epoch is in range"))
        })
    }
}

/// Now (what the step records take).
pub fn now() -> Timestamp {
    SystemClock.now()
}

/// Now, in milliseconds since the Unix epoch (what the access and audit functions take).
pub fn now_ms() -> i64 {
    SystemClock.now().as_millis()
}

/// China's date (UTC+8) of an instant in milliseconds since the Unix epoch.
pub fn china_date(now_ms: i64) -> tongchou_core::Date {
    tongchou_core::Date::from_days_since_epoch((now_ms + 8 * 3_600_000).div_euclid(86_400_000))
}

/// Today's date in China.
pub fn today_china() -> tongchou_core::Date {
    SystemClock.today_china()
}
