//! `sandoq bench-verify`: `sandoq verify` on a Tehran-scale election record (5,000 stations,
//! 3,500,000 ballots by default), generated first (not timed) with the station library's own
//! signing and report code; the baseline, in the same run, is reading every file of the record
//! and hashing it with SHA-256 (what any check must at least do). Figures only.

use ed25519_dalek::{Signer, SigningKey};
use sandoq_record::{Device, Input, Official};
use sandoq_station::merkle::hex;
use sandoq_station::BallotRecord;
use serde_json::{json, Value};
use sha2::Digest;
use std::time::Instant;

/// One generated station: its device, officials, report and ballot records.
type Station = (Device, [Official; 3], (String, String), (String, String));

fn seed(tag: u8, n: u64) -> [u8; 32] {
    let mut out: [u8; 32] =
        sha2::Sha256::digest(format!("bench-verify {tag} {n}").as_bytes()).into();
    out[0] ^= tag;
    out
}

pub fn run(stations: u64, ballots: u64) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sandoq-bench-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let definition = crate::synth::tehran_shaped();
    let start = Instant::now();
    // The election: Tehran-shaped definition, `stations` stations.
    let person = |c: &String| json!({"code": c, "name_fa": format!("نامزد {c}"), "name_en": format!("Candidate {c}")});
    let export = json!({
        "format": "sandoq-election-v1",
        "election": {"code": "bench-verify", "kind": "training", "name_fa": "آزمون سرعت", "name_en": "benchmark",
                     "seats": 21, "constituency": "tehran-rey-tajrish", "polling_day": "1405/02/11",
                     "offline_policy": "refuse", "paper_record": false, "opens": "08:00", "closes": "18:00",
                     "rules": {"rule_set": "tehran-1405", "options": {"tie_break": "lot", "lot_seed": "bench"}}},
        "definition": {"format": "sandoq-definition-v1", "seats": 21,
            "lists": definition.lists.iter().map(|l| json!({"code": l.code, "name_fa": l.name, "name_en": l.code,
                "candidates": l.candidates.iter().map(person).collect::<Vec<_>>()})).collect::<Vec<_>>(),
            "independents": definition.independents.iter().map(person).collect::<Vec<_>>()},
        "photos": [], "areas": [],
        "stations": (0..stations).map(|s| json!({"code": format!("S-{s:05}"), "district": "T-1", "name_fa": "شعبه", "name_en": "Station", "address": ""})).collect::<Vec<_>>(),
    })
    .to_string();
    let election_hash: [u8; 32] = sha2::Sha256::digest(export.as_bytes()).into();
    let (_, contest, _, _) =
        sandoq_record::read_election(&export).map_err(|e| anyhow::anyhow!(e))?;
    let per_station = ballots / stations.max(1);
    let officials: Vec<SigningKey> = (0..3)
        .map(|i| SigningKey::from_bytes(&seed(9, i)))
        .collect();
    // Ballots and reports, station by station, on every core.
    let threads = std::thread::available_parallelism().map_or(1, usize::from) as u64;
    let made: Vec<Vec<Station>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (contest, definition, officials) = (&contest, &definition, &officials);
                scope.spawn(move || {
                    let mut rng = sandoq_registry::synthetic::Rng::new(t + 1);
                    let mut out = Vec::new();
                    for s in (t..stations).step_by(threads as usize) {
                        let station = format!("S-{s:05}");
                        let key = SigningKey::from_bytes(&seed(1, s));
                        let mut records = Vec::with_capacity(per_station as usize);
                        for _ in 0..per_station {
                            let list = &definition.lists[rng.below(definition.lists.len() as u64) as usize];
                            let content = match rng.below(10) {
                                0..=5 => json!({"list": list.code}).to_string(),
                                6..=8 => {
                                    let mut names: Vec<&String> = list.candidates.iter().take(1 + rng.below(21) as usize).collect();
                                    names.sort();
                                    json!({"candidates": names}).to_string()
                                }
                                _ => r#"{"blank":true}"#.to_string(),
                            };
                            let mut id = [0u8; 16];
                            id[..8].copy_from_slice(&rng.below(u64::MAX).to_le_bytes());
                            id[8..].copy_from_slice(&s.to_le_bytes());
                            let signature = key.sign(BallotRecord::signed_text(&election_hash, &id, &content).as_bytes()).to_bytes();
                            records.push(BallotRecord { id, content, signature });
                        }
                        records.sort_by_key(|r| r.id);
                        let facts = sandoq_station::report::StationFacts {
                            station: station.clone(),
                            election: election_hash,
                            tokens: (per_station + 3, per_station, 3),
                            event_log: (50, seed(3, s)),
                        };
                        let Ok(mut report) = sandoq_station::report::build(&records, contest, &facts, &key) else {
                            continue;
                        };
                        let names = ["head", "secretary", "member"].map(|r| format!("{station}-{r}"));
                        for (name, official) in names.iter().zip(officials) {
                            sandoq_station::report::add_cosignature(&mut report, name, official);
                        }
                        let device = Device { station: station.clone(), kind: "check_in_desk".into(), public_key: hex(key.verifying_key().as_bytes()), status: "active".into() };
                        let people = [0, 1, 2].map(|i| Official { username: names[i].clone(), station: station.clone(), signing_key: hex(officials[i].verifying_key().as_bytes()) });
                        let records: Vec<Value> = records.iter().map(|r| json!({"id": hex(&r.id), "content": r.content, "signature": hex(&r.signature)})).collect();
                        out.push((device, people, (station.clone(), report.to_string()), (station, Value::Array(records).to_string())));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut input = Input {
        election: export,
        ..Input::default()
    };
    for (device, people, report, records) in made.into_iter().flatten() {
        input.devices.push(device);
        input.officials.extend(people);
        input.reports.push(report);
        input.ballots.push(records);
    }
    sandoq_record::write(&dir, &input).map_err(|e| anyhow::anyhow!(e))?;
    drop(input);
    let generated = start.elapsed();
    let mut bytes = 0u64;
    let start = Instant::now();
    let mut stack = vec![dir.clone()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                let data = std::fs::read(entry.path())?;
                bytes += data.len() as u64;
                std::hint::black_box(sha2::Sha256::digest(&data));
            }
        }
    }
    let baseline = start.elapsed();
    let start = Instant::now();
    let verified = sandoq_record::verify(&dir, &mut |_, _, _| {});
    let took = start.elapsed();
    let peak = crate::bench::peak_memory_kib().unwrap_or(0);
    let verified = verified.map_err(|p| {
        anyhow::anyhow!(
            "verify refused the generated record: {:?}",
            &p[..p.len().min(3)]
        )
    })?;
    let ratio = took.as_millis() * 100 / baseline.as_millis().max(1);
    println!(
        "sandoq bench-verify: {} stations, {} ballots ({} MiB record), generated in {generated:.1?}",
        sandoq_i18n::group_thousands(stations),
        sandoq_i18n::group_thousands(verified.ballot_records),
        bytes / (1024 * 1024)
    );
    println!("  baseline, read and SHA-256 every file: {baseline:.2?}");
    println!(
        "  sandoq verify (public and restricted parts, {} threads): {took:.2?} = {}.{:02}× the baseline (target: under 60 s)",
        threads,
        ratio / 100,
        ratio % 100
    );
    println!("  peak memory of this process: {} MiB", peak / 1024);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
