//! Invariants of the Tehran rule set, checked on random elections (proptest).

use proptest::prelude::*;
use sandoq_count::{
    compute, BallotReader, ElectionDefinition, ExcessCandidates, ListDefinition, Rules, Tally,
    TiePolicy, Vote,
};

/// A random election: `lists` lists of 1..=6 candidates, 0..=5 independents, 1..=9 seats.
fn definition(list_sizes: &[usize], independents: usize, seats: u32) -> ElectionDefinition {
    ElectionDefinition {
        seats,
        lists: list_sizes
            .iter()
            .enumerate()
            .map(|(l, &n)| ListDefinition {
                code: format!("{}", 100 + l),
                name: format!("L{l}"),
                candidates: (0..n).map(|i| format!("{}{}", 100 + l, i)).collect(),
            })
            .collect(),
        independents: (0..independents).map(|i| format!("9{i:03}")).collect(),
    }
}

/// Raw ballots as code sequences drawn from the election's own codes plus an unknown one.
fn ballots_strategy() -> impl Strategy<Value = (Vec<usize>, usize, u32, Vec<Vec<usize>>)> {
    (
        prop::collection::vec(1usize..=6, 1..=4),
        0usize..=5,
        1u32..=9,
    )
        .prop_flat_map(|(sizes, independents, seats)| {
            let n_codes = sizes.len() + sizes.iter().sum::<usize>() + independents + 1;
            let ballots = prop::collection::vec(prop::collection::vec(0..n_codes, 0..=6), 0..=60);
            (Just(sizes), Just(independents), Just(seats), ballots)
        })
}

fn codes(def: &ElectionDefinition) -> Vec<String> {
    let mut codes: Vec<String> = def.lists.iter().map(|l| l.code.clone()).collect();
    codes.extend(def.lists.iter().flat_map(|l| l.candidates.iter().cloned()));
    codes.extend(def.independents.iter().cloned());
    codes.push("unknown".into());
    codes
}

fn count(def: &ElectionDefinition, ballots: &[Vec<usize>]) -> Tally {
    let contest = def.validate().unwrap();
    let all = codes(def);
    let mut tally = Tally::new(&contest);
    let mut reader = BallotReader::new(&contest, ExcessCandidates::Ignore);
    for ballot in ballots {
        let sequence: Vec<&str> = ballot.iter().map(|&i| all[i].as_str()).collect();
        let vote = reader.raw(sequence);
        tally.add_one(vote);
    }
    tally
}

fn lot_rules() -> Rules {
    Rules {
        ties: TiePolicy::from_options(None, Some("property seed".into())),
        ..Rules::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Seats add up to S unless some stay vacant; no group exceeds its candidates;
    /// every uncapped group of the final round gets the floor or the ceiling of its quota.
    #[test]
    fn seats_add_up_and_respect_quota((sizes, independents, seats, ballots) in ballots_strategy()) {
        let def = definition(&sizes, independents, seats);
        let contest = def.validate().unwrap();
        let tally = count(&def, &ballots);
        let result = compute(&contest, &tally, &lot_rules()).unwrap();
        let filled: u32 = result.group_seats().iter().sum();
        prop_assert_eq!(filled + result.vacant_seats(), seats);
        for group in &result.allocation.groups {
            prop_assert!(group.seats <= group.candidates);
            if let (Some(quota), false) = (&group.quota, group.capped) {
                let floor = quota.floor().to_integer();
                let seats = num_bigint::BigInt::from(group.seats);
                prop_assert!(seats == floor || seats == floor.clone() + 1u8, "seats {} quota {}", group.seats, quota);
            }
        }
        if result.vacant_seats() > 0 {
            // Seats stay vacant only when every group with votes is full.
            for group in &result.allocation.groups {
                prop_assert!(group.votes == 0 || group.seats == group.candidates || !group.qualified);
            }
        }
        // Elected members and alternates come from their group, best first.
        for members in &result.members {
            let votes: Vec<u64> = members.ranking.iter().map(|&c| result.candidate_votes[c as usize]).collect();
            prop_assert!(votes.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    /// The order of the ballots never changes anything.
    #[test]
    fn ballot_order_never_matters((sizes, independents, seats, ballots) in ballots_strategy(), rotation in 0usize..1000) {
        let def = definition(&sizes, independents, seats);
        let contest = def.validate().unwrap();
        let mut shuffled = ballots.clone();
        shuffled.reverse();
        let len = shuffled.len().max(1);
        shuffled.rotate_left(rotation % len);
        let a = compute(&contest, &count(&def, &ballots), &lot_rules()).unwrap();
        let b = compute(&contest, &count(&def, &shuffled), &lot_rules()).unwrap();
        prop_assert_eq!(a.group_seats(), b.group_seats());
        prop_assert_eq!(a.candidate_votes, b.candidate_votes);
        prop_assert_eq!(a.members, b.members);
        prop_assert_eq!(a.lots, b.lots);
    }

    /// One more list ballot for L never lowers V or T of L (monotonicity of votes).
    #[test]
    fn one_more_list_ballot_never_lowers_votes((sizes, independents, seats, ballots) in ballots_strategy(), pick in 0usize..4) {
        let def = definition(&sizes, independents, seats);
        let contest = def.validate().unwrap();
        let list = (pick % sizes.len()) as u32;
        let before = count(&def, &ballots);
        let mut after = before.clone();
        after.add_one(Vote::List(list));
        let (tb, ta) = (before.totals(&contest).unwrap(), after.totals(&contest).unwrap());
        prop_assert_eq!(ta.group_votes[list as usize], tb.group_votes[list as usize] + sizes[list as usize] as u64);
        for (c, info) in contest.candidates.iter().enumerate() {
            prop_assert!(ta.candidate_votes[c] >= tb.candidate_votes[c]);
            if info.group == list {
                prop_assert_eq!(ta.candidate_votes[c], tb.candidate_votes[c] + 1);
            }
        }
    }

    /// Counting in two halves and merging equals counting at once (what the parallel stream relies on).
    #[test]
    fn merged_halves_equal_one_pass((sizes, independents, seats, ballots) in ballots_strategy(), cut in 0usize..60) {
        let def = definition(&sizes, independents, seats);
        let cut = cut.min(ballots.len());
        let mut left = count(&def, &ballots[..cut]);
        left.merge(&count(&def, &ballots[cut..])).unwrap();
        prop_assert_eq!(left, count(&def, &ballots));
    }

    /// A tie is never decided silently: under `report` the count either needs no
    /// lot at all or stops; with a seed it never stops and lists every lot it drew.
    #[test]
    fn ties_are_reported_or_drawn((sizes, independents, seats, ballots) in ballots_strategy()) {
        let def = definition(&sizes, independents, seats);
        let contest = def.validate().unwrap();
        let tally = count(&def, &ballots);
        let with_lot = compute(&contest, &tally, &lot_rules()).unwrap();
        match compute(&contest, &tally, &Rules::default()) {
            Ok(result) => {
                prop_assert!(with_lot.lots.is_empty());
                prop_assert_eq!(result.group_seats(), with_lot.group_seats());
                prop_assert_eq!(result.members, with_lot.members);
            }
            Err(sandoq_count::TallyStop::LotsRequired(ties)) => prop_assert!(!ties.is_empty() && !with_lot.lots.is_empty()),
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }
}
