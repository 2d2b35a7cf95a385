//! Votes of candidates, lists and independents (article 24 clause 1; TEHRAN_RULES.md §2).
//!
//! A list ballot is counted once for its list, not once per member: V(c) is
//! computed at the end as the candidate ballots naming c plus the list ballots
//! of c's list. That keeps counting a list ballot O(1).

use crate::art23_ballot::Vote;
use crate::election::Contest;

/// The running count of one contest. Merging two tallies gives the tally of both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// List ballots per list.
    pub list_ballots: Vec<u64>,
    /// Candidate ballots naming each candidate.
    pub mentions: Vec<u64>,
    pub n_list: u64,
    pub n_candidates: u64,
    pub n_blank: u64,
    pub n_invalid: u64,
}

/// A sum that no longer fits 64 bits: only possible with forged counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountOverflow;

/// Ballot counts as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BallotCounts {
    pub cast: u64,
    pub list: u64,
    pub candidates: u64,
    pub blank: u64,
    pub invalid: u64,
}

/// V, T and D (TEHRAN_RULES.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub candidate_votes: Vec<u64>,
    pub group_votes: Vec<u64>,
    pub denominator: u64,
}

fn add(a: u64, b: u64) -> Result<u64, CountOverflow> {
    a.checked_add(b).ok_or(CountOverflow)
}

impl Tally {
    pub fn new(contest: &Contest) -> Tally {
        Tally {
            list_ballots: vec![0; contest.lists.len()],
            mentions: vec![0; contest.candidates.len()],
            n_list: 0,
            n_candidates: 0,
            n_blank: 0,
            n_invalid: 0,
        }
    }

    /// Counts one ballot.
    #[inline]
    pub fn add_one(&mut self, vote: Vote<'_>) {
        match vote {
            Vote::List(list) => {
                self.list_ballots[list as usize] += 1;
                self.n_list += 1;
            }
            Vote::Candidates(candidates) => {
                for &c in candidates {
                    self.mentions[c as usize] += 1;
                }
                self.n_candidates += 1;
            }
            Vote::Blank => self.n_blank += 1,
            Vote::Invalid => self.n_invalid += 1,
        }
    }

    /// Counts `count` identical ballots (`ballot_counts`), refusing sums beyond 64 bits.
    pub fn add_many(&mut self, vote: Vote<'_>, count: u64) -> Result<(), CountOverflow> {
        match vote {
            Vote::List(list) => {
                self.list_ballots[list as usize] = add(self.list_ballots[list as usize], count)?;
                self.n_list = add(self.n_list, count)?;
            }
            Vote::Candidates(candidates) => {
                for &c in candidates {
                    self.mentions[c as usize] = add(self.mentions[c as usize], count)?;
                }
                self.n_candidates = add(self.n_candidates, count)?;
            }
            Vote::Blank => self.n_blank = add(self.n_blank, count)?,
            Vote::Invalid => self.n_invalid = add(self.n_invalid, count)?,
        }
        self.ballots().map(|_| ())
    }

    pub fn merge(&mut self, other: &Tally) -> Result<(), CountOverflow> {
        for (a, b) in self.list_ballots.iter_mut().zip(&other.list_ballots) {
            *a = add(*a, *b)?;
        }
        for (a, b) in self.mentions.iter_mut().zip(&other.mentions) {
            *a = add(*a, *b)?;
        }
        self.n_list = add(self.n_list, other.n_list)?;
        self.n_candidates = add(self.n_candidates, other.n_candidates)?;
        self.n_blank = add(self.n_blank, other.n_blank)?;
        self.n_invalid = add(self.n_invalid, other.n_invalid)?;
        self.ballots().map(|_| ())
    }

    pub fn ballots(&self) -> Result<BallotCounts, CountOverflow> {
        let cast = add(
            add(add(self.n_list, self.n_candidates)?, self.n_blank)?,
            self.n_invalid,
        )?;
        Ok(BallotCounts {
            cast,
            list: self.n_list,
            candidates: self.n_candidates,
            blank: self.n_blank,
            invalid: self.n_invalid,
        })
    }

    /// V(c), T(group) and D.
    pub fn totals(&self, contest: &Contest) -> Result<Totals, CountOverflow> {
        let mut candidate_votes = vec![0u64; contest.candidates.len()];
        let mut group_votes = vec![0u64; contest.n_groups()];
        for (c, info) in contest.candidates.iter().enumerate() {
            let from_list = self
                .list_ballots
                .get(info.group as usize)
                .copied()
                .unwrap_or(0);
            let v = add(self.mentions[c], from_list)?;
            candidate_votes[c] = v;
            group_votes[info.group as usize] = add(group_votes[info.group as usize], v)?;
        }
        let mut denominator = 0u64;
        for &t in &group_votes {
            denominator = add(denominator, t)?;
        }
        Ok(Totals {
            candidate_votes,
            group_votes,
            denominator,
        })
    }
}

/// Ballots held in memory for counting at memory speed. Counting needs no
/// ballot order (and a store that keeps none reveals none), so the batch keeps
/// list ballots as one array of list indices and candidate ballots as one flat
/// array of candidate indices with a length per ballot: counting is then two
/// branch-free histogram passes over plain arrays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BallotBatch {
    lists: Vec<u32>,
    names: Vec<u32>,
    lengths: Vec<u32>,
    n_blank: u64,
    n_invalid: u64,
}

impl BallotBatch {
    pub fn with_capacity(list_ballots: usize, names: usize) -> Self {
        BallotBatch {
            lists: Vec::with_capacity(list_ballots),
            names: Vec::with_capacity(names),
            ..BallotBatch::default()
        }
    }

    pub fn push(&mut self, vote: Vote<'_>) {
        match vote {
            Vote::List(list) => self.lists.push(list),
            Vote::Candidates(candidates) => {
                self.names.extend_from_slice(candidates);
                self.lengths.push(candidates.len() as u32);
            }
            Vote::Blank => self.n_blank += 1,
            Vote::Invalid => self.n_invalid += 1,
        }
    }

    pub fn len(&self) -> u64 {
        self.lists.len() as u64 + self.lengths.len() as u64 + self.n_blank + self.n_invalid
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// 32-bit words of ballot data held.
    pub fn words(&self) -> usize {
        self.lists.len() + self.names.len() + self.lengths.len()
    }

    /// Counts every ballot of the batch into `tally`.
    pub fn count_into(&self, tally: &mut Tally) {
        let list_ballots = &mut tally.list_ballots[..];
        for &list in &self.lists {
            list_ballots[list as usize] += 1;
        }
        let mentions = &mut tally.mentions[..];
        for &name in &self.names {
            mentions[name as usize] += 1;
        }
        tally.n_list += self.lists.len() as u64;
        tally.n_candidates += self.lengths.len() as u64;
        tally.n_blank += self.n_blank;
        tally.n_invalid += self.n_invalid;
    }

    /// The memory floor for the benchmark: a plain pass that reads and sums every word.
    pub fn plain_sum(&self) -> u64 {
        let sum = |words: &[u32]| words.iter().map(|&w| u64::from(w)).sum::<u64>();
        sum(&self.lists) + sum(&self.names) + sum(&self.lengths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::election::{ElectionDefinition, ListDefinition};

    #[test]
    fn batch_counts_like_one_by_one() {
        let contest = ElectionDefinition {
            seats: 3,
            lists: vec![ListDefinition {
                code: "1".into(),
                name: "L".into(),
                candidates: vec!["10".into(), "11".into()],
            }],
            independents: vec!["90".into()],
        }
        .validate()
        .unwrap();
        let votes = [
            Vote::List(0),
            Vote::Candidates(&[0, 2]),
            Vote::Blank,
            Vote::Invalid,
            Vote::Candidates(&[2]),
        ];
        let mut one_by_one = Tally::new(&contest);
        let mut batch = BallotBatch::default();
        for vote in votes {
            one_by_one.add_one(vote);
            batch.push(vote);
        }
        let mut batched = Tally::new(&contest);
        batch.count_into(&mut batched);
        assert_eq!(batched, one_by_one);
        assert_eq!(batch.len(), 5);
        // lists [0], names [0, 2, 2], lengths [2, 1]
        assert_eq!(batch.plain_sum(), 7);
    }
}
