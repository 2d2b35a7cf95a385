//! Issue 18 §1, §5, §6: the record proves the election, not only itself. Each attack is made the
//! way a centre that wants it to pass would make it: new keys, re-signed reports, re-tallied
//! result, rehashed manifest. With a sealed roster in the record, a forged station, a re-signed
//! closing or an unsealed amendment is named; with the roster hash published before polling day
//! (`--roster`), a forged roster is too.

mod support;

use ed25519_dalek::SigningKey;
use sandoq_record::roster::{self, Amendment, Roster, RosterStation};
use sandoq_record::{Input, Official, Problem};
use sandoq_station::merkle::hex;
use std::path::Path;

const K: usize = 2;

fn supervisor(label: &str, n: usize) -> (String, SigningKey) {
    (
        format!("supervisor-{n}"),
        support::key(&format!("supervisor {label}{n}")),
    )
}

/// The roster of `input` as headquarters prepares it, sealed by the first k of three supervisors
/// (keys from `label`: empty for the real ones).
fn seal(input: &mut Input, label: &str) -> String {
    let supervisors: Vec<(String, SigningKey)> = (1..=3).map(|n| supervisor(label, n)).collect();
    let (_, _, _, codes) = sandoq_record::read_election(&input.election).unwrap();
    let stations = codes
        .iter()
        .map(|code| RosterStation {
            code: code.clone(),
            devices: input
                .devices
                .iter()
                .filter(|d| d.station == *code)
                .map(|d| (d.kind.clone(), d.public_key.clone()))
                .collect(),
            officials: input
                .officials
                .iter()
                .filter(|o| o.station == *code)
                .map(|o| (o.username.clone(), o.signing_key.clone()))
                .collect(),
        })
        .collect();
    let roster = Roster {
        election_code: "test".into(),
        election_kind: "training".into(),
        election_sha256: support::sha256_hex(input.election.as_bytes()),
        required_signatures: K,
        supervisors: supervisors
            .iter()
            .map(|(name, key)| (name.clone(), hex(key.verifying_key().as_bytes())))
            .collect(),
        stations,
    }
    .sorted();
    let text = roster.text();
    let sha = roster::hash(&text);
    let seals = supervisors[..K]
        .iter()
        .map(|(name, key)| (name.clone(), roster::seal(key, &sha)))
        .collect();
    input.roster = Some((text, seals));
    sha
}

/// Closes the count as headquarters does, signed by the first k of the supervisors of `label`.
fn close(input: &Input, dir_for_result: &Path, label: &str) -> (String, Vec<(String, String)>) {
    let supervisors: Vec<(String, SigningKey)> = (1..=3).map(|n| supervisor(label, n)).collect();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir_for_result.join("RECORD.json")).unwrap())
            .unwrap();
    let result: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir_for_result.join("public/result.json")).unwrap())
            .unwrap();
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
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
        K,
        &supervisors
            .iter()
            .map(|(name, key)| (name.clone(), hex(key.verifying_key().as_bytes())))
            .collect::<Vec<_>>(),
    );
    let signatures = supervisors[..K]
        .iter()
        .map(|(name, key)| (name.clone(), sandoq_record::closing::sign(key, &statement)))
        .collect();
    (statement, signatures)
}

fn write(name: &str, input: &Input) -> std::path::PathBuf {
    let dir = support::temp(name);
    sandoq_record::write(&dir, input).unwrap();
    dir
}

fn check(dir: &Path, roster: Option<&str>) -> Result<sandoq_record::Verified, Vec<Problem>> {
    sandoq_record::verify_against(dir, roster, &mut |_, _, _| {})
}

fn codes(outcome: Result<sandoq_record::Verified, Vec<Problem>>) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = match outcome {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(|p| p.code).collect(),
    };
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// A sealed, closed record of two stations, and its roster hash (published before the vote).
fn sealed_and_closed(name: &str) -> (Input, String, std::path::PathBuf) {
    let mut input = support::election(2, 5);
    let sha = seal(&mut input, "");
    let draft = write(&format!("{name}-draft"), &input);
    input.closing = Some(close(&input, &draft, ""));
    let dir = write(name, &input);
    (input, sha, dir)
}

#[test]
fn a_sealed_closed_record_verifies_against_its_published_roster() {
    let (_, sha, dir) = sealed_and_closed("trust-clean");
    let summary = check(&dir, Some(&sha)).unwrap();
    assert_eq!(summary.roster_sha256.as_deref(), Some(sha.as_str()));
    assert!(summary.final_result);
    assert_eq!(
        codes(check(&dir, Some(&"ab".repeat(32)))),
        ["roster_mismatch"]
    );
    // A record with no roster at all, checked against the published one.
    let bare = write("trust-bare", &support::election(2, 5));
    assert!(check(&bare, None).unwrap().roster_sha256.is_none());
    assert_eq!(codes(check(&bare, Some(&sha))), ["no_roster"]);
}

#[test]
fn a_station_forged_by_the_centre_is_named() {
    let (_, sha, _) = sealed_and_closed("trust-forge-base");
    // The centre makes up station S-2: a new device key and three new "officials" in
    // devices.json and officials.json, the report and ballot records signed with them, the
    // result re-tallied, the manifest made anew; the roster is the sealed one.
    let mut forged = support::election_signed_by(2, 5, |s| {
        if s == "S-2" {
            "forged".into()
        } else {
            String::new()
        }
    });
    let mut real = support::election(2, 5);
    let real_sha = seal(&mut real, "");
    assert_eq!(real_sha, sha);
    forged.roster = real.roster.clone();
    let dir = write("trust-forged-station", &forged);
    assert_eq!(codes(check(&dir, None)), ["device_not_in_roster"]);
    assert_eq!(codes(check(&dir, Some(&sha))), ["device_not_in_roster"]);
    // The same with the real device but forged officials' co-signatures is named too.
    let mut officials_only = support::election(2, 5);
    officials_only.roster = real.roster.clone();
    let stranger = support::key("a stranger who co-signs");
    let mut report: serde_json::Value = serde_json::from_str(&officials_only.reports[1].1).unwrap();
    report["cosignatures"] = serde_json::json!([]);
    for role in ["a", "b", "c"] {
        let name = format!("S-2-forged-{role}");
        sandoq_station::report::add_cosignature(&mut report, &name, &stranger);
        officials_only.officials.push(Official {
            username: name,
            station: "S-2".into(),
            signing_key: hex(stranger.verifying_key().as_bytes()),
        });
    }
    officials_only.reports[1].1 = report.to_string();
    let dir = write("trust-forged-officials", &officials_only);
    assert_eq!(codes(check(&dir, None)), ["unknown_official"]);
}

#[test]
fn a_forged_roster_passes_alone_but_not_against_the_published_hash() {
    let (_, sha, _) = sealed_and_closed("trust-roster-base");
    // The centre forges S-2 and a whole new roster naming its keys, sealed by "supervisors" it
    // made up, and closes the count with them: the record agrees with itself...
    let mut forged = support::election_signed_by(2, 5, |s| {
        if s == "S-2" {
            "forged".into()
        } else {
            String::new()
        }
    });
    let forged_sha = seal(&mut forged, "fake ");
    let draft = write("trust-roster-draft", &forged);
    forged.closing = Some(close(&forged, &draft, "fake "));
    let dir = write("trust-forged-roster", &forged);
    assert!(check(&dir, None).is_ok());
    assert_ne!(forged_sha, sha);
    // ...but not with the roster a newspaper printed before polling day.
    assert_eq!(codes(check(&dir, Some(&sha))), ["roster_mismatch"]);
}

#[test]
fn a_closing_re_signed_by_made_up_supervisors_is_named_and_a_deleted_one_is_not_final() {
    let (mut input, sha, _) = sealed_and_closed("trust-closing-base");
    let draft = write("trust-closing-draft", &input);
    input.closing = Some(close(&input, &draft, "fake "));
    let dir = write("trust-closing-forged", &input);
    assert_eq!(codes(check(&dir, Some(&sha))), ["closing_not_roster"]);
    // Without its closing the record still verifies, but the result is not final.
    input.closing = None;
    let dir = write("trust-closing-gone", &input);
    assert!(!check(&dir, Some(&sha)).unwrap().final_result);
}

#[test]
fn a_device_added_on_polling_day_counts_only_through_a_sealed_amendment() {
    // S-2's device is replaced after the seal: its report is signed by the new device.
    let mut before = support::election(2, 5);
    let sha = seal(&mut before, "");
    let mut after = support::election_signed_by(2, 5, |s| {
        if s == "S-2" {
            " replacement".into()
        } else {
            String::new()
        }
    });
    // The officials stay the real ones (only the device changed).
    let real_officials = before.officials.clone();
    after.officials = real_officials.clone();
    let mut report: serde_json::Value = serde_json::from_str(&after.reports[1].1).unwrap();
    report["cosignatures"] = serde_json::json!([]);
    for role in ["head", "secretary", "member"] {
        let name = format!("S-2-{role}");
        let key = support::key(&format!("official {name}"));
        sandoq_station::report::add_cosignature(&mut report, &name, &key);
    }
    after.reports[1].1 = report.to_string();
    after.roster = before.roster.clone();
    let dir = write("trust-amend-none", &after);
    assert_eq!(codes(check(&dir, Some(&sha))), ["device_not_in_roster"]);
    // An amendment adding the new device, signed by the k supervisors of the roster: it counts.
    let new_device = after.devices[1].clone();
    let amendment = Amendment {
        roster_sha256: sha.clone(),
        number: 1,
        stations: vec![RosterStation {
            code: "S-2".into(),
            devices: vec![(new_device.kind.clone(), new_device.public_key.clone())],
            officials: Vec::new(),
        }],
    };
    let text = amendment.text();
    let signed = |n: usize| -> Vec<(String, String)> {
        (1..=n)
            .map(|i| {
                let (name, key) = supervisor("", i);
                (name, roster::sign_amendment(&key, &text))
            })
            .collect()
    };
    after.devices.push(before.devices[1].clone());
    after.amendments = vec![(text.clone(), signed(K))];
    let dir = write("trust-amend-sealed", &after);
    check(&dir, Some(&sha)).unwrap();
    // Signed by fewer than k, or by a made-up supervisor: it does not count.
    after.amendments = vec![(text.clone(), signed(1))];
    let dir = write("trust-amend-short", &after);
    assert_eq!(
        codes(check(&dir, Some(&sha))),
        ["bad_amendment", "device_not_in_roster"]
    );
    let (name, _) = supervisor("", 2);
    let fake = support::key("a supervisor nobody sealed");
    let mut forged = signed(1);
    forged.push((name, roster::sign_amendment(&fake, &text)));
    after.amendments = vec![(text, forged)];
    let dir = write("trust-amend-fake", &after);
    assert_eq!(
        codes(check(&dir, Some(&sha))),
        ["bad_amendment", "device_not_in_roster"]
    );
}

#[test]
fn a_roster_re_indented_or_with_too_few_seals_is_named() {
    let (input, sha, dir) = sealed_and_closed("trust-seal");
    // Re-indented roster with its manifest rehashed: not canonical (and no longer the hash).
    let text = std::fs::read_to_string(dir.join("public/roster.json")).unwrap();
    std::fs::write(dir.join("public/roster.json"), text.replace("  ", "   ")).unwrap();
    support::rehash(&dir, "public/roster.json");
    let found = codes(check(&dir, Some(&sha)));
    assert!(found.contains(&"roster_mismatch"), "{found:?}");
    assert!(found.contains(&"bad_roster"), "{found:?}");
    // One seal of the two required.
    let mut short = input.clone();
    if let Some((_, seals)) = short.roster.as_mut() {
        seals.truncate(1);
    }
    let dir = write("trust-seal-short", &short);
    assert_eq!(codes(check(&dir, Some(&sha))), ["roster_not_sealed"]);
}
