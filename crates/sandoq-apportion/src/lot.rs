//! Verifiable drawing of lots (TEHRAN_RULES.md §6, CLI_CONTRACTS.md `lot`).
//!
//! Tied entries are ordered by the lowercase hex SHA-256 of `seed + ":" + code`,
//! ascending; the first wins. Anyone holding the public seed can recompute it.

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Lowercase hex SHA-256 of `seed:code`.
pub fn lot_hash(seed: &str, code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.as_bytes());
    hasher.update(b":");
    hasher.update(code.as_bytes());
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The tied codes in lot order (first wins), each with its hash.
/// Equal hashes are impossible for distinct codes short of a SHA-256 collision;
/// the code itself breaks that theoretical tie so the order is always total.
pub fn lot_order<'a>(
    seed: &str,
    codes: impl IntoIterator<Item = &'a str>,
) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = codes
        .into_iter()
        .map(|code| (code.to_string(), lot_hash(seed, code)))
        .collect();
    entries.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    entries
}

/// One drawing of lots, with everything needed to recompute it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    /// What the lot decided: `remainder_seats`, `take_back`, `highest_average`,
    /// `elected`, `alternates`, `succession`.
    pub stage: String,
    /// The group the lot was drawn inside, when it was drawn between candidates.
    pub group: Option<String>,
    /// The tied codes, in the order they were given.
    pub tied: Vec<String>,
    pub seed: String,
    /// `(code, sha256(seed:code))`, in lot order.
    pub hashes: Vec<(String, String)>,
    /// The codes that won, in lot order.
    pub winners: Vec<String>,
    /// How many of the tied entries won.
    pub seats_at_stake: u32,
}

impl Lot {
    /// Draws `winners` of `tied` by lot.
    pub fn draw(
        stage: &str,
        group: Option<&str>,
        tied: &[String],
        seed: &str,
        winners: usize,
    ) -> Lot {
        let hashes = lot_order(seed, tied.iter().map(String::as_str));
        let winners_codes = hashes
            .iter()
            .take(winners)
            .map(|(code, _)| code.clone())
            .collect();
        Lot {
            stage: stage.to_string(),
            group: group.map(str::to_string),
            tied: tied.to_vec(),
            seed: seed.to_string(),
            hashes,
            winners: winners_codes,
            seats_at_stake: u32::try_from(winners).unwrap_or(u32::MAX),
        }
    }

    /// The full order drawn (first wins).
    pub fn order(&self) -> Vec<String> {
        self.hashes.iter().map(|(code, _)| code.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_of_seed_colon_code() {
        // Both values computed independently with coreutils: `printf 'seed:A' | sha256sum`.
        assert_eq!(
            lot_hash("seed", "A"),
            "7afc670a78645d7a0a8534c4df5a3a5c4bad84372544ccc2cf013d6133aaa60c"
        );
        assert_eq!(
            lot_hash("", ""),
            "e7ac0786668e0ff0f02b62bd04f45ff636fd82db63b1104601c975dc005f3a67"
        );
        assert_eq!(lot_hash("abc", "x").len(), 64);
        assert!(lot_hash("abc", "x")
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn order_is_deterministic_and_total() {
        let a = lot_order("seed", ["b1", "b2", "x"]);
        let b = lot_order("seed", ["x", "b2", "b1"]);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].1 <= w[1].1));
    }
}
