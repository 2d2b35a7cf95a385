//! Seats per group (article 24 clauses 2-3 and the interpretive law; TEHRAN_RULES.md §3).
//!
//! Largest remainder with the Hare quota q(X) = S·T(X)/D in exact rationals,
//! an optional threshold, caps at the number of candidates with re-runs among
//! the remaining groups, and vacant seats when no group can take them. This is
//! [`sandoq_apportion::largest_remainder`] with the Hare quota: one engine for
//! the law and for the generic methods.

use crate::art24_votes::Totals;
use crate::election::Contest;
use crate::Rules;
use sandoq_apportion::largest_remainder::{LrInput, Quota, Round};
use sandoq_apportion::{
    largest_remainder_resolved, ApportionError, ImmaterialTie, Lot, Ratio, Threshold,
    ThresholdOutcome,
};

/// The seats of one group (a list, or the independents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSeats {
    pub group: u32,
    pub votes: u64,
    pub candidates: u32,
    pub qualified: bool,
    /// q(X) in the round that fixed the group's seats; `None` if it took part in no round.
    pub quota: Option<Ratio>,
    pub whole: u32,
    pub remainder_seat: bool,
    pub seats: u32,
    pub capped: bool,
    /// Index of the round that fixed its seats.
    pub round: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct SeatAllocation {
    pub groups: Vec<GroupSeats>,
    pub rounds: Vec<Round>,
    pub threshold: Option<ThresholdOutcome>,
    pub vacant: u32,
    pub lots: Vec<Lot>,
    pub immaterial_ties: Vec<ImmaterialTie>,
}

pub fn allocate_seats(
    contest: &Contest,
    totals: &Totals,
    rules: &Rules,
) -> Result<SeatAllocation, ApportionError> {
    let n = contest.n_groups();
    let names: Vec<String> = (0..n as u32)
        .map(|g| contest.group_code(g).to_string())
        .collect();
    let votes = &totals.group_votes;
    let caps: Vec<Option<u32>> = contest
        .groups
        .iter()
        .map(|members| Some(members.len() as u32))
        .collect();
    let threshold = rules
        .threshold_percent
        .as_ref()
        .map(|percent| Threshold::percent(percent.clone()).apply(&names, votes, 0));
    let qualified = threshold
        .as_ref()
        .map_or_else(|| vec![true; n], |t| t.qualified.clone());
    let input = LrInput {
        votes,
        caps: &caps,
        qualified: &qualified,
        seats: contest.seats,
        quota: Quota::Hare,
    };
    let (outcome, record) = largest_remainder_resolved(&input, &names, &rules.ties)?;
    let mut groups: Vec<GroupSeats> = (0..n)
        .map(|g| GroupSeats {
            group: g as u32,
            votes: votes[g],
            candidates: contest.groups[g].len() as u32,
            qualified: qualified[g],
            quota: None,
            whole: 0,
            remainder_seat: false,
            seats: outcome.seats[g],
            capped: outcome.capped[g],
            round: None,
        })
        .collect();
    for (r, round) in outcome.rounds.iter().enumerate() {
        for entry in &round.entries {
            let group = &mut groups[entry.party];
            group.quota = Some(entry.quotient.clone());
            group.whole = entry.whole;
            group.remainder_seat = entry.remainder_seats > 0;
            group.round = Some(r);
        }
    }
    Ok(SeatAllocation {
        groups,
        rounds: outcome.rounds,
        threshold,
        vacant: outcome.vacant,
        lots: record.lots,
        immaterial_ties: record.immaterial,
    })
}
