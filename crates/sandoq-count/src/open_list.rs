//! Who is elected inside a group, and its alternates (TEHRAN_RULES.md §4, and
//! the alternates of article 25, §5).
//!
//! Candidates are ranked by V(c), most votes first; the first k are elected and
//! the next a = floor((52k + 50) / 100) are alternates, in order. A tie between
//! candidates matters when it crosses the elected line, touches the alternates
//! (whose order decides succession) or crosses the end of the alternates; it is
//! then ordered by lot, or reported.

use crate::election::Contest;
use sandoq_apportion::tie::{LotsRequired, TieBreak, TiePolicy};
use sandoq_apportion::Lot;

/// Alternates due to a group with `elected` members: 52 %, rounded half up.
pub fn alternates_due(elected: u32) -> u32 {
    (52 * elected + 50) / 100
}

/// The ranking of one group after ties are ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembers {
    /// All members, best first.
    pub ranking: Vec<u32>,
    /// Candidates with equal votes who are all elected: a tie that decides nothing.
    pub ties_among_elected: Vec<Vec<u32>>,
    pub elected: usize,
    pub alternates: usize,
}

impl GroupMembers {
    pub fn elected(&self) -> &[u32] {
        &self.ranking[..self.elected]
    }

    pub fn alternates(&self) -> &[u32] {
        &self.ranking[self.elected..self.elected + self.alternates]
    }
}

/// Ranks every group. Ties that matter are ordered by lot when the policy can; all
/// those it cannot are reported together.
pub fn elect_members(
    contest: &Contest,
    candidate_votes: &[u64],
    seats: &[u32],
    ties: &TiePolicy,
) -> Result<(Vec<GroupMembers>, Vec<Lot>), Vec<LotsRequired>> {
    let mut all = Vec::new();
    let mut lots = Vec::new();
    let mut required = Vec::new();
    let seed = match ties.tie_break {
        TieBreak::Lot | TieBreak::MostVotes => ties.lot_seed.as_deref(),
        TieBreak::Report => None,
    };
    for (g, members) in contest.groups.iter().enumerate() {
        let group_code = contest.group_code(g as u32);
        let mut ranking = members.clone();
        ranking.sort_by(|&a, &b| {
            candidate_votes[b as usize]
                .cmp(&candidate_votes[a as usize])
                .then(a.cmp(&b))
        });
        let k = (seats[g] as usize).min(ranking.len());
        let a = (alternates_due(k as u32) as usize).min(ranking.len() - k);
        let mut start = 0;
        let mut ties_among_elected = Vec::new();
        while start < ranking.len() {
            let votes = candidate_votes[ranking[start] as usize];
            let mut end = start + 1;
            while end < ranking.len() && candidate_votes[ranking[end] as usize] == votes {
                end += 1;
            }
            let immaterial = end - start < 2 || end <= k || start >= k + a;
            if end - start >= 2 && end <= k {
                ties_among_elected.push(ranking[start..end].to_vec());
            }
            if !immaterial {
                let straddles_elected = start < k && k < end;
                let stage = if straddles_elected {
                    "elected"
                } else {
                    "alternates"
                };
                let places = if straddles_elected {
                    k - start
                } else {
                    (k + a).min(end) - start
                };
                let tied: Vec<String> = ranking[start..end]
                    .iter()
                    .map(|&c| contest.candidates[c as usize].code.clone())
                    .collect();
                match seed {
                    Some(seed) => {
                        let lot = Lot::draw(stage, Some(group_code), &tied, seed, places);
                        let order = lot.order();
                        let reordered: Vec<u32> = order
                            .iter()
                            .filter_map(|code| {
                                ranking[start..end]
                                    .iter()
                                    .copied()
                                    .find(|&c| contest.candidates[c as usize].code == *code)
                            })
                            .collect();
                        ranking[start..end].copy_from_slice(&reordered);
                        lots.push(lot);
                    }
                    None => required.push(LotsRequired {
                        stage: stage.to_string(),
                        group: Some(group_code.to_string()),
                        tied,
                        seats_at_stake: places as u32,
                        votes,
                    }),
                }
            }
            start = end;
        }
        all.push(GroupMembers {
            ties_among_elected,
            ranking,
            elected: k,
            alternates: a,
        });
    }
    if required.is_empty() {
        Ok((all, lots))
    } else {
        Err(required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternates_are_52_percent_rounded_half_up() {
        assert_eq!(alternates_due(21), 11);
        assert_eq!(alternates_due(3), 2);
        assert_eq!(alternates_due(1), 1);
        assert_eq!(alternates_due(0), 0);
        assert_eq!(alternates_due(2), 1);
        assert_eq!(alternates_due(25), 13);
    }
}
