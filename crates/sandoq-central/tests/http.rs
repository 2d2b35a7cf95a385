//! The check-in API over real HTTP on loopback, against both backends: signed
//! device requests, every refusal with its stable code (and nothing changed),
//! and three desks checking in the same people at once.

use sandoq_central::http::{app, AppState, Clock};
use sandoq_central::AnyStore;
use sandoq_registry::{synthetic, Date, NationalCode, RegistryEntry};
use sandoq_store::{
    DeviceKind, ElectionKind, ElectionSpec, OfflinePolicy, Store, Timestamp, Voter,
};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

mod support;

use support::Desk;

/// A request over real TCP: (status, body as JSON).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Value) {
    let answer = support::request(addr, method, path, headers, body).await;
    (answer.status, answer.body)
}

async fn sqlite_store() -> AnyStore {
    support::sqlite_store().await
}

async fn postgres_store() -> AnyStore {
    support::postgres_store().await
}

struct World {
    addr: SocketAddr,
    store: AnyStore,
    election: i64,
    other_election: i64,
    now: Timestamp,
    codes: Vec<NationalCode>,
}

async fn world(store: AnyStore, voters: usize) -> World {
    let polling_day = Date::from_jalali(1405, 2, 11).unwrap();
    let now = Timestamp::from_tehran(polling_day, 10, 0);
    let spec = |code: &str| ElectionSpec {
        code: code.into(),
        name_fa: "انتخابات آموزشی".into(),
        name_en: "training election".into(),
        kind: ElectionKind::Training,
        seats: 21,
        constituency: "tehran-rey-tajrish".into(),
        polling_day,
        hours: sandoq_store::PollingHours::default(),
        offline_policy: OfflinePolicy::Refuse,
        paper_record: false,
        rules: sandoq_store::ElectionSpec::DEFAULT_RULES.into(),
    };
    let election = store
        .create_election(&spec("main"), "hq", now)
        .await
        .unwrap();
    let other = store
        .create_election(&spec("other"), "hq", now)
        .await
        .unwrap();
    let codes: Vec<NationalCode> = synthetic::national_codes(31).take(voters).collect();
    let adult = Date::from_jalali(1365, 6, 1).unwrap();
    let registry: Vec<Voter> = codes
        .iter()
        .map(|&c| Voter {
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
        .import_voters(election, &registry, "hq", now)
        .await
        .unwrap();
    for id in [election, other] {
        store
            .set_election_status(
                id,
                sandoq_store::ElectionStatus::Setup,
                sandoq_store::ElectionStatus::Voting,
                "hq",
                now,
            )
            .await
            .unwrap();
    }
    for (seed, station) in [(1u8, "S-0001"), (2, "S-0002"), (3, "S-0003")] {
        store
            .register_device(
                election,
                station,
                DeviceKind::CheckInDesk,
                &Desk::new(seed).public(),
                "hq",
                now,
            )
            .await
            .unwrap();
    }
    store
        .register_device(
            election,
            "S-0001",
            DeviceKind::BallotBox,
            &Desk::new(9).public(),
            "hq",
            now,
        )
        .await
        .unwrap();
    store
        .register_device(
            other,
            "S-0001",
            DeviceKind::CheckInDesk,
            &Desk::new(10).public(),
            "hq",
            now,
        )
        .await
        .unwrap();
    let duplicate = store
        .register_device(
            election,
            "S-0004",
            DeviceKind::CheckInDesk,
            &Desk::new(1).public(),
            "hq",
            now,
        )
        .await;
    assert_eq!(duplicate.unwrap_err().code(), "device_key_taken");
    let clock: Clock = Arc::new(move || now);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store.clone(), clock);
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    World {
        addr,
        store,
        election: election.0,
        other_election: other.0,
        now,
        codes,
    }
}

async fn check_in(
    w: &World,
    desk: &Desk,
    code: &str,
    request_id: &str,
    nonce: &str,
) -> (u16, Value) {
    let path = format!("/api/elections/{}/check-ins", w.election);
    let body = json!({"national_code": code, "request_id": request_id}).to_string();
    http(
        w.addr,
        "POST",
        &path,
        &desk.headers(&path, body.as_bytes(), w.now.0, nonce),
        body.as_bytes(),
    )
    .await
}

fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!(answer.0, status, "{answer:?}");
    assert_eq!(answer.1["error"]["code"], code, "{answer:?}");
    assert!(answer.1["error"]["fa"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(answer.1["error"]["en"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
}

async fn api_story(store: AnyStore) {
    let w = world(store, 10).await;
    let (desk1, desk2) = (Desk::new(1), Desk::new(2));
    let election_id = sandoq_store::ElectionId(w.election);
    assert_eq!(
        http(w.addr, "GET", "/api/health", &[], b"").await,
        (200, json!({"status": "ok"}))
    );
    let (status, document) = http(w.addr, "GET", "/api/openapi.json", &[], b"").await;
    assert_eq!(status, 200);
    for (method, path, _) in sandoq_central::http::ROUTES {
        assert!(
            document["paths"][path][method.to_ascii_lowercase()].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }

    let code = w.codes[0].to_string();
    let first = check_in(&w, &desk1, &code, "desk1-1", "n1").await;
    assert_eq!(first.0, 200, "{first:?}");
    assert_eq!(first.1["outcome"], "recorded");
    assert_eq!(first.1["station"], "S-0001");
    assert!(first.1["message"]["fa"]
        .as_str()
        .unwrap()
        .contains("ثبت شد"));
    // The desk retries the same check-in (a new signed request, same request id): same answer.
    let retry = check_in(&w, &desk1, &code, "desk1-1", "n2").await;
    assert_eq!(
        (retry.0, &retry.1["outcome"], &retry.1["at"]),
        (200, &json!("recorded"), &first.1["at"])
    );
    // Another station: already voted, where and when.
    let elsewhere = check_in(&w, &desk2, &code, "desk2-1", "n1").await;
    assert_eq!(elsewhere.1["outcome"], "already_voted");
    assert_eq!(elsewhere.1["previous_station"], "S-0001");
    let refused = check_in(&w, &desk2, "0012345678", "desk2-2", "n2").await;
    assert_eq!(
        (refused.0, &refused.1["outcome"]),
        (200, &json!("national_code_check_digit"))
    );
    let count = w.store.count_check_ins(election_id).await.unwrap();
    assert_eq!(count, 1);

    // Every refusal below changes nothing.
    let path = format!("/api/elections/{}/check-ins", w.election);
    let body = json!({"national_code": w.codes[1].to_string(), "request_id": "x1"}).to_string();
    let headers = desk1.headers(&path, body.as_bytes(), w.now.0, "replay-me");
    assert_eq!(
        http(w.addr, "POST", &path, &headers, body.as_bytes())
            .await
            .1["outcome"],
        "recorded"
    );
    assert_error(
        &http(w.addr, "POST", &path, &headers, body.as_bytes()).await,
        401,
        "replayed_request",
    );
    let count = count + 1;
    let tampered = json!({"national_code": w.codes[2].to_string(), "request_id": "x1"}).to_string();
    assert_error(
        &http(
            w.addr,
            "POST",
            &path,
            &desk1.headers(&path, body.as_bytes(), w.now.0, "t1"),
            tampered.as_bytes(),
        )
        .await,
        401,
        "bad_signature",
    );
    assert_error(
        &http(
            w.addr,
            "POST",
            &path,
            &Desk::new(77).headers(&path, body.as_bytes(), w.now.0, "u1"),
            body.as_bytes(),
        )
        .await,
        401,
        "unknown_device",
    );
    assert_error(
        &http(
            w.addr,
            "POST",
            &path,
            &[("content-type", "application/json".into())],
            body.as_bytes(),
        )
        .await,
        401,
        "missing_signature",
    );
    assert_error(
        &http(
            w.addr,
            "POST",
            &path,
            &desk1.headers(&path, body.as_bytes(), w.now.0 - 301, "s1"),
            body.as_bytes(),
        )
        .await,
        401,
        "stale_request",
    );
    let mut wrong_path = desk1.headers(
        "/api/elections/999/check-ins",
        body.as_bytes(),
        w.now.0,
        "p1",
    );
    wrong_path[0] = ("content-type", "application/json".into());
    assert_error(
        &http(w.addr, "POST", &path, &wrong_path, body.as_bytes()).await,
        401,
        "bad_signature",
    );
    assert_error(
        &check_in(&w, &Desk::new(9), &w.codes[3].to_string(), "bb1", "b1").await,
        403,
        "wrong_device_kind",
    );
    assert_error(
        &check_in(&w, &Desk::new(10), &w.codes[3].to_string(), "o1", "o1").await,
        403,
        "wrong_election",
    );
    let mut text = desk1.headers(&path, body.as_bytes(), w.now.0, "c1");
    text[0] = ("content-type", "text/plain".into());
    assert_error(
        &http(w.addr, "POST", &path, &text, body.as_bytes()).await,
        415,
        "unsupported_content_type",
    );
    let huge = vec![b' '; 20 * 1024];
    assert_error(
        &http(
            w.addr,
            "POST",
            &path,
            &desk1.headers(&path, &huge, w.now.0, "h1"),
            &huge,
        )
        .await,
        413,
        "body_too_large",
    );
    for (bad, nonce) in [
        (&b"{not json"[..], "j1"),
        (
            br#"{"national_code": "1", "request_id": "r", "station": "S-0009"}"#,
            "j2",
        ),
        (br#"{"national_code": 12}"#, "j3"),
    ] {
        assert_error(
            &http(
                w.addr,
                "POST",
                &path,
                &desk1.headers(&path, bad, w.now.0, nonce),
                bad,
            )
            .await,
            400,
            "invalid_json",
        );
    }
    assert_error(
        &http(w.addr, "POST", "/api/elections/abc/check-ins", &[], b"{}").await,
        400,
        "bad_path",
    );
    assert_error(
        &http(w.addr, "GET", "/api/nothing", &[], b"").await,
        404,
        "not_found",
    );
    let reused =
        json!({"national_code": w.codes[4].to_string(), "request_id": "desk1-1"}).to_string();
    assert_error(
        &http(
            w.addr,
            "POST",
            &path,
            &desk1.headers(&path, reused.as_bytes(), w.now.0, "r9"),
            reused.as_bytes(),
        )
        .await,
        422,
        "request_id_reused",
    );
    assert_eq!(
        w.store.count_check_ins(election_id).await.unwrap(),
        count,
        "refused requests record nothing"
    );
    let _ = w.other_election;
}

async fn three_desks_race(store: AnyStore) {
    let people = 150;
    let w = Arc::new(world(store, people).await);
    let mut tasks = Vec::new();
    for seed in 1..=3u8 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            let desk = Desk::new(seed);
            let mut recorded = Vec::new();
            for (i, code) in w.codes.iter().enumerate() {
                let answer = check_in(
                    &w,
                    &desk,
                    &code.to_string(),
                    &format!("d{seed}-{i}"),
                    &format!("n{i}"),
                )
                .await;
                assert_eq!(answer.0, 200, "{answer:?}");
                if answer.1["outcome"] == "recorded" {
                    recorded.push(i);
                } else {
                    assert_eq!(answer.1["outcome"], "already_voted");
                }
            }
            recorded
        }));
    }
    let mut times = vec![0; people];
    for task in tasks {
        for i in task.await.unwrap() {
            times[i] += 1;
        }
    }
    assert!(times.iter().all(|&n| n == 1), "{times:?}");
    assert_eq!(
        w.store
            .count_check_ins(sandoq_store::ElectionId(w.election))
            .await
            .unwrap(),
        people as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_api() {
    api_story(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_api() {
    api_story(postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_three_desks_race_over_http() {
    three_desks_race(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_three_desks_race_over_http() {
    three_desks_race(postgres_store().await).await;
}
