//! The commitment to a set of ballot records: a Merkle root over the SHA-256 of each record,
//! the leaves sorted, so that the same ballots give the same root whatever order they were cast in.
//!
//! Leaves are `SHA-256(0x00 ‖ record)`, inner nodes `SHA-256(0x01 ‖ left ‖ right)`; an odd node at
//! the end of a level is carried up unchanged. The root of no leaves is `SHA-256("")`.

use sha2::{Digest, Sha256};

pub fn leaf(record: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(record);
    hasher.finalize().into()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root over `leaves` (sorted here; the caller's order does not matter).
pub fn root(mut leaves: Vec<[u8; 32]>) -> [u8; 32] {
    if leaves.is_empty() {
        return Sha256::digest(b"").into();
    }
    leaves.sort_unstable();
    while leaves.len() > 1 {
        leaves = leaves
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => node(left, right),
                [single] => *single,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    leaves[0]
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly `N` bytes from `2 × N` hex digits (either case); anything else is `None`.
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_ignores_order_and_sees_every_record() {
        let records: Vec<Vec<u8>> = (0..7u8).map(|i| vec![i; 10]).collect();
        let forward = root(records.iter().map(|r| leaf(r)).collect());
        let backward = root(records.iter().rev().map(|r| leaf(r)).collect());
        assert_eq!(forward, backward);
        let fewer = root(records[..6].iter().map(|r| leaf(r)).collect());
        assert_ne!(forward, fewer);
        let mut altered = records.clone();
        altered[3][0] ^= 1;
        assert_ne!(forward, root(altered.iter().map(|r| leaf(r)).collect()));
        assert_eq!(root(vec![leaf(b"x")]), leaf(b"x"));
        assert_eq!(unhex::<2>("aB01"), Some([0xab, 0x01]));
        assert_eq!(
            unhex::<1>("+1"),
            None,
            "from_str_radix alone would take a sign"
        );
        assert_eq!(unhex::<2>("ab0"), None);
        assert_eq!(unhex::<1>("é"), None);
    }
}
