//! `sandoq station-drill`: casts ballots into a ballot box file without end, printing each
//! ballot's id once it is durable. The crash test (`tests/station_crash.rs`) kills it at random
//! instants and checks that every ballot it printed is in the file, once. Hidden from `--help`:
//! a test tool, not something an official runs.

use sandoq_station::{Ballot, BallotBox};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The small contest the drill casts into: two lists and two independents.
pub fn drill_contest() -> sandoq_count::Contest {
    let definition = sandoq_count::ElectionDefinition {
        seats: 3,
        lists: vec![
            sandoq_count::ListDefinition {
                code: "101".into(),
                name: "امید".into(),
                candidates: vec!["10101".into(), "10102".into()],
            },
            sandoq_count::ListDefinition {
                code: "102".into(),
                name: "آینده".into(),
                candidates: vec!["10201".into()],
            },
        ],
        independents: vec!["9001".into(), "9002".into()],
    };
    match definition.validate() {
        Ok(contest) => contest,
        Err(problems) => panic!("the drill's own definition is invalid: {problems:?}"),
    }
}

/// The election hash the drill's box is made for.
pub fn drill_election() -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b"sandoq station drill").into()
}

pub fn drill(dir: &Path, seed: u64) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir)?;
    let key = sandoq_station::keys::load_or_create(dir)?;
    let path = dir.join("ballots.box");
    let mut ballot_box = if path.exists() {
        BallotBox::open(&path, drill_election(), key)
            .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?
            .0
    } else {
        BallotBox::create(&path, 32_768, drill_election(), key)
            .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?
    };
    let contest = drill_contest();
    let choices = [
        Ballot::List("101".into()),
        Ballot::List("102".into()),
        Ballot::Candidates(vec!["9001".into(), "10101".into()]),
        Ballot::Candidates(vec!["10201".into()]),
        Ballot::Blank,
    ];
    let mut rng = sandoq_registry::synthetic::Rng::new(seed);
    let mut out = std::io::stdout().lock();
    loop {
        let ballot = choices[rng.below(choices.len() as u64) as usize]
            .checked(&contest)
            .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
        let record = match ballot_box.cast(&ballot) {
            Ok(record) => record,
            Err(e) if e.code == "ballot_box_full" => return Ok(ExitCode::SUCCESS),
            Err(e) => anyhow::bail!("[{}] {}", e.code, e.en),
        };
        // The confirmation the voter would see, shown only now that the ballot is durable.
        writeln!(out, "confirmed {}", sandoq_station::merkle::hex(&record.id))?;
        out.flush()?;
    }
}
