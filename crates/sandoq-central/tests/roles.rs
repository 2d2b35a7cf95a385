//! Who may do what (issue 3 §3): every endpoint called as every role, and as
//! nobody; the answer is the allowed one or 403 (401 without a session), never
//! anything else. Also sign-in, lockout, sign-out and expired sessions.

mod support;

use ed25519_dalek::SigningKey;
use sandoq_central::http::device_auth::hex;
use sandoq_central::http::{app, people, AppState, Clock, ROUTES};
use sandoq_central::AnyStore;
use sandoq_store::{Role, Store, Timestamp};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::Arc;
use support::{request, Answer};

const PASSWORD: &str = "a long enough password";

struct Service {
    addr: SocketAddr,
    store: AnyStore,
    clock: Arc<AtomicI64>,
}

async fn service(store: AnyStore) -> Service {
    let start = Timestamp::from_tehran(
        sandoq_registry::Date::from_jalali(1405, 2, 1).unwrap(),
        9,
        0,
    );
    let clock = Arc::new(AtomicI64::new(start.0));
    let reader = clock.clone();
    let clock_fn: Clock = Arc::new(move || Timestamp(reader.load(Ordering::SeqCst)));
    for role in Role::ALL {
        let scope = if role.scoped() { "S-0001" } else { "" };
        let hash = people::hash_password(PASSWORD).unwrap();
        store
            .create_user(role.name(), role, scope, &hash, "setup", start)
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store.clone(), clock_fn);
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    Service { addr, store, clock }
}

async fn sign_in(service: &Service, username: &str, password: &str) -> Answer {
    let body = json!({"username": username, "password": password}).to_string();
    request(
        service.addr,
        "POST",
        "/api/sessions",
        &[("content-type", "application/json".into())],
        body.as_bytes(),
    )
    .await
}

fn cookie(answer: &Answer) -> String {
    let line = answer
        .head
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .expect("a session cookie");
    assert!(
        line.contains("httponly") && line.contains("secure") && line.contains("samesite=strict"),
        "{line}"
    );
    line["set-cookie:".len()..]
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

static KEY_SEED: AtomicU8 = AtomicU8::new(100);

/// A valid request for each guarded route, with its content type; unique where the route creates something.
fn call_for(method: &str, path: &str, election: i64) -> (String, Vec<u8>, &'static str) {
    // Moving an election on is done to a spare one, so the others stay in setup for the imports.
    let target = if path.ends_with("/status") {
        election + 1
    } else {
        election
    };
    let path_with_id = path
        .replace("{election}", &target.to_string())
        .replace("{kind}", "areas")
        .replace("{candidate}", "10101")
        .replace("{device}", "1");
    match (method, path) {
        ("POST", "/api/elections/{election}/imports/{kind}") => {
            let code = support::unique("C");
            let csv = format!("code,kind,parent,name_fa,name_en\n{code},county,,شهرستان,County\n");
            return (path_with_id, csv.into_bytes(), "text/csv");
        }
        ("PUT", "/api/elections/{election}/photos/{candidate}") => {
            return (path_with_id, support::PNG.to_vec(), "image/png");
        }
        _ => {}
    }
    let body = match (method, path) {
        ("POST", "/api/elections") => json!({
            "code": support::unique("e"), "name_fa": "آموزشی", "name_en": "training", "kind": "training", "seats": 21,
            "constituency": "tehran-rey-tajrish", "polling_day": "1405/02/11", "offline_policy": "refuse"
        }),
        ("POST", "/api/elections/{election}/devices") => {
            let key = SigningKey::from_bytes(&[KEY_SEED.fetch_add(1, Ordering::Relaxed); 32]);
            json!({"station": "S-0002", "kind": "check_in_desk", "public_key": hex(key.verifying_key().as_bytes())})
        }
        ("POST", "/api/users") => {
            json!({"username": support::unique("u"), "role": "observer", "password": PASSWORD})
        }
        ("POST", "/api/elections/{election}/status") => json!({"status": "voting"}),
        ("POST", "/api/elections/{election}/count/close") => json!({"required_signatures": 1}),
        ("POST", "/api/elections/{election}/count/sign") => json!({"password": PASSWORD}),
        // The same password again: refused as such (422), so every role keeps its password.
        ("POST", "/api/me/password") => json!({"current": PASSWORD, "new": PASSWORD}),
        ("POST", "/api/elections/{election}/roster") => json!({"required_signatures": 1}),
        ("POST", "/api/elections/{election}/roster/sign") => json!({"password": PASSWORD}),
        ("POST", "/api/elections/{election}/roster/amendments") => json!({}),
        ("PUT", "/api/elections/{election}/definition") => json!({
            "lists": [{"code": "101", "name_fa": "فهرست امید", "name_en": "Hope", "candidates": [{"code": "10101", "name_fa": "یک", "name_en": "One"}]}],
            "independents": [{"code": "9001", "name_fa": "منفرد", "name_en": "Independent"}]
        }),
        _ => serde_json::Value::Null,
    };
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    (path_with_id, body, "application/json")
}

/// Areas, two stations and a definition, so that every route has something to work on.
async fn set_up_election(store: &AnyStore, election: i64) {
    let id = sandoq_store::ElectionId(election);
    let area = |code: &str, kind, parent: &str| sandoq_store::Area {
        code: code.into(),
        kind,
        parent: parent.into(),
        name_fa: "حوزه".into(),
        name_en: "Area".into(),
    };
    store
        .import_areas(
            id,
            &[
                area("T", sandoq_store::AreaKind::County, ""),
                area("D1", sandoq_store::AreaKind::District, "T"),
                area("D2", sandoq_store::AreaKind::District, "T"),
            ],
            "setup",
            Timestamp(0),
        )
        .await
        .unwrap();
    let station = |code: &str, district: &str| sandoq_store::Station {
        code: code.into(),
        district: district.into(),
        name_fa: "شعبه".into(),
        name_en: "Station".into(),
        address: String::new(),
    };
    store
        .import_stations(
            id,
            &[station("S-0001", "D1"), station("S-0002", "D2")],
            "setup",
            Timestamp(0),
        )
        .await
        .unwrap();
    let definition = sandoq_central::definition::parse(
        r#"{"lists": [{"code": "101", "name_fa": "امید", "name_en": "Hope", "candidates": [{"code": "10101", "name_fa": "یک", "name_en": "One"}]}]}"#.as_bytes(),
        21,
    )
    .unwrap();
    let canonical = definition.canonical();
    store
        .set_definition(
            id,
            &canonical,
            &sandoq_central::definition::content_hash(&canonical),
            "setup",
            Timestamp(0),
        )
        .await
        .unwrap();
}

async fn role_matrix(store: AnyStore) {
    let service = service(store).await;
    let hq = cookie(&sign_in(&service, "hq", PASSWORD).await);
    let (path, body, _) = call_for("POST", "/api/elections", 0);
    let created = request(
        service.addr,
        "POST",
        &path,
        &[
            ("content-type", "application/json".into()),
            ("cookie", hq.clone()),
        ],
        &body,
    )
    .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let election = created.body["election"].as_i64().unwrap();
    set_up_election(&service.store, election).await;
    // The spare election (id + 1) whose status the status route moves on.
    let (path, body, _) = call_for("POST", "/api/elections", 0);
    let spare = request(
        service.addr,
        "POST",
        &path,
        &[
            ("content-type", "application/json".into()),
            ("cookie", hq.clone()),
        ],
        &body,
    )
    .await;
    assert_eq!(spare.body["election"].as_i64(), Some(election + 1));
    let guarded: Vec<_> = ROUTES
        .iter()
        .filter_map(|(m, p, roles)| roles.map(|r| (*m, *p, r)))
        .collect();
    assert!(guarded.len() >= 7);
    let mut calls = 0;
    for role in Role::ALL {
        let session = cookie(&sign_in(&service, role.name(), PASSWORD).await);
        for &(method, route, allowed) in &guarded {
            let (path, body, content_type) = call_for(method, route, election);
            let mut headers = vec![("cookie", session.clone())];
            if !body.is_empty() {
                headers.push(("content-type", content_type.into()));
            }
            let answer = request(service.addr, method, &path, &headers, &body).await;
            // Closing and signing the count depend on more than the role (supervisors with
            // keys, a closed count): allowed means neither 401 nor 403 there.
            // The roster's steps too depend on the ceremony's state (supervisors with keys, a
            // roster prepared, sealed).
            if (route.contains("/count/")
                || route.ends_with("/me/password")
                || (route.contains("/roster") && method == "POST")
                || route.ends_with("/status"))
                && allowed.contains(&role)
            {
                assert!(
                    ![401, 403].contains(&answer.status),
                    "{} {method} {route}: {:?}",
                    role.name(),
                    answer.body
                );
                calls += 1;
                continue;
            }
            let expected = if allowed.contains(&role) { 200 } else { 403 };
            assert_eq!(
                answer.status,
                expected,
                "{} {method} {route}: {:?}",
                role.name(),
                answer.body
            );
            if expected == 403 {
                assert_eq!(answer.body["error"]["code"], "forbidden_role");
            }
            calls += 1;
        }
    }
    // Nobody signed in: 401, whatever the route.
    for &(method, route, _) in &guarded {
        let (path, body, content_type) = call_for(method, route, election);
        let answer = request(
            service.addr,
            method,
            &path,
            &[("content-type", content_type.into())],
            &body,
        )
        .await;
        assert_eq!(
            (answer.status, answer.body["error"]["code"].as_str()),
            (401, Some("not_signed_in")),
            "{method} {route}"
        );
    }
    assert_eq!(calls, guarded.len() * Role::ALL.len());
    // A few rights stated independently of the table.
    let observer = cookie(&sign_in(&service, "observer", PASSWORD).await);
    let (path, body, _) = call_for("POST", "/api/users", 0);
    let refused = request(
        service.addr,
        "POST",
        &path,
        &[
            ("content-type", "application/json".into()),
            ("cookie", observer),
        ],
        &body,
    )
    .await;
    assert_eq!(refused.status, 403);
    let supervisor = cookie(&sign_in(&service, "supervisor", PASSWORD).await);
    let log = request(
        service.addr,
        "GET",
        "/api/audit-log",
        &[("cookie", supervisor)],
        b"",
    )
    .await;
    assert_eq!(log.status, 200);
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"create_election")
            && actions.contains(&"sign_in")
            && actions.contains(&"register_device")
    );
    // The audit log never holds a password or its hash.
    let text = log.body.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains("argon2"));
}

async fn sign_in_lockout_and_sign_out(store: AnyStore) {
    let service = service(store).await;
    assert_eq!(
        sign_in(&service, "nobody", PASSWORD).await.body["error"]["code"],
        "bad_credentials"
    );
    for _ in 0..people::MAX_FAILURES {
        let wrong = sign_in(&service, "station", "wrong password!!").await;
        assert_eq!(
            (wrong.status, wrong.body["error"]["code"].as_str()),
            (401, Some("bad_credentials"))
        );
    }
    // Locked: even the right password is refused, and the answer says so.
    let locked = sign_in(&service, "station", PASSWORD).await;
    assert_eq!(
        (locked.status, locked.body["error"]["code"].as_str()),
        (423, Some("account_locked"))
    );
    assert!(locked.body["error"]["fa"].as_str().unwrap().contains("قفل"));
    service
        .clock
        .fetch_add(people::LOCK_SECONDS + 1, Ordering::SeqCst);
    let after = sign_in(&service, "station", PASSWORD).await;
    assert_eq!(after.status, 200, "{:?}", after.body);
    assert_eq!(after.body["role"], "station");
    let session = cookie(&after);
    // The store keeps only a hash of the token.
    let token = session.split_once('=').unwrap().1.to_string();
    let stored = match &service.store {
        AnyStore::Sqlite(s) => sqlx::query_scalar::<_, String>("SELECT token_hash FROM sessions")
            .fetch_all(s.pool())
            .await
            .unwrap(),
        AnyStore::Postgres(s) => sqlx::query_scalar::<_, String>("SELECT token_hash FROM sessions")
            .fetch_all(s.pool())
            .await
            .unwrap(),
    };
    assert!(!stored.contains(&token) && stored.contains(&people::token_hash(&token)));
    let me = request(
        service.addr,
        "GET",
        "/api/me",
        &[("cookie", session.clone())],
        b"",
    )
    .await;
    assert_eq!(
        (me.status, me.body["username"].as_str()),
        (200, Some("station"))
    );
    let out = request(
        service.addr,
        "DELETE",
        "/api/sessions",
        &[("cookie", session.clone())],
        b"",
    )
    .await;
    assert_eq!(out.status, 200);
    assert!(out.head.contains("max-age=0"));
    assert_eq!(
        request(service.addr, "GET", "/api/me", &[("cookie", session)], b"")
            .await
            .status,
        401
    );
    // Sessions expire.
    let again = cookie(&sign_in(&service, "hq", PASSWORD).await);
    service
        .clock
        .fetch_add(people::SESSION_SECONDS + 1, Ordering::SeqCst);
    assert_eq!(
        request(service.addr, "GET", "/api/me", &[("cookie", again)], b"")
            .await
            .status,
        401
    );
    // Bad bodies change nothing and say why.
    let bad = request(
        service.addr,
        "POST",
        "/api/sessions",
        &[("content-type", "text/plain".into())],
        b"x",
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["error"]["code"].as_str()),
        (415, Some("unsupported_content_type"))
    );
    let bad = request(
        service.addr,
        "POST",
        "/api/sessions",
        &[("content-type", "application/json".into())],
        b"{\"username\":1}",
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
}

async fn definition_story(store: AnyStore) {
    let service = service(store).await;
    let hq = cookie(&sign_in(&service, "hq", PASSWORD).await);
    let json_headers = |cookie: &str| {
        vec![
            ("content-type", "application/json".to_string()),
            ("cookie", cookie.to_string()),
        ]
    };
    let (path, body, _) = call_for("POST", "/api/elections", 0);
    let election = request(service.addr, "POST", &path, &json_headers(&hq), &body)
        .await
        .body["election"]
        .as_i64()
        .unwrap();
    let path = format!("/api/elections/{election}/definition");
    // Every problem of the election rules at once, and nothing stored.
    let bad = json!({
        "lists": [{"code": "101", "name_fa": "الف", "name_en": "A", "candidates": []},
                  {"code": "9001", "name_fa": "ب", "name_en": "B", "candidates": [{"code": "10101", "name_fa": "پ", "name_en": "P"}]}],
        "independents": [{"code": "9001", "name_fa": "ت", "name_en": "T"}]
    })
    .to_string();
    let refused = request(
        service.addr,
        "PUT",
        &path,
        &json_headers(&hq),
        bad.as_bytes(),
    )
    .await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    let codes: Vec<&str> = refused.body["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["empty_list", "duplicate_code"]);
    let none = request(service.addr, "GET", &path, &[("cookie", hq.clone())], b"").await;
    assert_eq!(
        (none.status, none.body["error"]["code"].as_str()),
        (404, Some("no_definition"))
    );
    // A good one: stored, and its hash is the SHA-256 of the canonical text anyone can recompute.
    let (_, good, _) = call_for("PUT", "/api/elections/{election}/definition", election);
    let stored = request(service.addr, "PUT", &path, &json_headers(&hq), &good).await;
    assert_eq!(stored.status, 200, "{:?}", stored.body);
    let observer = cookie(&sign_in(&service, "observer", PASSWORD).await);
    let read = request(service.addr, "GET", &path, &[("cookie", observer)], b"").await;
    assert_eq!(read.status, 200);
    let canonical = read.body["canonical"].as_str().unwrap();
    assert_eq!(read.body["hash"], stored.body["hash"]);
    assert_eq!(
        read.body["hash"].as_str().unwrap(),
        sandoq_central::definition::content_hash(canonical)
    );
    assert_eq!(read.body["definition"]["seats"], 21);
    assert_eq!(
        read.body["definition"]["lists"][0]["candidates"][0]["name_en"],
        "One"
    );
    // The same content written differently has the same hash.
    let spaced = String::from_utf8(good.clone())
        .unwrap()
        .replace(':', " : ")
        .replace(',', " ,\n ");
    let again = request(
        service.addr,
        "PUT",
        &path,
        &json_headers(&hq),
        spaced.as_bytes(),
    )
    .await;
    assert_eq!(again.body["hash"], stored.body["hash"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_definition() {
    definition_story(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_definition() {
    definition_story(support::postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_role_matrix() {
    role_matrix(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_role_matrix() {
    role_matrix(support::postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_sign_in_lockout_and_sign_out() {
    sign_in_lockout_and_sign_out(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_sign_in_lockout_and_sign_out() {
    sign_in_lockout_and_sign_out(support::postgres_store().await).await;
}

/// Issue 18 §2: an official's co-signing key owes nothing to the password. The attack of the audit
/// (derive the key from a guessed password, as sandoq once did, and compare it with the published
/// key) fails even with the right password; changing the password re-wraps the same key.
async fn keys_reveal_nothing_and_survive_a_new_password(store: AnyStore) {
    let service = service(store).await;
    let now = Timestamp(service.clock.load(Ordering::SeqCst));
    let name = "s1-head";
    people::store_user(
        &service.store,
        name,
        Role::Station,
        "S-0001",
        PASSWORD,
        "setup",
        now,
    )
    .await
    .unwrap();
    let user = service.store.user_by_name(name).await.unwrap().unwrap();
    assert_eq!(user.signing_key.len(), 64);
    // The attacker's guess, with the right password, the old way: Argon2id, salt from the name.
    let old_way = {
        use sha2::Digest;
        let salt = sha2::Sha256::digest(format!("sandoq-official-key-v1\n{name}").as_bytes());
        let params = argon2::Params::new(19 * 1024, 2, 1, Some(32)).unwrap();
        let mut seed = [0u8; 32];
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_into(PASSWORD.as_bytes(), &salt[..16], &mut seed)
            .unwrap();
        SigningKey::from_bytes(&seed)
    };
    assert_ne!(hex(old_way.verifying_key().as_bytes()), user.signing_key);
    // Neither the key's seed nor the password is in the wrapped text.
    let key = sandoq_station::officials::unwrap(&user.wrapped_key, name, PASSWORD).unwrap();
    assert_eq!(hex(key.verifying_key().as_bytes()), user.signing_key);
    assert!(!user.wrapped_key.contains(&hex(key.as_bytes())));
    assert!(!user.wrapped_key.contains(PASSWORD));

    let session = cookie(&sign_in(&service, name, PASSWORD).await);
    let addr = service.addr;
    let change = |current: &str, new: &str| {
        let body = json!({"current": current, "new": new}).to_string();
        let headers = vec![
            ("cookie", session.clone()),
            ("content-type", "application/json".to_string()),
        ];
        async move { request(addr, "POST", "/api/me/password", &headers, body.as_bytes()).await }
    };
    let new_password = "a fresh passphrase for 1405";
    for (current, new, status, code) in [
        (
            "not my password at all",
            new_password,
            401,
            "bad_credentials",
        ),
        (PASSWORD, "aaaaaaaaaaaaaaaa", 422, "weak_password"),
        (PASSWORD, "s1-head is my name", 422, "weak_password"),
        (PASSWORD, "Password1405!", 422, "weak_password"),
        (PASSWORD, PASSWORD, 422, "same_password"),
    ] {
        let answer = change(current, new).await;
        assert_eq!(
            (answer.status, answer.body["error"]["code"].as_str()),
            (status, Some(code)),
            "{new}"
        );
    }
    // Refused changes changed nothing.
    assert_eq!(
        service.store.user_by_name(name).await.unwrap().unwrap(),
        user
    );
    let answer = change(PASSWORD, new_password).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let after = service.store.user_by_name(name).await.unwrap().unwrap();
    assert_eq!(after.signing_key, user.signing_key);
    assert_ne!(after.wrapped_key, user.wrapped_key);
    assert!(sandoq_station::officials::unwrap(&after.wrapped_key, name, PASSWORD).is_none());
    let reopened =
        sandoq_station::officials::unwrap(&after.wrapped_key, name, new_password).unwrap();
    assert_eq!(reopened.to_bytes(), key.to_bytes());
    assert_eq!(sign_in(&service, name, PASSWORD).await.status, 401);
    assert_eq!(sign_in(&service, name, new_password).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_keys_reveal_nothing_and_survive_a_new_password() {
    keys_reveal_nothing_and_survive_a_new_password(support::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_keys_reveal_nothing_and_survive_a_new_password() {
    keys_reveal_nothing_and_survive_a_new_password(support::postgres_store().await).await;
}
