//! The station report (صورتجلسه, issue 4 §6): what a station's ballot box holds, counted with the
//! counting engine's rules, with the commitment to every ballot record and the head of the event
//! log, signed by the device. `verify` is what the centre (and anyone) runs on a report: the
//! signature, the election and station it claims, and that its figures add up.
//!
//! The signed text is `sandoq-station-report-v1\n` followed by the report's JSON without its
//! `signature` field (keys in a fixed order, no white space).

use crate::ballot_box::BallotRecord;
use crate::merkle::{self, hex, unhex};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sandoq_count::{Contest, Entry};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Why a report was refused. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn refused(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> ReportError {
    ReportError {
        code,
        en: en.into(),
        fa: fa.into(),
    }
}

/// What the station knows besides its ballots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationFacts {
    pub station: String,
    pub election: [u8; 32],
    /// Tokens issued, used and voided.
    pub tokens: (u64, u64, u64),
    /// Events in the log and the hash of the last.
    pub event_log: (u64, [u8; 32]),
}

/// V(c): the candidate ballots naming c plus the list ballots for c's list (TEHRAN_RULES).
fn candidate_totals(
    contest: &Contest,
    lists: &BTreeMap<String, u64>,
    direct: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    contest
        .candidates
        .iter()
        .map(|c| {
            let through = contest
                .lists
                .get(c.group as usize)
                .and_then(|l| lists.get(&l.code))
                .copied()
                .unwrap_or(0);
            let own = direct.get(&c.code).copied().unwrap_or(0);
            (c.code.clone(), own.saturating_add(through))
        })
        .collect()
}

fn signed_text(body: &Value) -> String {
    format!("sandoq-station-report-v1\n{body}")
}

/// What a station's ballots add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pub blank: u64,
    pub candidate_ballots: u64,
    /// List ballots per list code (every list of the contest).
    pub lists: BTreeMap<String, u64>,
    /// Candidate ballots naming each candidate (every candidate of the contest).
    pub direct: BTreeMap<String, u64>,
}

impl Counts {
    /// Whether a report's figures are what these ballots count to: its blank ballots, candidate
    /// ballots, list ballots per list and candidates' direct votes (the rest of a verified report
    /// follows from these). What `sandoq verify` checks a station's ballot file against, and the
    /// centre the ballot records it receives (issue 18 §3).
    pub fn agree_with(&self, report: &Value) -> bool {
        let figures = |v: &Value| -> BTreeMap<String, u64> {
            v.as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(u64::MAX)))
                        .collect()
                })
                .unwrap_or_default()
        };
        self.blank == report["blank"].as_u64().unwrap_or(u64::MAX)
            && self.candidate_ballots == report["candidate_ballots"].as_u64().unwrap_or(u64::MAX)
            && self.lists == figures(&report["list_ballots"])
            && self.direct == figures(&report["candidate_votes_direct"])
    }
}

/// Counts ballot records. Every record must be a ballot of `contest`.
pub fn count(records: &[BallotRecord], contest: &Contest) -> Result<Counts, ReportError> {
    let mut blank = 0u64;
    let mut candidate_ballots = 0u64;
    let mut lists: BTreeMap<String, u64> =
        contest.lists.iter().map(|l| (l.code.clone(), 0)).collect();
    let mut direct: BTreeMap<String, u64> = contest
        .candidates
        .iter()
        .map(|c| (c.code.clone(), 0))
        .collect();
    for record in records {
        let ballot: Value = serde_json::from_str(&record.content).map_err(|_| {
            refused(
                "bad_ballot_record",
                "a ballot record is not a ballot",
                "یک برگ ثبت‌شده برگ رأی نیست",
            )
        })?;
        let unknown = || {
            refused(
                "bad_ballot_record",
                "a ballot record names a code this election does not have",
                "یک برگ ثبت‌شده کدی دارد که در این انتخابات نیست",
            )
        };
        if ballot.get("blank").is_some() {
            blank += 1;
        } else if let Some(code) = ballot.get("list").and_then(Value::as_str) {
            *lists.get_mut(code).ok_or_else(unknown)? += 1;
        } else if let Some(codes) = ballot.get("candidates").and_then(Value::as_array) {
            candidate_ballots += 1;
            for code in codes {
                *direct
                    .get_mut(code.as_str().ok_or_else(unknown)?)
                    .ok_or_else(unknown)? += 1;
            }
        } else {
            return Err(unknown());
        }
    }
    Ok(Counts {
        blank,
        candidate_ballots,
        lists,
        direct,
    })
}

/// Counts the ballots and signs the report. Every record must be a ballot of `contest`.
pub fn build(
    records: &[BallotRecord],
    contest: &Contest,
    facts: &StationFacts,
    key: &SigningKey,
) -> Result<Value, ReportError> {
    let Counts {
        blank,
        candidate_ballots,
        lists,
        direct,
    } = count(records, contest)?;
    let leaves = records
        .iter()
        .map(|r| merkle::leaf(&r.leaf_bytes()))
        .collect();
    let root = merkle::root(leaves);
    let totals = candidate_totals(contest, &lists, &direct);
    let (issued, used, voided) = facts.tokens;
    let body = json!({
        "format": "sandoq-station-report-v1",
        "election": hex(&facts.election),
        "station": facts.station,
        "device_key": hex(key.verifying_key().as_bytes()),
        "check_ins": issued,
        "tokens": {"issued": issued, "used": used, "voided": voided},
        "ballots": records.len(),
        "blank": blank,
        "candidate_ballots": candidate_ballots,
        "list_ballots": lists,
        "candidate_votes_direct": direct,
        "candidate_votes": totals,
        "commitment": {"ballots": records.len(), "merkle_root": hex(&root)},
        "event_log": {"events": facts.event_log.0, "head": hex(&facts.event_log.1)},
    });
    let signature = key.sign(signed_text(&body).as_bytes());
    let mut report = body;
    report["signature"] = json!(hex(&signature.to_bytes()));
    Ok(report)
}

/// Checks a report: signed by `device`, for `election` and `station`, and consistent (the
/// ballots add up, no more ballots than tokens used, no unknown list or candidate).
pub fn verify(
    report: &Value,
    contest: &Contest,
    election: &[u8; 32],
    station: &str,
    device: &VerifyingKey,
) -> Result<(), ReportError> {
    let malformed = || {
        refused(
            "malformed_report",
            "the report is not a sandoq station report",
            "این گزارش، صورتجلسهٔ شعبهٔ صندوق نیست",
        )
    };
    let map: &Map<String, Value> = report.as_object().ok_or_else(malformed)?;
    let signature = map
        .get("signature")
        .and_then(Value::as_str)
        .and_then(unhex::<64>)
        .ok_or_else(malformed)?;
    let body = unsigned(report);
    if map.get("device_key").and_then(Value::as_str) != Some(hex(device.as_bytes()).as_str()) {
        return Err(refused(
            "unknown_device",
            "the report names a device that is not this station's",
            "گزارش دستگاهی را نام می‌برد که از آنِ این شعبه نیست",
        ));
    }
    if device
        .verify(
            signed_text(&body).as_bytes(),
            &Signature::from_bytes(&signature),
        )
        .is_err()
    {
        return Err(refused(
            "bad_report_signature",
            "the report's signature does not verify: it was altered or not signed by this device",
            "امضای گزارش درست نیست: گزارش دست خورده یا با این دستگاه امضا نشده است",
        ));
    }
    if map.get("election").and_then(Value::as_str) != Some(hex(election).as_str())
        || map.get("station").and_then(Value::as_str) != Some(station)
    {
        return Err(refused(
            "report_elsewhere",
            "the report is for another election or station",
            "گزارش از آنِ انتخابات یا شعبهٔ دیگری است",
        ));
    }
    let number = |v: Option<&Value>| v.and_then(Value::as_u64).ok_or_else(malformed);
    let ballots = number(map.get("ballots"))?;
    let blank = number(map.get("blank"))?;
    let candidate_ballots = number(map.get("candidate_ballots"))?;
    let tokens = map.get("tokens").ok_or_else(malformed)?;
    let (issued, used, voided) = (
        number(tokens.get("issued"))?,
        number(tokens.get("used"))?,
        number(tokens.get("voided"))?,
    );
    let list_ballots = map
        .get("list_ballots")
        .and_then(Value::as_object)
        .ok_or_else(malformed)?;
    let direct = map
        .get("candidate_votes_direct")
        .and_then(Value::as_object)
        .ok_or_else(malformed)?;
    let inconsistent = |en: &str, fa: &str| refused("inconsistent_report", en, fa);
    let mut list_total = 0u64;
    for (code, count) in list_ballots {
        if !matches!(contest.lookup(code), Some(Entry::List(_))) {
            return Err(inconsistent(
                "the report counts an unknown list",
                "گزارش فهرست ناشناخته‌ای را شمرده است",
            ));
        }
        list_total = list_total
            .checked_add(count.as_u64().ok_or_else(malformed)?)
            .ok_or_else(malformed)?;
    }
    let mut names = 0u64;
    for (code, count) in direct {
        if !matches!(contest.lookup(code), Some(Entry::Candidate(_))) {
            return Err(inconsistent(
                "the report counts an unknown candidate",
                "گزارش نامزد ناشناخته‌ای را شمرده است",
            ));
        }
        names = names
            .checked_add(count.as_u64().ok_or_else(malformed)?)
            .ok_or_else(malformed)?;
    }
    // Saturating sums: figures near u64::MAX come from a hostile report and must not overflow.
    if blank
        .saturating_add(list_total)
        .saturating_add(candidate_ballots)
        != ballots
    {
        return Err(inconsistent(
            "blank, list and candidate ballots do not add up to the ballots cast",
            "برگ‌های سفید، فهرستی و نامزدی با شمار برگ‌های ریخته‌شده جور نیست",
        ));
    }
    if names < candidate_ballots
        || names > candidate_ballots.saturating_mul(u64::from(contest.seats))
    {
        return Err(inconsistent(
            "the candidates' votes do not fit the number of candidate ballots",
            "رأی نامزدها با شمار برگ‌های نامزدی جور نیست",
        ));
    }
    if ballots > used {
        return Err(inconsistent(
            "more ballots than tokens used",
            "شمار برگ‌ها از برگه‌های به‌کاررفته بیشتر است",
        ));
    }
    if used.saturating_add(voided) > issued {
        return Err(inconsistent(
            "more tokens used or voided than issued",
            "برگه‌های به‌کاررفته و باطل از صادرشده بیشترند",
        ));
    }
    // Every candidate's total is their direct votes plus their list's ballots, and the desk's
    // check-ins are the tokens it issued.
    let counts = |object: &Map<String, Value>| -> Result<BTreeMap<String, u64>, ReportError> {
        object
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.as_u64().ok_or_else(malformed)?)))
            .collect()
    };
    let totals = map
        .get("candidate_votes")
        .and_then(Value::as_object)
        .ok_or_else(malformed)?;
    if counts(totals)? != candidate_totals(contest, &counts(list_ballots)?, &counts(direct)?) {
        return Err(inconsistent(
            "the candidates' totals are not their direct votes plus their list's ballots",
            "جمع رأی نامزدها برابر رأی مستقیم به‌علاوهٔ برگ‌های فهرستشان نیست",
        ));
    }
    if number(map.get("check_ins"))? != issued {
        return Err(inconsistent(
            "the check-ins are not the tokens issued",
            "شمار پذیرش‌ها با برگه‌های صادرشده برابر نیست",
        ));
    }
    let commitment = map.get("commitment").ok_or_else(malformed)?;
    if number(commitment.get("ballots"))? != ballots {
        return Err(inconsistent(
            "the commitment covers another number of ballots",
            "تعهد رمزنگاشتی شمار دیگری از برگ‌ها را پوشش می‌دهد",
        ));
    }
    Ok(())
}

/// The report without its signatures: what the device signed and the officials co-sign.
fn unsigned(report: &Value) -> Value {
    let mut body = report.clone();
    if let Some(body) = body.as_object_mut() {
        body.remove("signature");
        body.remove("cosignatures");
    }
    body
}

/// The text the device signed and each official co-signs.
pub fn body_text(report: &Value) -> String {
    signed_text(&unsigned(report))
}

/// Adds an official's co-signature (replacing an earlier one by the same official).
pub fn add_cosignature(report: &mut Value, official: &str, key: &SigningKey) {
    let signature = crate::officials::cosign(key, &body_text(report));
    let entry = json!({"official": official, "key": hex(key.verifying_key().as_bytes()),
                       "signature": hex(&signature)});
    let mut list: Vec<Value> = report["cosignatures"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c["official"].as_str() != Some(official))
        .collect();
    list.push(entry);
    report["cosignatures"] = Value::Array(list);
}

/// Checks the officials' co-signatures against the station's officials (username, public key):
/// each must be by a distinct official of the station and verify; at least `needed` must be
/// there. Returns who co-signed.
pub fn verify_cosignatures(
    report: &Value,
    officials: &[(String, VerifyingKey)],
    needed: usize,
) -> Result<Vec<String>, ReportError> {
    let text = body_text(report);
    let empty = Vec::new();
    let list = match report.get("cosignatures") {
        None => &empty,
        Some(value) => value.as_array().ok_or_else(|| {
            refused(
                "malformed_report",
                "the report's co-signatures are not a list",
                "امضاهای همراه گزارش فهرست نیستند",
            )
        })?,
    };
    let mut signed: Vec<String> = Vec::new();
    for entry in list {
        let name = entry["official"].as_str().unwrap_or("");
        let Some((_, key)) = officials.iter().find(|(n, _)| n == name) else {
            return Err(refused(
                "unknown_official",
                format!(
                    "the report is co-signed by {name:?}, who is not an official of this station"
                ),
                format!("گزارش را «{name}» امضا کرده که مسئول این شعبه نیست"),
            ));
        };
        let good = entry["key"].as_str() == Some(hex(key.as_bytes()).as_str())
            && entry["signature"]
                .as_str()
                .and_then(unhex::<64>)
                .is_some_and(|s| crate::officials::check(key, &text, &s));
        if !good {
            return Err(refused(
                "bad_cosignature",
                format!("{name}'s co-signature does not verify: the report was altered after it was signed"),
                format!("امضای «{name}» درست نیست: گزارش پس از امضا دست خورده است"),
            ));
        }
        if signed.iter().any(|s| s == name) {
            return Err(refused(
                "bad_cosignature",
                format!("{name} co-signed twice"),
                format!("«{name}» دو بار امضا کرده است"),
            ));
        }
        signed.push(name.to_string());
    }
    if signed.len() < needed {
        return Err(refused(
            "not_enough_cosignatures",
            format!(
                "the report needs {needed} officials' co-signatures; it has {}",
                signed.len()
            ),
            format!(
                "گزارش به امضای {needed} مسئول نیاز دارد؛ {} امضا دارد",
                signed.len()
            ),
        ));
    }
    Ok(signed)
}

/// Whether `records` are exactly the ballots a verified report committed to.
pub fn records_match(report: &Value, records: &[BallotRecord]) -> bool {
    let root = merkle::root(
        records
            .iter()
            .map(|r| merkle::leaf(&r.leaf_bytes()))
            .collect(),
    );
    report["commitment"]["merkle_root"].as_str() == Some(hex(&root).as_str())
        && report["commitment"]["ballots"].as_u64() == Some(records.len() as u64)
}

/// The most bytes of the report's text one QR code of the printed minutes carries.
pub const QR_CHUNK: usize = 1000;

/// What the QR codes of the printed minutes hold (issue 18 §4): the report's compact JSON text,
/// signature and co-signatures included, cut into pieces of at most [`QR_CHUNK`] bytes, each
/// `SQR1 {i}/{n} {piece}` with i from 1. A piece never ends inside a UTF-8 character (a name in
/// Persian would otherwise be cut into two halves no reader can put back), so concatenating the
/// pieces in order gives the text exactly. The agent prints these, and `sandoq verify --paper`
/// and the results site's minutes page read them.
pub fn qr_payloads(report: &Value) -> Vec<String> {
    let text = report.to_string();
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let mut end = rest.len().min(QR_CHUNK);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (piece, tail) = rest.split_at(end);
        pieces.push(piece);
        rest = tail;
    }
    let n = pieces.len();
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| format!("SQR1 {}/{n} {piece}", i + 1))
        .collect()
}

#[cfg(test)]
mod qr_tests {
    use super::*;

    #[test]
    fn the_pieces_put_together_give_the_report_text_even_cut_inside_persian() {
        // A name of two-byte characters placed so that byte 1000 falls inside one of them.
        let report =
            json!({"station": "S-1", "pad": "x".repeat(965), "name": "مریم احمدی".repeat(200)});
        let text = report.to_string();
        assert!(
            !text.is_char_boundary(QR_CHUNK),
            "the test must cut inside a character"
        );
        let payloads = qr_payloads(&report);
        let n = payloads.len();
        let mut joined = String::new();
        for (i, payload) in payloads.iter().enumerate() {
            let head = format!("SQR1 {}/{n} ", i + 1);
            assert!(payload.starts_with(&head), "{payload}");
            assert!(payload.len() - head.len() <= QR_CHUNK);
            joined.push_str(&payload[head.len()..]);
        }
        assert_eq!(joined, text);
        assert_eq!(qr_payloads(&json!({})), ["SQR1 1/1 {}"]);
    }
}
