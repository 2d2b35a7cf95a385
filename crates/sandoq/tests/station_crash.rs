//! Durable before confirmation (issue 4 §5), tested by killing processes, not by reasoning:
//! `sandoq station-drill` votes through the station agent's own code (a token issued, a ballot
//! box unlocked with it, the ballot cast) and prints each ballot's id when the agent would tell
//! the voter it is recorded; it is killed (SIGKILL) 200 times at random instants while casting.
//! After every kill the box is opened again: every ballot whose confirmation was printed is
//! there, exactly once, with a valid signature; no ballot is there without a used token; and the
//! casting goes on from there.

use std::collections::HashSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

const KILLS: u64 = 200;

#[test]
fn killing_the_ballot_box_at_random_instants_loses_no_confirmed_ballot() {
    let dir = std::env::temp_dir().join(format!("sandoq-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = sandoq_registry::synthetic::Rng::new(20261125);
    let mut confirmed: HashSet<String> = HashSet::new();
    let mut unreadable_seen = 0;
    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sandoq"))
            .args(["station-drill", "--dir"])
            .arg(&dir)
            .args(["--seed", &round.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Let it start (the first round also creates the 2 MiB file), then kill it mid-cast.
        std::thread::sleep(Duration::from_millis(10 + rng.below(40)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(
            !status.success() || err.is_empty(),
            "round {round}: the drill stopped on its own: {err}"
        );
        for line in out.lines() {
            let id = line
                .strip_prefix("confirmed ")
                .unwrap_or_else(|| panic!("round {round}: unexpected line {line:?}"));
            assert!(confirmed.insert(id.to_string()), "id {id} confirmed twice");
        }
        // Open the box as the next start would, and check it against every confirmation so far.
        if !dir.join("ballots.box").exists() {
            assert!(
                confirmed.is_empty(),
                "round {round}: ballots confirmed without a box"
            );
            continue;
        }
        let key = sandoq_station::keys::load_or_create(&dir).unwrap();
        let public = key.verifying_key();
        let package: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap())
                .unwrap();
        let election: [u8; 32] =
            sandoq_station::merkle::unhex(package["hash"].as_str().unwrap()).unwrap();
        let (ballot_box, opened) =
            sandoq_station::BallotBox::open(&dir.join("ballots.box"), election, key).unwrap();
        unreadable_seen = unreadable_seen.max(opened.unreadable);
        let records = ballot_box.records().unwrap();
        let stored: HashSet<String> = records
            .iter()
            .map(|r| sandoq_station::merkle::hex(&r.id))
            .collect();
        assert_eq!(
            stored.len(),
            records.len(),
            "round {round}: a ballot stored twice"
        );
        assert!(
            records.iter().all(|r| r.verify(&public, &election)),
            "round {round}: a record does not verify"
        );
        let lost: Vec<&String> = confirmed.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "round {round}: confirmed but lost: {lost:?}"
        );
        // Killed after the box was made but before the token book was: no token, so no ballot
        // (the next start makes the book).
        if !dir.join("tokens.book").exists() {
            assert!(
                records.is_empty() && confirmed.is_empty(),
                "round {round}: ballots without a token book"
            );
            continue;
        }
        let (_, used, _) = sandoq_station::tokens::TokenBook::open(&dir.join("tokens.book"))
            .and_then(|book| book.counts())
            .unwrap();
        assert!(
            used >= records.len() as u64,
            "round {round}: {} ballots but only {used} tokens used",
            records.len()
        );
        // Ballots stored but not confirmed: at most the one being written when it was killed.
        assert!(
            stored.len() <= confirmed.len() + (round as usize + 1),
            "round {round}: more unconfirmed ballots than kills"
        );
    }
    assert!(
        confirmed.len() as u64 > KILLS,
        "the drill cast too little to test anything: {}",
        confirmed.len()
    );
    eprintln!(
        "{KILLS} kills, {} confirmed ballots, all present; at most {unreadable_seen} half-written slot(s) seen",
        confirmed.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
