//! Exact seat apportionment.
//!
//! Invariants: no I/O, no floating point, no randomness, no clock. Every
//! comparison is exact (integers and big rationals). A tie that decides a seat
//! is never broken silently: it is resolved by the caller's [`TiePolicy`]
//! (verifiable lot from a public seed, or most votes) or reported as
//! [`LotsRequired`].
//!
//! The methods and options are those of `CLI_CONTRACTS.md` (`sandoq apportion`);
//! the Tehran rule set (`sandoq-count`) uses [`largest_remainder`] with the Hare
//! quota, caps and the threshold of this crate.

pub mod divisor;
pub mod exact;
pub mod largest_remainder;
pub mod lot;
pub mod threshold;
pub mod tie;

pub use exact::Ratio;
pub use lot::Lot;
pub use threshold::{Threshold, ThresholdOutcome};
pub use tie::{ImmaterialTie, LotsRequired, TieBreak, TiePolicy};

use divisor::{Divisor, DivisorInput};
use largest_remainder::{LrInput, Quota};

/// Every method `sandoq apportion` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Hare,
    Droop,
    HagenbachBischoffLr,
    ImperialiLr,
    DHondt,
    SainteLague,
    ModifiedSainteLague,
    Adams,
    HuntingtonHill,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::Hare,
        Method::Droop,
        Method::HagenbachBischoffLr,
        Method::ImperialiLr,
        Method::DHondt,
        Method::SainteLague,
        Method::ModifiedSainteLague,
        Method::Adams,
        Method::HuntingtonHill,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Hare => "hare",
            Method::Droop => "droop",
            Method::HagenbachBischoffLr => "hagenbach_bischoff_lr",
            Method::ImperialiLr => "imperiali_lr",
            Method::DHondt => "dhondt",
            Method::SainteLague => "sainte_lague",
            Method::ModifiedSainteLague => "modified_sainte_lague",
            Method::Adams => "adams",
            Method::HuntingtonHill => "huntington_hill",
        }
    }

    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn is_largest_remainder(self) -> bool {
        matches!(
            self,
            Method::Hare | Method::Droop | Method::HagenbachBischoffLr | Method::ImperialiLr
        )
    }
}

/// How a Hagenbach-Bischoff quota is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuotaRounding {
    #[default]
    None,
    RoundHalfUp,
}

/// One party (or group, or state) and its votes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub votes: u64,
    /// At most this many seats (e.g. a list with this many candidates).
    pub max_seats: Option<u32>,
}

/// A complete apportionment request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub seats: u32,
    pub parties: Vec<Party>,
    pub blank_votes: u64,
    pub threshold: Option<Threshold>,
    /// The first divisor of `modified_sainte_lague` (default 7/5 = 1.4).
    pub first_divisor: Option<Ratio>,
    /// Seats every qualifying party gets first (divisor methods; `huntington_hill` default 1).
    pub min_seats: Option<u32>,
    pub quota_rounding: QuotaRounding,
    pub ties: TiePolicy,
}

/// The largest seat count a request may ask for; larger ones are refused, not computed slowly.
pub const MAX_SEATS: u32 = 100_000;
/// The most parties a request may hold.
pub const MAX_PARTIES: usize = 10_000;
/// Seats × parties beyond which a divisor method is refused: it hands out seats
/// one at a time over every party, and such a request would run for minutes.
/// Real assemblies are far below it (the US House: 435 × 50).
pub const MAX_DIVISOR_WORK: u64 = 20_000_000;

/// Everything an apportionment found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub method: Method,
    /// Seats per party, in the order of the request.
    pub seats: Vec<u32>,
    /// Whether the party passed the threshold (all true without one).
    pub qualified: Vec<bool>,
    pub threshold: Option<ThresholdOutcome>,
    /// Seats no party could take (no qualifying votes left, or every party capped).
    pub vacant: u32,
    /// Largest remainder methods: every round.
    pub rounds: Vec<largest_remainder::Round>,
    /// Divisor methods: every seat in the order it was handed out.
    pub awards: Vec<divisor::Award>,
    /// Parties that hit their cap.
    pub capped: Vec<bool>,
    pub lots: Vec<Lot>,
    pub immaterial_ties: Vec<ImmaterialTie>,
    /// Options given that this method does not use.
    pub ignored_options: Vec<&'static str>,
}

/// Why an apportionment did not produce seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApportionError {
    /// A tie decides a seat and the tie-break policy could not resolve it.
    LotsRequired(LotsRequired),
    /// The request itself is unusable. `code` is stable.
    Invalid {
        code: &'static str,
        en: String,
        fa: String,
    },
}

impl ApportionError {
    pub fn invalid(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> Self {
        ApportionError::Invalid {
            code,
            en: en.into(),
            fa: fa.into(),
        }
    }
}

impl From<LotsRequired> for ApportionError {
    fn from(lots: LotsRequired) -> Self {
        ApportionError::LotsRequired(lots)
    }
}

/// Runs the request.
pub fn apportion(request: &Request) -> Result<Outcome, ApportionError> {
    validate(request)?;
    let names: Vec<String> = request.parties.iter().map(|p| p.name.clone()).collect();
    let votes: Vec<u64> = request.parties.iter().map(|p| p.votes).collect();
    let caps: Vec<Option<u32>> = request.parties.iter().map(|p| p.max_seats).collect();
    let threshold = request
        .threshold
        .as_ref()
        .map(|t| t.apply(&names, &votes, request.blank_votes));
    let qualified: Vec<bool> = match &threshold {
        Some(outcome) => outcome.qualified.clone(),
        None => vec![true; votes.len()],
    };
    let mut ignored_options = Vec::new();
    if request.first_divisor.is_some() && request.method != Method::ModifiedSainteLague {
        ignored_options.push("first_divisor");
    }
    if request.quota_rounding != QuotaRounding::None
        && request.method != Method::HagenbachBischoffLr
    {
        ignored_options.push("quota_rounding");
    }
    if request.min_seats.is_some() && request.method.is_largest_remainder() {
        ignored_options.push("min_seats");
    }
    let mut outcome = Outcome {
        method: request.method,
        seats: vec![0; votes.len()],
        qualified: qualified.clone(),
        threshold,
        vacant: 0,
        rounds: Vec::new(),
        awards: Vec::new(),
        capped: vec![false; votes.len()],
        lots: Vec::new(),
        immaterial_ties: Vec::new(),
        ignored_options,
    };
    if request.method.is_largest_remainder() {
        let quota = match request.method {
            Method::Hare => Quota::Hare,
            Method::Droop => Quota::Droop,
            Method::HagenbachBischoffLr => Quota::HagenbachBischoff {
                round_half_up: request.quota_rounding == QuotaRounding::RoundHalfUp,
            },
            _ => Quota::Imperiali,
        };
        let input = LrInput {
            votes: &votes,
            caps: &caps,
            qualified: &qualified,
            seats: request.seats,
            quota,
        };
        let (lr, record) = largest_remainder_resolved(&input, &names, &request.ties)?;
        outcome.seats = lr.seats;
        outcome.capped = lr.capped;
        outcome.vacant = lr.vacant;
        outcome.rounds = lr.rounds;
        outcome.lots = record.lots;
        outcome.immaterial_ties = record.immaterial;
    } else {
        let divisor = match request.method {
            Method::DHondt => Divisor::DHondt,
            Method::SainteLague => Divisor::SainteLague,
            Method::ModifiedSainteLague => Divisor::ModifiedSainteLague {
                first: request
                    .first_divisor
                    .clone()
                    .unwrap_or_else(|| exact::frac(7, 5)),
            },
            Method::Adams => Divisor::Adams,
            _ => Divisor::HuntingtonHill,
        };
        let default_min = if request.method == Method::HuntingtonHill {
            1
        } else {
            0
        };
        let min_seats = request.min_seats.unwrap_or(default_min);
        let n_qualified = qualified.iter().filter(|&&q| q).count() as u64;
        if u64::from(min_seats) * n_qualified > u64::from(request.seats) {
            return Err(ApportionError::invalid(
                "min_seats_exceed_seats",
                format!(
                    "{n_qualified} parties × min_seats {min_seats} is more than the {} seats",
                    request.seats
                ),
                format!(
                    "{n_qualified} حزب × حداقل {min_seats} کرسی بیش از {} کرسی است",
                    request.seats
                ),
            ));
        }
        let input = DivisorInput {
            votes: &votes,
            caps: &caps,
            qualified: &qualified,
            seats: request.seats,
            divisor,
            min_seats,
        };
        let run = |replay: &mut tie::Replay<'_>| divisor::run(&input, replay);
        let key = |o: &divisor::DivisorOutcome| o.seats.clone();
        let (result, record) = tie::resolve(&run, &key, &names, &votes, &request.ties)?;
        for (p, &held) in result.seats.iter().enumerate() {
            outcome.capped[p] =
                caps[p].is_some_and(|cap| held >= cap && cap < u32::MAX) && held > 0;
        }
        outcome.seats = result.seats;
        outcome.vacant = result.vacant;
        outcome.awards = result.awards;
        outcome.lots = record.lots;
        outcome.immaterial_ties = record.immaterial;
    }
    Ok(outcome)
}

/// A largest-remainder allocation with every tie decided (or reported).
pub fn largest_remainder_resolved(
    input: &LrInput<'_>,
    names: &[String],
    ties: &TiePolicy,
) -> Result<(largest_remainder::LrOutcome, tie::TieRecord), ApportionError> {
    // A run can fail for a reason other than a tie (a quota rounding to zero); keep it aside.
    let failure: std::cell::RefCell<Option<ApportionError>> = std::cell::RefCell::new(None);
    let run = |replay: &mut tie::Replay<'_>| match largest_remainder::run(input, replay) {
        Ok(result) => result.map(Some),
        Err(error) => {
            *failure.borrow_mut() = Some(error);
            Ok(None)
        }
    };
    let key =
        |o: &Option<largest_remainder::LrOutcome>| o.as_ref().map(|o| (o.seats.clone(), o.vacant));
    let (result, record) = tie::resolve(&run, &key, names, input.votes, ties)?;
    match (result, failure.into_inner()) {
        (Some(outcome), _) => Ok((outcome, record)),
        (None, Some(error)) => Err(error),
        (None, None) => Err(ApportionError::invalid(
            "internal",
            "allocation failed",
            "تخصیص ناموفق بود",
        )),
    }
}

fn validate(request: &Request) -> Result<(), ApportionError> {
    if !request.method.is_largest_remainder()
        && u64::from(request.seats) * request.parties.len() as u64 > MAX_DIVISOR_WORK
    {
        return Err(ApportionError::invalid(
            "request_too_large",
            format!(
                "{} seats × {} parties is more than {MAX_DIVISOR_WORK} for a divisor method",
                request.seats,
                request.parties.len()
            ),
            format!(
                "{} کرسی × {} حزب برای روش مقسوم‌علیه از {MAX_DIVISOR_WORK} بیشتر است",
                request.seats,
                request.parties.len()
            ),
        ));
    }
    if request.seats == 0 {
        return Err(ApportionError::invalid(
            "zero_seats",
            "seats must be at least 1",
            "تعداد کرسی‌ها باید دست‌کم ۱ باشد",
        ));
    }
    if request.seats > MAX_SEATS {
        return Err(ApportionError::invalid(
            "too_many_seats",
            format!("at most {MAX_SEATS} seats can be apportioned"),
            format!("حداکثر {MAX_SEATS} کرسی قابل تخصیص است"),
        ));
    }
    if request.parties.is_empty() {
        return Err(ApportionError::invalid(
            "no_parties",
            "votes must name at least one party",
            "دست‌کم یک حزب باید رأی داشته باشد",
        ));
    }
    if request.parties.len() > MAX_PARTIES {
        return Err(ApportionError::invalid(
            "too_many_parties",
            format!("at most {MAX_PARTIES} parties"),
            format!("حداکثر {MAX_PARTIES} حزب"),
        ));
    }
    let total: u128 = request
        .parties
        .iter()
        .map(|p| u128::from(p.votes))
        .sum::<u128>()
        + u128::from(request.blank_votes);
    if total > u128::from(u64::MAX) {
        return Err(ApportionError::invalid(
            "votes_overflow",
            "the votes add up to more than 2^64",
            "مجموع آرا از ۲ به توان ۶۴ بیشتر است",
        ));
    }
    if let Some(first) = &request.first_divisor {
        if *first <= exact::int(0) {
            return Err(ApportionError::invalid(
                "bad_first_divisor",
                "first_divisor must be greater than 0",
                "first_divisor باید بزرگ‌تر از صفر باشد",
            ));
        }
    }
    if request.ties.tie_break == TieBreak::Lot && request.ties.lot_seed.is_none() {
        return Err(ApportionError::invalid(
            "lot_seed_required",
            "tie_break \"lot\" needs a lot_seed",
            "قرعه (lot) به lot_seed نیاز دارد",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, seats: u32, votes: &[(&str, u64)]) -> Request {
        Request {
            method,
            seats,
            parties: votes
                .iter()
                .map(|(n, v)| Party {
                    name: n.to_string(),
                    votes: *v,
                    max_seats: None,
                })
                .collect(),
            blank_votes: 0,
            threshold: None,
            first_divisor: None,
            min_seats: None,
            quota_rounding: QuotaRounding::None,
            ties: TiePolicy::report(),
        }
    }

    #[test]
    fn tie_for_last_seat_is_reported_not_decided() {
        let r = request(Method::DHondt, 1, &[("A", 10), ("B", 10)]);
        match apportion(&r) {
            Err(ApportionError::LotsRequired(lots)) => {
                assert_eq!(lots.tied, vec!["A", "B"]);
                assert_eq!(lots.seats_at_stake, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tie_resolved_by_lot_is_recorded() {
        let mut r = request(Method::Hare, 1, &[("A", 10), ("B", 10)]);
        r.ties = TiePolicy::from_options(None, Some("seed".into()));
        let outcome = apportion(&r).unwrap();
        assert_eq!(outcome.seats.iter().sum::<u32>(), 1);
        assert_eq!(outcome.lots.len(), 1);
        let winner = &outcome.lots[0].winners[0];
        let idx = r.parties.iter().position(|p| &p.name == winner).unwrap();
        assert_eq!(outcome.seats[idx], 1);
    }

    #[test]
    fn immaterial_tie_needs_no_lot() {
        // A and B tie for the remainder seat, but A (cap 1) is capped either way
        // and the seat goes to B in the re-run: the tie decides nothing.
        let mut r = request(Method::Hare, 3, &[("A", 150), ("B", 150)]);
        r.parties[0].max_seats = Some(1);
        let outcome = apportion(&r).unwrap();
        assert_eq!(outcome.seats, vec![1, 2]);
        assert!(outcome.lots.is_empty());
        assert_eq!(outcome.immaterial_ties.len(), 1);
    }

    #[test]
    fn most_votes_breaks_group_ties() {
        // Equal D'Hondt quotients 60/2 = 30/1: most votes gives the seat to A.
        let mut r = request(Method::DHondt, 2, &[("A", 60), ("B", 30)]);
        r.ties = TiePolicy {
            tie_break: TieBreak::MostVotes,
            lot_seed: None,
        };
        assert_eq!(apportion(&r).unwrap().seats, vec![2, 0]);
    }

    #[test]
    fn caps_send_surplus_on() {
        let mut r = request(Method::DHondt, 5, &[("A", 1000), ("B", 10)]);
        r.parties[0].max_seats = Some(2);
        let outcome = apportion(&r).unwrap();
        assert_eq!(outcome.seats, vec![2, 3]);
        let mut r = request(Method::Hare, 5, &[("A", 1000), ("B", 10)]);
        r.parties[0].max_seats = Some(2);
        assert_eq!(apportion(&r).unwrap().seats, vec![2, 3]);
    }

    #[test]
    fn vacant_when_nobody_can_take_a_seat() {
        let mut r = request(Method::Hare, 5, &[("A", 1000), ("B", 0)]);
        r.parties[0].max_seats = Some(2);
        let outcome = apportion(&r).unwrap();
        assert_eq!(outcome.seats, vec![2, 0]);
        assert_eq!(outcome.vacant, 3);
    }

    #[test]
    fn over_allocation_takes_back_smallest_remainders() {
        // Imperiali quota 100/3: quotients 1.5, 1.5 (whole 1+1 = 2 = seats... ) use a sharper case:
        // 3 parties of 100 votes, 1 seat, quota 300/3 = 100: whole parts 1,1,1 > 1 seat.
        let mut r = request(
            Method::ImperialiLr,
            1,
            &[("A", 100), ("B", 100), ("C", 100)],
        );
        r.ties = TiePolicy::from_options(None, Some("x".into()));
        let outcome = apportion(&r).unwrap();
        assert_eq!(outcome.seats.iter().sum::<u32>(), 1);
        assert_eq!(outcome.lots[0].stage, "take_back");
    }
}
