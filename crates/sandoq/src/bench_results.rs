//! `sandoq bench-results`: election night at the centre. Station reports (signed by their
//! devices, co-signed by three officials each) arrive one after another over HTTP while a reader
//! keeps loading the public results page. Figures: the time to accept a report (verify it, store
//! it, add it to the sum and recompute the seats) and the results page's latency while reports
//! come in, against `GET /api/health` measured in the same run. Figures only.

use crate::bench::{percentile, read_response};
use ed25519_dalek::{Signer, SigningKey};
use sandoq_station::merkle::hex;
use sandoq_station::BallotRecord;
use sandoq_store::Store;
use serde_json::json;
use sha2::Digest;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

fn key(tag: u8, n: u64) -> SigningKey {
    let seed: [u8; 32] = sha2::Sha256::digest(format!("bench-results {tag} {n}").as_bytes()).into();
    SigningKey::from_bytes(&seed)
}

async fn get(
    stream: &mut tokio::net::TcpStream,
    buffer: &mut Vec<u8>,
    path: &str,
) -> anyhow::Result<(u16, Duration)> {
    let t = Instant::now();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nhost: centre\r\n\r\n").as_bytes())
        .await?;
    let (status, _) = read_response(stream, buffer).await?;
    Ok((status, t.elapsed()))
}

pub fn run(stations: u64) -> anyhow::Result<()> {
    use sandoq_central::tables::{self, Format};
    let dir = std::env::temp_dir().join(format!("sandoq-bench-results-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let err = |e: &dyn std::fmt::Debug| anyhow::anyhow!("{e:?}");
    runtime.block_on(async {
        let setup = Instant::now();
        let store = sandoq_central::open(&format!("sqlite://{}", dir.join("central.db").display())).await.map_err(|e| err(&e))?;
        let clock = sandoq_central::http::system_clock();
        let now = clock();
        let polling_day = sandoq_registry::Date::from_jalali(1405, 2, 11).map_err(|e| err(&e))?;
        let spec = crate::bench::bench_election(format!("bench-results-{}", std::process::id()), polling_day);
        let id = store.create_election(&spec, "bench", now).await.map_err(|e| err(&e))?;
        tables::import_areas(&store, id, b"code,kind,parent,name_fa,name_en\nT,county,,T,T\nT-1,district,T,D,D\n", Format::Csv, "bench", now).await.map_err(|e| err(&e))?;
        let mut csv = String::from("code,district,name_fa,name_en,address\n");
        for s in 0..stations {
            csv.push_str(&format!("S-{s:05},T-1,S,S,-\n"));
        }
        tables::import_stations(&store, id, csv.as_bytes(), Format::Csv, "bench", now).await.map_err(|e| err(&e))?;
        let definition = crate::synth::tehran_shaped();
        let mut csv = String::from("type,code,list,name_fa,name_en\n");
        for list in &definition.lists {
            csv.push_str(&format!("list,{},,{},L\n", list.code, list.name));
            for c in &list.candidates {
                csv.push_str(&format!("candidate,{c},{},C,C\n", list.code));
            }
        }
        for c in &definition.independents {
            csv.push_str(&format!("candidate,{c},,C,C\n"));
        }
        let parsed = tables::parse_candidates(csv.as_bytes(), Format::Csv, 21).map_err(|e| err(&e))?;
        let canonical = parsed.canonical();
        store.set_definition(id, &canonical, &sandoq_central::definition::content_hash(&canonical), "bench", now).await.map_err(|e| err(&e))?;
        let mut csv = String::from("station,kind,public_key\n");
        for s in 0..stations {
            csv.push_str(&format!("S-{s:05},check_in_desk,{}\n", hex(key(1, s).verifying_key().as_bytes())));
        }
        tables::import_devices(&store, id, csv.as_bytes(), Format::Csv, "bench", now).await.map_err(|e| err(&e))?;
        // Three officials a station, their keys set directly (deriving 15,000 from passwords would
        // only time Argon2).
        for s in 0..stations {
            for r in 0..3u64 {
                let name = format!("S-{s:05}-{r}");
                let user = store.create_user(&name, sandoq_store::Role::Station, &format!("S-{s:05}"), "-", "bench", now).await.map_err(|e| err(&e))?;
                store.set_signing_key(user, &hex(key(2 + r as u8, s).verifying_key().as_bytes()), "", "bench", now).await.map_err(|e| err(&e))?;
            }
        }
        // Election night: voting has opened (setup data frozen), as when stations report.
        let election = store.election(id).await.map_err(|e| err(&e))?.ok_or_else(|| anyhow::anyhow!("no election"))?;
        sandoq_store::advance_status(&store, &election, sandoq_store::ElectionStatus::Voting, "bench", now).await.map_err(|e| err(&e))?;
        let election = store.election(id).await.map_err(|e| err(&e))?.ok_or_else(|| anyhow::anyhow!("no election"))?;
        let (_, export_hash) = sandoq_central::definition::export(&store, &election).await.map_err(|e| err(&e))?.ok_or_else(|| anyhow::anyhow!("no export"))?;
        let election_hash: [u8; 32] = sandoq_station::merkle::unhex(&export_hash).ok_or_else(|| anyhow::anyhow!("bad hash"))?;
        let contest = sandoq_central::definition::contest_from_canonical(&canonical).ok_or_else(|| anyhow::anyhow!("bad contest"))?;
        // The reports, signed before the clock starts.
        let path = format!("/api/elections/{}/station-reports", id.0);
        let mut rng = sandoq_registry::synthetic::Rng::new(5);
        let mut requests = Vec::with_capacity(stations as usize);
        for s in 0..stations {
            let device = key(1, s);
            let mut records = Vec::new();
            for i in 0..5u64 {
                let list = &definition.lists[rng.below(definition.lists.len() as u64) as usize];
                let content = json!({"list": list.code}).to_string();
                let mut rid = [0u8; 16];
                rid[..8].copy_from_slice(&s.to_le_bytes());
                rid[8..].copy_from_slice(&i.to_le_bytes());
                let signature = device.sign(BallotRecord::signed_text(&election_hash, &rid, &content).as_bytes()).to_bytes();
                records.push(BallotRecord { id: rid, content, signature });
            }
            let facts = sandoq_station::report::StationFacts { station: format!("S-{s:05}"), election: election_hash, tokens: (5, 5, 0), event_log: (9, [0; 32]) };
            let mut report = sandoq_station::report::build(&records, &contest, &facts, &device).map_err(|e| err(&e))?;
            for r in 0..3u64 {
                sandoq_station::report::add_cosignature(&mut report, &format!("S-{s:05}-{r}"), &key(2 + r as u8, s));
            }
            let body = report.to_string();
            let nonce = format!("r{s}");
            let stamp = clock().0;
            let signature = device.sign(sandoq_central::http::device_auth::canonical("POST", &path, stamp, &nonce, body.as_bytes()).as_bytes());
            requests.push(format!(
                "POST {path} HTTP/1.1\r\nhost: centre\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-sandoq-device-key: {}\r\nx-sandoq-timestamp: {stamp}\r\nx-sandoq-nonce: {nonce}\r\nx-sandoq-signature: {}\r\n\r\n{body}",
                body.len(), hex(device.verifying_key().as_bytes()), hex(&signature.to_bytes())
            ));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = sandoq_central::http::AppState::new(store, clock);
        tokio::spawn(async move { axum::serve(listener, sandoq_central::http::app(state)).await });
        let setup = setup.elapsed();
        // Baseline: the health route, on a kept-alive connection.
        let mut reader = tokio::net::TcpStream::connect(address).await?;
        reader.set_nodelay(true)?;
        let mut buffer = Vec::new();
        let mut health = Vec::new();
        for _ in 0..2000 {
            health.push(get(&mut reader, &mut buffer, "/api/health").await?.1);
        }
        // The reader loads the results page while the reports come in.
        let done = Arc::new(AtomicBool::new(false));
        let results_path = format!("/results/{}", id.0);
        let reading = {
            let done = done.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                // About a hundred loads a second: many people watching, not one busy loop.
                while !done.load(Ordering::Relaxed) {
                    let (status, t) = get(&mut reader, &mut buffer, &results_path).await?;
                    anyhow::ensure!(status == 200, "results page: {status}");
                    latencies.push(t);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                anyhow::Ok(latencies)
            })
        };
        let mut writer = tokio::net::TcpStream::connect(address).await?;
        writer.set_nodelay(true)?;
        let mut wbuffer = Vec::new();
        let mut accepts = Vec::with_capacity(requests.len());
        let start = Instant::now();
        for (i, request) in requests.iter().enumerate() {
            let t = Instant::now();
            writer.write_all(request.as_bytes()).await?;
            let (status, body) = read_response(&mut writer, &mut wbuffer).await?;
            accepts.push(t.elapsed());
            anyhow::ensure!(status == 200, "report {i}: {status} {}", String::from_utf8_lossy(&body));
        }
        let ingest = start.elapsed();
        done.store(true, Ordering::Relaxed);
        let mut pages = reading.await.map_err(|e| err(&e))??;
        health.sort();
        accepts.sort();
        pages.sort();
        println!("sandoq bench-results: {} station reports (Tehran-shaped definition, each signed and co-signed by three officials) accepted one after another over HTTP while a reader loads the results page; setup {setup:.1?}", sandoq_i18n::group_thousands(stations));
        println!("  baseline, GET /api/health: p50 {:>9.3?}  p99 {:>9.3?}", percentile(&health, 50), percentile(&health, 99));
        println!("  accept a report (verify, store, add, recompute the seats): p50 {:>9.3?}  p99 {:>9.3?}  (all {stations} in {ingest:.2?}; target under 50 ms)", percentile(&accepts, 50), percentile(&accepts, 99));
        println!(
            "  results page during the ingestion ({} loads; a page is made again at most every {} s): p50 {:>9.3?}  p99 {:>9.3?}  slowest {:>9.3?}  (target p99 under 20 ms)",
            pages.len(),
            sandoq_central::pages::results::PAGE_CACHE_SECONDS,
            percentile(&pages, 50),
            percentile(&pages, 99),
            pages.last().copied().unwrap_or_default()
        );
        anyhow::Ok(())
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
