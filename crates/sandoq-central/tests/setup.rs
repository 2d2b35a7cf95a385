//! Setting an election up over HTTP and what people then see (issue 3 §2-4),
//! against both backends: imports that refuse bad files whole with every
//! problem by row and column, photos, the export and its content hash,
//! executive boards and station officials scoped to their own stations, and
//! provisional check-ins whose conflicts become incidents supervisors see.

mod support;

use sandoq_central::http::{app, people, AppState, Clock};
use sandoq_central::AnyStore;
use sandoq_registry::{synthetic, Date, NationalCode};
use sandoq_store::{ElectionId, Role, Store, Timestamp};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use support::{request, Desk};

const PASSWORD: &str = "a long enough password";

struct Service {
    addr: SocketAddr,
    store: AnyStore,
    now: Timestamp,
    hq: String,
}

impl Service {
    async fn call(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let mut headers = vec![("cookie", cookie.to_string())];
        if !content_type.is_empty() {
            headers.push(("content-type", content_type.to_string()));
        }
        let answer = request(self.addr, method, path, &headers, body).await;
        (answer.status, answer.body)
    }

    async fn sign_in(&self, username: &str) -> String {
        self.sign_in_as(username, PASSWORD).await
    }

    async fn sign_in_as(&self, username: &str, password: &str) -> String {
        let body = json!({"username": username, "password": password}).to_string();
        let answer = request(
            self.addr,
            "POST",
            "/api/sessions",
            &[("content-type", "application/json".into())],
            body.as_bytes(),
        )
        .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let line = answer
            .head
            .lines()
            .find(|l| l.starts_with("set-cookie:"))
            .unwrap();
        line["set-cookie:".len()..]
            .trim()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }

    async fn import(
        &self,
        election: i64,
        kind: &str,
        content_type: &str,
        body: &str,
    ) -> (u16, Value) {
        self.call(
            "POST",
            &format!("/api/elections/{election}/imports/{kind}"),
            &self.hq,
            content_type,
            body.as_bytes(),
        )
        .await
    }
}

async fn service(store: AnyStore) -> Service {
    let polling_day = Date::from_jalali(1405, 2, 11).unwrap();
    let now = Timestamp::from_tehran(polling_day, 10, 0);
    let clock: Clock = Arc::new(move || now);
    let users = [
        ("hq", Role::Hq, ""),
        ("supervisor", Role::Supervisor, ""),
        ("exec-d1", Role::Executive, "D1"),
        ("exec-county", Role::Executive, "T"),
        ("exec-elsewhere", Role::Executive, "NOWHERE"),
        ("official-s2", Role::Station, "S-2"),
        ("observer", Role::Observer, ""),
    ];
    for (name, role, scope) in users {
        let hash = people::hash_password(PASSWORD).unwrap();
        store
            .create_user(name, role, scope, &hash, "setup", now)
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store.clone(), clock);
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    let mut service = Service {
        addr,
        store,
        now,
        hq: String::new(),
    };
    service.hq = service.sign_in("hq").await;
    service
}

async fn new_election(service: &Service, policy: &str) -> i64 {
    let body = json!({
        "code": support::unique("e"), "name_fa": "آموزشی", "name_en": "training", "kind": "training", "seats": 21,
        "constituency": "tehran-rey-tajrish", "polling_day": "1405/02/11", "offline_policy": policy
    });
    let (status, answer) = service
        .call(
            "POST",
            "/api/elections",
            &service.hq,
            "application/json",
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{answer:?}");
    answer["election"].as_i64().unwrap()
}

fn problems(answer: &Value) -> Vec<(u64, String, String)> {
    answer["error"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems in {answer:?}"))
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap_or("").to_string(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triple(row: u64, column: &str, code: &str) -> (u64, String, String) {
    (row, column.to_string(), code.to_string())
}

const AREAS: &str = "code,kind,parent,name_fa,name_en\nT,county,,تهران,Tehran\nD1,district,T,منطقهٔ ۱,District 1\nD2,district,T,منطقهٔ ۲,District 2\n";
const STATIONS: &str = "code,district,name_fa,name_en,address\nS-1,D1,دبستان فردوسی,Ferdowsi school,خیابان انقلاب\nS-2,D2,دبیرستان البرز,Alborz school,خیابان کریم‌خان\n";

/// An election with areas, two stations and a desk at each.
async fn set_up(service: &Service, policy: &str) -> (i64, Desk, Desk) {
    let election = new_election(service, policy).await;
    assert_eq!(
        service.import(election, "areas", "text/csv", AREAS).await.0,
        200
    );
    assert_eq!(
        service
            .import(election, "stations", "text/csv", STATIONS)
            .await
            .0,
        200
    );
    let (a, b) = (
        Desk::new(election as u8 * 2 + 1),
        Desk::new(election as u8 * 2 + 2),
    );
    let devices = format!(
        "station,kind,public_key\nS-1,check_in_desk,{}\nS-2,check_in_desk,{}\n",
        a.public(),
        b.public()
    );
    let (status, answer) = service
        .import(election, "devices", "text/csv", &devices)
        .await;
    assert_eq!(status, 200, "{answer:?}");
    (election, a, b)
}

async fn imports_refuse_bad_files_whole(store: AnyStore) {
    let service = service(store).await;
    // The rule set's options are checked by the counting engine when the election is created.
    let bad_rules = json!({
        "code": "rules", "name_fa": "آموزشی", "name_en": "training", "kind": "training", "seats": 21,
        "constituency": "tehran-rey-tajrish", "polling_day": "1405/02/11", "offline_policy": "refuse",
        "options": {"tie_break": "lot"}
    });
    let (status, answer) = service
        .call(
            "POST",
            "/api/elections",
            &service.hq,
            "application/json",
            bad_rules.to_string().as_bytes(),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("lot_seed_required"))
    );
    let mut good_rules = bad_rules.clone();
    good_rules["options"]["lot_seed"] = json!("announced on 1405/02/01");
    good_rules["opens"] = json!("۰۸:۰۰");
    good_rules["closes"] = json!("20:00");
    let (status, answer) = service
        .call(
            "POST",
            "/api/elections",
            &service.hq,
            "application/json",
            good_rules.to_string().as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{answer:?}");
    let (_, shown) = service
        .call(
            "GET",
            &format!("/api/elections/{}", answer["election"]),
            &service.hq,
            "",
            b"",
        )
        .await;
    assert_eq!(
        shown["rules"]["options"]["lot_seed"],
        "announced on 1405/02/01"
    );
    assert_eq!(
        (
            shown["opens"].as_str(),
            shown["closes"].as_str(),
            shown["status"].as_str()
        ),
        (Some("08:00"), Some("20:00"), Some("setup"))
    );
    let election = new_election(&service, "refuse").await;
    // Areas: a district whose county is unknown, a duplicate, a bad kind, an empty name.
    let bad = "code,kind,parent,name_fa,name_en\nT,county,,تهران,Tehran\nD1,district,X,منطقهٔ ۱,District 1\nT,county,,تهران,Tehran\nD3,city,T,,District 3\n";
    let (status, answer) = service.import(election, "areas", "text/csv", bad).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("import_refused"))
    );
    assert_eq!(
        problems(&answer),
        vec![
            triple(2, "parent", "unknown_county"),
            triple(3, "code", "duplicate_code"),
            triple(4, "kind", "unknown_area_kind"),
            triple(4, "name_fa", "empty_field"),
        ]
    );
    assert!(answer["error"]["fa"]
        .as_str()
        .unwrap()
        .contains("چیزی وارد نشد"));
    let (_, areas) = service
        .call(
            "GET",
            &format!("/api/elections/{election}/areas"),
            &service.hq,
            "",
            b"",
        )
        .await;
    assert_eq!(areas["areas"], json!([]), "a refused file changes nothing");
    // The same areas as JSON, good this time.
    let json_areas = r#"[{"code": "T", "kind": "county", "name_fa": "تهران", "name_en": "Tehran"},
        {"code": "D1", "kind": "district", "parent": "T", "name_fa": "منطقهٔ ۱", "name_en": "District 1"}]"#;
    let (status, answer) = service
        .import(election, "areas", "application/json", json_areas)
        .await;
    assert_eq!(
        (status, answer["imported"].as_u64()),
        (200, Some(2)),
        "{answer:?}"
    );
    // Stations: an unknown district refuses the whole file.
    let stations = "code,district,name_fa,name_en,address\nS-1,D1,دبستان,School,نشانی\nS-2,D9,دبیرستان,High school,نشانی\n";
    let (status, answer) = service
        .import(election, "stations", "text/csv", stations)
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        problems(&answer),
        vec![triple(2, "district", "unknown_district")]
    );
    assert_eq!(
        service.store.stations(ElectionId(election)).await.unwrap(),
        vec![]
    );
    let (status, _) = service
        .import(
            election,
            "stations",
            "text/csv",
            &stations.replace("D9", "D1"),
        )
        .await;
    assert_eq!(status, 200);
    // Devices: unknown station, bad key, the same key twice.
    let key = Desk::new(9).public();
    let devices = format!("station,kind,public_key\nS-9,check_in_desk,{key}\nS-1,ballot_box,abc\nS-1,check_in_desk,{key}\nS-2,check_in_desk,{key}\n");
    let (status, answer) = service
        .import(election, "devices", "text/csv", &devices)
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        problems(&answer),
        vec![
            triple(1, "station", "unknown_station"),
            triple(2, "public_key", "bad_public_key"),
            triple(3, "public_key", "duplicate_code"),
            triple(4, "public_key", "duplicate_code"),
        ]
    );
    assert!(service
        .store
        .devices(ElectionId(election))
        .await
        .unwrap()
        .is_empty());
    // Lists and candidates: a candidate on two lists, a code that is both a list's and a candidate's.
    let candidates = "type,code,list,name_fa,name_en\nlist,101,,امید,Hope\ncandidate,10101,101,یک,One\ncandidate,10101,,یک,One\ncandidate,101,,دو,Two\n";
    let (status, answer) = service
        .import(election, "candidates", "text/csv", candidates)
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        problems(&answer),
        vec![
            triple(3, "list", "candidate_on_two_lists"),
            triple(4, "code", "list_candidate_code_collision")
        ]
    );
    // The registry over HTTP: a bad check digit names its row and column.
    let registry = "national_code,birth_date,constituency,deceased,barred\n0012345678,1370/05/14,tehran-rey-tajrish,0,0\n";
    let (status, answer) = service
        .import(election, "registry", "text/csv", registry)
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        problems(&answer),
        vec![triple(1, "national_code", "national_code_check_digit")]
    );
    let (status, answer) = service
        .import(
            election,
            "registry",
            "text/csv",
            &registry.replace("0012345678", "0012345679"),
        )
        .await;
    assert_eq!(
        (status, answer["imported"].as_u64()),
        (200, Some(1)),
        "{answer:?}"
    );
    // Wrong content type, unknown import, bytes that are not UTF-8.
    let (status, answer) = service.import(election, "areas", "text/plain", AREAS).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (415, Some("unsupported_content_type"))
    );
    let (status, answer) = service.import(election, "parties", "text/csv", AREAS).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("unknown_import"))
    );
    let mut latin1 = b"code,district,name_fa,name_en,address\nS-3,D1,".to_vec();
    latin1.extend_from_slice(&[0xe9, 0xe8]);
    latin1.extend_from_slice(b",x,y\n");
    let (status, answer) = service
        .call(
            "POST",
            &format!("/api/elections/{election}/imports/stations"),
            &service.hq,
            "text/csv",
            &latin1,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(problems(&answer), vec![triple(1, "", "not_utf8")]);
    // Every refusal above left the audit log with only the successful imports.
    let actions: Vec<String> = service
        .store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("import"))
        .collect();
    assert_eq!(
        actions,
        vec!["import_voters", "import_stations", "import_areas"]
    );
}

async fn photos_and_the_export(store: AnyStore) {
    let service = service(store).await;
    let (election, _, _) = set_up(&service, "refuse").await;
    let export = |cookie: String| {
        let service = &service;
        async move {
            service
                .call(
                    "GET",
                    &format!("/api/elections/{election}/export"),
                    &cookie,
                    "",
                    b"",
                )
                .await
        }
    };
    assert_eq!(
        export(service.hq.clone()).await.1["error"]["code"],
        "no_definition"
    );
    let candidates = "type,code,list,name_fa,name_en\nlist,101,,امید,Hope\ncandidate,10101,101,مریم احمدی,Maryam Ahmadi\ncandidate,9001,,علی رضایی,Ali Rezaei\n";
    let (status, answer) = service
        .import(election, "candidates", "text/csv", candidates)
        .await;
    assert_eq!(status, 200, "{answer:?}");
    let definition_hash = answer["hash"].as_str().unwrap().to_string();
    let (_, before) = export(service.hq.clone()).await;
    let hash_before = before["hash"].as_str().unwrap().to_string();
    assert_eq!(before["document"]["stations"].as_array().unwrap().len(), 2);
    assert_eq!(
        before["document"]["definition"]["lists"][0]["candidates"][0]["name_en"],
        "Maryam Ahmadi"
    );
    // Anyone can recompute the hash from the canonical text.
    assert_eq!(
        sandoq_central::definition::content_hash(before["canonical"].as_str().unwrap()),
        hash_before
    );
    let png = support::PNG;
    let photo_path = format!("/api/elections/{election}/photos/10101");
    let (status, answer) = service
        .call("PUT", &photo_path, &service.hq, "image/png", png)
        .await;
    assert_eq!(status, 200, "{answer:?}");
    let sha = answer["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha, sandoq_central::definition::content_hash_bytes(png));
    let served = request(service.addr, "GET", &photo_path, &[], b"").await;
    assert_eq!(served.status, 200);
    assert!(
        served.head.contains("content-type: image/png"),
        "{}",
        served.head
    );
    // The photo is part of what stations check: the export's hash changes, the definition's does not.
    let (_, after) = export(service.hq.clone()).await;
    assert_ne!(after["hash"].as_str().unwrap(), hash_before);
    assert_eq!(
        after["document"]["photos"],
        json!([{"candidate": "10101", "sha256": sha}])
    );
    let (_, definition) = service
        .call(
            "GET",
            &format!("/api/elections/{election}/definition"),
            &service.hq,
            "",
            b"",
        )
        .await;
    assert_eq!(definition["hash"].as_str().unwrap(), definition_hash);
    // Refusals: not an image, an unknown candidate, a wrong content type, too large.
    let (status, answer) = service
        .call("PUT", &photo_path, &service.hq, "image/png", b"GIF89a...")
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bad_image"))
    );
    let (status, answer) = service
        .call(
            "PUT",
            &format!("/api/elections/{election}/photos/55555"),
            &service.hq,
            "image/png",
            png,
        )
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("unknown_candidate"))
    );
    let (status, answer) = service
        .call("PUT", &photo_path, &service.hq, "image/gif", png)
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (415, Some("unsupported_content_type"))
    );
    let big = vec![0xffu8; 2 * 1024 * 1024];
    let (status, answer) = service
        .call("PUT", &photo_path, &service.hq, "image/jpeg", &big)
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (413, Some("body_too_large"))
    );
    assert_eq!(
        export(service.hq.clone()).await.1["hash"],
        after["hash"],
        "refusals changed nothing"
    );
    let missing = request(
        service.addr,
        "GET",
        &format!("/api/elections/{election}/photos/9001"),
        &[],
        b"",
    )
    .await;
    assert_eq!(
        (missing.status, missing.body["error"]["code"].as_str()),
        (404, Some("no_photo"))
    );
}

async fn check_in(
    service: &Service,
    election: i64,
    desk: &Desk,
    code: NationalCode,
    request_id: &str,
) -> Value {
    let path = format!("/api/elections/{election}/check-ins");
    let body = json!({"national_code": code.to_string(), "request_id": request_id}).to_string();
    let headers = desk.headers(&path, body.as_bytes(), service.now.0, &support::unique("n"));
    let answer = request(service.addr, "POST", &path, &headers, body.as_bytes()).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

async fn sync(
    service: &Service,
    election: i64,
    desk: &Desk,
    code: &str,
    request_id: &str,
    at: i64,
) -> (u16, Value) {
    let path = format!("/api/elections/{election}/provisional-check-ins");
    let body =
        json!({"national_code": code, "request_id": request_id, "checked_in_at": at}).to_string();
    let headers = desk.headers(&path, body.as_bytes(), service.now.0, &support::unique("n"));
    let answer = request(service.addr, "POST", &path, &headers, body.as_bytes()).await;
    (answer.status, answer.body)
}

/// The key ceremony over the API: two supervisors (made here if they are not yet), the roster
/// prepared with k = 2 and sealed by both.
async fn seal_roster(service: &Service, election: i64) {
    let password = "supervisors' own passphrase 1405";
    for name in ["sup-a", "sup-b"] {
        let body = json!({"username": name, "role": "supervisor", "password": password});
        service
            .call(
                "POST",
                "/api/users",
                &service.hq,
                "application/json",
                body.to_string().as_bytes(),
            )
            .await;
    }
    let path = format!("/api/elections/{election}/roster");
    let (status, answer) = service
        .call(
            "POST",
            &path,
            &service.hq,
            "application/json",
            br#"{"required_signatures": 2}"#,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    for name in ["sup-a", "sup-b"] {
        let session = service.sign_in_as(name, password).await;
        let body = json!({"password": password}).to_string();
        let (status, answer) = service
            .call(
                "POST",
                &format!("{path}/sign"),
                &session,
                "application/json",
                body.as_bytes(),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }
}

async fn registry(service: &Service, election: i64, n: usize) -> Vec<NationalCode> {
    let codes: Vec<NationalCode> = synthetic::national_codes(election as u64 + 77)
        .take(n)
        .collect();
    let mut csv = String::from("national_code,birth_date,constituency,deceased,barred\n");
    for code in &codes {
        csv.push_str(&format!("{code},1360/01/01,tehran-rey-tajrish,0,0\n"));
    }
    let (status, answer) = service.import(election, "registry", "text/csv", &csv).await;
    assert_eq!(status, 200, "{answer:?}");
    codes
}

async fn scoped_views_and_provisional_incidents(store: AnyStore) {
    let service = service(store).await;
    let (election, desk1, desk2) = set_up(&service, "provisional").await;
    let codes = registry(&service, election, 5).await;
    // Before voting opens, no check-in; then the setup data is frozen (devices may still come).
    let early = request(
        service.addr,
        "POST",
        &format!("/api/elections/{election}/check-ins"),
        &desk1.headers(
            &format!("/api/elections/{election}/check-ins"),
            br#"{"national_code": "0012345679", "request_id": "e-1"}"#,
            service.now.0,
            "early",
        ),
        br#"{"national_code": "0012345679", "request_id": "e-1"}"#,
    )
    .await;
    assert_eq!(
        (early.status, early.body["error"]["code"].as_str()),
        (422, Some("election_not_voting"))
    );
    let set_status = |to: &'static str| {
        let service = &service;
        async move {
            service
                .call(
                    "POST",
                    &format!("/api/elections/{election}/status"),
                    &service.hq,
                    "application/json",
                    json!({"status": to}).to_string().as_bytes(),
                )
                .await
        }
    };
    assert_eq!(
        set_status("closed").await.1["error"]["code"],
        "bad_status_change"
    );
    // Not before the roster is sealed (issue 18 §1); then, after the ceremony, voting opens.
    assert_eq!(
        set_status("voting").await.1["error"]["code"],
        "roster_not_sealed"
    );
    // The roster binds the election's content hash: a definition first.
    let (status_code, answer) = service
        .import(
            election,
            "candidates",
            "text/csv",
            "type,code,list,name_fa,name_en\nlist,101,,امید,Hope\ncandidate,10101,101,یک,One\n",
        )
        .await;
    assert_eq!(status_code, 200, "{answer:?}");
    seal_roster(&service, election).await;
    assert_eq!(
        set_status("voting").await,
        (200, json!({"election": election, "status": "voting"}))
    );
    let (status_code, refused) = service
        .import(
            election,
            "areas",
            "text/csv",
            "code,kind,parent,name_fa,name_en\nT2,county,,ری,Rey\n",
        )
        .await;
    assert_eq!(
        (status_code, refused["error"]["code"].as_str()),
        (422, Some("election_not_in_setup"))
    );
    let extra = Desk::new(200);
    let (status_code, _) = service
        .import(
            election,
            "devices",
            "text/csv",
            &format!(
                "station,kind,public_key\nS-1,ballot_box,{}\n",
                extra.public()
            ),
        )
        .await;
    assert_eq!(status_code, 200, "a replacement device on polling day");
    // Online at S-1 at 10:00, then S-2 syncs a check-in of the same person made offline at 09:40.
    assert_eq!(
        check_in(&service, election, &desk1, codes[0], "r-1").await["outcome"],
        "recorded"
    );
    let earlier = service.now.0 - 20 * 60;
    let (status, answer) = sync(
        &service,
        election,
        &desk2,
        &codes[0].to_string(),
        "off-1",
        earlier,
    )
    .await;
    assert_eq!(status, 200, "{answer:?}");
    assert_eq!(answer["outcome"], "double_vote");
    assert_eq!(answer["incident"]["first_station"], "S-1");
    assert_eq!(answer["incident"]["station"], "S-2");
    assert_eq!(answer["incident"]["at"], earlier);
    assert_eq!(answer["incident"]["first_at"], service.now.0);
    // The same sync retried: the same answer, no second incident.
    let (_, again) = sync(
        &service,
        election,
        &desk2,
        &codes[0].to_string(),
        "off-1",
        earlier,
    )
    .await;
    assert_eq!(again, answer);
    // A clean provisional check-in is recorded, marked provisional, and counts as a check-in.
    let (_, clean) = sync(
        &service,
        election,
        &desk2,
        &codes[1].to_string(),
        "off-2",
        earlier,
    )
    .await;
    assert_eq!(clean["outcome"], "recorded");
    assert_eq!(
        check_in(&service, election, &desk1, codes[1], "r-2").await["outcome"],
        "already_voted"
    );
    // Someone the centre would have refused.
    let (_, ineligible) = sync(&service, election, &desk2, "0012345679", "off-3", earlier).await;
    assert_eq!(
        (
            ineligible["outcome"].as_str(),
            ineligible["incident"]["refusal"].as_str()
        ),
        (Some("ineligible"), Some("not_in_registry"))
    );
    // What the centre holds of the voters each station let in (what a report's ballots may not
    // exceed): S-1 one online check-in; S-2 one clean synced check-in, and two synced ones that
    // became incidents (the desk let those people in all the same). The retried sync counts once.
    let id = ElectionId(election);
    assert_eq!(
        service.store.station_check_ins(id, "S-1").await.unwrap(),
        (1, 0)
    );
    assert_eq!(
        service.store.station_check_ins(id, "S-2").await.unwrap(),
        (1, 2)
    );
    assert_eq!(
        service.store.station_check_ins(id, "S-9").await.unwrap(),
        (0, 0)
    );
    // A station clock far ahead is refused and changes nothing.
    let (status, future) = sync(
        &service,
        election,
        &desk2,
        &codes[2].to_string(),
        "off-4",
        service.now.0 + 3600,
    )
    .await;
    assert_eq!(
        (status, future["error"]["code"].as_str()),
        (422, Some("time_in_future"))
    );
    for far in [i64::MIN, i64::MAX, 0] {
        let (status, refused) = sync(
            &service,
            election,
            &desk2,
            &codes[2].to_string(),
            "off-far",
            far,
        )
        .await;
        assert_eq!(status, 422, "{refused:?}");
        assert!(matches!(
            refused["error"]["code"].as_str(),
            Some("time_not_on_polling_day" | "time_in_future")
        ));
    }
    assert_eq!(
        service
            .store
            .count_check_ins(ElectionId(election))
            .await
            .unwrap(),
        2
    );

    // Who sees what.
    let get = |cookie: String, what: &'static str| {
        let service = &service;
        async move {
            service
                .call(
                    "GET",
                    &format!("/api/elections/{election}/{what}"),
                    &cookie,
                    "",
                    b"",
                )
                .await
                .1
        }
    };
    let station_codes = |v: &Value, key: &str, field: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s[field].as_str().unwrap().to_string())
            .collect()
    };
    let supervisor = service.sign_in("supervisor").await;
    let exec_d1 = service.sign_in("exec-d1").await;
    let exec_county = service.sign_in("exec-county").await;
    let exec_elsewhere = service.sign_in("exec-elsewhere").await;
    let official = service.sign_in("official-s2").await;
    let observer = service.sign_in("observer").await;
    assert_eq!(
        get(supervisor.clone(), "incidents").await["incidents"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        station_codes(
            &get(exec_county.clone(), "stations").await,
            "stations",
            "code"
        ),
        vec!["S-1", "S-2"]
    );
    assert_eq!(
        station_codes(&get(exec_d1.clone(), "stations").await, "stations", "code"),
        vec!["S-1"]
    );
    assert_eq!(
        station_codes(&get(exec_d1.clone(), "devices").await, "devices", "station"),
        vec!["S-1", "S-1"]
    );
    assert_eq!(
        station_codes(
            &get(exec_d1.clone(), "turnout").await,
            "by_station_and_hour",
            "station"
        ),
        vec!["S-1"]
    );
    assert_eq!(get(exec_d1.clone(), "turnout").await["check_ins"], 1);
    assert_eq!(
        station_codes(&get(official.clone(), "stations").await, "stations", "code"),
        vec!["S-2"]
    );
    assert_eq!(
        station_codes(
            &get(official.clone(), "turnout").await,
            "by_station_and_hour",
            "station"
        ),
        vec!["S-2"]
    );
    // The double vote involves S-1, so the board of D1 sees it; the ineligible person was at S-2 only.
    let d1_incidents = get(exec_d1.clone(), "incidents").await;
    assert_eq!(
        station_codes(&d1_incidents, "incidents", "kind"),
        vec!["double_vote"]
    );
    assert_eq!(
        get(official.clone(), "incidents").await["incidents"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A scope that names no area of this election sees nothing, never everything.
    assert_eq!(
        get(exec_elsewhere.clone(), "stations").await["stations"],
        json!([])
    );
    assert_eq!(get(exec_elsewhere, "turnout").await["check_ins"], 0);
    let (status, _) = service
        .call(
            "GET",
            &format!("/api/elections/{election}/incidents"),
            &observer,
            "",
            b"",
        )
        .await;
    assert_eq!(status, 403, "observers see public data only");
    assert_eq!(
        station_codes(&get(observer, "stations").await, "stations", "code"),
        vec!["S-1", "S-2"]
    );

    // A lost desk is revoked: its next signed request is refused at once.
    let revoke = |device: i64| {
        let service = &service;
        async move {
            service
                .call(
                    "POST",
                    &format!("/api/elections/{election}/devices/{device}/revoke"),
                    &service.hq,
                    "",
                    b"",
                )
                .await
        }
    };
    let lost = service.store.devices(ElectionId(election)).await.unwrap()[0]
        .id
        .0;
    assert_eq!(revoke(lost).await.0, 200);
    let path = format!("/api/elections/{election}/check-ins");
    let body =
        json!({"national_code": codes[3].to_string(), "request_id": "after-revoke"}).to_string();
    let refused = request(
        service.addr,
        "POST",
        &path,
        &desk1.headers(&path, body.as_bytes(), service.now.0, "rv"),
        body.as_bytes(),
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["error"]["code"].as_str()),
        (403, Some("device_revoked"))
    );
    assert_eq!(revoke(lost).await.1["error"]["code"], "no_active_device");

    // After voting closes: no more check-ins, but offline stations may still sync.
    assert_eq!(set_status("closed").await.0, 200);
    let path = format!("/api/elections/{election}/check-ins");
    let body = json!({"national_code": codes[3].to_string(), "request_id": "late"}).to_string();
    let late = request(
        service.addr,
        "POST",
        &path,
        &desk2.headers(&path, body.as_bytes(), service.now.0, "late"),
        body.as_bytes(),
    )
    .await;
    assert_eq!(late.body["error"]["code"], "election_closed");
    let (_, synced) = sync(
        &service,
        election,
        &desk2,
        &codes[4].to_string(),
        "off-5",
        earlier,
    )
    .await;
    assert_eq!(synced["outcome"], "recorded");

    // Under the refuse policy the centre takes no provisional check-ins.
    let (strict, _, desk) = set_up(&service, "refuse").await;
    let codes = registry(&service, strict, 1).await;
    let (status, answer) = sync(
        &service,
        strict,
        &desk,
        &codes[0].to_string(),
        "off-1",
        earlier,
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("offline_policy_refuse"))
    );
    assert_eq!(
        service
            .store
            .count_check_ins(ElectionId(strict))
            .await
            .unwrap(),
        0
    );
}

async fn send(service: &Service, election: i64, desk: &Desk, body: String) -> (u16, Value) {
    send_to(service, election, desk, "station-reports", body).await
}

async fn send_to(
    service: &Service,
    election: i64,
    desk: &Desk,
    tail: &str,
    body: String,
) -> (u16, Value) {
    let path = format!("/api/elections/{election}/{tail}");
    let headers = desk.headers(&path, body.as_bytes(), service.now.0, &support::unique("n"));
    let answer = request(service.addr, "POST", &path, &headers, body.as_bytes()).await;
    (answer.status, answer.body)
}

/// A station's report, built and signed by the station library with its desk's key and co-signed
/// by its officials, received and verified by the centre; sent again it is acknowledged again;
/// altered, not co-signed, co-signed by strangers, or different, refused. Then its ballot records:
/// refused unless signed by the device and exactly what the report committed to.
async fn station_reports_are_verified(store: AnyStore) {
    let service = service(store).await;
    let (election, desk1, desk2) = set_up(&service, "refuse").await;
    // Three officials of S-1 and one of S-2, created by headquarters.
    let password = "station officials' passphrase";
    for (name, station) in [
        ("s1-a", "S-1"),
        ("s1-b", "S-1"),
        ("s1-c", "S-1"),
        ("s2-a", "S-2"),
    ] {
        let body =
            json!({"username": name, "role": "station", "scope": station, "password": password});
        let (status, answer) = service
            .call(
                "POST",
                "/api/users",
                &service.hq,
                "application/json",
                body.to_string().as_bytes(),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    // Each official's key is random, and the centre keeps it only wrapped under their password.
    let mut keys = std::collections::BTreeMap::new();
    for name in ["s1-a", "s1-b", "s1-c", "s2-a"] {
        let user = service.store.user_by_name(name).await.unwrap().unwrap();
        let key = sandoq_station::officials::unwrap(&user.wrapped_key, name, password).unwrap();
        assert_eq!(
            sandoq_station::merkle::hex(key.verifying_key().as_bytes()),
            user.signing_key
        );
        assert!(
            sandoq_station::officials::unwrap(&user.wrapped_key, name, "another password")
                .is_none()
        );
        keys.insert(name, key);
    }
    let official = |name: &str| keys[name].clone();
    let candidates = "type,code,list,name_fa,name_en\nlist,101,,امید,Hope\ncandidate,10101,101,یک,One\ncandidate,9001,,منفرد,Independent\n";
    assert_eq!(
        service
            .import(election, "candidates", "text/csv", candidates)
            .await
            .0,
        200
    );
    let (_, export) = service
        .call(
            "GET",
            &format!("/api/elections/{election}/export"),
            &service.hq,
            "",
            b"",
        )
        .await;
    let mut election_hash = [0u8; 32];
    let hash_text = export["hash"].as_str().unwrap();
    for (i, byte) in election_hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hash_text[2 * i..2 * i + 2], 16).unwrap();
    }
    let contest = sandoq_central::definition::contest_from_canonical(
        &service
            .store
            .definition(ElectionId(election))
            .await
            .unwrap()
            .unwrap()
            .0,
    )
    .unwrap();
    let dir = std::env::temp_dir().join(support::unique("sandoq-station-report"));
    std::fs::create_dir_all(&dir).unwrap();
    let report_of = |ballots: &[sandoq_station::Ballot],
                     name: &str,
                     key: &ed25519_dalek::SigningKey| {
        let mut ballot_box =
            sandoq_station::BallotBox::create(&dir.join(name), 64, election_hash, key.clone())
                .unwrap();
        for ballot in ballots {
            ballot_box.cast(&ballot.checked(&contest).unwrap()).unwrap();
        }
        let facts = sandoq_station::report::StationFacts {
            station: "S-1".into(),
            election: election_hash,
            tokens: (ballots.len() as u64, ballots.len() as u64, 0),
            event_log: (0, [0; 32]),
        };
        let records = ballot_box.records().unwrap();
        let mut report = sandoq_station::report::build(&records, &contest, &facts, key).unwrap();
        for name in ["s1-a", "s1-b", "s1-c"] {
            sandoq_station::report::add_cosignature(&mut report, name, &official(name));
        }
        (report, records)
    };
    let ballots = [
        sandoq_station::Ballot::List("101".into()),
        sandoq_station::Ballot::Candidates(vec!["9001".into()]),
        sandoq_station::Ballot::Blank,
    ];
    let (report, records) = report_of(&ballots, "a.box", &desk1.key);

    // Co-signatures: too few, a stranger's, a wrong password's.
    let code = |answer: &Value| answer["error"]["code"].as_str().map(str::to_string);
    let mut short = report.clone();
    short["cosignatures"].as_array_mut().unwrap().pop();
    let (status, answer) = send(&service, election, &desk1, short.to_string()).await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("not_enough_cosignatures"))
    );
    let mut stranger = short.clone();
    sandoq_station::report::add_cosignature(&mut stranger, "s2-a", &official("s2-a"));
    let (status, answer) = send(&service, election, &desk1, stranger.to_string()).await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("unknown_official"))
    );
    let mut guessed = short.clone();
    let wrong = sandoq_station::officials::new_key();
    sandoq_station::report::add_cosignature(&mut guessed, "s1-c", &wrong);
    let (status, answer) = send(&service, election, &desk1, guessed.to_string()).await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("bad_cosignature"))
    );
    let refused = service
        .store
        .refused_reports(ElectionId(election))
        .await
        .unwrap();
    assert_eq!(
        refused
            .iter()
            .map(|(s, c, _)| format!("{s}:{c}"))
            .collect::<Vec<_>>(),
        [
            "S-1:not_enough_cosignatures",
            "S-1:unknown_official",
            "S-1:bad_cosignature"
        ],
        "refused reports are kept for the supervisors"
    );
    // A report signed by a key nobody registered: refused, and kept for the supervisors under the
    // station it names, once however often it comes.
    let stranger = support::Desk::new(201);
    for _ in 0..2 {
        let (status, answer) = send(&service, election, &stranger, report.to_string()).await;
        assert_eq!(
            (status, code(&answer).as_deref()),
            (401, Some("unknown_device"))
        );
    }
    let mut named_nowhere = report.clone();
    named_nowhere["station"] = json!("NO-SUCH-STATION");
    let (status, _) = send(&service, election, &stranger, named_nowhere.to_string()).await;
    assert_eq!(status, 401);
    let refused = service
        .store
        .refused_reports(ElectionId(election))
        .await
        .unwrap();
    let mut strangers: Vec<String> = refused
        .iter()
        .filter(|(_, c, _)| c == "unknown_device")
        .map(|(s, c, _)| format!("{s}:{c}"))
        .collect();
    strangers.sort();
    assert_eq!(refused.len(), 5);
    assert_eq!(
        strangers,
        ["?:unknown_device", "S-1:unknown_device"],
        "a stranger's reports are visible to supervisors, without flooding the list"
    );

    // Ballot records before the report: refused.
    let records_body = |records: &[sandoq_station::BallotRecord]| {
        let hex = sandoq_station::merkle::hex;
        json!({"records": records.iter().map(|r| json!({"id": hex(&r.id), "content": r.content, "signature": hex(&r.signature)})).collect::<Vec<_>>()}).to_string()
    };
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_body(&records),
    )
    .await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (409, Some("no_report_yet"))
    );

    // Issue 18 §3, the stuffing attack: the device's key and three officials' passwords sign a
    // report of 3 ballots for a station the centre holds no check-in for. Refused, kept for the
    // supervisors' dashboard, nothing counted; and again with 2 check-ins of the 3.
    let codes = registry(&service, election, 3).await;
    // Issue 18 §1, the key ceremony before voting opens: headquarters prepares the roster with
    // k = 2, two of the three supervisors seal it with their passwords.
    let supervisor_password = "supervisors' own passphrase 1405";
    for n in 1..=3 {
        let body = json!({"username": format!("sup-{n}"), "role": "supervisor", "password": supervisor_password});
        let (status, answer) = service
            .call(
                "POST",
                "/api/users",
                &service.hq,
                "application/json",
                body.to_string().as_bytes(),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    let roster_path = format!("/api/elections/{election}/roster");
    let (status, answer) = service
        .call(
            "POST",
            &roster_path,
            &service.hq,
            "application/json",
            br#"{"required_signatures": 4}"#,
        )
        .await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("bad_required_signatures"))
    );
    let (status, prepared) = service
        .call(
            "POST",
            &roster_path,
            &service.hq,
            "application/json",
            br#"{"required_signatures": 2}"#,
        )
        .await;
    assert_eq!(status, 200, "{prepared}");
    let roster_sha = prepared["roster_sha256"].as_str().unwrap().to_string();
    let sign_roster = |name: &'static str, password: &'static str| {
        let service = &service;
        let path = format!("/api/elections/{election}/roster/sign");
        async move {
            let session = service
                .sign_in_as(name, "supervisors' own passphrase 1405")
                .await;
            let body = json!({"password": password}).to_string();
            service
                .call("POST", &path, &session, "application/json", body.as_bytes())
                .await
        }
    };
    let (status, answer) = sign_roster("sup-1", "not the supervisor's password").await;
    assert_eq!(status, 401, "{answer}");
    let (status, answer) = sign_roster("sup-1", supervisor_password).await;
    assert_eq!(
        (status, answer["sealed"].as_bool()),
        (200, Some(false)),
        "{answer}"
    );
    let (status, answer) = sign_roster("sup-2", supervisor_password).await;
    assert_eq!(
        (status, answer["sealed"].as_bool()),
        (200, Some(true)),
        "{answer}"
    );
    let (_, ceremony) = service
        .call("GET", &roster_path, &service.hq, "", b"")
        .await;
    assert_eq!(ceremony["roster_sha256"], roster_sha.as_str());
    assert_eq!(ceremony["sealed"], true);
    let roster_text = ceremony["roster"]["text"].as_str().unwrap();
    assert!(roster_text.contains(&desk1.public()) && roster_text.contains("s1-a"));
    let (status, answer) = service
        .call(
            "POST",
            &format!("{roster_path}/amendments"),
            &service.hq,
            "application/json",
            b"{}",
        )
        .await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (409, Some("nothing_to_amend"))
    );
    let (status, answer) = service
        .call(
            "POST",
            &format!("/api/elections/{election}/status"),
            &service.hq,
            "application/json",
            br#"{"status": "voting"}"#,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    // A device registered after the seal (a desk replaced on polling day) signs a report: it does
    // not count until an amendment naming it is sealed by k supervisors.
    let replacement = support::Desk::new(77);
    let (status, answer) = service
        .import(
            election,
            "devices",
            "text/csv",
            &format!(
                "station,kind,public_key\nS-1,check_in_desk,{}\n",
                replacement.public()
            ),
        )
        .await;
    assert_eq!(status, 200, "{answer:?}");
    let (by_replacement, _) = report_of(&ballots, "r.box", &replacement.key);
    let (status, answer) = send(&service, election, &replacement, by_replacement.to_string()).await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("device_not_in_roster"))
    );
    let (status, answer) = service
        .call(
            "POST",
            &format!("{roster_path}/amendments"),
            &service.hq,
            "application/json",
            b"{}",
        )
        .await;
    assert_eq!(
        (status, answer["number"].as_i64()),
        (200, Some(1)),
        "{answer}"
    );
    assert!(answer["amendment"]
        .as_str()
        .unwrap()
        .contains(&replacement.public()));
    for name in ["sup-1", "sup-3"] {
        let (status, answer) = sign_roster(name, supervisor_password).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (_, ceremony) = service
        .call("GET", &roster_path, &service.hq, "", b"")
        .await;
    assert_eq!(ceremony["amendments"][0]["sealed"], true, "{ceremony}");
    assert_eq!(
        ceremony["roster_sha256"],
        roster_sha.as_str(),
        "the roster itself is unchanged"
    );
    let results = || {
        let service = &service;
        async move {
            service
                .call(
                    "GET",
                    &format!("/api/elections/{election}/results"),
                    &service.hq,
                    "",
                    b"",
                )
                .await
                .1
        }
    };
    let before = results().await;
    for (i, code_now) in codes.iter().enumerate() {
        let (status, answer) = send(&service, election, &desk1, report.to_string()).await;
        assert_eq!(
            (status, code(&answer).as_deref()),
            (422, Some("more_ballots_than_check_ins")),
            "with {i} check-ins"
        );
        assert!(answer["error"]["fa"].as_str().unwrap().contains("پذیرش"));
        assert_eq!(results().await, before, "nothing counted");
        check_in(
            &service,
            election,
            &desk1,
            *code_now,
            &format!("stuffing-{i}"),
        )
        .await;
    }
    let refused = service
        .store
        .refused_reports(ElectionId(election))
        .await
        .unwrap();
    assert_eq!(
        refused
            .iter()
            .filter(|(s, c, _)| s == "S-1" && c == "more_ballots_than_check_ins")
            .count(),
        3,
        "each refusal is kept for the supervisors' dashboard"
    );

    // With as many check-ins as ballots, the report is accepted.
    let (status, answer) = send(&service, election, &desk1, report.to_string()).await;
    assert_eq!(
        (status, answer["accepted"].as_bool()),
        (200, Some(true)),
        "{answer:?}"
    );
    let (status, answer) = send(&service, election, &desk1, report.to_string()).await;
    assert_eq!(
        (status, answer["again"].as_bool()),
        (200, Some(true)),
        "retrying until acknowledged is safe"
    );
    let mut altered = report.clone();
    altered["list_ballots"]["101"] = json!(2);
    altered["ballots"] = json!(4);
    let (status, answer) = send(&service, election, &desk1, altered.to_string()).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bad_report_signature"))
    );
    let (other, other_records) = report_of(&ballots[..2], "b.box", &desk1.key);
    let (status, answer) = send(&service, election, &desk1, other.to_string()).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("report_conflict"))
    );
    // S-2's desk sending S-1's report (signed by S-1's key): not its device, not its station.
    let (status, answer) = send(&service, election, &desk2, report.to_string()).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("unknown_device"))
    );
    let (_, listed) = service
        .call(
            "GET",
            &format!("/api/elections/{election}/station-reports"),
            &service.sign_in("observer").await,
            "",
            b"",
        )
        .await;
    assert_eq!(listed["reports"].as_array().unwrap().len(), 1);
    assert_eq!(listed["reports"][0]["report"], report);

    // The ballot records: a forged one, too few, another box's: refused; the right ones, in any
    // order: accepted once, then acknowledged again.
    let mut forged = records.clone();
    forged[0].content = r#"{"list":"101"}"#.into();
    forged[1].content = r#"{"list":"101"}"#.into();
    let forged_code = code(
        &send_to(
            &service,
            election,
            &desk1,
            "ballot-records",
            records_body(&forged),
        )
        .await
        .1,
    );
    assert!(
        matches!(forged_code.as_deref(), Some("bad_ballot_signature")),
        "{forged_code:?}"
    );
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_body(&records[..2]),
    )
    .await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("records_do_not_match_report"))
    );
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_body(&other_records),
    )
    .await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("records_do_not_match_report"))
    );
    // Bodies that are not a list of records {id, content, signature}: refused whole, nothing kept.
    let id = sandoq_station::merkle::hex(&records[0].id);
    let signature = sandoq_station::merkle::hex(&records[0].signature);
    let content = records[0].content.clone();
    for bad in [
        "not json".to_string(),
        json!({}).to_string(),
        json!({"records": {"id": id}}).to_string(),
        json!({"records": [{"id": id, "content": content}]}).to_string(),
        json!({"records": [{"id": 7, "content": content, "signature": signature}]}).to_string(),
        json!({"records": [{"id": &id[2..], "content": content, "signature": signature}]})
            .to_string(),
        json!({"records": [{"id": id, "content": content, "signature": "zz"}]}).to_string(),
        json!({"records": [{"id": id, "content": null, "signature": signature}]}).to_string(),
    ] {
        let (status, answer) =
            send_to(&service, election, &desk1, "ballot-records", bad.clone()).await;
        assert_eq!(
            (status, code(&answer).as_deref()),
            (422, Some("bad_ballot_records")),
            "{bad}"
        );
    }
    assert!(service
        .store
        .station_ballots(ElectionId(election))
        .await
        .unwrap()
        .is_empty());
    // Escapes in a string are read as JSON says (a content with a quote, an id written with \u).
    let escaped = format!(
        r#"{{"records":[{{"id":"\u00{:02x}{}","content":{},"signature":"{}"}}]}}"#,
        id.as_bytes()[0],
        &id[1..],
        serde_json::to_string(&content).unwrap(),
        signature
    );
    let (status, answer) = send_to(&service, election, &desk1, "ballot-records", escaped).await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("records_do_not_match_report")),
        "one record of three is read whole, then found short of the report: {answer}"
    );

    let mut twice = records.clone();
    twice.push(records[0].clone());
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_body(&twice),
    )
    .await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("duplicate_ballot"))
    );
    let mut reversed = records.clone();
    reversed.reverse();
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_body(&reversed),
    )
    .await;
    assert_eq!(
        (status, answer["ballots"].as_u64()),
        (200, Some(3)),
        "{answer}"
    );
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_body(&records),
    )
    .await;
    assert_eq!((status, answer["again"].as_bool()), (200, Some(true)));
    let stored = service
        .store
        .station_ballots(ElectionId(election))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let ids: Vec<String> = serde_json::from_str::<Value>(&stored[0].1)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "stored in id order, never casting order");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A station's ballot records as the agent sends them.
fn records_json(records: &[sandoq_station::BallotRecord]) -> String {
    let hex = sandoq_station::merkle::hex;
    json!({"records": records.iter().map(|r| json!({"id": hex(&r.id), "content": r.content, "signature": hex(&r.signature)})).collect::<Vec<_>>()}).to_string()
}

fn error_code(answer: &Value) -> Option<String> {
    answer["error"]["code"].as_str().map(str::to_string)
}

async fn results_of(service: &Service, election: i64) -> Value {
    service
        .call(
            "GET",
            &format!("/api/elections/{election}/results"),
            "",
            "",
            b"",
        )
        .await
        .1
}

/// Issue 18 §3, the last part, up to the lie being counted: someone with S-1's device key and
/// its officials' passwords sends a report whose figures are self-consistent and within the
/// station's check-ins, but not what its ballots count to (two list ballots moved from one list to
/// another, re-signed and co-signed). The centre accepts and counts it, as it must: nothing in the
/// report betrays it. S-2 reports honestly and its records are accepted.
struct Forged {
    service: Service,
    election: i64,
    desk1: Desk,
    /// S-1's forged report, accepted.
    forged: Value,
    /// S-1's real ballot records, which the forged report committed to.
    records_a: Vec<sandoq_station::BallotRecord>,
    dir: std::path::PathBuf,
}

async fn forged_report_counted(store: AnyStore) -> Forged {
    let service = service(store).await;
    let (election, desk1, desk2) = set_up(&service, "refuse").await;
    let id = ElectionId(election);
    let password = "station officials' passphrase";
    let mut keys = std::collections::BTreeMap::new();
    for (name, station) in [
        ("q1-a", "S-1"),
        ("q1-b", "S-1"),
        ("q1-c", "S-1"),
        ("q2-a", "S-2"),
        ("q2-b", "S-2"),
        ("q2-c", "S-2"),
    ] {
        let body =
            json!({"username": name, "role": "station", "scope": station, "password": password});
        let (status, answer) = service
            .call(
                "POST",
                "/api/users",
                &service.hq,
                "application/json",
                body.to_string().as_bytes(),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        let user = service.store.user_by_name(name).await.unwrap().unwrap();
        let key = sandoq_station::officials::unwrap(&user.wrapped_key, name, password).unwrap();
        keys.insert(name, key);
    }
    let candidates = "type,code,list,name_fa,name_en\nlist,101,,امید,Hope\ncandidate,10101,101,یک,One\nlist,102,,فردا,Tomorrow\ncandidate,10201,102,دو,Two\ncandidate,9001,,منفرد,Independent\n";
    assert_eq!(
        service
            .import(election, "candidates", "text/csv", candidates)
            .await
            .0,
        200
    );
    let (_, export) = service
        .call(
            "GET",
            &format!("/api/elections/{election}/export"),
            &service.hq,
            "",
            b"",
        )
        .await;
    let election_hash: [u8; 32] =
        sandoq_station::merkle::unhex(export["hash"].as_str().unwrap()).unwrap();
    let contest = sandoq_central::definition::contest_from_canonical(
        &service.store.definition(id).await.unwrap().unwrap().0,
    )
    .unwrap();
    // Three voters checked in at each station, then voting (after the key ceremony).
    let codes = registry(&service, election, 6).await;
    seal_roster(&service, election).await;
    let (status, answer) = service
        .call(
            "POST",
            &format!("/api/elections/{election}/status"),
            &service.hq,
            "application/json",
            br#"{"status": "voting"}"#,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    for (i, code_now) in codes.iter().enumerate() {
        let desk = if i < 3 { &desk1 } else { &desk2 };
        check_in(&service, election, desk, *code_now, &format!("q-{i}")).await;
    }
    let dir = std::env::temp_dir().join(support::unique("sandoq-quarantine"));
    std::fs::create_dir_all(&dir).unwrap();
    let cosign = |report: &mut Value, station: &str| {
        let prefix = if station == "S-1" { "q1" } else { "q2" };
        for suffix in ["a", "b", "c"] {
            let name = format!("{prefix}-{suffix}");
            sandoq_station::report::add_cosignature(report, &name, &keys[name.as_str()]);
        }
    };
    let report_of = |ballots: &[sandoq_station::Ballot], station: &str, desk: &Desk| {
        let mut ballot_box = sandoq_station::BallotBox::create(
            &dir.join(format!("{station}.box")),
            64,
            election_hash,
            desk.key.clone(),
        )
        .unwrap();
        for ballot in ballots {
            ballot_box.cast(&ballot.checked(&contest).unwrap()).unwrap();
        }
        let n = ballots.len() as u64;
        let facts = sandoq_station::report::StationFacts {
            station: station.into(),
            election: election_hash,
            tokens: (n, n, 0),
            event_log: (0, [0; 32]),
        };
        let records = ballot_box.records().unwrap();
        let mut report =
            sandoq_station::report::build(&records, &contest, &facts, &desk.key).unwrap();
        cosign(&mut report, station);
        (report, records)
    };

    // Ballots A at S-1: two for list 101, one for the independent. The forged report moves the
    // two list ballots to list 102 (and the candidates' totals with them), so that it verifies.
    let ballots_a = [
        sandoq_station::Ballot::List("101".into()),
        sandoq_station::Ballot::List("101".into()),
        sandoq_station::Ballot::Candidates(vec!["9001".into()]),
    ];
    let (honest, records_a) = report_of(&ballots_a, "S-1", &desk1);
    let mut forged = honest.clone();
    forged["list_ballots"]["101"] = json!(0);
    forged["list_ballots"]["102"] = json!(2);
    forged["candidate_votes"]["10101"] = json!(0);
    forged["candidate_votes"]["10201"] = json!(2);
    let body = forged.as_object_mut().unwrap();
    body.remove("signature");
    body.remove("cosignatures");
    let signature = ed25519_dalek::Signer::sign(
        &desk1.key,
        sandoq_station::report::body_text(&forged).as_bytes(),
    );
    forged["signature"] = json!(sandoq_station::merkle::hex(&signature.to_bytes()));
    cosign(&mut forged, "S-1");
    assert_ne!(forged["list_ballots"], honest["list_ballots"]);
    sandoq_station::report::verify(
        &forged,
        &contest,
        &election_hash,
        "S-1",
        &desk1.key.verifying_key(),
    )
    .expect("the forged report is self-consistent and signed");
    let (status, answer) = send(&service, election, &desk1, forged.to_string()).await;
    assert_eq!(
        (status, answer["accepted"].as_bool()),
        (200, Some(true)),
        "{answer}"
    );
    let counted = results_of(&service, election).await;
    assert_eq!(counted["stations"]["reported"], 1, "{counted}");
    assert_eq!(counted["ballots"], 3);

    // S-2 reports honestly, and its records are accepted.
    let ballots_b = [
        sandoq_station::Ballot::List("101".into()),
        sandoq_station::Ballot::Candidates(vec!["10201".into()]),
        sandoq_station::Ballot::Blank,
    ];
    let (report_b, records_b) = report_of(&ballots_b, "S-2", &desk2);
    let (status, answer) = send(&service, election, &desk2, report_b.to_string()).await;
    assert_eq!(
        (status, answer["accepted"].as_bool()),
        (200, Some(true)),
        "{answer}"
    );
    let (status, answer) = send_to(
        &service,
        election,
        &desk2,
        "ballot-records",
        records_json(&records_b),
    )
    .await;
    assert_eq!(
        (status, answer["ballots"].as_u64()),
        (200, Some(3)),
        "{answer}"
    );
    let both = results_of(&service, election).await;
    assert_eq!(both["stations"]["reported"], 2, "{both}");
    assert_eq!(both["ballots"], 6);
    Forged {
        service,
        election,
        desk1,
        forged,
        records_a,
        dir,
    }
}

/// Then the station's real ballot records arrive, signed by the device and exactly what the report
/// committed to: they are refused (`records_disagree_with_report`), the report is quarantined
/// (stored once, audited, an alert on the dashboard), and it is no longer counted in the results,
/// the exports, the closing of the count or the election record, which names the station missing
/// and verifies. Honest records are still accepted, and nothing sent again lifts or repeats the
/// quarantine.
async fn a_report_its_own_records_contradict_is_quarantined(store: AnyStore) {
    let Forged {
        service,
        election,
        desk1,
        forged,
        records_a,
        dir,
    } = forged_report_counted(store).await;
    let id = ElectionId(election);

    // S-1's real records: signed by its device, exactly what the forged report committed to,
    // and counting to something else. Refused, nothing of them kept, the report quarantined.
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_json(&records_a),
    )
    .await;
    assert_eq!(
        (status, error_code(&answer).as_deref()),
        (422, Some("records_disagree_with_report")),
        "{answer}"
    );
    assert!(answer["error"]["fa"].as_str().unwrap().contains("قرنطینه"));
    let stored = service.store.station_ballots(id).await.unwrap();
    assert_eq!(
        stored.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["S-2"],
        "nothing of S-1's records is kept"
    );
    let quarantines = service.store.quarantined_reports(id).await.unwrap();
    assert_eq!(
        quarantines,
        [sandoq_store::Quarantine {
            station: "S-1".into(),
            code: "counts_differ".into(),
            at: service.now,
        }]
    );
    assert_eq!(
        service.store.station_reports(id).await.unwrap().len(),
        2,
        "the report itself stays stored"
    );
    let after = results_of(&service, election).await;
    assert_eq!(after["stations"]["reported"], 1, "{after}");
    assert_eq!(after["stations"]["missing"], json!(["S-1"]));
    assert_eq!(after["ballots"], 3, "only S-2's ballots count");
    let by_station = request(
        service.addr,
        "GET",
        &format!("/api/elections/{election}/results-by-station.csv"),
        &[],
        b"",
    )
    .await;
    assert_eq!(by_station.status, 200);
    assert!(by_station.text.lines().any(|l| l.starts_with("S-2,")));
    assert!(
        !by_station.text.lines().any(|l| l.starts_with("S-1,")),
        "{}",
        by_station.text
    );

    // Sent again, the records are refused again and the report again acknowledged: the
    // quarantine is neither lifted nor repeated.
    let (status, answer) = send_to(
        &service,
        election,
        &desk1,
        "ballot-records",
        records_json(&records_a),
    )
    .await;
    assert_eq!(
        (status, error_code(&answer).as_deref()),
        (422, Some("records_disagree_with_report"))
    );
    let (status, answer) = send(&service, election, &desk1, forged.to_string()).await;
    assert_eq!(
        (status, answer["again"].as_bool()),
        (200, Some(true)),
        "{answer}"
    );
    assert_eq!(
        service.store.quarantined_reports(id).await.unwrap(),
        quarantines
    );
    assert_eq!(results_of(&service, election).await, after);
    let audited = service
        .store
        .audit_log(50)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "quarantine_report")
        .count();
    assert_eq!(audited, 1);
    // Append-only, even to someone with SQL access.
    for sql in [
        "DELETE FROM quarantined_reports",
        "UPDATE quarantined_reports SET code = 'x'",
    ] {
        let refused = match &service.store {
            AnyStore::Sqlite(s) => sqlx::raw_sql(sql).execute(s.pool()).await.is_err(),
            AnyStore::Postgres(s) => sqlx::raw_sql(sql).execute(s.pool()).await.is_err(),
        };
        assert!(refused, "{sql} must be refused");
    }

    // The dashboard: an alert naming the fact, and the station's state.
    let page = request(
        service.addr,
        "GET",
        &format!("/dashboard/{election}?lang=en"),
        &[("cookie", service.hq.clone())],
        b"",
    )
    .await;
    assert_eq!(page.status, 200);
    let alert = format!("data-alert=\"quarantined:S-1:{}\"", service.now.0);
    assert!(page.text.contains(&alert), "{}", page.text);
    assert!(page
        .text
        .contains(r#"data-station="S-1" data-state="quarantined""#));
    assert!(page.text.contains("quarantined: not counted"));
    // The list of reports received still shows it, marked.
    let (_, listed) = service
        .call(
            "GET",
            &format!("/api/elections/{election}/station-reports"),
            &service.hq,
            "",
            b"",
        )
        .await;
    let listed: Vec<(String, Value)> = listed["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["station"].as_str().unwrap().to_string(),
                r["quarantined"]["code"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("S-1".to_string(), json!("counts_differ")),
            ("S-2".to_string(), Value::Null)
        ]
    );

    // The election record: S-1 missing, S-2 reported with its ballots, and it verifies.
    let held = service.store.election(id).await.unwrap().unwrap();
    let input = sandoq_central::record::input(&service.store, &held, true)
        .await
        .unwrap();
    let record = dir.join("record");
    let manifest = sandoq_record::write(&record, &input).unwrap();
    assert_eq!(manifest["stations"]["reported"], json!(["S-2"]));
    assert_eq!(manifest["stations"]["missing"], json!(["S-1"]));
    let verified = sandoq_record::verify(&record, &mut |_, _, _| {});
    assert!(verified.is_ok(), "{:?}", verified.err());

    // Closing the count: the statement names S-1 missing, and the record with it verifies.
    let body = json!({"username": "q-supervisor", "role": "supervisor", "scope": "", "password": PASSWORD});
    let (status, answer) = service
        .call(
            "POST",
            "/api/users",
            &service.hq,
            "application/json",
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = service
        .call(
            "POST",
            &format!("/api/elections/{election}/count/close"),
            &service.hq,
            "application/json",
            br#"{"required_signatures": 1}"#,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["statement"]["stations_reported"], json!(["S-2"]));
    assert_eq!(answer["statement"]["stations_missing"], json!(["S-1"]));
    let input = sandoq_central::record::input(&service.store, &held, true)
        .await
        .unwrap();
    let record = dir.join("record-closed");
    sandoq_record::write(&record, &input).unwrap();
    let verified = sandoq_record::verify(&record, &mut |_, _, _| {});
    assert!(verified.is_ok(), "{:?}", verified.err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records that disagree with their report after the count was closed: refused all the same, and
/// kept for the supervisors as a refused report (`records_disagree_after_closing`), but the closed
/// count, which the supervisors sign, is not changed after the fact.
async fn records_that_disagree_after_closing_leave_the_count_closed(store: AnyStore) {
    let Forged {
        service,
        election,
        desk1,
        records_a,
        dir,
        ..
    } = forged_report_counted(store).await;
    let id = ElectionId(election);
    let body = json!({"username": "q-supervisor", "role": "supervisor", "scope": "", "password": PASSWORD});
    let (status, answer) = service
        .call(
            "POST",
            "/api/users",
            &service.hq,
            "application/json",
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = service
        .call(
            "POST",
            &format!("/api/elections/{election}/count/close"),
            &service.hq,
            "application/json",
            br#"{"required_signatures": 1}"#,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let closed = results_of(&service, election).await;
    assert_eq!(closed["stations"]["reported"], 2, "{closed}");
    for _ in 0..2 {
        let (status, answer) = send_to(
            &service,
            election,
            &desk1,
            "ballot-records",
            records_json(&records_a),
        )
        .await;
        assert_eq!(
            (status, error_code(&answer).as_deref()),
            (422, Some("records_disagree_with_report")),
            "{answer}"
        );
        assert!(answer["error"]["en"].as_str().unwrap().contains("closed"));
    }
    assert!(service
        .store
        .quarantined_reports(id)
        .await
        .unwrap()
        .is_empty());
    let refused: Vec<String> = service
        .store
        .refused_reports(id)
        .await
        .unwrap()
        .into_iter()
        .map(|(s, c, _)| format!("{s}:{c}"))
        .collect();
    assert_eq!(refused, ["S-1:records_disagree_after_closing"], "kept once");
    assert_eq!(results_of(&service, election).await, closed);
    assert!(service
        .store
        .station_ballots(id)
        .await
        .unwrap()
        .iter()
        .all(|(s, _)| s != "S-1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_station_reports_are_verified() {
    station_reports_are_verified(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_station_reports_are_verified() {
    station_reports_are_verified(support::postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_imports_refuse_bad_files_whole() {
    imports_refuse_bad_files_whole(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_imports_refuse_bad_files_whole() {
    imports_refuse_bad_files_whole(support::postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_photos_and_the_export() {
    photos_and_the_export(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_photos_and_the_export() {
    photos_and_the_export(support::postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_scoped_views_and_provisional_incidents() {
    scoped_views_and_provisional_incidents(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_scoped_views_and_provisional_incidents() {
    scoped_views_and_provisional_incidents(support::postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_report_its_own_records_contradict_is_quarantined() {
    a_report_its_own_records_contradict_is_quarantined(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_report_its_own_records_contradict_is_quarantined() {
    a_report_its_own_records_contradict_is_quarantined(support::postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_records_that_disagree_after_closing_leave_the_count_closed() {
    records_that_disagree_after_closing_leave_the_count_closed(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_records_that_disagree_after_closing_leave_the_count_closed() {
    records_that_disagree_after_closing_leave_the_count_closed(support::postgres_store().await)
        .await;
}
