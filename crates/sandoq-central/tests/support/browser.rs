//! Headless Chromium driven over WebDriver (chromedriver), for the page tests of the centre and
//! of the station agent. Chromium and chromedriver come from Debian's packages; `scripts/ci.sh`
//! installs them when missing. Without them a page test fails, never skips.

use serde_json::{json, Value};
use std::net::SocketAddr;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: SocketAddr,
    session: String,
    child: std::process::Child,
}

impl Browser {
    pub async fn start() -> Browser {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("chromedriver is missing: run the tests through scripts/ci.sh, which installs Debian's chromium and chromium-driver");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let driver: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(driver).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let profile = std::env::temp_dir().join(super::unique("sandoq-chromium"));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let answer = super::request(
            driver,
            "POST",
            "/session",
            &[("content-type", "application/json".into())],
            capabilities.to_string().as_bytes(),
        )
        .await;
        let session = answer.body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {}", answer.body))
            .to_string();
        Browser {
            driver,
            session,
            child,
        }
    }

    pub async fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let payload = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let answer = super::request(
            self.driver,
            method,
            &path,
            &[("content-type", "application/json".into())],
            &payload,
        )
        .await;
        assert_eq!(answer.status, 200, "{method} {path}: {}", answer.body);
        answer.body["value"].clone()
    }

    pub async fn open(&self, url: &str) {
        self.command("POST", "/url", json!({"url": url})).await;
    }

    pub async fn find(&self, css: &str) -> String {
        let value = self
            .command(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        value[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {value}"))
            .to_string()
    }

    /// Waits (up to 15 s) until an element matching `css` is on the page: navigation after a
    /// click may still be under way when the click returns.
    pub async fn wait_for(&self, css: &str) {
        for _ in 0..150 {
            let path = format!("/session/{}/elements", self.session);
            let body = json!({"using": "css selector", "value": css}).to_string();
            let answer = super::request(
                self.driver,
                "POST",
                &path,
                &[("content-type", "application/json".into())],
                body.as_bytes(),
            )
            .await;
            if answer.body["value"]
                .as_array()
                .is_some_and(|found| !found.is_empty())
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{css} never appeared");
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.command("GET", &format!("/element/{element}/text"), Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/clear"), json!({}))
            .await;
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    pub async fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/async",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// The value of a JavaScript expression in the page.
    pub async fn eval(&self, expression: &str) -> Value {
        self.script(&format!(
            "const done = arguments[arguments.length - 1]; done({expression});"
        ))
        .await
    }

    /// Waits (up to 15 s) until a JavaScript expression is true in the page.
    pub async fn wait_until(&self, expression: &str) {
        for _ in 0..150 {
            if self.eval(expression).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("never true: {expression}");
    }

    pub async fn screenshot(&self, name: &str) {
        let data = self.command("GET", "/screenshot", Value::Null).await;
        let png = decode_base64(data.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "{name} is not a PNG");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Sets the window's size (CSS pixels).
    pub async fn resize(&self, width: u32, height: u32) {
        self.command(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    /// Types on the keyboard, as a person would (key down and up for each character), into
    /// whatever has the focus. `\u{E003}` is Backspace, `\u{E007}` Enter.
    pub async fn keys(&self, text: &str) {
        let mut actions = Vec::new();
        for c in text.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.command(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await;
    }

    pub async fn quit(self) {
        let path = format!("/session/{}", self.session);
        super::request(self.driver, "DELETE", &path, &[], b"").await;
    }
}

impl Drop for Browser {
    /// Even when a test fails half-way, chromedriver (and the browser it started) goes away.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &c)| {
            acc | (u32::from(value(c)) << (18 - 6 * i))
        });
        let take = chunk.len() - 1;
        for i in 0..take {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
