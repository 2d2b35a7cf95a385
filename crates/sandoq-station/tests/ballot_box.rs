//! The ballot box file (issue 4 §5): the same ballots in any order give the same bytes and the
//! same commitment; every record is signed and any change is seen; ballots are checked with the
//! counting engine's rules; a box opens only for its own device and election.

use ed25519_dalek::SigningKey;
use sandoq_station::{merkle, Ballot, BallotBox};
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
