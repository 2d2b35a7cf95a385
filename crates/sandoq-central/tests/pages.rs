//! The headquarters pages in a real browser: headless Chromium driven over
//! WebDriver (chromedriver), with screenshots kept in `target/screenshots/`.
//! Chromium and chromedriver come from Debian's packages; `scripts/ci.sh`
//! installs them when missing. Without them this test fails, never skips.

mod support;

use sandoq_central::http::{app, people, AppState, Clock};
use sandoq_registry::{synthetic, Date, RegistryEntry};
use sandoq_store::{ElectionKind, ElectionSpec, OfflinePolicy, Role, Store, Timestamp, Voter};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

use support::browser::Browser;

const PASSWORD: &str = "a long enough password";

async fn service() -> SocketAddr {
    let store = support::sqlite_store().await;
    let polling_day = Date::from_jalali(1405, 2, 11).unwrap();
    let now = Timestamp::from_tehran(polling_day, 9, 30);
    store
        .create_user(
            "admin",
            Role::Hq,
            "",
            &people::hash_password(PASSWORD).unwrap(),
            "setup",
            now,
        )
        .await
        .unwrap();
    let spec = ElectionSpec {
        code: "tehran-1405-training".into(),
        name_fa: "هفتمین دورهٔ انتخابات شورای اسلامی شهر تهران".into(),
        name_en: "7th Tehran City Council election".into(),
        kind: ElectionKind::Training,
        seats: 21,
        constituency: "tehran-rey-tajrish".into(),
        polling_day,
        hours: sandoq_store::PollingHours::default(),
        offline_policy: OfflinePolicy::Refuse,
        paper_record: false,
        rules: sandoq_store::ElectionSpec::DEFAULT_RULES.into(),
    };
    let id = store.create_election(&spec, "setup", now).await.unwrap();
    let adult = Date::from_jalali(1360, 1, 1).unwrap();
    let voters: Vec<Voter> = synthetic::national_codes(2)
        .take(3)
        .map(|c| Voter {
            national_code: c,
            entry: RegistryEntry {
                birth_date: adult,
                constituency: "tehran-rey-tajrish".into(),
                deceased: false,
                barred: false,
            },
        })
        .collect();
    store
        .import_voters(id, &voters, "setup", now)
        .await
        .unwrap();
    // Three check-ins at station 1203 as fixture data, written straight to the store: the
    // election stays in setup so that the pages can import into it below.
    for (i, voter) in voters.iter().enumerate() {
        let record = sandoq_store::CheckInRecord {
            station: "1203".into(),
            at: now,
            request_id: format!("r{i}"),
            provisional: false,
        };
        store
            .insert_check_in(id, voter.national_code, &record)
            .await
            .unwrap();
    }
    // A double vote found when a provisional check-in was synced, for the incidents page.
    store
        .record_incident(
            id,
            &sandoq_store::Incident {
                kind: sandoq_store::IncidentKind::DoubleVote,
                national_code: voters[0].national_code.to_string(),
                station: "2201".into(),
                at: Timestamp(now.0 - 600),
                request_id: "off-1".into(),
                first_station: "1203".into(),
                first_at: now,
                detail: String::new(),
            },
        )
        .await
        .unwrap();
    let clock: Clock = Arc::new(move || now);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store, clock);
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headquarters_pages_in_chromium() {
    let addr = service().await;
    let browser = Browser::start().await;
    let base = format!("http://{addr}");

    // Not signed in: the overview sends the browser to the sign-in page, Persian and right to left.
    browser.open(&format!("{base}/")).await;
    let url = browser.command("GET", "/url", Value::Null).await;
    assert!(url.as_str().unwrap().ends_with("/sign-in"), "{url}");
    let dir = browser
        .script("arguments[0]([document.documentElement.dir, document.documentElement.lang])")
        .await;
    assert_eq!(dir, json!(["rtl", "fa"]));
    // Large enough to touch.
    let height = browser
        .script(
            "arguments[0](document.querySelector('button.primary').getBoundingClientRect().height)",
        )
        .await;
    assert!(height.as_f64().unwrap_or(0.0) >= 44.0, "{height}");

    browser.type_into("#username", "admin").await;
    browser.type_into("#password", "not the password").await;
    browser.click("button.primary").await;
    browser.wait_for(".error").await;
    let error = browser.find(".error").await;
    let code = browser
        .command(
            "GET",
            &format!("/element/{error}/attribute/data-code"),
            Value::Null,
        )
        .await;
    assert_eq!(code, "bad_credentials");
    assert!(browser.text(".error").await.contains("نادرست"));
    browser.screenshot("sign-in-error-fa").await;

    browser.type_into("#username", "admin").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button.primary").await;
    browser.wait_for(".polling-day").await;
    assert_eq!(browser.text(".polling-day").await, "۱۱ اردیبهشت ۱۴۰۵");
    assert_eq!(browser.text(".hours").await, "۰۸:۰۰ تا ۱۸:۰۰");
    assert_eq!(browser.text(".status").await, "در حال آماده‌سازی");
    assert_eq!(browser.text(".total").await, "۳");
    assert!(browser
        .text(".training")
        .await
        .contains("آموزشی / TRAINING"));
    assert!(browser
        .text("table")
        .await
        .contains("۱۱ اردیبهشت ۱۴۰۵، ۰۹:۰۰"));
    // The Persian font is sandoq's own, loaded from sandoq.
    let font = browser
        .script("const done = arguments[0]; document.fonts.ready.then(() => done([document.fonts.check('16px Vazirmatn', 'سلام'), getComputedStyle(document.body).fontFamily]))")
        .await;
    assert_eq!(font[0], true, "{font}");
    assert!(font[1].as_str().unwrap().contains("Vazirmatn"));
    browser.screenshot("overview-fa").await;

    browser.open(&format!("{base}/?lang=en")).await;
    browser.wait_for(".polling-day").await;
    let dir = browser
        .script("arguments[0]([document.documentElement.dir, document.documentElement.lang])")
        .await;
    assert_eq!(dir, json!(["ltr", "en"]));
    assert_eq!(browser.text(".polling-day").await, "11 Ordibehesht 1405");
    browser.screenshot("overview-en").await;

    browser.open(&format!("{base}/audit-log")).await;
    browser.wait_for("table").await;
    let log = browser.text("table").await;
    assert!(
        log.contains("create_election") && log.contains("sign_in"),
        "{log}"
    );
    browser.screenshot("audit-log-fa").await;

    setup_pages(&browser, &base).await;

    browser.click("header button").await;
    // The users page has a #username field too: wait for the sign-in page itself, or "/" may be
    // opened while the sign-out is still on its way.
    browser
        .wait_until("location.pathname.endsWith('/sign-in')")
        .await;
    browser.wait_for("#username").await;
    browser.open(&format!("{base}/")).await;
    let url = browser.command("GET", "/url", Value::Null).await;
    assert!(
        url.as_str().unwrap().ends_with("/sign-in"),
        "signed out: {url}"
    );
    // The executive board of district D1 sees its own station only.
    browser.type_into("#username", "board-d1").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button.primary").await;
    browser.wait_for(".polling-day").await;
    assert_eq!(
        browser.text(".total").await,
        "۳",
        "all three checked in at 1203, in D1"
    );
    browser.open(&format!("{base}/elections/1/stations")).await;
    browser.wait_for(".station-count").await;
    assert_eq!(browser.text(".station-count").await, "۱");
    assert_eq!(count(&browser, "tr[data-station]").await, 1);
    browser.screenshot("stations-executive-fa").await;
    browser.open(&format!("{base}/elections/1/imports")).await;
    browser.wait_for(".error").await;
    assert_eq!(
        attribute(&browser, ".error", "data-code").await,
        "forbidden_role"
    );
    browser.quit().await;
}

async fn count(browser: &Browser, css: &str) -> u64 {
    let css = serde_json::to_string(css).unwrap();
    browser
        .script(&format!(
            "arguments[0](document.querySelectorAll({css}).length)"
        ))
        .await
        .as_u64()
        .unwrap()
}

async fn attribute(browser: &Browser, css: &str, name: &str) -> String {
    let element = browser.find(css).await;
    browser
        .command(
            "GET",
            &format!("/element/{element}/attribute/{name}"),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// Uploads a file through the import form of `kind`.
async fn upload(browser: &Browser, base: &str, kind: &str, name: &str, contents: &[u8]) {
    let dir = std::env::temp_dir().join(support::unique("sandoq-uploads"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    browser.open(&format!("{base}/elections/1/imports")).await;
    browser.wait_for(&format!("#file-{kind}")).await;
    let input = browser.find(&format!("#file-{kind}")).await;
    browser
        .command(
            "POST",
            &format!("/element/{input}/value"),
            json!({"text": path.display().to_string()}),
        )
        .await;
    browser
        .click(&format!("#import-{kind} button.primary"))
        .await;
    browser
        .wait_for(&format!("#import-{kind} .ok, #import-{kind} .error"))
        .await;
}

/// Imports, lists and candidates with a photo, stations and devices, incidents, users.
async fn setup_pages(browser: &Browser, base: &str) {
    // A file with problems: every one in a table, by row and column; nothing imported.
    let bad = "code,kind,parent,name_fa,name_en\nT,county,,تهران,Tehran\nD1,district,X,منطقهٔ ۱,District 1\nT,county,,تهران,Tehran\n";
    upload(browser, base, "areas", "areas.csv", bad.as_bytes()).await;
    assert_eq!(
        attribute(browser, "#import-areas .error", "data-code").await,
        "import_refused"
    );
    assert_eq!(
        count(browser, "#import-areas tr[data-code=unknown_county]").await,
        1
    );
    assert_eq!(
        count(browser, "#import-areas tr[data-code=duplicate_code]").await,
        1
    );
    assert!(
        browser
            .text("#import-areas table.report")
            .await
            .contains("۳"),
        "row numbers in Persian digits"
    );
    browser.screenshot("import-report-fa").await;
    let areas = "code,kind,parent,name_fa,name_en\nT,county,,تهران,Tehran\nD1,district,T,منطقهٔ ۱,District 1\nD2,district,T,منطقهٔ ۲,District 2\n";
    upload(browser, base, "areas", "areas.csv", areas.as_bytes()).await;
    assert!(browser
        .text("#import-areas .ok")
        .await
        .contains("۳ ردیف وارد شد"));
    let stations = r#"[{"code": "1203", "district": "D1", "name_fa": "دبستان فردوسی", "name_en": "Ferdowsi school", "address": "خیابان انقلاب، پلاک ۱۲"},
        {"code": "2201", "district": "D2", "name_fa": "دبیرستان البرز", "name_en": "Alborz high school", "address": "خیابان کریم‌خان"}]"#;
    upload(
        browser,
        base,
        "stations",
        "stations.json",
        stations.as_bytes(),
    )
    .await;
    assert!(browser.text("#import-stations .ok").await.contains("۲"));
    let key = sandoq_central::http::device_auth::hex(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .as_bytes(),
    );
    let devices = format!("station,kind,public_key\n1203,check_in_desk,{key}\n");
    upload(browser, base, "devices", "devices.csv", devices.as_bytes()).await;
    assert!(browser.text("#import-devices .ok").await.contains("۱"));
    let candidates = "type,code,list,name_fa,name_en\nlist,101,,فهرست امید,Hope list\ncandidate,10101,101,مریم احمدی,Maryam Ahmadi\ncandidate,10102,101,رضا کریمی,Reza Karimi\ncandidate,9001,,علی رضایی,Ali Rezaei\n";
    upload(
        browser,
        base,
        "candidates",
        "candidates.csv",
        candidates.as_bytes(),
    )
    .await;
    assert!(browser
        .text("#import-candidates .ok")
        .await
        .contains("ردیف وارد شد"));
    browser.screenshot("imports-fa").await;

    // Lists and candidates, with a photo uploaded from the page.
    browser
        .open(&format!("{base}/elections/1/candidates"))
        .await;
    browser.wait_for("tr[data-candidate='10101']").await;
    assert!(browser
        .text("tr[data-candidate='10101']")
        .await
        .contains("۱۰۱۰۱"));
    let dir = std::env::temp_dir().join(support::unique("sandoq-photo"));
    std::fs::create_dir_all(&dir).unwrap();
    let photo = dir.join("maryam.png");
    std::fs::write(&photo, support::PNG).unwrap();
    let input = browser.find("#photo-10101").await;
    browser
        .command(
            "POST",
            &format!("/element/{input}/value"),
            json!({"text": photo.display().to_string()}),
        )
        .await;
    browser
        .click("tr[data-candidate='10101'] form button")
        .await;
    browser
        .wait_for("tr[data-candidate='10101'] img.photo")
        .await;
    let loaded = browser
        .script("const img = document.querySelector(\"tr[data-candidate='10101'] img.photo\"); const done = arguments[0]; if (img.complete) done(img.naturalWidth); else img.onload = () => done(img.naturalWidth);")
        .await;
    assert_eq!(loaded, 1, "the photo is served by sandoq");
    assert_eq!(browser.text(".export-hash").await.len(), 64);
    browser.screenshot("candidates-fa").await;
    browser
        .open(&format!("{base}/elections/1/candidates?lang=en"))
        .await;
    browser.wait_for("tr[data-candidate='9001']").await;
    assert!(browser
        .text("tr[data-candidate='9001']")
        .await
        .contains("Ali Rezaei"));
    browser.screenshot("candidates-en").await;

    // Stations and devices.
    browser.open(&format!("{base}/elections/1/stations")).await;
    browser.wait_for("tr[data-station='1203']").await;
    let row = browser.text("tr[data-station='1203']").await;
    assert!(
        row.contains("۱۲۰۳") && row.contains("منطقهٔ ۱") && row.contains("میز پذیرش"),
        "{row}"
    );
    assert_eq!(browser.text(".station-count").await, "۲");
    browser.screenshot("stations-fa").await;
    // Revoking the desk from the page.
    browser.click("li[data-device] form.revoke button").await;
    browser
        .wait_for("tr[data-station='1203'] ul.devices:not(:has(form.revoke))")
        .await;
    assert_eq!(browser.text("li[data-device] .device-status").await, "باطل");
    assert_eq!(count(browser, "form.revoke").await, 0);

    // Incidents: both stations and both times.
    browser.open(&format!("{base}/elections/1/incidents")).await;
    browser.wait_for("tr[data-kind='double_vote']").await;
    let row = browser.text("tr[data-kind='double_vote']").await;
    assert!(
        row.contains("۲۲۰۱")
            && row.contains("۱۲۰۳")
            && row.contains("۰۹:۲۰")
            && row.contains("۰۹:۳۰"),
        "{row}"
    );
    browser.screenshot("incidents-fa").await;

    // Users and roles: a refusal, then an executive board for district D1.
    browser.open(&format!("{base}/users")).await;
    browser.wait_for("#username").await;
    browser.type_into("#username", "board-d1").await;
    browser.type_into("#password", "short").await;
    browser.click("form[action^='/users'] button.primary").await;
    browser.wait_for(".error").await;
    assert_eq!(
        attribute(browser, ".error", "data-code").await,
        "weak_password"
    );
    browser.type_into("#username", "board-d1").await;
    browser
        .script("document.querySelector('#role').value = 'executive'; arguments[0](true)")
        .await;
    browser.type_into("#scope", "D1").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form[action^='/users'] button.primary").await;
    browser.wait_for("tr[data-user='board-d1']").await;
    assert!(browser
        .text("tr[data-user='board-d1']")
        .await
        .contains("هیئت اجرایی"));
    browser.screenshot("users-fa").await;
}
