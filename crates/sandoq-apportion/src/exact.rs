//! Exact numbers: rationals, parsed from and shown as decimals without ever
//! passing through floating point.

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

pub type Ratio = BigRational;

/// An integer as an exact rational.
pub fn int(value: impl Into<BigInt>) -> Ratio {
    Ratio::from_integer(value.into())
}

/// `numerator / denominator`; `denominator` must not be zero.
pub fn frac(numerator: impl Into<BigInt>, denominator: impl Into<BigInt>) -> Ratio {
    Ratio::new(numerator.into(), denominator.into())
}

/// Parses a decimal literal exactly: `5`, `-2`, `3.25`, `.5`, `1.4e0`, `25E-1`.
/// Returns `None` for anything else (and for exponents beyond ±1000, which no
/// election needs and which would only make huge numbers).
pub fn parse_decimal(text: &str) -> Option<Ratio> {
    let text = text.trim();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    if !(-1000..=1000).contains(&exponent) {
        return None;
    }
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (mantissa, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole
        .chars()
        .chain(fraction.chars())
        .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    let mut numerator: BigInt = digits.parse().ok()?;
    if negative {
        numerator = -numerator;
    }
    let scale = i64::from(exponent) - fraction.len() as i64;
    let ten = BigInt::from(10u8);
    let value = if scale >= 0 {
        Ratio::from_integer(numerator * num_traits::pow(ten, scale as usize))
    } else {
        Ratio::new(numerator, num_traits::pow(ten, (-scale) as usize))
    };
    Some(value)
}

/// `"a/b"`, or `"a"` when the denominator is one.
pub fn fraction_string(value: &Ratio) -> String {
    if value.denom().is_one() {
        value.numer().to_string()
    } else {
        format!("{}/{}", value.numer(), value.denom())
    }
}

/// A decimal rendering rounded half away from zero to `places` places, e.g.
/// `650/195` with 4 places → `3.3333`. Exact: integer arithmetic only.
pub fn decimal_string(value: &Ratio, places: usize) -> String {
    let scale: BigInt = num_traits::pow(BigInt::from(10u8), places);
    let scaled = value.abs() * Ratio::from_integer(scale.clone());
    let (quotient, remainder) = scaled.numer().div_rem(scaled.denom());
    let rounded = if remainder * 2u8 >= *scaled.denom() {
        quotient + 1u8
    } else {
        quotient
    };
    let (whole, fraction) = rounded.div_rem(&scale);
    let sign = if value.numer().sign() == Sign::Minus && !(whole.is_zero() && fraction.is_zero()) {
        "-"
    } else {
        ""
    };
    if places == 0 {
        format!("{sign}{whole}")
    } else {
        format!(
            "{sign}{whole}.{:0>width$}",
            fraction.to_string(),
            width = places
        )
    }
}

/// The whole part (floor) of a non-negative rational, as `u64` when it fits.
pub fn floor_u64(value: &Ratio) -> Option<u64> {
    let floor = value.floor().to_integer();
    u64::try_from(floor).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(parse_decimal("1.4"), Some(frac(7, 5)));
        assert_eq!(parse_decimal("3.25"), Some(frac(13, 4)));
        assert_eq!(parse_decimal("5"), Some(int(5)));
        assert_eq!(parse_decimal(".5"), Some(frac(1, 2)));
        assert_eq!(parse_decimal("-0.1"), Some(frac(-1, 10)));
        assert_eq!(parse_decimal("25E-1"), Some(frac(5, 2)));
        assert_eq!(parse_decimal("1e2"), Some(int(100)));
        for bad in [
            "", ".", "1.2.3", "abc", "1e", "1e99999", "0x10", "--1", "1,5",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn renders_fractions_and_decimals() {
        assert_eq!(fraction_string(&frac(650, 195)), "10/3");
        assert_eq!(fraction_string(&int(3)), "3");
        assert_eq!(decimal_string(&frac(650, 195), 4), "3.3333");
        assert_eq!(decimal_string(&frac(2, 3), 2), "0.67");
        assert_eq!(decimal_string(&frac(1, 2), 0), "1");
        assert_eq!(decimal_string(&frac(-1, 3), 3), "-0.333");
        assert_eq!(decimal_string(&int(7), 2), "7.00");
    }
}
