//! The Iranian national code (کد ملی): ten digits, the last a check digit.
//!
//! With d1..d9 the first nine digits, s = Σ dᵢ·(11 − i) for i = 1..9 and
//! r = s mod 11, the check digit is r when r < 2 and 11 − r otherwise. Codes
//! of one repeated digit (0000000000, 1111111111, ...) pass that test but are
//! never issued, and are refused.

use sandoq_i18n::ascii_digits;
use std::fmt;

/// A national code whose form and check digit are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NationalCode([u8; 10]);

/// Why a national code is refused. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalCodeError {
    /// `national_code_length`, `national_code_digits`, `national_code_repeated`, `national_code_check_digit`.
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn refuse(code: &'static str, en: String, fa: String) -> NationalCodeError {
    NationalCodeError { code, en, fa }
}

/// The check digit for the first nine digits.
pub fn check_digit(first_nine: &[u8; 9]) -> u8 {
    let sum: u32 = first_nine
        .iter()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * (10 - i as u32))
        .sum();
    let r = (sum % 11) as u8;
    if r < 2 {
        r
    } else {
        11 - r
    }
}

impl NationalCode {
    /// Parses a code as typed: Persian or Arabic-Indic digits are accepted, and so are
    /// dashes and spaces between digits (`001-234567-9`); anything else is refused.
    pub fn parse(text: &str) -> Result<NationalCode, NationalCodeError> {
        let ascii = ascii_digits(text.trim());
        let digits: Vec<u8> = ascii.bytes().filter(|b| *b != b'-' && *b != b' ').collect();
        if let Some(&bad) = digits.iter().find(|b| !b.is_ascii_digit()) {
            return Err(refuse(
                "national_code_digits",
                format!(
                    "a national code holds digits only (found {:?})",
                    bad as char
                ),
                format!("کد ملی فقط رقم دارد (نویسهٔ {:?} آمده است)", bad as char),
            ));
        }
        if digits.len() != 10 {
            return Err(refuse(
                "national_code_length",
                format!("a national code has 10 digits, not {}", digits.len()),
                format!(
                    "کد ملی ۱۰ رقم دارد، نه {}",
                    sandoq_i18n::number(digits.len(), sandoq_i18n::Lang::Fa)
                ),
            ));
        }
        let mut code = [0u8; 10];
        for (slot, b) in code.iter_mut().zip(&digits) {
            *slot = b - b'0';
        }
        if code.iter().all(|&d| d == code[0]) {
            return Err(refuse(
                "national_code_repeated",
                "a national code of one repeated digit is never issued".into(),
                "کد ملی با یک رقم تکراری هرگز صادر نمی‌شود".into(),
            ));
        }
        let mut first_nine = [0u8; 9];
        first_nine.copy_from_slice(&code[..9]);
        if check_digit(&first_nine) != code[9] {
            return Err(refuse(
                "national_code_check_digit",
                "the check digit of this national code is wrong (a digit was probably mistyped)"
                    .into(),
                "رقم کنترل این کد ملی نادرست است (احتمالاً رقمی اشتباه وارد شده است)".into(),
            ));
        }
        Ok(NationalCode(code))
    }

    /// Builds a valid code from nine digits by adding their check digit.
    /// Returns `None` for a repeated digit (never issued).
    pub fn from_first_nine(first_nine: [u8; 9]) -> Option<NationalCode> {
        if first_nine.iter().any(|&d| d > 9) {
            return None;
        }
        let mut code = [0u8; 10];
        code[..9].copy_from_slice(&first_nine);
        code[9] = check_digit(&first_nine);
        if code.iter().all(|&d| d == code[0]) {
            return None;
        }
        Some(NationalCode(code))
    }

    /// The ten digits as a number (leading zeros are part of the code, so keep the string for display).
    pub fn as_u64(&self) -> u64 {
        self.0.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d))
    }

    pub fn from_u64(value: u64) -> Option<NationalCode> {
        if value >= 10_000_000_000 {
            return None;
        }
        NationalCode::parse(&format!("{value:010}")).ok()
    }
}

impl fmt::Display for NationalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.0 {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_by_hand() {
        // 001234567?: s = 0·10 + 0·9 + 1·8 + 2·7 + 3·6 + 4·5 + 5·4 + 6·3 + 7·2 = 112; 112 mod 11 = 2 → 11 − 2 = 9.
        assert_eq!(check_digit(&[0, 0, 1, 2, 3, 4, 5, 6, 7]), 9);
        assert!(NationalCode::parse("0012345679").is_ok());
        // 123456789?: s = 10+18+24+28+30+30+28+24+18 = 210; 210 mod 11 = 1 → 1.
        assert_eq!(check_digit(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), 1);
        assert!(NationalCode::parse("1234567891").is_ok());
    }

    #[test]
    fn refusals_have_stable_codes() {
        let code = |t: &str| NationalCode::parse(t).unwrap_err().code;
        assert_eq!(code("0012345678"), "national_code_check_digit");
        assert_eq!(code("001234567"), "national_code_length");
        assert_eq!(code("00123456790"), "national_code_length");
        assert_eq!(code("00123a5679"), "national_code_digits");
        assert_eq!(code("1111111111"), "national_code_repeated");
        assert_eq!(code(""), "national_code_length");
    }

    #[test]
    fn typed_forms_are_accepted() {
        let expected = NationalCode::parse("0012345679").unwrap();
        assert_eq!(NationalCode::parse("۰۰۱۲۳۴۵۶۷۹").unwrap(), expected);
        assert_eq!(NationalCode::parse(" 001-234567-9 ").unwrap(), expected);
        assert_eq!(expected.to_string(), "0012345679");
        assert_eq!(NationalCode::from_u64(expected.as_u64()), Some(expected));
    }
}
