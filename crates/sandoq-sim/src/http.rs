//! A small HTTP/1.1 client for talking to sandoq's own servers on this machine (one request per
//! connection). Errors are returned, never panicked on.

use serde_json::Value;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A response: status, the `set-cookie` value (name=value) if any, and the body (JSON or Null).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub cookie: Option<String>,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The error code of a refusal (`{"error": {"code": …}}`), if any.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// Sends one request; `cookie` is sent as is (`name=value`).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&Value>,
) -> Result<Answer, String> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .map_err(|_| format!("{addr}: connection timed out"))?
    .map_err(|e| format!("{addr}: {e}"))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("content-type: application/json\r\n");
    }
    if let Some(cookie) = cookie {
        head.push_str(&format!("cookie: {cookie}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&body);
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        stream.read_to_end(&mut response),
    )
    .await
    .map_err(|_| format!("{addr}{path}: no answer within 60 s"))?
    .map_err(|e| e.to_string())?;
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{addr}{path}: no response head"))?;
    let head = String::from_utf8_lossy(&response[..end]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{addr}{path}: bad status line"))?;
    let cookie = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("set-cookie")
            .then(|| value.trim().split(';').next().unwrap_or("").to_string())
    });
    let text = String::from_utf8_lossy(&response[end + 4..]).to_string();
    Ok(Answer {
        status,
        cookie,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    })
}
