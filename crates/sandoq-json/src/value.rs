//! Strict reading of a JSON document: duplicate keys are an error (serde_json
//! would silently keep the last one, and a party or option named twice must not
//! pass unnoticed), and typed getters that say where and what is wrong.

use crate::error::InputError;
use sandoq_apportion::exact::{parse_decimal, Ratio};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;

/// Parses bytes as JSON, refusing duplicate keys anywhere.
pub fn parse_document(bytes: &[u8]) -> Result<Value, InputError> {
    // A UTF-8 byte-order mark, as some editors write, is not part of the document.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        InputError::new(
            "invalid_utf8",
            format!("the input is not UTF-8 (byte {})", e.valid_up_to()),
            format!("ورودی UTF-8 نیست (بایت {})", e.valid_up_to()),
        )
    })?;
    serde_json::from_str::<DuplicateCheck>(text).map_err(json_error)?;
    serde_json::from_str::<Value>(text).map_err(json_error)
}

fn json_error(error: serde_json::Error) -> InputError {
    let place = format!("line {}, column {}", error.line(), error.column());
    let message = error.to_string();
    if let Some(key) = message.strip_prefix("duplicate key ") {
        let key = key.split(" at line").next().unwrap_or(key).to_string();
        return InputError::new(
            "duplicate_key",
            format!("the key {key} appears twice in one object"),
            format!("کلید {key} در یک شیء دو بار آمده است"),
        )
        .at(place);
    }
    InputError::new(
        "invalid_json",
        format!("not valid JSON: {message}"),
        format!("JSON معتبر نیست: {message}"),
    )
    .at(place)
}

/// Walks a document only to refuse duplicate keys.
struct DuplicateCheck;

impl<'de> Deserialize<'de> for DuplicateCheck {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DuplicateVisitor)
    }
}

struct DuplicateVisitor;

impl<'de> Visitor<'de> for DuplicateVisitor {
    type Value = DuplicateCheck;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<DuplicateCheck, E> {
        Ok(DuplicateCheck)
    }
    fn visit_i64<E>(self, _: i64) -> Result<DuplicateCheck, E> {
        Ok(DuplicateCheck)
    }
    fn visit_u64<E>(self, _: u64) -> Result<DuplicateCheck, E> {
        Ok(DuplicateCheck)
    }
    fn visit_f64<E>(self, _: f64) -> Result<DuplicateCheck, E> {
        Ok(DuplicateCheck)
    }
    fn visit_str<E>(self, _: &str) -> Result<DuplicateCheck, E> {
        Ok(DuplicateCheck)
    }
    fn visit_unit<E>(self) -> Result<DuplicateCheck, E> {
        Ok(DuplicateCheck)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DuplicateCheck, A::Error> {
        while seq.next_element::<DuplicateCheck>()?.is_some() {}
        Ok(DuplicateCheck)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DuplicateCheck, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key \"{key}\"")));
            }
            map.next_value::<DuplicateCheck>()?;
        }
        Ok(DuplicateCheck)
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn wrong_type(path: &str, expected: &str, value: &Value) -> InputError {
    InputError::new(
        "wrong_type",
        format!("{path} must be {expected}, not {}", type_name(value)),
        format!("{path} باید {expected} باشد، نه {}", type_name(value)),
    )
    .at(path)
}

pub fn object<'v>(value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, InputError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(path, "an object", value))
}

pub fn array<'v>(value: &'v Value, path: &str) -> Result<&'v Vec<Value>, InputError> {
    value
        .as_array()
        .ok_or_else(|| wrong_type(path, "an array", value))
}

pub fn string<'v>(value: &'v Value, path: &str) -> Result<&'v str, InputError> {
    value
        .as_str()
        .ok_or_else(|| wrong_type(path, "a string", value))
}

pub fn boolean(value: &Value, path: &str) -> Result<bool, InputError> {
    value
        .as_bool()
        .ok_or_else(|| wrong_type(path, "true or false", value))
}

/// A whole number ≥ 0 that fits 64 bits.
pub fn count(value: &Value, path: &str) -> Result<u64, InputError> {
    let Value::Number(number) = value else {
        return Err(wrong_type(path, "a whole number", value));
    };
    let text = number.to_string();
    if text.starts_with('-') {
        return Err(InputError::new(
            "negative_number",
            format!("{path} must not be negative ({text})"),
            format!("{path} نباید منفی باشد ({text})"),
        )
        .at(path));
    }
    text.parse::<u64>().map_err(|_| {
        let too_big = text.chars().all(|c| c.is_ascii_digit());
        if too_big {
            InputError::new(
                "number_too_large",
                format!("{path} is too large ({text})"),
                format!("{path} بیش از حد بزرگ است ({text})"),
            )
            .at(path)
        } else {
            InputError::new(
                "not_an_integer",
                format!("{path} must be a whole number ({text})"),
                format!("{path} باید عدد صحیح باشد ({text})"),
            )
            .at(path)
        }
    })
}

/// A whole number that fits 32 bits.
pub fn count32(value: &Value, path: &str) -> Result<u32, InputError> {
    let n = count(value, path)?;
    u32::try_from(n).map_err(|_| {
        InputError::new(
            "number_too_large",
            format!("{path} is too large ({n})"),
            format!("{path} بیش از حد بزرگ است ({n})"),
        )
        .at(path)
    })
}

/// An exact decimal (a JSON number or a string such as "3.25"); never a float.
pub fn decimal(value: &Value, path: &str) -> Result<Ratio, InputError> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.clone(),
        other => return Err(wrong_type(path, "a number", other)),
    };
    parse_decimal(&text).ok_or_else(|| {
        InputError::new(
            "not_a_number",
            format!("{path} is not a decimal number ({text})"),
            format!("{path} عدد اعشاری نیست ({text})"),
        )
        .at(path)
    })
}

/// Refuses keys other than `allowed`, so that a misspelt option is never silently ignored.
pub fn only_keys(map: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), InputError> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let place = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            return Err(InputError::new(
                "unknown_field",
                format!(
                    "unknown field \"{key}\" (expected one of: {})",
                    allowed.join(", ")
                ),
                format!(
                    "فیلد ناشناخته «{key}» (فیلدهای مجاز: {})",
                    allowed.join("، ")
                ),
            )
            .at(place));
        }
    }
    Ok(())
}

pub fn required<'v>(
    map: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'v Value, InputError> {
    map.get(key).ok_or_else(|| {
        let place = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        InputError::new(
            "missing_field",
            format!("the field \"{key}\" is required"),
            format!("فیلد «{key}» لازم است"),
        )
        .at(place)
    })
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
