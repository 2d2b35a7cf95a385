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
