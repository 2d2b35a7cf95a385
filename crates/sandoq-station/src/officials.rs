//! Station officials' and supervisors' co-signing keys (issue 4 §2, issue 18 §2).
//!
//! A co-signing key is a random Ed25519 key, made when headquarters creates the person: it owes
//! nothing to their password, so the public key the record publishes tells an attacker nothing
//! about the password (an earlier version derived the key from the password, and anyone could
//! guess passwords offline against the published key). The key is kept *wrapped* under the
//! holder's password, by the centre and, for a station's officials, on the station's device
//! (it comes in the station's package):
//!
//! ```text
//! {"format":"sandoq-wrapped-key-v1","public_key":"<64 hex>",
//!  "kdf":"$argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>",
//!  "aead":"xchacha20poly1305","nonce":"<48 hex>","ciphertext":"<96 hex>"}
//! ```
//!
//! `kdf` is a PHC string (the format of the `password-hash` crate, read with it): Argon2id with its
//! parameters and a random 16-byte salt turns the password into a 32-byte wrapping key. The
//! ciphertext is XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`) of the key's 32-byte seed,
//! with a random 24-byte nonce and, as associated data, `sandoq-wrapped-key-v1\n{username}\n{public
//! key hex}`: a wrapped key cannot be moved to another person or claim another public key.
//! Unwrapping with the right password gives the seed back, and the seed's public key must be the
//! one stated. Changing the password re-wraps the same key ([`rewrap`]); the key never changes, so
//! the sealed roster that names it stays true. The wrapped key never leaves the centre except to
//! the holder's own station, and never goes into the published record.

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};

use crate::merkle::{hex, unhex};

/// The wrapped key's format, named in it.
pub const WRAPPED_FORMAT: &str = "sandoq-wrapped-key-v1";

/// Argon2's memory for a new wrapping, in 1 KiB blocks: 19 MiB, Argon2id's recommended minimum.
const MEMORY_BLOCKS: u32 = 19 * 1024;
/// Argon2's passes for a new wrapping: 2 passes over 19 MiB, well under a second on a station PC.
const PASSES: u32 = 2;
/// The most memory and passes a wrapped key may ask for: a wrapped key comes from elsewhere, and
/// must not make its reader allocate without bound or spin for minutes.
const MAX_MEMORY_BLOCKS: u32 = 256 * 1024;
const MAX_PASSES: u32 = 16;

/// One working memory for every derivation in the process, allocated once: the allocator would
/// otherwise keep each freed block for later (the station agent's memory target).
static MEMORY: std::sync::Mutex<Vec<Block>> = std::sync::Mutex::new(Vec::new());

/// A new random co-signing key (from the operating system's generator).
pub fn new_key() -> SigningKey {
    SigningKey::generate(&mut OsRng)
}

fn associated_data(username: &str, public_key: &str) -> String {
    format!("{WRAPPED_FORMAT}\n{username}\n{public_key}")
}

/// The wrapping key: Argon2id of the password with the salt and parameters of `kdf`.
fn wrapping_key(kdf: &PasswordHash<'_>, password: &str) -> Option<[u8; 32]> {
    if kdf.algorithm != argon2::ARGON2ID_IDENT || kdf.version != Some(0x13) {
        return None;
    }
    let stated = Params::try_from(kdf).ok()?;
    if stated.m_cost() > MAX_MEMORY_BLOCKS || stated.t_cost() > MAX_PASSES || stated.p_cost() != 1 {
        return None;
    }
    let params = Params::new(stated.m_cost(), stated.t_cost(), 1, Some(32)).ok()?;
    let mut salt = [0u8; 64];
    let salt = kdf.salt?.decode_b64(&mut salt).ok()?;
    let mut out = [0u8; 32];
    let blocks = params.block_count();
    let mut memory = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
    memory.resize(blocks, Block::default());
    let derived = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks]);
    // Nothing derived from the password stays in memory.
    memory.fill(Block::default());
    derived.ok()?;
    Some(out)
}

/// Wraps `key` under `password` for `username` (a new salt and nonce every time).
pub fn wrap(key: &SigningKey, username: &str, password: &str) -> Option<String> {
    let salt = SaltString::generate(&mut OsRng);
    let kdf = format!(
        "$argon2id$v=19$m={MEMORY_BLOCKS},t={PASSES},p=1${}",
        salt.as_str()
    );
    let mut wrapping = wrapping_key(&PasswordHash::new(&kdf).ok()?, password)?;
    let public_key = hex(key.verifying_key().as_bytes());
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new((&wrapping).into());
    wrapping.fill(0);
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: key.as_bytes(),
                aad: associated_data(username, &public_key).as_bytes(),
            },
        )
        .ok()?;
    Some(
        json!({
            "format": WRAPPED_FORMAT,
            "public_key": public_key,
            "kdf": kdf,
            "aead": "xchacha20poly1305",
            "nonce": hex(&nonce),
            "ciphertext": hex(&ciphertext),
        })
        .to_string(),
    )
}

/// The public key a wrapped key states (not proof that the password opens it).
pub fn wrapped_public_key(wrapped: &str) -> Option<VerifyingKey> {
    let value: Value = serde_json::from_str(wrapped).ok()?;
    VerifyingKey::from_bytes(&unhex::<32>(value["public_key"].as_str()?)?).ok()
}

/// The key inside `wrapped`, if `password` opens it for `username` and it is the key it states.
/// `None` for a wrong password, another person's wrapped key, or anything malformed.
pub fn unwrap(wrapped: &str, username: &str, password: &str) -> Option<SigningKey> {
    if wrapped.len() > 4096 {
        return None;
    }
    let value: Value = serde_json::from_str(wrapped).ok()?;
    if value["format"] != WRAPPED_FORMAT || value["aead"] != "xchacha20poly1305" {
        return None;
    }
    let public_key = value["public_key"].as_str()?;
    let nonce = unhex::<24>(value["nonce"].as_str()?)?;
    let ciphertext = unhex::<48>(value["ciphertext"].as_str()?)?;
    let kdf = PasswordHash::new(value["kdf"].as_str()?).ok()?;
    let mut wrapping = wrapping_key(&kdf, password)?;
    let cipher = XChaCha20Poly1305::new((&wrapping).into());
    wrapping.fill(0);
    let mut seed = cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: associated_data(username, public_key).as_bytes(),
            },
        )
        .ok()?;
    let bytes: [u8; 32] = seed.as_slice().try_into().ok()?;
    seed.fill(0);
    let key = SigningKey::from_bytes(&bytes);
    (hex(key.verifying_key().as_bytes()) == public_key).then_some(key)
}

/// The same key wrapped under a new password (the old one must open it).
pub fn rewrap(wrapped: &str, username: &str, old: &str, new: &str) -> Option<String> {
    wrap(&unwrap(wrapped, username, old)?, username, new)
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
    fn a_wrapped_key_opens_with_its_password_for_its_holder_only() {
        let key = new_key();
        let wrapped = wrap(&key, "official-1", "correct horse battery").unwrap();
        let opened = unwrap(&wrapped, "official-1", "correct horse battery").unwrap();
        assert_eq!(opened.to_bytes(), key.to_bytes());
        assert_eq!(wrapped_public_key(&wrapped), Some(key.verifying_key()));
        assert!(unwrap(&wrapped, "official-1", "correct horse batterY").is_none());
        assert!(unwrap(&wrapped, "official-2", "correct horse battery").is_none());
        let signature = cosign(&opened, "body");
        assert!(check(&key.verifying_key(), "body", &signature));
        assert!(!check(&key.verifying_key(), "bodY", &signature));
    }

    #[test]
    fn keys_owe_nothing_to_passwords() {
        // Two people with the same password get unrelated keys, and wrapping the same key twice
        // gives different texts (fresh salt and nonce).
        let a = new_key();
        let b = new_key();
        assert_ne!(a.verifying_key(), b.verifying_key());
        let once = wrap(&a, "s1-a", "the same password here").unwrap();
        let twice = wrap(&a, "s1-a", "the same password here").unwrap();
        assert_ne!(once, twice);
        assert!(!once.contains(&hex(a.as_bytes())));
    }

    #[test]
    fn a_new_password_rewraps_the_same_key() {
        let key = new_key();
        let wrapped = wrap(&key, "sup-1", "first password 1405").unwrap();
        assert!(rewrap(&wrapped, "sup-1", "wrong password 1405", "x").is_none());
        let again = rewrap(
            &wrapped,
            "sup-1",
            "first password 1405",
            "second password 1405",
        )
        .unwrap();
        assert!(unwrap(&again, "sup-1", "first password 1405").is_none());
        let opened = unwrap(&again, "sup-1", "second password 1405").unwrap();
        assert_eq!(opened.verifying_key(), key.verifying_key());
    }

    #[test]
    fn a_tampered_or_hostile_wrapped_key_opens_nothing() {
        let key = new_key();
        let wrapped = wrap(&key, "o", "a good long password").unwrap();
        let mut value: Value = serde_json::from_str(&wrapped).unwrap();
        // Another public key stated: the associated data no longer matches.
        let other = new_key();
        value["public_key"] = json!(hex(other.verifying_key().as_bytes()));
        assert!(unwrap(&value.to_string(), "o", "a good long password").is_none());
        // A flipped ciphertext byte.
        let mut value: Value = serde_json::from_str(&wrapped).unwrap();
        let mut text = value["ciphertext"].as_str().unwrap().to_string();
        let flipped = if text.starts_with('0') { "1" } else { "0" };
        text.replace_range(0..1, flipped);
        value["ciphertext"] = json!(text);
        assert!(unwrap(&value.to_string(), "o", "a good long password").is_none());
        // Parameters that would make the reader allocate 4 GiB, or another algorithm.
        for kdf in [
            "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA",
            "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA",
            "$argon2id$v=19$m=19456,t=2,p=4$c2FsdHNhbHRzYWx0c2FsdA",
        ] {
            let mut value: Value = serde_json::from_str(&wrapped).unwrap();
            value["kdf"] = json!(kdf);
            assert!(unwrap(&value.to_string(), "o", "a good long password").is_none());
        }
        for junk in ["", "{}", "null", "[1,2]", &"x".repeat(10_000)] {
            assert!(unwrap(junk, "o", "a good long password").is_none());
        }
    }
}
