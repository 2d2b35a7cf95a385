//! Station officials' co-signing keys (issue 4 §2, §6).
//!
//! An official signs in at the station, and co-signs its report, with the password headquarters
//! gave them. The Ed25519 key they sign with is derived from that password with Argon2id (salt:
//! SHA-256 of `sandoq-official-key-v1\n{username}`), so the official carries no device: the
//! centre derives the same public key when the user is created and keeps it, the station agent
//! receives the public keys of its own officials while online, and can then check a sign-in
//! offline, and anyone can check a report's co-signatures against the keys the centre publishes.
//! The password itself is never stored at the station.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// Argon2's memory, in 1 KiB blocks: 19 MiB, Argon2id's recommended minimum.
const MEMORY_BLOCKS: u32 = 19 * 1024;

/// One working memory for every derivation in the process, allocated once: the allocator would
/// otherwise keep each freed 19 MiB block for later (the station agent's memory target).
static MEMORY: std::sync::Mutex<Vec<Block>> = std::sync::Mutex::new(Vec::new());

/// The official's co-signing key, from their username and password.
pub fn key(username: &str, password: &str) -> Option<SigningKey> {
    let salt = Sha256::digest(format!("sandoq-official-key-v1\n{username}").as_bytes());
    // 2 passes over 19 MiB: well under a second on a station PC.
    let params = Params::new(MEMORY_BLOCKS, 2, 1, Some(32)).ok()?;
    let mut seed = [0u8; 32];
    let mut memory = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
    memory.resize(MEMORY_BLOCKS as usize, Block::default());
    let derived = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt[..16],
            &mut seed,
            memory.as_mut_slice(),
        );
    // Nothing derived from the password stays in memory.
    memory.fill(Block::default());
    derived.ok()?;
    Some(SigningKey::from_bytes(&seed))
}

/// The text an official co-signs: the station report's body as the device signed it.
pub fn cosign(key: &SigningKey, body: &str) -> [u8; 64] {
    key.sign(body.as_bytes()).to_bytes()
}

/// Whether `signature` is `key`'s over `body`.
pub fn check(key: &VerifyingKey, body: &str, signature: &[u8; 64]) -> bool {
    key.verify(body.as_bytes(), &Signature::from_bytes(signature))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_follows_the_password_and_the_username() {
        let a = key("official-1", "correct horse battery").unwrap();
        assert_eq!(
            a.verifying_key(),
            key("official-1", "correct horse battery")
                .unwrap()
                .verifying_key()
        );
        assert_ne!(
            a.verifying_key(),
            key("official-1", "correct horse batterY")
                .unwrap()
                .verifying_key()
        );
        assert_ne!(
            a.verifying_key(),
            key("official-2", "correct horse battery")
                .unwrap()
                .verifying_key()
        );
        let signature = cosign(&a, "body");
        assert!(check(&a.verifying_key(), "body", &signature));
        assert!(!check(&a.verifying_key(), "bodY", &signature));
    }
}
