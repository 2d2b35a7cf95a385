//! `sandoq`: the command-line entry point. Thin by design: it reads files,
//! calls the library crates and maps outcomes to the exit codes of
//! CLI_CONTRACTS.md (0 success, 1 error, 2 bad usage, 3 drawing of lots
//! required, 4 verification failed).

mod bench;
mod bench_results;
mod bench_station;
mod bench_verify;
mod central;
mod day_clock;
mod demo;
mod report;
mod simulate;
mod station;
mod synth;

use clap::{Parser, Subcommand, ValueEnum};
use sandoq_apportion::ApportionError;
use sandoq_count::{compute, succession, SuccessionError, TallyStop};
use sandoq_i18n::Lang;
use sandoq_json::{apportion as apportion_json, jsonl, tally as tally_json, InputError};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const EXIT_ERROR: u8 = 1;
const EXIT_LOTS: u8 = 3;

#[derive(Parser)]
#[command(
    name = "sandoq",
    version,
    about = "sandoq (صندوق): a fully electronic proportional (list) election, end to end",
    long_about = "sandoq (صندوق, \"ballot box\") runs a proportional list election end to end.\n\
                  Every count is exact (integers and rationals); ties are never decided silently.\n\n\
                  Exit codes: 0 success, 1 error, 2 bad usage, 3 drawing of lots required, 4 verification failed."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Fa,
    En,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::Fa => Lang::Fa,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// The whole system on this machine: the centre and three polling stations (desk and ballot
    /// box each) with a training election shaped like Tehran's; prints every page's address and
    /// the demo sign-ins. `--voters N` streams simulated voters through the real flow.
    ///
    /// Example / نمونه:  sandoq demo --voters 300
    Demo(demo::DemoArgs),
    /// A whole election day on synthetic data through the real services (check-in, token, ballot
    /// box, close, report, aggregation, record, verify), with its own ground truth; a JSON summary
    /// with --json. Reproducible from --seed. Exit 1 if an invariant fails.
    ///
    /// Example / نمونه:  sandoq simulate --voters 20000 --stations 50 --seed 7 --out /tmp/record --json
    Simulate(simulate::SimulateArgs),
    /// Generic seat allocation by a named method (hare, droop, dhondt, sainte_lague, huntington_hill, ...).
    ///
    /// Example / نمونه:  echo '{"method":"dhondt","seats":5,"votes":{"الف":600,"ب":300}}' | sandoq apportion
    Apportion {
        /// The request (JSON); `-` or nothing reads standard input.
        file: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Language of the text report (Persian by default).
        #[arg(long, value_enum, default_value = "fa")]
        lang: LangArg,
    },
    /// The Tehran rule set (tehran-1405) on one constituency: votes, seats, elected members, alternates.
    ///
    /// Example / نمونه:  sandoq tally testdata/tally/worked_example.json --format text --lang fa
    Tally {
        /// The election (JSON); `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// Stream ballots from this JSONL file (one ballot per line; `-` for standard input); the election file then holds none.
        #[arg(long)]
        ballots: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Language of the text report (Persian by default).
        #[arg(long, value_enum, default_value = "fa")]
        lang: LangArg,
        /// Worker threads for --ballots (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// Print the peak memory of this process to standard error at the end.
        #[arg(long, hide = true)]
        report_memory: bool,
    },
    /// Writes a synthetic election shaped like Tehran's and its ballots as JSONL (for tests and benchmarks).
    Synth {
        /// Where to write the election file.
        #[arg(long)]
        election: PathBuf,
        /// Where to write the ballots (JSONL).
        #[arg(long)]
        ballots: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The central service of election headquarters: serve the API, set an election up.
    #[command(subcommand)]
    Central(central::Central),
    /// The polling station agent: serves the check-in desk and the ballot boxes on this computer,
    /// keeping everything in its data directory and working while the centre is unreachable.
    /// `init` and `status` prepare and inspect a data directory by hand.
    ///
    /// Example / نمونه:  sandoq station --central http://10.0.0.1:8080 --station 1203 --data /var/lib/sandoq
    Station(station::StationArgs),
    /// Re-checks an election record (`sandoq central export-record`): every signature, hash and
    /// commitment, the sums, and the seats recomputed from scratch; the ballot records too when the
    /// restricted part is there. Exit 0 with a summary, or 4 with every problem found.
    ///
    /// `--roster SHA256`: the roster hash published before polling day; the record's sealed roster
    /// must hash to it, and every report, co-signature, amendment and closing signature chains to
    /// it. `--paper FILE` (repeatable): the scanned QR payloads of one station's posted minutes, one
    /// a line (`SQR1 i/n …`); the record must hold exactly that report.
    ///
    /// Example / نمونه:  sandoq verify record-1405 --roster 3f2a… --paper station-1203.txt
    Verify {
        dir: PathBuf,
        #[arg(long, value_name = "SHA256")]
        roster: Option<String>,
        #[arg(long = "paper", value_name = "FILE")]
        paper: Vec<PathBuf>,
    },
    /// Writes a synthetic registry of eligible voters as CSV (valid national codes; synthetic data only).
    ///
    /// Example / نمونه:  sandoq synth-registry --voters 7000000 --out registry.csv
    SynthRegistry {
        #[arg(long, default_value_t = 10_000)]
        voters: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Polling day, Jalali YYYY/MM/DD or Gregorian YYYY-MM-DD (ages are spread before it).
        #[arg(long, default_value = "1405/02/11")]
        polling_day: String,
        #[arg(long, default_value = "tehran-rey-tajrish")]
        constituency: String,
        /// Where to write the CSV; `-` or nothing for standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Measures importing a synthetic registry (generate, parse and check, store) and prints the figures.
    BenchRegistry {
        #[arg(long, default_value_t = 7_000_000)]
        voters: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The store: `postgres://…`, or a fresh SQLite file in a temporary directory when omitted.
        #[arg(long)]
        database: Option<String>,
    },
    /// Measures check-ins through the store (no HTTP yet) against bare INSERTs into the same database.
    BenchCheckIn {
        #[arg(long, default_value_t = 20_000)]
        check_ins: u64,
        /// Stations checking in at the same time.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// The store: `postgres://…`, or a fresh SQLite file in a temporary directory when omitted.
        #[arg(long)]
        database: Option<String>,
    },
    /// Measures check-ins over HTTP: starts `sandoq central serve` as a separate process and drives it
    /// with signed requests over keep-alive connections; baseline: bare INSERTs into the same database.
    BenchHttp {
        #[arg(long, default_value_t = 30_000)]
        check_ins: u64,
        /// Connections (stations) sending at the same time.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// The store: `postgres://…`, or a fresh SQLite file in a temporary directory when omitted.
        #[arg(long)]
        database: Option<String>,
    },
    /// Casts ballots into a ballot box file until killed, printing each id once durable (the crash test's tool).
    #[command(hide = true)]
    StationDrill {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measures casting into the ballot box file (validate, sign, durable write) against bare
    /// 512-byte writes with fdatasync, and the memory after N ballots (see BENCHMARKS.md).
    BenchBallotBox {
        #[arg(long, default_value_t = 5000)]
        ballots: u64,
    },
    /// Measures the station agent in its own process: voters checked in and voting over HTTP one
    /// after another; cast-to-confirmed latency against bare fdatasync'd writes, and the agent's
    /// memory after the ballots (see BENCHMARKS.md).
    BenchStation {
        #[arg(long, default_value_t = 5000)]
        ballots: u64,
    },
    /// Measures accepting station reports and serving the results page meanwhile (see BENCHMARKS.md).
    BenchResults {
        #[arg(long, default_value_t = 5000)]
        stations: u64,
    },
    /// Measures `sandoq verify` on a generated Tehran-scale election record (see BENCHMARKS.md).
    BenchVerify {
        #[arg(long, default_value_t = 5000)]
        stations: u64,
        #[arg(long, default_value_t = 3_500_000)]
        ballots: u64,
    },
    /// Measures counting speed at Tehran scale and prints the figures (see BENCHMARKS.md).
    Bench {
        /// Ballots to count.
        #[arg(long, default_value_t = 5_000_000)]
        ballots: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory for the generated JSONL files (default: a temporary directory, removed after).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Skip the JSONL streaming part.
        #[arg(long)]
        memory_only: bool,
    },
}

/// mimalloc instead of glibc's malloc: the polling day allocates and frees
/// millions of small buffers across threads, and glibc's arena consolidation
/// was ~15 % of the Tehran-scale profile (see BENCHMARKS.md, sessions 9–10).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Apportion { file, format, lang } => run_apportion(file, format, lang.into()),
        Command::Tally {
            file,
            ballots,
            format,
            lang,
            threads,
            report_memory,
        } => {
            let code = run_tally(file, ballots, format, lang.into(), threads);
            if report_memory {
                eprintln!("peak_memory_kib {}", bench::peak_memory_kib().unwrap_or(0));
            }
            code
        }
        Command::Synth {
            election,
            ballots,
            count,
            seed,
        } => synth::write_files(&election, &ballots, count, seed).map(|()| ExitCode::SUCCESS),
        Command::SynthRegistry {
            voters,
            seed,
            polling_day,
            constituency,
            out,
        } => synth_registry(voters, seed, &polling_day, &constituency, out),
        Command::BenchRegistry {
            voters,
            seed,
            database,
        } => bench::run_registry(voters, seed, database).map(|()| ExitCode::SUCCESS),
        Command::BenchCheckIn {
            check_ins,
            concurrency,
            database,
        } => bench::run_check_in(check_ins, concurrency, database).map(|()| ExitCode::SUCCESS),
        Command::Central(command) => central::run(command),
        Command::Demo(args) => demo::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::BenchHttp {
            check_ins,
            connections,
            database,
        } => bench::run_http(check_ins, connections, database).map(|()| ExitCode::SUCCESS),
        Command::StationDrill { dir, seed } => station::drill(&dir, seed),
        Command::Station(args) => station::run(args),
        Command::Verify { dir, roster, paper } => run_verify(&dir, roster.as_deref(), &paper),
        Command::BenchResults { stations } => {
            bench_results::run(stations).map(|()| ExitCode::SUCCESS)
        }
        Command::BenchVerify { stations, ballots } => {
            bench_verify::run(stations, ballots).map(|()| ExitCode::SUCCESS)
        }
        Command::BenchStation { ballots } => {
            bench_station::run(ballots).map(|()| ExitCode::SUCCESS)
        }
        Command::BenchBallotBox { ballots } => {
            bench::run_ballot_box(ballots).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench {
            ballots,
            seed,
            dir,
            memory_only,
        } => bench::run(ballots, seed, dir, memory_only).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            eprintln!("خطا: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn synth_registry(
    voters: u64,
    seed: u64,
    polling_day: &str,
    constituency: &str,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let polling_day = match sandoq_registry::Date::parse(polling_day) {
        Ok(date) => date,
        Err(error) => {
            return Ok(input_error(
                &InputError::new(error.code, error.en, error.fa).at("--polling-day"),
            ))
        }
    };
    match out {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::create(&path)?;
            sandoq_central::import::write_synthetic_registry(
                file,
                voters,
                seed,
                polling_day,
                constituency,
            )?;
        }
        _ => sandoq_central::import::write_synthetic_registry(
            std::io::stdout().lock(),
            voters,
            seed,
            polling_day,
            constituency,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

fn read_input(file: &Option<PathBuf>) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    match file {
        Some(path) if path.as_os_str() != "-" => {
            bytes = std::fs::read(path).map_err(|e| {
                InputError::new(
                    "read_failed",
                    format!("cannot read {}: {e}", path.display()),
                    format!("خواندن {} ممکن نشد: {e}", path.display()),
                )
            })?;
        }
        _ => {
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| {
                InputError::new(
                    "read_failed",
                    format!("cannot read standard input: {e}"),
                    format!("خواندن ورودی استاندارد ممکن نشد: {e}"),
                )
            })?;
        }
    }
    Ok(bytes)
}

/// Prints an input error in English and Persian, with its stable code, and exits 1.
pub(crate) fn input_error(error: &InputError) -> ExitCode {
    let problems: Vec<&InputError> = if error.details.is_empty() {
        vec![error]
    } else {
        error.details.iter().collect()
    };
    let mut stderr = std::io::stderr().lock();
    for problem in problems {
        let at = problem
            .at
            .as_deref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        let _ = writeln!(stderr, "error[{}]{}: {}", problem.code, at, problem.en);
        let _ = writeln!(stderr, "خطا[{}]{}: {}", problem.code, at, problem.fa);
    }
    ExitCode::from(EXIT_ERROR)
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

/// Exit code of a verification that found problems (CLI_CONTRACTS.md).
const EXIT_VERIFY: u8 = 4;

fn run_verify(
    dir: &std::path::Path,
    roster: Option<&str>,
    paper: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let mut last = String::new();
    let mut progress = |what: &str, done: usize, total: usize| {
        if !terminal || total == 0 {
            return;
        }
        let width = 30;
        let filled = done * width / total;
        let line = format!(
            "\r{what:<8} [{}{}] {done}/{total}",
            "#".repeat(filled),
            ".".repeat(width - filled)
        );
        if line != last {
            eprint!("{line}");
            last = line;
        }
    };
    let outcome = sandoq_record::verify_against(dir, roster, &mut progress);
    if terminal {
        eprintln!();
    }
    let (paper_problems, paper_checked) = check_paper(dir, paper);
    let outcome = match outcome {
        Ok(_) if !paper_problems.is_empty() => Err(paper_problems),
        Err(mut problems) => {
            problems.extend(paper_problems);
            Err(problems)
        }
        ok => ok,
    };
    match outcome {
        Ok(summary) => {
            print_json(&serde_json::json!({
                "verified": true,
                "final": summary.final_result,
                "roster_sha256": summary.roster_sha256,
                "election": summary.election,
                "training": summary.training,
                "checked": {
                    "public": true,
                    "restricted": summary.restricted_checked,
                },
                "stations_reported": summary.stations_reported,
                "stations_missing": summary.stations_missing,
                "ballots": summary.ballots,
                "ballot_records_checked": summary.ballot_records,
                "seats": summary.seats,
                "paper_checked": paper_checked,
            }))?;
            if summary.training {
                eprintln!(
                    "آموزشی / TRAINING — this record is of a training election, not a real one"
                );
                eprintln!("آموزشی / TRAINING — این پرونده از آنِ انتخاباتی آموزشی است، نه واقعی");
            }
            if !summary.restricted_checked {
                eprintln!("the restricted part (ballot records) is not here: the public part alone was checked");
                eprintln!("بخش محرمانه (برگ‌ها) در این پوشه نیست: فقط بخش همگانی بررسی شد");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            print_json(&serde_json::json!({
                "verified": false,
                "problems": problems.iter().map(|p| serde_json::json!({
                    "file": p.file, "code": p.code, "en": p.en, "fa": p.fa,
                })).collect::<Vec<_>>(),
            }))?;
            for p in &problems {
                eprintln!("error[{}] {}: {}", p.code, p.file, p.en);
                eprintln!("خطا[{}] {}: {}", p.code, p.file, p.fa);
            }
            Ok(ExitCode::from(EXIT_VERIFY))
        }
    }
}

/// The posted minutes given with `--paper` (issue 18 §4), each read up to its cap: the problems
/// and the stations whose report the record holds exactly.
fn check_paper(
    dir: &std::path::Path,
    paper: &[PathBuf],
) -> (Vec<sandoq_record::Problem>, Vec<String>) {
    let mut problems = Vec::new();
    let mut papers = Vec::new();
    for path in paper {
        match sandoq_record::paper::read_paper_file(path) {
            Ok(bytes) => papers.push((path.display().to_string(), bytes)),
            Err(problem) => problems.push(problem),
        }
    }
    let (mut found, checked) = sandoq_record::paper::check_paper(dir, &papers);
    problems.append(&mut found);
    (problems, checked)
}

fn lots_required(ties: &[sandoq_apportion::LotsRequired]) -> anyhow::Result<ExitCode> {
    print_json(&apportion_json::lots_required_json(ties))?;
    eprintln!("error[drawing_of_lots_required]: a tie decides a seat; a drawing of lots is required (see stdout)");
    eprintln!("خطا[drawing_of_lots_required]: تساوی‌ای کرسی را تعیین می‌کند؛ قرعه‌کشی لازم است (خروجی را ببینید)");
    Ok(ExitCode::from(EXIT_LOTS))
}

fn run_apportion(file: Option<PathBuf>, format: Format, lang: Lang) -> anyhow::Result<ExitCode> {
    let bytes = match read_input(&file) {
        Ok(bytes) => bytes,
        Err(error) => return Ok(input_error(&error)),
    };
    let request = match apportion_json::parse_request(&bytes) {
        Ok(request) => request,
        Err(error) => return Ok(input_error(&error)),
    };
    match sandoq_apportion::apportion(&request) {
        Ok(outcome) => {
            match format {
                Format::Json => print_json(&apportion_json::render(&request, &outcome))?,
                Format::Text => print!("{}", report::apportion_text(&request, &outcome, lang)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ApportionError::LotsRequired(lots)) => lots_required(&[lots]),
        Err(ApportionError::Invalid { code, en, fa }) => {
            Ok(input_error(&InputError::new(code, en, fa)))
        }
    }
}

fn run_tally(
    file: Option<PathBuf>,
    ballots: Option<PathBuf>,
    format: Format,
    lang: Lang,
    threads: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let bytes = match read_input(&file) {
        Ok(bytes) => bytes,
        Err(error) => return Ok(input_error(&error)),
    };
    let election = match tally_json::parse_election(&bytes) {
        Ok(election) => election,
        Err(error) => return Ok(input_error(&error)),
    };
    let tally = match &ballots {
        Some(path) => {
            if election.holds_ballots() {
                return Ok(input_error(&InputError::new(
                    "ballots_in_two_places",
                    "with --ballots the election file must hold no ballots or ballot_counts",
                    "با --ballots پروندهٔ انتخابات نباید برگ رأی یا ballot_counts داشته باشد",
                )));
            }
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let excess = election.rules.excess_candidates;
            if path.as_os_str() == "-" {
                if file.as_ref().is_none_or(|f| f.as_os_str() == "-") {
                    return Ok(input_error(&InputError::new(
                        "two_inputs_on_stdin",
                        "--ballots - reads standard input, so the election must come from a file",
                        "--ballots - از ورودی استاندارد می‌خواند، پس پروندهٔ انتخابات باید از پرونده بیاید",
                    )));
                }
                jsonl::count_jsonl(&election.contest, excess, std::io::stdin().lock(), threads)
            } else {
                match std::fs::File::open(path) {
                    Ok(ballots) => jsonl::count_jsonl(&election.contest, excess, ballots, threads),
                    Err(e) => {
                        return Ok(input_error(&InputError::new(
                            "read_failed",
                            format!("cannot read {}: {e}", path.display()),
                            format!("خواندن {} ممکن نشد: {e}", path.display()),
                        )))
                    }
                }
            }
        }
        None => tally_json::count_embedded(&election),
    };
    let tally = match tally {
        Ok(tally) => tally,
        Err(error) => return Ok(input_error(&error)),
    };
    let result = match compute(&election.contest, &tally, &election.rules) {
        Ok(result) => result,
        Err(TallyStop::LotsRequired(ties)) => return lots_required(&ties),
        Err(TallyStop::Overflow) => {
            return Ok(input_error(&InputError::new(
                "count_overflow",
                "the counts add up to more than 2^64",
                "مجموع شمارش از ۲ به توان ۶۴ بیشتر است",
            )))
        }
        Err(TallyStop::Invalid { code, en, fa }) => {
            return Ok(input_error(&InputError::new(code, en, fa)))
        }
    };
    let successions = match succession(&election.contest, &result, &election.vacancies, &election.rules.ties) {
        Ok(steps) => steps,
        Err(SuccessionError::LotsRequired(tie)) => return lots_required(&[tie]),
        Err(SuccessionError::NotAMember { code }) => {
            return Ok(input_error(
                &InputError::new(
                    "not_a_member",
                    format!("{code} is not a sitting member of the council (never elected, or already left)"),
                    format!("{code} عضو کنونی شورا نیست (انتخاب نشده یا پیش‌تر رفته است)"),
                )
                .at("vacancies"),
            ))
        }
    };
    match format {
        Format::Json => print_json(&tally_json::render(
            &election.contest,
            &result,
            &successions,
        ))?,
        Format::Text => print!(
            "{}",
            report::tally_text(&election.contest, &result, &successions, lang)
        ),
    }
    Ok(ExitCode::SUCCESS)
}
