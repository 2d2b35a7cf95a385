//! Vacancies and succession (article 25; TEHRAN_RULES.md §5).
//!
//! When a member leaves, the first remaining alternate of the member's own
//! group takes the seat; if that group has none left, the remaining alternate
//! with the most votes of any group does (equal votes: lot, or reported). If no
//! alternate remains anywhere the seat stays vacant. The state carries over
//! from one vacancy to the next, so a chain of vacancies is handled in order.

use crate::election::{normalize_code, Contest, Entry};
use crate::TallyResult;
use sandoq_apportion::tie::{LotsRequired, TieBreak, TiePolicy};
use sandoq_apportion::Lot;
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuccessionRule {
    /// The first remaining alternate of the same group.
    SameGroup,
    /// The group had none left: the alternate with the most votes of any group.
    MostVotesAnyGroup,
    /// No alternate left anywhere: the seat stays vacant.
    Vacant,
}

impl SuccessionRule {
    pub fn name(self) -> &'static str {
        match self {
            SuccessionRule::SameGroup => "same_group",
            SuccessionRule::MostVotesAnyGroup => "most_votes_any_group",
            SuccessionRule::Vacant => "vacant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Succession {
    pub leaving: String,
    pub group: String,
    pub successor: Option<String>,
    pub successor_group: Option<String>,
    pub successor_votes: Option<u64>,
    pub rule: SuccessionRule,
    pub lot: Option<Lot>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuccessionError {
    /// The code is not a sitting member (never elected, or already left).
    NotAMember {
        code: String,
    },
    LotsRequired(LotsRequired),
}

/// Applies the vacancies in order and says who takes each seat.
pub fn succession(
    contest: &Contest,
    result: &TallyResult,
    leaving: &[String],
    ties: &TiePolicy,
) -> Result<Vec<Succession>, SuccessionError> {
    let votes = &result.candidate_votes;
    let mut members: Vec<u32> = result
        .members
        .iter()
        .flat_map(|g| g.elected().iter().copied())
        .collect();
    let mut alternates: Vec<VecDeque<u32>> = result
        .members
        .iter()
        .map(|g| g.alternates().iter().copied().collect())
        .collect();
    let code_of = |c: u32| contest.candidates[c as usize].code.clone();
    let group_of = |c: u32| contest.candidates[c as usize].group;
    let mut out = Vec::new();
    for code in leaving {
        let normalized = normalize_code(code);
        let position = match contest.lookup(&normalized) {
            Some(Entry::Candidate(c)) => members.iter().position(|&m| m == c),
            _ => None,
        };
        let Some(position) = position else {
            return Err(SuccessionError::NotAMember { code: normalized });
        };
        let leaving_member = members.remove(position);
        let group = group_of(leaving_member);
        let mut step = Succession {
            leaving: code_of(leaving_member),
            group: contest.group_code(group).to_string(),
            successor: None,
            successor_group: None,
            successor_votes: None,
            rule: SuccessionRule::Vacant,
            lot: None,
        };
        let successor = if let Some(next) = alternates[group as usize].pop_front() {
            step.rule = SuccessionRule::SameGroup;
            Some(next)
        } else {
            let fronts: Vec<u32> = alternates
                .iter()
                .filter_map(|a| a.front().copied())
                .collect();
            match fronts.iter().map(|&c| votes[c as usize]).max() {
                None => None,
                Some(best) => {
                    step.rule = SuccessionRule::MostVotesAnyGroup;
                    let tied: Vec<u32> = fronts
                        .iter()
                        .copied()
                        .filter(|&c| votes[c as usize] == best)
                        .collect();
                    let chosen = if tied.len() == 1 {
                        tied[0]
                    } else {
                        let tied_codes: Vec<String> = tied.iter().map(|&c| code_of(c)).collect();
                        let seed = match ties.tie_break {
                            TieBreak::Lot | TieBreak::MostVotes => ties.lot_seed.as_deref(),
                            TieBreak::Report => None,
                        };
                        let Some(seed) = seed else {
                            return Err(SuccessionError::LotsRequired(LotsRequired {
                                stage: "succession".into(),
                                group: None,
                                tied: tied_codes,
                                seats_at_stake: 1,
                                votes: best,
                            }));
                        };
                        let lot = Lot::draw("succession", None, &tied_codes, seed, 1);
                        let winner = tied
                            .iter()
                            .copied()
                            .find(|&c| code_of(c) == lot.winners[0])
                            .unwrap_or(tied[0]);
                        step.lot = Some(lot);
                        winner
                    };
                    alternates[group_of(chosen) as usize].pop_front();
                    Some(chosen)
                }
            }
        };
        if let Some(successor) = successor {
            members.push(successor);
            step.successor = Some(code_of(successor));
            step.successor_group = Some(contest.group_code(group_of(successor)).to_string());
            step.successor_votes = Some(votes[successor as usize]);
        }
        out.push(step);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::election::{ElectionDefinition, ListDefinition};
    use crate::{compute, BallotReader, ExcessCandidates, Rules, Tally};

    /// Lists A (a1..a3) and B (b1..b3), 4 seats; A and B each elect 2 with one alternate.
    fn council(rules: &Rules) -> (Contest, TallyResult) {
        let contest = ElectionDefinition {
            seats: 4,
            lists: vec![
                ListDefinition {
                    code: "A".into(),
                    name: "A".into(),
                    candidates: vec!["a1".into(), "a2".into(), "a3".into()],
                },
                ListDefinition {
                    code: "B".into(),
                    name: "B".into(),
                    candidates: vec!["b1".into(), "b2".into(), "b3".into()],
                },
            ],
            independents: vec![],
        }
        .validate()
        .unwrap();
        let mut tally = Tally::new(&contest);
        let mut reader = BallotReader::new(&contest, ExcessCandidates::Ignore);
        for (codes, n) in [
            (&["a1"][..], 5),
            (&["a2"], 4),
            (&["a3"], 1),
            (&["b1"], 5),
            (&["b2"], 4),
            (&["b3"], 1),
        ] {
            for _ in 0..n {
                let vote = reader.clean_candidates(codes.iter().copied()).unwrap();
                tally.add_one(vote);
            }
        }
        let result = compute(&contest, &tally, rules).unwrap();
        (contest, result)
    }

    #[test]
    fn same_group_first_then_most_votes_of_any_group_then_vacant() {
        let report = Rules::default();
        let (contest, result) = council(&report);
        // a1 leaves: a3 follows from the same group, no tie.
        let steps = succession(&contest, &result, &["a1".into()], &report.ties).unwrap();
        assert_eq!(steps[0].successor.as_deref(), Some("a3"));
        assert_eq!(steps[0].rule, SuccessionRule::SameGroup);
        // a1 then a2 leave: A has no alternate left; b3 is the only one left anywhere.
        let steps = succession(
            &contest,
            &result,
            &["a1".into(), "a2".into(), "b1".into()],
            &report.ties,
        )
        .unwrap();
        assert_eq!(steps[1].successor.as_deref(), Some("b3"));
        assert_eq!(steps[1].rule, SuccessionRule::MostVotesAnyGroup);
        assert_eq!(steps[2].rule, SuccessionRule::Vacant);
    }

    #[test]
    fn a_member_cannot_leave_twice() {
        let rules = Rules::default();
        let (contest, result) = council(&rules);
        let error =
            succession(&contest, &result, &["a1".into(), "a1".into()], &rules.ties).unwrap_err();
        assert_eq!(error, SuccessionError::NotAMember { code: "a1".into() });
        let error = succession(&contest, &result, &["a3".into()], &rules.ties).unwrap_err();
        assert_eq!(
            error,
            SuccessionError::NotAMember { code: "a3".into() },
            "an alternate is not a member"
        );
    }

    #[test]
    fn equal_alternates_of_two_groups_need_a_lot() {
        // Lists A (a1, a2) and B (b1, b2) and C (c1): 3 seats, one each; alternates a2 and b2
        // have equal votes; when c1 leaves, C has none left and a2/b2 tie.
        let contest = ElectionDefinition {
            seats: 3,
            lists: vec![
                ListDefinition {
                    code: "A".into(),
                    name: "A".into(),
                    candidates: vec!["a1".into(), "a2".into()],
                },
                ListDefinition {
                    code: "B".into(),
                    name: "B".into(),
                    candidates: vec!["b1".into(), "b2".into()],
                },
                ListDefinition {
                    code: "C".into(),
                    name: "C".into(),
                    candidates: vec!["c1".into()],
                },
            ],
            independents: vec![],
        }
        .validate()
        .unwrap();
        let mut tally = Tally::new(&contest);
        let mut reader = BallotReader::new(&contest, ExcessCandidates::Ignore);
        for (codes, n) in [
            (&["a1"][..], 6),
            (&["a2"], 2),
            (&["b1"], 6),
            (&["b2"], 2),
            (&["c1"], 8),
        ] {
            for _ in 0..n {
                let vote = reader.clean_candidates(codes.iter().copied()).unwrap();
                tally.add_one(vote);
            }
        }
        let report = Rules::default();
        let result = compute(&contest, &tally, &report).unwrap();
        assert_eq!(result.group_seats(), vec![1, 1, 1, 0]);
        match succession(&contest, &result, &["c1".into()], &report.ties) {
            Err(SuccessionError::LotsRequired(tie)) => {
                assert_eq!(tie.tied, vec!["a2", "b2"]);
                assert_eq!(tie.stage, "succession");
            }
            other => panic!("{other:?}"),
        }
        let lot = TiePolicy::from_options(None, Some("announced seed".into()));
        let steps = succession(&contest, &result, &["c1".into()], &lot).unwrap();
        let drawn = steps[0].lot.as_ref().expect("a lot is drawn");
        assert_eq!(steps[0].successor.as_ref(), Some(&drawn.winners[0]));
        assert_eq!(steps[0].rule, SuccessionRule::MostVotesAnyGroup);
    }
}
