//! `sandoq simulate` through the real binary (issue 6 §5): a polling day of 20,000 eligible voters
//! over 50 stations, through the real centre and station agents over HTTP and again in process
//! (the mode for Tehran's scale), every invariant asserted from the JSON summary; `sandoq verify`
//! run again, separately, on the record written; both modes giving the same result for one seed;
//! and the same seed giving the same election day.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn unique(name: &str) -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
}

fn simulate(voters: u64, stations: u64, seed: u64, out: &Path, http: bool) -> Value {
    let mut args = vec![
        "--voters".to_string(),
        voters.to_string(),
        "--stations".into(),
        stations.to_string(),
        "--seed".into(),
        seed.to_string(),
    ];
    if http {
        args.push("--http".into());
    }
    simulate_with(&args, out)
}

/// `sandoq simulate --json … --out OUT`, which must succeed; its summary.
fn simulate_with(args: &[String], out: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args(["simulate", "--json"])
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "simulate {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn every_invariant_holds(http: bool) -> Value {
    let out = unique("sandoq-simulate-record");
    let summary = simulate(20_000, 50, 7, &out, http);
    assert_eq!(summary["mode"], if http { "http" } else { "in_process" });
    assert_eq!(summary["eligible"], 20_000);
    assert_eq!(summary["checked_in"], 10_000, "turnout 0.5: {summary}");
    assert_eq!(summary["ballots_cast"], 10_000);
    assert_eq!(
        summary["ballots_counted"], 10_000,
        "no ballot lost or counted twice"
    );
    assert_eq!(summary["lost_ballots"], 0);
    assert_eq!(summary["extra_ballots"], 0);
    assert_eq!(summary["double_vote_attempts"], 100);
    assert_eq!(summary["double_votes_accepted"], 0, "{summary}");
    assert_eq!(summary["stations_reported"], 50);
    assert_eq!(summary["ground_truth_match"], true, "{summary}");
    assert_eq!(summary["verified"], true, "{summary}");
    assert_eq!(summary["failures"], serde_json::json!([]));
    let seats: u64 = summary["seats"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(seats, 21);
    for phase in [
        "setup",
        "polling_day",
        "aggregation",
        "record",
        "verify",
        "total",
    ] {
        assert!(summary["seconds"][phase].is_string(), "{phase}: {summary}");
    }
    // Anyone can check the record again with the verifier alone, against the roster hash
    // published before polling day (issue 18 §1); another hash is refused.
    let roster = summary["roster_sha256"].as_str().unwrap().to_string();
    assert_eq!(roster.len(), 64, "{summary}");
    let verify = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .arg("verify")
        .arg(&out)
        .args(["--roster", &roster])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let checked: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(checked["roster_sha256"], roster.as_str());
    let elsewhere = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .arg("verify")
        .arg(&out)
        .args(["--roster", &"0".repeat(64)])
        .output()
        .unwrap();
    assert_eq!(elsewhere.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&elsewhere.stdout).contains("roster_mismatch"));
    // The restricted part holds every station's ballot records.
    assert!(out.join("restricted").is_dir());
    let _ = std::fs::remove_dir_all(&out);
    summary
}

#[test]
fn a_polling_day_of_20000_voters_over_50_stations_keeps_every_invariant_in_both_modes() {
    let http = every_invariant_holds(true);
    let in_process = every_invariant_holds(false);
    // One seed, one electorate, the same choices: the same result whichever way the desks and
    // boxes were driven.
    for key in ["checked_in", "ballots_counted", "seats"] {
        assert_eq!(http[key], in_process[key], "{key}");
    }
}

fn same_day_twice(http: bool) {
    let (a, b) = (unique("sandoq-simulate-a"), unique("sandoq-simulate-b"));
    let first = simulate(400, 4, 11, &a, http);
    let second = simulate(400, 4, 11, &b, http);
    for key in [
        "checked_in",
        "ballots_cast",
        "double_vote_attempts",
        "seats",
    ] {
        assert_eq!(first[key], second[key], "{key}");
    }
    // The published results are the same too, vote for vote.
    let result = |dir: &Path| -> Value {
        let text = std::fs::read_to_string(dir.join("public").join("result.json")).unwrap();
        let mut value: Value = serde_json::from_str(&text).unwrap();
        // The explanation names nothing run-specific, but compare the figures only.
        value.as_object_mut().unwrap().remove("explanation");
        value
    };
    assert_eq!(result(&a), result(&b));
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn the_same_seed_gives_the_same_election_day() {
    same_day_twice(true);
    same_day_twice(false);
}

/// Every scenario of the library (`scenarios/`), each at small scale: the simulator reports it
/// passed, with every check, and the usual invariants hold.
#[test]
fn every_scenario_in_the_library_passes() {
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&library)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let out = unique("sandoq-simulate-scenario");
        let args: Vec<String> = ["--voters", "20000", "--stations", "50", "--seed", "7"]
            .iter()
            .map(|a| a.to_string())
            .chain(["--scenario".to_string(), file.display().to_string()])
            .collect();
        let summary = simulate_with(&args, &out);
        let verdicts = summary["scenarios"].as_array().unwrap();
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0]["passed"], true, "{}: {summary}", file.display());
        assert!(!verdicts[0]["checks"].as_array().unwrap().is_empty());
        assert_eq!(summary["lost_ballots"], 0);
        assert_eq!(summary["ground_truth_match"], true);
        assert_eq!(summary["verified"], true);
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// A broken scenario file is refused with a stable code before anything runs.
#[test]
fn a_bad_scenario_is_refused_before_anything_runs() {
    let dir = unique("sandoq-simulate-bad-scenario");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "name = \"x\"\nen = \"x\"\nfa = \"x\"\n[[event]]\nkind = \"meteor\"\n[expect]\nlost_ballots = 0\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args([
            "simulate",
            "--voters",
            "100",
            "--stations",
            "2",
            "--scenario",
        ])
        .arg(&file)
        .arg("--out")
        .arg(dir.join("record"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad_scenario"), "{stderr}");
    assert!(!dir.join("record").exists(), "nothing was run");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A day on the clock runs without failures of devices, network or centre: asking for both is
/// refused before anything runs.
#[test]
fn a_day_on_the_clock_and_a_centre_restart_are_run_separately() {
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let dir = unique("sandoq-simulate-disagree");
    let output = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args([
            "simulate",
            "--voters",
            "100",
            "--stations",
            "2",
            "--scenario",
        ])
        .arg(library.join("late-opening-surge-extension.toml"))
        .arg("--scenario")
        .arg(library.join("centre-restart.toml"))
        .arg("--out")
        .arg(dir.join("record"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("scenarios_disagree"), "{stderr}");
    assert!(!dir.join("record").exists(), "nothing was run");
}

/// A new, empty database `name` on the test server whose administrator URL is `admin`; its URL.
fn fresh_database(admin: &str, name: &str) -> String {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::PgPool::connect(admin).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("bad URL {admin}"),
    }
}

/// `--database postgres://…`: the same day with the centre on PostgreSQL (a database of its own
/// on the throwaway server of `scripts/with-postgres.sh`), every invariant holding.
#[test]
fn a_polling_day_on_postgresql_keeps_every_invariant() {
    let admin = std::env::var("SANDOQ_TEST_POSTGRES_URL")
        .expect("SANDOQ_TEST_POSTGRES_URL is not set: run the tests through scripts/ci.sh (or scripts/with-postgres.sh cargo test)");
    let name = format!("sandoq_simulate_{}", std::process::id());
    let url = fresh_database(&admin, &name);
    let out = unique("sandoq-simulate-postgres");
    let args: Vec<String> = [
        "--voters",
        "4000",
        "--stations",
        "10",
        "--seed",
        "5",
        "--database",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([url])
    .collect();
    let summary = simulate_with(&args, &out);
    assert_eq!(summary["checked_in"], 2_000);
    assert_eq!(summary["ballots_counted"], 2_000);
    assert_eq!(summary["double_votes_accepted"], 0);
    assert_eq!(summary["stations_reported"], 10);
    assert_eq!(summary["ground_truth_match"], true);
    assert_eq!(summary["verified"], true);
    // The same seed on SQLite gives the same seats.
    let sqlite_out = unique("sandoq-simulate-sqlite");
    let sqlite = simulate(4_000, 10, 5, &sqlite_out, false);
    assert_eq!(summary["seats"], sqlite["seats"]);
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&sqlite_out);

    // The centre killed under load and started again on PostgreSQL (policy refuse): every voter
    // comes back and votes once, so the day ends as the undisturbed one did.
    let url = fresh_database(&admin, &format!("{name}_restart"));
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/centre-restart-refuse.toml");
    let out = unique("sandoq-simulate-postgres-restart");
    let args: Vec<String> = ["--voters", "4000", "--stations", "10", "--seed", "5"]
        .iter()
        .map(|a| a.to_string())
        .chain(["--database".to_string(), url])
        .chain(["--scenario".to_string(), scenario.display().to_string()])
        .collect();
    let again = simulate_with(&args, &out);
    assert_eq!(again["scenarios"][0]["passed"], true, "{again}");
    assert_eq!(again["centre_restarts"], 1);
    assert_eq!(again["checked_in"], 2_000);
    assert_eq!(again["ballots_counted"], 2_000);
    assert_eq!(again["seats"], sqlite["seats"]);
    let _ = std::fs::remove_dir_all(&out);
}
