//! The exit codes of CLI_CONTRACTS.md for usage and file errors.

use std::process::Command;

fn sandoq(args: &[&str]) -> std::process::Output {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .current_dir(repo)
        .args(args)
        .output()
        .expect("run sandoq")
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["tally", "--format", "xml"][..],
        &["apportion", "--lang", "de"],
        &["no-such-command"],
        &[],
    ] {
        let out = sandoq(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_missing_file_exits_1_in_both_languages() {
    for command in ["tally", "apportion"] {
        let out = sandoq(&[command, "/nonexistent/election.json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr.contains("error[read_failed]") && stderr.contains("خطا[read_failed]"),
            "{stderr}"
        );
    }
}

#[test]
fn help_speaks_english_with_persian_examples() {
    let out = sandoq(&["tally", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(help.contains("Example / نمونه"), "{help}");
}

#[test]
fn text_reports_in_both_languages() {
    let fa = sandoq(&[
        "tally",
        "testdata/tally/worked_example.json",
        "--format",
        "text",
    ]);
    let en = sandoq(&[
        "tally",
        "testdata/tally/worked_example.json",
        "--format",
        "text",
        "--lang",
        "en",
    ]);
    let (fa, en) = (
        String::from_utf8_lossy(&fa.stdout).into_owned(),
        String::from_utf8_lossy(&en.stdout).into_owned(),
    );
    assert!(fa.contains("منتخبان") && fa.contains("۱۹۵"), "{fa}");
    assert!(en.contains("Elected") && en.contains("195"), "{en}");
    let apportion = sandoq(&[
        "apportion",
        "testdata/apportion/taiwan_2020_hare.json",
        "--format",
        "text",
        "--lang",
        "en",
    ]);
    assert!(String::from_utf8_lossy(&apportion.stdout).contains("below threshold"));
}
