//! What a ballot may hold and how it is read (article 23; TEHRAN_RULES.md §1).
//!
//! Clean ballots (from the electronic ballot box) must be valid: a list code,
//! or 1..=S distinct candidate codes, or an explicit blank. Anything else is an
//! error, because the ballot box never lets such a ballot be cast.
//!
//! Raw ballots (a sequence of codes as written, from a paper fallback or an
//! import) are read under article 23 clause 2: if the sequence holds a list
//! code, only the first list counts; otherwise unknown codes are not read,
//! repeats count once, and codes after the S-th distinct candidate are not read
//! (`excess_candidates = ignore`) or void the ballot (`invalidate`). A raw
//! ballot from which nothing can be read is invalid.

use crate::election::{Contest, Entry};

/// Article 23 clause 2 option for raw ballots naming more than S candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExcessCandidates {
    #[default]
    Ignore,
    Invalidate,
}

impl ExcessCandidates {
    pub fn name(self) -> &'static str {
        match self {
            ExcessCandidates::Ignore => "ignore",
            ExcessCandidates::Invalidate => "invalidate",
        }
    }
}

/// A ballot as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote<'a> {
    List(u32),
    Candidates(&'a [u32]),
    Blank,
    Invalid,
}

/// Why a clean ballot cannot be counted. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotError {
    /// `unknown_code`, `not_a_list`, `list_in_candidate_ballot`, `duplicate_candidate`,
    /// `too_many_candidates`, `empty_candidate_ballot`.
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn error(code: &'static str, en: String, fa: String) -> BallotError {
    BallotError { code, en, fa }
}

/// Reads ballots of one contest; keeps small scratch buffers so that reading
/// millions of ballots allocates nothing per ballot.
#[derive(Debug)]
pub struct BallotReader<'c> {
    contest: &'c Contest,
    excess: ExcessCandidates,
    /// `seen[c] == stamp` when candidate `c` is already on the current ballot.
    seen: Vec<u32>,
    stamp: u32,
    chosen: Vec<u32>,
}

impl<'c> BallotReader<'c> {
    pub fn new(contest: &'c Contest, excess: ExcessCandidates) -> Self {
        BallotReader {
            contest,
            excess,
            seen: vec![0; contest.candidates.len()],
            stamp: 0,
            chosen: Vec::with_capacity(contest.seats as usize),
        }
    }

    fn next_stamp(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.stamp = 1;
        }
        self.chosen.clear();
    }

    /// `{"list": code}`.
    pub fn clean_list(&mut self, code: &str) -> Result<Vote<'_>, BallotError> {
        match self.contest.lookup(code) {
            Some(Entry::List(list)) => Ok(Vote::List(list)),
            Some(Entry::Candidate(_)) => Err(error(
                "not_a_list",
                format!("{code} is a candidate code, not a list code"),
                format!("{code} کد نامزد است، نه کد فهرست"),
            )),
            None => Err(error(
                "unknown_code",
                format!("unknown code {code}"),
                format!("کد ناشناخته {code}"),
            )),
        }
    }

    /// `{"candidates": [codes]}`: 1..=S distinct known candidate codes.
    pub fn clean_candidates<'s>(
        &mut self,
        codes: impl IntoIterator<Item = &'s str>,
    ) -> Result<Vote<'_>, BallotError> {
        self.next_stamp();
        let seats = self.contest.seats as usize;
        for code in codes {
            match self.contest.lookup(code) {
                Some(Entry::Candidate(candidate)) => {
                    let slot = &mut self.seen[candidate as usize];
                    if *slot == self.stamp {
                        return Err(error(
                            "duplicate_candidate",
                            format!("candidate {code} is named twice"),
                            format!("نامزد {code} دو بار آمده است"),
                        ));
                    }
                    *slot = self.stamp;
                    if self.chosen.len() == seats {
                        return Err(error(
                            "too_many_candidates",
                            format!("more than {seats} candidates on one ballot"),
                            format!("بیش از {seats} نامزد در یک برگ رأی"),
                        ));
                    }
                    self.chosen.push(candidate);
                }
                Some(Entry::List(_)) => {
                    return Err(error(
                        "list_in_candidate_ballot",
                        format!(
                            "{code} is a list code; a ballot holds either one list or candidates"
                        ),
                        format!("{code} کد فهرست است؛ برگ رأی یا یک فهرست دارد یا نامزدها"),
                    ))
                }
                None => {
                    return Err(error(
                        "unknown_code",
                        format!("unknown code {code}"),
                        format!("کد ناشناخته {code}"),
                    ))
                }
            }
        }
        if self.chosen.is_empty() {
            return Err(error(
                "empty_candidate_ballot",
                "a candidate ballot names no candidate; use {\"blank\": true} for a blank ballot"
                    .into(),
                "برگ رأی نامزدی، نامزدی ندارد؛ برای رأی سفید {\"blank\": true} به کار ببرید".into(),
            ));
        }
        Ok(Vote::Candidates(&self.chosen))
    }

    /// `{"raw": [codes]}`, read under article 23 clause 2. Never an error.
    pub fn raw<'s>(&mut self, codes: impl IntoIterator<Item = &'s str>) -> Vote<'_> {
        self.next_stamp();
        let seats = self.contest.seats as usize;
        let mut excess = false;
        for code in codes {
            match self.contest.lookup(code) {
                Some(Entry::List(list)) => return Vote::List(list),
                Some(Entry::Candidate(candidate)) => {
                    let slot = &mut self.seen[candidate as usize];
                    if *slot == self.stamp {
                        continue;
                    }
                    *slot = self.stamp;
                    if self.chosen.len() == seats {
                        excess = true;
                    } else {
                        self.chosen.push(candidate);
                    }
                }
                None => {}
            }
        }
        if self.chosen.is_empty() || (excess && self.excess == ExcessCandidates::Invalidate) {
            return Vote::Invalid;
        }
        Vote::Candidates(&self.chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::election::{ElectionDefinition, ListDefinition};

    fn contest(seats: u32) -> Contest {
        ElectionDefinition {
            seats,
            lists: vec![
                ListDefinition {
                    code: "101".into(),
                    name: "A".into(),
                    candidates: vec!["1001".into(), "1002".into()],
                },
                ListDefinition {
                    code: "102".into(),
                    name: "B".into(),
                    candidates: vec!["2001".into()],
                },
            ],
            independents: vec!["9001".into(), "9002".into()],
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn clean_ballots_must_be_valid() {
        let c = contest(2);
        let mut r = BallotReader::new(&c, ExcessCandidates::Ignore);
        assert_eq!(r.clean_list("102").unwrap(), Vote::List(1));
        assert_eq!(r.clean_list("1001").unwrap_err().code, "not_a_list");
        assert_eq!(r.clean_list("555").unwrap_err().code, "unknown_code");
        assert_eq!(
            r.clean_candidates(["1001", "9002"]).unwrap(),
            Vote::Candidates(&[0, 4])
        );
        assert_eq!(
            r.clean_candidates(["1001", "1001"]).unwrap_err().code,
            "duplicate_candidate"
        );
        assert_eq!(
            r.clean_candidates(["1001", "2001", "9001"])
                .unwrap_err()
                .code,
            "too_many_candidates"
        );
        assert_eq!(
            r.clean_candidates(["1001", "101"]).unwrap_err().code,
            "list_in_candidate_ballot"
        );
        assert_eq!(
            r.clean_candidates([]).unwrap_err().code,
            "empty_candidate_ballot"
        );
    }

    #[test]
    fn raw_ballots_follow_article_23_clause_2() {
        let c = contest(2);
        let mut r = BallotReader::new(&c, ExcessCandidates::Ignore);
        // The first list counts; everything else is not read.
        assert_eq!(r.raw(["9001", "102", "101", "1002"]), Vote::List(1));
        // Unknown codes are not read, repeats count once, codes after the S-th are not read.
        assert_eq!(
            r.raw(["777", "9001", "9001", "1002", "2001"]),
            Vote::Candidates(&[3, 1])
        );
        assert_eq!(r.raw(["777", "888"]), Vote::Invalid);
        assert_eq!(r.raw([]), Vote::Invalid);
        let mut strict = BallotReader::new(&c, ExcessCandidates::Invalidate);
        assert_eq!(strict.raw(["9001", "1002", "2001"]), Vote::Invalid);
        assert_eq!(
            strict.raw(["9001", "1002", "9001"]),
            Vote::Candidates(&[3, 1])
        );
    }
}
