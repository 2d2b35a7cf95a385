//! `sandoq station …`: a polling station's data directory (`init`: the device key, an empty
//! ballot box bound to the election's content hash, the token book and the event log; `status`:
//! what they hold, verified). And `sandoq station-drill`, hidden from `--help`: it casts ballots
//! into a ballot box file without end, printing each ballot's id once it is durable, for the crash
//! test (`tests/station_crash.rs`), which kills it at random instants.

use crate::input_error;
use clap::Subcommand;
use sandoq_json::InputError;
use sandoq_station::event_log::{EventKind, EventLog};
use sandoq_station::lifecycle::Lifecycle;
use sandoq_station::tokens::TokenBook;
use sandoq_station::{Ballot, BallotBox};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum StationCommand {
    /// Prepares a station's data directory: makes the device key (print its public key for
    /// headquarters to register), an empty ballot box bound to the election's content hash (the
    /// `hash` of `GET /api/elections/{id}/export`), the token book and the event log.
    ///
    /// Example / نمونه:  sandoq station init --data /var/lib/sandoq/1203 --station 1203 --election-hash 36dd…
    Init {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        station: String,
        /// 64 hex characters.
        #[arg(long)]
        election_hash: String,
        /// Ballots the box can hold (at least the station's voters).
        #[arg(long, default_value_t = 20_000)]
        capacity: u64,
    },
    /// Prints what a station's data directory holds, after verifying its event log: the state of
    /// the station, ballots and their commitment, tokens, unreadable slots.
    Status {
        #[arg(long)]
        data: PathBuf,
    },
}

const CONFIG: &str = "station.json";

fn failed(code: &'static str, en: String, fa: String) -> ExitCode {
    input_error(&InputError::new(code, en, fa))
}

pub fn run(command: StationCommand) -> anyhow::Result<ExitCode> {
    match command {
        StationCommand::Init {
            data,
            station,
            election_hash,
            capacity,
        } => init(&data, &station, &election_hash, capacity),
        StationCommand::Status { data } => status(&data),
    }
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    sandoq_station::merkle::unhex(text.trim())
}

fn init(
    data: &Path,
    station: &str,
    election_hash: &str,
    capacity: u64,
) -> anyhow::Result<ExitCode> {
    let Some(hash) = parse_hash(election_hash) else {
        return Ok(failed(
            "bad_election_hash",
            "the election hash is 64 hex characters (the export's hash)".into(),
            "چکیدهٔ انتخابات ۶۴ نویسهٔ هگز است (چکیدهٔ برون‌بری)".into(),
        ));
    };
    if sandoq_store::checkin::check_station_code(station).is_err() {
        return Ok(failed(
            "bad_station_code",
            "a station code is 1-64 letters, digits or -_.:".into(),
            "کد شعبه ۱ تا ۶۴ حرف، رقم یا -_.: است".into(),
        ));
    }
    if data.join(CONFIG).exists() {
        return Ok(failed(
            "station_exists",
            format!(
                "{} already holds a station; it is never overwritten",
                data.display()
            ),
            format!(
                "{} از پیش شعبه‌ای دارد و هرگز بازنویسی نمی‌شود",
                data.display()
            ),
        ));
    }
    std::fs::create_dir_all(data)?;
    let key = sandoq_station::keys::load_or_create(data)?;
    let open = |e: sandoq_station::BoxError| anyhow::anyhow!("[{}] {}", e.code, e.en);
    BallotBox::create(&data.join("ballots.box"), capacity, hash, key.clone()).map_err(open)?;
    TokenBook::create(&data.join("tokens.book"), capacity.saturating_mul(2))
        .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
    let mut log = EventLog::open(&data.join("events.log"), key.clone())
        .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    log.append(
        now,
        EventKind::Setup,
        std::collections::BTreeMap::from([("capacity".to_string(), capacity)]),
        &format!("station {station}"),
    )
    .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
    let config = serde_json::json!({
        "station": station, "election_hash": sandoq_station::merkle::hex(&hash), "capacity": capacity,
    });
    std::fs::write(data.join(CONFIG), format!("{config}\n"))?;
    let public = sandoq_station::merkle::hex(key.verifying_key().as_bytes());
    println!(
        "{}",
        serde_json::json!({"station": station, "public_key": public})
    );
    eprintln!("register this key at headquarters: sandoq central register-device --station {station} --kind check_in_desk --public-key {public}");
    eprintln!("این کلید را در ستاد ثبت کنید (دستور بالا).");
    Ok(ExitCode::SUCCESS)
}

fn status(data: &Path) -> anyhow::Result<ExitCode> {
    let config: serde_json::Value = match std::fs::read_to_string(data.join(CONFIG)) {
        Ok(text) => serde_json::from_str(&text)?,
        Err(_) => {
            return Ok(failed(
                "no_station",
                format!(
                    "{} holds no station (run sandoq station init)",
                    data.display()
                ),
                format!(
                    "{} شعبه‌ای ندارد (sandoq station init را اجرا کنید)",
                    data.display()
                ),
            ))
        }
    };
    let hash = parse_hash(config["election_hash"].as_str().unwrap_or(""))
        .ok_or_else(|| anyhow::anyhow!("station.json has no election hash"))?;
    let key = sandoq_station::keys::load_or_create(data)?;
    let text = std::fs::read_to_string(data.join("events.log")).unwrap_or_default();
    let events = match sandoq_station::event_log::verify(&text, &key.verifying_key()) {
        Ok(events) => events,
        Err(e) => return Ok(failed(e.code, e.en, e.fa)),
    };
    let log = EventLog::open(&data.join("events.log"), key.clone())
        .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
    let lifecycle = Lifecycle::new(log, &events);
    let (ballot_box, opened) = match BallotBox::open(&data.join("ballots.box"), hash, key) {
        Ok(found) => found,
        Err(e) => return Ok(failed(e.code, e.en, e.fa)),
    };
    let (count, root) = ballot_box
        .commitment()
        .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
    let (issued, used, voided) = TokenBook::open(&data.join("tokens.book"))
        .and_then(|book| book.counts())
        .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
    let (events_n, head) = lifecycle.log().head();
    println!(
        "{}",
        serde_json::json!({
            "station": config["station"], "state": lifecycle.state().name(),
            "ballots": count, "merkle_root": sandoq_station::merkle::hex(&root), "unreadable_slots": opened.unreadable,
            "tokens": {"issued": issued, "used": used, "voided": voided},
            "event_log": {"events": events_n, "head": sandoq_station::merkle::hex(&head)},
        })
    );
    Ok(ExitCode::SUCCESS)
}

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
