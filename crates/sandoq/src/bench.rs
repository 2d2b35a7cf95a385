//! `sandoq bench`: counting speed at Tehran scale, measured against a baseline
//! taken in the same run (BENCHMARKS.md). Figures only; nothing here asserts a time.

use crate::synth;
use anyhow::Context;
use sandoq_count::{BallotBatch, Tally};
use sandoq_store::ElectionStatus;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Peak resident memory of this process (VmHWM), in KiB, where /proc tells it.
pub fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn rate(n: u64, time: Duration) -> String {
    let per_second = u128::from(n) * 1_000_000 / time.as_micros().max(1);
    sandoq_i18n::group_thousands(per_second)
}

pub fn run(
    n_ballots: u64,
    seed: u64,
    dir: Option<PathBuf>,
    memory_only: bool,
) -> anyhow::Result<()> {
    let definition = synth::tehran_shaped();
    let contest = definition
        .validate()
        .map_err(|p| anyhow::anyhow!("synthetic definition invalid: {}", p[0].en))?;
    println!("sandoq bench: {} ballots, 21 seats, 12 lists × 21 candidates, 300 independents, seed {seed}", sandoq_i18n::group_thousands(n_ballots));
    let mut rng = synth::Rng::new(seed);
    let mut batch = BallotBatch::with_capacity(n_ballots as usize, (n_ballots as usize) * 5);
    for _ in 0..n_ballots {
        batch.push(synth::ballot(&mut rng).as_vote());
    }
    println!(
        "ballot data in memory: {} words ({} MiB)",
        batch.words(),
        (batch.words() * 4) >> 20
    );
    let runs = 7;
    let mut baseline = Vec::new();
    let mut counting = Vec::new();
    let mut checksum = 0u64;
    let mut tally = Tally::new(&contest);
    for _ in 0..runs {
        let start = Instant::now();
        checksum = checksum.wrapping_add(std::hint::black_box(batch.plain_sum()));
        baseline.push(start.elapsed());
        let start = Instant::now();
        tally = Tally::new(&contest);
        batch.count_into(&mut tally);
        std::hint::black_box(&tally);
        counting.push(start.elapsed());
    }
    let cast = tally
        .ballots()
        .map_err(|_| anyhow::anyhow!("overflow"))?
        .cast;
    anyhow::ensure!(cast == n_ballots, "counted {cast} ballots of {n_ballots}");
    let (baseline, counting) = (median(baseline), median(counting));
    println!("in memory, median of {runs} runs (checksum {checksum}):");
    println!(
        "  plain pass summing the ballot data (baseline): {:>9.3?}",
        baseline
    );
    println!("  counting the same ballots (sandoq-count):      {:>9.3?}  = {}.{:02}× the baseline, {} ballots/s",
        counting,
        counting.as_nanos() / baseline.as_nanos().max(1),
        (counting.as_nanos() * 100 / baseline.as_nanos().max(1)) % 100,
        rate(n_ballots, counting));
    if memory_only {
        return Ok(());
    }
    let (dir, temporary) = match dir {
        Some(dir) => (dir, false),
        None => (
            std::env::temp_dir().join(format!("sandoq-bench-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let election = dir.join("election.json");
    std::fs::write(
        &election,
        serde_json::to_vec_pretty(&synth::election_json(&definition))?,
    )?;
    let small = (n_ballots / 5).max(1);
    let mut peaks = Vec::new();
    for n in [small, n_ballots] {
        let path = dir.join(format!("ballots-{n}.jsonl"));
        synth::write_ballots(&definition, &path, n, seed)?;
        let bytes = std::fs::metadata(&path)?.len();
        let exe = std::env::current_exe()?;
        let start = Instant::now();
        let output = std::process::Command::new(exe)
            .args([
                "tally",
                election.to_str().unwrap_or_default(),
                "--ballots",
                path.to_str().unwrap_or_default(),
                "--report-memory",
            ])
            .output()?;
        let elapsed = start.elapsed();
        anyhow::ensure!(
            output.status.success(),
            "tally failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let peak: u64 = stderr
            .lines()
            .find_map(|l| l.strip_prefix("peak_memory_kib "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        peaks.push(peak);
        println!(
            "sandoq tally --ballots, {} lines ({} MiB): {:>9.3?} wall clock (whole process), {} ballots/s, peak memory {} MiB",
            sandoq_i18n::group_thousands(n),
            bytes >> 20,
            elapsed,
            rate(n, elapsed),
            peak >> 10
        );
        if temporary {
            let _ = std::fs::remove_file(&path);
        }
    }
    if let [small_peak, big_peak] = peaks[..] {
        println!(
            "peak memory with {}× the ballots: {}.{:02}× ",
            n_ballots / small,
            big_peak / small_peak.max(1),
            (big_peak * 100 / small_peak.max(1)) % 100
        );
    }
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// `sandoq bench-registry`: generate, parse and check, then import a synthetic registry.
pub fn run_registry(voters: u64, seed: u64, database: Option<String>) -> anyhow::Result<()> {
    use sandoq_store::{Store, Timestamp};
    let polling_day =
        sandoq_registry::Date::from_jalali(1405, 2, 11).map_err(|e| anyhow::anyhow!(e.en))?;
    let dir = std::env::temp_dir().join(format!("sandoq-bench-registry-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv_path = dir.join("registry.csv");
    println!(
        "sandoq bench-registry: {} synthetic voters, seed {seed}",
        sandoq_i18n::group_thousands(voters)
    );
    let start = Instant::now();
    sandoq_central::import::write_synthetic_registry(
        std::fs::File::create(&csv_path)?,
        voters,
        seed,
        polling_day,
        "tehran-rey-tajrish",
    )?;
    let generated = start.elapsed();
    let bytes = std::fs::metadata(&csv_path)?.len();
    let start = Instant::now();
    let parsed = sandoq_central::import::parse_registry_csv(std::fs::File::open(&csv_path)?)
        .map_err(|report| {
            anyhow::anyhow!(
                "{} problems in the synthetic registry",
                report.problems_found
            )
        })?;
    let checked = start.elapsed();
    let url = database.unwrap_or_else(|| format!("sqlite://{}", dir.join("central.db").display()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let imported = runtime.block_on(async {
        let store = sandoq_central::open(&url)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let spec = bench_election(format!("bench-{}", std::process::id()), polling_day);
        let id = store
            .create_election(&spec, "bench", Timestamp(0))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let start = Instant::now();
        store
            .import_voters(id, &parsed, "bench", Timestamp(0))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::Ok(start.elapsed())
    })?;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "  generate the CSV ({} MiB):            {generated:>9.3?}",
        bytes >> 20
    );
    println!(
        "  parse and check every row:            {checked:>9.3?}  ({} rows/s)",
        rate(voters, checked)
    );
    println!(
        "  store in one transaction ({backend}): {imported:>9.3?}  ({} rows/s)",
        rate(voters, imported)
    );
    println!(
        "  import = check + store:               {:>9.3?}",
        checked + imported
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Latency percentile (nearest rank) of sorted samples.
pub(crate) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1]
}

/// `sandoq bench-check-in`: `check_ins` distinct voters checked in by `concurrency` stations,
/// against the same number of bare INSERTs at the same concurrency into the same database.
pub fn run_check_in(
    check_ins: u64,
    concurrency: usize,
    database: Option<String>,
) -> anyhow::Result<()> {
    use sandoq_store::{check_in, CheckInRequest, Store, Timestamp, Voter};
    use std::sync::Arc;
    let polling_day =
        sandoq_registry::Date::from_jalali(1405, 2, 11).map_err(|e| anyhow::anyhow!(e.en))?;
    let dir = std::env::temp_dir().join(format!("sandoq-bench-check-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = database.unwrap_or_else(|| format!("sqlite://{}", dir.join("central.db").display()));
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Arc::new(sandoq_central::open(&url).await.map_err(|e| anyhow::anyhow!("{e}"))?);
        let spec = bench_election(format!("bench-{}", std::process::id()), polling_day);
        let id = store.create_election(&spec, "bench", Timestamp(0)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        store.set_election_status(id, ElectionStatus::Setup, ElectionStatus::Voting, "bench", Timestamp(0)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let election = Arc::new(store.election(id).await.map_err(|e| anyhow::anyhow!("{e}"))?.ok_or_else(|| anyhow::anyhow!("no election"))?);
        let adult = sandoq_registry::Date::from_jalali(1360, 1, 1).map_err(|e| anyhow::anyhow!(e.en))?;
        let voters: Vec<Voter> = sandoq_registry::synthetic::national_codes(4)
            .take(check_ins as usize)
            .map(|code| Voter {
                national_code: code,
                entry: sandoq_registry::RegistryEntry { birth_date: adult, constituency: "tehran-rey-tajrish".into(), deceased: false, barred: false },
            })
            .collect();
        store.import_voters(id, &voters, "bench", Timestamp(0)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let codes: Arc<Vec<String>> = Arc::new(voters.iter().map(|v| v.national_code.to_string()).collect());

        // Baseline: bare INSERTs, one autocommit each, same concurrency, same database.
        let (bare, bare_latencies) = bare_insert_baseline(store.clone(), "bench_bare", check_ins, concurrency).await?;

        let start = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..concurrency {
            let (store, election, codes) = (store.clone(), election.clone(), codes.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = worker;
                while n < codes.len() {
                    let request = CheckInRequest {
                        election: election.id,
                        national_code: codes[n].clone(),
                        station: format!("S-{worker:04}"),
                        request_id: format!("w{worker}-{n}"),
                        at: Timestamp(n as i64),
                        nonce: None,
                    };
                    let t = Instant::now();
                    let outcome = check_in(&*store, &election, &request).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    latencies.push(t.elapsed());
                    anyhow::ensure!(outcome.code() == "recorded", "unexpected {}", outcome.code());
                    n += concurrency;
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        let checked = start.elapsed();
        anyhow::ensure!(store.count_check_ins(id).await.map_err(|e| anyhow::anyhow!("{e}"))? == check_ins, "check-ins lost");
        latencies.sort();
        println!("sandoq bench-check-in: {} check-ins, {concurrency} at a time, {backend}, durable commits (store level, no HTTP)", sandoq_i18n::group_thousands(check_ins));
        println!(
            "  baseline, bare INSERTs:  {bare:>9.3?}  {:>9} /s  p50 {:>9.3?}  p99 {:>9.3?}",
            rate(check_ins, bare),
            percentile(&bare_latencies, 50),
            percentile(&bare_latencies, 99)
        );
        println!(
            "  check-ins (full rules):  {checked:>9.3?}  {:>9} /s  p50 {:>9.3?}  p99 {:>9.3?}  = {}.{:02}× the baseline's time",
            rate(check_ins, checked),
            percentile(&latencies, 50),
            percentile(&latencies, 99),
            checked.as_nanos() / bare.as_nanos().max(1),
            (checked.as_nanos() * 100 / bare.as_nanos().max(1)) % 100
        );
        anyhow::Ok(())
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Reads one HTTP/1.1 response with a Content-Length body from a keep-alive connection.
pub(crate) async fn read_response(
    stream: &mut tokio::net::TcpStream,
    buffer: &mut Vec<u8>,
) -> anyhow::Result<(u16, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("bad status line"))?;
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| anyhow::anyhow!("no content-length"))?;
            while buffer.len() < end + 4 + length {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await?;
                anyhow::ensure!(n > 0, "connection closed");
                buffer.extend_from_slice(&chunk[..n]);
            }
            let body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            return Ok((status, body));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "connection closed");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// `sandoq bench-http`: the central service in its own process, driven over HTTP by this one.
pub fn run_http(
    check_ins: u64,
    connections: usize,
    database: Option<String>,
) -> anyhow::Result<()> {
    use ed25519_dalek::{Signer, SigningKey};
    use sandoq_central::http::device_auth::{canonical, hex};
    use sandoq_store::{DeviceKind, Store, Voter};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::AsyncWriteExt;

    let polling_day =
        sandoq_registry::Date::from_jalali(1405, 2, 11).map_err(|e| anyhow::anyhow!(e.en))?;
    let dir = std::env::temp_dir().join(format!("sandoq-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = database.unwrap_or_else(|| format!("sqlite://{}", dir.join("central.db").display()));
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let stations = 16u8;
    let election = runtime.block_on(async {
        let store = sandoq_central::open(&url)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let spec = bench_election(format!("bench-http-{}", std::process::id()), polling_day);
        let now = (sandoq_central::http::system_clock())();
        let id = store
            .create_election(&spec, "bench", now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let adult =
            sandoq_registry::Date::from_jalali(1360, 1, 1).map_err(|e| anyhow::anyhow!(e.en))?;
        let voters: Vec<Voter> = sandoq_registry::synthetic::national_codes(8)
            .take(check_ins as usize)
            .map(|code| Voter {
                national_code: code,
                entry: sandoq_registry::RegistryEntry {
                    birth_date: adult,
                    constituency: "tehran-rey-tajrish".into(),
                    deceased: false,
                    barred: false,
                },
            })
            .collect();
        store
            .import_voters(id, &voters, "bench", now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .set_election_status(
                id,
                ElectionStatus::Setup,
                ElectionStatus::Voting,
                "bench",
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for s in 1..=stations {
            let key = SigningKey::from_bytes(&[s; 32]);
            store
                .register_device(
                    id,
                    &format!("S-{s:04}"),
                    DeviceKind::CheckInDesk,
                    &hex(key.verifying_key().as_bytes()),
                    "bench",
                    now,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        anyhow::Ok((id, voters))
    })?;
    let (election_id, voters) = election;

    // The server, in its own process.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = std::process::Command::new(std::env::current_exe()?)
        .args([
            "central",
            "serve",
            "--database",
            &url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let address = format!("127.0.0.1:{port}");
    let result = runtime.block_on(async {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(&address).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        // Every request signed before the clock starts: the load generator should not be the bottleneck.
        let keys: Vec<SigningKey> = (1..=stations).map(|s| SigningKey::from_bytes(&[s; 32])).collect();
        let path = format!("/api/elections/{}/check-ins", election_id.0);
        let now = (sandoq_central::http::system_clock())().0;
        let requests: Arc<Vec<Vec<u8>>> = Arc::new(
            voters
                .iter()
                .enumerate()
                .map(|(i, voter)| {
                    let key = &keys[i % keys.len()];
                    let body = format!("{{\"national_code\":\"{}\",\"request_id\":\"b{i}\"}}", voter.national_code);
                    let nonce = format!("n{i}");
                    let signature = key.sign(canonical("POST", &path, now, &nonce, body.as_bytes()).as_bytes());
                    format!(
                        "POST {path} HTTP/1.1\r\nhost: sandoq\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                         x-sandoq-device-key: {}\r\nx-sandoq-timestamp: {now}\r\nx-sandoq-nonce: {nonce}\r\nx-sandoq-signature: {}\r\n\r\n{body}",
                        body.len(),
                        hex(key.verifying_key().as_bytes()),
                        hex(&signature.to_bytes())
                    )
                    .into_bytes()
                })
                .collect(),
        );
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (requests, next, address) = (requests.clone(), next.clone(), address.clone());
            tasks.push(tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(&address).await?;
                stream.set_nodelay(true)?;
                let mut buffer = Vec::new();
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests.len() {
                        break;
                    }
                    let t = Instant::now();
                    stream.write_all(&requests[i]).await?;
                    let (status, body) = read_response(&mut stream, &mut buffer).await?;
                    latencies.push(t.elapsed());
                    anyhow::ensure!(status == 200 && body.windows(10).any(|w| w == b"\"recorded\""), "request {i}: {status} {}", String::from_utf8_lossy(&body));
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        let elapsed = start.elapsed();
        latencies.sort();
        anyhow::Ok((elapsed, latencies))
    });
    let _ = server.kill();
    let _ = server.wait();
    let (elapsed, latencies) = result?;

    // Baseline: the same number of bare INSERTs at the same concurrency into the same database.
    let (bare, bare_latencies) = runtime.block_on(async {
        let store = Arc::new(
            sandoq_central::open(&url)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        bare_insert_baseline(store, "bench_http_bare", check_ins, connections).await
    })?;
    println!(
        "sandoq bench-http: {} check-ins over HTTP, {connections} keep-alive connections, {backend}, durable commits; server and load generator are separate processes on this machine",
        sandoq_i18n::group_thousands(check_ins)
    );
    println!(
        "  baseline, bare INSERTs (no HTTP): {bare:>9.3?}  {:>9} /s  p50 {:>9.3?}  p99 {:>9.3?}",
        rate(check_ins, bare),
        percentile(&bare_latencies, 50),
        percentile(&bare_latencies, 99)
    );
    println!(
        "  signed check-ins over HTTP:       {elapsed:>9.3?}  {:>9} /s  p50 {:>9.3?}  p99 {:>9.3?}  = {}.{:02}× the baseline's time",
        rate(check_ins, elapsed),
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        elapsed.as_nanos() / bare.as_nanos().max(1),
        (elapsed.as_nanos() * 100 / bare.as_nanos().max(1)) % 100
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The baseline of the check-in benchmarks: `count` bare INSERTs, one autocommit each, `concurrency` at a
/// time, into a new table of the same database. Returns the time and every latency, sorted.
async fn bare_insert_baseline(
    store: std::sync::Arc<sandoq_central::AnyStore>,
    table: &'static str,
    count: u64,
    concurrency: usize,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let create = format!(
        "CREATE TABLE {table} (n BIGINT PRIMARY KEY, station TEXT NOT NULL, at BIGINT NOT NULL)"
    );
    match &*store {
        sandoq_central::AnyStore::Sqlite(s) => {
            sqlx::raw_sql(&create).execute(s.pool()).await?;
        }
        sandoq_central::AnyStore::Postgres(s) => {
            sqlx::raw_sql(&create).execute(s.pool()).await?;
        }
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker as u64;
            while n < count {
                let t = Instant::now();
                match &*store {
                    sandoq_central::AnyStore::Sqlite(s) => {
                        sqlx::query(&format!(
                            "INSERT INTO {table} (n, station, at) VALUES (?, 'S', 0)"
                        ))
                        .bind(n as i64)
                        .execute(s.pool())
                        .await?;
                    }
                    sandoq_central::AnyStore::Postgres(s) => {
                        sqlx::query(&format!(
                            "INSERT INTO {table} (n, station, at) VALUES ($1, 'S', 0)"
                        ))
                        .bind(n as i64)
                        .execute(s.pool())
                        .await?;
                    }
                }
                latencies.push(t.elapsed());
                n += concurrency as u64;
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Ok((elapsed, latencies))
}

/// The training election every benchmark sets up.
pub(crate) fn bench_election(
    code: String,
    polling_day: sandoq_registry::Date,
) -> sandoq_store::ElectionSpec {
    sandoq_store::ElectionSpec {
        code,
        name_fa: "آزمون سرعت".into(),
        name_en: "benchmark".into(),
        kind: sandoq_store::ElectionKind::Training,
        seats: 21,
        constituency: "tehran-rey-tajrish".into(),
        polling_day,
        hours: sandoq_store::PollingHours::default(),
        offline_policy: sandoq_store::OfflinePolicy::Refuse,
        rules: sandoq_store::ElectionSpec::DEFAULT_RULES.into(),
        paper_record: false,
    }
}

/// `sandoq bench-ballot-box`: cast to confirmed (check, sign, durable write) per ballot, against
/// the same number of bare 512-byte writes each followed by fdatasync on the same disk.
pub fn run_ballot_box(ballots: u64) -> anyhow::Result<()> {
    use std::os::unix::fs::FileExt;
    let dir = std::env::temp_dir().join(format!("sandoq-bench-box-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let contest = crate::station::drill_contest();
    let key = sandoq_station::keys::load_or_create(&dir)?;
    let mut ballot_box = sandoq_station::BallotBox::create(
        &dir.join("ballots.box"),
        ballots.max(1) * 2,
        crate::station::drill_election(),
        key,
    )
    .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
    let typed = [
        sandoq_station::Ballot::List("101".into()),
        sandoq_station::Ballot::Candidates(vec!["9001".into(), "10101".into(), "10201".into()]),
        sandoq_station::Ballot::Blank,
    ];
    // Baseline: bare writes of one slot each, flushed, into a file of the same size.
    let bare = std::fs::File::create(dir.join("bare.bin"))?;
    bare.set_len(ballots.max(1) * 2 * 512)?;
    bare.sync_all()?;
    let mut bare_latencies = Vec::with_capacity(ballots as usize);
    let start = Instant::now();
    for i in 0..ballots {
        let t = Instant::now();
        bare.write_all_at(&[7u8; 512], (i * 7919 % (ballots.max(1) * 2)) * 512)?;
        bare.sync_data()?;
        bare_latencies.push(t.elapsed());
    }
    let bare_time = start.elapsed();
    let mut latencies = Vec::with_capacity(ballots as usize);
    let start = Instant::now();
    for i in 0..ballots {
        let t = Instant::now();
        let ballot = typed[(i % 3) as usize]
            .checked(&contest)
            .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
        ballot_box
            .cast(&ballot)
            .map_err(|e| anyhow::anyhow!("[{}] {}", e.code, e.en))?;
        latencies.push(t.elapsed());
    }
    let cast_time = start.elapsed();
    bare_latencies.sort();
    latencies.sort();
    let ratio = cast_time.as_micros() * 100 / bare_time.as_micros().max(1);
    println!(
        "sandoq bench-ballot-box: {} ballots cast one at a time, each durable before the next",
        sandoq_i18n::group_thousands(ballots)
    );
    println!(
        "  baseline, bare 512-byte write + fdatasync: {bare_time:>9.3?}  p50 {:>9.3?}  p99 {:>9.3?}",
        percentile(&bare_latencies, 50),
        percentile(&bare_latencies, 99)
    );
    println!(
        "  cast (check, sign, write, fdatasync):      {cast_time:>9.3?}  p50 {:>9.3?}  p99 {:>9.3?}  = {}.{:02}× the baseline's time",
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        ratio / 100,
        ratio % 100
    );
    println!(
        "  peak memory of this process: {} KiB",
        peak_memory_kib().unwrap_or(0)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
