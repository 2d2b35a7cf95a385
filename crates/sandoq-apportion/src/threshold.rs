//! Electoral thresholds (CLI_CONTRACTS.md `threshold`; TEHRAN_RULES.md §3 step 1).
//!
//! A party qualifies if 100·votes ≥ percent·base (strictly greater when
//! `accept_equal` is false); base = the sum of the votes, plus blank votes when
//! `include_blank`. Exempt parties always qualify; `per_party` overrides the
//! percent for a party.

use crate::exact::{int, Ratio};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    pub percent: Ratio,
    pub accept_equal: bool,
    pub include_blank: bool,
    pub exempt: Vec<String>,
    pub per_party: BTreeMap<String, Ratio>,
}

impl Threshold {
    pub fn percent(percent: Ratio) -> Threshold {
        Threshold {
            percent,
            accept_equal: true,
            include_blank: false,
            exempt: Vec::new(),
            per_party: BTreeMap::new(),
        }
    }

    pub fn apply(&self, names: &[String], votes: &[u64], blank_votes: u64) -> ThresholdOutcome {
        let mut base: u128 = votes.iter().map(|&v| u128::from(v)).sum();
        if self.include_blank {
            base += u128::from(blank_votes);
        }
        let base_ratio = int(base);
        let qualified = names
            .iter()
            .zip(votes)
            .map(|(name, &v)| {
                if self.exempt.iter().any(|e| e == name) {
                    return true;
                }
                let percent = self.per_party.get(name).unwrap_or(&self.percent);
                let lhs = int(100u32) * int(v);
                let rhs = percent.clone() * base_ratio.clone();
                if self.accept_equal {
                    lhs >= rhs
                } else {
                    lhs > rhs
                }
            })
            .collect();
        ThresholdOutcome { base, qualified }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdOutcome {
    /// The votes the percent is taken of.
    pub base: u128,
    pub qualified: Vec<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::frac;

    #[test]
    fn equal_is_accepted_only_when_asked() {
        let names = vec!["A".to_string(), "B".to_string()];
        let mut t = Threshold::percent(int(5));
        assert_eq!(t.apply(&names, &[95, 5], 0).qualified, vec![true, true]);
        t.accept_equal = false;
        assert_eq!(t.apply(&names, &[95, 5], 0).qualified, vec![true, false]);
    }

    #[test]
    fn blank_exempt_and_per_party() {
        let names = vec!["A".to_string(), "B".to_string()];
        let mut t = Threshold::percent(frac(13, 4));
        t.include_blank = true;
        assert_eq!(t.apply(&names, &[965, 33], 2).qualified, vec![true, true]);
        assert_eq!(t.apply(&names, &[965, 32], 3).qualified, vec![true, false]);
        t.exempt.push("B".into());
        assert_eq!(t.apply(&names, &[965, 0], 3).qualified, vec![true, true]);
        t.exempt.clear();
        t.per_party.insert("B".into(), int(1));
        assert_eq!(t.apply(&names, &[965, 32], 3).qualified, vec![true, true]);
    }
}
