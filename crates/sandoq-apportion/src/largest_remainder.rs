//! Largest remainder methods with caps and re-runs.
//!
//! One round: quotient = votes / quota; every party gets the whole part; if the
//! whole parts exceed the seats, one seat each is taken back from the parties
//! with the smallest remainders; otherwise the seats left go one each to the
//! largest remainders. A party whose seats exceed its cap keeps its cap and
//! leaves, all such parties at once, and the round is run again among the rest
//! for the seats not yet fixed (TEHRAN_RULES.md §3 step 4; CLI_CONTRACTS.md
//! `max_seats`). Seats that no party can take stay vacant.

use crate::exact::{frac, int, Ratio};
use crate::tie::{NewTie, Replay, TiePoint};
use crate::ApportionError;
use num_bigint::BigInt;
use num_traits::{ToPrimitive, Zero};

/// The quota of a largest-remainder method, for `votes` qualifying votes and `seats` seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// V / S
    Hare,
    /// floor(V / (S + 1)) + 1
    Droop,
    /// V / (S + 1), optionally rounded half up to a whole number
    HagenbachBischoff { round_half_up: bool },
    /// V / (S + 2)
    Imperiali,
}

impl Quota {
    pub fn compute(self, votes: u128, seats: u32) -> Result<Ratio, ApportionError> {
        let v = BigInt::from(votes);
        let s = BigInt::from(seats);
        let quota = match self {
            Quota::Hare => frac(v, s),
            Quota::Droop => int(v / (s + 1u8) + 1u8),
            Quota::HagenbachBischoff {
                round_half_up: false,
            } => frac(v, s + 1u8),
            Quota::HagenbachBischoff {
                round_half_up: true,
            } => {
                let exact = frac(v, s + 1u8);
                (exact + frac(1, 2)).floor()
            }
            Quota::Imperiali => frac(v, s + 2u8),
        };
        if quota.is_zero() {
            return Err(ApportionError::invalid(
                "quota_zero",
                format!("the quota rounds to zero ({votes} votes for {seats} seats); no seat can be allocated"),
                format!("سهمیه به صفر گرد می‌شود ({votes} رأی برای {seats} کرسی)؛ هیچ کرسی‌ای تخصیص‌پذیر نیست"),
            ));
        }
        Ok(quota)
    }
}

/// One party in one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundEntry {
    pub party: usize,
    pub votes: u64,
    /// votes / quota, exact.
    pub quotient: Ratio,
    pub whole: u32,
    pub remainder: Ratio,
    /// Seats given for the largest remainders (0 or 1 except in degenerate cases).
    pub remainder_seats: u32,
    /// A whole seat taken back because the whole parts exceeded the seats.
    pub taken_back: bool,
    /// Seats at the end of the round, before caps.
    pub seats: u32,
    /// Exceeded its cap in this round: keeps the cap and leaves.
    pub capped: bool,
}

/// One round of the allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub seats: u32,
    pub votes: u128,
    pub quota: Ratio,
    pub entries: Vec<RoundEntry>,
}

/// Result of a largest-remainder allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LrOutcome {
    pub seats: Vec<u32>,
    pub capped: Vec<bool>,
    pub vacant: u32,
    pub rounds: Vec<Round>,
}

/// The parties of an allocation.
#[derive(Debug, Clone)]
pub struct LrInput<'a> {
    pub votes: &'a [u64],
    /// `None`: no cap.
    pub caps: &'a [Option<u32>],
    /// Parties that take part (threshold passed).
    pub qualified: &'a [bool],
    pub seats: u32,
    pub quota: Quota,
}

/// One deterministic run; ties are asked of `replay`.
pub fn run(
    input: &LrInput<'_>,
    replay: &mut Replay<'_>,
) -> Result<Result<LrOutcome, NewTie>, ApportionError> {
    let n = input.votes.len();
    let mut seats = vec![0u32; n];
    let mut capped = vec![false; n];
    let mut active: Vec<usize> = (0..n).filter(|&p| input.qualified[p]).collect();
    let mut seats_left = input.seats;
    let mut rounds = Vec::new();
    let mut vacant = 0;
    loop {
        if seats_left == 0 {
            break;
        }
        let round_seats = seats_left;
        let total: u128 = active.iter().map(|&p| u128::from(input.votes[p])).sum();
        if active.is_empty() || total == 0 {
            vacant = seats_left;
            break;
        }
        let quota = input.quota.compute(total, seats_left)?;
        let mut entries: Vec<RoundEntry> = active
            .iter()
            .map(|&p| {
                let quotient = int(input.votes[p]) / quota.clone();
                let whole_part = quotient.floor();
                let remainder = quotient.clone() - whole_part.clone();
                let whole = whole_part.to_integer().to_u32().unwrap_or(u32::MAX);
                RoundEntry {
                    party: p,
                    votes: input.votes[p],
                    quotient,
                    whole,
                    remainder,
                    remainder_seats: 0,
                    taken_back: false,
                    seats: whole,
                    capped: false,
                }
            })
            .collect();
        let sum_whole: u64 = entries.iter().map(|e| u64::from(e.whole)).sum();
        let target = u64::from(seats_left);
        if sum_whole > target {
            // Over-allocation: take one seat each back from the smallest remainders.
            let mut excess = sum_whole - target;
            while excess > 0 {
                let holders: Vec<usize> = (0..entries.len())
                    .filter(|&i| entries[i].seats > 0)
                    .collect();
                let mut order = holders.clone();
                order.sort_by(|&a, &b| {
                    entries[a]
                        .remainder
                        .cmp(&entries[b].remainder)
                        .then(a.cmp(&b))
                });
                let take = (excess as usize).min(order.len());
                let losers = pick_at_boundary(&entries, &order, take, replay, "take_back", true)?;
                let losers = match losers {
                    Ok(losers) => losers,
                    Err(tie) => return Ok(Err(tie)),
                };
                for i in losers {
                    entries[i].seats -= 1;
                    entries[i].taken_back = true;
                }
                excess -= take as u64;
            }
        } else {
            let mut left = target - sum_whole;
            while left > 0 {
                let mut order: Vec<usize> = (0..entries.len()).collect();
                order.sort_by(|&a, &b| {
                    entries[b]
                        .remainder
                        .cmp(&entries[a].remainder)
                        .then(a.cmp(&b))
                });
                let give = (left as usize).min(order.len());
                let winners = match pick_at_boundary(
                    &entries,
                    &order,
                    give,
                    replay,
                    "remainder_seats",
                    false,
                )? {
                    Ok(winners) => winners,
                    Err(tie) => return Ok(Err(tie)),
                };
                for i in winners {
                    entries[i].seats += 1;
                    entries[i].remainder_seats += 1;
                }
                left -= give as u64;
            }
        }
        let mut any_capped = false;
        for entry in &mut entries {
            if let Some(cap) = input.caps[entry.party] {
                if entry.seats > cap {
                    entry.capped = true;
                    any_capped = true;
                }
            }
        }
        if !any_capped {
            for entry in &entries {
                seats[entry.party] = entry.seats;
            }
            rounds.push(Round {
                seats: round_seats,
                votes: total,
                quota,
                entries,
            });
            break;
        }
        for entry in entries.iter().filter(|e| e.capped) {
            let cap = input.caps[entry.party].unwrap_or(0);
            seats[entry.party] = cap;
            capped[entry.party] = true;
            seats_left -= cap;
        }
        active.retain(|&p| !capped[p]);
        rounds.push(Round {
            seats: round_seats,
            votes: total,
            quota,
            entries,
        });
    }
    Ok(Ok(LrOutcome {
        seats,
        capped,
        vacant,
        rounds,
    }))
}

/// The first `take` entries of `order` (positions into `entries`), asking `replay`
/// when entries with the same remainder straddle the cut. With `losers` the
/// favourable outcome for the tied entries is *keeping* the seat.
fn pick_at_boundary(
    entries: &[RoundEntry],
    order: &[usize],
    take: usize,
    replay: &mut Replay<'_>,
    stage: &'static str,
    losers: bool,
) -> Result<Result<Vec<usize>, NewTie>, ApportionError> {
    if take == 0 || take >= order.len() {
        return Ok(Ok(order[..take.min(order.len())].to_vec()));
    }
    let boundary = &entries[order[take - 1]].remainder;
    if entries[order[take]].remainder != *boundary {
        return Ok(Ok(order[..take].to_vec()));
    }
    let sure: Vec<usize> = order
        .iter()
        .copied()
        .take_while(|&i| entries[i].remainder != *boundary)
        .collect();
    let mut tied: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| entries[i].remainder == *boundary)
        .collect();
    tied.sort_unstable();
    let picked_from_tie = take - sure.len();
    // Tie points speak of parties, not of positions in this round.
    let tied_parties: Vec<usize> = tied.iter().map(|&i| entries[i].party).collect();
    let favourable = if losers {
        tied.len() - picked_from_tie
    } else {
        picked_from_tie
    };
    let winners = match replay.decide(TiePoint {
        stage,
        tied: tied_parties.clone(),
        slots: favourable,
    }) {
        Ok(winners) => winners,
        Err(tie) => return Ok(Err(tie)),
    };
    let mut picked = sure;
    for (&position, party) in tied.iter().zip(&tied_parties) {
        let won = winners.contains(party);
        if won != losers {
            picked.push(position);
        }
    }
    Ok(Ok(picked))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hare(votes: &[u64], seats: u32) -> Vec<u32> {
        let caps = vec![None; votes.len()];
        let qualified = vec![true; votes.len()];
        let input = LrInput {
            votes,
            caps: &caps,
            qualified: &qualified,
            seats,
            quota: Quota::Hare,
        };
        run(&input, &mut Replay::new(&[])).unwrap().unwrap().seats
    }

    #[test]
    fn textbook_hare() {
        // The common textbook case: 10 seats, 100,000 votes.
        assert_eq!(
            hare(&[47_000, 16_000, 15_800, 12_000, 6_100, 3_100], 10),
            vec![5, 2, 1, 1, 1, 0]
        );
    }

    #[test]
    fn quotas() {
        assert_eq!(Quota::Droop.compute(100, 4).unwrap(), int(21));
        assert_eq!(Quota::Hare.compute(100, 3).unwrap(), frac(100, 3));
        assert_eq!(
            Quota::HagenbachBischoff {
                round_half_up: true
            }
            .compute(100, 7)
            .unwrap(),
            int(13)
        );
        assert_eq!(Quota::Imperiali.compute(100, 3).unwrap(), int(20));
        assert!(Quota::HagenbachBischoff {
            round_half_up: true
        }
        .compute(1, 5)
        .is_err());
    }
}
