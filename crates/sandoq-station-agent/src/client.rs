//! The agent's side of the centre's API: a small HTTP/1.1 client (one request per connection,
//! with time limits, so that a dead network is noticed in seconds) that signs every request with
//! the device key, as `sandoq_central::http::device_auth` expects.

use ed25519_dalek::{Signer, SigningKey};
use rand_core::{OsRng, RngCore};
use sandoq_station::merkle::hex;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one request to the centre may take before the centre counts as unreachable.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a request to the centre did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

/// The centre's answer: status and JSON body (`Null` if the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// The centre, at `http://host:port`.
#[derive(Debug, Clone)]
pub struct Centre {
    host: String,
    key: SigningKey,
}

impl Centre {
    /// `url` is `http://host:port` (a trailing slash is allowed).
    pub fn new(url: &str, key: SigningKey) -> Option<Centre> {
        let host = url.strip_prefix("http://")?.trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return None;
        }
        Some(Centre {
            host: host.to_string(),
            key,
        })
    }

    /// A request signed by the device (method, path, time, a fresh nonce, the body's hash).
    pub async fn signed(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        now: i64,
    ) -> Result<Answer, Unreachable> {
        let (status, bytes) = self.signed_bytes(method, path, body, now).await?;
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// [`Centre::signed`], with the answer's raw body.
    pub async fn signed_bytes(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        now: i64,
    ) -> Result<(u16, Vec<u8>), Unreachable> {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let nonce = hex(&nonce);
        let text = format!(
            "sandoq-device-request-v1\n{method}\n{path}\n{now}\n{nonce}\n{}",
            hex(&Sha256::digest(body))
        );
        let signature = self.key.sign(text.as_bytes());
        let headers = [
            (
                "x-sandoq-device-key",
                hex(self.key.verifying_key().as_bytes()),
            ),
            ("x-sandoq-timestamp", now.to_string()),
            ("x-sandoq-nonce", nonce),
            ("x-sandoq-signature", hex(&signature.to_bytes())),
            ("content-type", "application/json".to_string()),
        ];
        self.exchange(method, path, &headers, body).await
    }

    /// A plain request (public resources: health, photos); the raw body.
    pub async fn get_bytes(&self, path: &str) -> Result<(u16, Vec<u8>), Unreachable> {
        self.exchange("GET", path, &[], b"").await
    }

    async fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), Unreachable> {
        let work = async {
            let mut stream = tokio::net::TcpStream::connect(&self.host)
                .await
                .map_err(|e| Unreachable(format!("connect {}: {e}", self.host)))?;
            let mut head = format!(
                "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
                self.host,
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let io = |e: std::io::Error| Unreachable(format!("{}: {e}", self.host));
            stream.write_all(head.as_bytes()).await.map_err(io)?;
            stream.write_all(body).await.map_err(io)?;
            let mut raw = Vec::with_capacity(16 * 1024);
            stream.read_to_end(&mut raw).await.map_err(io)?;
            parse_response(raw).ok_or_else(|| Unreachable("a malformed answer".into()))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, work)
            .await
            .unwrap_or_else(|_| Err(Unreachable("no answer in time".into())))
    }
}

/// Status and body of a whole HTTP/1.1 response (plain or chunked body). A plain body is the
/// response's own buffer with the head taken off (a station package is a megabyte).
fn parse_response(mut raw: Vec<u8>) -> Option<(u16, Vec<u8>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        raw.drain(..split + 4);
        return Some((status, raw));
    }
    let body = &raw[split + 4..];
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some((status, out));
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain.to_vec()), Some((200, b"{}".to_vec())));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked.to_vec()),
            Some((404, b"abcde".to_vec()))
        );
        assert_eq!(parse_response(b"garbage".to_vec()), None);
        assert!(Centre::new("https://x", SigningKey::from_bytes(&[1; 32])).is_none());
        assert!(Centre::new("http://127.0.0.1:8080/", SigningKey::from_bytes(&[1; 32])).is_some());
    }
}
