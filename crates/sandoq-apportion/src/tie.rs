//! Ties: never decided silently (TEHRAN_RULES.md §6, CLI_CONTRACTS.md).
//!
//! An allocation is written as a deterministic function that, whenever it meets
//! a tie that straddles a boundary (k of n tied entries get something), asks a
//! [`Replay`] for the winners. [`resolve`] runs that function again and again:
//! the first time it meets a tie, it checks whether the tie *decides anything*
//! by trying every way the tie could go (within a budget); if every way ends in
//! the same final outcome, the tie is immaterial and needs no lot. Otherwise the
//! tie-break policy decides (`lot`, `most_votes`) or the run stops with
//! [`LotsRequired`] (`report`).

use crate::lot::Lot;

/// How a tie that decides something is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    /// Stop and say a drawing of lots is required.
    Report,
    /// More votes wins; what is still tied goes to lot.
    MostVotes,
    /// Verifiable lot from the public seed.
    Lot,
}

impl TieBreak {
    pub fn name(self) -> &'static str {
        match self {
            TieBreak::Report => "report",
            TieBreak::MostVotes => "most_votes",
            TieBreak::Lot => "lot",
        }
    }
}

/// The tie-break option with its seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiePolicy {
    pub tie_break: TieBreak,
    pub lot_seed: Option<String>,
}

impl TiePolicy {
    /// The defaults of TEHRAN_RULES.md §6: `lot` when a seed is given, `report` otherwise.
    pub fn from_options(tie_break: Option<TieBreak>, lot_seed: Option<String>) -> TiePolicy {
        let tie_break = tie_break.unwrap_or(if lot_seed.is_some() {
            TieBreak::Lot
        } else {
            TieBreak::Report
        });
        TiePolicy {
            tie_break,
            lot_seed,
        }
    }

    pub fn report() -> TiePolicy {
        TiePolicy {
            tie_break: TieBreak::Report,
            lot_seed: None,
        }
    }
}

/// A tie that decides something and that the policy could not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotsRequired {
    /// `remainder_seats`, `take_back`, `highest_average`, `elected`, `alternates`, `succession`.
    pub stage: String,
    /// The group inside which candidates are tied, if any.
    pub group: Option<String>,
    /// The tied codes.
    pub tied: Vec<String>,
    /// How many of the tied entries win (seats, places or keepers).
    pub seats_at_stake: u32,
    /// The votes every tied entry has.
    pub votes: u64,
}

/// A tie that was met but decided nothing: every way it could go led to the same result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImmaterialTie {
    pub stage: String,
    pub tied: Vec<String>,
    pub seats_at_stake: u32,
}

/// A tie met by an allocation: `slots` of `tied` (entry indices) get the favourable outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiePoint {
    pub stage: &'static str,
    pub tied: Vec<usize>,
    pub slots: usize,
}

/// Raised by an allocation run that met a tie it has no decision for yet.
#[derive(Debug)]
pub struct NewTie(pub TiePoint);

/// The decisions taken so far, handed to each run of an allocation in order.
#[derive(Debug)]
pub struct Replay<'a> {
    choices: &'a [Vec<usize>],
    next: usize,
}

impl<'a> Replay<'a> {
    pub fn new(choices: &'a [Vec<usize>]) -> Self {
        Replay { choices, next: 0 }
    }

    /// The winners of this tie, or [`NewTie`] if it has not been decided yet.
    pub fn decide(&mut self, point: TiePoint) -> Result<Vec<usize>, NewTie> {
        match self.choices.get(self.next) {
            Some(choice) => {
                self.next += 1;
                Ok(choice.clone())
            }
            None => Err(NewTie(point)),
        }
    }
}

/// How many runs the materiality check may make before it calls a tie material.
const EXPLORATION_BUDGET: usize = 512;

/// What [`resolve`] hands back besides the outcome.
#[derive(Debug, Default)]
pub struct TieRecord {
    pub lots: Vec<Lot>,
    pub immaterial: Vec<ImmaterialTie>,
}

/// Runs `run` to completion, deciding every tie it meets as described in the module docs.
/// `names[i]` and `votes[i]` describe entry `i`; `key` extracts what must not
/// depend on an immaterial tie (for seats: the final seats of every party).
pub fn resolve<O, K: PartialEq>(
    run: &dyn Fn(&mut Replay<'_>) -> Result<O, NewTie>,
    key: &dyn Fn(&O) -> K,
    names: &[String],
    votes: &[u64],
    policy: &TiePolicy,
) -> Result<(O, TieRecord), LotsRequired> {
    let mut choices: Vec<Vec<usize>> = Vec::new();
    let mut record = TieRecord::default();
    loop {
        let point = match run(&mut Replay::new(&choices)) {
            Ok(outcome) => return Ok((outcome, record)),
            Err(NewTie(point)) => point,
        };
        let tied_names: Vec<String> = point.tied.iter().map(|&i| names[i].clone()).collect();
        if !is_material(run, key, &choices, &point) {
            record.immaterial.push(ImmaterialTie {
                stage: point.stage.to_string(),
                tied: tied_names,
                seats_at_stake: point.slots as u32,
            });
            choices.push(point.tied[..point.slots].to_vec());
            continue;
        }
        let (choice, lot) = decide_by_policy(&point, names, votes, policy, None)?;
        if let Some(lot) = lot {
            record.lots.push(lot);
        }
        choices.push(choice);
    }
}

/// Decides a material tie by the policy: the winners (entry indices) and the lot drawn, if any.
pub fn decide_by_policy(
    point: &TiePoint,
    names: &[String],
    votes: &[u64],
    policy: &TiePolicy,
    group: Option<&str>,
) -> Result<(Vec<usize>, Option<Lot>), LotsRequired> {
    let mut sure: Vec<usize> = Vec::new();
    let mut contenders: Vec<usize> = point.tied.clone();
    let mut slots = point.slots;
    if policy.tie_break == TieBreak::MostVotes {
        let mut by_votes = point.tied.clone();
        by_votes.sort_by(|&a, &b| votes[b].cmp(&votes[a]));
        let boundary = votes[by_votes[point.slots - 1]];
        sure = by_votes
            .iter()
            .copied()
            .filter(|&i| votes[i] > boundary)
            .collect();
        contenders = by_votes
            .iter()
            .copied()
            .filter(|&i| votes[i] == boundary)
            .collect();
        contenders.sort_unstable();
        slots = point.slots - sure.len();
        if slots == contenders.len() {
            sure.extend(contenders);
            return Ok((sure, None));
        }
    }
    let contender_names: Vec<String> = contenders.iter().map(|&i| names[i].clone()).collect();
    let seed = match (policy.tie_break, &policy.lot_seed) {
        (TieBreak::Lot | TieBreak::MostVotes, Some(seed)) => seed,
        _ => {
            return Err(LotsRequired {
                stage: point.stage.to_string(),
                group: group.map(str::to_string),
                tied: contender_names,
                seats_at_stake: slots as u32,
                votes: contenders.first().map_or(0, |&i| votes[i]),
            })
        }
    };
    let lot = Lot::draw(point.stage, group, &contender_names, seed, slots);
    for winner in &lot.winners {
        if let Some(position) = contender_names.iter().position(|name| name == winner) {
            sure.push(contenders[position]);
        }
    }
    Ok((sure, Some(lot)))
}

/// Whether some way the tie could go changes the final key.
fn is_material<O, K: PartialEq>(
    run: &dyn Fn(&mut Replay<'_>) -> Result<O, NewTie>,
    key: &dyn Fn(&O) -> K,
    choices: &[Vec<usize>],
    point: &TiePoint,
) -> bool {
    let mut budget = EXPLORATION_BUDGET;
    let mut first: Option<K> = None;
    let mut prefix = choices.to_vec();
    for subset in combinations(&point.tied, point.slots) {
        prefix.push(subset);
        let same = explore(run, key, &mut prefix, &mut first, &mut budget);
        prefix.pop();
        if !same {
            return true;
        }
    }
    false
}

/// Runs every continuation of `prefix`; false as soon as one differs from `first`
/// or the budget runs out (an unexplored tie counts as material).
fn explore<O, K: PartialEq>(
    run: &dyn Fn(&mut Replay<'_>) -> Result<O, NewTie>,
    key: &dyn Fn(&O) -> K,
    prefix: &mut Vec<Vec<usize>>,
    first: &mut Option<K>,
    budget: &mut usize,
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match run(&mut Replay::new(prefix)) {
        Ok(outcome) => {
            let this = key(&outcome);
            match first {
                Some(seen) => *seen == this,
                None => {
                    *first = Some(this);
                    true
                }
            }
        }
        Err(NewTie(point)) => {
            for subset in combinations(&point.tied, point.slots) {
                prefix.push(subset);
                let same = explore(run, key, prefix, first, budget);
                prefix.pop();
                if !same {
                    return false;
                }
            }
            true
        }
    }
}

/// All `k`-element subsets of `items`, in lexicographic order of positions, at most
/// `EXPLORATION_BUDGET + 1` of them (more would exceed the budget anyway).
fn combinations(items: &[usize], k: usize) -> Vec<Vec<usize>> {
    let n = items.len();
    let mut out = Vec::new();
    if k > n {
        return out;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        out.push(idx.iter().map(|&i| items[i]).collect());
        if out.len() > EXPLORATION_BUDGET {
            return out;
        }
        let mut i = k;
        loop {
            if i == 0 {
                return out;
            }
            i -= 1;
            if idx[i] != i + n - k {
                break;
            }
            if i == 0 {
                return out;
            }
        }
        if idx[i] == i + n - k {
            return out;
        }
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_enumerate_all_subsets() {
        assert_eq!(
            combinations(&[1, 2, 3], 2),
            vec![vec![1, 2], vec![1, 3], vec![2, 3]]
        );
        assert_eq!(combinations(&[7, 8], 0), vec![Vec::<usize>::new()]);
        assert_eq!(combinations(&[7, 8], 2), vec![vec![7, 8]]);
        assert_eq!(combinations(&[0, 1, 2, 3, 4], 3).len(), 10);
    }
}
