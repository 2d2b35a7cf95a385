//! `sandoq central …`: the central service from the command line. Until the
//! setup endpoints and pages exist (issue 3), headquarters sets an election up
//! with these commands; `serve` runs the HTTP API.

use crate::input_error;
use clap::Subcommand;
use sandoq_json::InputError;
use sandoq_store::{ElectionId, ElectionKind, ElectionSpec, OfflinePolicy, Store, StoreError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum Central {
    /// Runs the HTTP API (check-in by signed station devices, OpenAPI at /api/openapi.json).
    Serve {
        /// `sqlite://PATH` (default: ./sandoq-central.db) or `postgres://…`.
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Seconds added to the machine's clock: only for `sandoq simulate`, whose training day
        /// runs on its own clock (hidden; a live centre runs on the machine's clock).
        #[arg(long, default_value_t = 0, hide = true, allow_hyphen_values = true)]
        clock_offset: i64,
    },
    /// Creates an election.
    ///
    /// Example / نمونه:  sandoq central create-election --code tehran-1405 --name-fa "شورای شهر تهران" --name-en "Tehran City Council" --kind training
    CreateElection {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_fa: String,
        #[arg(long)]
        name_en: String,
        /// `live` or `training`.
        #[arg(long)]
        kind: String,
        #[arg(long, default_value_t = 21)]
        seats: u32,
        #[arg(long, default_value = "tehran-rey-tajrish")]
        constituency: String,
        /// Jalali YYYY/MM/DD or Gregorian YYYY-MM-DD.
        #[arg(long, default_value = "1405/02/11")]
        polling_day: String,
        /// Polling hours, Tehran time.
        #[arg(long, default_value = "08:00")]
        opens: String,
        #[arg(long, default_value = "18:00")]
        closes: String,
        /// `refuse` or `provisional`.
        #[arg(long, default_value = "refuse")]
        offline_policy: String,
        /// The rule set's options as JSON, e.g. '{"tie_break":"lot","lot_seed":"…"}' (defaults when absent).
        #[arg(long)]
        options: Option<String>,
        /// Voters check a printed slip that goes into a sealed box (voter-verified paper record).
        #[arg(long)]
        paper_record: bool,
    },
    /// Moves an election one step in its life: `setup` → `voting` (check-ins open; setup data
    /// frozen) → `closed`.
    ///
    /// Example / نمونه:  sandoq central set-status --election 1 --status voting
    SetStatus {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        /// `voting` or `closed`.
        #[arg(long)]
        status: String,
    },
    /// Writes the election record (docs/RECORD_FORMAT.md) into a new directory: the public part
    /// (definition, devices, officials' keys, every station report, the result) and, unless
    /// `--public-only`, the restricted part (every station's ballot records). `sandoq verify DIR`
    /// checks it.
    ///
    /// Example / نمونه:  sandoq central export-record --election 1 --out record-1405
    ExportRecord {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        #[arg(long)]
        out: PathBuf,
        /// Leave out the ballot records (what the public may download).
        #[arg(long)]
        public_only: bool,
    },
    /// Imports the registry of eligible voters from CSV (or a `.json` array of rows), all or nothing
    /// (see `sandoq synth-registry`).
    ImportRegistry {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        file: PathBuf,
    },
    /// The key ceremony (issue 18 §1): shows the roster and its seals; `--prepare K` prepares it
    /// (headquarters, before voting opens); `--sign USERNAME` seals it, and signs pending
    /// amendments, as that supervisor, whose password is read from standard input; `--amend` makes
    /// an amendment of the devices and officials added since the seal.
    ///
    /// Example / نمونه:  printf '%s' "$PASSWORD" | sandoq central roster --election 1 --sign supervisor-1
    Roster {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        #[arg(long, value_name = "K")]
        prepare: Option<usize>,
        #[arg(long, value_name = "USERNAME")]
        sign: Option<String>,
        #[arg(long)]
        amend: bool,
    },
    /// Creates a person who can sign in (the first headquarters account starts here). The password is
    /// read from standard input, never from the command line.
    ///
    /// Example / نمونه:  printf '%s' "$PASSWORD" | sandoq central create-user --username admin --role hq
    CreateUser {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        username: String,
        /// `hq`, `executive`, `supervisor`, `station` or `observer`.
        #[arg(long)]
        role: String,
        /// The area (executive) or station (station) the person is limited to.
        #[arg(long, default_value = "")]
        scope: String,
    },
    /// Sets the election definition (lists, candidates, independents; names in Persian and English)
    /// from JSON, checked by the counting rules; prints its content hash.
    ImportDefinition {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        file: PathBuf,
    },
    /// Imports counties and districts (`areas`), polling stations (`stations`), station devices
    /// (`devices`) or lists with their candidates (`candidates`) from CSV or JSON, all or nothing;
    /// every problem is listed with its row and column. Formats: ARCHITECTURE.md / sandoq-central::tables.
    ///
    /// Example / نمونه:  sandoq central import --election 1 --kind stations stations.csv
    Import {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        /// `areas`, `stations`, `devices` or `candidates`.
        #[arg(long)]
        kind: String,
        /// A `.csv` or `.json` file.
        file: PathBuf,
    },
    /// Revokes a lost or stolen station device: its signature is refused from then on (a running
    /// service notices within 30 seconds).
    RevokeDevice {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        #[arg(long)]
        device: i64,
    },
    /// Registers a station device and its Ed25519 public key (64 hex characters).
    RegisterDevice {
        #[arg(long, default_value = "sqlite://sandoq-central.db")]
        database: String,
        #[arg(long)]
        election: i64,
        #[arg(long)]
        station: String,
        /// `check_in_desk` or `ballot_box`.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        public_key: String,
    },
}

/// Prints every problem of a refused import (row and column first) and returns its exit code.
fn import_report(report: &sandoq_central::import::ImportReport) -> ExitCode {
    let details: Vec<InputError> = report
        .problems
        .iter()
        .map(|p| {
            let place = match p.column {
                Some(column) => format!("row {}, column {column}", p.row),
                None => format!("row {}", p.row),
            };
            InputError::new(p.code, p.en.clone(), p.fa.clone()).at(place)
        })
        .collect();
    let mut first = details
        .first()
        .cloned()
        .unwrap_or_else(|| InputError::new("bad_csv", "bad file", "پروندهٔ نادرست"));
    first.details = details;
    eprintln!(
        "{} problems in {} rows; nothing was imported / {} مشکل در {} ردیف؛ هیچ ردیفی وارد نشد",
        report.problems_found, report.rows, report.problems_found, report.rows
    );
    input_error(&first)
}

fn import_failure(failure: sandoq_central::tables::ImportFailure) -> ExitCode {
    match failure {
        sandoq_central::tables::ImportFailure::Report(report) => import_report(&report),
        sandoq_central::tables::ImportFailure::Store(error) => store_error(error),
    }
}

fn store_error(error: StoreError) -> ExitCode {
    match error {
        StoreError::Invalid { code, en, fa } => input_error(&InputError::new(code, en, fa)),
        StoreError::Database(message) => input_error(&InputError::new(
            "database_error",
            format!("the database failed: {message}"),
            format!("پایگاه داده خطا داد: {message}"),
        )),
    }
}

/// Opens the store, or the exit code of the error already printed.
async fn open_store(database: &str) -> Result<sandoq_central::AnyStore, ExitCode> {
    sandoq_central::open(database).await.map_err(store_error)
}

/// The election with this id, or the exit code of the error already printed.
async fn find_election(
    store: &sandoq_central::AnyStore,
    election: i64,
) -> Result<sandoq_store::Election, ExitCode> {
    match store.election(ElectionId(election)).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(usage(
            "unknown_election",
            format!("no election {election}"),
            format!("انتخابات {election} وجود ندارد"),
            "--election",
        )),
        Err(error) => Err(store_error(error)),
    }
}

fn usage(code: &'static str, en: String, fa: String, at: &str) -> ExitCode {
    input_error(&InputError::new(code, en, fa).at(at))
}

pub fn run(command: Central) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(command))
}

async fn run_async(command: Central) -> anyhow::Result<ExitCode> {
    let now = (sandoq_central::http::system_clock())();
    match command {
        Central::Serve {
            database,
            listen,
            clock_offset,
        } => {
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            println!(
                "sandoq central: listening on http://{} (OpenAPI: /api/openapi.json)",
                listener.local_addr()?
            );
            let clock = if clock_offset == 0 {
                sandoq_central::http::system_clock()
            } else {
                crate::day_clock::centre(clock_offset)
            };
            let state = sandoq_central::http::AppState::new(store, clock);
            sandoq_central::http::serve(listener, state).await?;
            Ok(ExitCode::SUCCESS)
        }
        Central::CreateElection {
            database,
            code,
            name_fa,
            name_en,
            kind,
            seats,
            constituency,
            polling_day,
            opens,
            closes,
            offline_policy,
            options,
            paper_record,
        } => {
            let options = match options
                .as_deref()
                .map(serde_json::from_str::<serde_json::Value>)
            {
                None => None,
                Some(Ok(value)) => Some(value),
                Some(Err(e)) => {
                    return Ok(usage(
                        "invalid_json",
                        format!("--options is not JSON: {e}"),
                        format!("--options JSON معتبر نیست: {e}"),
                        "--options",
                    ))
                }
            };
            let rules = match sandoq_central::setup::rules(None, options.as_ref()) {
                Ok(rules) => rules,
                Err(StoreError::Invalid { code, en, fa }) => {
                    return Ok(usage(code, en, fa, "--options"))
                }
                Err(error) => return Ok(store_error(error)),
            };
            let hours = match sandoq_store::PollingHours::parse(&opens, &closes) {
                Ok(hours) => hours,
                Err(StoreError::Invalid { code, en, fa }) => {
                    return Ok(usage(code, en, fa, "--opens/--closes"))
                }
                Err(error) => return Ok(store_error(error)),
            };
            let Some(kind) = ElectionKind::from_name(&kind) else {
                return Ok(usage(
                    "unknown_election_kind",
                    format!("unknown kind {kind:?} (live or training)"),
                    format!("نوع ناشناخته {kind:?} (live یا training)"),
                    "--kind",
                ));
            };
            let Some(offline_policy) = OfflinePolicy::from_name(&offline_policy) else {
                return Ok(usage(
                    "unknown_offline_policy",
                    format!("unknown offline policy {offline_policy:?} (refuse or provisional)"),
                    format!("سیاست برون‌خط ناشناخته {offline_policy:?} (refuse یا provisional)"),
                    "--offline-policy",
                ));
            };
            let polling_day = match sandoq_registry::Date::parse(&polling_day) {
                Ok(date) => date,
                Err(error) => return Ok(usage(error.code, error.en, error.fa, "--polling-day")),
            };
            if seats == 0 {
                return Ok(usage(
                    "zero_seats",
                    "seats must be at least 1".into(),
                    "تعداد کرسی‌ها باید دست‌کم ۱ باشد".into(),
                    "--seats",
                ));
            }
            let spec = ElectionSpec {
                code,
                name_fa,
                name_en,
                kind,
                seats,
                constituency,
                polling_day,
                hours,
                offline_policy,
                rules,
                paper_record,
            };
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            match store.create_election(&spec, "cli", now).await {
                Ok(id) => {
                    println!(
                        "{}",
                        serde_json::json!({"election": id.0, "code": spec.code, "kind": spec.kind.name()})
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(store_error(error)),
            }
        }
        Central::SetStatus {
            database,
            election,
            status,
        } => {
            let Some(to) = sandoq_store::ElectionStatus::from_name(&status) else {
                return Ok(usage(
                    "unknown_status",
                    format!("unknown status {status:?} (voting or closed)"),
                    format!("وضعیت ناشناخته {status:?} (voting یا closed)"),
                    "--status",
                ));
            };
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            let found = match find_election(&store, election).await {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let moved = sandoq_central::roster::advance(&store, &found, to, "cli", now)
                .await
                .map_err(|e| sandoq_store::StoreError::invalid(e.code, e.en, e.fa));
            match moved {
                Ok(()) => {
                    println!(
                        "{}",
                        serde_json::json!({"election": election, "status": to.name()})
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(store_error(error)),
            }
        }
        Central::ExportRecord {
            database,
            election,
            out,
            public_only,
        } => {
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            let found = match find_election(&store, election).await {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let input = match sandoq_central::record::input(&store, &found, !public_only).await {
                Ok(input) => input,
                Err(error) => return Ok(store_error(error)),
            };
            match sandoq_record::write(&out, &input) {
                Ok(manifest) => {
                    println!(
                        "{}",
                        serde_json::json!({"record": out.display().to_string(),
                            "stations_reported": manifest["stations"]["reported"].as_array().map_or(0, Vec::len),
                            "stations_missing": manifest["stations"]["missing"].as_array().map_or(0, Vec::len),
                            "reports_root": manifest["reports_root"]})
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Ok(input_error(&InputError::new(
                    "record_not_written",
                    format!("the record was not written: {e}"),
                    format!("سابقه نوشته نشد: {e}"),
                ))),
            }
        }
        Central::ImportRegistry {
            database,
            election,
            file,
        } => {
            let input = match std::fs::File::open(&file) {
                Ok(input) => input,
                Err(e) => {
                    return Ok(input_error(&InputError::new(
                        "read_failed",
                        format!("cannot read {}: {e}", file.display()),
                        format!("خواندن {} ممکن نشد: {e}", file.display()),
                    )))
                }
            };
            let parsed = if file.extension().and_then(|e| e.to_str()) == Some("json") {
                let mut bytes = Vec::new();
                match std::io::Read::read_to_end(&mut { input }, &mut bytes) {
                    Ok(_) => sandoq_central::import::parse_registry_json(&bytes),
                    Err(e) => {
                        return Ok(input_error(&InputError::new(
                            "read_failed",
                            format!("cannot read {}: {e}", file.display()),
                            format!("خواندن {} ممکن نشد: {e}", file.display()),
                        )))
                    }
                }
            } else {
                sandoq_central::import::parse_registry_csv(input)
            };
            let voters = match parsed {
                Ok(voters) => voters,
                Err(report) => return Ok(import_report(&report)),
            };
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            match find_election(&store, election).await {
                Ok(found) => {
                    if let Err(error) = sandoq_central::setup::require_setup(&found) {
                        return Ok(store_error(error));
                    }
                }
                Err(code) => return Ok(code),
            };
            match store
                .import_voters(ElectionId(election), &voters, "cli", now)
                .await
            {
                Ok(n) => {
                    println!("{}", serde_json::json!({"imported": n}));
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(store_error(error)),
            }
        }
        Central::ImportDefinition {
            database,
            election,
            file,
        } => {
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(e) => {
                    return Ok(input_error(&InputError::new(
                        "read_failed",
                        format!("cannot read {}: {e}", file.display()),
                        format!("خواندن {} ممکن نشد: {e}", file.display()),
                    )))
                }
            };
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            let spec = match find_election(&store, election).await {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            if let Err(error) = sandoq_central::setup::require_setup(&spec) {
                return Ok(store_error(error));
            }
            let definition = match sandoq_central::definition::parse(&bytes, spec.spec.seats) {
                Ok(definition) => definition,
                Err(error) => return Ok(input_error(&error)),
            };
            let canonical = definition.canonical();
            let hash = sandoq_central::definition::content_hash(&canonical);
            match store
                .set_definition(ElectionId(election), &canonical, &hash, "cli", now)
                .await
            {
                Ok(()) => {
                    println!(
                        "{}",
                        serde_json::json!({"election": election, "hash": hash})
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(store_error(error)),
            }
        }
        Central::Roster {
            database,
            election,
            prepare,
            sign,
            amend,
        } => {
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            let found = match find_election(&store, election).await {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let as_store_error =
                |e: sandoq_central::http::AppError| StoreError::invalid(e.code, e.en, e.fa);
            if let Some(k) = prepare {
                if let Err(e) = sandoq_central::roster::prepare(&store, &found, k, "cli", now).await
                {
                    return Ok(store_error(as_store_error(e)));
                }
            }
            if amend {
                if let Err(e) = sandoq_central::roster::amend(&store, &found, "cli", now).await {
                    return Ok(store_error(as_store_error(e)));
                }
            }
            if let Some(username) = sign {
                let mut password = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut password)?;
                let password = password.trim_end_matches(['\n', '\r']);
                let user = match store.user_by_name(&username).await {
                    Ok(Some(user)) if user.role == sandoq_store::Role::Supervisor => user,
                    Ok(_) => {
                        return Ok(store_error(StoreError::invalid(
                            "not_a_supervisor",
                            format!("{username} is not a supervisor"),
                            format!("{username} ناظر نیست"),
                        )))
                    }
                    Err(e) => return Ok(store_error(e)),
                };
                if let Err(e) =
                    sandoq_central::roster::sign(&store, found.id, &user, password, now).await
                {
                    return Ok(store_error(as_store_error(e)));
                }
            }
            match sandoq_central::roster::ceremony(&store, found.id).await {
                Ok(ceremony) => {
                    let mut shown = ceremony.json();
                    // The roster's text is long; its hash and state are what a person reads here.
                    if let Some(roster) = shown["roster"].as_object_mut() {
                        roster.remove("text");
                    }
                    println!("{shown}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Ok(store_error(as_store_error(e))),
            }
        }
        Central::CreateUser {
            database,
            username,
            role,
            scope,
        } => {
            let Some(role) = sandoq_store::Role::from_name(&role) else {
                return Ok(usage(
                    "unknown_role",
                    format!("unknown role {role:?}"),
                    format!("نقش ناشناخته {role:?}"),
                    "--role",
                ));
            };
            let mut password = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            if let Err(error) =
                sandoq_central::setup::check_new_user(&username, role, &scope, password)
            {
                return Ok(store_error(error));
            }
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            match sandoq_central::http::people::store_user(
                &store, &username, role, &scope, password, "cli", now,
            )
            .await
            {
                Ok(id) => {
                    println!(
                        "{}",
                        serde_json::json!({"user": id.0, "username": username, "role": role.name()})
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(input_error(&InputError::new(
                    error.code, error.en, error.fa,
                ))),
            }
        }
        Central::Import {
            database,
            election,
            kind,
            file,
        } => {
            let format = match file.extension().and_then(|e| e.to_str()) {
                Some("csv") => sandoq_central::tables::Format::Csv,
                Some("json") => sandoq_central::tables::Format::Json,
                _ => {
                    return Ok(usage(
                        "unknown_file_type",
                        format!("{} must end in .csv or .json", file.display()),
                        format!("{} باید پسوند .csv یا .json داشته باشد", file.display()),
                        "FILE",
                    ))
                }
            };
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(e) => {
                    return Ok(input_error(&InputError::new(
                        "read_failed",
                        format!("cannot read {}: {e}", file.display()),
                        format!("خواندن {} ممکن نشد: {e}", file.display()),
                    )))
                }
            };
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            let found = match find_election(&store, election).await {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let allowed = if kind == "devices" {
                sandoq_central::setup::require_not_closed(&found)
            } else {
                sandoq_central::setup::require_setup(&found)
            };
            if let Err(error) = allowed {
                return Ok(store_error(error));
            }
            let id = ElectionId(election);
            use sandoq_central::tables;
            let done = match kind.as_str() {
                "areas" => tables::import_areas(&store, id, &bytes, format, "cli", now)
                    .await
                    .map(|n| serde_json::json!({"imported": n})),
                "stations" => tables::import_stations(&store, id, &bytes, format, "cli", now)
                    .await
                    .map(|n| serde_json::json!({"imported": n})),
                "devices" => tables::import_devices(&store, id, &bytes, format, "cli", now)
                    .await
                    .map(|ids| serde_json::json!({"imported": ids.len()})),
                "candidates" => match tables::parse_candidates(&bytes, format, found.spec.seats) {
                    Ok(definition) => {
                        let canonical = definition.canonical();
                        let hash = sandoq_central::definition::content_hash(&canonical);
                        store
                            .set_definition(id, &canonical, &hash, "cli", now)
                            .await
                            .map(|()| serde_json::json!({"hash": hash}))
                            .map_err(tables::ImportFailure::Store)
                    }
                    Err(failure) => Err(failure),
                },
                _ => {
                    return Ok(usage(
                        "unknown_import",
                        format!("unknown kind {kind:?} (areas, stations, devices, candidates)"),
                        format!("نوع ناشناخته {kind:?} (areas، stations، devices، candidates)"),
                        "--kind",
                    ))
                }
            };
            match done {
                Ok(answer) => {
                    println!("{answer}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(failure) => Ok(import_failure(failure)),
            }
        }
        Central::RevokeDevice {
            database,
            election,
            device,
        } => {
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            if let Err(code) = find_election(&store, election).await {
                return Ok(code);
            }
            match store
                .revoke_device(
                    ElectionId(election),
                    sandoq_store::DeviceId(device),
                    "cli",
                    now,
                )
                .await
            {
                Ok(true) => {
                    println!(
                        "{}",
                        serde_json::json!({"election": election, "device": device, "status": "revoked"})
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Ok(false) => Ok(input_error(&InputError::new(
                    "no_active_device",
                    "this election has no active device with that id",
                    "این انتخابات دستگاه فعالی با این شناسه ندارد",
                ))),
                Err(error) => Ok(store_error(error)),
            }
        }
        Central::RegisterDevice {
            database,
            election,
            station,
            kind,
            public_key,
        } => {
            let store = match open_store(&database).await {
                Ok(store) => store,
                Err(code) => return Ok(code),
            };
            match find_election(&store, election).await {
                Ok(found) => {
                    if let Err(error) = sandoq_central::setup::require_not_closed(&found) {
                        return Ok(store_error(error));
                    }
                }
                Err(code) => return Ok(code),
            };
            // One device is a one-row import: the same checks as a file (known station, kind, key).
            let row =
                serde_json::json!([{"station": station, "kind": kind, "public_key": public_key}]);
            match sandoq_central::tables::import_devices(
                &store,
                ElectionId(election),
                row.to_string().as_bytes(),
                sandoq_central::tables::Format::Json,
                "cli",
                now,
            )
            .await
            {
                Ok(ids) => {
                    println!(
                        "{}",
                        serde_json::json!({"device": ids.first().map(|d| d.0), "station": station, "kind": kind})
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(failure) => Ok(import_failure(failure)),
            }
        }
    }
}
