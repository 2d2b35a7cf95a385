//! Requests signed by station devices (issue 3 §3).
//!
//! A device signs, with the Ed25519 key whose public half headquarters
//! registered, the canonical text
//!
//! ```text
//! sandoq-device-request-v1
//! METHOD
//! PATH
//! TIMESTAMP        (seconds since 1970, UTC)
//! NONCE            (1-64 of [A-Za-z0-9_-], never reused by this device)
//! SHA256(BODY)     (lowercase hex)
//! ```
//!
//! sent as the headers `x-sandoq-device-key` (public key, hex), `x-sandoq-timestamp`,
//! `x-sandoq-nonce` and `x-sandoq-signature` (hex). A request is refused when a
//! header is missing, the key is unknown or revoked, the signature does not
//! verify, the timestamp is more than five minutes from the centre's clock, or
//! the nonce was used before (a replay).

use super::error::AppError;
use axum::http::{HeaderMap, StatusCode};
use ed25519_dalek::{Signature, VerifyingKey};
use sandoq_store::{Device, DeviceStatus, Store, Timestamp};
use sha2::{Digest, Sha256};

pub const HEADER_KEY: &str = "x-sandoq-device-key";
pub const HEADER_TIMESTAMP: &str = "x-sandoq-timestamp";
pub const HEADER_NONCE: &str = "x-sandoq-nonce";
pub const HEADER_SIGNATURE: &str = "x-sandoq-signature";

/// How far a request's timestamp may be from the centre's clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

pub fn hex(bytes: &[u8]) -> String {
    sandoq_station::merkle::hex(bytes)
}

use sandoq_station::merkle::unhex;

/// The text a device signs.
pub fn canonical(method: &str, path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    format!(
        "sandoq-device-request-v1\n{method}\n{path}\n{timestamp}\n{nonce}\n{}",
        hex(&Sha256::digest(body))
    )
}

fn unauthorized(code: &'static str, en: &str, fa: &str) -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, code, en, fa)
}

/// Devices read from the store, kept for [`DEVICE_CACHE_SECONDS`]: devices change only by
/// headquarters' action, and a check-in should not pay a lookup each time.
#[derive(Debug, Default)]
pub struct DeviceCache {
    /// The device, its key ready to verify with (decompressed once), and when it was read.
    #[allow(clippy::type_complexity)]
    devices: std::sync::RwLock<
        std::collections::HashMap<String, (Device, VerifyingKey, std::time::Instant)>,
    >,
}

/// How long a cached device is trusted before it is read again.
pub const DEVICE_CACHE_SECONDS: u64 = 30;

impl DeviceCache {
    /// Forgets every cached device, so that a revocation made here takes effect at once
    /// (one made by another process takes at most [`DEVICE_CACHE_SECONDS`]).
    pub fn forget_all(&self) {
        if let Ok(mut map) = self.devices.write() {
            map.clear();
        }
    }

    async fn get<S: Store>(
        &self,
        store: &S,
        key: &str,
        bytes: &[u8; 32],
    ) -> Result<Option<(Device, VerifyingKey)>, AppError> {
        let fresh = std::time::Duration::from_secs(DEVICE_CACHE_SECONDS);
        if let Some((device, verifying, at)) =
            self.devices.read().ok().and_then(|m| m.get(key).cloned())
        {
            if at.elapsed() < fresh {
                return Ok(Some((device, verifying)));
            }
        }
        let Some(device) = store.device_by_key(key).await? else {
            return Ok(None);
        };
        let Ok(verifying) = VerifyingKey::from_bytes(bytes) else {
            return Ok(None);
        };
        if let Ok(mut map) = self.devices.write() {
            map.insert(
                key.to_string(),
                (device.clone(), verifying, std::time::Instant::now()),
            );
        }
        Ok(Some((device, verifying)))
    }
}

/// A request received twice.
pub fn replayed() -> AppError {
    unauthorized(
        "replayed_request",
        "this request was already received (replayed)",
        "این درخواست پیش‌تر دریافت شده است (تکراری)",
    )
}

/// Checks a signed request and returns the device that sent it; the nonce is spent.
pub async fn authenticate<S: Store>(
    store: &S,
    cache: &DeviceCache,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<Device, AppError> {
    let (device, nonce) = verify(store, cache, headers, method, path, body, now).await?;
    if !store.use_nonce(device.id, &nonce).await? {
        return Err(replayed());
    }
    Ok(device)
}

/// Checks a signed request and returns the device that sent it and its nonce, not yet spent:
/// the caller spends it with the write the request asks for (or through [`authenticate`]).
pub async fn verify<S: Store>(
    store: &S,
    cache: &DeviceCache,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(Device, String), AppError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let (Some(key), Some(timestamp), Some(nonce), Some(signature)) = (
        header(HEADER_KEY),
        header(HEADER_TIMESTAMP),
        header(HEADER_NONCE),
        header(HEADER_SIGNATURE),
    ) else {
        return Err(unauthorized(
            "missing_signature",
            "this request must be signed by a registered station device",
            "این درخواست باید با امضای دستگاه ثبت‌شدهٔ شعبه فرستاده شود",
        ));
    };
    let bad = || {
        unauthorized(
            "bad_signature",
            "the request's signature is not valid",
            "امضای درخواست معتبر نیست",
        )
    };
    let key_bytes = unhex::<32>(&key.to_ascii_lowercase()).ok_or_else(bad)?;
    let signature_bytes = unhex::<64>(&signature.to_ascii_lowercase()).ok_or_else(bad)?;
    let timestamp: i64 = timestamp.parse().map_err(|_| bad())?;
    if nonce.is_empty()
        || nonce.len() > 64
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(bad());
    }
    let Some((device, verifying_key)) = cache.get(store, &hex(&key_bytes), &key_bytes).await?
    else {
        return Err(unauthorized(
            "unknown_device",
            "this device is not registered",
            "این دستگاه ثبت نشده است",
        ));
    };
    if device.status != DeviceStatus::Active {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "device_revoked",
            "this device has been revoked",
            "این دستگاه باطل شده است",
        ));
    }
    let message = canonical(method, path, timestamp, nonce, body);
    verifying_key
        .verify_strict(message.as_bytes(), &Signature::from_bytes(&signature_bytes))
        .map_err(|_| bad())?;
    if (timestamp - now.0).abs() > MAX_SKEW_SECONDS {
        return Err(unauthorized(
            "stale_request",
            "the request's time is more than five minutes from the centre's clock; check the device's clock",
            "زمان درخواست بیش از پنج دقیقه با ساعت مرکز فاصله دارد؛ ساعت دستگاه را بررسی کنید",
        ));
    }
    Ok((device, nonce.to_string()))
}
