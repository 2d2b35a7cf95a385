//! What the HTTP tests share: fresh stores on both backends and a plain HTTP/1.1 client over TCP.
#![allow(dead_code)]

pub mod browser;

use ed25519_dalek::{Signer, SigningKey};
use sandoq_central::http::device_auth::{canonical, hex};
use sandoq_central::{open, AnyStore};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn unique(name: &str) -> String {
    format!(
        "{name}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn sqlite_store() -> AnyStore {
    let dir = std::env::temp_dir().join(unique("sandoq_http"));
    std::fs::create_dir_all(&dir).unwrap();
    open(&format!("sqlite://{}", dir.join("central.db").display()))
        .await
        .unwrap()
}

pub async fn postgres_store() -> AnyStore {
    let admin = std::env::var("SANDOQ_TEST_POSTGRES_URL")
        .expect("SANDOQ_TEST_POSTGRES_URL is not set: run the tests through scripts/ci.sh (or scripts/with-postgres.sh cargo test)");
    let name = unique("sandoq_http");
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (base, _) = admin.rsplit_once('/').unwrap();
    open(&format!("{base}/{name}")).await.unwrap()
}

/// A response: status, the header block (lowercased), and the body as JSON (Null if not JSON).
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Value,
    /// The body as text.
    pub text: String,
    bytes: Vec<u8>,
}

impl Answer {
    /// The body's bytes.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }
}

/// A plain HTTP/1.1 request over TCP. Reads the head, then exactly Content-Length bytes
/// (some servers keep the connection open whatever the request says).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the response head");
        response.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&response[..head_end]).to_ascii_lowercase();
    assert!(!head.contains("transfer-encoding: chunked"), "{head}");
    let length: Option<usize> = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok());
    match length {
        Some(length) => {
            while response.len() < head_end + 4 + length {
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed before the body ended");
                response.extend_from_slice(&chunk[..n]);
            }
            response.truncate(head_end + 4 + length);
        }
        None => {
            stream.read_to_end(&mut response).await.unwrap();
        }
    }
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = String::from_utf8_lossy(&response[head_end + 4..]).into_owned();
    Answer {
        status,
        head,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        text: body.clone(),
        bytes: response[head_end + 4..].to_vec(),
    }
}

/// A station device with its signing key.
pub struct Desk {
    pub key: SigningKey,
}

impl Desk {
    pub fn new(seed: u8) -> Desk {
        Desk {
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    pub fn public(&self) -> String {
        hex(self.key.verifying_key().as_bytes())
    }

    /// The headers of a signed POST.
    pub fn headers(
        &self,
        path: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> Vec<(&'static str, String)> {
        let signature = self
            .key
            .sign(canonical("POST", path, timestamp, nonce, body).as_bytes());
        vec![
            ("content-type", "application/json".into()),
            ("x-sandoq-device-key", self.public()),
            ("x-sandoq-timestamp", timestamp.to_string()),
            ("x-sandoq-nonce", nonce.into()),
            ("x-sandoq-signature", hex(&signature.to_bytes())),
        ]
    }
}

/// The smallest PNG: a 1x1 transparent pixel.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];
