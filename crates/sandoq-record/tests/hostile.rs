//! Records laid out by an attacker (issue 18 §5). Each attack is made the way an attacker would
//! make it: after a file is altered its size and SHA-256 in the manifest are made to match, the
//! Merkle root over the reports is recomputed and `RECORD.json` written again in its canonical
//! form, so that only the defence under test can catch it, and verify must name exactly that
//! problem. (Each was checked to fail with its defence taken out.)

mod support;

use serde_json::Value;
use std::path::Path;
use support::{codes, declare_size, list_in_manifest, record, rehash, temp};

fn fail_with(dir: &Path, expected: &[&str]) {
    assert_eq!(codes(dir), expected, "{:#?}", support::verify(dir).err());
}

#[test]
fn the_untouched_record_verifies() {
    let dir = record("untouched", 2);
    let verified = support::verify(&dir).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(verified.restricted_checked);
    assert_eq!(verified.ballot_records, 12);
    let _ = std::fs::remove_dir_all(dir);
}

/// A manifest entry naming a file outside the record, with that file's true SHA-256 and size:
/// read, it would match. Paths that alias a file of the record (`./`, `//`), a backslash and a
/// place other than `public/` are refused the same way, before anything is opened.
#[test]
fn a_manifest_path_out_of_the_record_is_refused_before_it_is_opened() {
    let dir = record("paths", 1);
    // Enough `..` to reach the root from the record, wherever the temporary directory is.
    let ups = "../".repeat(dir.components().count());
    let outside = temp("paths-outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), b"outside the record\n").unwrap();
    let outside_relative = format!(
        "{ups}{}",
        outside
            .join("secret.txt")
            .to_str()
            .unwrap()
            .trim_start_matches('/')
    );
    let result = std::fs::read(dir.join("public/result.json")).unwrap();
    std::fs::create_dir_all(dir.join("elsewhere")).unwrap();
    std::fs::write(dir.join("elsewhere/result.json"), &result).unwrap();
    std::fs::write(dir.join("public\\result.json"), &result).unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        (
            outside_relative,
            std::fs::read(outside.join("secret.txt")).unwrap(),
        ),
        (
            outside.join("secret.txt").to_str().unwrap().to_string(),
            std::fs::read(outside.join("secret.txt")).unwrap(),
        ),
        ("public/./result.json".into(), result.clone()),
        ("public//result.json".into(), result.clone()),
        ("public\\result.json".into(), result.clone()),
        ("elsewhere/result.json".into(), result.clone()),
    ];
    if let Ok(hostname) = std::fs::read("/etc/hostname") {
        cases.push((format!("{ups}etc/hostname"), hostname));
    }
    for (path, bytes) in cases {
        let copy = temp("paths-copy");
        copy_dir(&dir, &copy);
        list_in_manifest(&copy, "public", &path, &bytes);
        fail_with(&copy, &["unsafe_path"]);
        let problems = support::verify(&copy).unwrap_err();
        assert_eq!(problems[0].file, "RECORD.json");
        let _ = std::fs::remove_dir_all(&copy);
    }
    // A public file listed in the restricted part.
    let copy = temp("paths-part");
    copy_dir(&dir, &copy);
    list_in_manifest(&copy, "restricted", "public/result.json", &result);
    fail_with(&copy, &["unsafe_path"]);
    for d in [dir, outside, copy] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A report replaced by a link to the very same bytes kept elsewhere, a link to a file outside
/// the record not listed at all, and the reports' directory and the ballots' directory each
/// replaced by a link to a copy elsewhere: every byte verify would read is right, only the
/// links are wrong.
#[test]
fn a_symbolic_link_to_a_file_or_a_directory_is_never_followed() {
    let dir = record("links", 2);
    let elsewhere = temp("links-elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();

    let file = temp("links-file");
    copy_dir(&dir, &file);
    std::fs::rename(
        file.join("public/reports/S-1.json"),
        elsewhere.join("S-1.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        elsewhere.join("S-1.json"),
        file.join("public/reports/S-1.json"),
    )
    .unwrap();
    fail_with(&file, &["symlink"]);
    let problems = support::verify(&file).unwrap_err();
    assert_eq!(problems[0].file, "public/reports/S-1.json");

    let unlisted = temp("links-unlisted");
    copy_dir(&dir, &unlisted);
    std::os::unix::fs::symlink("/etc/hostname", unlisted.join("public/reports/X.json")).unwrap();
    fail_with(&unlisted, &["symlink"]);

    for (name, directory) in [
        ("reports", "public/reports"),
        ("ballots", "restricted/ballots"),
    ] {
        let linked = temp(&format!("links-dir-{name}"));
        copy_dir(&dir, &linked);
        let target = elsewhere.join(name);
        std::fs::rename(linked.join(directory), &target).unwrap();
        std::os::unix::fs::symlink(&target, linked.join(directory)).unwrap();
        fail_with(&linked, &["symlink"]);
        let problems = support::verify(&linked).unwrap_err();
        assert!(
            problems.iter().all(|p| p.file == directory),
            "{problems:#?}"
        );
        let _ = std::fs::remove_dir_all(&linked);
    }
    // The record's directory itself may be a link (as given on the command line).
    let link = temp("links-record");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    support::verify(&link).unwrap_or_else(|p| panic!("{p:#?}"));
    let _ = std::fs::remove_file(&link);
    for d in [dir, elsewhere, file, unlisted] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// The result replaced by a FIFO that a process behind it fills with exactly the right bytes,
/// and a FIFO nobody writes to: neither is opened (opening the second would block verify
/// forever).
#[test]
fn a_fifo_is_refused_without_being_opened() {
    let dir = record("fifo", 1);
    let result = std::fs::read(dir.join("public/result.json")).unwrap();
    std::fs::remove_file(dir.join("public/result.json")).unwrap();
    let fifo = dir.join("public/result.json");
    mkfifo(&fifo);
    mkfifo(&dir.join("public/reports/S-9.json"));
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&fifo) {
                let _ = pipe.write_all(&result);
            }
        })
    };
    // Verify once only: were the FIFO opened, a second run would wait for a writer forever.
    let problems = support::verify(&dir).err().unwrap_or_default();
    let mut found: Vec<&str> = problems.iter().map(|p| p.code).collect();
    found.dedup();
    // Let the writer go if verify left it waiting (it did not open the FIFO).
    for _ in 0..100 {
        if writer.is_finished() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    if !writer.is_finished() {
        let _ = std::fs::File::open(&fifo);
    }
    let _ = writer.join();
    assert_eq!(found, ["not_a_file"], "{problems:#?}");
    let mut files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
    files.sort_unstable();
    assert_eq!(files, ["public/reports/S-9.json", "public/result.json"]);
    let _ = std::fs::remove_dir_all(dir);
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

/// A ballot file with bytes added after what the manifest lists (the manifest left as it was:
/// reading it whole is what the attack wants); a ballot file, a public file and a manifest
/// larger than their caps (sparse files: nothing is written to the disk), the manifest made to
/// declare the size.
#[test]
fn a_file_larger_than_listed_or_than_its_cap_is_not_read() {
    let dir = record("large", 1);
    let ballots = "restricted/ballots/S-1.json";

    let grown = temp("large-grown");
    copy_dir(&dir, &grown);
    let mut bytes = std::fs::read(grown.join(ballots)).unwrap();
    bytes.extend_from_slice(&[b' '; 4096]);
    std::fs::write(grown.join(ballots), &bytes).unwrap();
    fail_with(&grown, &["too_large"]);

    for (file, cap) in [
        (ballots, sandoq_record::MAX_BALLOT_FILE_BYTES),
        ("public/result.json", sandoq_record::MAX_FILE_BYTES),
    ] {
        let huge = temp("large-huge");
        copy_dir(&dir, &huge);
        let handle = std::fs::OpenOptions::new()
            .write(true)
            .open(huge.join(file))
            .unwrap();
        handle.set_len(cap + 1).unwrap();
        declare_size(&huge, file, cap + 1);
        fail_with(&huge, &["too_large"]);
        let _ = std::fs::remove_dir_all(&huge);
    }

    let manifest = temp("large-manifest");
    copy_dir(&dir, &manifest);
    let handle = std::fs::OpenOptions::new()
        .write(true)
        .open(manifest.join("RECORD.json"))
        .unwrap();
    handle
        .set_len(sandoq_record::MAX_MANIFEST_BYTES + 1)
        .unwrap();
    fail_with(&manifest, &["too_large"]);
    for d in [dir, grown, manifest] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// `"ballots": 99999` just before the report's real `"ballots"`: serde_json keeps the last
/// value, in the first one's place, so the device's signature still verifies; a reader that
/// keeps the first sees another figure. The same in a ballot record.
#[test]
fn a_key_given_twice_is_refused() {
    let dir = record("duplicate", 2);
    let report = "public/reports/S-2.json";
    let text = std::fs::read_to_string(dir.join(report)).unwrap();
    assert!(text.contains("\n  \"ballots\": "));
    let text = text.replacen(
        "\n  \"ballots\": ",
        "\n  \"ballots\": 99999,\n  \"ballots\": ",
        1,
    );
    std::fs::write(dir.join(report), text).unwrap();
    rehash(&dir, report);
    fail_with(&dir, &["duplicate_key"]);
    let _ = std::fs::remove_dir_all(&dir);

    let dir = record("duplicate-ballot", 1);
    let ballots = "restricted/ballots/S-1.json";
    let text = std::fs::read_to_string(dir.join(ballots)).unwrap();
    let text = text.replacen(
        "\n    \"content\": ",
        "\n    \"content\": \"{\\\"blank\\\":true}\",\n    \"content\": ",
        1,
    );
    std::fs::write(dir.join(ballots), text).unwrap();
    rehash(&dir, ballots);
    fail_with(&dir, &["duplicate_key"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A report and a ballot file indented by four spaces instead of two: the same JSON, signatures
/// and commitments all hold, but the bytes (over which the reports' Merkle root is taken) are
/// not the record's.
#[test]
fn a_file_not_in_the_canonical_form_is_refused() {
    for file in [
        "public/reports/S-1.json",
        "restricted/ballots/S-2.json",
        "public/devices.json",
        "public/result.json",
    ] {
        let dir = record("reindented", 2);
        let value: Value = serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        let mut text = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
        serde::Serialize::serialize(&value, &mut serializer).unwrap();
        text.push(b'\n');
        std::fs::write(dir.join(file), text).unwrap();
        rehash(&dir, file);
        fail_with(&dir, &["not_canonical"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Two ballot records swapped and the file written again canonically: signatures, the Merkle
/// root (over sorted leaves) and the counts all hold; the order does not.
#[test]
fn ballot_records_out_of_id_order_are_refused() {
    let dir = record("order", 1);
    let file = "restricted/ballots/S-1.json";
    let mut records: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
    records.swap(1, 4);
    std::fs::write(
        dir.join(file),
        sandoq_record::canonical(&Value::Array(records)),
    )
    .unwrap();
    rehash(&dir, file);
    fail_with(&dir, &["ballots_out_of_order"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The writer sorts a station's records by id whatever order they come in, and refuses an id
/// twice.
#[test]
fn the_writer_sorts_ballot_records_and_refuses_an_id_twice() {
    let input = support::election(1, 6);
    let dir = temp("writer-order");
    sandoq_record::write(&dir, &input).unwrap();
    let records: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("restricted/ballots/S-1.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let sent: Vec<Value> = serde_json::from_str(&input.ballots[0].1).unwrap();
    let sent: Vec<&str> = sent.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_ne!(
        sent, sorted,
        "the example's box order is not already sorted"
    );
    let mut twice = input.clone();
    let mut list: Vec<Value> = serde_json::from_str(&twice.ballots[0].1).unwrap();
    list.push(list[0].clone());
    twice.ballots[0].1 = Value::Array(list).to_string();
    let again = temp("writer-twice");
    let error = sandoq_record::write(&again, &twice).unwrap_err();
    assert!(error.contains("twice"), "{error}");
    for d in [dir, again] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Copies a record (links and FIFOs are made by the tests after copying).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
