//! The election record (issue 5 §3, `docs/RECORD_FORMAT.md`): what the centre publishes so that
//! anyone can check the outcome without trusting it, and `sandoq verify`.
//!
//! [`aggregate`] adds accepted station reports into the counting engine's tally; [`result_json`]
//! computes the seats from it; [`write`] lays the record out (public part, restricted part, the
//! manifest `RECORD.json`); [`verify`] re-checks a record from its files alone: every hash,
//! signature, co-signature and commitment, the sums, and the seats recomputed from scratch.
//!
//! Invariants: nothing here reads a clock or the network; verify never trusts a number it can
//! recompute; the record holds nothing that identifies a voter, and individual ballots only in the
//! restricted part.

pub mod archive;
pub mod ballot_file;
pub mod closing;
pub mod exports;
pub mod files;
pub mod paper;
pub mod roster;
mod verify;

pub use files::{MAX_BALLOT_FILE_BYTES, MAX_FILE_BYTES, MAX_MANIFEST_BYTES};
pub use verify::{verify, verify_against, Problem, Progress, Verified};

use sandoq_count::{compute, Contest, Rules, Tally, TallyStop};
use sandoq_station::merkle::{self, hex};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The record's format, named in `RECORD.json`.
pub const FORMAT: &str = "sandoq-record-v1";
/// The manifest's file name, at the top of the record.
pub const MANIFEST: &str = "RECORD.json";
/// Co-signatures a station report needs (the officials who open a station).
pub const MIN_COSIGNATURES: usize = sandoq_station::lifecycle::MIN_OFFICIALS;

/// A registered station device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub station: String,
    pub kind: String,
    pub public_key: String,
    pub status: String,
}

/// A station official's co-signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Official {
    pub username: String,
    pub station: String,
    pub signing_key: String,
}

/// Everything the record is made of, as the centre holds it.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// The export document, exactly the text its hash is over.
    pub election: String,
    pub devices: Vec<Device>,
    pub officials: Vec<Official>,
    /// Accepted station reports: station, report JSON text.
    pub reports: Vec<(String, String)>,
    /// The ballot records each station sent: station, JSON array text (restricted).
    pub ballots: Vec<(String, String)>,
    /// The closing of the count, if it is closed: the statement's text and the supervisors'
    /// signatures (username, hex).
    pub closing: Option<(String, Vec<(String, String)>)>,
    /// The roster (its canonical text) and the supervisors' seals (username, hex), once prepared
    /// (issue 18 §1).
    pub roster: Option<(String, Vec<(String, String)>)>,
    /// The sealed amendments of the roster: compact text and signatures, in order.
    pub amendments: Vec<(String, Vec<(String, String)>)>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The contest, the rules and the stations of an export document.
pub fn read_election(text: &str) -> Result<(Value, Contest, Rules, Vec<String>), String> {
    let export: Value =
        serde_json::from_str(text).map_err(|e| format!("the election is not JSON: {e}"))?;
    let contest =
        sandoq_station::definition::contest_from_canonical(&export["definition"].to_string())
            .ok_or("the election's definition is not valid")?;
    let rules = sandoq_json::tally::parse_rules(&export["election"]["rules"]["options"])
        .map_err(|e| format!("the election's rules: {}", e.en))?;
    let stations = export["stations"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|s| s["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok((export, contest, rules, stations))
}

/// Adds station reports into one tally (the reports are assumed verified).
pub fn aggregate(contest: &Contest, reports: &[Value]) -> Result<Tally, String> {
    let mut tally = Tally::new(contest);
    let overflow = || "the reports add up to more than 2^64".to_string();
    for report in reports {
        let number = |v: &Value| v.as_u64().ok_or("a report's figure is not a count");
        for (i, list) in contest.lists.iter().enumerate() {
            let n = number(&report["list_ballots"][&list.code])?;
            tally.list_ballots[i] = tally.list_ballots[i].checked_add(n).ok_or_else(overflow)?;
            tally.n_list = tally.n_list.checked_add(n).ok_or_else(overflow)?;
        }
        for (i, candidate) in contest.candidates.iter().enumerate() {
            let n = number(&report["candidate_votes_direct"][&candidate.code])?;
            tally.mentions[i] = tally.mentions[i].checked_add(n).ok_or_else(overflow)?;
        }
        tally.n_candidates = tally
            .n_candidates
            .checked_add(number(&report["candidate_ballots"])?)
            .ok_or_else(overflow)?;
        tally.n_blank = tally
            .n_blank
            .checked_add(number(&report["blank"])?)
            .ok_or_else(overflow)?;
    }
    Ok(tally)
}

/// The result of a tally as `sandoq tally` prints it (or, when the count stops, why).
pub fn result_json(contest: &Contest, tally: &Tally, rules: &Rules) -> Value {
    match compute(contest, tally, rules) {
        Ok(result) => sandoq_json::tally::render(contest, &result, &[]),
        Err(TallyStop::LotsRequired(ties)) => json!({
            "error": {"code": "drawing_of_lots_required"},
            "ties": sandoq_json::apportion::lots_required_json(&ties),
        }),
        Err(TallyStop::Overflow) => json!({"error": {"code": "count_overflow"}}),
        Err(TallyStop::Invalid { code, .. }) => json!({"error": {"code": code}}),
    }
}

/// The Merkle root over the station reports: leaves are the SHA-256 of each report file, in the
/// order of the station codes.
pub fn reports_root(reports: &BTreeMap<String, Vec<u8>>) -> [u8; 32] {
    merkle::root(reports.values().map(|bytes| merkle::leaf(bytes)).collect())
}

fn safe_name(station: &str) -> bool {
    !station.is_empty()
        && station
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !station.starts_with('.')
}

fn write_file(dir: &Path, path: &str, bytes: &[u8], list: &mut Vec<Value>) -> Result<(), String> {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&full, bytes).map_err(|e| format!("{}: {e}", full.display()))?;
    list.push(json!({"path": path, "sha256": sha256_hex(bytes), "bytes": bytes.len()}));
    Ok(())
}

/// Pretty JSON with a final newline: the one form every JSON file of the record takes.
pub fn canonical(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The stations' ballot records, `restricted/ballots/STATION.json`, on every core: each station's
/// file is parsed, sorted by id (the centre keeps them sorted already; a file must never show the
/// order of casting), laid out by [`ballot_file::write_canonical`] and hashed on its own (at
/// Tehran's scale 5,000 files, 3.5 million records), so the stations are shared out among threads
/// in contiguous runs. The first station in order whose records cannot be written (not a list of
/// records, or an id twice) is the error, as if written one after another.
fn write_ballots(
    dir: &Path,
    ballots: &[(String, String)],
    list: &mut Vec<Value>,
) -> Result<(), String> {
    if let Some((station, _)) = ballots.iter().find(|(station, _)| !safe_name(station)) {
        return Err(format!("station code {station:?} cannot name a file"));
    }
    if ballots.is_empty() {
        return Ok(());
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(ballots.len());
    let share = ballots.len().div_ceil(threads);
    let parts: Vec<Result<Vec<Value>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ballots
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    let mut written = Vec::with_capacity(part.len());
                    let mut buffer = Vec::new();
                    for (station, text) in part {
                        let mut records = ballot_file::read(text.as_bytes())
                            .map_err(|e| format!("ballots of {station}: {e}"))?;
                        records.sort_unstable_by_key(|r| r.id);
                        if !ballot_file::strictly_sorted(&records) {
                            return Err(format!("ballots of {station}: a ballot id appears twice"));
                        }
                        ballot_file::write_canonical(&records, &mut buffer);
                        write_file(
                            dir,
                            &format!("restricted/ballots/{station}.json"),
                            &buffer,
                            &mut written,
                        )?;
                    }
                    Ok(written)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("a thread writing ballot records stopped".into()))
            })
            .collect()
    });
    for part in parts {
        list.extend(part?);
    }
    Ok(())
}

/// Writes the record into `dir` (which must not hold one yet). Returns the manifest.
pub fn write(dir: &Path, input: &Input) -> Result<Value, String> {
    if dir.join(MANIFEST).exists() {
        return Err(format!("{} already holds a record", dir.display()));
    }
    let (export, contest, rules, stations) = read_election(&input.election)?;
    let mut public = Vec::new();
    let mut restricted = Vec::new();
    write_file(
        dir,
        "public/election.json",
        input.election.as_bytes(),
        &mut public,
    )?;
    let devices: Vec<Value> = input
        .devices
        .iter()
        .map(|d| json!({"station": d.station, "kind": d.kind, "public_key": d.public_key, "status": d.status}))
        .collect();
    write_file(
        dir,
        "public/devices.json",
        canonical(&Value::Array(devices)).as_bytes(),
        &mut public,
    )?;
    let officials: Vec<Value> = input
        .officials
        .iter()
        .map(
            |o| json!({"username": o.username, "station": o.station, "signing_key": o.signing_key}),
        )
        .collect();
    write_file(
        dir,
        "public/officials.json",
        canonical(&Value::Array(officials)).as_bytes(),
        &mut public,
    )?;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut parsed = Vec::new();
    for (station, text) in &input.reports {
        if !safe_name(station) {
            return Err(format!("station code {station:?} cannot name a file"));
        }
        let report: Value =
            serde_json::from_str(text).map_err(|e| format!("report of {station}: {e}"))?;
        let bytes = canonical(&report).into_bytes();
        files.insert(station.clone(), bytes);
        parsed.push(report);
    }
    for (station, bytes) in &files {
        write_file(
            dir,
            &format!("public/reports/{station}.json"),
            bytes,
            &mut public,
        )?;
    }
    let tally = aggregate(&contest, &parsed)?;
    let result = result_json(&contest, &tally, &rules);
    write_file(
        dir,
        "public/result.json",
        canonical(&result).as_bytes(),
        &mut public,
    )?;
    if let Some((statement, signatures)) = &input.closing {
        let closing = json!({
            "statement": statement,
            "signatures": signatures.iter().map(|(u, s)| json!({"username": u, "signature": s})).collect::<Vec<_>>(),
        });
        write_file(
            dir,
            "public/closing.json",
            canonical(&closing).as_bytes(),
            &mut public,
        )?;
    }
    let signatures = |list: &[(String, String)]| -> Vec<Value> {
        list.iter()
            .map(|(u, s)| json!({"username": u, "signature": s}))
            .collect()
    };
    let mut roster_sha256 = None;
    if let Some((text, seals)) = &input.roster {
        let sha = roster::hash(text);
        write_file(dir, "public/roster.json", text.as_bytes(), &mut public)?;
        let seal = json!({"roster_sha256": sha, "signatures": signatures(seals)});
        write_file(
            dir,
            "public/roster-seal.json",
            canonical(&seal).as_bytes(),
            &mut public,
        )?;
        if !input.amendments.is_empty() {
            let amendments: Vec<Value> = input
                .amendments
                .iter()
                .map(|(text, signed)| json!({"amendment": text, "signatures": signatures(signed)}))
                .collect();
            write_file(
                dir,
                "public/amendments.json",
                canonical(&Value::Array(amendments)).as_bytes(),
                &mut public,
            )?;
        }
        roster_sha256 = Some(sha);
    }
    write_ballots(dir, &input.ballots, &mut restricted)?;
    let reported: Vec<String> = files.keys().cloned().collect();
    let missing: Vec<String> = stations
        .iter()
        .filter(|s| !files.contains_key(*s))
        .cloned()
        .collect();
    public.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    restricted.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    let election = &export["election"];
    let mut manifest = json!({
        "format": FORMAT,
        "election": {
            "code": election["code"], "kind": election["kind"],
            "name_fa": election["name_fa"], "name_en": election["name_en"],
            "sha256": sha256_hex(input.election.as_bytes()),
        },
        "stations": {"reported": reported, "missing": missing},
        "reports_root": hex(&reports_root(&files)),
        "public": public,
        "restricted": restricted,
    });
    // Only a record with a roster names one, so that records without stay as they were.
    if let (Some(sha), Some(map)) = (roster_sha256, manifest.as_object_mut()) {
        map.insert("roster_sha256".into(), json!(sha));
    }
    std::fs::write(dir.join(MANIFEST), canonical(&manifest))
        .map_err(|e| format!("{}: {e}", dir.join(MANIFEST).display()))?;
    Ok(manifest)
}
