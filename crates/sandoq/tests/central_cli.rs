//! `sandoq central …` and `sandoq synth-registry`: headquarters sets an election
//! up from the command line, and bad input changes nothing.

use std::process::{Command, Output};

fn sandoq(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run sandoq")
}

/// Runs the binary with `input` on its standard input (a password).
fn sandoq_with_input(dir: &std::path::Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandoq"))
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_election_is_set_up_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("sandoq-central-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = ["--database", "sqlite://central.db"];
    let create = |code: &str| {
        let mut args = vec![
            "central",
            "create-election",
            "--code",
            code,
            "--name-fa",
            "آموزشی",
            "--name-en",
            "training",
            "--kind",
            "training",
        ];
        args.extend(db);
        sandoq(&dir, &args)
    };
    let created = create("t1405");
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(String::from_utf8_lossy(&created.stdout).contains("\"election\":1"));
    let again = create("t1405");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("error[election_code_taken]")
            && stderr(&again).contains("خطا[election_code_taken]")
    );

    assert!(sandoq(
        &dir,
        &["synth-registry", "--voters", "500", "--out", "registry.csv"]
    )
    .status
    .success());
    let good = std::fs::read_to_string(dir.join("registry.csv")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(2, "0012345678,1370/05/14,tehran-rey-tajrish,0,0");
    std::fs::write(dir.join("bad.csv"), lines.join("\n")).unwrap();
    let mut import_bad = vec!["central", "import-registry", "--election", "1", "bad.csv"];
    import_bad.extend(db);
    let refused = sandoq(&dir, &import_bad);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("error[national_code_check_digit] (row 2, column national_code)"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("nothing was imported"));
    let mut import_good = vec![
        "central",
        "import-registry",
        "--election",
        "1",
        "registry.csv",
    ];
    import_good.extend(db);
    let imported = sandoq(&dir, &import_good);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("\"imported\":500"));
    // The same file again: every person is already there, so nothing is added.
    let twice = sandoq(&dir, &import_good);
    assert!(
        stderr(&twice).contains("error[voter_already_in_registry]"),
        "{}",
        stderr(&twice)
    );

    let mut bad_key = vec![
        "central",
        "register-device",
        "--election",
        "1",
        "--station",
        "S-1",
        "--kind",
        "check_in_desk",
        "--public-key",
        "abc",
    ];
    bad_key.extend(db);
    assert!(stderr(&sandoq(&dir, &bad_key)).contains("error[bad_public_key]"));
    let key = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    let import = |kind: &str, file: &str| {
        let mut args = vec!["central", "import", "--election", "1", "--kind", kind, file];
        args.extend(db);
        sandoq(&dir, &args)
    };
    // A device needs a station, a station a district, a district a county.
    let mut early = vec![
        "central",
        "register-device",
        "--election",
        "1",
        "--station",
        "S-1",
        "--kind",
        "check_in_desk",
        "--public-key",
        key,
    ];
    early.extend(db);
    assert!(stderr(&sandoq(&dir, &early)).contains("error[unknown_station]"));
    std::fs::write(
        dir.join("areas-bad.csv"),
        "code,kind,parent,name_fa,name_en\nT,county,,تهران,Tehran\nD1,district,X,منطقهٔ ۱,District 1\nT,county,,تهران,Tehran\n",
    )
    .unwrap();
    let refused = import("areas", "areas-bad.csv");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("error[duplicate_code] (row 3, column code)")
            && stderr(&refused).contains("[unknown_county] (row 2, column parent)"),
        "{}",
        stderr(&refused)
    );
    std::fs::write(
        dir.join("areas.json"),
        r#"[{"code": "T", "kind": "county", "name_fa": "تهران", "name_en": "Tehran"},
            {"code": "D1", "kind": "district", "parent": "T", "name_fa": "منطقهٔ ۱", "name_en": "District 1"}]"#,
    )
    .unwrap();
    let done = import("areas", "areas.json");
    assert!(done.status.success(), "{}", stderr(&done));
    std::fs::write(
        dir.join("stations.csv"),
        "code,district,name_fa,name_en,address\nS-1,D1,مدرسهٔ البرز,Alborz school,خیابان انقلاب\n",
    )
    .unwrap();
    let done = import("stations", "stations.csv");
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stderr(&import("stations", "stations.csv")).contains("[code_taken] (row 1, column code)")
    );
    let mut register = vec![
        "central",
        "register-device",
        "--election",
        "1",
        "--station",
        "S-1",
        "--kind",
        "check_in_desk",
        "--public-key",
        key,
    ];
    register.extend(db);
    assert!(sandoq(&dir, &register).status.success());
    let mut wrong_election = vec![
        "central",
        "register-device",
        "--election",
        "7",
        "--station",
        "S-1",
        "--kind",
        "ballot_box",
        "--public-key",
        key,
    ];
    wrong_election.extend(db);
    assert!(stderr(&sandoq(&dir, &wrong_election)).contains("error[unknown_election]"));
    // The definition: refused with every problem, then accepted with its hash.
    std::fs::write(
        dir.join("bad-definition.json"),
        r#"{"lists": [{"code": "101", "name_fa": "الف", "name_en": "A", "candidates": []}]}"#,
    )
    .unwrap();
    let mut bad_definition = vec![
        "central",
        "import-definition",
        "--election",
        "1",
        "bad-definition.json",
    ];
    bad_definition.extend(db);
    assert!(stderr(&sandoq(&dir, &bad_definition)).contains("error[empty_list]"));
    std::fs::write(
        dir.join("definition.json"),
        r#"{"lists": [{"code": "101", "name_fa": "الف", "name_en": "A", "candidates": [{"code": "10101", "name_fa": "یک", "name_en": "One"}]}]}"#,
    )
    .unwrap();
    let mut definition = vec![
        "central",
        "import-definition",
        "--election",
        "1",
        "definition.json",
    ];
    definition.extend(db);
    let imported = sandoq(&dir, &definition);
    assert!(
        String::from_utf8_lossy(&imported.stdout).contains("\"hash\""),
        "{}",
        stderr(&imported)
    );
    // Lists and candidates from CSV replace the definition, with a new hash.
    std::fs::write(
        dir.join("candidates.csv"),
        "type,code,list,name_fa,name_en\nlist,101,,الف,A\ncandidate,10101,101,یک,One\ncandidate,9001,,منفرد,Independent\n",
    )
    .unwrap();
    let done = import("candidates", "candidates.csv");
    assert!(
        String::from_utf8_lossy(&done.stdout).contains("\"hash\""),
        "{}",
        stderr(&done)
    );
    // Voting opens: the setup data is frozen; a step backwards is refused.
    let mut set_status = vec![
        "central",
        "set-status",
        "--election",
        "1",
        "--status",
        "voting",
    ];
    set_status.extend(db);
    // Not before the key ceremony (issue 18 §1): two supervisors, the roster prepared with k = 2
    // and sealed by both, each with their own password from standard input.
    assert!(stderr(&sandoq(&dir, &set_status)).contains("error[roster_not_sealed]"));
    let supervisor_password = "a supervisor's own passphrase";
    for name in ["supervisor-1", "supervisor-2"] {
        let mut create = vec![
            "central",
            "create-user",
            "--username",
            name,
            "--role",
            "supervisor",
        ];
        create.extend(db);
        let made = sandoq_with_input(&dir, &create, supervisor_password);
        assert!(made.status.success(), "{}", stderr(&made));
    }
    let mut prepare = vec!["central", "roster", "--election", "1", "--prepare", "2"];
    prepare.extend(db);
    let prepared = sandoq(&dir, &prepare);
    assert!(prepared.status.success(), "{}", stderr(&prepared));
    for name in ["supervisor-1", "supervisor-2"] {
        let mut sign = vec!["central", "roster", "--election", "1", "--sign", name];
        sign.extend(db);
        assert!(stderr(&sandoq_with_input(&dir, &sign, "not the password"))
            .contains("error[bad_credentials]"));
        let signed = sandoq_with_input(&dir, &sign, supervisor_password);
        assert!(signed.status.success(), "{}", stderr(&signed));
    }
    let mut show = vec!["central", "roster", "--election", "1"];
    show.extend(db);
    let shown: serde_json::Value = serde_json::from_slice(&sandoq(&dir, &show).stdout).unwrap();
    assert_eq!(shown["sealed"], true, "{shown}");
    assert_eq!(shown["roster_sha256"].as_str().map(str::len), Some(64));
    let opened = sandoq(&dir, &set_status);
    assert!(
        String::from_utf8_lossy(&opened.stdout).contains("\"status\":\"voting\""),
        "{}",
        stderr(&opened)
    );
    assert!(stderr(&sandoq(&dir, &set_status)).contains("error[bad_status_change]"));
    assert!(
        stderr(&import("candidates", "candidates.csv")).contains("error[election_not_in_setup]")
    );
    assert!(stderr(&sandoq(&dir, &import_good)).contains("error[election_not_in_setup]"));
    // The first headquarters account, its password from standard input.
    let create_user = |password: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_sandoq"))
            .current_dir(&dir)
            .args([
                "central",
                "create-user",
                "--database",
                "sqlite://central.db",
                "--username",
                "admin",
                "--role",
                "hq",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(stderr(&create_user("short")).contains("error[weak_password]"));
    let made = create_user("a long enough password\n");
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stderr(&create_user("another long password")).contains("error[username_taken]"));
    let _ = std::fs::remove_dir_all(&dir);
}
