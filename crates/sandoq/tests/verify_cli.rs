//! `sandoq verify DIR` as users and outside checkers run it (CLI_CONTRACTS.md): exit 0 and a
//! summary on the golden record; exit 4 and every problem, each naming its file, on a changed
//! copy; a directory that is not a record is a problem too, not a crash.

use std::process::Command;

fn sandoq(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn verify_accepts_the_golden_record_and_refuses_a_changed_one() {
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/record/small");
    let (code, summary, _) = sandoq(&["verify", golden.to_str().unwrap()]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["verified"], true);
    assert_eq!(summary["checked"]["restricted"], true);
    assert_eq!(summary["stations_reported"], 3);
    assert_eq!(summary["stations_missing"], serde_json::json!([]));
    assert_eq!(summary["final"], false);

    let copy = std::env::temp_dir().join(format!("sandoq-verify-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(&golden, &copy);
    let path = copy.join("public/reports/S-2.json");
    // One byte changed, the size kept (a larger file is refused unread, as `too_large`).
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("\"blank\": ", "\"blank\":\t", 1);
    std::fs::write(&path, text).unwrap();
    let (code, answer, stderr) = sandoq(&["verify", copy.to_str().unwrap()]);
    assert_eq!(code, 4, "{answer}");
    assert_eq!(answer["verified"], false);
    assert!(answer["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["file"] == "public/reports/S-2.json"));
    assert!(stderr.contains("خطا[file_changed]"), "{stderr}");

    let empty = copy.join("public");
    let (code, answer, _) = sandoq(&["verify", empty.to_str().unwrap()]);
    assert_eq!(
        (code, answer["problems"][0]["code"].as_str()),
        (4, Some("no_manifest"))
    );
    let _ = std::fs::remove_dir_all(&copy);
}

/// The small record of sandoq-record's hostile tests: fixed keys, fixed ballot ids.
#[path = "../../sandoq-record/tests/support/mod.rs"]
mod support;

/// The summary of CLI_CONTRACTS.md: `final` only once enough supervisors signed the closing,
/// `stations_missing` the list of codes.
#[test]
fn the_summary_says_whether_the_result_is_final_and_which_stations_are_missing() {
    let mut input = support::election(3, 4);
    input.reports.pop();
    input.ballots.pop();
    let open = support::temp("cli-open");
    let manifest = sandoq_record::write(&open, &input).unwrap();
    let (code, summary, _) = sandoq(&["verify", open.to_str().unwrap()]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["final"], false);
    assert_eq!(summary["stations_missing"], serde_json::json!(["S-3"]));
    assert_eq!(summary["stations_reported"], 2);

    // Closed, and signed by two of three supervisors where two are required.
    let result: serde_json::Value =
        serde_json::from_slice(&std::fs::read(open.join("public/result.json")).unwrap()).unwrap();
    let supervisors: Vec<(String, ed25519_dalek::SigningKey)> = (1..=3)
        .map(|i| {
            (
                format!("supervisor-{i}"),
                support::key(&format!("supervisor {i}")),
            )
        })
        .collect();
    let names = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let statement = sandoq_record::closing::statement(
        &support::sha256_hex(input.election.as_bytes()),
        manifest["reports_root"].as_str().unwrap(),
        &names(&manifest["stations"]["reported"]),
        &names(&manifest["stations"]["missing"]),
        &result,
        2,
        &supervisors
            .iter()
            .map(|(name, key)| {
                (
                    name.clone(),
                    sandoq_station::merkle::hex(key.verifying_key().as_bytes()),
                )
            })
            .collect::<Vec<_>>(),
    );
    let mut signatures = Vec::new();
    for (name, key) in &supervisors[..2] {
        signatures.push((name.clone(), sandoq_record::closing::sign(key, &statement)));
        input.closing = Some((statement.clone(), signatures.clone()));
        let closed = support::temp(&format!("cli-closed-{}", signatures.len()));
        sandoq_record::write(&closed, &input).unwrap();
        let (code, summary, _) = sandoq(&["verify", closed.to_str().unwrap()]);
        assert_eq!(code, 0, "{summary}");
        assert_eq!(summary["final"], signatures.len() == 2, "{summary}");
        let _ = std::fs::remove_dir_all(closed);
    }
    let _ = std::fs::remove_dir_all(open);
}

/// Two of the hostile records through the real binary: a manifest naming a file outside the
/// record (with that file's true hash) and a report replaced by a link to its own bytes kept
/// elsewhere. Exit 4, each named by its code.
#[test]
fn verify_exits_4_on_a_path_out_of_the_record_and_on_a_link() {
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/record/small");
    let outside = support::temp("cli-outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), b"outside the record\n").unwrap();

    let escaped = support::temp("cli-escaped");
    copy_dir(&golden, &escaped);
    let ups = "../".repeat(escaped.components().count());
    let target = outside.join("secret.txt");
    let path = format!("{ups}{}", target.to_str().unwrap().trim_start_matches('/'));
    support::list_in_manifest(&escaped, "public", &path, &std::fs::read(&target).unwrap());
    let (code, answer, stderr) = sandoq(&["verify", escaped.to_str().unwrap()]);
    assert_eq!(code, 4, "{answer}");
    assert_eq!(answer["problems"][0]["code"], "unsafe_path", "{answer}");
    assert!(stderr.contains("خطا[unsafe_path]"), "{stderr}");

    let linked = support::temp("cli-linked");
    copy_dir(&golden, &linked);
    std::fs::rename(
        linked.join("public/reports/S-2.json"),
        outside.join("S-2.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.join("S-2.json"),
        linked.join("public/reports/S-2.json"),
    )
    .unwrap();
    let (code, answer, _) = sandoq(&["verify", linked.to_str().unwrap()]);
    assert_eq!(code, 4, "{answer}");
    let problems = answer["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .all(|p| p["code"] == "symlink" && p["file"] == "public/reports/S-2.json"),
        "{answer}"
    );
    for d in [outside, escaped, linked] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// The QR payloads of a station's printed minutes, exactly as the agent prints them.
fn payloads_of(input: &sandoq_record::Input, station: &str) -> Vec<String> {
    let (_, text) = input.reports.iter().find(|(s, _)| s == station).unwrap();
    let report: serde_json::Value = serde_json::from_str(text).unwrap();
    sandoq_station::report::qr_payloads(&report)
}

fn paper_file(dir: &std::path::Path, name: &str, lines: &[String]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    // As a scanner app on a phone might save them: CRLF, a blank line in between.
    std::fs::write(&path, lines.join("\r\n\r\n") + "\r\n").unwrap();
    path.to_str().unwrap().to_string()
}

/// `sandoq verify DIR` with a `--paper` for each file: exit code, JSON answer.
fn verify_papers(dir: &std::path::Path, papers: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["verify", dir.to_str().unwrap()];
    for paper in papers {
        args.extend(["--paper", paper]);
    }
    let (code, answer, _) = sandoq(&args);
    (code, answer)
}

fn paper_codes(answer: &serde_json::Value) -> Vec<String> {
    answer["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// Moves one ballot of `report` from list 101 to list 102, its candidates' totals with it
/// (figures that still add up), and signs it again with `device` and the station's officials'
/// keys (support's labels), as a centre holding the device's key could: or leaves it unsigned.
fn another_report(
    report: &serde_json::Value,
    device: Option<&ed25519_dalek::SigningKey>,
) -> serde_json::Value {
    use ed25519_dalek::Signer;
    let mut report = report.clone();
    let add = |v: &mut serde_json::Value, delta: i64| {
        *v = serde_json::json!(v.as_i64().unwrap() + delta);
    };
    add(&mut report["list_ballots"]["101"], -1);
    add(&mut report["list_ballots"]["102"], 1);
    add(&mut report["candidate_votes"]["10101"], -1);
    add(&mut report["candidate_votes"]["10102"], -1);
    add(&mut report["candidate_votes"]["10201"], 1);
    if let Some(device) = device {
        let station = report["station"].as_str().unwrap().to_string();
        let signature = device.sign(sandoq_station::report::body_text(&report).as_bytes());
        report["signature"] = serde_json::json!(sandoq_station::merkle::hex(&signature.to_bytes()));
        for role in ["head", "secretary", "member"] {
            let name = format!("{station}-{role}");
            let official = support::key(&format!("official {name}"));
            sandoq_station::report::add_cosignature(&mut report, &name, &official);
        }
    }
    report
}

/// Issue 18 §4: the stations' posted minutes against the record. A clean record with every
/// station's paper passes (codes shuffled, one scanned twice, as they come off a wall); a centre
/// that drops a station (re-tallied, so plain verify passes) or replaces its report by another
/// one signed with the station's device key is caught by that station's paper; a forged paper
/// (a figure changed) is told apart from either; garbage and a missing code are unreadable.
#[test]
fn posted_minutes_catch_a_dropped_or_replaced_report() {
    let input = support::election(3, 4);
    let clean = support::temp("paper-clean");
    sandoq_record::write(&clean, &input).unwrap();
    let papers = support::temp("paper-files");
    let mut files = Vec::new();
    for station in ["S-1", "S-2", "S-3"] {
        let mut lines = payloads_of(&input, station);
        assert!(
            lines.len() >= 2,
            "the minutes need several codes to test their order"
        );
        lines.reverse();
        lines.push(lines[0].clone());
        files.push(paper_file(&papers, &format!("{station}.txt"), &lines));
    }
    let all: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, answer) = verify_papers(&clean, &all);
    assert_eq!(code, 0, "{answer}");
    assert_eq!(
        answer["paper_checked"],
        serde_json::json!(["S-1", "S-2", "S-3"])
    );
    let (code, answer) = verify_papers(&clean, &[]);
    assert_eq!(
        (code, &answer["paper_checked"]),
        (0, &serde_json::json!([]))
    );

    // The centre drops S-2 and publishes a record that is otherwise sound.
    let mut dropped_input = input.clone();
    dropped_input.reports.retain(|(s, _)| s != "S-2");
    dropped_input.ballots.retain(|(s, _)| s != "S-2");
    let dropped = support::temp("paper-dropped");
    sandoq_record::write(&dropped, &dropped_input).unwrap();
    let (code, answer) = verify_papers(&dropped, &[]);
    assert_eq!(
        code, 0,
        "plain verify cannot see a dropped station: {answer}"
    );
    let (code, answer) = verify_papers(&dropped, &all);
    assert_eq!(code, 4, "{answer}");
    assert_eq!(paper_codes(&answer), ["paper_report_missing"], "{answer}");
    let problem = &answer["problems"][0];
    assert_eq!(problem["file"], files[1]);
    assert!(problem["en"].as_str().unwrap().contains("station S-2"));
    assert!(problem["en"].as_str().unwrap().contains("missing"));
    assert!(problem["fa"].as_str().unwrap().contains("غایب"));

    // The centre replaces S-2's report by another, validly signed with S-2's device key.
    let s2: serde_json::Value = serde_json::from_str(&input.reports[1].1).unwrap();
    let replaced_report = another_report(&s2, Some(&support::key("device S-2")));
    let mut replaced_input = input.clone();
    replaced_input.reports[1].1 = replaced_report.to_string();
    replaced_input.ballots.clear();
    let replaced = support::temp("paper-replaced");
    sandoq_record::write(&replaced, &replaced_input).unwrap();
    let (code, answer) = verify_papers(&replaced, &[]);
    assert_eq!(
        code, 0,
        "plain verify cannot see a replaced report: {answer}"
    );
    let (code, answer) = verify_papers(&replaced, &all);
    assert_eq!(code, 4, "{answer}");
    assert_eq!(paper_codes(&answer), ["paper_report_differs"], "{answer}");
    assert!(answer["problems"][0]["en"]
        .as_str()
        .unwrap()
        .contains("list_ballots"));

    // A forged paper: a figure changed, not signed by the device.
    let s1: serde_json::Value = serde_json::from_str(&input.reports[0].1).unwrap();
    let forged = paper_file(
        &papers,
        "forged.txt",
        &sandoq_station::report::qr_payloads(&another_report(&s1, None)),
    );
    let (code, answer) = verify_papers(&clean, &[&forged]);
    assert_eq!(code, 4, "{answer}");
    assert_eq!(paper_codes(&answer), ["paper_bad_signature"], "{answer}");

    // Not minutes at all; a code missing.
    let garbage = paper_file(
        &papers,
        "garbage.txt",
        &["hello".into(), "SQR1 1/1 {".into()],
    );
    let mut short = payloads_of(&input, "S-3");
    short.remove(1);
    let short = paper_file(&papers, "short.txt", &short);
    let (code, answer) = verify_papers(&clean, &[&garbage, &short]);
    assert_eq!(code, 4, "{answer}");
    assert_eq!(
        paper_codes(&answer),
        ["paper_unreadable", "paper_unreadable"],
        "{answer}"
    );
    assert!(answer["problems"][0]["en"]
        .as_str()
        .unwrap()
        .contains("line 1"));
    let n = payloads_of(&input, "S-3").len();
    assert!(
        answer["problems"][1]["en"]
            .as_str()
            .unwrap()
            .contains(&format!("code 2 of {n} is missing")),
        "{answer}"
    );
    // A file too large is refused unread.
    let huge = papers.join("huge.txt");
    std::fs::write(
        &huge,
        vec![b'\n'; (sandoq_record::paper::MAX_PAPER_BYTES + 1) as usize],
    )
    .unwrap();
    let (code, answer) = verify_papers(&clean, &[huge.to_str().unwrap()]);
    assert_eq!(
        (code, paper_codes(&answer)),
        (4, vec!["paper_unreadable".to_string()])
    );
    for d in [clean, papers, dropped, replaced] {
        let _ = std::fs::remove_dir_all(d);
    }
}
