//! The station agent against a real centre (in this process, on SQLite): a polling day from
//! sign-in to the report and ballot records accepted by the centre; the offline policies with the
//! centre stopped during voting; a restart in the middle; nothing in the station's files that
//! names a voter next to a token.

mod common;

use common::{Fixture, Options, OFFICIALS};
use sandoq_store::{OfflinePolicy, Store};
use serde_json::{json, Value};

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

async fn check_in(f: &Fixture, cookie: &str, voter: usize) -> (u16, Value) {
    f.call(
        "POST",
        "/api/desk/check-in",
        cookie,
        json!({"national_code": f.voters[voter].to_string()}),
    )
    .await
}

async fn vote(f: &Fixture, cookie: &str, voter: usize, ballot: Value) -> String {
    let (status, answer) = check_in(f, cookie, voter).await;
    assert_eq!(status, 200, "{answer}");
    let token = answer["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {answer}"))
        .to_string();
    let (status, answer) = f
        .call("POST", "/api/box/1/unlock", "", json!({"token": token}))
        .await;
    assert_eq!(status, 200, "{answer}");
    let session = answer["session"].as_str().unwrap().to_string();
    let (status, answer) = f
        .call(
            "POST",
            "/api/box/1/cast",
            "",
            json!({"session": session, "ballot": ballot}),
        )
        .await;
    assert_eq!(
        (status, answer["recorded"].as_bool()),
        (200, Some(true)),
        "{answer}"
    );
    token
}

async fn status(f: &Fixture, cookie: &str) -> Value {
    f.call("GET", "/api/status", cookie, Value::Null).await.1
}

async fn open_station(f: &Fixture) -> String {
    let mut cookie = String::new();
    for name in OFFICIALS {
        cookie = f.sign_in(name).await;
    }
    let (status, answer) = f.call("POST", "/api/desk/open", &cookie, Value::Null).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["state"], "open");
    cookie
}

async fn cosign_and_send(f: &Fixture, cookie: &str) {
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
    assert_eq!(
        status(f, cookie).await["state"],
        "reported",
        "{}",
        status(f, cookie).await
    );
    f.agent.tick().await;
    assert_eq!(
        status(f, cookie).await["ballots_sent"],
        true,
        "{}",
        status(f, cookie).await
    );
}

/// Every file in the station's data directory, as bytes.
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_day_from_sign_in_to_the_centre_accepting_the_report() {
    let mut f = Fixture::new(Options::default()).await;
    assert_eq!(status(&f, "").await["state"], "unregistered");
    f.start_voting().await;
    f.agent.tick().await;
    assert_eq!(status(&f, "").await["state"], "setup");
    assert!(
        f.data.join("photos/10101").exists(),
        "photos are fetched and checked"
    );

    // Bad input: a clear error with a stable code, nothing changed.
    let bad = common::support::request(
        f.agent_addr,
        "POST",
        "/api/box/1/unlock",
        &[("content-type", "application/json".into())],
        b"{not json",
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    assert!(bad.body["error"]["fa"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    let bad = common::support::request(f.agent_addr, "POST", "/api/desk/sign-in", &[], b"x").await;
    assert_eq!(
        (bad.status, bad.body["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );

    // The desk needs an official; officials are checked against the centre's keys.
    let (s, a) = f.call("POST", "/api/desk/open", "", Value::Null).await;
    assert_eq!((s, code(&a)), (401, "sign_in_needed"));
    let (s, a) = f
        .call(
            "POST",
            "/api/desk/sign-in",
            "",
            json!({"username": "s1-head", "password": "wrong password here"}),
        )
        .await;
    assert_eq!((s, code(&a)), (401, "bad_credentials"));
    let (s, a) = f
        .call(
            "POST",
            "/api/desk/sign-in",
            "",
            json!({"username": "s2-head", "password": common::PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, code(&a)),
        (401, "bad_credentials"),
        "another station's official"
    );
    let cookie = f.sign_in("s1-head").await;
    let (s, a) = f.call("POST", "/api/desk/open", &cookie, Value::Null).await;
    assert_eq!((s, code(&a)), (422, "not_enough_officials"));
    let (s, a) = check_in(&f, &cookie, 0).await;
    assert_eq!((s, code(&a)), (409, "station_not_open"));
    let cookie = open_station(&f).await;
    let (s, a) = f.call("POST", "/api/desk/open", &cookie, Value::Null).await;
    assert_eq!((s, code(&a)), (422, "illegal_step"));

    // Check-ins: a mistyped code, a voter, the same voter again.
    let (s, a) = f
        .call(
            "POST",
            "/api/desk/check-in",
            &cookie,
            json!({"national_code": "1234567890"}),
        )
        .await;
    assert_eq!((s, code(&a)), (422, "national_code_check_digit"));
    let (s, a) = check_in(&f, &cookie, 0).await;
    assert_eq!((s, a["outcome"].as_str()), (200, Some("recorded")), "{a}");
    let token = a["token"].as_str().unwrap().to_string();
    let (s, a) = check_in(&f, &cookie, 0).await;
    assert_eq!(
        (s, a["outcome"].as_str(), a["token"].is_null()),
        (200, Some("already_voted"), true),
        "{a}"
    );

    // The ballot box: a wrong token, the right one, the same token elsewhere, a bad ballot, a
    // list ballot; the token cannot be used again.
    let (s, a) = f
        .call(
            "POST",
            "/api/box/1/unlock",
            "",
            json!({"token": "123456789012"}),
        )
        .await;
    assert_eq!((s, code(&a)), (422, "bad_token"));
    let (s, a) = f
        .call("POST", "/api/box/3/unlock", "", json!({"token": token}))
        .await;
    assert_eq!((s, code(&a)), (404, "unknown_box"));
    let (s, a) = f
        .call("POST", "/api/box/1/unlock", "", json!({"token": token}))
        .await;
    assert_eq!(s, 200, "{a}");
    let session = a["session"].as_str().unwrap().to_string();
    let (s, a) = f
        .call("POST", "/api/box/2/unlock", "", json!({"token": token}))
        .await;
    assert_eq!((s, code(&a)), (409, "token_in_use"));
    let (s, a) = f
        .call(
            "POST",
            "/api/box/2/cast",
            "",
            json!({"session": session, "ballot": {"list": "101"}}),
        )
        .await;
    assert_eq!(
        (s, code(&a)),
        (409, "no_session"),
        "a session belongs to its box"
    );
    for (ballot, expected) in [
        (json!({"candidates": ["10101", "777"]}), "unknown_code"),
        (
            json!({"candidates": ["10101", "10101"]}),
            "duplicate_candidate",
        ),
        (
            json!({"candidates": ["10101", "101"]}),
            "list_in_candidate_ballot",
        ),
        (
            json!({"candidates": ["10101", "10102", "10201", "9001"]}),
            "too_many_candidates",
        ),
        (json!({"list": "9001"}), "not_a_list"),
        (json!({"nothing": true}), "bad_ballot"),
    ] {
        let (s, a) = f
            .call(
                "POST",
                "/api/box/1/cast",
                "",
                json!({"session": session, "ballot": ballot}),
            )
            .await;
        assert_eq!((s, code(&a)), (422, expected), "{ballot}: {a}");
    }
    let (s, a) = f
        .call(
            "POST",
            "/api/box/1/cast",
            "",
            json!({"session": session, "ballot": {"list": "101"}}),
        )
        .await;
    assert_eq!((s, a["recorded"].as_bool()), (200, Some(true)), "{a}");
    assert!(
        a["ballot_id"].is_null(),
        "no paper record in this election: the id is not shown"
    );
    let (s, a) = f
        .call("POST", "/api/box/2/unlock", "", json!({"token": token}))
        .await;
    assert_eq!((s, code(&a)), (422, "token_used"));

    let mut tokens = vec![token];
    tokens.push(vote(&f, &cookie, 1, json!({"candidates": ["9001", "10101"]})).await);
    tokens.push(vote(&f, &cookie, 2, json!({"blank": true})).await);
    // A voter who walks away: the session is voided, never a ballot.
    let (_, a) = check_in(&f, &cookie, 3).await;
    let walked = a["token"].as_str().unwrap().to_string();
    let (_, a) = f
        .call("POST", "/api/box/2/unlock", "", json!({"token": walked}))
        .await;
    let session = a["session"].as_str().unwrap().to_string();
    let (s, _) = f
        .call("POST", "/api/box/2/void", "", json!({"session": session}))
        .await;
    assert_eq!(s, 200);
    let (s, a) = f
        .call("POST", "/api/box/2/unlock", "", json!({"token": walked}))
        .await;
    assert_eq!((s, code(&a)), (422, "token_voided"));
    tokens.push(walked);

    // An incident in the log.
    let (s, a) = f
        .call("POST", "/api/desk/incident", &cookie, json!({"note": "  "}))
        .await;
    assert_eq!((s, code(&a)), (422, "empty_note"));
    let note = format!("voter {} complained", f.voters[5]);
    let (s, a) = f
        .call("POST", "/api/desk/incident", &cookie, json!({"note": note}))
        .await;
    assert_eq!((s, code(&a)), (422, "note_names_someone"));
    let (s, _) = f
        .call(
            "POST",
            "/api/desk/incident",
            &cookie,
            json!({"note": "چاپگر برگه گیر کرد"}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(std::fs::read_to_string(f.data.join("events.log"))
        .unwrap()
        .contains("چاپگر برگه گیر کرد"));

    // Extending the hours.
    let (s, a) = f
        .call(
            "POST",
            "/api/desk/extend",
            &cookie,
            json!({"until": "۱۹:۳۰", "reason": "صف رأی‌دهندگان"}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let (s, a) = f
        .call(
            "POST",
            "/api/desk/extend",
            &cookie,
            json!({"until": "7pm", "reason": "x"}),
        )
        .await;
    assert_eq!((s, code(&a)), (422, "bad_extension"));

    // The centre goes away; this election refuses offline check-ins.
    f.stop_centre().await;
    let (s, a) = check_in(&f, &cookie, 4).await;
    assert_eq!((s, code(&a)), (503, "centre_unreachable_refuse"));
    assert_eq!(status(&f, &cookie).await["online"], false);

    // A restart of the agent in the middle of the day loses nothing.
    let again = sandoq_station_agent::Agent::new(f.agent.config.as_ref().clone()).unwrap();
    assert_eq!(again.public_key(), f.agent.public_key());
    drop(again);

    // Closing while the centre is away: the report is made and waits.
    let (s, a) = f
        .call("POST", "/api/desk/close", &cookie, Value::Null)
        .await;
    assert_eq!((s, a["state"].as_str()), (200, Some("closed")), "{a}");
    let st = status(&f, &cookie).await;
    assert_eq!(
        (
            st["ballots"].as_u64(),
            st["tokens"]["issued"].as_u64(),
            st["tokens"]["used"].as_u64(),
            st["tokens"]["voided"].as_u64()
        ),
        (Some(3), Some(4), Some(3), Some(1)),
        "{st}"
    );
    let (s, a) = f
        .call("POST", "/api/box/1/unlock", "", json!({"token": tokens[0]}))
        .await;
    assert_eq!((s, code(&a)), (409, "station_not_open"));
    let (s, a) = f
        .call(
            "POST",
            "/api/desk/cosign",
            &cookie,
            json!({"username": "s1-head", "password": "not the password"}),
        )
        .await;
    assert_eq!((s, code(&a)), (401, "bad_credentials"));
    for name in OFFICIALS {
        let (s, _) = f
            .call(
                "POST",
                "/api/desk/cosign",
                &cookie,
                json!({"username": name, "password": common::PASSWORD}),
            )
            .await;
        assert_eq!(s, 200);
    }
    f.agent.tick().await;
    assert_eq!(
        status(&f, &cookie).await["state"],
        "closed",
        "not sent while the centre is away"
    );

    // The centre is back: the report, then the ballot records, are accepted.
    f.start_centre().await;
    f.agent.tick().await;
    assert_eq!(
        status(&f, &cookie).await["state"],
        "reported",
        "{}",
        status(&f, &cookie).await
    );
    f.agent.tick().await;
    assert_eq!(status(&f, &cookie).await["ballots_sent"], true);
    let reports = f.store.station_reports(f.election).await.unwrap();
    assert_eq!(reports.len(), 1);
    // The agent tells the centre how it is doing, for the dashboards.
    let statuses = f.store.station_statuses(f.election).await.unwrap();
    assert_eq!(
        (
            statuses.len(),
            statuses[0].station.as_str(),
            statuses[0].ballots
        ),
        (1, "S-1", 3)
    );
    let report: Value = serde_json::from_str(&reports[0].1).unwrap();
    assert_eq!(
        (
            report["ballots"].as_u64(),
            report["blank"].as_u64(),
            report["list_ballots"]["101"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(report["candidate_votes_direct"]["9001"].as_u64(), Some(1));
    // V(10101) = 1 named + 1 list ballot for 101; V(10102) = its list's ballot only.
    assert_eq!(
        (
            report["candidate_votes"]["10101"].as_u64(),
            report["candidate_votes"]["10102"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(report["check_ins"].as_u64(), Some(4));
    assert_eq!(report["cosignatures"].as_array().unwrap().len(), 3);
    let ballots = f.store.station_ballots(f.election).await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&ballots[0].1)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Headquarters closes the count (two of the three supervisors must sign); two sign; the
    // result is final. A wrong password signs nothing; no report is taken after the closing.
    let base = format!("/api/elections/{}", f.election.0);
    let hq = f.centre_session("hq-admin").await;
    let (s, a) = f
        .centre_call(
            "POST",
            &format!("{base}/count/close"),
            &hq,
            json!({"required_signatures": 4}),
        )
        .await;
    assert_eq!((s, code(&a)), (422, "bad_required_signatures"));
    let (s, a) = f
        .centre_call(
            "POST",
            &format!("{base}/count/close"),
            &hq,
            json!({"required_signatures": 2}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["statement"]["stations_missing"], json!(["S-2", "S-3"]));
    let (s, a) = f
        .centre_call(
            "POST",
            &format!("{base}/count/close"),
            &hq,
            json!({"required_signatures": 2}),
        )
        .await;
    assert_eq!((s, code(&a)), (409, "count_already_closed"));
    let sup1 = f.centre_session("sup-1").await;
    let (s, a) = f
        .centre_call(
            "POST",
            &format!("{base}/count/sign"),
            &sup1,
            json!({"password": "not the password"}),
        )
        .await;
    assert_eq!((s, code(&a)), (401, "bad_credentials"));
    let (s, a) = f
        .centre_call(
            "POST",
            &format!("{base}/count/sign"),
            &sup1,
            json!({"password": common::PASSWORD}),
        )
        .await;
    assert_eq!((s, a["final"].as_bool()), (200, Some(false)), "{a}");
    let (_, results) = f
        .centre_call("GET", &format!("{base}/results"), "", Value::Null)
        .await;
    assert_eq!(results["status"], "closed");
    let sup2 = f.centre_session("sup-2").await;
    let (s, a) = f
        .centre_call(
            "POST",
            &format!("{base}/count/sign"),
            &sup2,
            json!({"password": common::PASSWORD}),
        )
        .await;
    assert_eq!((s, a["final"].as_bool()), (200, Some(true)), "{a}");
    let (_, results) = f
        .centre_call("GET", &format!("{base}/results"), "", Value::Null)
        .await;
    assert_eq!(results["status"], "final");
    let report_path = format!("{base}/station-reports");
    let report_text = f.store.station_reports(f.election).await.unwrap()[0]
        .1
        .clone();
    let device = f.agent.device_key();
    let sent =
        sandoq_station_agent::client::Centre::new(&format!("http://{}", f.centre), device).unwrap();
    let again = sent
        .signed("POST", &report_path, report_text.as_bytes(), f.now.0)
        .await
        .unwrap();
    assert_eq!(
        (again.status, again.body["again"].as_bool()),
        (200, Some(true)),
        "the report held is acknowledged again"
    );
    let mut other: Value = serde_json::from_str(&report_text).unwrap();
    other["blank"] = json!(0);
    let refused = sent
        .signed("POST", &report_path, other.to_string().as_bytes(), f.now.0)
        .await
        .unwrap();
    assert_eq!((refused.status, code(&refused.body)), (409, "count_closed"));

    // The election record holds the day, and `verify` accepts it: the station reported, S-2
    // (which opened no agent here) named as missing.
    let election = f.store.election(f.election).await.unwrap().unwrap();
    let input = sandoq_central::record::input(&f.store, &election, true)
        .await
        .unwrap();
    let record = f.data.with_extension("record");
    let manifest = sandoq_record::write(&record, &input).unwrap();
    assert_eq!(manifest["stations"]["missing"], json!(["S-2", "S-3"]));
    let verified =
        sandoq_record::verify(&record, &mut |_, _, _| {}).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(
        (
            verified.ballots,
            verified.ballot_records,
            verified.restricted_checked
        ),
        (3, 3, true)
    );
    assert!(
        verified.final_result,
        "closed and signed by two of three supervisors"
    );
    // A signature presented as another supervisor's is found.
    let closing_path = record.join("public/closing.json");
    let mut closing: Value =
        serde_json::from_str(&std::fs::read_to_string(&closing_path).unwrap()).unwrap();
    closing["signatures"][0]["username"] = json!("sup-3");
    std::fs::write(&closing_path, sandoq_record::canonical(&closing)).unwrap();
    let problems = sandoq_record::verify(&record, &mut |_, _, _| {}).unwrap_err();
    assert!(
        problems.iter().any(|p| p.code == "bad_closing_signature"),
        "{problems:#?}"
    );
    let _ = std::fs::remove_dir_all(&record);
    // The centre's live results: the same sum, the same root over the reports.
    let results = common::support::request(
        f.centre,
        "GET",
        &format!("/api/elections/{}/results", f.election.0),
        &[],
        b"",
    )
    .await;
    assert_eq!(results.status, 200, "{}", results.body);
    assert_eq!(results.body["status"], "final");
    assert_eq!(results.body["reports_root"], manifest["reports_root"]);
    assert_eq!(results.body["stations"]["missing"], json!(["S-2", "S-3"]));
    assert_eq!(results.body["ballots"], 3);
    assert_eq!(
        results.body["result"]["seats"]
            .as_object()
            .map(|s| s.values().filter_map(Value::as_u64).sum::<u64>()),
        Some(3),
        "{}",
        results.body["result"]
    );

    // The public record as one archive from the results site: unpacked with tar, it verifies.
    let tar = common::support::request(
        f.centre,
        "GET",
        &format!("/api/elections/{}/record.tar", f.election.0),
        &[],
        b"",
    )
    .await;
    assert_eq!(tar.status, 200);
    let unpacked = f.data.with_extension("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let archive = unpacked.join("record.tar");
    std::fs::write(&archive, tar.raw()).unwrap();
    let status = std::process::Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    let verified = sandoq_record::verify(&unpacked.join("record"), &mut |_, _, _| {})
        .unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(verified.final_result && !verified.restricted_checked);
    let _ = std::fs::remove_dir_all(&unpacked);

    // The exports: NIST SP 1500-100 v2 and CSV.
    let cdf = common::support::request(
        f.centre,
        "GET",
        &format!("/api/elections/{}/results.cdf.json", f.election.0),
        &[],
        b"",
    )
    .await;
    assert_eq!(cdf.body["@type"], "ElectionResults.ElectionReport");
    assert_eq!(
        cdf.body["Status"], "unofficial-partial",
        "S-2 has not reported"
    );
    assert_eq!(cdf.body["IsTest"], true);
    assert!(cdf.body["Election"][0]["Name"]["Text"][0]["Content"]
        .as_str()
        .unwrap()
        .starts_with("آموزشی / TRAINING"));
    let contest = &cdf.body["Election"][0]["Contest"][0];
    let maryam = contest["BallotSelection"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["CandidateIds"][0] == "cand-10101")
        .unwrap();
    assert_eq!(maryam["VoteCounts"][0]["Count"], 2);
    assert_eq!(maryam["VoteCounts"][1]["GpUnitId"], "ru-station-S-1");
    for (path, header) in [
        ("results-by-station.csv", "station,check_ins"),
        ("results-by-candidate.csv", "candidate,name_fa"),
    ] {
        let answer = common::support::request(
            f.centre,
            "GET",
            &format!("/api/elections/{}/{path}", f.election.0),
            &[],
            b"",
        )
        .await;
        assert_eq!(answer.status, 200);
        assert!(answer.head.contains("text/csv"), "{}", answer.head);
        // A training election's export says so on its first line and in its file name.
        assert!(
            answer
                .head
                .contains(&format!("filename=\"training-{path}\"")),
            "{}",
            answer.head
        );
        let (first, rest) = answer.text.split_once('\n').unwrap();
        assert!(first.starts_with("# آموزشی / TRAINING"), "{}", answer.text);
        assert!(rest.starts_with(header), "{}", answer.text);
    }
    let by_candidate = common::support::request(
        f.centre,
        "GET",
        &format!("/api/elections/{}/results-by-candidate.csv", f.election.0),
        &[],
        b"",
    )
    .await;
    assert!(
        by_candidate
            .text
            .contains("\n10101,مریم احمدی,Maryam Ahmadi,101,1,1,2,"),
        "{}",
        by_candidate.text
    );

    // The printable report.
    let page = common::support::request(f.agent_addr, "GET", "/report", &[], b"").await;
    assert_eq!(page.status, 200);

    // Nothing in the station's files holds a token, and no national code is kept (this
    // election has no provisional check-ins).
    for (name, bytes) in files(&f.data) {
        for token in &tokens {
            assert!(!contains(&bytes, token), "{name} holds a token");
        }
        for voter in &f.voters {
            assert!(
                !contains(&bytes, &voter.to_string()),
                "{name} holds a national code"
            );
        }
    }
    // After a restart the station is still reported, with its three ballots.
    let again = sandoq_station_agent::Agent::new(f.agent.config.as_ref().clone()).unwrap();
    drop(again);
    let _ = std::fs::remove_dir_all(&f.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centre_stopped_during_voting_with_provisional_check_ins() {
    let mut f = Fixture::new(Options {
        policy: OfflinePolicy::Provisional,
        ..Options::default()
    })
    .await;
    f.start_voting().await;
    f.agent.tick().await;
    let cookie = open_station(&f).await;
    vote(&f, &cookie, 0, json!({"list": "102"})).await;

    f.stop_centre().await;
    f.agent.tick().await;
    assert_eq!(status(&f, &cookie).await["online"], false);
    let (s, a) = check_in(&f, &cookie, 1).await;
    assert_eq!(
        (s, a["outcome"].as_str()),
        (200, Some("provisional")),
        "{a}"
    );
    let token = a["token"].as_str().unwrap().to_string();
    let (s, a) = check_in(&f, &cookie, 1).await;
    assert_eq!((s, code(&a)), (409, "already_checked_in_here"));
    let (_, a) = f
        .call("POST", "/api/box/2/unlock", "", json!({"token": token}))
        .await;
    let session = a["session"].as_str().unwrap().to_string();
    let (s, _) = f
        .call(
            "POST",
            "/api/box/2/cast",
            "",
            json!({"session": session, "ballot": {"candidates": ["10201"]}}),
        )
        .await;
    assert_eq!(s, 200);
    // Voter 0 voted online already; offline the station cannot know: the centre will find it.
    vote(&f, &cookie, 0, json!({"blank": true})).await;
    assert_eq!(status(&f, &cookie).await["pending_provisional"], 2);

    f.start_centre().await;
    f.agent.tick().await;
    let st = status(&f, &cookie).await;
    assert_eq!(
        (st["online"].as_bool(), st["pending_provisional"].as_u64()),
        (Some(true), Some(0)),
        "{st}"
    );
    let incidents = f.store.incidents(f.election).await.unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "the double vote is reported to the supervisors"
    );
    assert_eq!(incidents[0].station, "S-1");
    assert_eq!(
        f.store.count_check_ins(f.election).await.unwrap(),
        2,
        "voter 0 online, voter 1 synced"
    );

    let (s, _) = f
        .call("POST", "/api/desk/close", &cookie, Value::Null)
        .await;
    assert_eq!(s, 200);
    cosign_and_send(&f, &cookie).await;
    let ballots = f.store.station_ballots(f.election).await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&ballots[0].1)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3,
        "nothing lost"
    );
    let text = std::fs::read_to_string(f.data.join("events.log")).unwrap();
    assert!(text.contains("centre_unreachable") && text.contains("centre_reachable"));
    let _ = std::fs::remove_dir_all(&f.data);
}

/// A way to the centre that loses one answer: every request goes through whole, but the first
/// check-in's answer is dropped after the centre gave it (as when the centre dies, or the
/// network breaks, just after recording it). The agent's client sends one request per
/// connection (`connection: close`).
async fn proxy_losing_one_check_in_answer(centre: std::net::SocketAddr) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let lost = lost.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as much body as it announces.
                let whole = loop {
                    let Ok(n) = client.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break head;
                    }
                };
                let mut upstream = tokio::net::TcpStream::connect(centre).await.unwrap();
                upstream.write_all(&request).await.unwrap();
                let mut answer = Vec::new();
                upstream.read_to_end(&mut answer).await.unwrap();
                let check_in = whole.starts_with("post ") && whole.contains("/check-ins ");
                if check_in && !lost.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    return; // the answer is lost: the connection closes without it
                }
                let _ = client.write_all(&answer).await;
            });
        }
    });
    addr
}

/// The same station's agent, talking to the centre through `centre`.
fn agent_through(f: &Fixture, centre: std::net::SocketAddr) -> sandoq_station_agent::Agent {
    let mut config = f.agent.config.as_ref().clone();
    config.central = format!("http://{centre}");
    sandoq_station_agent::Agent::new(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_whose_answer_was_lost_is_asked_again_as_the_same_check_in() {
    // Policy refuse: the desk says "try again"; the second try is answered as the first
    // (recorded, a token), not as a second visit ("already voted here").
    let f = Fixture::new(Options::default()).await;
    f.start_voting().await;
    f.agent.tick().await;
    open_station(&f).await;
    let agent = agent_through(&f, proxy_losing_one_check_in_answer(f.centre).await);
    let voter = f.voters[0].to_string();
    let first = agent.check_in(&voter).await;
    assert_eq!(
        (first.status, code(&first.body)),
        (503, "centre_unreachable_refuse"),
        "{}",
        first.body
    );
    assert_eq!(
        f.store.count_check_ins(f.election).await.unwrap(),
        1,
        "the centre recorded it"
    );
    let again = agent.check_in(&voter).await;
    assert_eq!(
        (again.status, again.body["outcome"].as_str()),
        (200, Some("recorded")),
        "{}",
        again.body
    );
    assert!(again.body["token"].is_string());
    // Answered now: a later visit of the same person is a second visit.
    let third = agent.check_in(&voter).await;
    assert_eq!(third.body["outcome"], "already_voted", "{}", third.body);
    assert_eq!(f.store.count_check_ins(f.election).await.unwrap(), 1);
    let _ = std::fs::remove_dir_all(&f.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisional_check_in_after_a_lost_answer_syncs_as_the_same_check_in() {
    // Policy provisional: the desk takes the voter provisionally under the request id it asked
    // with; the sync finds that check-in and reports no double vote.
    let f = Fixture::new(Options {
        policy: OfflinePolicy::Provisional,
        ..Options::default()
    })
    .await;
    f.start_voting().await;
    f.agent.tick().await;
    open_station(&f).await;
    let agent = agent_through(&f, proxy_losing_one_check_in_answer(f.centre).await);
    let first = agent.check_in(&f.voters[0].to_string()).await;
    assert_eq!(
        (first.status, first.body["outcome"].as_str()),
        (200, Some("provisional")),
        "{}",
        first.body
    );
    assert_eq!(f.store.count_check_ins(f.election).await.unwrap(), 1);
    agent.tick().await;
    let pending = agent.with_station(|s| Ok(s.pending().len())).await.unwrap();
    assert_eq!(pending, 0, "synced");
    assert!(
        f.store.incidents(f.election).await.unwrap().is_empty(),
        "no double vote reported for one visit"
    );
    assert_eq!(f.store.count_check_ins(f.election).await.unwrap(), 1);
    let _ = std::fs::remove_dir_all(&f.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_stops_at_closing_time_unless_the_officials_extend_the_hours() {
    let f = Fixture::new(Options::default()).await;
    f.start_voting().await;
    f.agent.tick().await;
    open_station(&f).await;
    // The same station's device at 18:05 on polling day (the election closes at 18:00).
    let day = sandoq_registry::Date::from_jalali(1405, 2, 11).unwrap();
    let at = |h, m| sandoq_store::Timestamp::from_tehran(day, h, m).0;
    let mut config = f.agent.config.as_ref().clone();
    let evening = at(18, 5);
    config.clock = std::sync::Arc::new(move || evening);
    let agent = sandoq_station_agent::Agent::new(config.clone()).unwrap();
    let late = agent.check_in(&f.voters[0].to_string()).await;
    assert_eq!(
        (late.status, code(&late.body)),
        (409, "polling_hours_over"),
        "{}",
        late.body
    );
    assert!(
        late.body["error"]["fa"].as_str().unwrap().contains("۱۸:۰۰"),
        "{}",
        late.body
    );
    assert_eq!(
        f.store.count_check_ins(f.election).await.unwrap(),
        0,
        "the centre was not asked"
    );
    // The officials extend the hours to 19:00 for the queue: the desk takes voters again until then.
    let (extend_at, until) = (at(17, 55), at(19, 0));
    agent
        .with_station(move |s| s.extend(extend_at, until, "queue at the door"))
        .await
        .unwrap();
    let open_again = agent
        .with_station(move |s| Ok((s.can_check_in(evening), s.can_check_in(until))))
        .await
        .unwrap();
    assert!(open_again.0.is_ok());
    assert_eq!(open_again.1.unwrap_err().code, "polling_hours_over");
    // The extension is in the signed event log: a restarted device keeps it.
    drop(agent);
    let again = sandoq_station_agent::Agent::new(config).unwrap();
    let closes = again
        .with_station(|s| Ok((s.closes_at(), s.status()["extended_until"].clone())))
        .await
        .unwrap();
    assert_eq!(closes, (Some(until), json!("19:00")));
    let _ = std::fs::remove_dir_all(&f.data);
}
