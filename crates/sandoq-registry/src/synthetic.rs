//! Synthetic registries: made-up people with valid national codes, for tests,
//! benchmarks, simulations and training. Never real personal data.
//!
//! Every code is distinct: the first nine digits of the i-th voter are a fixed
//! bijective scramble of i, so a registry of any size up to 10⁹ needs no set
//! of codes already used and is reproducible from its seed.

use crate::eligibility::RegistryEntry;
use crate::jalali::Date;
use crate::national_code::NationalCode;

/// SplitMix64, for reproducible synthetic data. Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_5a17_0de5_2026)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

const NINE_DIGITS: u64 = 1_000_000_000;
/// Odd multiplier coprime with 10⁹: i ↦ (a·i + b) mod 10⁹ is a bijection.
const SCRAMBLE: u64 = 738_219_451;

/// The national code of synthetic voter `index` under `seed`: distinct for distinct
/// indices below 10⁹ and always with a valid check digit. `None` for the ten indices
/// whose nine digits would all be equal (such codes are never issued): generators skip them.
pub fn national_code(seed: u64, index: u64) -> Option<NationalCode> {
    if index >= NINE_DIGITS {
        return None;
    }
    let offset = seed.wrapping_mul(0x9e37_79b9) % NINE_DIGITS;
    let n = ((u128::from(index) * u128::from(SCRAMBLE) + u128::from(offset))
        % u128::from(NINE_DIGITS)) as u64;
    let mut digits = [0u8; 9];
    let mut rest = n;
    for slot in digits.iter_mut().rev() {
        *slot = (rest % 10) as u8;
        rest /= 10;
    }
    NationalCode::from_first_nine(digits)
}

/// The synthetic national codes under `seed`, in order, skipping the ten never issued.
pub fn national_codes(seed: u64) -> impl Iterator<Item = NationalCode> {
    (0..NINE_DIGITS).filter_map(move |i| national_code(seed, i))
}

/// One synthetic registry entry: ages spread over 0–95 years before `polling_day`,
/// about 1 % barred and 0.5 % deceased; `constituency` for 97 %, others elsewhere.
pub fn entry(rng: &mut Rng, polling_day: Date, constituency: &str) -> RegistryEntry {
    let age_days = rng.below(95 * 365) as i64;
    let roll = rng.below(1000);
    RegistryEntry {
        birth_date: Date(polling_day.0 - age_days),
        constituency: if roll < 970 {
            constituency.to_string()
        } else {
            "elsewhere".to_string()
        },
        deceased: (970..975).contains(&roll),
        barred: (975..985).contains(&roll),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_valid_distinct_and_reproducible() {
        let codes: HashSet<NationalCode> = national_codes(7).take(200_000).collect();
        assert_eq!(codes.len(), 200_000);
        for i in [0, 1, 99_999, 123_456_789] {
            let code = national_code(7, i).unwrap();
            assert_eq!(NationalCode::parse(&code.to_string()), Ok(code));
            assert_eq!(national_code(7, i), Some(code));
        }
        assert_ne!(national_code(7, 0), national_code(8, 0));
        assert_eq!(national_code(7, 1_000_000_000), None);
    }

    #[test]
    fn exactly_the_ten_repeated_prefixes_are_skipped() {
        // Every prefix of nine equal digits gets that same digit as its check digit.
        for d in 0..=9u8 {
            assert_eq!(crate::national_code::check_digit(&[d; 9]), d);
            assert_eq!(NationalCode::from_first_nine([d; 9]), None);
        }
    }
}
