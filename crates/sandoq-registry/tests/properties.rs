//! Invariants of the registry rules (proptest).

use proptest::prelude::*;
use sandoq_registry::jalali::{Date, FIRST_JALALI_YEAR, LAST_JALALI_YEAR};
use sandoq_registry::national_code::check_digit;
use sandoq_registry::NationalCode;

proptest! {
    /// Exactly one check digit makes nine digits a valid code.
    #[test]
    fn exactly_one_check_digit_is_valid(first in prop::array::uniform9(0u8..10)) {
        prop_assume!(first.iter().any(|&d| d != first[0]));
        let valid: Vec<u8> = (0..10u8)
            .filter(|&c| {
                let text: String = first.iter().chain(std::iter::once(&c)).map(|d| char::from(b'0' + d)).collect();
                NationalCode::parse(&text).is_ok()
            })
            .collect();
        prop_assert_eq!(valid, vec![check_digit(&first)]);
    }

    /// Parsing never panics, whatever the text.
    #[test]
    fn parsing_never_panics(text in ".{0,30}") {
        let _ = NationalCode::parse(&text);
        let _ = Date::parse(&text);
    }

    /// Gregorian and Jalali conversions invert each other over the supported range.
    #[test]
    fn calendars_round_trip(offset in 0i64..150_000) {
        let first = Date::from_jalali(FIRST_JALALI_YEAR, 1, 1).unwrap().0;
        let last = Date::from_jalali(LAST_JALALI_YEAR, 12, 29).unwrap().0;
        let date = Date(first + offset % (last - first));
        let (y, m, d) = date.jalali().unwrap();
        prop_assert_eq!(Date::from_jalali(y, m, d).unwrap(), date);
        let (gy, gm, gd) = date.gregorian();
        prop_assert_eq!(Date::from_gregorian(gy, gm, gd).unwrap(), date);
    }
}
