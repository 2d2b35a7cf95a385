//! Input errors: a stable code, a place, and a message in Persian and English.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Stable, e.g. `invalid_json`, `wrong_type`, `unknown_code`.
    pub code: &'static str,
    /// Where: a JSON path (`ballots[3].list`) or a line (`line 12`).
    pub at: Option<String>,
    pub en: String,
    pub fa: String,
    /// Every problem found, when several are reported at once (the first is this one).
    pub details: Vec<InputError>,
}

impl InputError {
    pub fn new(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> Self {
        InputError {
            code,
            at: None,
            en: en.into(),
            fa: fa.into(),
            details: Vec::new(),
        }
    }

    pub fn at(mut self, place: impl Into<String>) -> Self {
        if self.at.is_none() {
            self.at = Some(place.into());
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "[{}] {}: {}", self.code, at, self.en),
            None => write!(f, "[{}] {}", self.code, self.en),
        }
    }
}

impl std::error::Error for InputError {}
