//! The ballot box file (issue 4 §5): the same ballots in any order give the same bytes and the
//! same commitment; every record is signed and any change is seen; ballots are checked with the
//! counting engine's rules; a box opens only for its own device and election.

use ed25519_dalek::SigningKey;
use sandoq_station::{merkle, Ballot, BallotBox, BallotRecord};
use std::path::PathBuf;

fn contest() -> sandoq_count::Contest {
    sandoq_count::ElectionDefinition {
        seats: 3,
        lists: vec![sandoq_count::ListDefinition {
            code: "101".into(),
            name: "امید".into(),
            candidates: vec!["10101".into(), "10102".into()],
        }],
        independents: vec!["9001".into(), "9002".into()],
    }
    .validate()
    .unwrap()
}

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sandoq-box-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const ELECTION: [u8; 32] = [42; 32];

fn key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

/// 300 ballots with fixed ids.
fn ballots() -> Vec<([u8; 16], Ballot)> {
    let contest = contest();
    let kinds = [
        Ballot::List("101".into()),
        Ballot::Candidates(vec!["9002".into(), "10101".into()]),
        Ballot::Candidates(vec!["۱۰۱۰۲".into()]),
        Ballot::Blank,
    ];
    (0..300u32)
        .map(|i| {
            let mut id = [0u8; 16];
            id[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
            id[4..8].copy_from_slice(&i.to_le_bytes());
            (id, kinds[i as usize % 4].checked(&contest).unwrap())
        })
        .collect()
}

#[test]
fn the_same_ballots_in_any_order_give_the_same_file_and_commitment() {
    let dir = dir("order");
    let ballots = ballots();
    let mut shuffled = ballots.clone();
    // A fixed shuffle: reverse, then interleave halves.
    shuffled.reverse();
    let (a, b) = shuffled.split_at(shuffled.len() / 2);
    let shuffled: Vec<_> = a
        .iter()
        .zip(b)
        .flat_map(|(x, y)| [x.clone(), y.clone()])
        .collect();
    let mut roots = Vec::new();
    for (name, order) in [("forward.box", &ballots), ("shuffled.box", &shuffled)] {
        let mut ballot_box = BallotBox::create(&dir.join(name), 1024, ELECTION, key()).unwrap();
        for (id, ballot) in order.iter() {
            ballot_box.cast_with_id(ballot, *id).unwrap();
        }
        assert_eq!(ballot_box.count(), 300);
        roots.push(ballot_box.commitment().unwrap());
    }
    assert_eq!(roots[0], roots[1]);
    let forward = std::fs::read(dir.join("forward.box")).unwrap();
    let shuffled = std::fs::read(dir.join("shuffled.box")).unwrap();
    assert!(
        forward == shuffled,
        "the file's bytes depend on the set of ballots only"
    );
    // Nothing in the file is a timestamp or a counter: a box with one ballot fewer differs only
    // in that ballot's slot.
    let mut fewer = BallotBox::create(&dir.join("fewer.box"), 1024, ELECTION, key()).unwrap();
    for (id, ballot) in &ballots[1..] {
        fewer.cast_with_id(ballot, *id).unwrap();
    }
    let fewer = std::fs::read(dir.join("fewer.box")).unwrap();
    let differing = forward
        .chunks(512)
        .zip(fewer.chunks(512))
        .filter(|(x, y)| x != y)
        .count();
    assert_eq!(differing, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn records_are_signed_and_any_change_is_seen() {
    let dir = dir("tamper");
    let path = dir.join("ballots.box");
    let mut ballot_box = BallotBox::create(&path, 64, ELECTION, key()).unwrap();
    for (id, ballot) in ballots().iter().take(20) {
        ballot_box.cast_with_id(ballot, *id).unwrap();
    }
    let (count, root) = ballot_box.commitment().unwrap();
    assert_eq!(count, 20);
    let public = key().verifying_key();
    let records = ballot_box.records().unwrap();
    assert!(records.iter().all(|r| r.verify(&public, &ELECTION)));
    assert!(
        !records[0].verify(&public, &[0; 32]),
        "bound to its election"
    );
    assert!(!records[0].verify(&SigningKey::from_bytes(&[1; 32]).verifying_key(), &ELECTION));
    assert!(records
        .iter()
        .any(|r| r.content == r#"{"candidates":["10101","9002"]}"#));
    drop(ballot_box);
    // Flip one byte of one ballot's content on disk: the slot no longer checks out, is counted
    // as unreadable and left in place.
    let mut bytes = std::fs::read(&path).unwrap();
    let slot = bytes
        .chunks(512)
        .skip(1)
        .position(|s| s.starts_with(b"SQB1"))
        .unwrap();
    bytes[(slot + 1) * 512 + 90] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (reopened, opened) = BallotBox::open(&path, ELECTION, key()).unwrap();
    assert_eq!(opened.unreadable, 1);
    assert_eq!(reopened.unreadable(), 1);
    let (count_after, root_after) = reopened.commitment().unwrap();
    assert_eq!(count_after, 19);
    assert_ne!(root, root_after);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ballots_are_checked_by_the_counting_rules() {
    let contest = contest();
    let refused = |ballot: Ballot| ballot.checked(&contest).unwrap_err().code;
    assert_eq!(refused(Ballot::List("999".into())), "unknown_code");
    assert_eq!(refused(Ballot::List("9001".into())), "not_a_list");
    assert_eq!(
        refused(Ballot::Candidates(vec!["101".into()])),
        "list_in_candidate_ballot"
    );
    assert_eq!(
        refused(Ballot::Candidates(vec!["9001".into(), "9001".into()])),
        "duplicate_candidate"
    );
    assert_eq!(
        refused(Ballot::Candidates(
            ["9001", "9002", "10101", "10102"]
                .map(String::from)
                .to_vec()
        )),
        "too_many_candidates"
    );
    assert_eq!(
        refused(Ballot::Candidates(vec![])),
        "empty_candidate_ballot"
    );
    // Typed order is not kept; Persian digits are normalised.
    assert_eq!(
        Ballot::Candidates(vec!["9002".into(), "۱۰۱۰۱".into()])
            .checked(&contest)
            .unwrap()
            .canonical(),
        r#"{"candidates":["10101","9002"]}"#
    );
}

#[test]
fn a_box_opens_only_for_its_device_and_election() {
    let dir = dir("owner");
    let path = dir.join("ballots.box");
    drop(BallotBox::create(&path, 8, ELECTION, key()).unwrap());
    let code = |r: Result<_, sandoq_station::BoxError>| r.map(|_| ()).unwrap_err().code;
    assert_eq!(
        code(BallotBox::open(
            &path,
            ELECTION,
            SigningKey::from_bytes(&[1; 32])
        )),
        "ballot_box_mismatch"
    );
    assert_eq!(
        code(BallotBox::open(&path, [0; 32], key())),
        "ballot_box_mismatch"
    );
    assert_eq!(
        BallotBox::create(&path, 8, ELECTION, key())
            .unwrap_err()
            .code,
        "ballot_box_exists",
        "an existing box is never replaced"
    );
    std::fs::write(dir.join("other.box"), vec![1u8; 4096]).unwrap();
    assert_eq!(
        code(BallotBox::open(&dir.join("other.box"), ELECTION, key())),
        "not_a_ballot_box"
    );
    let mut small = BallotBox::create(&dir.join("small.box"), 2, ELECTION, key()).unwrap();
    small.cast(&Ballot::Blank).unwrap();
    small.cast(&Ballot::Blank).unwrap();
    assert_eq!(
        small.cast(&Ballot::Blank).unwrap_err().code,
        "ballot_box_full"
    );
    assert_eq!(merkle::hex(&[0xab, 0x01]), "ab01");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The centre and `sandoq verify` check a station's records in one batch
/// (`BallotRecord::first_unsigned`): it passes a box's own records and names the first record that
/// is wrong in any way (another key, another election, altered content or id, a signature whose
/// `R` is not a point or whose `s` is not reduced), wherever it lies in the batch, and agrees
/// with checking each record on its own.
#[test]
fn a_batch_of_records_is_checked_as_each_record_would_be() {
    use sandoq_station::BallotRecord;
    let dir = dir("batch");
    let mut ballot_box = BallotBox::create(&dir.join("b.box"), 512, ELECTION, key()).unwrap();
    for (id, ballot) in ballots().iter() {
        ballot_box.cast_with_id(ballot, *id).unwrap();
    }
    let records = ballot_box.records().unwrap();
    let public = key().verifying_key();
    assert_eq!(records.len(), 300);
    assert_eq!(
        BallotRecord::first_unsigned(&records, &public, &ELECTION),
        None
    );
    assert_eq!(
        BallotRecord::first_unsigned(&records[..1], &public, &ELECTION),
        None
    );
    assert_eq!(BallotRecord::first_unsigned(&[], &public, &ELECTION), None);
    let other = SigningKey::from_bytes(&[1; 32]);
    assert_eq!(
        BallotRecord::first_unsigned(&records, &other.verifying_key(), &ELECTION),
        Some(0)
    );
    assert_eq!(
        BallotRecord::first_unsigned(&records, &public, &[0; 32]),
        Some(0)
    );
    type Spoil = fn(&mut BallotRecord);
    let spoilers: [(&str, Spoil); 6] = [
        ("content", |r| r.content.push(' ')),
        ("id", |r| r.id[3] ^= 1),
        ("signature's R", |r| r.signature[5] ^= 1),
        // An R that decodes to no point of the curve (y = 2).
        ("R off the curve", |r| {
            r.signature[..32]
                .copy_from_slice(&[2; 1].iter().chain(&[0; 31]).copied().collect::<Vec<_>>())
        }),
        ("signature's s", |r| r.signature[40] ^= 1),
        // s + ℓ: the same point equation, but not the canonical scalar Ed25519 requires.
        ("s not reduced", |r| {
            const L: [u8; 32] = [
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
                0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
            ];
            let mut carry = 0u16;
            for (byte, l) in r.signature[32..].iter_mut().zip(L) {
                let sum = u16::from(*byte) + u16::from(l) + carry;
                *byte = sum as u8;
                carry = sum >> 8;
            }
        }),
    ];
    for (what, spoil) in spoilers {
        for at in [0, 137, 299] {
            let mut batch = records.clone();
            spoil(&mut batch[at]);
            assert!(!batch[at].verify(&public, &ELECTION), "{what} at {at}");
            assert_eq!(
                BallotRecord::first_unsigned(&batch, &public, &ELECTION),
                Some(at),
                "{what} at {at}"
            );
        }
    }
    // The same record signed by another device's key, in a batch of this device's records.
    let mut foreign = BallotBox::create(&dir.join("f.box"), 16, ELECTION, other).unwrap();
    foreign.cast_with_id(&ballots()[0].1, [7; 16]).unwrap();
    let mut batch = records.clone();
    batch[200] = foreign.records().unwrap().remove(0);
    assert_eq!(
        BallotRecord::first_unsigned(&batch, &public, &ELECTION),
        Some(200)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The list a station sends and the centre keeps is written by hand; it must be, byte for byte,
/// what `serde_json` gives for the same list of objects (the centre compares a list sent again
/// with the one it kept, and the record's readers parse it), whatever the content holds.
#[test]
fn the_list_of_records_is_the_json_of_its_objects() {
    use sandoq_station::merkle::hex;
    let contents = [
        String::new(),
        r#"{"kind":"list","list":"L01"}"#.to_string(),
        "quote \" backslash \\ slash / tab \t newline \n nul \u{0} bell \u{7} del \u{7f}"
            .to_string(),
        "فهرست «امید» — ۱۲۳ \u{200c} \u{2028} \u{fffd} 😀".to_string(),
    ];
    let records: Vec<BallotRecord> = contents
        .iter()
        .enumerate()
        .map(|(i, content)| BallotRecord {
            id: [i as u8 * 37; 16],
            content: content.clone(),
            signature: [255 - i as u8; 64],
        })
        .collect();
    for n in 0..=records.len() {
        let values: Vec<serde_json::Value> = records[..n]
            .iter()
            .map(|r| serde_json::json!({"id": hex(&r.id), "content": r.content, "signature": hex(&r.signature)}))
            .collect();
        let expected = serde_json::Value::Array(values).to_string();
        assert_eq!(BallotRecord::list_json(&records[..n]), expected);
    }
}
