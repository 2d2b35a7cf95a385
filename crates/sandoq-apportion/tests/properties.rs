//! Invariants of the generic methods, checked on random inputs (proptest).

use proptest::prelude::*;
use sandoq_apportion::exact::int;
use sandoq_apportion::{apportion, Method, Party, QuotaRounding, Request, TiePolicy};

fn request(method: Method, seats: u32, votes: &[u64]) -> Request {
    Request {
        method,
        seats,
        parties: votes
            .iter()
            .enumerate()
            .map(|(i, &v)| Party {
                name: format!("P{i}"),
                votes: v,
                max_seats: None,
            })
            .collect(),
        blank_votes: 0,
        threshold: None,
        first_divisor: None,
        min_seats: None,
        quota_rounding: QuotaRounding::None,
        ties: TiePolicy::from_options(None, Some("seed".into())),
    }
}

/// The divisor definition, applied naively: the S highest of all v/d(n) over n = 0..S.
fn by_definition(votes: &[u64], seats: u32, divisor: impl Fn(u32) -> u64) -> Option<Vec<u32>> {
    let mut quotients: Vec<(num_rational::BigRational, usize)> = Vec::new();
    for (p, &v) in votes.iter().enumerate() {
        for n in 0..seats {
            quotients.push((
                num_rational::BigRational::new(v.into(), divisor(n).into()),
                p,
            ));
        }
    }
    quotients.sort_by(|a, b| b.0.cmp(&a.0));
    let s = seats as usize;
    // A tie across the cut makes the result a matter of lot: skip such inputs.
    if quotients.len() > s && quotients[s - 1].0 == quotients[s].0 {
        return None;
    }
    let mut seats_of = vec![0u32; votes.len()];
    for (_, p) in quotients.iter().take(s) {
        seats_of[*p] += 1;
    }
    Some(seats_of)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn seats_always_add_up(votes in prop::collection::vec(0u64..10_000, 1..8), seats in 1u32..40, m in 0usize..9) {
        let method = Method::ALL[m];
        prop_assume!(votes.iter().any(|&v| v > 0));
        prop_assume!(!(method == Method::HuntingtonHill && votes.len() as u32 > seats));
        let outcome = apportion(&request(method, seats, &votes)).unwrap();
        prop_assert_eq!(outcome.seats.iter().sum::<u32>() + outcome.vacant, seats);
        if method != Method::HuntingtonHill {
            prop_assert_eq!(outcome.vacant, 0);
        }
    }

    #[test]
    fn hare_gives_floor_or_ceiling_of_the_quota(votes in prop::collection::vec(1u64..10_000, 1..8), seats in 1u32..40) {
        let outcome = apportion(&request(Method::Hare, seats, &votes)).unwrap();
        let total: u64 = votes.iter().sum();
        for (p, &v) in votes.iter().enumerate() {
            let quota = int(v) * int(seats) / int(total);
            let floor = quota.floor().to_integer();
            let got = num_bigint::BigInt::from(outcome.seats[p]);
            prop_assert!(got == floor || got == floor.clone() + 1u8);
        }
    }

    #[test]
    fn dhondt_and_sainte_lague_match_their_definition(votes in prop::collection::vec(1u64..5_000, 1..7), seats in 1u32..30) {
        if let Some(expected) = by_definition(&votes, seats, |n| u64::from(n) + 1) {
            prop_assert_eq!(apportion(&request(Method::DHondt, seats, &votes)).unwrap().seats, expected);
        }
        if let Some(expected) = by_definition(&votes, seats, |n| 2 * u64::from(n) + 1) {
            prop_assert_eq!(apportion(&request(Method::SainteLague, seats, &votes)).unwrap().seats, expected);
        }
    }

    #[test]
    fn a_lot_with_the_same_seed_always_gives_the_same_order(seed in ".{0,20}", codes in prop::collection::vec("[a-z0-9]{1,6}", 1..8)) {
        let first = sandoq_apportion::lot::lot_order(&seed, codes.iter().map(String::as_str));
        let mut reversed = codes.clone();
        reversed.reverse();
        let second = sandoq_apportion::lot::lot_order(&seed, reversed.iter().map(String::as_str));
        prop_assert_eq!(first, second);
    }
}
