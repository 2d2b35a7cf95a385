//! Feeds arbitrary bytes to every input parser of `sandoq apportion` and
//! `sandoq tally` (election file, embedded ballots, JSONL lines) and runs the
//! count on whatever parses. Invariant: no panic, whatever the input; an
//! accepted election always fills or vacates exactly its seats.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sandoq_count::{compute, BallotReader, Tally, TallyStop};
use sandoq_json::{apportion, jsonl, tally};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = apportion::parse_request(data) {
        if request.seats <= 2_000 {
            if let Ok(outcome) = sandoq_apportion::apportion(&request) {
                assert_eq!(outcome.seats.iter().map(|&s| u64::from(s)).sum::<u64>() + u64::from(outcome.vacant), u64::from(request.seats));
            }
        }
    }
    if let Ok(election) = tally::parse_election(data) {
        if let Ok(counted) = tally::count_embedded(&election) {
            match compute(&election.contest, &counted, &election.rules) {
                Ok(result) => {
                    let filled: u32 = result.group_seats().iter().sum();
                    assert_eq!(filled + result.vacant_seats(), result.seats);
                }
                Err(TallyStop::LotsRequired(ties)) => assert!(!ties.is_empty()),
                Err(_) => {}
            }
        }
    }
    // Every line of the input as a JSONL ballot of a small fixed election.
    let election = br#"{"seats": 3, "lists": [{"code": "101", "name": "L", "candidates": ["1001", "1002"]}], "independents": ["9001"]}"#;
    if let Ok(election) = tally::parse_election(election) {
        let mut counted = Tally::new(&election.contest);
        let mut reader = BallotReader::new(&election.contest, election.rules.excess_candidates);
        for line in data.split(|&b| b == b'\n') {
            let _ = jsonl::count_line(&mut reader, &mut counted, line);
        }
    }
});
