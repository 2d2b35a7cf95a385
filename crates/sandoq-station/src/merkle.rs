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

/// Lowercase hex of `bytes` (ids, keys, signatures and hashes are written this way everywhere).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(2 * bytes.len());
    hex_into(&mut out, bytes);
    // Hex digits are ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// [`hex`] appended to `out`.
pub fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Exactly `N` bytes from `2 × N` hex digits (either case); anything else is `None`.
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_goes_both_ways_and_refuses_anything_else() {
        let bytes: Vec<u8> = (0..=255).collect();
        let text = hex(&bytes);
        assert_eq!(&text[..8], "00010203");
        assert_eq!(&text[text.len() - 4..], "feff");
        assert_eq!(unhex::<4>("00ffA0b1"), Some([0, 255, 0xa0, 0xb1]));
        for bad in [
            "00ff00", "00ff00f", "00ff00fg", "0x010203", "۰۱۲۳", "00ff 0a1",
        ] {
            assert_eq!(unhex::<4>(bad), None, "{bad}");
        }
        let all: [u8; 256] = unhex(&text).unwrap();
        assert_eq!(all.to_vec(), bytes);
    }

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
