//! `sandoq tally --ballots`: streaming gives exactly what counting the same
//! ballots held in the election file gives, on any number of threads, and a
//! bad line is named by its number and stops the count.

use serde_json::Value;
use std::process::Command;

fn sandoq(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args(args)
        .output()
        .expect("run sandoq")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sandoq-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn streaming_equals_embedded_on_any_thread_count() {
    let dir = temp_dir("stream");
    let (election, ballots) = (dir.join("election.json"), dir.join("ballots.jsonl"));
    let out = sandoq(&[
        "synth",
        "--election",
        election.to_str().unwrap(),
        "--ballots",
        ballots.to_str().unwrap(),
        "--count",
        "30000",
        "--seed",
        "7",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = election.to_str().unwrap();
    let b = ballots.to_str().unwrap();
    let one = sandoq(&["tally", e, "--ballots", b, "--threads", "1"]);
    let four = sandoq(&["tally", e, "--ballots", b, "--threads", "4"]);
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, four.stdout);
    // The same ballots from standard input.
    let piped = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .args(["tally", e, "--ballots", "-"])
        .stdin(std::fs::File::open(&ballots).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        one.stdout,
        piped.stdout,
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    // The same ballots held in the election file.
    let mut document: Value = serde_json::from_slice(&std::fs::read(&election).unwrap()).unwrap();
    let lines: Vec<Value> = std::fs::read_to_string(&ballots)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 30000);
    document["ballots"] = Value::Array(lines);
    let embedded = dir.join("embedded.json");
    std::fs::write(&embedded, serde_json::to_vec(&document).unwrap()).unwrap();
    let held = sandoq(&["tally", embedded.to_str().unwrap()]);
    assert!(
        held.status.success(),
        "{}",
        String::from_utf8_lossy(&held.stderr)
    );
    assert_eq!(one.stdout, held.stdout);
    let result: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(result["ballots"]["cast"], 30000);
    assert_eq!(result["elected"].as_array().unwrap().len(), 21);
    // Ballots in two places are refused.
    let both = sandoq(&["tally", embedded.to_str().unwrap(), "--ballots", b]);
    assert_eq!(both.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&both.stderr).contains("error[ballots_in_two_places]"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_line_is_named_and_nothing_is_counted() {
    let dir = temp_dir("badline");
    let election = dir.join("election.json");
    std::fs::write(&election, r#"{"seats": 2, "lists": [{"code": "101", "name": "L", "candidates": ["1001", "1002"]}], "independents": ["9001"]}"#).unwrap();
    let cases = [
        ("{\"list\":\"101\"}\n\n{\"candidates\":[\"9001\"]}\n{\"list\":\"555\"}\n{\"blank\":true}\n", "unknown_code", "line 4"),
        ("{\"list\":\"101\"}\n{\"list\":\"101\"\n", "invalid_json", "line 2"),
        ("{\"lst\":\"101\"}\n", "unknown_field", "line 1"),
        ("{\"candidates\":[\"1001\",\"1002\",\"9001\"]}\n", "too_many_candidates", "line 1"),
        ("{\"list\":\"101\"}\r\n{\"raw\":[\"9001\",\"1001\"]}\r\n{}\r\n", "ballot_shape", "line 3"),
    ];
    for (content, code, line) in cases {
        let ballots = dir.join("ballots.jsonl");
        std::fs::write(&ballots, content).unwrap();
        let out = sandoq(&[
            "tally",
            election.to_str().unwrap(),
            "--ballots",
            ballots.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{content:?}: {stderr}");
        assert!(out.stdout.is_empty(), "a failed count prints no result");
        assert!(
            stderr.contains(&format!("error[{code}] ({line})")),
            "{content:?}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("خطا[{code}] ({line})")),
            "{content:?}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
