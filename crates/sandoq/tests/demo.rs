//! `sandoq demo` as a newcomer runs it: the real binary starts the centre and three stations,
//! prints the addresses, and simulated voters go through the real flow until every station has
//! reported. Then headless Chromium opens the printed pages (results, dashboard as headquarters, a
//! check-in desk, a ballot box), checks what they show, and keeps screenshots in
//! `target/screenshots/demo-*.png`.

#[path = "../../sandoq-central/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use support::browser::Browser;

const VOTERS: u64 = 30;

/// Kills the demo when the test ends, whatever happens.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn address_after(lines: &[String], label: &str) -> String {
    lines
        .iter()
        .find(|l| l.contains(label))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{}", lines.join("\n")))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_the_whole_system_and_its_pages_open_in_chromium() {
    let data = std::env::temp_dir().join(support::unique("sandoq-demo-test"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args(["demo", "--port", "0", "--pace-ms", "0", "--voters"])
        .arg(VOTERS.to_string())
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let demo = Demo(child);
    // Everything printed up to "done:" (every simulated voter voted, every station reported).
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("done:");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("done:")),
        "the demo ended early:\n{}",
        lines.join("\n")
    );
    assert!(lines.iter().any(|l| l.contains("TRAINING")));
    assert!(lines.iter().any(|l| l.starts_with("ready")));
    let sign_in = address_after(&lines, "sign in");
    let results = address_after(&lines, "public results");
    let dashboard = address_after(&lines, "election-day dashboard");
    let desk = address_after(&lines, "check-in desk");
    let ballot_box = address_after(&lines, "ballot box");
    let centre: SocketAddr = sign_in
        .trim_start_matches("http://")
        .trim_end_matches("/sign-in")
        .parse()
        .unwrap();
    let election = results.rsplit('/').next().unwrap().to_string();
    // Every ballot cast reached the result: three stations reported, thirty ballots.
    let answer = support::request(
        centre,
        "GET",
        &format!("/api/elections/{election}/results"),
        &[],
        b"",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["stations"]["reported"], 3, "{}", answer.body);
    assert_eq!(answer.body["ballots"], VOTERS, "{}", answer.body);
    let seats: u64 = answer.body["result"]["seats"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(seats, 21);

    let browser = Browser::start().await;
    browser.resize(1280, 900).await;
    // The public results site, Persian first, marked training.
    browser.open(&results).await;
    browser.wait_for("#status").await;
    assert!(browser.text("body").await.contains("آموزشی"));
    assert_eq!(
        browser
            .eval("document.querySelectorAll('svg.hemicycle circle.seat').length")
            .await,
        21
    );
    assert_eq!(
        browser
            .eval("document.querySelectorAll('#reports tr.station-report').length")
            .await,
        3
    );
    assert_eq!(
        browser
            .eval("document.documentElement.getAttribute('dir')")
            .await,
        "rtl"
    );
    browser.screenshot("demo-results-fa").await;
    browser.open(&format!("{results}?lang=en")).await;
    browser.wait_for("#status").await;
    assert!(browser.text("body").await.contains("TRAINING"));
    browser.screenshot("demo-results-en").await;

    // Headquarters signs in with the printed demo account and sees every station reported.
    browser.open(&sign_in).await;
    browser.type_into("#username", "hq").await;
    browser
        .type_into("#password", sandoq_sim::training::DEMO_PASSWORD)
        .await;
    browser.click("button.primary").await;
    browser.wait_for(".polling-day").await;
    browser.open(&dashboard).await;
    browser.wait_for("tr.station").await;
    assert_eq!(
        browser
            .eval("document.querySelectorAll('tr.station[data-state=\"reported\"]').length")
            .await,
        3
    );
    browser.screenshot("demo-dashboard-fa").await;
    // The drills page of the training election: every station has opened, so none can start.
    let drills = address_after(&lines, "drills for station officials");
    browser.open(&drills).await;
    browser.wait_for("#start-drill").await;
    assert!(browser.text("#no-station").await.contains("گشوده شده‌اند"));
    assert!(browser.text("body").await.contains("آموزشی / TRAINING"));

    // A station's desk and ballot box, served by its own agent.
    // Both fill themselves in from the agent's API, the training banner included.
    let banner_shown =
        "!document.getElementById('training').classList.contains('hidden') && document.getElementById('training').textContent.includes('آموزشی')";
    browser.open(&desk).await;
    browser.wait_until(banner_shown).await;
    browser.screenshot("demo-desk-fa").await;
    browser.open(&ballot_box).await;
    browser.wait_until(banner_shown).await;
    browser.screenshot("demo-ballot-box-fa").await;
    browser.quit().await;
    drop(demo);
    let _ = std::fs::remove_dir_all(&data);
}
