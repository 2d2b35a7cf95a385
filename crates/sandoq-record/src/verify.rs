//! `sandoq verify DIR`: re-checks an election record from its files alone.
//!
//! In order: the manifest (its form, canonical text), every file it lists (present, size,
//! SHA-256) and no file it does not list; the election (hash, contest, rules, stations); every
//! station report (its device registered for that station, its signature, its figures adding up,
//! three officials' co-signatures of that station); the stations (reported and missing together
//! are exactly the election's, none twice); the Merkle root over the reports; the result
//! recomputed from the reports; and, when the restricted part is present, every station's ballot
//! records (signed by its device, exactly the report's commitment, and counted again to the
//! report's figures). Every problem is collected; nothing stops at the first.

use crate::{aggregate, canonical, read_election, reports_root, result_json, FORMAT, MANIFEST};
use ed25519_dalek::VerifyingKey;
use sandoq_station::merkle::{hex, unhex};
use sandoq_station::BallotRecord;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One thing found wrong, naming the file it is in. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

/// What a record that holds contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub election: String,
    pub training: bool,
    pub stations_reported: usize,
    pub stations_missing: usize,
    pub ballots: u64,
    pub restricted_checked: bool,
    pub ballot_records: u64,
    pub seats: Value,
    /// Closed by headquarters and co-signed by as many supervisors as the closing requires.
    pub final_result: bool,
}

/// Reports progress (what is being checked, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn add(
        &mut self,
        file: &str,
        code: &'static str,
        en: impl Into<String>,
        fa: impl Into<String>,
    ) {
        self.problems.push(Problem {
            file: file.to_string(),
            code,
            en: en.into(),
            fa: fa.into(),
        });
    }
}

fn read(dir: &Path, path: &str) -> Option<Vec<u8>> {
    std::fs::read(dir.join(path)).ok()
}

/// Every file under `dir`, as paths relative to it with `/`.
fn files_under(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir.join(prefix)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.path().is_dir() {
            files_under(dir, &path, out);
        } else {
            out.insert(path);
        }
    }
}

/// Checks the record in `dir`. `Ok` with a summary when everything holds, otherwise every problem.
pub fn verify(dir: &Path, progress: Progress<'_>) -> Result<Verified, Vec<Problem>> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    // The manifest.
    let Some(text) = read(dir, MANIFEST) else {
        c.add(
            MANIFEST,
            "no_manifest",
            format!("{MANIFEST} is missing: this is not a sandoq record"),
            format!("{MANIFEST} نیست: این پوشه سابقهٔ انتخابات صندوق نیست"),
        );
        return Err(c.problems);
    };
    let manifest: Value = match serde_json::from_slice(&text) {
        Ok(value) => value,
        Err(e) => {
            c.add(
                MANIFEST,
                "bad_manifest",
                format!("{MANIFEST} is not JSON: {e}"),
                format!("{MANIFEST} JSON نیست: {e}"),
            );
            return Err(c.problems);
        }
    };
    if canonical(&manifest).as_bytes() != text.as_slice() {
        c.add(
            MANIFEST,
            "not_canonical",
            format!("{MANIFEST} is not in its canonical form: it was edited"),
            format!("{MANIFEST} به شکل استاندارد خود نیست: ویرایش شده است"),
        );
    }
    if manifest["format"] != FORMAT {
        c.add(
            MANIFEST,
            "unknown_format",
            format!(
                "{MANIFEST} names format {}, not {FORMAT}",
                manifest["format"]
            ),
            format!(
                "{MANIFEST} قالب {} را نام می‌برد، نه {FORMAT}",
                manifest["format"]
            ),
        );
    }
    // Every listed file, and nothing else.
    let listed = |part: &str| -> Vec<(String, String, u64)> {
        manifest[part]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|f| {
                        (
                            f["path"].as_str().unwrap_or("").to_string(),
                            f["sha256"].as_str().unwrap_or("").to_string(),
                            f["bytes"].as_u64().unwrap_or(u64::MAX),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let public = listed("public");
    let restricted = listed("restricted");
    if !manifest["public"].is_array() || !manifest["restricted"].is_array() {
        c.add(
            MANIFEST,
            "bad_manifest",
            "the manifest's file lists are missing",
            "فهرست پرونده‌ها در فهرست اصلی نیست",
        );
    }
    let mut present = BTreeSet::new();
    files_under(dir, "public", &mut present);
    let restricted_present = dir.join("restricted").is_dir();
    if restricted_present {
        files_under(dir, "restricted", &mut present);
    }
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let total = public.len()
        + if restricted_present {
            restricted.len()
        } else {
            0
        };
    let mut done = 0;
    for (path, sha, bytes) in public.iter().chain(if restricted_present {
        restricted.iter()
    } else {
        [].iter()
    }) {
        done += 1;
        progress("files", done, total);
        if !seen.insert(path.clone()) {
            c.add(
                MANIFEST,
                "listed_twice",
                format!("{MANIFEST} lists {path} twice"),
                format!("{MANIFEST} پروندهٔ {path} را دو بار آورده است"),
            );
            continue;
        }
        match read(dir, path) {
            None => c.add(
                path,
                "missing_file",
                format!("{path} is listed in {MANIFEST} but missing"),
                format!("{path} در {MANIFEST} آمده ولی نیست"),
            ),
            Some(data) => {
                if data.len() as u64 != *bytes || hex(&Sha256::digest(&data)) != *sha {
                    c.add(path, "file_changed", format!("{path} differs from what {MANIFEST} records for it (size or SHA-256): it was changed"), format!("{path} با آنچه {MANIFEST} برایش ثبت کرده (اندازه یا SHA-256) یکی نیست: دست خورده است"));
                }
                contents.insert(path.clone(), data);
            }
        }
    }
    for path in present.difference(&seen) {
        c.add(
            path,
            "unexpected_file",
            format!("{path} is not listed in {MANIFEST} (an extra or duplicated file)"),
            format!("{path} در {MANIFEST} نیامده است (پروندهٔ اضافه یا تکراری)"),
        );
    }
    // The election.
    let Some(election_text) = contents.get("public/election.json") else {
        c.add(
            "public/election.json",
            "missing_file",
            "the election definition is missing",
            "تعریف انتخابات نیست",
        );
        return Err(c.problems);
    };
    let election_hash: [u8; 32] = Sha256::digest(election_text).into();
    if manifest["election"]["sha256"].as_str() != Some(hex(&election_hash).as_str()) {
        c.add(
            MANIFEST,
            "election_hash",
            format!("{MANIFEST} gives another hash for the election than public/election.json has"),
            format!("چکیدهٔ انتخابات در {MANIFEST} با public/election.json یکی نیست"),
        );
    }
    let (export, contest, rules, stations) =
        match read_election(&String::from_utf8_lossy(election_text)) {
            Ok(found) => found,
            Err(e) => {
                c.add(
                    "public/election.json",
                    "bad_election",
                    e.clone(),
                    format!("تعریف انتخابات خوانده نشد: {e}"),
                );
                return Err(c.problems);
            }
        };
    for key in ["code", "kind", "name_fa", "name_en"] {
        if manifest["election"][key] != export["election"][key] {
            c.add(
                MANIFEST,
                "election_mismatch",
                format!("{MANIFEST} gives another election {key} than public/election.json"),
                format!("{key} انتخابات در {MANIFEST} با public/election.json یکی نیست"),
            );
        }
    }
    // Devices and officials.
    let parse_list = |c: &mut Checker, path: &str| -> Vec<Value> {
        match contents
            .get(path)
            .map(|b| serde_json::from_slice::<Value>(b))
        {
            Some(Ok(Value::Array(list))) => list,
            _ => {
                c.add(
                    path,
                    "bad_file",
                    format!("{path} is not a JSON list"),
                    format!("{path} فهرست JSON نیست"),
                );
                Vec::new()
            }
        }
    };
    let devices = parse_list(&mut c, "public/devices.json");
    let officials = parse_list(&mut c, "public/officials.json");
    let key_of = |text: Option<&str>| {
        text.and_then(unhex::<32>)
            .and_then(|k| VerifyingKey::from_bytes(&k).ok())
    };
    // Stations: reported and missing are the election's, each once.
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let reported = names(&manifest["stations"]["reported"]);
    let missing = names(&manifest["stations"]["missing"]);
    let mut all: Vec<String> = reported.iter().chain(missing.iter()).cloned().collect();
    all.sort();
    let mut expected = stations.clone();
    expected.sort();
    if all != expected {
        c.add(
            MANIFEST,
            "stations_mismatch",
            "the stations reported and missing are not exactly the election's stations, each once",
            "شعبه‌های گزارش‌داده و غایب دقیقاً شعبه‌های این انتخابات (هر کدام یک بار) نیستند",
        );
    }
    let report_files: BTreeSet<String> = seen
        .iter()
        .filter_map(|p| {
            p.strip_prefix("public/reports/")?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .collect();
    let reported_set: BTreeSet<String> = reported.iter().cloned().collect();
    for station in report_files.symmetric_difference(&reported_set) {
        c.add(
            &format!("public/reports/{station}.json"),
            "report_mismatch",
            format!("station {station}: a report file and the list of stations reported disagree"),
            format!("شعبهٔ {station}: پروندهٔ گزارش و فهرست شعبه‌های گزارش‌داده جور نیستند"),
        );
    }
    // Every report.
    let mut reports: Vec<Value> = Vec::new();
    let mut report_bytes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut device_keys: BTreeMap<String, VerifyingKey> = BTreeMap::new();
    let mut ballots = 0u64;
    for (i, station) in reported_set.iter().enumerate() {
        progress("reports", i + 1, reported_set.len());
        let path = format!("public/reports/{station}.json");
        let Some(bytes) = contents.get(&path) else {
            continue;
        };
        report_bytes.insert(station.clone(), bytes.clone());
        let report: Value = match serde_json::from_slice(bytes) {
            Ok(report) => report,
            Err(_) => {
                c.add(
                    &path,
                    "bad_report",
                    "the report is not JSON",
                    "گزارش JSON نیست",
                );
                continue;
            }
        };
        let device = devices.iter().find(|d| {
            d["station"].as_str() == Some(station.as_str())
                && d["public_key"] == report["device_key"]
        });
        let Some(key) = device.and_then(|d| key_of(d["public_key"].as_str())) else {
            c.add(
                &path,
                "unknown_device",
                format!(
                    "station {station}'s report is signed by a key not registered for that station"
                ),
                format!("گزارش شعبهٔ {station} با کلیدی امضا شده که برای آن شعبه ثبت نشده است"),
            );
            continue;
        };
        if let Err(e) =
            sandoq_station::report::verify(&report, &contest, &election_hash, station, &key)
        {
            c.add(
                &path,
                e.code,
                format!("station {station}: {}", e.en),
                format!("شعبهٔ {station}: {}", e.fa),
            );
            continue;
        }
        let station_officials: Vec<(String, VerifyingKey)> = officials
            .iter()
            .filter(|o| o["station"].as_str() == Some(station.as_str()))
            .filter_map(|o| {
                Some((
                    o["username"].as_str()?.to_string(),
                    key_of(o["signing_key"].as_str())?,
                ))
            })
            .collect();
        if let Err(e) = sandoq_station::report::verify_cosignatures(
            &report,
            &station_officials,
            crate::MIN_COSIGNATURES,
        ) {
            c.add(
                &path,
                e.code,
                format!("station {station}: {}", e.en),
                format!("شعبهٔ {station}: {}", e.fa),
            );
            continue;
        }
        ballots = ballots.saturating_add(report["ballots"].as_u64().unwrap_or(0));
        device_keys.insert(station.clone(), key);
        reports.push(report);
    }
    if manifest["reports_root"].as_str() != Some(hex(&reports_root(&report_bytes)).as_str()) {
        c.add(
            MANIFEST,
            "reports_root",
            "the Merkle root over the station reports is not the one the record states",
            "ریشهٔ مرکل گزارش‌های شعبه‌ها با آنچه سابقه می‌گوید یکی نیست",
        );
    }
    // The result, recomputed from the reports.
    progress("result", 0, 1);
    let recomputed =
        aggregate(&contest, &reports).map(|tally| result_json(&contest, &tally, &rules));
    let stated = contents
        .get("public/result.json")
        .and_then(|b| serde_json::from_slice::<Value>(b).ok());
    match (recomputed, stated) {
        (Err(e), _) => c.add(
            "public/result.json",
            "count_failed",
            e.clone(),
            format!("شمارش ممکن نشد: {e}"),
        ),
        (_, None) => c.add(
            "public/result.json",
            "bad_result",
            "the result is missing or not JSON",
            "نتیجه نیست یا JSON نیست",
        ),
        (Ok(mine), Some(theirs)) if mine != theirs => {
            let what = ["seats", "elected", "alternates", "votes", "lots"]
                .into_iter()
                .find(|k| mine[k] != theirs[k])
                .unwrap_or("figures");
            c.add(
                "public/result.json",
                "wrong_result",
                format!(
                    "the result differs from the one recomputed from the station reports ({what})"
                ),
                format!("نتیجه با آنچه از گزارش شعبه‌ها از نو شمرده می‌شود یکی نیست ({what})"),
            );
        }
        _ => {}
    }
    progress("result", 1, 1);
    // The closing of the count, when there is one: about this record, and signed.
    let mut final_result = false;
    if let Some(bytes) = contents.get("public/closing.json") {
        let path = "public/closing.json";
        let closing: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
        let text = closing["statement"].as_str().unwrap_or("");
        let statement: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let result_sha = contents
            .get("public/result.json")
            .map(|b| hex(&Sha256::digest(b)))
            .unwrap_or_default();
        let agrees = statement["election"].as_str() == Some(hex(&election_hash).as_str())
            && statement["reports_root"] == manifest["reports_root"]
            && statement["stations_reported"] == manifest["stations"]["reported"]
            && statement["stations_missing"] == manifest["stations"]["missing"]
            && statement["result_sha256"].as_str() == Some(result_sha.as_str());
        if !agrees {
            c.add(
                path,
                "closing_mismatch",
                "the closing statement is about other reports or another result than this record's",
                "صورتجلسهٔ پایان شمارش دربارهٔ گزارش‌ها یا نتیجهٔ دیگری است",
            );
        }
        match crate::closing::check(text, &closing["signatures"]) {
            Ok((signed, required)) => final_result = agrees && signed >= required && required > 0,
            Err(e) => c.add(
                path,
                "bad_closing_signature",
                e.clone(),
                format!("امضای پایان شمارش درست نیست: {e}"),
            ),
        }
    }
    // The restricted part: every station's ballot records, checked on every core.
    let mut ballot_records = 0u64;
    if restricted_present {
        let work: Vec<(&Value, String, &VerifyingKey)> = reports
            .iter()
            .map(|report| {
                let station = report["station"].as_str().unwrap_or("").to_string();
                let key = &device_keys[&station];
                (report, station, key)
            })
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = 64;
        let mut done = 0;
        for round in work.chunks(chunk * threads) {
            let outcomes: Vec<(Vec<Problem>, u64)> = std::thread::scope(|scope| {
                let handles: Vec<_> = round
                    .chunks(chunk)
                    .map(|part| {
                        let contents = &contents;
                        let contest = &contest;
                        scope.spawn(move || {
                            let mut problems = Vec::new();
                            let mut records = 0;
                            for (report, station, key) in part {
                                let path = format!("restricted/ballots/{station}.json");
                                match contents.get(&path) {
                                    None => problems.push(Problem {
                                        file: path.clone(),
                                        code: "missing_file",
                                        en: format!(
                                            "station {station}'s ballot records are missing"
                                        ),
                                        fa: format!("برگ‌های شعبهٔ {station} نیست"),
                                    }),
                                    Some(bytes) => {
                                        let (mut found, n) = station_ballots(
                                            &path,
                                            station,
                                            bytes,
                                            report,
                                            key,
                                            &election_hash,
                                            contest,
                                        );
                                        problems.append(&mut found);
                                        records += n;
                                    }
                                }
                            }
                            (problems, records)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|_| (Vec::new(), 0)))
                    .collect()
            });
            for (mut problems, n) in outcomes {
                c.problems.append(&mut problems);
                ballot_records += n;
            }
            done += round.len();
            progress("ballots", done, work.len());
        }
    }
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let result = contents
        .get("public/result.json")
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .unwrap_or(Value::Null);
    Ok(Verified {
        election: export["election"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        training: export["election"]["kind"] != "live",
        stations_reported: reported.len(),
        stations_missing: missing.len(),
        ballots,
        restricted_checked: restricted_present,
        ballot_records,
        seats: result["seats"].clone(),
        final_result,
    })
}

/// One station's ballot records: signed by its device, exactly its report's commitment, and
/// counted again to its report's figures.
fn station_ballots(
    path: &str,
    station: &str,
    bytes: &[u8],
    report: &Value,
    key: &VerifyingKey,
    election_hash: &[u8; 32],
    contest: &sandoq_count::Contest,
) -> (Vec<Problem>, u64) {
    let mut problems = Vec::new();
    let mut add = |code: &'static str, en: String, fa: String| {
        problems.push(Problem {
            file: path.to_string(),
            code,
            en,
            fa,
        });
    };
    let records: Option<Vec<BallotRecord>> =
        serde_json::from_slice::<Value>(bytes).ok().and_then(|v| {
            v.as_array()?
                .iter()
                .map(|r| {
                    Some(BallotRecord {
                        id: unhex::<16>(r["id"].as_str()?)?,
                        content: r["content"].as_str()?.to_string(),
                        signature: unhex::<64>(r["signature"].as_str()?)?,
                    })
                })
                .collect()
        });
    let Some(records) = records else {
        add(
            "bad_ballots",
            "the ballot records are not a list of {id, content, signature}".into(),
            "برگ‌ها فهرستی از {id, content, signature} نیستند".into(),
        );
        return (problems, 0);
    };
    // One batch verification for the station (about twice as fast as one by one).
    if BallotRecord::first_unsigned(&records, key, election_hash).is_some() {
        add(
            "bad_ballot_signature",
            format!("station {station}: a ballot record is not signed by its device"),
            format!("شعبهٔ {station}: برگی با امضای دستگاهش نیست"),
        );
    }
    if !sandoq_station::report::records_match(report, &records) {
        add(
            "not_committed",
            format!(
                "station {station}: the ballot records are not the ones its report committed to"
            ),
            format!("شعبهٔ {station}: برگ‌ها همان‌هایی نیستند که گزارش به آن‌ها متعهد شد"),
        );
    }
    match sandoq_station::report::count(&records, contest) {
        Ok(counts) => {
            let object = |v: &Value| -> BTreeMap<String, u64> {
                v.as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(u64::MAX)))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if counts.blank != report["blank"].as_u64().unwrap_or(u64::MAX)
                || counts.candidate_ballots
                    != report["candidate_ballots"].as_u64().unwrap_or(u64::MAX)
                || counts.lists != object(&report["list_ballots"])
                || counts.direct != object(&report["candidate_votes_direct"])
            {
                add("counts_differ", format!("station {station}: its ballot records do not add up to its report's figures"), format!("شعبهٔ {station}: برگ‌ها با ارقام گزارشش جور نیست"));
            }
        }
        Err(e) => add(
            e.code,
            format!("station {station}: {}", e.en),
            format!("شعبهٔ {station}: {}", e.fa),
        ),
    }
    (problems, records.len() as u64)
}
