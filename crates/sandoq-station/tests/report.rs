//! The station report (issue 4 §6): built from the ballot box, the token book and the event log,
//! signed by the device; verified by anyone holding the device's public key; a forged, altered or
//! inconsistent report is refused with a clear reason.

use ed25519_dalek::SigningKey;
use sandoq_station::event_log::{EventKind, EventLog};
use sandoq_station::report::{build, records_match, verify, StationFacts};
use sandoq_station::tokens::TokenBook;
use sandoq_station::{Ballot, BallotBox};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ELECTION: [u8; 32] = [7; 32];

fn contest() -> sandoq_count::Contest {
    sandoq_count::ElectionDefinition {
        seats: 3,
        lists: vec![sandoq_count::ListDefinition {
            code: "101".into(),
            name: "امید".into(),
            candidates: vec!["10101".into(), "10102".into()],
        }],
        independents: vec!["9001".into()],
    }
    .validate()
    .unwrap()
}

/// A station's day: 7 tokens issued, 6 used (one voter walked away), 6 ballots.
fn a_day(dir: &std::path::Path, key: &SigningKey) -> (Value, Vec<sandoq_station::BallotRecord>) {
    let contest = contest();
    let mut book = TokenBook::create(&dir.join("tokens.book"), 64).unwrap();
    let mut ballot_box =
        BallotBox::create(&dir.join("ballots.box"), 64, ELECTION, key.clone()).unwrap();
    let mut log = EventLog::open(&dir.join("events.log"), key.clone()).unwrap();
    log.append(1, EventKind::Opened, BTreeMap::new(), "")
        .unwrap();
    let ballots = [
        Ballot::List("101".into()),
        Ballot::List("101".into()),
        Ballot::Candidates(vec!["9001".into(), "10102".into()]),
        Ballot::Candidates(vec!["9001".into()]),
        Ballot::Blank,
        Ballot::List("۱۰۱".into()),
    ];
    for ballot in &ballots {
        let token = book.issue().unwrap();
        book.redeem(&token).unwrap();
        ballot_box.cast(&ballot.checked(&contest).unwrap()).unwrap();
    }
    let walked_away = book.issue().unwrap();
    book.void(&walked_away).unwrap();
    log.append(2, EventKind::SessionVoided, BTreeMap::new(), "")
        .unwrap();
    log.append(
        3,
        EventKind::Closed,
        BTreeMap::from([("ballots".into(), 6)]),
        "",
    )
    .unwrap();
    let facts = StationFacts {
        station: "1203".into(),
        election: ELECTION,
        tokens: book.counts().unwrap(),
        event_log: log.head(),
    };
    let records = ballot_box.records().unwrap();
    (build(&records, &contest, &facts, key).unwrap(), records)
}

fn resign(report: &Value, key: &SigningKey) -> Value {
    use ed25519_dalek::Signer;
    let mut body = report.clone();
    body.as_object_mut().unwrap().remove("signature");
    let signature = key.sign(format!("sandoq-station-report-v1\n{body}").as_bytes());
    body["signature"] = json!(sandoq_station::merkle::hex(&signature.to_bytes()));
    body
}

#[test]
fn a_report_verifies_and_a_forged_or_altered_one_is_refused() {
    let dir = std::env::temp_dir().join(format!("sandoq-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = SigningKey::from_bytes(&[3; 32]);
    let public = key.verifying_key();
    let contest = contest();
    let (report, records) = a_day(&dir, &key);
    assert_eq!(report["ballots"], 6);
    assert_eq!(report["blank"], 1);
    assert_eq!(report["list_ballots"]["101"], 3);
    assert_eq!(report["candidate_votes_direct"]["9001"], 2);
    assert_eq!(
        report["tokens"],
        json!({"issued": 7, "used": 6, "voided": 1})
    );
    assert_eq!(report["event_log"]["events"], 3);
    verify(&report, &contest, &ELECTION, "1203", &public).unwrap();
    assert!(
        records_match(&report, &records),
        "the records are the ones committed to"
    );
    assert!(
        !records_match(&report, &records[1..]),
        "a ballot missing is seen"
    );

    let code = |r: &Value, station: &str| {
        verify(r, &contest, &ELECTION, station, &public)
            .unwrap_err()
            .code
    };
    // Altered after signing.
    let mut altered = report.clone();
    altered["list_ballots"]["101"] = json!(4);
    altered["blank"] = json!(0);
    assert_eq!(code(&altered, "1203"), "bad_report_signature");
    // Signed by another key, claiming this device.
    let forged = resign(&altered, &SigningKey::from_bytes(&[4; 32]));
    assert_eq!(code(&forged, "1203"), "bad_report_signature");
    // Another device altogether.
    let mut other = report.clone();
    other["device_key"] = json!(sandoq_station::merkle::hex(
        SigningKey::from_bytes(&[4; 32]).verifying_key().as_bytes()
    ));
    assert_eq!(
        code(&resign(&other, &SigningKey::from_bytes(&[4; 32])), "1203"),
        "unknown_device"
    );
    // Another station's.
    assert_eq!(code(&report, "1204"), "report_elsewhere");
    // Signed by the device itself, but inconsistent: more ballots than tokens used; sums that do
    // not add up; a list the election does not have.
    let mut more = report.clone();
    more["tokens"]["used"] = json!(5);
    assert_eq!(code(&resign(&more, &key), "1203"), "inconsistent_report");
    let mut sums = report.clone();
    sums["blank"] = json!(2);
    assert_eq!(code(&resign(&sums, &key), "1203"), "inconsistent_report");
    let mut unknown = report.clone();
    unknown["list_ballots"]["999"] = json!(0);
    assert_eq!(code(&resign(&unknown, &key), "1203"), "inconsistent_report");
    // A candidate's total must be their direct votes plus their list's ballots; check-ins must be
    // the tokens issued.
    let mut totals = report.clone();
    let first = totals["candidate_votes"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let value = totals["candidate_votes"][&first].as_u64().unwrap();
    totals["candidate_votes"][&first] = json!(value + 1);
    assert_eq!(code(&resign(&totals, &key), "1203"), "inconsistent_report");
    let mut check_ins = report.clone();
    check_ins["check_ins"] = json!(0);
    assert_eq!(
        code(&resign(&check_ins, &key), "1203"),
        "inconsistent_report"
    );
    assert_eq!(code(&json!([1, 2]), "1203"), "malformed_report");
    // Figures near the largest number are refused, not overflowed.
    let mut huge = report.clone();
    huge["blank"] = json!(u64::MAX);
    huge["candidate_ballots"] = json!(u64::MAX);
    huge["tokens"]["used"] = json!(u64::MAX);
    huge["tokens"]["voided"] = json!(u64::MAX);
    assert_eq!(code(&resign(&huge, &key), "1203"), "inconsistent_report");
    let mut many = report.clone();
    many["candidate_ballots"] = json!(u64::MAX / 2);
    many["ballots"] = json!(u64::MAX);
    assert_eq!(code(&resign(&many, &key), "1203"), "inconsistent_report");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What the centre and `sandoq verify` ask of a station's ballot records (issue 18 §3): that they
/// count to the report's figures. A report made from them agrees; one whose figures were moved,
/// even re-signed and still consistent, does not, and neither does one with a figure missing.
#[test]
fn counts_agree_only_with_the_figures_they_count_to() {
    let dir = std::env::temp_dir().join(format!("sandoq-report-agree-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = SigningKey::from_bytes(&[5; 32]);
    let contest = contest();
    let (report, records) = a_day(&dir, &key);
    let counts = sandoq_station::report::count(&records, &contest).unwrap();
    assert!(counts.agree_with(&report));
    // The blank ballot moved to the list, re-signed: consistent, and not what the ballots say.
    let mut moved = report.clone();
    moved["blank"] = json!(0);
    moved["list_ballots"]["101"] = json!(4);
    moved["candidate_votes"]["10101"] = json!(4);
    moved["candidate_votes"]["10102"] = json!(5);
    let moved = resign(&moved, &key);
    verify(&moved, &contest, &ELECTION, "1203", &key.verifying_key()).unwrap();
    assert!(!counts.agree_with(&moved));
    for (field, value) in [
        ("blank", json!(2)),
        ("candidate_ballots", json!(1)),
        ("list_ballots", json!({"101": 2})),
        (
            "candidate_votes_direct",
            json!({"10101": 0, "10102": 1, "9001": 3}),
        ),
        ("candidate_votes_direct", json!({"10101": 0, "10102": 1})),
    ] {
        let mut changed = report.clone();
        changed[field] = value;
        assert!(!counts.agree_with(&changed), "{field}");
    }
    let mut missing = report.clone();
    missing.as_object_mut().unwrap().remove("blank");
    assert!(!counts.agree_with(&missing));
    let _ = std::fs::remove_dir_all(&dir);
}
