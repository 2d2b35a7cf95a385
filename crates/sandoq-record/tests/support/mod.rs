//! A small record made deterministically (fixed keys, fixed ballot ids), for the hostile
//! records of `hostile.rs` and the worked example of `example.rs`. Officials' keys are fixed
//! seeds here, not derived from passwords, so nothing here depends on the key derivation.

#![allow(dead_code)]

use ed25519_dalek::{Signer, SigningKey};
use sandoq_record::{Device, Input, Official};
use sandoq_station::merkle::hex;
use sandoq_station::{Ballot, BallotRecord};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A fresh directory of the system's temporary directory.
pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sandoq-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The election's export text: 5 seats, two lists, two independents, `stations` stations.
pub fn export(stations: usize) -> String {
    json!({
        "format": "sandoq-election-v1",
        "election": {"code": "example", "kind": "training", "name_fa": "نمونه", "name_en": "Example",
                     "seats": 5, "constituency": "tehran-rey-tajrish", "polling_day": "1405/02/11",
                     "offline_policy": "refuse", "paper_record": false, "opens": "08:00", "closes": "18:00",
                     "rules": {"rule_set": "tehran-1405", "options": {"tie_break": "lot", "lot_seed": "example seed"}}},
        "definition": {"format": "sandoq-definition-v1", "seats": 5,
            "lists": [
                {"code": "101", "name_fa": "امید", "name_en": "Hope", "candidates": [
                    {"code": "10101", "name_fa": "یک", "name_en": "One"}, {"code": "10102", "name_fa": "دو", "name_en": "Two"}]},
                {"code": "102", "name_fa": "آینده", "name_en": "Future", "candidates": [
                    {"code": "10201", "name_fa": "سه", "name_en": "Three"}]}],
            "independents": [{"code": "9001", "name_fa": "چهار", "name_en": "Four"}]},
        "photos": [], "areas": [],
        "stations": (1..=stations).map(|s| json!({"code": format!("S-{s}"), "district": "T-1", "name_fa": "شعبه", "name_en": "Station", "address": ""})).collect::<Vec<_>>(),
    })
    .to_string()
}

/// A key from a label.
pub fn key(label: &str) -> SigningKey {
    SigningKey::from_bytes(&Sha256::digest(label.as_bytes()).into())
}

/// The ballots a station's box holds, in the order they were cast (which the record must not
/// keep), each with an id made from the station and its number.
pub fn ballots(station: &str, n: usize) -> Vec<(Ballot, [u8; 16])> {
    let choices = [
        Ballot::List("101".into()),
        Ballot::Candidates(vec!["10102".into(), "9001".into()]),
        Ballot::Blank,
        Ballot::List("102".into()),
        Ballot::Candidates(vec!["10201".into()]),
    ];
    (0..n)
        .map(|i| {
            let digest = Sha256::digest(format!("ballot {station} {i}").as_bytes());
            let mut id = [0u8; 16];
            id.copy_from_slice(&digest[..16]);
            (choices[i % choices.len()].clone(), id)
        })
        .collect()
}

/// The input of a record: `stations` stations with `per_station` ballots each, every report
/// signed by the station's device and co-signed by its three officials.
pub fn election(stations: usize, per_station: usize) -> Input {
    election_signed_by(stations, per_station, |_| String::new())
}

/// The same, with the keys of station `s` made from the label `forged(s)` (empty: the real
/// ones) and, when forged, its officials named `{station}-{label}-{role}`: how a centre that makes
/// up a station's device and officials would lay the record out.
pub fn election_signed_by(
    stations: usize,
    per_station: usize,
    forged: impl Fn(&str) -> String,
) -> Input {
    let export = export(stations);
    let hash: [u8; 32] = Sha256::digest(export.as_bytes()).into();
    let (_, contest, _, _) = sandoq_record::read_election(&export).unwrap();
    let mut input = Input {
        election: export,
        ..Input::default()
    };
    for s in 1..=stations {
        let station = format!("S-{s}");
        let label = forged(&station);
        let device = key(&format!("device {station}{label}"));
        input.devices.push(Device {
            station: station.clone(),
            kind: "check_in_desk".into(),
            public_key: hex(device.verifying_key().as_bytes()),
            status: "active".into(),
        });
        let records: Vec<BallotRecord> = ballots(&station, per_station)
            .into_iter()
            .map(|(ballot, id)| {
                let content = ballot.checked(&contest).unwrap().canonical();
                let signature = device
                    .sign(BallotRecord::signed_text(&hash, &id, &content).as_bytes())
                    .to_bytes();
                BallotRecord {
                    id,
                    content,
                    signature,
                }
            })
            .collect();
        let n = per_station as u64;
        let facts = sandoq_station::report::StationFacts {
            station: station.clone(),
            election: hash,
            tokens: (n + 1, n, 1),
            event_log: (
                7,
                Sha256::digest(format!("log {station}").as_bytes()).into(),
            ),
        };
        let mut report =
            sandoq_station::report::build(&records, &contest, &facts, &device).unwrap();
        for role in ["head", "secretary", "member"] {
            let name = if label.is_empty() {
                format!("{station}-{role}")
            } else {
                format!("{station}-{label}-{role}")
            };
            let official = key(&format!("official {name}"));
            input.officials.push(Official {
                username: name.clone(),
                station: station.clone(),
                signing_key: hex(official.verifying_key().as_bytes()),
            });
            sandoq_station::report::add_cosignature(&mut report, &name, &official);
        }
        input.reports.push((station.clone(), report.to_string()));
        input
            .ballots
            .push((station, BallotRecord::list_json(&records)));
    }
    input
}

/// Writes a fresh record of `stations` stations into a new temporary directory.
pub fn record(name: &str, stations: usize) -> PathBuf {
    let dir = temp(name);
    sandoq_record::write(&dir, &election(stations, 6)).unwrap();
    dir
}

pub fn verify(dir: &Path) -> Result<sandoq_record::Verified, Vec<sandoq_record::Problem>> {
    sandoq_record::verify(dir, &mut |_, _, _| {})
}

/// The codes of the problems verify finds, each once, sorted; empty when it verifies.
pub fn codes(dir: &Path) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = match verify(dir) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(|p| p.code).collect(),
    };
    codes.sort_unstable();
    codes.dedup();
    codes
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn read_manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("RECORD.json")).unwrap()).unwrap()
}

fn write_manifest(dir: &Path, manifest: &Value) {
    std::fs::write(dir.join("RECORD.json"), sandoq_record::canonical(manifest)).unwrap();
}

/// What an attacker does after changing `file`: its size and SHA-256 in the manifest made to
/// match, the Merkle root over the reports recomputed from the report files as they are now,
/// and the manifest written again in its canonical form.
pub fn rehash(dir: &Path, file: &str) {
    let mut manifest = read_manifest(dir);
    let bytes = std::fs::read(dir.join(file)).unwrap();
    for part in ["public", "restricted"] {
        for entry in manifest[part].as_array_mut().unwrap() {
            if entry["path"] == file {
                entry["sha256"] = json!(sha256_hex(&bytes));
                entry["bytes"] = json!(bytes.len());
            }
        }
    }
    let mut reports = std::collections::BTreeMap::new();
    for station in manifest["stations"]["reported"].as_array().unwrap() {
        let station = station.as_str().unwrap().to_string();
        let bytes = std::fs::read(dir.join(format!("public/reports/{station}.json"))).unwrap();
        reports.insert(station, bytes);
    }
    manifest["reports_root"] = json!(hex(&sandoq_record::reports_root(&reports)));
    write_manifest(dir, &manifest);
}

/// Adds an entry to the manifest's `part` list, as an attacker would, and writes it canonically.
pub fn list_in_manifest(dir: &Path, part: &str, path: &str, bytes: &[u8]) {
    let mut manifest = read_manifest(dir);
    manifest[part]
        .as_array_mut()
        .unwrap()
        .push(json!({"path": path, "sha256": sha256_hex(bytes), "bytes": bytes.len()}));
    write_manifest(dir, &manifest);
}

/// Sets the size the manifest gives `file`, and writes it canonically.
pub fn declare_size(dir: &Path, file: &str, size: u64) {
    let mut manifest = read_manifest(dir);
    for part in ["public", "restricted"] {
        for entry in manifest[part].as_array_mut().unwrap() {
            if entry["path"] == file {
                entry["bytes"] = json!(size);
            }
        }
    }
    write_manifest(dir, &manifest);
}
