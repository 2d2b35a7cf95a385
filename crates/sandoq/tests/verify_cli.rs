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
