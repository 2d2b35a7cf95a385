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

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct StationArgs {
    #[command(subcommand)]
    command: Option<StationCommand>,
    /// The centre, `http://host:port`.
    #[arg(long)]
    central: Option<String>,
    /// This station's code (as registered at the centre).
    #[arg(long)]
    station: Option<String>,
    /// Where the station keeps its device key and everything it records.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Where the desk and the ballot boxes are served.
    #[arg(long, default_value = "127.0.0.1:8600")]
    listen: String,
    /// Ballot boxes (kiosks) at this station: /box/1 … /box/N.
    #[arg(long, default_value_t = 2)]
    boxes: u32,
    /// Ballots the box can hold.
    #[arg(long, default_value_t = 20_000)]
    capacity: u64,
    /// Seconds without a key pressed before a voter's session ends, voided.
    #[arg(long, default_value_t = 120)]
    session_timeout: u64,
    /// Seconds between background rounds with the centre.
    #[arg(long, default_value_t = 2)]
    tick: u64,
}

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

pub fn run(args: StationArgs) -> anyhow::Result<ExitCode> {
    let Some(command) = args.command else {
        return agent(args);
    };
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

/// `sandoq station --central URL --station CODE --data DIR`: the agent.
fn agent(args: StationArgs) -> anyhow::Result<ExitCode> {
    let (Some(central), Some(station), Some(data)) = (args.central, args.station, args.data) else {
        return Ok(failed(
            "missing_arguments",
            "give --central URL --station CODE --data DIR (or a subcommand: init, status)".into(),
            "‎--central‎ و ‎--station‎ و ‎--data‎ را بدهید (یا یکی از init و status)".into(),
        ));
    };
    if sandoq_store::checkin::check_station_code(&station).is_err() {
        return Ok(failed(
            "bad_station_code",
            "a station code is 1-64 letters, digits or -_.:".into(),
            "کد شعبه ۱ تا ۶۴ حرف، رقم یا -_.: است".into(),
        ));
    }
    if args.boxes == 0 || args.boxes > 64 {
        return Ok(failed(
            "bad_boxes",
            "a station has 1 to 64 ballot boxes".into(),
            "هر شعبه ۱ تا ۶۴ صندوق دارد".into(),
        ));
    }
    let config = sandoq_station_agent::Config {
        central,
        station,
        data,
        boxes: args.boxes,
        capacity: args.capacity,
        session_timeout: std::time::Duration::from_secs(args.session_timeout.max(5)),
        tick: std::time::Duration::from_secs(args.tick.max(1)),
        clock: sandoq_station_agent::system_clock(),
        photos: true,
    };
    let agent = match sandoq_station_agent::Agent::new(config) {
        Ok(agent) => agent,
        Err(e) => {
            return Ok(failed(
                "station_start_failed",
                e.clone(),
                format!("شعبه راه‌اندازی نشد: {e}"),
            ))
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(listener) => listener,
            Err(e) => {
                return Ok(failed(
                    "listen_failed",
                    format!("cannot listen on {}: {e}", args.listen),
                    format!("نمی‌توان روی {} گوش داد: {e}", args.listen),
                ))
            }
        };
        let address = listener.local_addr()?;
        println!(
            "{}",
            serde_json::json!({"desk": format!("http://{address}/desk"),
                "boxes": (1..=args.boxes).map(|n| format!("http://{address}/box/{n}")).collect::<Vec<_>>(),
                "public_key": agent.public_key()})
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        sandoq_station_agent::serve(agent, listener).await?;
        Ok(ExitCode::SUCCESS)
    })
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

/// The package the drill's station holds: a training election over [`drill_contest`]'s lists.
fn drill_package() -> serde_json::Value {
    use sha2::Digest;
    let export = serde_json::json!({
        "format": "sandoq-election-v1",
        "election": {"code": "drill", "kind": "training", "offline_policy": "refuse", "paper_record": false},
        "definition": {"format": "sandoq-definition-v1", "seats": 3, "lists": [
            {"code": "101", "name_fa": "امید", "candidates": [{"code": "10101"}, {"code": "10102"}]},
            {"code": "102", "name_fa": "آینده", "candidates": [{"code": "10201"}]}],
            "independents": [{"code": "9001"}, {"code": "9002"}]},
    })
    .to_string();
    let hash = sandoq_station::merkle::hex(&sha2::Sha256::digest(export.as_bytes()));
    serde_json::json!({"election": 1, "station": "DRILL", "export": export, "hash": hash, "officials": []})
}

/// Votes without end through the station agent's own code (a token issued, a box unlocked with
/// it, the ballot cast), printing `confirmed ID` for each ballot once the agent would tell the
/// voter it is recorded. The crash test kills it at random instants.
pub fn drill(dir: &Path, seed: u64) -> anyhow::Result<ExitCode> {
    use sandoq_station_agent::station::{Package, Station};
    std::fs::create_dir_all(dir)?;
    let key = sandoq_station::keys::load_or_create(dir)?;
    let fail = |e: sandoq_station_agent::station::Refusal| anyhow::anyhow!("[{}] {}", e.code, e.en);
    let raw = drill_package();
    // Written as the agent writes it (a new file renamed into place): the crash test kills the
    // drill at random instants, also while it writes this at its start.
    sandoq_station_agent::station::write_durably(
        &dir.join("package.json"),
        raw.to_string().as_bytes(),
    )?;
    let package = Package::read(raw).map_err(fail)?;
    let hash = package.hash;
    let mut station = Station::load(dir, key, package, 16_384, 0).map_err(fail)?;
    if station.state() == sandoq_station::lifecycle::State::Setup {
        for official in ["drill-1", "drill-2", "drill-3"] {
            station.sign_in(official);
        }
        station.open(0, &hash).map_err(fail)?;
    }
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
        let ballot = &choices[rng.below(choices.len() as u64) as usize];
        let token = station.issue_token().map_err(fail)?;
        let session = station.unlock(1, &token).map_err(fail)?;
        let id = match station.cast(1, &session, ballot, 0) {
            Ok((id, _)) => id,
            Err(e) if e.code == "ballot_box_full" => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(fail(e)),
        };
        // The confirmation the voter would see, shown only now that the ballot is durable.
        writeln!(out, "confirmed {}", sandoq_station::merkle::hex(&id))?;
        out.flush()?;
    }
}
