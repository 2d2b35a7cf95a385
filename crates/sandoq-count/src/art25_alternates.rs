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
