//! Issue 18 §4: a station's posted minutes checked against the published record on the results
//! site (`/results/{election}/minutes`), in headless Chromium, screenshots in
//! `target/screenshots/minutes-*.png`. Station S-1 votes, closes and reports through its real
//! agent; its minutes' QR payloads are what `sandoq_station::report::qr_payloads` makes (what the
//! agent prints). Pasted in order or shuffled: "exactly this report"; a code left out: which one;
//! a figure changed: "a different report"; a station that never reported, one that does not
//! exist; the public `GET …/station-reports/{station}` it asks; Persian, English, 390 px wide.

mod common;

use common::support::browser::Browser;
use common::{Fixture, Options, OFFICIALS};
use sandoq_store::Store;
use serde_json::{json, Value};

async fn open_and_vote(f: &Fixture) -> String {
    let mut cookie = String::new();
    for name in OFFICIALS {
        cookie = f.sign_in(name).await;
    }
    let (status, answer) = f.call("POST", "/api/desk/open", &cookie, Value::Null).await;
    assert_eq!(status, 200, "{answer}");
    for (voter, ballot) in [(0, json!({"list": "101"})), (1, json!({"blank": true}))] {
        let (status, answer) = f
            .call(
                "POST",
                "/api/desk/check-in",
                &cookie,
                json!({"national_code": f.voters[voter].to_string()}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        let token = answer["token"].as_str().unwrap().to_string();
        let (_, answer) = f
            .call("POST", "/api/box/1/unlock", "", json!({"token": token}))
            .await;
        let session = answer["session"].as_str().unwrap().to_string();
        let (status, answer) = f
            .call(
                "POST",
                "/api/box/1/cast",
                "",
                json!({"session": session, "ballot": ballot}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    cookie
}

async fn close_and_send(f: &Fixture, cookie: &str) {
    let (status, answer) = f.call("POST", "/api/desk/close", cookie, Value::Null).await;
    assert_eq!(status, 200, "{answer}");
    for name in OFFICIALS {
        let (status, answer) = f
            .call(
                "POST",
                "/api/desk/cosign",
                cookie,
                json!({"username": name, "password": common::PASSWORD}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    f.agent.tick().await;
    f.agent.tick().await;
}

/// Puts `lines` into the page's text area, as typed, presses Check, and waits for the verdict:
/// its kind and its text.
async fn check(browser: &Browser, lines: &[String]) -> (String, String) {
    browser.type_into("#payloads", &lines.join("\n")).await;
    browser
        .eval("(() => { const v = document.getElementById('verdict'); delete v.dataset.verdict; v.textContent = ''; return true; })()")
        .await;
    browser.click("#check").await;
    browser
        .wait_until("!!document.getElementById('verdict').dataset.verdict")
        .await;
    let kind = browser
        .eval("document.getElementById('verdict').dataset.verdict")
        .await;
    (
        kind.as_str().unwrap().to_string(),
        browser.text("#verdict").await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_minutes_checked_on_the_results_site_in_chromium() {
    let f = Fixture::new(Options::default()).await;
    f.start_voting().await;
    f.agent.tick().await;
    let cookie = open_and_vote(&f).await;
    close_and_send(&f, &cookie).await;
    let (text, _) = f
        .store
        .station_report(f.election, "S-1")
        .await
        .unwrap()
        .expect("the centre accepted S-1's report");
    let report: Value = serde_json::from_str(&text).unwrap();
    let payloads = sandoq_station::report::qr_payloads(&report);
    assert!(payloads.len() >= 2, "several codes: {}", payloads.len());

    // The public report the page asks for; none for a station that never reported.
    let api = |station: &str| format!("/api/elections/{}/station-reports/{station}", f.election.0);
    let answer = common::support::request(f.centre, "GET", &api("S-1"), &[], b"").await;
    assert_eq!((answer.status, &answer.body), (200, &report));
    let answer = common::support::request(f.centre, "GET", &api("S-2"), &[], b"").await;
    assert_eq!(
        (answer.status, answer.body["error"]["code"].as_str()),
        (404, Some("no_station_report"))
    );
    let answer = common::support::request(f.centre, "GET", &api("S-9"), &[], b"").await;
    assert_eq!(
        (answer.status, answer.body["error"]["code"].as_str()),
        (404, Some("unknown_station"))
    );
    let page = format!("/results/{}/minutes", f.election.0);
    let answer = common::support::request(f.centre, "GET", &page, &[], b"").await;
    assert!(
        answer
            .head
            .contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{}",
        answer.head
    );

    let browser = Browser::start().await;
    // From the results page's link, Persian first.
    browser
        .open(&format!("http://{}/results/{}", f.centre, f.election.0))
        .await;
    browser.wait_for("#minutes-link").await;
    browser.click("#minutes-link").await;
    browser
        .wait_until("document.body.dataset.ready === 'true'")
        .await;
    assert_eq!(browser.eval("document.documentElement.dir").await, "rtl");
    // The camera button only where the browser reads QR codes itself.
    assert_eq!(
        browser
            .eval("('BarcodeDetector' in window) === !document.getElementById('scan').hidden")
            .await,
        true
    );
    let (kind, said) = check(&browser, &payloads).await;
    assert_eq!(kind, "same", "{said}");
    assert!(said.contains("دقیقاً همین صورتجلسهٔ شعبهٔ"), "{said}");
    browser.screenshot("minutes-same-fa").await;

    // Shuffled, one scanned twice, blank lines between.
    let mut shuffled: Vec<String> = payloads.iter().rev().cloned().collect();
    shuffled.insert(1, String::new());
    shuffled.push(payloads[0].clone());
    assert_eq!(check(&browser, &shuffled).await.0, "same");

    // A code left out: which one, in Persian digits.
    let mut short = payloads.clone();
    short.remove(1);
    let (kind, said) = check(&browser, &short).await;
    assert_eq!(kind, "unreadable", "{said}");
    let n: String = payloads
        .len()
        .to_string()
        .chars()
        .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    assert!(said.contains(&format!("کد ۲ از {n} نیست")), "{said}");
    browser.screenshot("minutes-code-missing-fa").await;

    // Not minutes at all.
    let (kind, said) = check(&browser, &["hello".to_string()]).await;
    assert_eq!(kind, "unreadable", "{said}");
    assert!(said.contains("سطر ۱"), "{said}");

    // A figure changed: the record holds a different report.
    let mut changed = report.clone();
    changed["list_ballots"]["101"] = json!(changed["list_ballots"]["101"].as_u64().unwrap() + 1);
    let (kind, said) = check(&browser, &sandoq_station::report::qr_payloads(&changed)).await;
    assert_eq!(kind, "differs", "{said}");
    assert!(said.contains("list_ballots"), "{said}");
    browser.screenshot("minutes-differs-fa").await;

    // A station of the election with no report; a station the election lacks; a station code
    // that is markup, shown as text.
    let mut elsewhere = report.clone();
    elsewhere["station"] = json!("S-2");
    let (kind, said) = check(&browser, &sandoq_station::report::qr_payloads(&elsewhere)).await;
    assert_eq!(kind, "missing", "{said}");
    assert!(said.contains("غایب"), "{said}");
    browser.screenshot("minutes-no-report-fa").await;
    elsewhere["station"] = json!("<img src=x onerror=document.title='owned'>");
    let (kind, said) = check(&browser, &sandoq_station::report::qr_payloads(&elsewhere)).await;
    assert_eq!(kind, "unknown_station", "{said}");
    assert!(said.contains("<img src=x"), "{said}");
    assert_eq!(
        browser
            .eval("document.querySelectorAll('#verdict img').length === 0 && document.title !== 'owned'")
            .await,
        true
    );

    // English.
    browser
        .open(&format!("http://{}{page}?lang=en", f.centre))
        .await;
    browser
        .wait_until("document.body.dataset.ready === 'true'")
        .await;
    assert_eq!(browser.eval("document.documentElement.dir").await, "ltr");
    let (kind, said) = check(&browser, &shuffled).await;
    assert_eq!(kind, "same");
    assert!(
        said.contains("The published record holds exactly this report of station"),
        "{said}"
    );
    browser.screenshot("minutes-same-en").await;
    let (kind, said) = check(&browser, &short).await;
    assert_eq!(kind, "unreadable");
    assert!(
        said.contains(&format!("Code 2 of {} is missing", payloads.len())),
        "{said}"
    );

    // A telephone's width, Persian: nothing wider than the screen.
    browser.resize(390, 844).await;
    browser.open(&format!("http://{}{page}", f.centre)).await;
    browser
        .wait_until("document.body.dataset.ready === 'true'")
        .await;
    let (kind, _) = check(&browser, &changed_payloads(&report)).await;
    assert_eq!(kind, "differs");
    assert_eq!(
        browser
            .eval("document.documentElement.scrollWidth <= window.innerWidth")
            .await,
        true
    );
    browser.screenshot("minutes-differs-390").await;
    browser.quit().await;
    let _ = std::fs::remove_dir_all(&f.data);
}

fn changed_payloads(report: &Value) -> Vec<String> {
    let mut changed = report.clone();
    changed["ballots"] = json!(changed["ballots"].as_u64().unwrap() + 1);
    sandoq_station::report::qr_payloads(&changed)
}
