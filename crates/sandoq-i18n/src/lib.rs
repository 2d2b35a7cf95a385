//! Persian-first text helpers shared by every crate that talks to people.
//!
//! Invariants: pure functions, no I/O, no allocation beyond the returned string.
//! Persian text uses Persian digits (۰–۹), the Arabic thousands separator `٬`
//! (U+066C) and the Arabic decimal separator `٫` (U+066B).

use std::fmt;

/// A language sandoq speaks. Persian is always first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Fa,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }
}

/// A message said in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bilingual {
    pub fa: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(fa: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            fa: fa.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fa => &self.fa,
            Lang::En => &self.en,
        }
    }
}

/// Replaces ASCII digits with Persian digits, and `.`/`,` between digits with
/// the Persian decimal and thousands separators. Everything else is kept.
pub fn persian_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_ascii_digit()
            && chars[i + 1].is_ascii_digit();
        match c {
            '0'..='9' => {
                out.push(char::from_u32('۰' as u32 + (c as u32 - '0' as u32)).unwrap_or(c))
            }
            '.' if between_digits => out.push('٫'),
            ',' if between_digits => out.push('٬'),
            _ => out.push(c),
        }
    }
    out
}

/// Maps Persian (۰–۹) and Arabic-Indic (٠–٩) digits to ASCII digits, so that a
/// code typed or transcribed in any of the three digit sets means the same code.
pub fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '۰'..='۹' => char::from_u32('0' as u32 + (c as u32 - '۰' as u32)).unwrap_or(c),
            '٠'..='٩' => char::from_u32('0' as u32 + (c as u32 - '٠' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A code as shown in `lang`: all-digit codes in Persian digits in Persian;
/// codes holding letters stay as they are, so that `a2` never becomes `a۲`.
pub fn code(code: &str, lang: Lang) -> String {
    match lang {
        Lang::Fa if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) => {
            persian_digits(code)
        }
        _ => code.to_string(),
    }
}

/// Groups the digits of a whole number by thousands: `1234567` → `1,234,567`.
pub fn group_thousands(number: impl fmt::Display) -> String {
    let digits = number.to_string();
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest.to_string()),
        None => ("", digits),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A whole number as a person reads it in `lang`: grouped, with Persian digits in Persian.
pub fn number(number: impl fmt::Display, lang: Lang) -> String {
    let grouped = group_thousands(number);
    match lang {
        Lang::Fa => persian_digits(&grouped),
        Lang::En => grouped,
    }
}

/// Any text holding numbers, localised: Persian digits in Persian, unchanged in English.
pub fn localise(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Fa => persian_digits(text),
        Lang::En => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_digits_and_separators() {
        assert_eq!(persian_digits("1,234.56 seats"), "۱٬۲۳۴٫۵۶ seats");
        assert_eq!(persian_digits("a.b, 3."), "a.b, ۳.");
        assert_eq!(number(7_000_000u64, Lang::Fa), "۷٬۰۰۰٬۰۰۰");
        assert_eq!(number(21u32, Lang::En), "21");
    }

    #[test]
    fn digits_round_trip_to_ascii() {
        assert_eq!(ascii_digits("۱۰۱"), "101");
        assert_eq!(ascii_digits("٢٠٠٥"), "2005");
        assert_eq!(ascii_digits(&persian_digits("9001")), "9001");
    }

    #[test]
    fn thousands_grouping() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(-1234567), "-1,234,567");
    }
}
