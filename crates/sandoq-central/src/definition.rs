//! The election definition held by the centre (issue 3 §2): the lists, their
//! candidates and the independents, with names in Persian and English. It is
//! checked by the counting engine's own rules (`sandoq_count::ElectionDefinition::validate`:
//! codes unique across lists and candidates, each candidate in one group, no
//! empty list), stored all or nothing, and exported in one canonical form
//! whose SHA-256 is the content hash every station compares with its own copy.
//!
//! Input (JSON): `{"lists": [{"code", "name_fa", "name_en", "candidates": [CANDIDATE]}],
//! "independents": [CANDIDATE]}` where a CANDIDATE is `{"code", "name_fa", "name_en"}`.
//! The seats come from the election itself.

use sandoq_json::value::{array, object, only_keys, parse_document, required, string};
use sandoq_json::InputError;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A person or a list as printed on the ballot box screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub list: Named,
    pub candidates: Vec<Named>,
}

/// A checked definition, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub seats: u32,
    pub lists: Vec<ListEntry>,
    pub independents: Vec<Named>,
}

fn named(value: &Value, path: &str) -> Result<Named, InputError> {
    let map = object(value, path)?;
    only_keys(map, &["code", "name_fa", "name_en"], path)?;
    let text = |key: &str| -> Result<String, InputError> {
        let at = format!("{path}.{key}");
        let text = string(required(map, key, path)?, &at)?.trim().to_string();
        if text.is_empty() {
            return Err(InputError::new(
                "empty_field",
                format!("{at} is empty"),
                format!("{at} خالی است"),
            )
            .at(at));
        }
        Ok(text)
    };
    Ok(Named {
        code: sandoq_count::election::normalize_code(&text("code")?),
        name_fa: text("name_fa")?,
        name_en: text("name_en")?,
    })
}

/// Parses and checks a definition for an election of `seats` seats; every problem of the
/// election rules is reported at once (in `details`).
pub fn parse(bytes: &[u8], seats: u32) -> Result<Definition, InputError> {
    let document = parse_document(bytes)?;
    let root = object(&document, "the definition")?;
    only_keys(root, &["lists", "independents"], "")?;
    let mut lists = Vec::new();
    if let Some(value) = root.get("lists") {
        for (i, list) in array(value, "lists")?.iter().enumerate() {
            let path = format!("lists[{i}]");
            let map = object(list, &path)?;
            only_keys(map, &["code", "name_fa", "name_en", "candidates"], &path)?;
            let head = named(
                &json!({"code": map.get("code"), "name_fa": map.get("name_fa"), "name_en": map.get("name_en")}),
                &path,
            )?;
            let candidates = array(
                required(map, "candidates", &path)?,
                &format!("{path}.candidates"),
            )?
            .iter()
            .enumerate()
            .map(|(j, c)| named(c, &format!("{path}.candidates[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
            lists.push(ListEntry {
                list: head,
                candidates,
            });
        }
    }
    let independents = match root.get("independents") {
        Some(value) => array(value, "independents")?
            .iter()
            .enumerate()
            .map(|(j, c)| named(c, &format!("independents[{j}]")))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let definition = Definition {
        seats,
        lists,
        independents,
    };
    definition
        .counting_definition()
        .validate()
        .map_err(|problems| {
            let details: Vec<InputError> = problems
                .iter()
                .map(|p| InputError::new(p.code, p.en.clone(), p.fa.clone()))
                .collect();
            let mut first = details[0].clone();
            first.details = details;
            first
        })?;
    Ok(definition)
}

impl Definition {
    /// The same definition as the counting engine sees it.
    pub fn counting_definition(&self) -> sandoq_count::ElectionDefinition {
        sandoq_count::ElectionDefinition {
            seats: self.seats,
            lists: self
                .lists
                .iter()
                .map(|l| sandoq_count::ListDefinition {
                    code: l.list.code.clone(),
                    name: l.list.name_fa.clone(),
                    candidates: l.candidates.iter().map(|c| c.code.clone()).collect(),
                })
                .collect(),
            independents: self.independents.iter().map(|c| c.code.clone()).collect(),
        }
    }

    /// The canonical form: fixed key order, no white space, lists and candidates in the order given.
    pub fn canonical(&self) -> String {
        let person =
            |n: &Named| json!({"code": n.code, "name_fa": n.name_fa, "name_en": n.name_en});
        let document = json!({
            "format": "sandoq-definition-v1",
            "seats": self.seats,
            "lists": self.lists.iter().map(|l| json!({
                "code": l.list.code, "name_fa": l.list.name_fa, "name_en": l.list.name_en,
                "candidates": l.candidates.iter().map(person).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "independents": self.independents.iter().map(person).collect::<Vec<_>>(),
        });
        document.to_string()
    }
}

/// Lowercase hex SHA-256 of the canonical form: the definition's content hash.
pub fn content_hash(canonical: &str) -> String {
    content_hash_bytes(canonical.as_bytes())
}

/// Lowercase hex SHA-256 of any bytes (photos, files).
pub fn content_hash_bytes(bytes: &[u8]) -> String {
    sandoq_station::merkle::hex(&Sha256::digest(bytes))
}

pub use sandoq_station::definition::contest_from_canonical;

/// The codes of every candidate (on a list or independent) of a stored canonical definition.
pub fn candidate_codes(canonical: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<Value>(canonical) else {
        return Vec::new();
    };
    let code = |c: &Value| c["code"].as_str().map(str::to_string);
    let on_lists = document["lists"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["candidates"].as_array().into_iter().flatten())
        .filter_map(code);
    let independents = document["independents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(code);
    on_lists.chain(independents).collect()
}

/// The whole election as stations receive it: the election itself, its definition (lists,
/// candidates, independents), the SHA-256 of every candidate's photo, the counties, districts
/// and stations. Returns the canonical text and its content hash, or None before a definition
/// is set. Devices are not part of it: registering one does not change what stations check.
pub async fn export<S: sandoq_store::Store>(
    store: &S,
    election: &sandoq_store::Election,
) -> Result<Option<(String, String)>, sandoq_store::StoreError> {
    let Some((canonical, _)) = store.definition(election.id).await? else {
        return Ok(None);
    };
    let definition: Value = serde_json::from_str(&canonical)
        .map_err(|e| sandoq_store::StoreError::Database(format!("stored definition: {e}")))?;
    let spec = &election.spec;
    let photos: Vec<Value> = store
        .photo_hashes(election.id)
        .await?
        .into_iter()
        .map(|(candidate, sha256)| json!({"candidate": candidate, "sha256": sha256}))
        .collect();
    let areas: Vec<Value> = store
        .areas(election.id)
        .await?
        .into_iter()
        .map(|a| json!({"code": a.code, "kind": a.kind.name(), "parent": a.parent, "name_fa": a.name_fa, "name_en": a.name_en}))
        .collect();
    let stations: Vec<Value> = store
        .stations(election.id)
        .await?
        .into_iter()
        .map(|s| json!({"code": s.code, "district": s.district, "name_fa": s.name_fa, "name_en": s.name_en, "address": s.address}))
        .collect();
    let document = json!({
        "format": "sandoq-election-v1",
        "election": {
            "code": spec.code, "kind": spec.kind.name(), "name_fa": spec.name_fa, "name_en": spec.name_en,
            "seats": spec.seats, "constituency": spec.constituency, "polling_day": spec.polling_day.to_string(),
            "offline_policy": spec.offline_policy.name(),
            "paper_record": spec.paper_record,
            "opens": sandoq_store::PollingHours::text(spec.hours.opens),
            "closes": sandoq_store::PollingHours::text(spec.hours.closes),
            "rules": serde_json::from_str::<Value>(&spec.rules).unwrap_or(Value::Null),
        },
        "definition": definition,
        "photos": photos,
        "areas": areas,
        "stations": stations,
    });
    let text = document.to_string();
    let hash = content_hash(&text);
    Ok(Some((text, hash)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"lists": [{"code": "101", "name_fa": "فهرست امید", "name_en": "Hope list",
        "candidates": [{"code": "10101", "name_fa": "نامزد یک", "name_en": "Candidate One"}]}],
        "independents": [{"code": "۹۰۰۱", "name_fa": "منفرد", "name_en": "Independent"}]}"#;

    #[test]
    fn a_definition_is_checked_and_hashed_canonically() {
        let definition = parse(GOOD.as_bytes(), 21).unwrap();
        assert_eq!(
            definition.independents[0].code, "9001",
            "Persian digits are normalised"
        );
        let canonical = definition.canonical();
        assert!(
            canonical.starts_with(r#"{"format":"sandoq-definition-v1","seats":21,"lists":"#),
            "{canonical}"
        );
        // Same content, other spacing: the same hash.
        let spaced = GOOD.replace(": ", ":   ");
        assert_eq!(
            content_hash(&parse(spaced.as_bytes(), 21).unwrap().canonical()),
            content_hash(&canonical)
        );
        assert_eq!(content_hash(&canonical).len(), 64);
    }

    #[test]
    fn every_problem_of_the_election_rules_is_reported() {
        let bad = r#"{"lists": [{"code": "101", "name_fa": "الف", "name_en": "A", "candidates": []},
            {"code": "9001", "name_fa": "ب", "name_en": "B", "candidates": [{"code": "10101", "name_fa": "پ", "name_en": "P"}]}],
            "independents": [{"code": "9001", "name_fa": "ت", "name_en": "T"}]}"#;
        let error = parse(bad.as_bytes(), 21).unwrap_err();
        let codes: Vec<&str> = error.details.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["empty_list", "duplicate_code"]);
        assert_eq!(
            parse(
                br#"{"lists": [], "independents": [{"code": "1", "name_fa": "", "name_en": "x"}]}"#,
                21
            )
            .unwrap_err()
            .code,
            "empty_field"
        );
        assert_eq!(
            parse(br#"{"list": []}"#, 21).unwrap_err().code,
            "unknown_field"
        );
        assert_eq!(parse(b"{}", 21).unwrap_err().code, "no_candidates");
    }
}
