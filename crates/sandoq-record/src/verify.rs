//! `sandoq verify DIR`: re-checks an election record from its files alone.
//!
//! In order: the manifest (its form, canonical text), every file it lists (a safe path, a regular
//! file and no link, no larger than listed nor than its cap, its SHA-256) and no file it does not
//! list, no link and no special file anywhere (`crate::files`); every JSON file read strictly (no
//! key twice) and, but for the election export, required in the writer's canonical form byte for
//! byte; the election (hash, contest, rules, stations); every
//! station report (its device registered for that station, its signature, its figures adding up,
//! three officials' co-signatures of that station); the stations (reported and missing together
//! are exactly the election's, none twice); the Merkle root over the reports; the result
//! recomputed from the reports; and, when the restricted part is present, every station's ballot
//! records (canonical, sorted by id, signed by its device, exactly the report's commitment, and
//! counted again to the report's figures). Every problem is collected; nothing stops at the first.

use crate::files::{self, Fault};
use crate::{
    aggregate, ballot_file, canonical, read_election, reports_root, result_json, FORMAT, MANIFEST,
};
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
    /// The codes of the stations that had not reported when the record was written.
    pub stations_missing: Vec<String>,
    pub ballots: u64,
    pub restricted_checked: bool,
    pub ballot_records: u64,
    pub seats: Value,
    /// Closed by headquarters and co-signed by as many supervisors as the closing requires.
    pub final_result: bool,
    /// The hash of the sealed roster the record holds (issue 18 §1), if it holds one.
    pub roster_sha256: Option<String>,
}

/// Reports progress (what is being checked, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

struct Checker {
    problems: Vec<Problem>,
    /// (file, code) of the problems added by [`Checker::fault`], so that a link or special file
    /// met both in the listing and in the manifest is named once.
    faults: BTreeSet<(String, &'static str)>,
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

    /// A file not read, named once.
    fn fault(&mut self, path: &str, fault: &Fault) {
        let problem = fault.problem(path);
        if self.faults.insert((problem.file.clone(), problem.code)) {
            self.problems.push(problem);
        }
    }

    /// A JSON file of the record read strictly: no key twice anywhere (`duplicate_key`, and the
    /// document is not used: which of the two values counts is exactly the ambiguity), and, when
    /// `canonical_form`, exactly the text the writer makes of it (`not_canonical`). `Err(None)`
    /// when a problem was added here; `Err(Some(why))` when it is not JSON at all, which each
    /// caller names in its own words.
    fn json(
        &mut self,
        path: &str,
        bytes: &[u8],
        canonical_form: bool,
    ) -> Result<Value, Option<String>> {
        match sandoq_json::value::parse_document(bytes) {
            Ok(value) => {
                if canonical_form && canonical(&value).as_bytes() != bytes {
                    self.add(
                        path,
                        "not_canonical",
                        format!("{path} is not in the canonical form the record's writer makes (serde_json's pretty print and a final newline): it was rewritten"),
                        format!("{path} به شکل استانداردی که نویسندهٔ سابقه می‌سازد نیست (چاپ مرتب serde_json و خط پایانی): بازنویسی شده است"),
                    );
                }
                Ok(value)
            }
            Err(e) if e.code == "duplicate_key" => {
                let at = e.at.as_deref().unwrap_or("");
                self.add(
                    path,
                    "duplicate_key",
                    format!("{path}: {} ({at}): a reader could take either value", e.en),
                    format!(
                        "{path}: {} ({at}): خواننده می‌تواند هر کدام از دو مقدار را بگیرد",
                        e.fa
                    ),
                );
                Err(None)
            }
            Err(e) => Err(Some(e.en)),
        }
    }
}

/// Checks the record in `dir`. `Ok` with a summary when everything holds, otherwise every problem.
pub fn verify(dir: &Path, progress: Progress<'_>) -> Result<Verified, Vec<Problem>> {
    verify_against(dir, None, progress)
}

/// Checks the record in `dir`, and, with `roster` (the roster hash published before polling day),
/// that the record's sealed roster is that one: then every report, co-signature, amendment and
/// closing signature chains to keys published before the vote.
pub fn verify_against(
    dir: &Path,
    roster: Option<&str>,
    progress: Progress<'_>,
) -> Result<Verified, Vec<Problem>> {
    let mut c = Checker {
        problems: Vec::new(),
        faults: BTreeSet::new(),
    };
    // The manifest.
    let text = match files::read(dir, MANIFEST, u64::MAX, files::MAX_MANIFEST_BYTES) {
        Ok(text) => text,
        Err(Fault::Missing) => {
            c.add(
                MANIFEST,
                "no_manifest",
                format!("{MANIFEST} is missing: this is not a sandoq record"),
                format!("{MANIFEST} نیست: این پوشه سابقهٔ انتخابات صندوق نیست"),
            );
            return Err(c.problems);
        }
        Err(fault) => {
            c.fault(MANIFEST, &fault);
            return Err(c.problems);
        }
    };
    let manifest: Value = match c.json(MANIFEST, &text, true) {
        Ok(value) => value,
        Err(None) => return Err(c.problems),
        Err(Some(e)) => {
            c.add(
                MANIFEST,
                "bad_manifest",
                format!("{MANIFEST} is not JSON: {e}"),
                format!("{MANIFEST} JSON نیست: {e}"),
            );
            return Err(c.problems);
        }
    };
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
    // What is there: regular files, and any link or special file (named, never followed).
    let mut present = BTreeSet::new();
    for fault in files::list(dir, "public", &mut present) {
        c.fault("public", &fault);
    }
    // The restricted part is there when anything is there under its name (a link to a directory
    // elsewhere is a problem, not a record without its restricted part).
    let restricted_present = std::fs::symlink_metadata(dir.join("restricted")).is_ok();
    if restricted_present {
        for fault in files::list(dir, "restricted", &mut present) {
            c.fault("restricted", &fault);
        }
    }
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    // Listed files that could not be read: their problem is named already.
    let mut unread = BTreeSet::new();
    let total = public.len()
        + if restricted_present {
            restricted.len()
        } else {
            0
        };
    let mut done = 0;
    let listed_files = public.iter().map(|f| ("public", f)).chain(
        restricted
            .iter()
            .filter(|_| restricted_present)
            .map(|f| ("restricted", f)),
    );
    for (part, (path, sha, bytes)) in listed_files {
        done += 1;
        progress("files", done, total);
        // The path as text first: nothing outside the record is ever looked at.
        if !files::safe_path(path, part) {
            c.add(
                MANIFEST,
                "unsafe_path",
                format!("{MANIFEST} lists {path:?} in its {part} part: not a plain relative path under {part}/ (no .., no absolute path, no backslash, no empty or dot component): not opened"),
                format!("{MANIFEST} در بخش {part} خود {path:?} را آورده است: مسیری سادهٔ نسبی زیر {part}/ نیست (بدون .. ، مسیر مطلق، بک‌اسلش، یا جزء خالی یا نقطه‌دار): باز نشد"),
            );
            continue;
        }
        if !seen.insert(path.clone()) {
            c.add(
                MANIFEST,
                "listed_twice",
                format!("{MANIFEST} lists {path} twice"),
                format!("{MANIFEST} پروندهٔ {path} را دو بار آورده است"),
            );
            continue;
        }
        match files::read(dir, path, *bytes, files::cap_for(path)) {
            Err(fault) => {
                c.fault(path, &fault);
                unread.insert(path.clone());
            }
            Ok(data) => {
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
        if !unread.contains("public/election.json") {
            c.add(
                "public/election.json",
                "missing_file",
                "the election definition is missing",
                "تعریف انتخابات نیست",
            );
        }
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
    // The export is the centre's compact text, byte for byte (its hash is the election hash the
    // stations signed), so it is not in the record's pretty form; a key twice is still refused.
    if let Err(None) = c.json("public/election.json", election_text, false) {
        return Err(c.problems);
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
        match contents.get(path).map(|b| c.json(path, b, true)) {
            Some(Ok(Value::Array(list))) => list,
            Some(Err(None)) => Vec::new(),
            None if unread.contains(path) => Vec::new(),
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
    // The sealed roster and its amendments (issue 18 §1): once a record holds a roster, only the
    // keys it and its sealed amendments name count.
    let (roster_sha256, sealed_roster, chain) =
        check_roster(&mut c, &contents, &manifest, &election_hash, roster);
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
        let report: Value = match c.json(&path, bytes, true) {
            Ok(report) => report,
            Err(None) => continue,
            Err(Some(_)) => {
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
        if let Some(chain) = &chain {
            let named = report["device_key"].as_str().unwrap_or("");
            if !chain.has_device(station, named) {
                c.add(
                    &path,
                    "device_not_in_roster",
                    format!("station {station}'s report is signed by a device that is not the station's in the sealed roster or a sealed amendment"),
                    format!("گزارش شعبهٔ {station} با دستگاهی امضا شده که در فهرست مهرشدهٔ کلیدها یا الحاقیهٔ مهرشده‌ای از آنِ این شعبه نیست"),
                );
                continue;
            }
        }
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
        let station_officials: Vec<(String, VerifyingKey)> = match &chain {
            Some(chain) => chain.officials(station),
            None => officials
                .iter()
                .filter(|o| o["station"].as_str() == Some(station.as_str()))
                .filter_map(|o| {
                    Some((
                        o["username"].as_str()?.to_string(),
                        key_of(o["signing_key"].as_str())?,
                    ))
                })
                .collect(),
        };
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
    // A report not read (named already) leaves the root unknown.
    let all_reports_read = !unread.iter().any(|p| p.starts_with("public/reports/"));
    if all_reports_read
        && manifest["reports_root"].as_str() != Some(hex(&reports_root(&report_bytes)).as_str())
    {
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
    // Not read, or with a key twice: named already.
    let mut result_named = unread.contains("public/result.json");
    let stated = match contents.get("public/result.json") {
        Some(bytes) => match c.json("public/result.json", bytes, true) {
            Ok(value) => Some(value),
            Err(None) => {
                result_named = true;
                None
            }
            Err(Some(_)) => None,
        },
        None => None,
    };
    match (recomputed, &stated) {
        (Err(e), _) => c.add(
            "public/result.json",
            "count_failed",
            e.clone(),
            format!("شمارش ممکن نشد: {e}"),
        ),
        (_, None) if result_named => {}
        (_, None) => c.add(
            "public/result.json",
            "bad_result",
            "the result is missing or not JSON",
            "نتیجه نیست یا JSON نیست",
        ),
        // A report was refused or not read (named already): the sum of the others is not the
        // election's, so comparing with it would only repeat that problem.
        (Ok(_), Some(_)) if reports.len() < reported_set.len() => {}
        (Ok(mine), Some(theirs)) if mine != *theirs => {
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
        let closing: Value = c.json(path, bytes, true).unwrap_or(Value::Null);
        let text = closing["statement"].as_str().unwrap_or("");
        // The statement is compact JSON inside the file: the text the supervisors signed, read
        // as strictly.
        let statement: Value = c.json(path, text.as_bytes(), false).unwrap_or(Value::Null);
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
        // With a sealed roster, the closing is the roster's supervisors' and needs the roster's k.
        if let Some(sealed) = &sealed_roster {
            let listed: Vec<(String, String)> = statement["supervisors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    Some((
                        s["username"].as_str()?.to_string(),
                        s["signing_key"].as_str()?.to_string(),
                    ))
                })
                .collect();
            if listed != sealed.supervisors
                || statement["required_signatures"].as_u64()
                    != Some(sealed.required_signatures as u64)
            {
                c.add(
                    path,
                    "closing_not_roster",
                    "the closing statement names other supervisors or another k than the sealed roster",
                    "صورتجلسهٔ پایان شمارش ناظران یا k دیگری جز فهرست مهرشدهٔ کلیدها را نام می‌برد",
                );
            }
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
                        let unread = &unread;
                        let contest = &contest;
                        scope.spawn(move || {
                            let mut problems = Vec::new();
                            let mut records = 0;
                            // The canonical text of each file is written here, one buffer for
                            // the thread's stations.
                            let mut buffer = Vec::new();
                            for (report, station, key) in part {
                                let path = format!("restricted/ballots/{station}.json");
                                match contents.get(&path) {
                                    // Named already (a link, a special file, too large).
                                    None if unread.contains(&path) => {}
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
                                            &mut buffer,
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
    let result = stated.unwrap_or(Value::Null);
    Ok(Verified {
        election: export["election"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        training: export["election"]["kind"] != "live",
        stations_reported: reported.len(),
        stations_missing: missing,
        ballots,
        restricted_checked: restricted_present,
        ballot_records,
        seats: result["seats"].clone(),
        final_result,
        roster_sha256,
    })
}

/// The roster part of a record: `public/roster.json` (canonical; its SHA-256 is the roster hash,
/// which the manifest states), `public/roster-seal.json` (`{"roster_sha256", "signatures":
/// [{"username", "signature"}]}`, at least k valid signatures of the roster's own supervisors) and
/// `public/amendments.json` (`[{"amendment": text, "signatures": [...]}]`; an amendment counts
/// when k of the roster's supervisors signed it). With `expected`, the roster must hash to it.
/// Returns the roster hash, the sealed roster and the keys that count.
fn check_roster(
    c: &mut Checker,
    contents: &BTreeMap<String, Vec<u8>>,
    manifest: &Value,
    election_hash: &[u8; 32],
    expected: Option<&str>,
) -> (
    Option<String>,
    Option<crate::roster::Roster>,
    Option<crate::roster::Chain>,
) {
    use crate::roster::{self, Amendment, Chain, Roster};
    const ROSTER: &str = "public/roster.json";
    const SEAL: &str = "public/roster-seal.json";
    const AMENDMENTS: &str = "public/amendments.json";
    let Some(bytes) = contents.get(ROSTER) else {
        if let Some(expected) = expected {
            c.add(
                MANIFEST,
                "no_roster",
                format!("the record holds no roster, but the roster {expected} was published"),
                format!("سابقه فهرست کلیدی ندارد، ولی فهرست {expected} منتشر شده بود"),
            );
        }
        return (None, None, None);
    };
    let text = String::from_utf8_lossy(bytes).to_string();
    let sha = roster::hash(&text);
    if manifest["roster_sha256"].as_str() != Some(sha.as_str()) {
        c.add(
            MANIFEST,
            "roster_hash",
            format!("{MANIFEST} gives another roster hash than public/roster.json has"),
            format!("چکیدهٔ فهرست کلیدها در {MANIFEST} با public/roster.json یکی نیست"),
        );
    }
    if let Some(expected) = expected {
        if !expected.eq_ignore_ascii_case(&sha) {
            c.add(
                ROSTER,
                "roster_mismatch",
                format!("the record's roster hashes to {sha}, not to the roster published before polling day ({expected}): its keys are not the ones sealed"),
                format!("فهرست کلیدهای سابقه به {sha} می‌رسد، نه به فهرستی که پیش از روز رأی‌گیری منتشر شد ({expected}): کلیدهایش همان کلیدهای مهرشده نیستند"),
            );
        }
    }
    let read = match Roster::parse(&text) {
        Ok(read) => read,
        Err(e) => {
            c.add(
                ROSTER,
                "bad_roster",
                e.clone(),
                format!("فهرست کلیدها خوانده نشد: {e}"),
            );
            return (Some(sha), None, None);
        }
    };
    if read.election_sha256 != hex(election_hash) {
        c.add(
            ROSTER,
            "roster_elsewhere",
            "the roster is of another election (its election hash differs)",
            "فهرست کلیدها از آنِ انتخابات دیگری است (چکیدهٔ انتخاباتش فرق دارد)",
        );
    }
    let signatures = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["username"].as_str().unwrap_or("").to_string(),
                    s["signature"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let seal = contents
        .get(SEAL)
        .and_then(|b| c.json(SEAL, b, true).ok())
        .unwrap_or(Value::Null);
    if seal["roster_sha256"].as_str() != Some(sha.as_str()) {
        c.add(
            SEAL,
            "roster_not_sealed",
            "the roster's seal is missing or is of another roster",
            "مهر فهرست کلیدها نیست یا از آنِ فهرست دیگری است",
        );
        return (Some(sha), None, None);
    }
    match roster::check_seal(&read, &text, &signatures(&seal["signatures"])) {
        Ok(n) if n >= read.required_signatures && read.required_signatures > 0 => {}
        Ok(n) => {
            c.add(
                SEAL,
                "roster_not_sealed",
                format!(
                    "the roster needs {} supervisors' signatures; it has {n}",
                    read.required_signatures
                ),
                format!(
                    "فهرست کلیدها به امضای {} ناظر نیاز دارد؛ {n} امضا دارد",
                    read.required_signatures
                ),
            );
            return (Some(sha), None, None);
        }
        Err(e) => {
            c.add(
                SEAL,
                "bad_roster_seal",
                e.clone(),
                format!("مهر فهرست کلیدها درست نیست: {e}"),
            );
            return (Some(sha), None, None);
        }
    }
    let mut chain = Chain::new(&read);
    if let Some(bytes) = contents.get(AMENDMENTS) {
        let list = c.json(AMENDMENTS, bytes, true).unwrap_or(Value::Null);
        for entry in list.as_array().into_iter().flatten() {
            let amendment_text = entry["amendment"].as_str().unwrap_or("");
            let sealed = Amendment::parse(amendment_text)
                .ok()
                .filter(|a| a.roster_sha256 == sha)
                .filter(|_| {
                    roster::check_amendment(
                        &read,
                        amendment_text,
                        &signatures(&entry["signatures"]),
                    )
                    .is_ok_and(|n| n >= read.required_signatures)
                });
            match sealed {
                Some(amendment) => chain.add(&amendment.stations),
                None => c.add(
                    AMENDMENTS,
                    "bad_amendment",
                    "an amendment is not of this roster or not signed by k of its supervisors",
                    "الحاقیه‌ای از آنِ این فهرست نیست یا به امضای k ناظر آن نرسیده است",
                ),
            }
        }
    }
    (Some(sha), Some(read), Some(chain))
}

/// One station's ballot records: in the writer's canonical form (`buffer` takes it), sorted by
/// id, signed by its device, exactly its report's commitment, and counted again to its report's
/// figures.
#[allow(clippy::too_many_arguments)]
fn station_ballots(
    path: &str,
    station: &str,
    bytes: &[u8],
    report: &Value,
    key: &VerifyingKey,
    election_hash: &[u8; 32],
    contest: &sandoq_count::Contest,
    buffer: &mut Vec<u8>,
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
    let records: Vec<BallotRecord> = match ballot_file::read(bytes) {
        Ok(records) => records,
        Err(ballot_file::ReadError::DuplicateKey(why)) => {
            add(
                "duplicate_key",
                format!("station {station}: a ballot record names a key twice ({why}): a reader could take either value"),
                format!("شعبهٔ {station}: برگی کلیدی را دو بار آورده است ({why}): خواننده می‌تواند هر کدام از دو مقدار را بگیرد"),
            );
            return (problems, 0);
        }
        Err(ballot_file::ReadError::Malformed(_)) => {
            add(
                "bad_ballots",
                "the ballot records are not a list of {id, content, signature}".into(),
                "برگ‌ها فهرستی از {id, content, signature} نیستند".into(),
            );
            return (problems, 0);
        }
    };
    ballot_file::write_canonical(&records, buffer);
    if buffer.as_slice() != bytes {
        add(
            "not_canonical",
            format!("station {station}: the ballot file is not in the canonical form the record's writer makes (serde_json's pretty print and a final newline): it was rewritten"),
            format!("شعبهٔ {station}: پروندهٔ برگ‌ها به شکل استانداردی که نویسندهٔ سابقه می‌سازد نیست (چاپ مرتب serde_json و خط پایانی): بازنویسی شده است"),
        );
    }
    // The file's order must say nothing about the order of casting.
    if !ballot_file::strictly_sorted(&records) {
        add(
            "ballots_out_of_order",
            format!("station {station}: the ballot records are not sorted by id, each id once: their order could reveal the order of casting"),
            format!("شعبهٔ {station}: برگ‌ها به ترتیب شناسه (هر شناسه یک بار) نیستند: ترتیبشان می‌تواند ترتیب ریختن رأی‌ها را نشان دهد"),
        );
    }
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
            if !counts.agree_with(report) {
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
