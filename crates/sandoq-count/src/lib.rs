//! The counting rules of Tehran's proportional council election (`tehran-1405`,
//! `TEHRAN_RULES.md`), for any constituency and any number of seats.
//!
//! Invariants: no I/O, no async, no SQL, no HTTP, no serde, no floating point,
//! no clock and no randomness (lots come from a public seed). Everything that
//! counts is an integer or an exact rational. Modules named after an article
//! implement that article.
//!
//! Flow: [`ElectionDefinition::validate`] → [`Contest`]; ballots are read by
//! [`BallotReader`] (article 23) and counted into a [`Tally`]; [`compute`]
//! turns the tally into a [`TallyResult`] (articles 24-25), which
//! [`explain`] explains in Persian and English and [`succession`] carries
//! through vacancies.

pub mod art23_ballot;
pub mod art24_seat_allocation;
pub mod art24_votes;
pub mod art25_alternates;
pub mod election;
pub mod explain;
pub mod open_list;

pub use art23_ballot::{BallotError, BallotReader, ExcessCandidates, Vote};
pub use art24_seat_allocation::{GroupSeats, SeatAllocation};
pub use art24_votes::{BallotBatch, BallotCounts, CountOverflow, Tally, Totals};
pub use art25_alternates::{succession, Succession, SuccessionError, SuccessionRule};
pub use election::{
    Contest, DefinitionProblem, ElectionDefinition, Entry, ListDefinition, INDEPENDENTS,
};
pub use explain::explain;
pub use open_list::{alternates_due, GroupMembers};
pub use sandoq_apportion::{ImmaterialTie, Lot, LotsRequired, Ratio, TieBreak, TiePolicy};

/// The name of this rule set.
pub const RULE_SET: &str = "tehran-1405";

/// The options of the rule set (TEHRAN_RULES.md), all with the defaults of the law.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub ties: TiePolicy,
    /// `threshold_percent`: none by default.
    pub threshold_percent: Option<Ratio>,
    pub excess_candidates: ExcessCandidates,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            ties: TiePolicy::report(),
            threshold_percent: None,
            excess_candidates: ExcessCandidates::Ignore,
        }
    }
}

/// Everything the count found (TEHRAN_RULES.md §7).
#[derive(Debug, Clone)]
pub struct TallyResult {
    pub seats: u32,
    pub rules: Rules,
    pub ballots: BallotCounts,
    pub candidate_votes: Vec<u64>,
    pub group_votes: Vec<u64>,
    pub denominator: u64,
    pub allocation: SeatAllocation,
    /// Per group: ranking, elected and alternates.
    pub members: Vec<GroupMembers>,
    /// Every lot drawn: first for group seats, then inside groups.
    pub lots: Vec<Lot>,
}

impl TallyResult {
    /// Seats per group.
    pub fn group_seats(&self) -> Vec<u32> {
        self.allocation.groups.iter().map(|g| g.seats).collect()
    }

    pub fn vacant_seats(&self) -> u32 {
        self.allocation.vacant
    }
}

/// Why the count stopped without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TallyStop {
    /// Ties that decide something and that the options could not resolve.
    LotsRequired(Vec<LotsRequired>),
    /// Forged counts that add up beyond 64 bits.
    Overflow,
    /// Options that cannot be used (e.g. `lot` without a seed). `code` is stable.
    Invalid {
        code: &'static str,
        en: String,
        fa: String,
    },
}

/// Articles 24 and 25 on a finished tally.
pub fn compute(contest: &Contest, tally: &Tally, rules: &Rules) -> Result<TallyResult, TallyStop> {
    if rules.ties.tie_break == TieBreak::Lot && rules.ties.lot_seed.is_none() {
        return Err(TallyStop::Invalid {
            code: "lot_seed_required",
            en: "tie_break \"lot\" needs a lot_seed".into(),
            fa: "قرعه (lot) به lot_seed نیاز دارد".into(),
        });
    }
    let ballots = tally.ballots().map_err(|_| TallyStop::Overflow)?;
    let totals = tally.totals(contest).map_err(|_| TallyStop::Overflow)?;
    let allocation = art24_seat_allocation::allocate_seats(contest, &totals, rules).map_err(
        |error| match error {
            sandoq_apportion::ApportionError::LotsRequired(lots) => {
                TallyStop::LotsRequired(vec![lots])
            }
            sandoq_apportion::ApportionError::Invalid { code, en, fa } => {
                TallyStop::Invalid { code, en, fa }
            }
        },
    )?;
    let seats: Vec<u32> = allocation.groups.iter().map(|g| g.seats).collect();
    let (members, member_lots) =
        open_list::elect_members(contest, &totals.candidate_votes, &seats, &rules.ties)
            .map_err(TallyStop::LotsRequired)?;
    let mut lots = allocation.lots.clone();
    lots.extend(member_lots);
    Ok(TallyResult {
        seats: contest.seats,
        rules: rules.clone(),
        ballots,
        candidate_votes: totals.candidate_votes,
        group_votes: totals.group_votes,
        denominator: totals.denominator,
        allocation,
        members,
        lots,
    })
}
