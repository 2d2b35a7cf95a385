//! `sandoq bench-station`: the station agent as it runs on polling day, in its own process
//! (`sandoq station …`), against a centre served from this process (SQLite, Tehran-shaped
//! definition: 12 lists × 21 candidates and 300 independents). Voters are checked in at the
//! desk and vote at the ballot box over HTTP one after another; the figures are the time from
//! the cast request to the "recorded" answer (validate, sign, durable write), against a bare
//! 512-byte write with fdatasync measured in the same run, and the agent's memory after the
//! ballots (VmRSS and VmHWM of its process). Figures only; nothing here asserts a time.

use crate::bench::{percentile, read_response};
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

const PASSWORD: &str = "benchmark officials' password";

fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One request on a kept-alive connection; the status and the body as JSON.
async fn call(
    stream: &mut tokio::net::TcpStream,
    buffer: &mut Vec<u8>,
    method: &str,
    path: &str,
    cookie: &str,
    body: &serde_json::Value,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let body = body.to_string();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: station\r\ncontent-type: application/json\r\ncookie: sandoq_desk={cookie}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let (status, bytes) = read_response(stream, buffer).await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    ))
}

pub fn run(ballots: u64) -> anyhow::Result<()> {
    use sandoq_central::tables::{self, Format};
    use sandoq_store::{ElectionStatus, Role, Store, Voter};
    let dir = std::env::temp_dir().join(format!("sandoq-bench-station-{}", std::process::id()));
    let data = dir.join("station");
    std::fs::create_dir_all(&data)?;
    // The device key the agent will find in its data directory, registered at the centre first.
    let key = sandoq_station::keys::load_or_create(&data)?;
    let public = sandoq_station::merkle::hex(key.verifying_key().as_bytes());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let err = |e: &dyn std::fmt::Debug| anyhow::anyhow!("{e:?}");
    let (centre, codes) = runtime.block_on(async {
        let store = sandoq_central::open(&format!("sqlite://{}", dir.join("central.db").display()))
            .await
            .map_err(|e| err(&e))?;
        let clock = sandoq_central::http::system_clock();
        let now = clock();
        let polling_day = sandoq_registry::Date::from_jalali(1405, 2, 11).map_err(|e| err(&e))?;
        let mut spec = crate::bench::bench_election(
            format!("bench-station-{}", std::process::id()),
            polling_day,
        );
        spec.paper_record = true;
        let id = store
            .create_election(&spec, "bench", now)
            .await
            .map_err(|e| err(&e))?;
        tables::import_areas(
            &store,
            id,
            b"code,kind,parent,name_fa,name_en\nT,county,,Tehran,Tehran\nT-1,district,T,D1,D1\n",
            Format::Csv,
            "bench",
            now,
        )
        .await
        .map_err(|e| err(&e))?;
        tables::import_stations(
            &store,
            id,
            b"code,district,name_fa,name_en,address\nS-1,T-1,S1,S1,-\n",
            Format::Csv,
            "bench",
            now,
        )
        .await
        .map_err(|e| err(&e))?;
        let definition = crate::synth::tehran_shaped();
        let mut csv = String::from("type,code,list,name_fa,name_en\n");
        for list in &definition.lists {
            csv.push_str(&format!(
                "list,{},,{},List {}\n",
                list.code, list.name, list.code
            ));
            for c in &list.candidates {
                csv.push_str(&format!(
                    "candidate,{c},{},نامزد {c},Candidate {c}\n",
                    list.code
                ));
            }
        }
        for c in &definition.independents {
            csv.push_str(&format!("candidate,{c},,نامزد {c},Candidate {c}\n"));
        }
        let parsed = tables::parse_candidates(csv.as_bytes(), Format::Csv, spec.seats)
            .map_err(|e| err(&e))?;
        let canonical = parsed.canonical();
        let hash = sandoq_central::definition::content_hash(&canonical);
        store
            .set_definition(id, &canonical, &hash, "bench", now)
            .await
            .map_err(|e| err(&e))?;
        for name in ["bench-1", "bench-2", "bench-3"] {
            sandoq_central::http::people::store_user(
                &store,
                name,
                Role::Station,
                "S-1",
                PASSWORD,
                "bench",
                now,
            )
            .await
            .map_err(|e| err(&e))?;
        }
        tables::import_devices(
            &store,
            id,
            format!("station,kind,public_key\nS-1,check_in_desk,{public}\n").as_bytes(),
            Format::Csv,
            "bench",
            now,
        )
        .await
        .map_err(|e| err(&e))?;
        let adult = sandoq_registry::Date::from_jalali(1360, 1, 1).map_err(|e| err(&e))?;
        let voters: Vec<Voter> = sandoq_registry::synthetic::national_codes(11)
            .take(ballots as usize)
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
            .map_err(|e| err(&e))?;
        store
            .set_election_status(
                id,
                ElectionStatus::Setup,
                ElectionStatus::Voting,
                "bench",
                now,
            )
            .await
            .map_err(|e| err(&e))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = sandoq_central::http::AppState::new(store, clock);
        tokio::spawn(async move { axum::serve(listener, sandoq_central::http::app(state)).await });
        let codes: Vec<String> = voters.iter().map(|v| v.national_code.to_string()).collect();
        anyhow::Ok((address, codes))
    })?;

    // The agent, in its own process.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut agent = std::process::Command::new(std::env::current_exe()?)
        .args([
            "station",
            "--central",
            &format!("http://{centre}"),
            "--station",
            "S-1",
            "--data",
        ])
        .arg(&data)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--boxes",
            "1",
            "--tick",
            "1",
        ])
        .args(["--capacity", &(ballots * 2 + 16).to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let pid = agent.id();
    let address = format!("127.0.0.1:{port}");
    let result = runtime.block_on(async {
        let mut stream = None;
        for _ in 0..400 {
            if let Ok(s) = tokio::net::TcpStream::connect(&address).await {
                stream = Some(s);
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let mut stream = stream.ok_or_else(|| anyhow::anyhow!("the agent did not start"))?;
        stream.set_nodelay(true)?;
        let mut buffer = Vec::new();
        let none = serde_json::Value::Null;
        // Wait for the package, then three officials sign in and open.
        for _ in 0..200 {
            let (_, status) = call(&mut stream, &mut buffer, "GET", "/api/status", "", &none).await?;
            if status["state"] == "setup" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Three officials sign in (each reads its cookie from a raw answer: the small client
        // above keeps no headers).
        let mut cookie = String::new();
        for name in ["bench-1", "bench-2", "bench-3"] {
            let body = serde_json::json!({"username": name, "password": PASSWORD}).to_string();
            let request = format!("POST /api/desk/sign-in HTTP/1.1\r\nhost: station\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}", body.len());
            let mut raw = tokio::net::TcpStream::connect(&address).await?;
            raw.write_all(request.as_bytes()).await?;
            let mut text = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut raw, &mut text).await?;
            let text = String::from_utf8_lossy(&text);
            anyhow::ensure!(text.starts_with("HTTP/1.1 200"), "sign-in: {text}");
            cookie = text.split("sandoq_desk=").nth(1).and_then(|s| s.split(';').next()).unwrap_or("").to_string();
        }
        let (status, answer) = call(&mut stream, &mut buffer, "POST", "/api/desk/open", &cookie, &none).await?;
        anyhow::ensure!(status == 200, "open: {answer}");
        let rss_open = memory_kib(pid, "VmRSS:").unwrap_or(0);
        let definition = crate::synth::tehran_shaped();
        let mut latencies = Vec::with_capacity(ballots as usize);
        let start = Instant::now();
        for (i, code) in codes.iter().enumerate() {
            let (status, answer) = call(&mut stream, &mut buffer, "POST", "/api/desk/check-in", &cookie,
                &serde_json::json!({"national_code": code})).await?;
            anyhow::ensure!(status == 200 && answer["token"].is_string(), "check-in {i}: {answer}");
            let (status, answer) = call(&mut stream, &mut buffer, "POST", "/api/box/1/unlock", "",
                &serde_json::json!({"token": answer["token"]})).await?;
            anyhow::ensure!(status == 200, "unlock {i}: {answer}");
            let session = answer["session"].clone();
            let list = &definition.lists[i % definition.lists.len()];
            let ballot = match i % 4 {
                0 => serde_json::json!({"list": list.code}),
                1 => serde_json::json!({"candidates": list.candidates.iter().take(21).collect::<Vec<_>>()}),
                2 => serde_json::json!({"candidates": [definition.independents[i % definition.independents.len()], list.candidates[0]]}),
                _ => serde_json::json!({"blank": true}),
            };
            let t = Instant::now();
            let (status, answer) = call(&mut stream, &mut buffer, "POST", "/api/box/1/cast", "",
                &serde_json::json!({"session": session, "ballot": ballot})).await?;
            latencies.push(t.elapsed());
            anyhow::ensure!(status == 200 && answer["recorded"] == true, "cast {i}: {answer}");
        }
        let elapsed = start.elapsed();
        anyhow::Ok((latencies, elapsed, rss_open))
    });
    let rss = memory_kib(pid, "VmRSS:").unwrap_or(0);
    let hwm = memory_kib(pid, "VmHWM:").unwrap_or(0);
    let _ = agent.kill();
    let _ = agent.wait();
    let (mut latencies, elapsed, rss_open) = result?;
    // Baseline, same run, same disk: a bare 512-byte write with fdatasync, as many times.
    let bare = std::fs::File::create(dir.join("bare.bin"))?;
    bare.set_len(ballots.max(1) * 2 * 512)?;
    bare.sync_all()?;
    let mut bare_latencies = Vec::with_capacity(ballots as usize);
    for i in 0..ballots {
        let t = Instant::now();
        bare.write_all_at(&[7u8; 512], (i * 7919 % (ballots.max(1) * 2)) * 512)?;
        bare.sync_data()?;
        bare_latencies.push(t.elapsed());
    }
    latencies.sort();
    bare_latencies.sort();
    let p99 = percentile(&latencies, 99);
    let bare_p99 = percentile(&bare_latencies, 99);
    let ratio = p99.as_micros() * 100 / bare_p99.as_micros().max(1);
    println!(
        "sandoq bench-station: {} voters checked in and voting one after another at one station agent (its own process), Tehran-shaped ballot, paper record on",
        sandoq_i18n::group_thousands(ballots)
    );
    println!("  whole day (check-in at the centre, unlock, cast): {elapsed:.2?}");
    println!(
        "  baseline, bare 512-byte write + fdatasync: p50 {:>9.3?}  p99 {:>9.3?}",
        percentile(&bare_latencies, 50),
        bare_p99
    );
    println!(
        "  cast to confirmed over HTTP (validate, use the token, sign, durable write): p50 {:>9.3?}  p99 {:>9.3?}  = {}.{:02}× the baseline's p99 (target: p99 under 20 ms)",
        percentile(&latencies, 50),
        p99,
        ratio / 100,
        ratio % 100
    );
    println!(
        "  agent memory: {} KiB resident when opened, {} KiB after the ballots, peak {} KiB (target: under 100 MB)",
        sandoq_i18n::group_thousands(rss_open),
        sandoq_i18n::group_thousands(rss),
        sandoq_i18n::group_thousands(hwm)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
