//! The worked example of `docs/RECORD_FORMAT.md`: a tiny real record (one station, three
//! ballots; fixed keys and ballot ids, so the same bytes every time) committed under
//! `testdata/record/example/`, and `testdata/record/example.txt`, the bytes an independent
//! verifier computes from it (ballot leaves, their hashes, the Merkle root, the report's signed
//! text, the reports' root), each computed here from the format's description alone and checked
//! against sandoq's own code. The document must quote `example.txt` verbatim, so neither can
//! drift. To accept a deliberate change: `SANDOQ_REGENERATE_GOLDEN=1`, then commit (and paste
//! the new text into the document).

mod support;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sandoq_station::merkle::{hex, unhex};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/record")
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The Merkle root as the document describes it: leaves sorted, pairs hashed in order with
/// `0x01`, an odd last node carried up unchanged; written out level by level into `out`.
fn root_by_hand(mut level: Vec<[u8; 32]>, out: &mut String) -> [u8; 32] {
    level.sort_unstable();
    let mut height = 0;
    while level.len() > 1 {
        let mut next = Vec::new();
        for pair in level.chunks(2) {
            match pair {
                [left, right] => next.push(sha256(&[&[0x01], left, right])),
                [odd] => next.push(*odd),
                _ => unreachable!(),
            }
        }
        height += 1;
        let nodes: Vec<String> = next.iter().map(|n| hex(n)).collect();
        writeln!(out, "  level {height}: {}", nodes.join(" ")).unwrap();
        level = next;
    }
    level.pop().unwrap_or_else(|| sha256(&[]))
}

/// The explanation text of a record directory, computed from its files.
fn explain(dir: &Path) -> String {
    let read = |path: &str| std::fs::read(dir.join(path)).unwrap();
    let mut out = String::new();
    let election = read("public/election.json");
    let election_hash = sha256(&[&election]);
    writeln!(
        out,
        "election hash = SHA-256(public/election.json) = {}",
        hex(&election_hash)
    )
    .unwrap();
    let report_bytes = read("public/reports/S-1.json");
    let report: Value = serde_json::from_slice(&report_bytes).unwrap();
    let device =
        VerifyingKey::from_bytes(&unhex::<32>(report["device_key"].as_str().unwrap()).unwrap())
            .unwrap();
    writeln!(out, "device key of S-1 = {}", hex(device.as_bytes())).unwrap();

    // The ballot records, in the file's order (sorted by id).
    let records: Vec<Value> = serde_json::from_slice(&read("restricted/ballots/S-1.json")).unwrap();
    let mut leaves = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let id = unhex::<16>(record["id"].as_str().unwrap()).unwrap();
        let content = record["content"].as_str().unwrap();
        let signature = unhex::<64>(record["signature"].as_str().unwrap()).unwrap();
        let signed = format!(
            "sandoq-ballot-v1\n{}\n{}\n{content}",
            hex(&election_hash),
            hex(&id)
        );
        device
            .verify(signed.as_bytes(), &Signature::from_bytes(&signature))
            .expect("the ballot's signature");
        let mut leaf = Vec::new();
        leaf.extend_from_slice(&id);
        leaf.extend_from_slice(&signature);
        leaf.extend_from_slice(content.as_bytes());
        let leaf_hash = sha256(&[&[0x00], &leaf]);
        let record_struct = sandoq_station::BallotRecord {
            id,
            content: content.to_string(),
            signature,
        };
        assert_eq!(leaf, record_struct.leaf_bytes());
        assert_eq!(leaf_hash, sandoq_station::merkle::leaf(&leaf));
        writeln!(out, "\nballot record {} (file order)", i + 1).unwrap();
        writeln!(out, "  id         {}", hex(&id)).unwrap();
        writeln!(out, "  content    {content}").unwrap();
        writeln!(out, "  signed     {signed:?}").unwrap();
        writeln!(out, "  signature  {}", hex(&signature)).unwrap();
        writeln!(out, "  leaf bytes {}", hex(&leaf)).unwrap();
        writeln!(out, "  leaf hash  {}", hex(&leaf_hash)).unwrap();
        leaves.push(leaf_hash);
    }
    let mut sorted = leaves.clone();
    sorted.sort_unstable();
    let names: Vec<String> = sorted.iter().map(|l| hex(l)).collect();
    writeln!(out, "\nMerkle tree of the ballot records").unwrap();
    writeln!(out, "  leaves, sorted: {}", names.join(" ")).unwrap();
    let root = root_by_hand(leaves.clone(), &mut out);
    assert_eq!(root, sandoq_station::merkle::root(leaves));
    writeln!(out, "  root = commitment.merkle_root = {}", hex(&root)).unwrap();
    assert_eq!(
        report["commitment"]["merkle_root"].as_str(),
        Some(hex(&root).as_str())
    );

    // The report's signed text: its members in file order, `signature` and `cosignatures` (the
    // last two) left out, as compact JSON.
    let mut members: Map<String, Value> = report.as_object().unwrap().clone();
    let keys: Vec<&String> = members.keys().collect();
    assert_eq!(
        &keys[keys.len() - 2..],
        ["signature", "cosignatures"],
        "the writer puts the signatures last"
    );
    members.shift_remove("cosignatures");
    members.shift_remove("signature");
    let signed = format!(
        "sandoq-station-report-v1\n{}",
        serde_json::to_string(&Value::Object(members)).unwrap()
    );
    assert_eq!(signed, sandoq_station::report::body_text(&report));
    let signature = unhex::<64>(report["signature"].as_str().unwrap()).unwrap();
    device
        .verify(signed.as_bytes(), &Signature::from_bytes(&signature))
        .expect("the report's signature");
    for cosignature in report["cosignatures"].as_array().unwrap() {
        let key =
            VerifyingKey::from_bytes(&unhex::<32>(cosignature["key"].as_str().unwrap()).unwrap())
                .unwrap();
        let signature = unhex::<64>(cosignature["signature"].as_str().unwrap()).unwrap();
        key.verify(signed.as_bytes(), &Signature::from_bytes(&signature))
            .expect("a co-signature");
    }
    writeln!(
        out,
        "\nthe report's signed text (device signature and co-signatures), UTF-8, no final newline:"
    )
    .unwrap();
    writeln!(out, "{signed}").unwrap();
    writeln!(
        out,
        "report signature = {}",
        report["signature"].as_str().unwrap()
    )
    .unwrap();

    let report_leaf = sha256(&[&[0x00], &report_bytes]);
    let mut reports = std::collections::BTreeMap::new();
    reports.insert("S-1".to_string(), report_bytes.clone());
    let reports_root = sandoq_record::reports_root(&reports);
    assert_eq!(
        reports_root, report_leaf,
        "one report: the root is its leaf"
    );
    writeln!(
        out,
        "\nreports_root = SHA-256(00 ‖ bytes of public/reports/S-1.json) = {}",
        hex(&reports_root)
    )
    .unwrap();
    let manifest: Value = serde_json::from_slice(&read("RECORD.json")).unwrap();
    assert_eq!(
        manifest["reports_root"].as_str(),
        Some(hex(&reports_root).as_str())
    );
    out
}

fn files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir.join(prefix)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            files(dir, &path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn the_worked_example_is_what_the_writer_makes_and_the_document_quotes_it() {
    let fresh = support::temp("example");
    sandoq_record::write(&fresh, &support::election(1, 3)).unwrap();
    let text = explain(&fresh);
    let golden = testdata().join("example");
    if std::env::var_os("SANDOQ_REGENERATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        for path in {
            let mut all = Vec::new();
            files(&fresh, "", &mut all);
            all
        } {
            let target = golden.join(&path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(fresh.join(&path), target).unwrap();
        }
        std::fs::write(testdata().join("example.txt"), &text).unwrap();
    }
    let (mut made, mut committed) = (Vec::new(), Vec::new());
    files(&fresh, "", &mut made);
    files(&golden, "", &mut committed);
    made.sort();
    committed.sort();
    assert_eq!(made, committed);
    for path in &made {
        assert!(
            std::fs::read(fresh.join(path)).unwrap() == std::fs::read(golden.join(path)).unwrap(),
            "{path} differs from testdata/record/example (SANDOQ_REGENERATE_GOLDEN=1 to accept)"
        );
    }
    assert_eq!(
        std::fs::read_to_string(testdata().join("example.txt")).unwrap(),
        text
    );
    support::verify(&golden).unwrap_or_else(|p| panic!("{p:#?}"));
    let document = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/RECORD_FORMAT.md"),
    )
    .unwrap();
    assert!(
        document.contains(&text),
        "docs/RECORD_FORMAT.md must quote testdata/record/example.txt verbatim"
    );
    let _ = std::fs::remove_dir_all(fresh);
}
