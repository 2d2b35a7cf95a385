//! Dates: the Gregorian and the Jalali (Solar Hijri, هجری شمسی) calendars.
//!
//! A [`Date`] is a day number (days since 1970-01-01), so that comparing and
//! counting days never depends on a calendar. Jalali years are leap by the
//! 33-year arithmetic rule (year mod 33 ∈ {1, 5, 9, 13, 17, 22, 26, 30}), which
//! agrees with the official astronomical calendar from 1210 to 1629 AP
//! (1831–2250 CE); dates outside that range are refused rather than guessed.
//! The anchor is 1 Farvardin 1403 = 20 March 2024.

use sandoq_i18n::{persian_digits, Lang};
use std::fmt;

/// A day, as the number of days since 1970-01-01 (negative before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i64);

/// The years the Jalali conversion is exact for.
pub const FIRST_JALALI_YEAR: i32 = 1210;
pub const LAST_JALALI_YEAR: i32 = 1629;

/// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
fn days_from_gregorian(year: i64, month: i64, day: i64) -> i64 {
    // Count from 1 March so that the leap day is the last day of the counted year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn gregorian_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn gregorian_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Whether a Jalali year has 366 days (Esfand 30).
pub fn jalali_leap(year: i32) -> bool {
    matches!(year.rem_euclid(33), 1 | 5 | 9 | 13 | 17 | 22 | 26 | 30)
}

/// Days in a Jalali month.
pub fn jalali_month_days(year: i32, month: u32) -> u32 {
    match month {
        1..=6 => 31,
        7..=11 => 30,
        12 if jalali_leap(year) => 30,
        _ => 29,
    }
}

fn jalali_year_days(year: i32) -> i64 {
    if jalali_leap(year) {
        366
    } else {
        365
    }
}

const ANCHOR_YEAR: i32 = 1403;

fn anchor() -> i64 {
    days_from_gregorian(2024, 3, 20)
}

/// Days of 1 Farvardin of `year`.
fn nowruz(year: i32) -> i64 {
    let mut days = anchor();
    if year >= ANCHOR_YEAR {
        for y in ANCHOR_YEAR..year {
            days += jalali_year_days(y);
        }
    } else {
        for y in year..ANCHOR_YEAR {
            days -= jalali_year_days(y);
        }
    }
    days
}

/// Why a date is refused. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    /// `date_format`, `date_invalid`, `date_out_of_range`.
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn date_error(code: &'static str, en: String, fa: String) -> DateError {
    DateError { code, en, fa }
}

/// Persian month names, Farvardin first.
pub const MONTHS_FA: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];
pub const MONTHS_EN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

impl Date {
    pub fn from_gregorian(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if gregorian_leap(i64::from(year)) => 29,
            2 => 28,
            _ => 0,
        };
        if day == 0 || day > days_in_month {
            return Err(date_error(
                "date_invalid",
                format!("{year:04}-{month:02}-{day:02} is not a Gregorian date"),
                format!("{year:04}-{month:02}-{day:02} تاریخ میلادی معتبری نیست"),
            ));
        }
        Ok(Date(days_from_gregorian(
            i64::from(year),
            i64::from(month),
            i64::from(day),
        )))
    }

    pub fn from_jalali(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(FIRST_JALALI_YEAR..=LAST_JALALI_YEAR).contains(&year) {
            return Err(date_error(
                "date_out_of_range",
                format!("Jalali year {year} is outside {FIRST_JALALI_YEAR}–{LAST_JALALI_YEAR}"),
                persian_digits(&format!(
                    "سال {year} خارج از بازهٔ {FIRST_JALALI_YEAR} تا {LAST_JALALI_YEAR} است"
                )),
            ));
        }
        if !(1..=12).contains(&month) || day == 0 || day > jalali_month_days(year, month) {
            return Err(date_error(
                "date_invalid",
                format!("{year:04}/{month:02}/{day:02} is not a Jalali date"),
                persian_digits(&format!(
                    "{year:04}/{month:02}/{day:02} تاریخ شمسی معتبری نیست"
                )),
            ));
        }
        let before_month: u32 = (1..month).map(|m| jalali_month_days(year, m)).sum();
        Ok(Date(
            nowruz(year) + i64::from(before_month) + i64::from(day) - 1,
        ))
    }

    pub fn gregorian(self) -> (i32, u32, u32) {
        let (y, m, d) = gregorian_from_days(self.0);
        (y as i32, m as u32, d as u32)
    }

    /// (year, month, day) in the Jalali calendar, or `None` outside the supported years.
    pub fn jalali(self) -> Option<(i32, u32, u32)> {
        let (gregorian_year, _, _) = self.gregorian();
        let mut year = gregorian_year - 621;
        if self.0 < nowruz(year) {
            year -= 1;
        }
        if !(FIRST_JALALI_YEAR..=LAST_JALALI_YEAR).contains(&year) {
            return None;
        }
        let mut left = (self.0 - nowruz(year)) as u32;
        let mut month = 1;
        while left >= jalali_month_days(year, month) {
            left -= jalali_month_days(year, month);
            month += 1;
        }
        Some((year, month, left + 1))
    }

    /// Parses `YYYY-MM-DD` (Gregorian) or `YYYY/MM/DD` (Jalali), in any digits.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let ascii = sandoq_i18n::ascii_digits(text.trim());
        let (separator, jalali) = if ascii.contains('/') {
            ('/', true)
        } else {
            ('-', false)
        };
        let parts: Vec<&str> = ascii.split(separator).collect();
        let numbers: Option<Vec<u32>> = parts
            .iter()
            .map(|p| {
                if p.is_empty() || p.len() > 4 {
                    None
                } else {
                    p.parse().ok()
                }
            })
            .collect();
        match (parts.len(), numbers) {
            (3, Some(n)) if parts[0].len() == 4 => {
                if jalali {
                    Date::from_jalali(n[0] as i32, n[1], n[2])
                } else if !(1800..=2300).contains(&n[0]) {
                    // A Gregorian year like 1405 is almost surely a Jalali date typed with dashes.
                    Err(date_error(
                        "date_out_of_range",
                        format!("Gregorian year {} is outside 1800–2300 (a Jalali date is written YYYY/MM/DD)", n[0]),
                        format!("سال میلادی {} خارج از ۱۸۰۰ تا ۲۳۰۰ است (تاریخ شمسی به شکل YYYY/MM/DD نوشته می‌شود)", n[0]),
                    ))
                } else {
                    Date::from_gregorian(n[0] as i32, n[1], n[2])
                }
            }
            _ => Err(date_error(
                "date_format",
                format!("{text:?} is not a date (YYYY-MM-DD Gregorian or YYYY/MM/DD Jalali)"),
                format!("{text:?} تاریخ نیست (YYYY-MM-DD میلادی یا YYYY/MM/DD شمسی)"),
            )),
        }
    }

    /// `1405/02/11` (Jalali, numeric), Persian digits in Persian.
    pub fn jalali_numeric(self, lang: Lang) -> String {
        match self.jalali() {
            Some((y, m, d)) => sandoq_i18n::localise(&format!("{y:04}/{m:02}/{d:02}"), lang),
            None => self.to_string(),
        }
    }

    /// `۱۱ اردیبهشت ۱۴۰۵` in Persian, `11 Ordibehesht 1405` in English.
    pub fn jalali_long(self, lang: Lang) -> String {
        match (self.jalali(), lang) {
            (Some((y, m, d)), Lang::Fa) => {
                persian_digits(&format!("{d} {} {y}", MONTHS_FA[m as usize - 1]))
            }
            (Some((y, m, d)), Lang::En) => format!("{d} {} {y}", MONTHS_EN[m as usize - 1]),
            (None, _) => self.to_string(),
        }
    }

    /// The date `years` Jalali years later on the same month and day; Esfand 30
    /// (leap years only) falls on 1 Farvardin of the next year when the later year has no Esfand 30.
    pub fn add_jalali_years(self, years: i32) -> Option<Date> {
        let (y, m, d) = self.jalali()?;
        let target = y + years;
        if m == 12 && d == 30 && !jalali_leap(target) {
            return Date::from_jalali(target + 1, 1, 1).ok();
        }
        Date::from_jalali(target, m, d).ok()
    }
}

impl fmt::Display for Date {
    /// ISO 8601 Gregorian: `2026-05-01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.gregorian();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(y: i32, m: u32, d: u32) -> Date {
        Date::from_gregorian(y, m, d).unwrap()
    }

    #[test]
    fn gregorian_day_numbers() {
        assert_eq!(g(1970, 1, 1), Date(0));
        assert_eq!(g(2000, 3, 1).0 - g(2000, 2, 28).0, 2);
        assert_eq!(g(1900, 3, 1).0 - g(1900, 2, 28).0, 1);
        assert_eq!(g(2026, 11, 25).gregorian(), (2026, 11, 25));
        assert!(Date::from_gregorian(2023, 2, 29).is_err());
    }

    #[test]
    fn known_jalali_dates() {
        // Nowruz of recent years, as officially observed.
        for (jy, gy, gd) in [
            (1399, 2020, 20),
            (1400, 2021, 21),
            (1401, 2022, 21),
            (1402, 2023, 21),
            (1403, 2024, 20),
            (1404, 2025, 21),
            (1405, 2026, 21),
        ] {
            assert_eq!(
                Date::from_jalali(jy, 1, 1).unwrap(),
                g(gy, 3, gd),
                "Nowruz {jy}"
            );
        }
        // 22 Bahman 1357 = 11 February 1979; polling day of the 7th council election.
        assert_eq!(Date::from_jalali(1357, 11, 22).unwrap(), g(1979, 2, 11));
        assert_eq!(Date::from_jalali(1405, 2, 11).unwrap(), g(2026, 5, 1));
        // Esfand 30 exists in 1403 (leap), not in 1404.
        assert_eq!(Date::from_jalali(1403, 12, 30).unwrap(), g(2025, 3, 20));
        assert_eq!(
            Date::from_jalali(1404, 12, 30).unwrap_err().code,
            "date_invalid"
        );
        assert_eq!(g(2026, 11, 25).jalali(), Some((1405, 9, 4)));
    }

    #[test]
    fn every_day_round_trips() {
        let start = Date::from_jalali(1300, 1, 1).unwrap().0;
        let end = Date::from_jalali(1500, 12, 29).unwrap().0;
        let mut expected = (1300, 1, 1);
        for day in start..=end {
            let date = Date(day);
            let (y, m, d) = date.jalali().unwrap();
            assert_eq!((y, m, d), expected, "{date}");
            assert_eq!(Date::from_jalali(y, m, d).unwrap(), date);
            expected = if d < jalali_month_days(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn parsing_and_display() {
        assert_eq!(Date::parse("1405/02/11").unwrap(), g(2026, 5, 1));
        assert_eq!(Date::parse("۱۴۰۵/۰۲/۱۱").unwrap(), g(2026, 5, 1));
        assert_eq!(Date::parse("2026-05-01").unwrap(), g(2026, 5, 1));
        assert_eq!(
            Date::parse("1405-02-11").unwrap_err().code,
            "date_out_of_range"
        );
        assert_eq!(Date::parse("2026-02-30").unwrap_err().code, "date_invalid");
        assert_eq!(Date::parse("yesterday").unwrap_err().code, "date_format");
        assert_eq!(
            Date::parse("0999/01/01").unwrap_err().code,
            "date_out_of_range"
        );
        let polling = g(2026, 5, 1);
        assert_eq!(polling.jalali_long(Lang::Fa), "۱۱ اردیبهشت ۱۴۰۵");
        assert_eq!(polling.jalali_long(Lang::En), "11 Ordibehesht 1405");
        assert_eq!(polling.jalali_numeric(Lang::Fa), "۱۴۰۵/۰۲/۱۱");
        assert_eq!(polling.to_string(), "2026-05-01");
    }
}
