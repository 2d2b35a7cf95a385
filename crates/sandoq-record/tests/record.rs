//! The election record: a small complete one written and verified; the golden record under
//! `testdata/record/small` verified as committed; and tampering: one byte changed at 1,000 random
//! places, and reports deleted or duplicated, each time refused, naming the file.

use ed25519_dalek::SigningKey;
use sandoq_record::{Device, Input, Official};
use sandoq_registry::synthetic::Rng;
use sandoq_station::{Ballot, BallotBox};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// An official's co-signing key, fixed for the test (real ones are random and kept wrapped).
fn official_key(name: &str) -> SigningKey {
    use sha2::Digest;
    SigningKey::from_bytes(&sha2::Sha256::digest(format!("record test official {name}")).into())
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sandoq-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A small election (5 seats, two lists, two independents), `stations` stations each with a
/// few ballots, every report signed and co-signed: the input of a record, made with the
/// station's own library.
fn election(stations: usize, seed: u64) -> Input {
    let export = json!({
        "format": "sandoq-election-v1",
        "election": {"code": "record-test", "kind": "training", "name_fa": "آزمون سابقه", "name_en": "Record test",
                     "seats": 5, "constituency": "tehran-rey-tajrish", "polling_day": "1405/02/11",
                     "offline_policy": "refuse", "paper_record": false, "opens": "08:00", "closes": "18:00",
                     "rules": {"rule_set": "tehran-1405", "options": {"tie_break": "lot", "lot_seed": "record test seed"}}},
        "definition": {"format": "sandoq-definition-v1", "seats": 5,
            "lists": [
                {"code": "101", "name_fa": "امید", "name_en": "Hope", "candidates": [
                    {"code": "10101", "name_fa": "یک", "name_en": "One"}, {"code": "10102", "name_fa": "دو", "name_en": "Two"},
                    {"code": "10103", "name_fa": "سه", "name_en": "Three"}]},
                {"code": "102", "name_fa": "آینده", "name_en": "Future", "candidates": [
                    {"code": "10201", "name_fa": "چهار", "name_en": "Four"}, {"code": "10202", "name_fa": "پنج", "name_en": "Five"}]}],
            "independents": [{"code": "9001", "name_fa": "شش", "name_en": "Six"}, {"code": "9002", "name_fa": "هفت", "name_en": "Seven"}]},
        "photos": [], "areas": [],
        "stations": (1..=stations).map(|s| json!({"code": format!("S-{s}"), "district": "T-1", "name_fa": "شعبه", "name_en": "Station", "address": ""})).collect::<Vec<_>>(),
    })
    .to_string();
    let hash: [u8; 32] = {
        use sha2::Digest;
        sha2::Sha256::digest(export.as_bytes()).into()
    };
    let (_, contest, _, _) = sandoq_record::read_election(&export).unwrap();
    let mut rng = Rng::new(seed);
    let choices = [
        Ballot::List("101".into()),
        Ballot::List("102".into()),
        Ballot::Candidates(vec!["10102".into(), "9001".into()]),
        Ballot::Candidates(vec!["10201".into(), "10202".into(), "9002".into()]),
        Ballot::Blank,
    ];
    // Each call its own directory: tests run at once, some with the same seed.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = temp(&format!("boxes-{seed}-{call}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut input = Input {
        election: export,
        ..Input::default()
    };
    for s in 1..=stations {
        let station = format!("S-{s}");
        let key = SigningKey::from_bytes(&[s as u8; 32]);
        input.devices.push(Device {
            station: station.clone(),
            kind: "check_in_desk".into(),
            public_key: sandoq_station::merkle::hex(key.verifying_key().as_bytes()),
            status: "active".into(),
        });
        let mut ballot_box =
            BallotBox::create(&dir.join(format!("{station}.box")), 256, hash, key.clone()).unwrap();
        let n = 5 + rng.below(10);
        for _ in 0..n {
            let ballot = choices[rng.below(choices.len() as u64) as usize]
                .checked(&contest)
                .unwrap();
            ballot_box.cast(&ballot).unwrap();
        }
        let records = ballot_box.records().unwrap();
        let facts = sandoq_station::report::StationFacts {
            station: station.clone(),
            election: hash,
            tokens: (n + 1, n, 1),
            event_log: (7, [s as u8; 32]),
        };
        let mut report = sandoq_station::report::build(&records, &contest, &facts, &key).unwrap();
        for role in ["head", "secretary", "member"] {
            let name = format!("{station}-{role}");
            let official = official_key(&name);
            input.officials.push(Official {
                username: name.clone(),
                station: station.clone(),
                signing_key: sandoq_station::merkle::hex(official.verifying_key().as_bytes()),
            });
            sandoq_station::report::add_cosignature(&mut report, &name, &official);
        }
        input.reports.push((station.clone(), report.to_string()));
        let records: Vec<Value> = records
            .iter()
            .map(|r| json!({"id": sandoq_station::merkle::hex(&r.id), "content": r.content, "signature": sandoq_station::merkle::hex(&r.signature)}))
            .collect();
        input
            .ballots
            .push((station, Value::Array(records).to_string()));
    }
    let _ = std::fs::remove_dir_all(&dir);
    input
}

fn verify(dir: &Path) -> Result<sandoq_record::Verified, Vec<sandoq_record::Problem>> {
    sandoq_record::verify(dir, &mut |_, _, _| {})
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn all_files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir.join(prefix)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.path().is_dir() {
            all_files(dir, &path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn a_record_is_written_and_verified_with_and_without_its_restricted_part() {
    let input = election(4, 1);
    let dir = temp("whole");
    let manifest = sandoq_record::write(&dir, &input).unwrap();
    assert_eq!(
        manifest["stations"]["reported"].as_array().unwrap().len(),
        4
    );
    let verified = verify(&dir).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(verified.restricted_checked);
    assert_eq!(verified.stations_reported, 4);
    assert_eq!(verified.ballot_records, verified.ballots);
    assert!(
        sandoq_record::write(&dir, &input).is_err(),
        "never overwritten"
    );
    // The public part alone verifies too.
    let public = temp("public");
    copy_dir(&dir, &public);
    std::fs::remove_dir_all(public.join("restricted")).unwrap();
    let verified = verify(&public).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(!verified.restricted_checked);
    // A station that did not report is named as missing, and the record still verifies.
    let mut partial = input.clone();
    partial.reports.pop();
    partial.ballots.pop();
    let missing = temp("missing");
    let manifest = sandoq_record::write(&missing, &partial).unwrap();
    assert_eq!(manifest["stations"]["missing"], json!(["S-4"]));
    verify(&missing).unwrap_or_else(|p| panic!("{p:#?}"));
    for d in [dir, public, missing] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// The stations' ballot files are written on several threads: each still holds exactly its own
/// station's records in the record's one layout, the manifest names every one with its hash, and
/// of two stations whose records cannot be read the first in order is the error.
#[test]
fn every_station_s_ballots_are_written_whole_and_the_first_bad_one_is_named() {
    let input = election(9, 7);
    let dir = temp("ballot-files");
    let manifest = sandoq_record::write(&dir, &input).unwrap();
    let listed = manifest["restricted"].as_array().unwrap();
    assert_eq!(listed.len(), 9);
    for (station, text) in &input.ballots {
        let path = format!("restricted/ballots/{station}.json");
        let bytes = std::fs::read(dir.join(&path)).unwrap();
        // The station's records, sorted by id (the box gives them in the order of its slots).
        let mut records: Vec<Value> = serde_json::from_str(text).unwrap();
        records.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        let expected = sandoq_record::canonical(&Value::Array(records));
        assert_eq!(bytes, expected.as_bytes(), "{path}");
        let entry = listed.iter().find(|e| e["path"] == path.as_str()).unwrap();
        let hash = {
            use sha2::Digest;
            sandoq_station::merkle::hex(&sha2::Sha256::digest(&bytes))
        };
        assert_eq!(entry["sha256"], hash.as_str(), "{path}");
        assert_eq!(entry["bytes"], bytes.len(), "{path}");
    }
    verify(&dir).unwrap_or_else(|p| panic!("{p:#?}"));
    let mut bad = input.clone();
    bad.ballots[7].1 = "[not json".into();
    bad.ballots[2].1 = "{".into();
    let broken = temp("ballot-files-bad");
    let error = sandoq_record::write(&broken, &bad).unwrap_err();
    assert!(error.starts_with("ballots of S-3:"), "{error}");
    for d in [dir, broken] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn the_golden_record_verifies_as_committed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/record/small");
    let verified = verify(&dir).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(verified.restricted_checked);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("../small.expected.json")).unwrap())
            .unwrap();
    assert_eq!(verified.seats, expected["seats"]);
    assert_eq!(verified.ballots, expected["ballots"].as_u64().unwrap());
}

/// The committed golden record has the files the writer makes today from the same election and the
/// same seats and ballots (ballot ids are random, so not the same bytes): a change to the record's
/// layout shows up here, not only in the verifier. To accept a deliberate change, run with
/// `SANDOQ_REGENERATE_GOLDEN=1` (it rewrites `testdata/record/small` and `small.expected.json`)
/// and commit the result.
#[test]
fn the_golden_record_is_what_the_writer_makes() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/record/small");
    let fresh = temp("golden-fresh");
    sandoq_record::write(&fresh, &election(3, 1405)).unwrap();
    let verified = verify(&fresh).unwrap();
    let expected = format!(
        "{:#}\n",
        json!({"seats": verified.seats, "ballots": verified.ballots})
    );
    if std::env::var_os("SANDOQ_REGENERATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        copy_dir(&fresh, &golden);
        std::fs::write(golden.join("../small.expected.json"), &expected).unwrap();
    }
    let (mut made, mut committed) = (Vec::new(), Vec::new());
    all_files(&fresh, "", &mut made);
    all_files(&golden, "", &mut committed);
    made.sort();
    committed.sort();
    assert_eq!(
        made, committed,
        "the record's files differ from the golden record's (SANDOQ_REGENERATE_GOLDEN=1 to accept a deliberate change)"
    );
    assert_eq!(
        std::fs::read_to_string(golden.join("../small.expected.json")).unwrap(),
        expected
    );
    let _ = std::fs::remove_dir_all(&fresh);
}

#[test]
fn one_changed_byte_anywhere_is_found_and_its_file_named() {
    let original = temp("tamper-original");
    sandoq_record::write(&original, &election(3, 7)).unwrap();
    let mut files = Vec::new();
    all_files(&original, "", &mut files);
    let sizes: Vec<(String, u64)> = files
        .iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::metadata(original.join(f)).unwrap().len(),
            )
        })
        .collect();
    let total: u64 = sizes.iter().map(|(_, n)| n).sum();
    let mut rng = Rng::new(20261125);
    let work = temp("tamper-work");
    copy_dir(&original, &work);
    for round in 0..1000 {
        // A byte chosen uniformly over all the record's bytes.
        let mut at = rng.below(total);
        let (file, _) = sizes
            .iter()
            .find(|(_, n)| {
                if at < *n {
                    true
                } else {
                    at -= n;
                    false
                }
            })
            .unwrap();
        let path = work.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let old = bytes[at as usize];
        let new = loop {
            let b = rng.below(256) as u8;
            if b != old {
                break b;
            }
        };
        bytes[at as usize] = new;
        std::fs::write(&path, &bytes).unwrap();
        let problems = verify(&work).err().unwrap_or_else(|| {
            panic!("round {round}: {file} byte {at} {old:#04x} -> {new:#04x} went unnoticed")
        });
        assert!(
            problems.iter().any(|p| p.file == *file || p.en.contains(file.as_str())),
            "round {round}: {file} byte {at} changed, but the problems name other files: {problems:#?}"
        );
        bytes[at as usize] = old;
        std::fs::write(&path, &bytes).unwrap();
    }
    verify(&work).unwrap_or_else(|p| panic!("restored: {p:#?}"));

    // A report deleted; a report duplicated under another name; a report replaced by another
    // station's; the restricted part with one ballot record dropped.
    let deleted = temp("deleted");
    copy_dir(&original, &deleted);
    std::fs::remove_file(deleted.join("public/reports/S-2.json")).unwrap();
    let problems = verify(&deleted).unwrap_err();
    assert!(
        problems.iter().any(|p| p.file == "public/reports/S-2.json"),
        "{problems:#?}"
    );
    let duplicated = temp("duplicated");
    copy_dir(&original, &duplicated);
    std::fs::copy(
        duplicated.join("public/reports/S-2.json"),
        duplicated.join("public/reports/S-2 (copy).json"),
    )
    .unwrap();
    let problems = verify(&duplicated).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.code == "unexpected_file" && p.file == "public/reports/S-2 (copy).json"),
        "{problems:#?}"
    );
    let dropped = temp("dropped");
    copy_dir(&original, &dropped);
    let path = dropped.join("restricted/ballots/S-1.json");
    let mut records: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    records.as_array_mut().unwrap().pop();
    std::fs::write(&path, sandoq_record::canonical(&records)).unwrap();
    let problems = verify(&dropped).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.code == "not_committed" && p.file == "restricted/ballots/S-1.json"),
        "{problems:#?}"
    );
    for d in [original, work, deleted, duplicated, dropped] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A record rewritten consistently by someone without the devices' keys: the manifest's hashes
/// made to match a changed result, a changed report. Caught by recomputation and signatures.
#[test]
fn a_consistently_rewritten_record_is_still_caught() {
    let dir = temp("rewritten");
    sandoq_record::write(&dir, &election(3, 9)).unwrap();
    let rehash = |dir: &Path, file: &str| {
        let manifest_path = dir.join("RECORD.json");
        let mut manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        use sha2::Digest;
        for entry in manifest["public"].as_array_mut().unwrap() {
            if entry["path"] == file {
                entry["sha256"] = json!(sandoq_station::merkle::hex(&sha2::Sha256::digest(&bytes)));
                entry["bytes"] = json!(bytes.len());
            }
        }
        std::fs::write(&manifest_path, sandoq_record::canonical(&manifest)).unwrap();
    };
    // A wrong seat.
    let path = dir.join("public/result.json");
    let mut result: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let seats = result["seats"].as_object_mut().unwrap();
    let (first, second) = {
        let keys: Vec<String> = seats.keys().cloned().collect();
        (keys[0].clone(), keys[1].clone())
    };
    let a = seats[&first].as_u64().unwrap();
    let b = seats[&second].as_u64().unwrap();
    if a > 0 {
        seats[&first] = json!(a - 1);
        seats[&second] = json!(b + 1);
    } else {
        seats[&first] = json!(a + 1);
        seats[&second] = json!(b - 1);
    }
    std::fs::write(&path, sandoq_record::canonical(&result)).unwrap();
    rehash(&dir, "public/result.json");
    let problems = verify(&dir).unwrap_err();
    assert!(
        problems.iter().any(|p| p.code == "wrong_result"),
        "{problems:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // A report's figure changed (and its hash and the root left as they are): refused.
    let dir = temp("rewritten-report");
    sandoq_record::write(&dir, &election(3, 9)).unwrap();
    let path = dir.join("public/reports/S-3.json");
    let mut report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    report["blank"] = json!(report["blank"].as_u64().unwrap() + 1);
    report["ballots"] = json!(report["ballots"].as_u64().unwrap() + 1);
    std::fs::write(&path, sandoq_record::canonical(&report)).unwrap();
    rehash(&dir, "public/reports/S-3.json");
    let problems = verify(&dir).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.file == "public/reports/S-3.json" && p.code == "bad_report_signature"),
        "{problems:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
