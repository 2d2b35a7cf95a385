//! Closing the count (issue 5 §1): headquarters freezes the station reports and the result into a
//! statement, and k of the n supervisors co-sign it with their keys; then the result is final.
//!
//! The statement is compact JSON: `{"format": "sandoq-closing-v1", "election": hex election hash,
//! "reports_root", "stations_reported", "stations_missing", "result_sha256" (of the record's
//! `public/result.json` bytes), "required_signatures", "supervisors": [{"username",
//! "signing_key"}]}`. A supervisor signs (Ed25519) `sandoq-closing-v1\n` followed by the statement
//! text, with the key derived from their password (`sandoq_station::officials`).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sandoq_station::merkle::{hex, unhex};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const FORMAT: &str = "sandoq-closing-v1";

/// The statement headquarters closes the count with.
pub fn statement(
    election_hash: &str,
    reports_root: &str,
    reported: &[String],
    missing: &[String],
    result: &Value,
    required: usize,
    supervisors: &[(String, String)],
) -> String {
    json!({
        "format": FORMAT,
        "election": election_hash,
        "reports_root": reports_root,
        "stations_reported": reported,
        "stations_missing": missing,
        "result_sha256": hex(&Sha256::digest(crate::canonical(result).as_bytes())),
        "required_signatures": required,
        "supervisors": supervisors.iter().map(|(u, k)| json!({"username": u, "signing_key": k})).collect::<Vec<_>>(),
    })
    .to_string()
}

fn signed_text(statement: &str) -> String {
    format!("{FORMAT}\n{statement}")
}

/// A supervisor's signature of the statement (hex).
pub fn sign(key: &SigningKey, statement: &str) -> String {
    hex(&key.sign(signed_text(statement).as_bytes()).to_bytes())
}

/// The supervisors listed in a statement, with their keys.
pub fn supervisors(statement: &Value) -> Vec<(String, VerifyingKey)> {
    statement["supervisors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let key = VerifyingKey::from_bytes(&unhex::<32>(s["signing_key"].as_str()?)?).ok()?;
            Some((s["username"].as_str()?.to_string(), key))
        })
        .collect()
}

/// Checks the signatures (`[{"username", "signature"}]`) of a statement: each by a distinct
/// supervisor it lists, each valid. Returns how many signed and how many were required.
pub fn check(statement_text: &str, signatures: &Value) -> Result<(usize, usize), String> {
    let statement: Value = serde_json::from_str(statement_text)
        .map_err(|_| "the closing statement is not JSON".to_string())?;
    if statement["format"] != FORMAT {
        return Err(format!("the closing statement is not {FORMAT}"));
    }
    let required = statement["required_signatures"]
        .as_u64()
        .ok_or("the closing statement names no number of signatures")? as usize;
    let listed = supervisors(&statement);
    let mut signed: Vec<&str> = Vec::new();
    for entry in signatures
        .as_array()
        .ok_or("the signatures are not a list")?
    {
        let name = entry["username"].as_str().unwrap_or("");
        let Some((_, key)) = listed.iter().find(|(n, _)| n == name) else {
            return Err(format!(
                "{name:?} is not a supervisor named by the closing statement"
            ));
        };
        let good = entry["signature"]
            .as_str()
            .and_then(unhex::<64>)
            .is_some_and(|s| {
                key.verify(
                    signed_text(statement_text).as_bytes(),
                    &Signature::from_bytes(&s),
                )
                .is_ok()
            });
        if !good {
            return Err(format!(
                "{name}'s signature of the closing statement does not verify"
            ));
        }
        if signed.contains(&name) {
            return Err(format!("{name} signed the closing statement twice"));
        }
        signed.push(name);
    }
    Ok((signed.len(), required))
}
