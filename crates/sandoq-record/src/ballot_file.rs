//! A station's ballot file, `restricted/ballots/{station}.json`: one reader and one canonical
//! writer, shared by [`crate::write`] and `verify` so that what verify requires byte for byte is
//! what the writer makes.
//!
//! The file is a JSON array of `{"id", "content", "signature"}` objects in that key order, sorted
//! by id, strictly increasing (the order of the file must never be the order of casting), in
//! `serde_json`'s pretty form with a final newline (`crate::canonical` of the same list gives the
//! same bytes; a test checks it). At Tehran's scale verify reads 3,500,000 records, so the
//! reader fills [`BallotRecord`]s straight from the text (strings borrowed where they hold no
//! escape) and the writer writes straight into a buffer the caller reuses, with no tree of JSON
//! values in between.

use sandoq_station::merkle::{hex_into, unhex};
use sandoq_station::BallotRecord;
use std::borrow::Cow;

/// One record as the file spells it. Serde refuses a key given twice (`duplicate field`) and
/// any other key.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    content: Cow<'a, str>,
    #[serde(borrow)]
    signature: Cow<'a, str>,
}

/// Why a ballot file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// A record names a key twice (serde_json alone would keep the last one silently).
    DuplicateKey(String),
    /// Not a list of `{id, content, signature}` with a 32-digit hex id and a 128-digit hex
    /// signature.
    Malformed(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::DuplicateKey(why) => write!(f, "a record names a key twice ({why})"),
            ReadError::Malformed(why) => f.write_str(why),
        }
    }
}

/// Reads a ballot file (or the list a station sends, which has the same shape in compact form).
pub fn read(bytes: &[u8]) -> Result<Vec<BallotRecord>, ReadError> {
    let entries: Vec<Entry<'_>> = serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        if message.starts_with("duplicate field") {
            ReadError::DuplicateKey(message)
        } else {
            ReadError::Malformed(message)
        }
    })?;
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let id = unhex::<16>(&entry.id);
            let signature = unhex::<64>(&entry.signature);
            match (id, signature) {
                (Some(id), Some(signature)) => Ok(BallotRecord {
                    id,
                    content: entry.content.into_owned(),
                    signature,
                }),
                _ => Err(ReadError::Malformed(format!(
                    "record {i}: the id is not 32 hex digits or the signature not 128"
                ))),
            }
        })
        .collect()
}

/// Whether the records are sorted by id, no id twice.
pub fn strictly_sorted(records: &[BallotRecord]) -> bool {
    records.windows(2).all(|pair| pair[0].id < pair[1].id)
}

/// The canonical text of a ballot file holding `records` (in the order given), into `out`
/// (cleared first).
pub fn write_canonical(records: &[BallotRecord], out: &mut Vec<u8>) {
    out.clear();
    if records.is_empty() {
        out.extend_from_slice(b"[]\n");
        return;
    }
    out.extend_from_slice(b"[\n");
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(b"  {\n    \"id\": \"");
        hex_into(out, &record.id);
        out.extend_from_slice(b"\",\n    \"content\": ");
        // serde_json's own escaping of a string; writing into a vector cannot fail.
        let _ = serde_json::to_writer(&mut *out, &record.content);
        out.extend_from_slice(b",\n    \"signature\": \"");
        hex_into(out, &record.signature);
        out.extend_from_slice(b"\"\n  }");
    }
    out.extend_from_slice(b"\n]\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandoq_station::merkle::hex;
    use serde_json::{json, Value};

    fn record(n: u8, content: &str) -> BallotRecord {
        BallotRecord {
            id: [n; 16],
            content: content.to_string(),
            signature: [n ^ 0xa5; 64],
        }
    }

    #[test]
    fn the_streamed_canonical_text_is_serde_json_s_pretty_text() {
        let contents = [
            r#"{"list":"101"}"#,
            r#"{"candidates":["10101","9001"]}"#,
            r#"{"blank":true}"#,
            "\\ \u{7} \t \n «فهرست» \u{2028} \u{7f}",
        ];
        for n in 0..=contents.len() {
            let records: Vec<BallotRecord> = contents[..n]
                .iter()
                .enumerate()
                .map(|(i, c)| record(i as u8, c))
                .collect();
            let list: Vec<Value> = records
                .iter()
                .map(|r| json!({"id": hex(&r.id), "content": r.content, "signature": hex(&r.signature)}))
                .collect();
            let mut out = vec![b'x'];
            write_canonical(&records, &mut out);
            assert_eq!(
                String::from_utf8(out.clone()).unwrap(),
                crate::canonical(&Value::Array(list)),
                "{n} records"
            );
            assert_eq!(read(&out).unwrap(), records);
        }
    }

    #[test]
    fn a_key_twice_or_a_stranger_key_is_refused() {
        let id = "00".repeat(16);
        let signature = "11".repeat(64);
        let twice = format!(
            r#"[{{"id": "{id}", "content": "a", "content": "b", "signature": "{signature}"}}]"#
        );
        assert!(matches!(
            read(twice.as_bytes()),
            Err(ReadError::DuplicateKey(_))
        ));
        let stranger = format!(
            r#"[{{"id": "{id}", "content": "a", "signature": "{signature}", "voter": "x"}}]"#
        );
        assert!(matches!(
            read(stranger.as_bytes()),
            Err(ReadError::Malformed(_))
        ));
        let short = format!(r#"[{{"id": "00", "content": "a", "signature": "{signature}"}}]"#);
        assert!(matches!(
            read(short.as_bytes()),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn only_strictly_increasing_ids_are_sorted() {
        let (a, b) = (record(1, "x"), record(2, "x"));
        assert!(strictly_sorted(&[a.clone(), b.clone()]));
        assert!(!strictly_sorted(&[b.clone(), a.clone()]));
        assert!(!strictly_sorted(&[a.clone(), a.clone()]));
        assert!(strictly_sorted(&[]));
    }
}
