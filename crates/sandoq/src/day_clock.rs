//! The clock of a training day that `sandoq demo` and `sandoq simulate` run: whatever the hour the
//! command starts, its day starts at the opening of polling hours on the election's polling day
//! (Tehran time) and runs at the machine's speed from there. The desks stop checking voters in at
//! the closing time (`polling_hours_over`), so a training day started at night on the machine's
//! own clock would take nobody; live elections (`sandoq central serve`, `sandoq station`) always
//! run on the machine's clock.

use sandoq_registry::Date;
use sandoq_store::{PollingHours, Timestamp};
use std::sync::Arc;

/// The machine's clock, in seconds since 1970.
pub fn machine_now() -> i64 {
    (sandoq_central::http::system_clock())().0
}

/// Seconds to add to the machine's clock so that, now, it is the opening time on `polling_day`.
pub fn offset(polling_day: Date, hours: PollingHours) -> i64 {
    let opens = Timestamp::from_tehran(
        polling_day,
        u32::from(hours.opens / 60),
        u32::from(hours.opens % 60),
    );
    opens.0 - machine_now()
}

/// The centre's clock, `offset` seconds from the machine's.
pub fn centre(offset: i64) -> sandoq_central::http::Clock {
    let machine = sandoq_central::http::system_clock();
    Arc::new(move || Timestamp(machine().0.saturating_add(offset)))
}

/// A station agent's clock, `offset` seconds from the machine's.
pub fn station(offset: i64) -> sandoq_station_agent::Clock {
    let machine = sandoq_station_agent::system_clock();
    Arc::new(move || machine().saturating_add(offset))
}
