//! Voting tokens (issue 4 §3): the check-in desk issues a one-time token that unlocks one ballot
//! on a ballot box of this station.
//!
//! A token is 12 digits: 11 random (from the operating system) and a Luhn check digit, so that a
//! mistyped token is told apart from a wrong one. The station keeps only the SHA-256 of each token
//! and its state (issued, used, voided), in a file of fixed 64-byte slots placed by that hash, like
//! the ballot box: no voter, no time, no order. A token works once, only at the station that
//! issued it (another station's book does not know it), and cannot be made up: a guess is right
//! about once in 10^11 / (tokens outstanding) tries.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

const SLOT: usize = 64;
const MAGIC: &[u8; 8] = b"SQTOK001";
/// Digits in a token, the check digit included.
pub const TOKEN_DIGITS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Issued,
    Used,
    Voided,
}

impl TokenState {
    fn byte(self) -> u8 {
        match self {
            TokenState::Issued => 1,
            TokenState::Used => 2,
            TokenState::Voided => 3,
        }
    }

    fn from_byte(byte: u8) -> Option<TokenState> {
        match byte {
            1 => Some(TokenState::Issued),
            2 => Some(TokenState::Used),
            3 => Some(TokenState::Voided),
            _ => None,
        }
    }
}

/// Why a token was refused. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn refused(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> TokenError {
    TokenError {
        code,
        en: en.into(),
        fa: fa.into(),
    }
}

fn io(e: std::io::Error) -> TokenError {
    refused(
        "token_book_io",
        format!("the token book could not be read or written: {e}"),
        format!("دفتر برگه‌های رأی خوانده یا نوشته نشد: {e}"),
    )
}

/// The Luhn check digit of `digits`.
fn luhn(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A token as typed (Persian or ASCII digits, spaces and dashes ignored), if it is well formed.
pub fn normalize(typed: &str) -> Result<String, TokenError> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c {
            '۰'..='۹' => char::from_u32('0' as u32 + (c as u32 - '۰' as u32)).unwrap_or(c),
            '٠'..='٩' => char::from_u32('0' as u32 + (c as u32 - '٠' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect();
    let bad = || {
        refused(
            "bad_token",
            format!("a voting token is {TOKEN_DIGITS} digits; check what was typed"),
            "برگهٔ رأی ۱۲ رقم است؛ آنچه وارد شد را بررسی کنید",
        )
    };
    if digits.len() != TOKEN_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    if luhn(&values[..TOKEN_DIGITS - 1]) != values[TOKEN_DIGITS - 1] {
        return Err(bad());
    }
    Ok(digits)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(format!("sandoq-token-v1\n{token}").as_bytes()).into()
}

fn checksum(slot: &[u8; SLOT]) -> [u8; 8] {
    let digest = Sha256::digest(&slot[..SLOT - 8]);
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&digest[..8]);
    sum
}

/// The station's book of tokens.
#[derive(Debug)]
pub struct TokenBook {
    file: File,
    capacity: u64,
    /// Flush each change before answering (always, except in the simulator at full scale).
    sync_each: bool,
}

impl TokenBook {
    /// Creates an empty book for `capacity` tokens (built aside and renamed into place).
    pub fn create(path: &Path, capacity: u64) -> Result<TokenBook, TokenError> {
        if path.exists() {
            return Err(refused(
                "token_book_exists",
                "a token book is already there; it is never replaced",
                "دفتر برگه‌ها از پیش هست و هرگز جایگزین نمی‌شود",
            ));
        }
        let partial = path.with_extension("partial");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .map_err(io)?;
        let mut header = [0u8; SLOT];
        header[0..8].copy_from_slice(MAGIC);
        header[8..16].copy_from_slice(&capacity.to_le_bytes());
        let sum = checksum(&header);
        header[SLOT - 8..].copy_from_slice(&sum);
        file.write_all_at(&header, 0).map_err(io)?;
        file.set_len((capacity + 1) * SLOT as u64).map_err(io)?;
        // Every block written now, so that none is allocated later in the order tokens come.
        let zeros = vec![0u8; SLOT * 4096];
        let mut offset = SLOT as u64;
        let end = (capacity + 1) * SLOT as u64;
        while offset < end {
            let n = (end - offset).min(zeros.len() as u64) as usize;
            file.write_all_at(&zeros[..n], offset).map_err(io)?;
            offset += n as u64;
        }
        file.sync_all().map_err(io)?;
        std::fs::rename(&partial, path).map_err(io)?;
        Ok(TokenBook {
            file,
            capacity,
            sync_each: true,
        })
    }

    pub fn open(path: &Path) -> Result<TokenBook, TokenError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io)?;
        let mut header = [0u8; SLOT];
        file.read_exact_at(&mut header, 0).map_err(io)?;
        if &header[0..8] != MAGIC || header[SLOT - 8..] != checksum(&header) {
            return Err(refused(
                "not_a_token_book",
                "this file is not a sandoq token book",
                "این پرونده دفتر برگه‌های صندوق نیست",
            ));
        }
        let capacity = u64::from_le_bytes(header[8..16].try_into().unwrap_or([0; 8]));
        Ok(TokenBook {
            file,
            capacity,
            sync_each: true,
        })
    }

    fn read(&self, index: u64) -> Result<[u8; SLOT], TokenError> {
        let mut slot = [0u8; SLOT];
        self.file
            .read_exact_at(&mut slot, (index + 1) * SLOT as u64)
            .map_err(io)?;
        Ok(slot)
    }

    fn write(&self, index: u64, hash: &[u8; 32], state: TokenState) -> Result<(), TokenError> {
        let mut slot = [0u8; SLOT];
        slot[0..32].copy_from_slice(hash);
        slot[32] = state.byte();
        let sum = checksum(&slot);
        slot[SLOT - 8..].copy_from_slice(&sum);
        self.file
            .write_all_at(&slot, (index + 1) * SLOT as u64)
            .map_err(io)?;
        if self.sync_each {
            self.file.sync_data().map_err(io)?;
        }
        Ok(())
    }

    /// Stops flushing each change; [`TokenBook::flush`] flushes them all. Only for the simulator
    /// at full scale, like [`crate::ballot_box::BallotBox::defer_sync`].
    pub fn defer_sync(&mut self) {
        self.sync_each = false;
    }

    /// Flushes every change so far to disk.
    pub fn flush(&self) -> Result<(), TokenError> {
        self.file.sync_data().map_err(io)
    }

    /// Where `hash` is, or the empty slot it would go to.
    fn find(&self, hash: &[u8; 32]) -> Result<(u64, Option<TokenState>), TokenError> {
        let start = u64::from_le_bytes(hash[0..8].try_into().unwrap_or([0; 8])) % self.capacity;
        for step in 0..self.capacity {
            let index = (start + step) % self.capacity;
            let slot = self.read(index)?;
            if slot == [0u8; SLOT] {
                return Ok((index, None));
            }
            if &slot[0..32] == hash {
                if slot[SLOT - 8..] != checksum(&slot) {
                    return Err(refused(
                        "token_book_damaged",
                        "this token's entry in the book is damaged",
                        "خانهٔ این برگه در دفتر آسیب دیده است",
                    ));
                }
                return Ok((index, TokenState::from_byte(slot[32])));
            }
        }
        Err(refused(
            "token_book_full",
            "the token book is full",
            "دفتر برگه‌ها پر است",
        ))
    }

    /// Issues a new token, on disk before it is returned.
    pub fn issue(&mut self) -> Result<String, TokenError> {
        loop {
            // A uniform number below 10^11 (draws past the last whole multiple are thrown away).
            const SPACE: u64 = 100_000_000_000;
            let number = OsRng.next_u64();
            if number >= u64::MAX - u64::MAX % SPACE {
                continue;
            }
            let text = format!("{:011}", number % SPACE);
            let mut digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
            digits.push(luhn(&digits));
            let token: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let hash = token_hash(&token);
            match self.find(&hash)? {
                (index, None) => {
                    self.write(index, &hash, TokenState::Issued)?;
                    return Ok(token);
                }
                // Already issued once (a collision): draw again.
                (_, Some(_)) => continue,
            }
        }
    }

    /// Whether `typed` is a token of this station that is still unused (nothing changes).
    pub fn check(&self, typed: &str) -> Result<(), TokenError> {
        self.issued(typed).map(|_| ())
    }

    fn change(&mut self, typed: &str, to: TokenState) -> Result<(), TokenError> {
        let (index, hash) = self.issued(typed)?;
        self.write(index, &hash, to)
    }

    /// The slot of an issued, unused token.
    fn issued(&self, typed: &str) -> Result<(u64, [u8; 32]), TokenError> {
        let token = normalize(typed)?;
        let hash = token_hash(&token);
        match self.find(&hash)? {
            (_, None) => Err(refused(
                "unknown_token",
                "this token was not issued at this station",
                "این برگه در این شعبه صادر نشده است",
            )),
            (_, Some(TokenState::Used)) => Err(refused(
                "token_used",
                "this token has already been used",
                "این برگه پیش‌تر به کار رفته است",
            )),
            (_, Some(TokenState::Voided)) => Err(refused(
                "token_voided",
                "this token was voided",
                "این برگه باطل شده است",
            )),
            (index, Some(TokenState::Issued)) => Ok((index, hash)),
        }
    }

    /// Uses a token to unlock one ballot; a token works once.
    pub fn redeem(&mut self, typed: &str) -> Result<(), TokenError> {
        self.change(typed, TokenState::Used)
    }

    /// Voids an issued token (the voter left, or the session timed out).
    pub fn void(&mut self, typed: &str) -> Result<(), TokenError> {
        self.change(typed, TokenState::Voided)
    }

    /// Tokens issued, used and voided (for the station report).
    pub fn counts(&self) -> Result<(u64, u64, u64), TokenError> {
        let (mut issued, mut used, mut voided) = (0, 0, 0);
        // Read in blocks of 1,024 slots: one system call per block, not per slot.
        const BLOCK: u64 = 1024;
        let mut block = vec![0u8; BLOCK as usize * SLOT];
        for first in (0..self.capacity).step_by(BLOCK as usize) {
            let n = BLOCK.min(self.capacity - first) as usize;
            self.file
                .read_exact_at(&mut block[..n * SLOT], (first + 1) * SLOT as u64)
                .map_err(io)?;
            for bytes in block[..n * SLOT].chunks_exact(SLOT) {
                let mut slot = [0u8; SLOT];
                slot.copy_from_slice(bytes);
                match TokenState::from_byte(slot[32]) {
                    Some(state) if slot[SLOT - 8..] == checksum(&slot) => {
                        issued += 1;
                        match state {
                            TokenState::Used => used += 1,
                            TokenState::Voided => voided += 1,
                            TokenState::Issued => {}
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok((issued, used, voided))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_work_once_only_here_and_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("sandoq-tokens-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut book = TokenBook::create(&dir.join("a.tokens"), 256).unwrap();
        let mut other = TokenBook::create(&dir.join("b.tokens"), 256).unwrap();
        let tokens: Vec<String> = (0..100).map(|_| book.issue().unwrap()).collect();
        assert!(tokens.iter().all(|t| normalize(t).is_ok()));
        book.redeem(&tokens[0]).unwrap();
        assert_eq!(book.redeem(&tokens[0]).unwrap_err().code, "token_used");
        assert_eq!(
            other.redeem(&tokens[1]).unwrap_err().code,
            "unknown_token",
            "another station's token"
        );
        // Typed with Persian digits and spaces: the same token.
        let persian: String = tokens[1]
            .chars()
            .map(|c| char::from_u32('۰' as u32 + (c as u32 - '0' as u32)).unwrap())
            .collect();
        let (head, tail): (String, String) = (
            persian.chars().take(6).collect(),
            persian.chars().skip(6).collect(),
        );
        book.redeem(&format!("{head} {tail}")).unwrap();
        // A typo changes the check digit.
        let mut typo = tokens[2].clone().into_bytes();
        typo[3] = if typo[3] == b'9' { b'0' } else { typo[3] + 1 };
        assert_eq!(
            book.redeem(std::str::from_utf8(&typo).unwrap())
                .unwrap_err()
                .code,
            "bad_token"
        );
        book.void(&tokens[2]).unwrap();
        assert_eq!(book.redeem(&tokens[2]).unwrap_err().code, "token_voided");
        drop(book);
        let mut book = TokenBook::open(&dir.join("a.tokens")).unwrap();
        assert_eq!(
            book.redeem(&tokens[0]).unwrap_err().code,
            "token_used",
            "after a restart too"
        );
        book.redeem(&tokens[3]).unwrap();
        assert_eq!(book.counts().unwrap(), (100, 3, 1));
        assert_eq!(
            TokenBook::create(&dir.join("a.tokens"), 8)
                .unwrap_err()
                .code,
            "token_book_exists"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
