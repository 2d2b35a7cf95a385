//! Instants. The core never reads a clock: every instant is passed in.

use sandoq_registry::Date;
use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Asia/Tehran is UTC+03:30 all year (daylight saving time ended in 1401/2022).
pub const TEHRAN_OFFSET_SECONDS: i64 = 3 * 3600 + 30 * 60;

impl Timestamp {
    /// The local date and time in Tehran: (date, hour, minute).
    pub fn tehran(self) -> (Date, u32, u32) {
        let local = self.0.saturating_add(TEHRAN_OFFSET_SECONDS);
        let day = local.div_euclid(86_400);
        let second_of_day = local.rem_euclid(86_400);
        (
            Date(day),
            (second_of_day / 3600) as u32,
            (second_of_day % 3600 / 60) as u32,
        )
    }

    /// The start of the Tehran clock hour holding this instant.
    pub fn tehran_hour_start(self) -> Timestamp {
        let local = self.0.saturating_add(TEHRAN_OFFSET_SECONDS);
        Timestamp(local - local.rem_euclid(3600) - TEHRAN_OFFSET_SECONDS)
    }

    /// A Tehran local date and time as an instant.
    pub fn from_tehran(date: Date, hour: u32, minute: u32) -> Timestamp {
        Timestamp(
            date.0 * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60
                - TEHRAN_OFFSET_SECONDS,
        )
    }
}

impl fmt::Display for Timestamp {
    /// Tehran local time, ISO-like: `2026-05-01 08:00 +03:30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, hour, minute) = self.tehran();
        write!(f, "{date} {hour:02}:{minute:02} +03:30")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tehran_local_time() {
        let polling_day = Date::from_jalali(1405, 2, 11).unwrap();
        let eight = Timestamp::from_tehran(polling_day, 8, 0);
        // 08:00 in Tehran is 04:30 UTC.
        assert_eq!(eight.0 % 86_400, 4 * 3600 + 30 * 60);
        assert_eq!(eight.tehran(), (polling_day, 8, 0));
        assert_eq!(Timestamp(eight.0 + 59 * 60 + 59).tehran_hour_start(), eight);
        assert_eq!(eight.to_string(), "2026-05-01 08:00 +03:30");
    }
}
