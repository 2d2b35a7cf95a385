//! One story, run against both backends (SQLite and a real PostgreSQL server):
//! an election is created, its registry imported (all or nothing), voters
//! checked in with every possible answer, and the same person checked in at
//! several stations at the same instant, thousands of times: exactly one
//! check-in per person, ever.
//!
//! PostgreSQL comes from `scripts/with-postgres.sh` (run by `scripts/ci.sh`),
//! which exports `SANDOQ_TEST_POSTGRES_URL`. Without it the PostgreSQL tests
//! fail and say so: they are never skipped silently.

use sandoq_central::{open, AnyStore};
use sandoq_registry::synthetic;
use sandoq_registry::{Date, NationalCode, RegistryEntry};
use sandoq_store::{
    check_in, CheckInOutcome, CheckInRequest, Election, ElectionKind, ElectionSpec, OfflinePolicy,
    Store, Timestamp, Voter,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(name: &str) -> String {
    format!(
        "{name}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

async fn sqlite_store() -> AnyStore {
    let dir = std::env::temp_dir().join(unique("sandoq_story"));
    std::fs::create_dir_all(&dir).unwrap();
    open(&format!("sqlite://{}", dir.join("central.db").display()))
        .await
        .unwrap()
}

async fn postgres_store() -> AnyStore {
    let admin = std::env::var("SANDOQ_TEST_POSTGRES_URL")
        .expect("SANDOQ_TEST_POSTGRES_URL is not set: run the tests through scripts/ci.sh (or scripts/with-postgres.sh cargo test)");
    let name = unique("sandoq_test");
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("bad URL {admin}"),
    };
    open(&url).await.unwrap()
}

fn polling_day() -> Date {
    Date::from_jalali(1405, 2, 11).unwrap()
}

fn spec(code: &str) -> ElectionSpec {
    ElectionSpec {
        code: code.to_string(),
        name_fa: "هفتمین دورهٔ انتخابات شورای اسلامی شهر تهران (آموزشی)".into(),
        name_en: "7th Tehran City Council election (training)".into(),
        kind: ElectionKind::Training,
        seats: 21,
        constituency: "tehran-rey-tajrish".into(),
        polling_day: polling_day(),
        hours: sandoq_store::PollingHours::default(),
        offline_policy: OfflinePolicy::Refuse,
        paper_record: false,
        rules: sandoq_store::ElectionSpec::DEFAULT_RULES.into(),
    }
}

fn voter(
    code: NationalCode,
    birth: Date,
    constituency: &str,
    deceased: bool,
    barred: bool,
) -> Voter {
    Voter {
        national_code: code,
        entry: RegistryEntry {
            birth_date: birth,
            constituency: constituency.into(),
            deceased,
            barred,
        },
    }
}

fn request(
    election: &Election,
    code: &str,
    station: &str,
    request_id: &str,
    at: Timestamp,
) -> CheckInRequest {
    CheckInRequest {
        election: election.id,
        national_code: code.into(),
        station: station.into(),
        request_id: request_id.into(),
        at,
        nonce: None,
    }
}

async fn story(store: AnyStore) {
    let t0 = Timestamp::from_tehran(polling_day(), 8, 0);
    let id = store
        .create_election(&spec("tehran-1405"), "hq:admin", t0)
        .await
        .unwrap();
    assert_eq!(
        store
            .create_election(&spec("tehran-1405"), "hq:admin", t0)
            .await
            .unwrap_err()
            .code(),
        "election_code_taken"
    );
    let election = store.election(id).await.unwrap().unwrap();
    assert_eq!(election.spec, spec("tehran-1405"));
    // A device can only be registered at a station code that check-in accepts.
    let key = "11".repeat(32);
    let refused = store
        .register_device(
            id,
            "S 1",
            sandoq_store::DeviceKind::CheckInDesk,
            &key,
            "hq:admin",
            t0,
        )
        .await;
    assert_eq!(refused.unwrap_err().code(), "bad_station_code");

    let codes: Vec<NationalCode> = synthetic::national_codes(11).take(9).collect();
    let adult = Date::from_jalali(1370, 5, 14).unwrap();
    let voters = vec![
        voter(codes[0], adult, "tehran-rey-tajrish", false, false),
        voter(codes[1], adult, "tehran-rey-tajrish", false, false),
        voter(
            codes[2],
            Date::from_jalali(1387, 2, 12).unwrap(),
            "tehran-rey-tajrish",
            false,
            false,
        ),
        voter(codes[3], adult, "shiraz", false, false),
        voter(codes[4], adult, "tehran-rey-tajrish", true, false),
        voter(codes[5], adult, "tehran-rey-tajrish", false, true),
        voter(codes[8], adult, "tehran-rey-tajrish", false, false),
        voter(
            codes[6],
            Date::from_jalali(1387, 2, 11).unwrap(),
            "tehran-rey-tajrish",
            false,
            false,
        ),
    ];
    assert_eq!(
        store
            .import_voters(id, &voters, "hq:admin", t0)
            .await
            .unwrap(),
        8
    );
    // All or nothing: a second file holding one person already there adds nobody.
    let again = vec![
        voter(codes[7], adult, "tehran-rey-tajrish", false, false),
        voters[0].clone(),
    ];
    assert_eq!(
        store
            .import_voters(id, &again, "hq:admin", t0)
            .await
            .unwrap_err()
            .code(),
        "voter_already_in_registry"
    );
    assert!(
        store.find_voter(id, codes[7]).await.unwrap().is_none(),
        "nothing of a refused import is kept"
    );

    // Check-ins wait for voting to open; then the setup data is frozen.
    let request_early = request(&election, &codes[0].to_string(), "S-0001", "early", t0);
    assert_eq!(
        check_in(&store, &election, &request_early)
            .await
            .unwrap_err()
            .code(),
        "election_not_voting"
    );
    sandoq_store::advance_status(
        &store,
        &election,
        sandoq_store::ElectionStatus::Voting,
        "hq:admin",
        t0,
    )
    .await
    .unwrap();
    assert_eq!(
        sandoq_store::advance_status(
            &store,
            &election,
            sandoq_store::ElectionStatus::Voting,
            "hq:admin",
            t0
        )
        .await
        .unwrap_err()
        .code(),
        "status_changed_meanwhile",
        "a stale copy cannot move the election twice"
    );
    let election = store.election(id).await.unwrap().unwrap();
    assert_eq!(
        sandoq_store::advance_status(
            &store,
            &election,
            sandoq_store::ElectionStatus::Setup,
            "hq:admin",
            t0
        )
        .await
        .unwrap_err()
        .code(),
        "bad_status_change"
    );
    let at = |minutes: i64| Timestamp(t0.0 + minutes * 60);
    let answer = |o: CheckInOutcome| o.code();
    let first = check_in(
        &store,
        &election,
        &request(&election, &codes[0].to_string(), "S-0001", "r1", at(5)),
    )
    .await
    .unwrap();
    assert_eq!(first, CheckInOutcome::Recorded { at: at(5) });
    // A retry of the same request gets the same answer, and no second record.
    let retry = check_in(
        &store,
        &election,
        &request(&election, &codes[0].to_string(), "S-0001", "r1", at(6)),
    )
    .await
    .unwrap();
    assert_eq!(retry, CheckInOutcome::Recorded { at: at(5) });
    // The same person at another station: already voted, where and when.
    let elsewhere = check_in(
        &store,
        &election,
        &request(&election, &codes[0].to_string(), "S-0002", "r2", at(30)),
    )
    .await
    .unwrap();
    assert_eq!(
        elsewhere,
        CheckInOutcome::AlreadyVoted {
            station: "S-0001".into(),
            at: at(5)
        }
    );
    assert!(elsewhere.message().en.contains("S-0001") && elsewhere.message().fa.contains("پیش‌تر"));
    // Typed with Persian digits: the same code.
    let persian = sandoq_i18n::persian_digits(&codes[1].to_string());
    assert_eq!(
        answer(
            check_in(
                &store,
                &election,
                &request(&election, &persian, "S-0002", "r3", at(31))
            )
            .await
            .unwrap()
        ),
        "recorded"
    );
    let mut wrong_digit = codes[1].to_string().into_bytes();
    wrong_digit[9] = if wrong_digit[9] == b'9' {
        b'0'
    } else {
        wrong_digit[9] + 1
    };
    let wrong_digit = String::from_utf8(wrong_digit).unwrap();
    let cases = [
        (wrong_digit.as_str(), "national_code_check_digit"),
        ("12345", "national_code_length"),
        (&*codes[7].to_string(), "not_in_registry"),
        (&*codes[2].to_string(), "under_age"),
        (&*codes[3].to_string(), "other_constituency"),
        (&*codes[4].to_string(), "deceased"),
        (&*codes[5].to_string(), "barred"),
        (&*codes[6].to_string(), "recorded"),
    ];
    for (i, (code, expected)) in cases.iter().enumerate() {
        let outcome = check_in(
            &store,
            &election,
            &request(&election, code, "S-0003", &format!("c{i}"), at(40)),
        )
        .await
        .unwrap();
        assert_eq!(outcome.code(), *expected, "{code}");
        let message = outcome.message();
        assert!(!message.fa.is_empty() && !message.en.is_empty());
    }
    // A request id used for another person is refused and records nothing.
    let reused = check_in(
        &store,
        &election,
        &request(&election, &codes[8].to_string(), "S-0003", "r1", at(41)),
    )
    .await;
    assert_eq!(reused.unwrap_err().code(), "request_id_reused");
    let bad_station = check_in(
        &store,
        &election,
        &request(&election, &codes[7].to_string(), "S 1; DROP", "r9", at(41)),
    )
    .await;
    assert_eq!(bad_station.unwrap_err().code(), "bad_station_code");

    assert_eq!(store.count_check_ins(id).await.unwrap(), 3);
    let turnout = store.turnout(id).await.unwrap();
    let total: u64 = turnout.iter().map(|b| b.check_ins).sum();
    assert_eq!(total, 3);
    assert!(turnout.iter().all(|b| b.hour_start == t0), "{turnout:?}");
    let audit = store.audit_log(10).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["set_election_status", "import_voters", "create_election"]
    );
    assert!(audit.iter().all(|a| a.actor == "hq:admin"));

    // Check-ins and the audit log are append-only, even to someone with SQL access.
    let attempts = [
        "DELETE FROM check_ins",
        "UPDATE check_ins SET station_code = 'X'",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET actor = 'x'",
    ];
    for sql in attempts {
        let refused = match &store {
            AnyStore::Sqlite(s) => sqlx::raw_sql(sql).execute(s.pool()).await.is_err(),
            AnyStore::Postgres(s) => sqlx::raw_sql(sql).execute(s.pool()).await.is_err(),
        };
        assert!(refused, "{sql} must be refused");
    }
    if let AnyStore::Postgres(s) = &store {
        assert!(sqlx::raw_sql("TRUNCATE check_ins")
            .execute(s.pool())
            .await
            .is_err());
    }
    assert_eq!(store.count_check_ins(id).await.unwrap(), 3);
}

/// `stations` stations check in each of `people` people at the same instant.
async fn simultaneous_check_ins(store: AnyStore, people: usize, stations: usize) {
    let t0 = Timestamp::from_tehran(polling_day(), 9, 0);
    let id = store
        .create_election(&spec("race"), "hq:admin", t0)
        .await
        .unwrap();
    store
        .set_election_status(
            id,
            sandoq_store::ElectionStatus::Setup,
            sandoq_store::ElectionStatus::Voting,
            "hq:admin",
            t0,
        )
        .await
        .unwrap();
    let election = Arc::new(store.election(id).await.unwrap().unwrap());
    let codes: Vec<NationalCode> = synthetic::national_codes(5).take(people).collect();
    let adult = Date::from_jalali(1360, 1, 1).unwrap();
    let voters: Vec<Voter> = codes
        .iter()
        .map(|&c| voter(c, adult, "tehran-rey-tajrish", false, false))
        .collect();
    store
        .import_voters(id, &voters, "hq:admin", t0)
        .await
        .unwrap();
    let store = Arc::new(store);
    let barrier = Arc::new(tokio::sync::Barrier::new(stations));
    let mut tasks = Vec::new();
    for station in 0..stations {
        let (store, election, barrier, codes) = (
            store.clone(),
            election.clone(),
            barrier.clone(),
            codes.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for (person, code) in codes.iter().enumerate() {
                if person % 50 == 0 {
                    // Keep the stations in step so that they really race for the same people.
                    barrier.wait().await;
                }
                let req = request(
                    &election,
                    &code.to_string(),
                    &format!("S-{station:04}"),
                    &format!("s{station}-p{person}"),
                    t0,
                );
                outcomes.push((person, check_in(&*store, &election, &req).await.unwrap()));
            }
            outcomes
        }));
    }
    let mut recorded = vec![0usize; people];
    for task in tasks {
        for (person, outcome) in task.await.unwrap() {
            match outcome {
                CheckInOutcome::Recorded { .. } => recorded[person] += 1,
                CheckInOutcome::AlreadyVoted { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(
        recorded.iter().all(|&n| n == 1),
        "every person exactly once: {recorded:?}"
    );
    assert_eq!(store.count_check_ins(id).await.unwrap(), people as u64);
}

/// Signed requests racing each other: the same request replayed at once is taken exactly once;
/// a retry (same request id, new nonce) racing its original answers the same and records once;
/// one request id for different people records one of them. On PostgreSQL these land in the
/// same batch statement, which is what this checks.
async fn replays_and_retries_under_races(store: AnyStore) {
    let t0 = Timestamp::from_tehran(polling_day(), 9, 0);
    let id = store
        .create_election(&spec("replays"), "hq:admin", t0)
        .await
        .unwrap();
    store
        .set_election_status(
            id,
            sandoq_store::ElectionStatus::Setup,
            sandoq_store::ElectionStatus::Voting,
            "hq:admin",
            t0,
        )
        .await
        .unwrap();
    let election = Arc::new(store.election(id).await.unwrap().unwrap());
    let codes: Vec<NationalCode> = synthetic::national_codes(9).take(20).collect();
    let adult = Date::from_jalali(1360, 1, 1).unwrap();
    let voters: Vec<Voter> = codes
        .iter()
        .map(|&c| voter(c, adult, "tehran-rey-tajrish", false, false))
        .collect();
    store
        .import_voters(id, &voters, "hq:admin", t0)
        .await
        .unwrap();
    let device = store
        .register_device(
            id,
            "S-1",
            sandoq_store::DeviceKind::CheckInDesk,
            &"ab".repeat(32),
            "hq:admin",
            t0,
        )
        .await
        .unwrap();
    let store = Arc::new(store);
    let race = |requests: Vec<CheckInRequest>| {
        let (store, election) = (store.clone(), election.clone());
        async move {
            let tasks: Vec<_> = requests
                .into_iter()
                .map(|req| {
                    let (store, election) = (store.clone(), election.clone());
                    tokio::spawn(async move { check_in(&*store, &election, &req).await })
                })
                .collect();
            let mut answers = Vec::new();
            for task in tasks {
                answers.push(task.await.unwrap());
            }
            answers
        }
    };
    let nonce = |n: &str| {
        Some(sandoq_store::DeviceNonce {
            device,
            nonce: n.to_string(),
        })
    };
    // One request, replayed 16 times at once.
    let mut same = request(&election, &codes[0].to_string(), "S-1", "r-0", t0);
    same.nonce = nonce("n-0");
    let answers = race(vec![same; 16]).await;
    let taken = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(taken, 1, "{answers:?}");
    assert!(answers
        .iter()
        .filter_map(|a| a.as_ref().err())
        .all(|e| e.code() == "replayed_request"));
    // A retry racing its original: same request id, fresh nonces.
    let retries: Vec<CheckInRequest> = (0..16)
        .map(|i| {
            let mut req = request(&election, &codes[1].to_string(), "S-1", "r-1", t0);
            req.nonce = nonce(&format!("n-1-{i}"));
            req
        })
        .collect();
    for answer in race(retries).await {
        assert_eq!(answer.unwrap(), CheckInOutcome::Recorded { at: t0 });
    }
    // One request id, sixteen different people.
    let clash: Vec<CheckInRequest> = (0..16)
        .map(|i| {
            let mut req = request(&election, &codes[2 + i].to_string(), "S-1", "r-2", t0);
            req.nonce = nonce(&format!("n-2-{i}"));
            req
        })
        .collect();
    let answers = race(clash).await;
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        1,
        "{answers:?}"
    );
    assert!(answers
        .iter()
        .filter_map(|a| a.as_ref().err())
        .all(|e| e.code() == "request_id_reused"));
    assert_eq!(store.count_check_ins(id).await.unwrap(), 3);
}

/// A registry of many batches imports whole; one person already there refuses the whole file, named.
async fn large_import(store: AnyStore) {
    let t0 = Timestamp::from_tehran(polling_day(), 7, 0);
    let id = store
        .create_election(&spec("big"), "hq:admin", t0)
        .await
        .unwrap();
    let mut csv = Vec::new();
    sandoq_central::import::write_synthetic_registry(
        &mut csv,
        25_000,
        21,
        polling_day(),
        "tehran-rey-tajrish",
    )
    .unwrap();
    let voters = sandoq_central::import::parse_registry_csv(&csv[..]).unwrap();
    assert_eq!(
        store
            .import_voters(id, &voters, "hq:admin", t0)
            .await
            .unwrap(),
        25_000
    );
    for voter in voters.iter().step_by(997) {
        assert_eq!(
            store
                .find_voter(id, voter.national_code)
                .await
                .unwrap()
                .as_ref(),
            Some(&voter.entry)
        );
    }
    let newcomers: Vec<Voter> = synthetic::national_codes(99)
        .take(5_000)
        .map(|c| {
            voter(
                c,
                Date::from_jalali(1360, 1, 1).unwrap(),
                "tehran-rey-tajrish",
                false,
                false,
            )
        })
        .chain(std::iter::once(voters[12_345].clone()))
        .collect();
    let error = store
        .import_voters(id, &newcomers, "hq:admin", t0)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "voter_already_in_registry");
    assert!(
        error
            .to_string()
            .contains(&voters[12_345].national_code.to_string()),
        "{error}"
    );
    assert!(store
        .find_voter(id, newcomers[0].national_code)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_large_import() {
    large_import(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_large_import() {
    large_import(postgres_store().await).await;
}

/// `check_in_many` answers every request exactly as `check_in` does one after another: every
/// refusal, a person twice in one batch (at two stations), a retry in the batch, a request id
/// taken by someone else, a person checked in before the batch, a malformed request.
async fn many_at_once_is_one_after_another(store: AnyStore) {
    let t0 = Timestamp::from_tehran(polling_day(), 8, 0);
    let codes: Vec<NationalCode> = synthetic::national_codes(23).take(1_210).collect();
    let adult = Date::from_jalali(1370, 5, 14).unwrap();
    let mut voters = vec![
        voter(codes[0], adult, "tehran-rey-tajrish", false, false),
        voter(codes[1], adult, "tehran-rey-tajrish", false, false),
        voter(
            codes[2],
            Date::from_jalali(1387, 2, 12).unwrap(),
            "tehran-rey-tajrish",
            false,
            false,
        ),
        voter(codes[3], adult, "shiraz", false, false),
        voter(codes[4], adult, "tehran-rey-tajrish", true, false),
        voter(codes[5], adult, "tehran-rey-tajrish", false, true),
        voter(codes[6], adult, "tehran-rey-tajrish", false, false),
    ];
    // Enough people that the batch spans several of the backend's chunks.
    for code in &codes[10..] {
        voters.push(voter(*code, adult, "tehran-rey-tajrish", false, false));
    }
    let mut elections = Vec::new();
    for name in ["one-by-one", "many"] {
        let mut spec = spec(&unique(name));
        spec.code.truncate(60);
        let id = store.create_election(&spec, "hq:admin", t0).await.unwrap();
        store
            .import_voters(id, &voters, "hq:admin", t0)
            .await
            .unwrap();
        let election = store.election(id).await.unwrap().unwrap();
        sandoq_store::advance_status(
            &store,
            &election,
            sandoq_store::ElectionStatus::Voting,
            "hq:admin",
            t0,
        )
        .await
        .unwrap();
        let election = store.election(id).await.unwrap().unwrap();
        // Someone checked in before the batch.
        check_in(
            &store,
            &election,
            &request(&election, &codes[6].to_string(), "S-0009", "before", t0),
        )
        .await
        .unwrap();
        elections.push(election);
    }
    let requests = |election: &Election| {
        let mut list = vec![
            request(election, &codes[0].to_string(), "S-0001", "r0", t0),
            request(election, "1234567890", "S-0001", "bad-digit", t0),
            request(election, &codes[7].to_string(), "S-0001", "unknown", t0),
            request(election, &codes[2].to_string(), "S-0001", "young", t0),
            request(election, &codes[3].to_string(), "S-0001", "shiraz", t0),
            request(election, &codes[4].to_string(), "S-0001", "deceased", t0),
            request(election, &codes[5].to_string(), "S-0001", "barred", t0),
            request(election, &codes[1].to_string(), "S-0001", "r1", t0),
            // The same person again, at another station, in the same batch.
            request(election, &codes[1].to_string(), "S-0002", "r1-again", t0),
            // A retry of the first request.
            request(election, &codes[0].to_string(), "S-0001", "r0", t0),
            // A request id already used for someone else.
            request(election, &codes[10].to_string(), "S-0001", "r1", t0),
            request(election, &codes[6].to_string(), "S-0001", "after", t0),
            request(election, &codes[11].to_string(), "S 1", "bad-station", t0),
        ];
        for (k, code) in codes[12..].iter().enumerate() {
            list.push(request(
                election,
                &code.to_string(),
                "S-0003",
                &format!("m{k}"),
                t0,
            ));
        }
        list
    };
    let mut one_by_one = Vec::new();
    for request in requests(&elections[0]) {
        one_by_one.push(
            check_in(&store, &elections[0], &request)
                .await
                .map_err(|e| e.code().to_string()),
        );
    }
    let many: Vec<Result<CheckInOutcome, String>> =
        sandoq_store::check_in_many(&store, &elections[1], &requests(&elections[1]))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.map_err(|e| e.code().to_string()))
            .collect();
    assert_eq!(one_by_one, many);
    let codes_seen: Vec<&str> = many
        .iter()
        .take(13)
        .map(|r| match r {
            Ok(outcome) => outcome.code(),
            Err(code) => code.as_str(),
        })
        .collect();
    assert_eq!(
        codes_seen,
        [
            "recorded",
            "national_code_check_digit",
            "not_in_registry",
            "under_age",
            "other_constituency",
            "deceased",
            "barred",
            "recorded",
            "already_voted",
            "recorded",
            "request_id_reused",
            "already_voted",
            "bad_station_code"
        ]
    );
    for election in &elections {
        assert_eq!(
            store.count_check_ins(election.id).await.unwrap(),
            3 + (codes.len() - 12) as u64
        );
    }
}

/// Officials made in bulk keep their co-signing keys; one username taken refuses them all.
async fn officials_in_bulk(store: AnyStore) {
    let t0 = Timestamp::from_tehran(polling_day(), 8, 0);
    let prefix = unique("bulk");
    let row = |n: u32| sandoq_store::NewOfficial {
        username: format!("{prefix}-{n}"),
        role: sandoq_store::Role::Station,
        scope: "S-0001".into(),
        password_hash: "!".into(),
        signing_key: format!("{n:02}").repeat(32),
    };
    let rows: Vec<_> = (10..13).map(row).collect();
    assert_eq!(
        store.create_officials(&rows, "hq:admin", t0).await.unwrap(),
        3
    );
    let user = store
        .user_by_name(&rows[1].username)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.signing_key, "11".repeat(32));
    assert_eq!(user.scope, "S-0001");
    let again = vec![row(20), row(12)];
    assert_eq!(
        store
            .create_officials(&again, "hq:admin", t0)
            .await
            .unwrap_err()
            .code(),
        "username_taken"
    );
    assert!(store
        .user_by_name(&again[0].username)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_officials_in_bulk() {
    officials_in_bulk(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_officials_in_bulk() {
    officials_in_bulk(postgres_store().await).await;
}

/// Drills (issue 6 §4): started newest first, steps counted per kind with their first time and
/// only for a station with a drill; the registry sampled for the drill card by kind, never
/// anyone who has checked in; a drill is never changed.
async fn drills_and_samples(store: AnyStore) {
    use sandoq_store::{CheckInRecord, VoterSample};
    let t0 = Timestamp::from_tehran(polling_day(), 8, 0);
    let id = store
        .create_election(&spec(&unique("drills")), "hq:admin", t0)
        .await
        .unwrap();
    let codes: Vec<NationalCode> = synthetic::national_codes(31).take(8).collect();
    let adult = Date::from_jalali(1370, 5, 14).unwrap();
    let child = Date::from_jalali(1395, 1, 1).unwrap();
    let voters = vec![
        voter(codes[0], adult, "tehran-rey-tajrish", false, false),
        voter(codes[1], adult, "tehran-rey-tajrish", false, false),
        voter(codes[2], adult, "tehran-rey-tajrish", false, false),
        voter(codes[3], child, "tehran-rey-tajrish", false, false),
        voter(codes[4], adult, "shiraz", false, false),
        voter(codes[5], adult, "tehran-rey-tajrish", true, false),
        voter(codes[6], adult, "tehran-rey-tajrish", false, true),
    ];
    store
        .import_voters(id, &voters, "hq:admin", t0)
        .await
        .unwrap();
    let record = CheckInRecord {
        station: "S-9".into(),
        at: t0,
        request_id: "drill-fixture".into(),
        provisional: false,
    };
    store.insert_check_in(id, codes[1], &record).await.unwrap();
    let born_by = sandoq_registry::eligibility::latest_eligible_birth(polling_day());
    let mut eligible: Vec<NationalCode> = vec![codes[0], codes[2]];
    eligible.sort_by_key(|c| c.as_u64());
    let sample = |s: VoterSample, n: u32| {
        let store = store.clone();
        async move { store.sample_voters(id, &s, n).await.unwrap() }
    };
    let constituency = "tehran-rey-tajrish".to_string();
    assert_eq!(
        sample(
            VoterSample::Eligible {
                constituency: constituency.clone(),
                born_by
            },
            5
        )
        .await,
        eligible,
        "the one who checked in is never sampled"
    );
    assert_eq!(
        sample(
            VoterSample::UnderAge {
                constituency: constituency.clone(),
                born_after: born_by
            },
            5
        )
        .await,
        vec![codes[3]]
    );
    assert_eq!(
        sample(VoterSample::OtherConstituency { constituency }, 5).await,
        vec![codes[4]]
    );
    assert_eq!(sample(VoterSample::Deceased, 5).await, vec![codes[5]]);
    assert_eq!(sample(VoterSample::Barred, 5).await, vec![codes[6]]);

    // No drill at S-1 yet: a step is not kept.
    store
        .record_drill_step(id, "S-1", "state:open", t0)
        .await
        .unwrap();
    let first = store
        .start_drill(id, "S-1", "{}", "hq:trainer", t0)
        .await
        .unwrap();
    let second = store
        .start_drill(
            id,
            "S-1",
            r#"{"admit":"1"}"#,
            "hq:trainer",
            Timestamp(t0.0 + 60),
        )
        .await
        .unwrap();
    let drills = store.drills(id).await.unwrap();
    assert_eq!(
        drills.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![second, first]
    );
    assert_eq!(drills[0].card, r#"{"admit":"1"}"#);
    assert_eq!(drills[0].started_by, "hq:trainer");
    for minute in [2, 3, 4] {
        store
            .record_drill_step(
                id,
                "S-1",
                "check_in:recorded",
                Timestamp(t0.0 + minute * 60),
            )
            .await
            .unwrap();
    }
    store
        .record_drill_step(id, "S-2", "check_in:recorded", t0)
        .await
        .unwrap();
    let steps = store.drill_steps(second).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(
        (steps[0].step.as_str(), steps[0].first_at, steps[0].count),
        ("check_in:recorded", Timestamp(t0.0 + 120), 3)
    );
    assert!(store.drill_steps(first).await.unwrap().is_empty());
    assert!(store
        .audit_log(10)
        .await
        .unwrap()
        .iter()
        .any(|e| e.action == "start_drill"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_drills_and_samples() {
    drills_and_samples(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_drills_and_samples() {
    drills_and_samples(postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_many_check_ins_at_once() {
    many_at_once_is_one_after_another(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_many_check_ins_at_once() {
    many_at_once_is_one_after_another(postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_story() {
    story(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_story() {
    story(postgres_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_one_check_in_per_person_under_races() {
    simultaneous_check_ins(sqlite_store().await, 500, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_one_check_in_per_person_under_races() {
    simultaneous_check_ins(postgres_store().await, 500, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_replays_and_retries_under_races() {
    replays_and_retries_under_races(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_replays_and_retries_under_races() {
    for _ in 0..20 {
        replays_and_retries_under_races(postgres_store().await).await;
    }
}

#[tokio::test]
async fn an_unknown_database_url_is_refused() {
    assert_eq!(
        open("mysql://localhost/x").await.unwrap_err().code(),
        "unknown_database_url"
    );
}
