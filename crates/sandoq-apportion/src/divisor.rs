//! Divisor (highest averages) methods: seats are handed out one at a time to
//! the party with the highest priority votes / d(n), n = seats it holds.
//! Every comparison is exact; Huntington-Hill compares squared priorities
//! v² / (n(n+1)) so that no square root is ever taken.

use crate::exact::{frac, int, Ratio};
use crate::tie::{NewTie, Replay, TiePoint};
use num_bigint::BigInt;
use std::cmp::Ordering;

/// A divisor method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Divisor {
    /// n + 1
    DHondt,
    /// 2n + 1
    SainteLague,
    /// `first` for n = 0, then 2n + 1
    ModifiedSainteLague { first: Ratio },
    /// n (every party with votes gets a first seat before any gets a second)
    Adams,
    /// sqrt(n(n+1))
    HuntingtonHill,
}

/// The priority of a party for its next seat. Infinite when its divisor is zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Priority {
    Infinite,
    /// votes / divisor; for Huntington-Hill, the square v² / (n(n+1)).
    Finite(Ratio),
}

impl Ord for Priority {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Priority::Infinite, Priority::Infinite) => Ordering::Equal,
            (Priority::Infinite, _) => Ordering::Greater,
            (_, Priority::Infinite) => Ordering::Less,
            (Priority::Finite(a), Priority::Finite(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Divisor {
    pub fn priority(&self, votes: u64, held: u32) -> Priority {
        let n = BigInt::from(held);
        let v = BigInt::from(votes);
        match self {
            Divisor::DHondt => Priority::Finite(frac(v, n + 1u8)),
            Divisor::SainteLague => Priority::Finite(frac(v, n * 2u8 + 1u8)),
            Divisor::ModifiedSainteLague { first } => {
                if held == 0 {
                    Priority::Finite(int(v) / first.clone())
                } else {
                    Priority::Finite(frac(v, n * 2u8 + 1u8))
                }
            }
            Divisor::Adams => {
                if held == 0 {
                    Priority::Infinite
                } else {
                    Priority::Finite(frac(v, n))
                }
            }
            Divisor::HuntingtonHill => {
                if held == 0 {
                    Priority::Infinite
                } else {
                    Priority::Finite(frac(v.clone() * v, n.clone() * (n + 1u8)))
                }
            }
        }
    }

    /// How a priority reads to a person: `votes/divisor`.
    pub fn describe(&self, votes: u64, held: u32) -> String {
        match self {
            Divisor::DHondt => format!("{votes}/{}", u64::from(held) + 1),
            Divisor::SainteLague => format!("{votes}/{}", 2 * u64::from(held) + 1),
            Divisor::ModifiedSainteLague { first } if held == 0 => {
                format!("{votes}/{}", crate::exact::fraction_string(first))
            }
            Divisor::ModifiedSainteLague { .. } => format!("{votes}/{}", 2 * u64::from(held) + 1),
            Divisor::Adams if held == 0 => "∞".to_string(),
            Divisor::Adams => format!("{votes}/{held}"),
            Divisor::HuntingtonHill if held == 0 => "∞".to_string(),
            Divisor::HuntingtonHill => {
                format!("{votes}/sqrt({})", u64::from(held) * (u64::from(held) + 1))
            }
        }
    }
}

/// One seat handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award {
    /// 1-based number of the seat.
    pub seat: u32,
    pub party: usize,
    /// The priority that won it, as a person reads it (`votes/divisor`).
    pub priority: String,
    /// Given before the race as a guaranteed minimum.
    pub minimum: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisorOutcome {
    pub seats: Vec<u32>,
    pub vacant: u32,
    pub awards: Vec<Award>,
}

#[derive(Debug, Clone)]
pub struct DivisorInput<'a> {
    pub votes: &'a [u64],
    pub caps: &'a [Option<u32>],
    pub qualified: &'a [bool],
    pub seats: u32,
    pub divisor: Divisor,
    /// Seats every qualifying party gets first (capped by its cap).
    pub min_seats: u32,
}

/// One deterministic run; ties are asked of `replay`.
pub fn run(input: &DivisorInput<'_>, replay: &mut Replay<'_>) -> Result<DivisorOutcome, NewTie> {
    let n = input.votes.len();
    let cap = |p: usize| input.caps[p].unwrap_or(u32::MAX);
    let mut seats = vec![0u32; n];
    let mut awards = Vec::new();
    let mut assigned: u32 = 0;
    for p in (0..n).filter(|&p| input.qualified[p]) {
        let minimum = input.min_seats.min(cap(p));
        for _ in 0..minimum {
            seats[p] += 1;
            assigned += 1;
            awards.push(Award {
                seat: assigned,
                party: p,
                priority: "min".to_string(),
                minimum: true,
            });
        }
    }
    let mut priorities: Vec<Option<Priority>> = (0..n)
        .map(|p| {
            eligible(input, p, seats[p]).then(|| input.divisor.priority(input.votes[p], seats[p]))
        })
        .collect();
    while assigned < input.seats {
        let best = priorities.iter().flatten().max().cloned();
        let Some(best) = best else { break };
        let tied: Vec<usize> = (0..n)
            .filter(|&p| priorities[p].as_ref() == Some(&best))
            .collect();
        let left = (input.seats - assigned) as usize;
        let winners = if tied.len() <= left {
            tied.clone()
        } else {
            replay.decide(TiePoint {
                stage: "highest_average",
                tied: tied.clone(),
                slots: left,
            })?
        };
        for p in winners {
            let described = input.divisor.describe(input.votes[p], seats[p]);
            seats[p] += 1;
            assigned += 1;
            awards.push(Award {
                seat: assigned,
                party: p,
                priority: described,
                minimum: false,
            });
            priorities[p] = eligible(input, p, seats[p])
                .then(|| input.divisor.priority(input.votes[p], seats[p]));
        }
    }
    Ok(DivisorOutcome {
        vacant: input.seats - assigned,
        seats,
        awards,
    })
}

/// A party may win a further seat: it qualified, has votes, and is below its cap.
fn eligible(input: &DivisorInput<'_>, party: usize, held: u32) -> bool {
    input.qualified[party] && input.votes[party] > 0 && held < input.caps[party].unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocate(votes: &[u64], seats: u32, divisor: Divisor) -> Vec<u32> {
        let caps = vec![None; votes.len()];
        let qualified = vec![true; votes.len()];
        let input = DivisorInput {
            votes,
            caps: &caps,
            qualified: &qualified,
            seats,
            divisor,
            min_seats: 0,
        };
        run(&input, &mut Replay::new(&[])).unwrap().seats
    }

    #[test]
    fn textbook_divisors() {
        let votes = [100_000, 80_000, 30_000, 20_000];
        assert_eq!(allocate(&votes, 8, Divisor::DHondt), vec![4, 3, 1, 0]);
        assert_eq!(allocate(&votes, 8, Divisor::SainteLague), vec![3, 3, 1, 1]);
        assert_eq!(allocate(&[10, 1, 1], 3, Divisor::Adams), vec![1, 1, 1]);
    }

    #[test]
    fn priorities_order_exactly() {
        assert!(Priority::Infinite > Priority::Finite(int(1_000_000)));
        let hh = Divisor::HuntingtonHill;
        // 1000/sqrt(2) ≈ 707.1 > 1200/sqrt(6) ≈ 489.9
        assert!(hh.priority(1000, 1) > hh.priority(1200, 2));
    }
}
