//! `sandoq station init|status`: a station's data directory is made once, reports what it holds,
//! and refuses to hide a broken event log.

use std::process::Command;

fn sandoq(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_station_directory_is_made_once_and_reports_itself() {
    let dir = std::env::temp_dir().join(format!("sandoq-station-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().unwrap();
    let hash = "ab".repeat(32);
    let bad = sandoq(&[
        "station",
        "init",
        "--data",
        data,
        "--station",
        "1203",
        "--election-hash",
        "abc",
    ]);
    assert!(
        stderr(&bad).contains("error[bad_election_hash]"),
        "{}",
        stderr(&bad)
    );
    let made = sandoq(&[
        "station",
        "init",
        "--data",
        data,
        "--station",
        "1203",
        "--election-hash",
        &hash,
        "--capacity",
        "100",
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let answer: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(answer["public_key"].as_str().unwrap().len(), 64);
    assert!(stderr(&made).contains("register-device --station 1203"));
    let again = sandoq(&[
        "station",
        "init",
        "--data",
        data,
        "--station",
        "1203",
        "--election-hash",
        &hash,
    ]);
    assert!(stderr(&again).contains("error[station_exists]"));
    let status = sandoq(&["station", "status", "--data", data]);
    assert!(status.status.success(), "{}", stderr(&status));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "setup");
    assert_eq!(status["ballots"], 0);
    assert_eq!(status["event_log"]["events"], 1);
    assert_eq!(status["tokens"]["issued"], 0);
    // An edited event log is refused, not shown.
    let log = dir.join("events.log");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replace("station 1203", "station 1204")).unwrap();
    let broken = sandoq(&["station", "status", "--data", data]);
    assert!(
        stderr(&broken).contains("error[event_log_broken]"),
        "{}",
        stderr(&broken)
    );
    let missing = sandoq(&["station", "status", "--data", "/nonexistent/sandoq"]);
    assert!(stderr(&missing).contains("error[no_station]"));
    let _ = std::fs::remove_dir_all(&dir);
}
