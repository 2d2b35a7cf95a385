//! `sandoq simulate`: a whole election day on synthetic data, through the same service code as the
//! real system. This version runs the real HTTP path in one process: the centre's API (SQLite, or
//! PostgreSQL with `--database`) and one station agent per station, each on its own port on
//! 127.0.0.1; simulated officials open every station, simulated voters are checked in at the desk,
//! unlock a ballot box with their token and cast; some voters try to vote a second time, at the
//! same station or another; the officials close and co-sign; the agents send the reports and the
//! ballot records; the centre aggregates them; the record is written to `--out` (public and
//! restricted parts) and verified. The simulator keeps every ballot it cast and proves that the
//! published result equals the result of its own ground truth.
//!
//! Reproducible from `--seed`: the election, the registry, who votes where and every choice.

use sandoq_count::{BallotReader, Tally};
use sandoq_registry::NationalCode;
use sandoq_sim::in_process;
use sandoq_sim::polling_day::{self, Chooser};
use sandoq_sim::scenario::Scenario;
use sandoq_sim::training::{self, Officials, Shape, DEMO_PASSWORD};
use sandoq_store::{ElectionStatus, OfflinePolicy, Store};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Eligible voters in the registry.
    #[arg(long, default_value_t = 20_000)]
    voters: u64,
    #[arg(long, default_value_t = 50)]
    stations: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 21)]
    seats: u32,
    #[arg(long, default_value_t = 10)]
    lists: usize,
    #[arg(long, default_value_t = 100)]
    independents: usize,
    /// The share of eligible voters who vote, as a decimal (read exactly, e.g. 0.5).
    #[arg(long, default_value = "0.5")]
    turnout: String,
    /// The centre's store: `sqlite://PATH` (default: in a temporary directory) or `postgres://…`.
    #[arg(long)]
    database: Option<String>,
    /// Where the election record is written (a new directory).
    #[arg(long)]
    out: PathBuf,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Run every station's desk and ballot box through the station agents' HTTP API, as the pages
    /// do (up to 2,000 stations). Without it the desks and boxes are driven in process and
    /// check-ins go to the store in chunks: the mode for Tehran's scale.
    #[arg(long)]
    http: bool,
    /// Also time the benchmark's baseline in the same run: the same number of ballot records
    /// written to ballot box files of the same size (one per station), without any check.
    #[arg(long)]
    baseline: bool,
    /// A scenario of election day (TOML; the library is `scenarios/`): what goes wrong and what
    /// must hold afterwards. May be given more than once. In-process mode only.
    #[arg(long = "scenario")]
    scenarios: Vec<PathBuf>,
}

/// `0.5` → 1/2 as (numerator, denominator), exactly (no floating point).
fn parse_share(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 9 {
        return None;
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    let denominator = 10u64.pow(fraction.len() as u32);
    let numerator = whole.parse::<u64>().unwrap_or(0) * denominator
        + if fraction.is_empty() {
            0
        } else {
            fraction.parse::<u64>().ok()?
        };
    (numerator <= denominator).then_some((numerator, denominator))
}

fn usage(code: &'static str, en: String, fa: String) -> ExitCode {
    crate::input_error(&sandoq_json::InputError::new(code, en, fa));
    ExitCode::from(2)
}

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let Some((numerator, denominator)) = parse_share(&args.turnout) else {
        return Ok(usage(
            "bad_turnout",
            format!(
                "--turnout is a share between 0 and 1, e.g. 0.5, not {:?}",
                args.turnout
            ),
            format!(
                "‎--turnout‎ سهمی میان ۰ و ۱ است، مانند 0.5، نه {:?}",
                args.turnout
            ),
        ));
    };
    let most = if args.http { 2_000 } else { 20_000 };
    if args.stations == 0 || args.stations > most {
        return Ok(usage(
            "bad_stations",
            format!(
                "--stations is 1 to {most} in this mode (over HTTP each station is an agent on its own port)"
            ),
            format!(
                "‎--stations‎ در این حالت ۱ تا {} است (در حالت HTTP هر شعبه یک عامل با درگاه خودش)",
                sandoq_i18n::persian_digits(&most.to_string())
            ),
        ));
    }
    if args.seats == 0 || args.seats > 99 || args.lists > 800 || args.independents > 900 {
        return Ok(usage(
            "bad_shape",
            "--seats is 1 to 99, --lists at most 800, --independents at most 900".into(),
            "‎--seats‎ ۱ تا ۹۹، ‎--lists‎ حداکثر ۸۰۰ و ‎--independents‎ حداکثر ۹۰۰ است".into(),
        ));
    }
    if args.out.join(sandoq_record::MANIFEST).exists() {
        return Ok(usage(
            "record_exists",
            format!("{} already holds a record", args.out.display()),
            format!("{} از پیش یک پرونده دارد", args.out.display()),
        ));
    }
    let mut scenarios = Vec::new();
    for path in &args.scenarios {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                return Ok(usage(
                    "unreadable_scenario",
                    format!("cannot read {}: {e}", path.display()),
                    format!("{} خوانده نشد: {e}", path.display()),
                ))
            }
        };
        match Scenario::parse(&text) {
            Ok(scenario) => scenarios.push(scenario),
            Err(e) => {
                return Ok(usage(
                    e.code,
                    format!("{}: {}", path.display(), e.en),
                    format!("{}: {}", path.display(), e.fa),
                ))
            }
        }
    }
    if !scenarios.is_empty() && args.http {
        return Ok(usage(
            "scenario_needs_in_process",
            "scenarios run in the in-process mode (without --http)".into(),
            "سناریوها در حالت درون‌فرایندی (بدون ‎--http‎) اجرا می‌شوند".into(),
        ));
    }
    let policies: HashSet<&str> = scenarios
        .iter()
        .filter_map(|s| s.offline_policy.as_deref())
        .collect();
    if policies.len() > 1 {
        return Ok(usage(
            "scenarios_disagree",
            "these scenarios ask for different offline policies; run them separately".into(),
            "این سناریوها سیاست‌های برون‌خط متفاوتی می‌خواهند؛ جداگانه اجرا کنید".into(),
        ));
    }
    let timed = scenarios.iter().any(Scenario::timed);
    let alone = [
        "device_replaced",
        "partition",
        "clock_skew",
        "centre_restart",
    ];
    if timed
        && scenarios
            .iter()
            .any(|s| alone.iter().any(|kind| s.events(kind).next().is_some()))
    {
        return Ok(usage(
            "scenarios_disagree",
            "a day on the clock (late opening, surge, extension, after hours) runs without device, network, clock or centre failures; run them separately".into(),
            "روز ساعت‌دار (گشایش دیرهنگام، هجوم، تمدید، پس از پایان ساعت) بدون خرابی دستگاه، شبکه، ساعت یا مرکز اجرا می‌شود؛ جداگانه اجرا کنید".into(),
        ));
    }
    if timed && args.stations > TIMED_STATIONS {
        return Ok(usage(
            "timed_scenario_scale",
            format!(
                "a day on the clock runs every station at once: at most {TIMED_STATIONS} stations"
            ),
            format!("روز ساعت‌دار همهٔ شعبه‌ها را هم‌زمان اجرا می‌کند: حداکثر {TIMED_STATIONS} شعبه"),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(simulate(args, (numerator, denominator), scenarios))
}

/// A progress line on a terminal (standard error), never in the JSON.
fn progress(what: &str, done: u64, total: u64) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        let width = 30u64;
        let filled = (done.min(total) * width)
            .checked_div(total)
            .unwrap_or(width);
        eprint!(
            "\r{what:<12} [{}{}] {done}/{total}   ",
            "#".repeat(filled as usize),
            " ".repeat((width - filled) as usize)
        );
        if done >= total {
            eprintln!();
        }
    }
}

/// What happened at one station, in either mode.
struct Day {
    checked_in: u64,
    /// Everyone the desk gave a token to.
    admitted: Vec<NationalCode>,
    /// The ballots the simulated voters cast, as the counting engine counts them (ground truth).
    truth: Tally,
    ballots: u64,
    reported: bool,
    /// Time in each step of the station's day (in-process mode only).
    steps: [Duration; 5],
    /// Its device died and was replaced (scenario).
    replaced: bool,
    /// Check-ins taken while it was offline.
    provisional: u64,
    /// Voters turned away while it was offline (policy refuse) who came back later.
    came_back: u64,
    /// Check-ins the centre did not answer (scenario `centre_restart`).
    centre_unanswered: u64,
    /// When it opened (the day on the clock), whether its hours were extended, and how many
    /// people its desk turned away once polling hours were over.
    opened_at: Option<i64>,
    extended: bool,
    turned_away_after_hours: u64,
    /// Its device was refused for a clock that was off (scenario).
    clock_skew_refused: bool,
}

/// The training election's contest and rules as the counting engine reads an election file.
fn counting_view(
    training: &training::Training,
    seats: u32,
) -> anyhow::Result<sandoq_json::tally::ElectionFile> {
    let lists: Vec<Value> = training
        .lists
        .iter()
        .map(|(code, members)| json!({"code": code, "candidates": members}))
        .collect();
    let document = json!({
        "seats": seats,
        "lists": lists,
        "independents": training.independents,
        "ballots": [],
        "rules": {"tie_break": "lot", "lot_seed": training::LOT_SEED},
    });
    sandoq_json::tally::parse_election(document.to_string().as_bytes())
        .map_err(|e| anyhow::anyhow!("ground truth: {}", e.en))
}

async fn simulate(
    args: SimulateArgs,
    turnout: (u64, u64),
    scenarios: Vec<Scenario>,
) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let mut seconds = serde_json::Map::new();
    let mut phase = Instant::now();
    let mut lap = |name: &str, seconds: &mut serde_json::Map<String, Value>| {
        let elapsed = phase.elapsed();
        seconds.insert(
            name.into(),
            json!(format!(
                "{}.{:03}",
                elapsed.as_secs(),
                elapsed.subsec_millis()
            )),
        );
        phase = Instant::now();
    };
    let work = std::env::temp_dir().join(format!("sandoq-simulate-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    // In process, a station's files are removed once it has reported, so few are ever in memory;
    // over HTTP they stay to the end (up to 2,000 stations with their packages), so on disk.
    let station_files = if args.http {
        work.clone()
    } else {
        stations_root(std::process::id()).unwrap_or_else(|| work.clone())
    };
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", work.join("central.db").display()));
    let store = sandoq_central::open(&url)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The training day starts at its opening time whatever the hour (`day_clock`).
    let machine = sandoq_store::Timestamp(crate::day_clock::machine_now());
    let offset =
        crate::day_clock::offset(machine.tehran().0, sandoq_store::PollingHours::default());
    let clock = crate::day_clock::centre(offset);
    let now = clock();
    let shape = Shape {
        code: format!("simulation-{}-{}", args.seed, std::process::id()),
        seats: args.seats,
        lists: args.lists,
        independents: args.independents,
        stations: args.stations,
        voters: args.voters,
        seed: args.seed,
        offline_policy: if scenarios
            .iter()
            .any(|s| s.offline_policy.as_deref() == Some("refuse"))
        {
            OfflinePolicy::Refuse
        } else {
            OfflinePolicy::Provisional
        },
        paper_record: false,
    };
    progress("setup", 0, 1);
    let plan = training::plan(&shape, now.tehran().0).map_err(anyhow::Error::msg)?;
    let officials = if args.http {
        Officials::Passwords
    } else {
        Officials::Seeded(args.seed)
    };
    let training = training::set_up_with(&store, &plan, now, officials)
        .await
        .map_err(anyhow::Error::msg)?;
    drop(plan);
    let id = training.election;
    let file = counting_view(&training, args.seats)?;

    // A day on the clock (scenarios): one clock for the centre and every device, moved on by
    // steps from the opening time to past the last closing.
    let polling_day = election_day(&store, id).await?;
    let timed_day = if scenarios.iter().any(Scenario::timed) {
        let hours = sandoq_store::PollingHours::default();
        let opens = at_tehran(polling_day, hours.opens);
        let closes = at_tehran(polling_day, hours.closes);
        let until = extension_until(&scenarios, polling_day).unwrap_or(closes);
        let mut slots = Vec::new();
        let mut t = opens;
        while t <= closes.max(until) + in_process::SLOT_SECONDS {
            slots.push(t);
            t += in_process::SLOT_SECONDS;
        }
        Some(in_process::DayClock::new(slots, args.stations))
    } else {
        None
    };
    let clock: sandoq_central::http::Clock = match &timed_day {
        Some(day) => {
            let now = day.now.clone();
            Arc::new(move || sandoq_store::Timestamp(now.load(Ordering::SeqCst)))
        }
        None => clock,
    };

    // The centre, and one agent per station, its device registered as headquarters would.
    let centre_listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let centre = centre_listener.local_addr()?;
    let mut devices = String::from("station,kind,public_key\n");
    let mut agents = Vec::new();
    let mut configs = Vec::new();
    let per_station = args.voters / args.stations as u64 + 1;
    for station in &training.stations {
        let config = sandoq_station_agent::Config {
            central: format!("http://{centre}"),
            station: station.code.clone(),
            data: station_files.join(format!("station-{}", station.code)),
            boxes: 1,
            // Room for everyone who might come (the box probes for a free slot by hash).
            capacity: (per_station.saturating_mul(3) / 2).max(64),
            session_timeout: Duration::from_secs(120),
            tick: Duration::from_millis(500),
            clock: match &timed_day {
                Some(day) => day.device_clock(),
                None => crate::day_clock::station(offset),
            },
            photos: args.http,
        };
        configs.push(config.clone());
        let agent = sandoq_station_agent::Agent::new(config).map_err(anyhow::Error::msg)?;
        devices.push_str(&format!(
            "{},check_in_desk,{}\n",
            station.code,
            agent.public_key()
        ));
        agents.push(agent);
    }
    sandoq_central::tables::import_devices(
        &store,
        id,
        devices.as_bytes(),
        sandoq_central::tables::Format::Csv,
        "simulation",
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("register the devices: {e:?}"))?;
    let election = store
        .election(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("the election vanished"))?;
    // The key ceremony before voting opens (issue 18 §1): the roster sealed by two of the three
    // training supervisors; its hash is what a newspaper would print, and what the record is
    // verified against.
    let roster_sha256 = sandoq_central::roster::training_ceremony(
        &store,
        &election,
        2,
        sandoq_sim::training::DEMO_PASSWORD,
        "simulation",
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("seal the roster: {e:?}"))?;
    sandoq_central::roster::advance(&store, &election, ElectionStatus::Voting, "simulation", now)
        .await
        .map_err(|e| anyhow::anyhow!("open the vote: {e:?}"))?;
    let election = store
        .election(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("the election vanished"))?;
    // The centre in this process, or, when a scenario kills it, as its own process on the same
    // store and port (`sandoq central serve`), so that the kill is a real one.
    let restart = scenarios
        .iter()
        .flat_map(|s| s.events("centre_restart"))
        .next()
        .cloned();
    let child = match &restart {
        None => {
            let state = sandoq_central::http::AppState::new(store.clone(), clock.clone());
            tokio::spawn(async move {
                let _ = axum::serve(centre_listener, sandoq_central::http::app(state)).await;
            });
            None
        }
        Some(_) => {
            drop(centre_listener);
            let process = CentreProcess {
                offset,
                database: url.clone(),
                listen: centre,
                log: work.join("central.log"),
            };
            let child = process.start().await?;
            Some((process, Arc::new(std::sync::Mutex::new(Some(child)))))
        }
    };
    progress("setup", 1, 1);
    lap("setup", &mut seconds);

    // Who votes where: the first turnout share of the registry, round-robin over the stations;
    // then one voter in a hundred (at least one) tries again, alternately at the same station and
    // at the next one.
    let (numerator, denominator) = turnout;
    let voting =
        (u128::from(args.voters) * u128::from(numerator) / u128::from(denominator)) as usize;
    let m = args.stations;
    let mut queues: Vec<Vec<NationalCode>> = vec![Vec::new(); m];
    for (i, code) in training.voters.iter().take(voting).enumerate() {
        queues[i % m].push(*code);
    }
    let repeaters = if voting == 0 {
        0
    } else {
        (voting / 100).max(1)
    };
    for k in 0..repeaters {
        let i = (k * 97) % voting;
        let home = i % m;
        let at = if k % 2 == 0 { home } else { (home + 1) % m };
        let code = training.voters[i];
        queues[at].push(code);
    }
    // One chooser seed for every station: a voter's choice depends on the voter, not the station.
    let chooser = Chooser::new(&training, args.seats, args.seed.wrapping_mul(1_000_003));
    // What goes wrong where: devices die at the first stations, the network goes at the last.
    let provisional = shape.offline_policy == OfflinePolicy::Provisional;
    let mut events = vec![
        in_process::StationEvents {
            provisional,
            ..Default::default()
        };
        m
    ];
    for scenario in &scenarios {
        for event in scenario.events("device_replaced") {
            for i in 0..event.stations.unwrap_or(0).min(m) {
                let at = event.at_percent.unwrap_or(50) as usize;
                events[i].replace_at = Some(queues[i].len() * at / 100);
            }
        }
        for event in scenario.events("clock_skew") {
            for station in events.iter_mut().take(event.stations.unwrap_or(0)) {
                station.clock_skew = event.seconds;
            }
        }
        for event in scenario.events("partition") {
            for i in m.saturating_sub(event.stations.unwrap_or(0))..m {
                let n = queues[i].len();
                let from = event.from_percent.unwrap_or(0) as usize;
                let to = event.to_percent.unwrap_or(100) as usize;
                events[i].offline = Some((n * from / 100, n * to / 100));
            }
        }
    }
    let through_centre = restart.is_some();
    for station in &mut events {
        station.through_centre = through_centre;
    }
    let cast = Arc::new(AtomicU64::new(0));
    let total = voting as u64;
    // The centre killed once it has checked in `at_percent` of the day's voters (read from its
    // store, so the kill lands while the desks are still busy), and started again `seconds` later.
    let restarts = Arc::new(AtomicU64::new(0));
    let killer = match (&restart, &child) {
        (Some(event), Some((process, running))) => {
            let (restarts, running, store) = (restarts.clone(), running.clone(), store.clone());
            let process = process.clone();
            let at = total * u64::from(event.at_percent.unwrap_or(50)) / 100;
            let down = Duration::from_secs(u64::try_from(event.seconds.unwrap_or(2)).unwrap_or(2));
            Some(tokio::spawn(async move {
                loop {
                    let checked_in = store
                        .count_check_ins(id)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    if checked_in >= at.max(1) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                process.kill(&running);
                tokio::time::sleep(down).await;
                let child = process.start().await?;
                *running.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
                restarts.fetch_add(1, Ordering::Relaxed);
                anyhow::Ok(())
            }))
        }
        _ => None,
    };
    let watcher = {
        let cast = cast.clone();
        tokio::spawn(async move {
            loop {
                progress("voting", cast.load(Ordering::Relaxed), total);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let mut failures = Vec::new();
    let days = if args.http {
        http_day(
            &training,
            agents,
            queues,
            &chooser,
            &file,
            cast.clone(),
            &mut failures,
        )
        .await?
    } else if let Some(day) = &timed_day {
        drop(agents);
        let tables = timetables(&scenarios, &mut queues, polling_day);
        day_on_the_clock(
            &store,
            &election,
            &training,
            configs,
            queues,
            tables,
            &chooser,
            &file,
            args.seed,
            day,
            cast.clone(),
            &mut failures,
        )
        .await
    } else {
        drop(agents);
        in_process_day(
            &store,
            &election,
            &training,
            configs,
            queues,
            events,
            &chooser,
            &file,
            args.seed,
            now,
            cast.clone(),
            &mut failures,
        )
        .await
    };
    watcher.abort();
    if let Some(killer) = killer {
        if killer.is_finished() {
            match killer.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failures.push(format!("the centre's restart: {e}")),
                Err(e) => failures.push(format!("the centre's restart: {e}")),
            }
        } else {
            killer.abort();
            failures.push("the day ended before the centre could be killed".into());
        }
    }
    progress("voting", cast.load(Ordering::Relaxed), total);
    lap("polling_day", &mut seconds);

    // A tampered device, after every station reported: each request must be refused.
    let mut tampering = (0u64, 0u64, Vec::new());
    if scenarios
        .iter()
        .any(|s| s.events("tampered_device").next().is_some())
    {
        tampering = tamper(centre, &store, id, &station_files, &training, clock().0).await?;
    }

    // The centre has every report once the agents' acknowledgements came back; its result then.
    let answer = sandoq_sim::http::request(
        centre,
        "GET",
        &format!("/api/elections/{}/results", id.0),
        None,
        None,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let published = answer.body;
    lap("aggregation", &mut seconds);

    // The record, public and restricted, then verified from its files alone.
    let input = sandoq_central::record::input(&store, &election, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    sandoq_record::write(&args.out, &input).map_err(anyhow::Error::msg)?;
    drop(input);
    lap("record", &mut seconds);
    let verified = sandoq_record::verify_against(
        &args.out,
        Some(&roster_sha256),
        &mut |what: &str, done: usize, total: usize| progress(what, done as u64, total as u64),
    );
    lap("verify", &mut seconds);

    // Ground truth: every ballot the simulated voters cast, counted by the counting engine alone.
    let mut tally = Tally::new(&file.contest);
    for day in &days {
        tally
            .merge(&day.truth)
            .map_err(|_| anyhow::anyhow!("ground truth: the count overflowed"))?;
    }
    let truth = sandoq_record::result_json(&file.contest, &tally, &file.rules);
    let result = &published["result"];
    let ground_truth_match = truth["seats"] == result["seats"]
        && truth["elected"] == result["elected"]
        && truth["alternates"] == result["alternates"]
        && truth["candidate_votes"] == result["candidate_votes"];
    let mut admitted: HashSet<NationalCode> = HashSet::with_capacity(voting);
    let mut double_votes_accepted = 0u64;
    for code in days.iter().flat_map(|d| d.admitted.iter()) {
        if !admitted.insert(*code) {
            double_votes_accepted += 1;
        }
    }
    drop(admitted);
    let checked_in: u64 = days.iter().map(|d| d.checked_in).sum();
    let ballots_cast: u64 = days.iter().map(|d| d.ballots).sum();
    let ballots_counted = published["ballots"].as_u64().unwrap_or(0);
    let stations_reported = published["stations"]["reported"].as_u64().unwrap_or(0);
    let all_reported =
        days.len() == m && days.iter().all(|d| d.reported) && stations_reported == m as u64;
    lap("ground_truth", &mut seconds);
    let elapsed = start.elapsed();
    if args.baseline {
        let phase = Instant::now();
        baseline(&work.join("baseline"), m, ballots_cast)?;
        let took = phase.elapsed();
        seconds.insert(
            "baseline_write_records".into(),
            json!(format!("{}.{:03}", took.as_secs(), took.subsec_millis())),
        );
    }
    seconds.insert(
        "total".into(),
        json!(format!(
            "{}.{:03}",
            elapsed.as_secs(),
            elapsed.subsec_millis()
        )),
    );
    let (verify_ok, problems) = match &verified {
        Ok(_) => (true, Vec::new()),
        Err(problems) => (
            false,
            problems.iter().take(20).map(|p| format!("{p:?}")).collect(),
        ),
    };
    let incidents = store
        .incidents(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let double_vote_incidents = incidents
        .iter()
        .filter(|i| i.kind == sandoq_store::IncidentKind::DoubleVote)
        .count() as u64;
    let hours = turnout_by_hour(&store, id, polling_day).await?;
    let refused_reports = store
        .refused_reports(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .len() as u64;
    let mut summary = json!({
        "election": shape.code,
        "training": true,
        "seed": args.seed,
        "eligible": args.voters,
        "stations": m,
        "checked_in": checked_in,
        "ballots_cast": ballots_cast,
        "ballots_counted": ballots_counted,
        "double_vote_attempts": repeaters,
        "double_votes_accepted": double_votes_accepted,
        "stations_reported": stations_reported,
        "ground_truth_match": ground_truth_match,
        "lost_ballots": ballots_cast.saturating_sub(ballots_counted),
        "extra_ballots": ballots_counted.saturating_sub(ballots_cast),
        "verified": verify_ok,
        "verify_problems": problems,
        "roster_sha256": roster_sha256,
        "failures": failures,
        "seconds": seconds,
        "station_steps_seconds": station_steps(&days),
        "peak_memory_mib": peak_memory_mib(),
        "seats": result["seats"],
        "record": args.out.display().to_string(),
        "mode": if args.http { "http" } else { "in_process" },
        "devices_replaced": days.iter().filter(|d| d.replaced).count(),
        "provisional_check_ins": days.iter().map(|d| d.provisional).sum::<u64>(),
        "double_vote_incidents": double_vote_incidents,
        "double_votes_all_flagged": double_vote_incidents == double_votes_accepted,
        "tampering_refused": tampering.0,
        "tampering_accepted": tampering.1,
        "tampering_answers": tampering.2,
        "came_back_later": days.iter().map(|d| d.came_back).sum::<u64>(),
        "clock_skew_detected": days.iter().filter(|d| d.clock_skew_refused).count(),
        "centre_restarts": restarts.load(Ordering::Relaxed),
        "late_openings": days
            .iter()
            .filter(|d| d.opened_at.is_some_and(|at| at > at_tehran(polling_day, sandoq_store::PollingHours::default().opens)))
            .count(),
        "extensions": days.iter().filter(|d| d.extended).count(),
        "turned_away_after_hours": days.iter().map(|d| d.turned_away_after_hours).sum::<u64>(),
        "check_ins_after_closing": hours.after_closing,
        "last_hour_percent": hours.last_hour_percent,
        "check_ins_while_centre_down": days.iter().map(|d| d.centre_unanswered).sum::<u64>(),
        "refused_reports_visible": refused_reports,
    });
    if let Some((process, running)) = &child {
        process.kill(running);
    }
    let verdicts: Vec<Value> = scenarios
        .iter()
        .map(|scenario| sandoq_sim::scenario::judge(scenario, &summary))
        .collect();
    let scenarios_passed = verdicts.iter().all(|v| v["passed"] == true);
    summary["scenarios"] = json!(verdicts);
    let _ = std::fs::remove_dir_all(&work);
    if station_files != work {
        let _ = std::fs::remove_dir_all(&station_files);
    }
    // A double vote can only be accepted where a station took provisional check-ins while cut
    // off; then every one must have become an incident for the supervisors.
    let double_votes_ok = double_votes_accepted == 0
        || (double_vote_incidents == double_votes_accepted
            && days.iter().any(|d| d.provisional > 0));
    let ok = ground_truth_match
        && verify_ok
        && all_reported
        && failures.is_empty()
        && double_votes_ok
        && scenarios_passed
        && ballots_cast == ballots_counted
        && checked_in == ballots_cast;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary, &args.out);
    }
    if !ok {
        eprintln!("simulation failed: an invariant does not hold (see the summary)");
        eprintln!("شبیه‌سازی ناموفق: یکی از ناورداها برقرار نیست (خلاصه را ببینید)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

impl From<in_process::StationRun> for Day {
    fn from(run: in_process::StationRun) -> Day {
        Day {
            checked_in: run.checked_in,
            admitted: run.admitted,
            truth: run.truth,
            ballots: run.ballots,
            reported: run.reported,
            steps: run.steps,
            replaced: run.replaced,
            provisional: run.provisional,
            came_back: run.came_back,
            clock_skew_refused: run.clock_skew_refused,
            centre_unanswered: run.centre_unanswered,
            opened_at: run.opened_at,
            extended: run.extended,
            turned_away_after_hours: run.turned_away_after_hours,
        }
    }
}

/// The most stations a day on the clock runs (every station at once, in step).
const TIMED_STATIONS: usize = 1_000;

/// The instant of `minutes` after midnight, Tehran time, on `day`.
fn at_tehran(day: sandoq_registry::Date, minutes: u16) -> i64 {
    sandoq_store::Timestamp::from_tehran(day, u32::from(minutes / 60), u32::from(minutes % 60)).0
}

async fn election_day(
    store: &sandoq_central::AnyStore,
    id: sandoq_store::ElectionId,
) -> anyhow::Result<sandoq_registry::Date> {
    Ok(store
        .election(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("the election vanished"))?
        .spec
        .polling_day)
}

/// The closing time an `extension` event names, as an instant on polling day.
fn extension_until(scenarios: &[Scenario], day: sandoq_registry::Date) -> Option<i64> {
    let until = scenarios
        .iter()
        .flat_map(|s| s.events("extension"))
        .next()?;
    let hours = sandoq_store::PollingHours::parse("00:00", until.until.as_deref()?).ok()?;
    Some(at_tehran(day, hours.closes))
}

/// What the centre's turnout per hour (as the dashboard shows it) says about the day's end.
struct LastHours {
    after_closing: u64,
    last_hour_percent: u64,
}

async fn turnout_by_hour(
    store: &sandoq_central::AnyStore,
    id: sandoq_store::ElectionId,
    day: sandoq_registry::Date,
) -> anyhow::Result<LastHours> {
    let closes = at_tehran(day, sandoq_store::PollingHours::default().closes);
    let buckets = store
        .turnout(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let total: u64 = buckets.iter().map(|b| b.check_ins).sum();
    let after_closing = buckets
        .iter()
        .filter(|b| b.hour_start.0 >= closes)
        .map(|b| b.check_ins)
        .sum();
    let last_hour: u64 = buckets
        .iter()
        .filter(|b| (closes - 3600..closes).contains(&b.hour_start.0))
        .map(|b| b.check_ins)
        .sum();
    Ok(LastHours {
        after_closing,
        last_hour_percent: (last_hour * 100).checked_div(total).unwrap_or(0),
    })
}

/// Each station's timetable for a day on the clock: when each of its voters comes (spread over
/// the day before the last hour, the `surge` share in the last hour), who comes after hours (the
/// `after_hours` share, taken off the end of its queue), when it opens (`late_opening` for the
/// first stations), what its desk can take per step (half again the day's average, so that a
/// surge leaves a queue at closing), and the `extension`.
fn timetables(
    scenarios: &[Scenario],
    queues: &mut [Vec<NationalCode>],
    day: sandoq_registry::Date,
) -> Vec<in_process::Timetable> {
    let hours = sandoq_store::PollingHours::default();
    let (opens, closes) = (at_tehran(day, hours.opens), at_tehran(day, hours.closes));
    let share = |kind: &str| -> u64 {
        scenarios
            .iter()
            .flat_map(|s| s.events(kind))
            .filter_map(|e| e.percent)
            .map(u64::from)
            .max()
            .unwrap_or(0)
    };
    let (surge, after) = (share("surge"), share("after_hours"));
    let late: Vec<(usize, i64)> = scenarios
        .iter()
        .flat_map(|s| s.events("late_opening"))
        .map(|e| {
            (
                e.stations.unwrap_or(0),
                i64::from(e.minutes.unwrap_or(0)) * 60,
            )
        })
        .collect();
    let extend_to = extension_until(scenarios, day);
    let steps = ((closes - opens) / in_process::SLOT_SECONDS).max(1) as usize;
    queues
        .iter_mut()
        .enumerate()
        .map(|(i, queue)| {
            let n = queue.len() as u64;
            let after_hours = queue.split_off(queue.len() - (n * after / 100) as usize);
            let n = queue.len() as i64;
            let in_surge = (queue.len() as u64 * surge / 100) as i64;
            let normal = n - in_surge;
            let last_hour = closes - 3600;
            let arrivals = (0..n)
                .map(|j| {
                    if j < normal {
                        opens + j * (last_hour - opens) / normal.max(1)
                    } else {
                        last_hour + (j - normal) * 3600 / in_surge.max(1)
                    }
                })
                .collect();
            let delay = late
                .iter()
                .filter(|(stations, _)| i < *stations)
                .map(|(_, delay)| *delay)
                .max()
                .unwrap_or(0);
            in_process::Timetable {
                arrivals,
                after_hours,
                opens_at: opens + delay,
                per_step: (queue.len() * 3).div_ceil(2 * steps).max(1),
                extend_to,
            }
        })
        .collect()
}

/// The polling day on the clock: every station at once, in steps of ten minutes, the simulator
/// moving the clock on once all of them are done with a step.
#[allow(clippy::too_many_arguments)]
async fn day_on_the_clock(
    store: &sandoq_central::AnyStore,
    election: &sandoq_store::Election,
    training: &training::Training,
    configs: Vec<sandoq_station_agent::Config>,
    queues: Vec<Vec<NationalCode>>,
    tables: Vec<in_process::Timetable>,
    chooser: &Chooser,
    file: &sandoq_json::tally::ElectionFile,
    seed: u64,
    day: &in_process::DayClock,
    cast: Arc<AtomicU64>,
    failures: &mut Vec<String>,
) -> Vec<Day> {
    let contest = Arc::new(file.contest.clone());
    let excess = file.rules.excess_candidates;
    let mut runs = Vec::new();
    for (i, ((config, queue), table)) in configs.into_iter().zip(queues).zip(tables).enumerate() {
        let (contest, station, store, election, chooser, cast, day) = (
            contest.clone(),
            training.stations[i].clone(),
            store.clone(),
            election.clone(),
            chooser.clone(),
            cast.clone(),
            day.clone(),
        );
        runs.push(tokio::spawn(async move {
            let mut chooser = chooser;
            let truth = in_process::Truth {
                contest: &contest,
                excess,
            };
            let data = config.data.clone();
            let run = in_process::run_timed_station(
                &store,
                &election,
                config,
                &station,
                &queue,
                &table,
                &mut chooser,
                &truth,
                seed,
                &day,
            )
            .await?;
            forget_station_files(&data);
            cast.fetch_add(run.ballots, Ordering::Relaxed);
            Ok::<_, String>(Day::from(run))
        }));
    }
    let total = day.slots.len() as u64;
    // A station that stopped without meeting the clock (it cannot, short of a panic) would hold
    // the day for ever: give up after ten minutes rather than hang.
    let driven = tokio::time::timeout(
        Duration::from_secs(600),
        day.drive(|k| progress("day", k as u64 + 1, total)),
    )
    .await;
    if driven.is_err() {
        failures.push("the day on the clock stopped: a station never finished a step".into());
        for run in &runs {
            run.abort();
        }
    }
    let mut days = Vec::new();
    for run in runs {
        match run.await {
            Ok(Ok(day)) => days.push(day),
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(e.to_string()),
        }
    }
    days
}

/// The central service as its own process (`sandoq central serve`), for the scenario that kills
/// it: the same store and the same address each time it is started.
#[derive(Clone)]
struct CentreProcess {
    /// Its clock's offset from the machine's (the training day's, `day_clock`).
    offset: i64,
    database: String,
    listen: std::net::SocketAddr,
    /// Its standard output and error, appended to at each start.
    log: PathBuf,
}

impl CentreProcess {
    /// Starts it and waits until it answers.
    async fn start(&self) -> anyhow::Result<std::process::Child> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = std::process::Command::new(std::env::current_exe()?)
            .args(["central", "serve", "--database", &self.database, "--listen"])
            .arg(self.listen.to_string())
            .arg(format!("--clock-offset={}", self.offset))
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut child = child;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(answer) =
                sandoq_sim::http::request(self.listen, "GET", "/api/health", None, None).await
            {
                if answer.status == 200 {
                    return Ok(child);
                }
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!(
                    "the centre stopped at start ({status}); see {}",
                    self.log.display()
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                anyhow::bail!("the centre did not answer within a minute of its start");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills it at once (SIGKILL: no shutdown, no flush) and reaps it.
    fn kill(&self, running: &std::sync::Mutex<Option<std::process::Child>>) {
        if let Some(mut child) = running.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The benchmark's baseline: `ballots` records written to `stations` ballot box files (each
/// created as a station's is), signed as every record is, flushed once per box, and nothing
/// checked (no check-in, no token, no ballot validation, no report).
fn baseline(dir: &Path, stations: usize, ballots: u64) -> anyhow::Result<()> {
    use sandoq_station::ballot_box::{Ballot, BallotBox};
    std::fs::create_dir_all(dir)?;
    let per_station = ballots / stations as u64;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let ballot = Ballot::List("101".into());
    let mut written = 0u64;
    for i in 0..stations {
        let n = if i + 1 == stations {
            ballots - written
        } else {
            per_station
        };
        let path = dir.join(format!("{i}.box"));
        let mut ballot_box = BallotBox::create(&path, (n * 3 / 2).max(64), [1; 32], key.clone())
            .map_err(|e| anyhow::anyhow!("{}", e.en))?;
        ballot_box.defer_sync();
        for k in 0..n {
            // Ids spread over the slots as random ones are.
            let mut id = [0u8; 16];
            id.copy_from_slice(&sandoq_station::merkle::leaf(&(written + k).to_le_bytes())[..16]);
            ballot_box
                .cast_with_id(&ballot, id)
                .map_err(|e| anyhow::anyhow!("{}", e.en))?;
        }
        ballot_box
            .flush()
            .map_err(|e| anyhow::anyhow!("{}", e.en))?;
        written += n;
        std::fs::remove_file(&path)?;
    }
    Ok(())
}

/// The time all stations spent in each step of their day, added up over the stations run at once
/// (so a step's share of the polling day, not wall time); empty over HTTP.
fn station_steps(days: &[Day]) -> Value {
    let mut map = serde_json::Map::new();
    if days.iter().all(|d| d.steps.iter().all(|s| s.is_zero())) {
        return Value::Object(map);
    }
    for (i, step) in in_process::STEPS.iter().enumerate() {
        let total: Duration = days.iter().map(|d| d.steps[i]).sum();
        map.insert(
            (*step).into(),
            json!(format!("{}.{:03}", total.as_secs(), total.subsec_millis())),
        );
    }
    Value::Object(map)
}

/// Where the simulated stations keep their files: each station's own disk, which on one machine
/// would be thousands of directories of small files created and replaced (every station writes
/// its files durably, through a temporary file). In memory (`/dev/shm`) when this machine has it,
/// so that creating 50,000 files does not measure the host's file system (on a journal-less ext4
/// each new inode is a search); the centre's database and the record stay on disk. A station's
/// files but its key are removed once its report is accepted ([`forget_station_files`]), so they
/// never hold more than the stations being simulated at once.
fn stations_root(pid: u32) -> Option<PathBuf> {
    let shm = Path::new("/dev/shm");
    if !shm.is_dir() {
        return None;
    }
    let root = shm.join(format!("sandoq-simulate-{pid}"));
    std::fs::create_dir_all(&root).ok()?;
    let probe = root.join("probe");
    std::fs::write(&probe, b"x").ok()?;
    let _ = std::fs::remove_file(probe);
    Some(root)
}

/// A station whose report the centre accepted: its ballot box, token book, log and package go
/// (the centre holds what they proved); its device key stays for the tampered-device scenario.
fn forget_station_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name() != sandoq_station::keys::KEY_FILE && entry.path().is_file() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The tampered-device scenario: a report with a figure changed after signing, a ballot record
/// altered, and a report from a key the centre never registered, each sent as a device would.
/// Returns how many the centre refused and how many it accepted.
async fn tamper(
    centre: std::net::SocketAddr,
    store: &sandoq_central::AnyStore,
    id: sandoq_store::ElectionId,
    work: &Path,
    training: &training::Training,
    now: i64,
) -> anyhow::Result<(u64, u64, Vec<String>)> {
    use sandoq_station_agent::client::Centre;
    let station = &training.stations[0].code;
    let key = sandoq_station::keys::load_or_create(&work.join(format!("station-{station}")))?;
    let device = Centre::new(&format!("http://{centre}"), key)
        .ok_or_else(|| anyhow::anyhow!("the centre's address"))?;
    let (report, _) = store
        .station_report(id, station)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("station {station} has no report"))?;
    let report: Value = serde_json::from_str(&report)?;
    let mut attempts: Vec<(String, Vec<u8>, Option<Centre>)> = Vec::new();
    // 1. The device's own report with one more ballot for the first list, signatures unchanged.
    let mut forged = report.clone();
    forged["ballots"] = json!(forged["ballots"].as_u64().unwrap_or(0) + 1);
    attempts.push((
        format!("/api/elections/{}/station-reports", id.0),
        forged.to_string().into_bytes(),
        None,
    ));
    // 2. Its ballot records with one ballot's content changed.
    let records = store
        .station_ballots(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .find(|(s, _)| s == station)
        .map(|(_, records)| records)
        .unwrap_or_default();
    let mut records: Value = serde_json::from_str(&records).unwrap_or(json!([]));
    if let Some(first) = records.as_array_mut().and_then(|r| r.first_mut()) {
        first["content"] = json!(r#"{"list":"101"}"#);
        first["id"] = json!("00".repeat(16));
    }
    attempts.push((
        format!("/api/elections/{}/ballot-records", id.0),
        json!({ "records": records }).to_string().into_bytes(),
        None,
    ));
    // 3. The same report from a device nobody registered.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    attempts.push((
        format!("/api/elections/{}/station-reports", id.0),
        report.to_string().into_bytes(),
        Centre::new(&format!("http://{centre}"), stranger),
    ));
    let (mut refused, mut accepted, mut codes) = (0, 0, Vec::new());
    for (path, body, other) in attempts {
        let answer = other
            .as_ref()
            .unwrap_or(&device)
            .signed("POST", &path, &body, now)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.0))?;
        if answer.status == 200 {
            accepted += 1;
        } else {
            refused += 1;
        }
        codes.push(format!(
            "{} {}",
            answer.status,
            answer.body["error"]["code"].as_str().unwrap_or("")
        ));
    }
    Ok((refused, accepted, codes))
}

/// The process's peak resident memory (VmHWM), in MiB, where `/proc` tells it.
fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The polling day over HTTP: every agent serves its desk and box API on its own port, and each
/// station's voters go through it as the pages would.
async fn http_day(
    training: &training::Training,
    agents: Vec<sandoq_station_agent::Agent>,
    mut queues: Vec<Vec<NationalCode>>,
    chooser: &Chooser,
    file: &sandoq_json::tally::ElectionFile,
    cast: Arc<AtomicU64>,
    failures: &mut Vec<String>,
) -> anyhow::Result<Vec<Day>> {
    let mut addresses = Vec::new();
    for agent in agents {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        addresses.push(listener.local_addr()?);
        tokio::spawn(async move {
            let _ = sandoq_station_agent::serve(agent, listener).await;
        });
    }
    let mut runs = Vec::new();
    for (i, (station, address)) in training.stations.iter().zip(&addresses).enumerate() {
        runs.push(tokio::spawn(polling_day::run_station(
            *address,
            station.clone(),
            std::mem::take(&mut queues[i]),
            chooser.clone(),
            DEMO_PASSWORD.into(),
            Duration::ZERO,
            cast.clone(),
            true,
        )));
    }
    let mut days = Vec::new();
    for run in runs {
        match run.await {
            Ok(Ok(day)) => {
                let mut truth = Tally::new(&file.contest);
                let mut reader = BallotReader::new(&file.contest, file.rules.excess_candidates);
                for ballot in &day.ballots {
                    let vote = sandoq_json::tally::read_ballot(&mut reader, ballot, "ballot")
                        .map_err(|e| anyhow::anyhow!("ground truth: {}", e.en))?;
                    truth.add_one(vote);
                }
                days.push(Day {
                    checked_in: day.checked_in,
                    ballots: day.ballots.len() as u64,
                    admitted: day.admitted,
                    truth,
                    reported: day.reported,
                    steps: [Duration::ZERO; 5],
                    replaced: false,
                    provisional: 0,
                    came_back: 0,
                    clock_skew_refused: false,
                    centre_unanswered: 0,
                    opened_at: None,
                    extended: false,
                    turned_away_after_hours: 0,
                });
            }
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(e.to_string()),
        }
    }
    Ok(days)
}

/// A station waiting for a lane: its index, its agent, its voters.
type StationWork = (
    usize,
    sandoq_station_agent::Config,
    Vec<NationalCode>,
    in_process::StationEvents,
);

/// Stations run at once in the in-process mode: enough to keep both cores and the store's
/// writer busy while one station waits for its check-ins' commit.
const IN_PROCESS_LANES: usize = 12;

/// The polling day in process: each station's agent fetches its package and sends its report and
/// records over the centre's HTTP API; its desk and ballot box are driven directly, and its
/// voters are checked in through `sandoq_store::check_in_many` ([`sandoq_sim::in_process`]).
#[allow(clippy::too_many_arguments)]
async fn in_process_day(
    store: &sandoq_central::AnyStore,
    election: &sandoq_store::Election,
    training: &training::Training,
    configs: Vec<sandoq_station_agent::Config>,
    queues: Vec<Vec<NationalCode>>,
    events: Vec<in_process::StationEvents>,
    chooser: &Chooser,
    file: &sandoq_json::tally::ElectionFile,
    seed: u64,
    now: sandoq_store::Timestamp,
    cast: Arc<AtomicU64>,
    failures: &mut Vec<String>,
) -> Vec<Day> {
    let work: Arc<std::sync::Mutex<Vec<StationWork>>> = Arc::new(std::sync::Mutex::new(
        configs
            .into_iter()
            .zip(queues)
            .zip(events)
            .enumerate()
            .map(|(i, ((config, queue), events))| (i, config, queue, events))
            .rev()
            .collect(),
    ));
    let contest = Arc::new(file.contest.clone());
    let excess = file.rules.excess_candidates;
    let stations = Arc::new(training.stations.clone());
    let mut lanes = Vec::new();
    for _ in 0..IN_PROCESS_LANES {
        let (work, contest, stations, store, election, chooser, cast) = (
            work.clone(),
            contest.clone(),
            stations.clone(),
            store.clone(),
            election.clone(),
            chooser.clone(),
            cast.clone(),
        );
        lanes.push(tokio::spawn(async move {
            let mut chooser = chooser;
            let mut days = Vec::new();
            let mut failures = Vec::new();
            loop {
                let next = work.lock().ok().and_then(|mut w| w.pop());
                let Some((i, config, queue, events)) = next else {
                    break;
                };
                let data = config.data.clone();
                let truth = in_process::Truth {
                    contest: &contest,
                    excess,
                };
                match in_process::run_station(
                    &store,
                    &election,
                    config,
                    &stations[i],
                    &queue,
                    &mut chooser,
                    &truth,
                    &events,
                    seed,
                    now,
                )
                .await
                {
                    Ok(run) => {
                        if run.reported {
                            forget_station_files(&data);
                        }
                        cast.fetch_add(run.ballots, Ordering::Relaxed);
                        days.push(Day::from(run));
                    }
                    Err(e) => failures.push(e),
                }
            }
            (days, failures)
        }));
    }
    let mut days = Vec::new();
    for lane in lanes {
        match lane.await {
            Ok((mut d, mut f)) => {
                days.append(&mut d);
                failures.append(&mut f);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    days
}

fn print_summary(summary: &Value, out: &Path) {
    let line = |en: &str, fa: &str, key: &str| {
        println!("{en:<34} {:>12}   {fa}", summary[key].to_string());
    };
    println!(
        "sandoq simulate — آموزشی / TRAINING ({})",
        summary["election"]
    );
    line("eligible voters", "واجدان شرایط", "eligible");
    line("checked in", "پذیرش‌شدگان", "checked_in");
    line("ballots cast", "برگ‌های ریخته‌شده", "ballots_cast");
    line("ballots counted", "برگ‌های شمرده‌شده", "ballots_counted");
    line(
        "double-vote attempts",
        "تلاش برای رأی دوباره",
        "double_vote_attempts",
    );
    line(
        "double votes accepted",
        "رأی دوبارهٔ پذیرفته",
        "double_votes_accepted",
    );
    line(
        "stations reported",
        "شعبه‌های گزارش‌داده",
        "stations_reported",
    );
    line("lost ballots", "برگ‌های گم‌شده", "lost_ballots");
    line(
        "ground truth = published result",
        "حقیقت زمینه = نتیجهٔ منتشرشده",
        "ground_truth_match",
    );
    line("record verified", "پرونده وارسی شد", "verified");
    println!("seconds by phase: {}", summary["seconds"]);
    println!("seats: {}", summary["seats"]);
    println!("record: {}", out.display());
}
