//! `sandoq demo`: the whole system in one process on the embedded store. The centre and three
//! polling stations (each with its check-in desk and a ballot box) run on this machine with a
//! training election shaped like Tehran's; the addresses of every page are printed with the demo
//! sign-ins. With `--voters N`, simulated voters go through the real flow (check-in at the desk,
//! token, ballot box, close, co-signed report) so that the dashboard and the results move.

use crate::day_clock;
use sandoq_sim::polling_day::{self, Chooser};
use sandoq_sim::training::{self, Shape, Training, DEMO_PASSWORD};
use sandoq_store::{ElectionStatus, Store};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Where the centre's store and the stations' data live (default: a fresh temporary
    /// directory). A directory that already holds a demo is opened again.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Simulated voters who vote through the real flow, spread over the stations.
    #[arg(long, default_value_t = 0)]
    voters: u64,
    /// Milliseconds between two voters at a station (so that the pages move while you watch).
    #[arg(long, default_value_t = 400)]
    pace_ms: u64,
    /// The centre's port (the stations take the next ones); 0 picks free ports.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Leave once every simulated voter has voted and every station has reported (for scripts
    /// and tests); otherwise the demo runs until it is stopped (Ctrl-C).
    #[arg(long)]
    exit_when_done: bool,
}

const STATIONS: usize = 3;

async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => Ok(listener),
        // Taken: any free port will do (the address is printed).
        Err(_) if port != 0 => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await,
        Err(e) => Err(e),
    }
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let data = match &args.data {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("sandoq-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&data)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(demo(args, data))
}

async fn demo(args: DemoArgs, data: PathBuf) -> anyhow::Result<ExitCode> {
    let url = format!("sqlite://{}", data.join("central.db").display());
    let store = sandoq_central::open(&url)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The registry holds everyone who may vote: the simulated voters and some more to try by hand.
    let shape = Shape::demo(args.voters.max(2_000) + 1_000);
    let existing = store
        .elections()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .find(|e| e.spec.code == shape.code);
    // The training day starts at its opening time whatever the hour (`day_clock`).
    let machine = sandoq_store::Timestamp(day_clock::machine_now());
    let offset = match &existing {
        Some(election) => day_clock::offset(election.spec.polling_day, election.spec.hours),
        None => day_clock::offset(machine.tehran().0, sandoq_store::PollingHours::default()),
    };
    let clock = day_clock::centre(offset);
    let now = clock();
    let training: Training = match existing {
        Some(election) => {
            let mut planned = training::plan(&shape, election.spec.polling_day)
                .map_err(anyhow::Error::msg)?
                .training;
            planned.election = election.id;
            eprintln!(
                "sandoq demo: opening the demo already in {} (its polling day: {})",
                data.display(),
                jalali(election.spec.polling_day)
            );
            planned
        }
        None => {
            eprintln!(
                "sandoq demo: setting up a training election in {} …",
                data.display()
            );
            let plan = training::plan(&shape, now.tehran().0).map_err(anyhow::Error::msg)?;
            training::set_up(&store, &plan, now)
                .await
                .map_err(anyhow::Error::msg)?
        }
    };
    let id = training.election;

    // The stations' agents: their keys first, registered at the centre as headquarters would.
    let centre_listener = bind(args.port).await?;
    let centre: SocketAddr = centre_listener.local_addr()?;
    let mut agents = Vec::new();
    for (i, station) in training.stations.iter().enumerate() {
        let config = sandoq_station_agent::Config {
            central: format!("http://{centre}"),
            station: station.code.clone(),
            data: data.join(format!("station-{}", station.code)),
            boxes: 1,
            capacity: 20_000,
            session_timeout: Duration::from_secs(120),
            tick: Duration::from_secs(1),
            clock: day_clock::station(offset),
            photos: true,
        };
        let agent = sandoq_station_agent::Agent::new(config).map_err(anyhow::Error::msg)?;
        let key = agent.public_key();
        let registered = store
            .devices(id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .iter()
            .any(|d| d.public_key == key);
        if !registered {
            let csv = format!(
                "station,kind,public_key\n{},check_in_desk,{key}\n",
                station.code
            );
            sandoq_central::tables::import_devices(
                &store,
                id,
                csv.as_bytes(),
                sandoq_central::tables::Format::Csv,
                "training-setup",
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("register station {}: {e:?}", station.code))?;
        }
        let port = if args.port == 0 {
            0
        } else {
            args.port.saturating_add(521 + i as u16)
        };
        agents.push((agent, bind(port).await?));
    }
    // Voting opens (setup data is frozen from here on).
    if let Some(election) = store
        .election(id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        if election.status == ElectionStatus::Setup {
            // The key ceremony first: two of the three training supervisors seal the roster.
            sandoq_central::roster::training_ceremony(
                &store,
                &election,
                2,
                sandoq_sim::training::DEMO_PASSWORD,
                "training-setup",
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("seal the roster: {e:?}"))?;
            sandoq_central::roster::advance(
                &store,
                &election,
                ElectionStatus::Voting,
                "training-setup",
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("open the vote: {e:?}"))?;
        }
    }
    let state = sandoq_central::http::AppState::new(store.clone(), clock);
    tokio::spawn(async move {
        let _ = axum::serve(centre_listener, sandoq_central::http::app(state)).await;
    });
    let mut stations = Vec::new();
    for (agent, listener) in agents {
        let address = listener.local_addr()?;
        // `serve` runs the agent's background rounds with the centre too.
        tokio::spawn(async move {
            let _ = sandoq_station_agent::serve(agent, listener).await;
        });
        stations.push(address);
    }
    print_addresses(&training, centre, &stations, &data);

    if args.voters == 0 {
        if args.exit_when_done {
            return Ok(ExitCode::SUCCESS);
        }
        std::future::pending::<()>().await;
    }
    // Simulated voters, spread over the stations, each station one voter after another.
    let cast = Arc::new(AtomicU64::new(0));
    let mut days = Vec::new();
    for (i, (station, address)) in training.stations.iter().zip(&stations).enumerate() {
        let voters: Vec<_> = training
            .voters
            .iter()
            .take(args.voters as usize)
            .skip(i)
            .step_by(STATIONS)
            .copied()
            .collect();
        let chooser = Chooser::new(&training, shape.seats, shape.seed);
        days.push(tokio::spawn(polling_day::run_station(
            *address,
            station.clone(),
            voters,
            chooser,
            DEMO_PASSWORD.into(),
            Duration::from_millis(args.pace_ms),
            cast.clone(),
            true,
        )));
    }
    let progress = {
        let cast = cast.clone();
        let total = args.voters;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                eprintln!(
                    "sandoq demo: {} of {total} simulated voters have voted",
                    cast.load(Ordering::Relaxed)
                );
            }
        })
    };
    let mut failed = false;
    for day in days {
        match day.await {
            Ok(Ok(day)) => eprintln!(
                "sandoq demo: station {} closed: {} ballots, report {}",
                day.station,
                day.ballots.len(),
                if day.reported {
                    "accepted by the centre"
                } else {
                    "not yet acknowledged"
                }
            ),
            Ok(Err(e)) => {
                failed = true;
                eprintln!("sandoq demo: a station's simulated day stopped: {e}");
            }
            Err(e) => {
                failed = true;
                eprintln!("sandoq demo: a station's simulated day stopped: {e}");
            }
        }
    }
    progress.abort();
    println!(
        "done: every simulated voter has voted; results at http://{centre}/results/{}",
        id.0
    );
    if args.exit_when_done {
        return Ok(if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    std::future::pending::<()>().await;
    Ok(ExitCode::SUCCESS)
}

fn jalali(date: sandoq_registry::Date) -> String {
    date.jalali()
        .map(|(y, m, d)| format!("{y:04}/{m:02}/{d:02}"))
        .unwrap_or_default()
}

fn print_addresses(
    training: &Training,
    centre: SocketAddr,
    stations: &[SocketAddr],
    data: &std::path::Path,
) {
    let id = training.election.0;
    let c = format!("http://{centre}");
    println!(
        "sandoq demo — آموزشی / TRAINING election, polling day {} (today, Tehran)",
        jalali(training.polling_day)
    );
    println!(
        "the training day's clock started at 08:00 (Tehran) and runs from there; desks take voters until 18:00"
    );
    println!("ساعت روز آموزشی از ۸:۰۰ (به وقت تهران) آغاز شد و از همان‌جا پیش می‌رود؛ میزها تا ۱۸:۰۰ پذیرش می‌کنند");
    println!("data: {}", data.display());
    println!();
    println!("Headquarters / ستاد (the centre)");
    println!("  sign in / ورود                 {c}/sign-in");
    println!("  overview / نمای کلی           {c}/");
    println!("  election-day dashboard         {c}/dashboard/{id}");
    println!("  public results / نتایج         {c}/results/{id}");
    println!("  lists and candidates           {c}/elections/{id}/candidates");
    println!("  stations and devices           {c}/elections/{id}/stations");
    println!("  incidents                      {c}/elections/{id}/incidents");
    println!("  drills for station officials   {c}/elections/{id}/drills");
    println!("  public record (tar)            {c}/api/elections/{id}/record.tar");
    println!("  API description                {c}/api/openapi.json");
    for (station, address) in training.stations.iter().zip(stations) {
        let s = format!("http://{address}");
        println!();
        println!(
            "Station {} / شعبهٔ {} — {}",
            station.code, station.code, station.name_en
        );
        println!("  check-in desk / میز پذیرش      {s}/desk");
        println!("  ballot box / صندوق             {s}/box/1");
        println!("  station report / صورتجلسه     {s}/report");
        println!(
            "  officials                      {}",
            station.officials.join(", ")
        );
    }
    println!();
    println!("Sign-ins / ورود (password for every account: {DEMO_PASSWORD})");
    for person in &training.people {
        println!("  {:<20} {}", person.username, person.what_en);
    }
    println!();
    println!(
        "To try at a desk / برای آزمودن در میز پذیرش (opening needs the three officials signed in)"
    );
    for code in training.voters.iter().rev().take(5) {
        println!("  {code}  eligible / واجد شرایط");
    }
    for refused in &training.refused {
        println!(
            "  {}  {} / {}",
            refused.national_code, refused.why_en, refused.why_fa
        );
    }
    println!("ready");
}
