//! The stations' posted minutes as public evidence (issue 18 §4): `sandoq verify DIR --paper FILE`.
//!
//! Every station prints its signed report with QR codes (`SQR1 i/n …`,
//! [`sandoq_station::report::qr_payloads`]) and posts it at the station. Anyone who scanned them
//! holds the report the station signed; this module puts the pieces back together and asks the
//! record whether it holds exactly that report, so a centre that drops or alters a station's
//! report is caught by whoever holds that station's paper. The paper's own device signature is
//! checked where the record registers that device for that station, so a forged paper is told
//! apart from a dropped report.
//!
//! Invariants: nothing here trusts the paper or the record: a paper file is read up to
//! [`MAX_PAPER_BYTES`], the record through [`crate::files`] (no link followed, no file past its
//! cap); every problem names the paper file it is about, with a stable code.

use crate::files::{self, Fault};
use crate::{canonical, read_election, Problem, MANIFEST};
use ed25519_dalek::VerifyingKey;
use sandoq_station::merkle::{hex, unhex};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The largest paper file read: the minutes of a station are a few kilobytes of QR payloads.
pub const MAX_PAPER_BYTES: u64 = 1 << 20;
/// The most QR codes one station's minutes may have (a report of about 40 KB needs about 40).
pub const MAX_CHUNKS: usize = 4096;

fn problem(file: &str, code: &'static str, en: String, fa: String) -> Problem {
    Problem {
        file: file.to_string(),
        code,
        en,
        fa,
    }
}

fn unreadable(file: &str, en: impl Into<String>, fa: impl Into<String>) -> Problem {
    let (en, fa) = (en.into(), fa.into());
    problem(
        file,
        "paper_unreadable",
        format!("{file}: {en}"),
        format!("{file}: {fa}"),
    )
}

/// Reads a paper file (the QR payloads of one station's minutes), refusing more than
/// [`MAX_PAPER_BYTES`]. A pipe is read too (`--paper <(zbarimg …)`), never past the cap.
pub fn read_paper_file(path: &Path) -> Result<Vec<u8>, Problem> {
    let name = path.display().to_string();
    let too_large = || {
        unreadable(
            &name,
            format!("larger than {MAX_PAPER_BYTES} bytes: a station's minutes are a few kilobytes; not read"),
            format!("بزرگ‌تر از {MAX_PAPER_BYTES} بایت است: صورتجلسهٔ یک شعبه چند کیلوبایت است؛ خوانده نشد"),
        )
    };
    let file = std::fs::File::open(path).map_err(|e| {
        unreadable(
            &name,
            format!("could not be opened: {e}"),
            format!("باز نشد: {e}"),
        )
    })?;
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > MAX_PAPER_BYTES)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_PAPER_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            unreadable(
                &name,
                format!("could not be read: {e}"),
                format!("خوانده نشد: {e}"),
            )
        })?;
    if bytes.len() as u64 > MAX_PAPER_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// `1/7` → (1, 7): decimal digits only, 1 ≤ i ≤ n ≤ [`MAX_CHUNKS`].
fn position(text: &str) -> Option<(usize, usize)> {
    let (i, n) = text.split_once('/')?;
    let number = |s: &str| -> Option<usize> {
        if s.is_empty() || s.len() > 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (i, n) = (number(i)?, number(n)?);
    (1 <= i && i <= n && n <= MAX_CHUNKS).then_some((i, n))
}

/// The report text the QR payloads of one paper hold, put back together: one payload a line, in
/// any order, blank lines and a final `\r` ignored, a payload twice only if the same text.
pub fn reassemble(file: &str, bytes: &[u8]) -> Result<String, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        unreadable(
            file,
            format!("not UTF-8 text (byte {})", e.valid_up_to()),
            format!("متن UTF-8 نیست (بایت {})", e.valid_up_to()),
        )
    })?;
    let mut pieces: BTreeMap<usize, &str> = BTreeMap::new();
    let mut count: Option<usize> = None;
    for (number, line) in text.split('\n').enumerate() {
        let line_no = number + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let parsed = line
            .strip_prefix("SQR1 ")
            .and_then(|rest| rest.split_once(' '))
            .and_then(|(at, piece)| Some((position(at)?, piece)));
        let Some(((i, n), piece)) = parsed else {
            return Err(unreadable(
                file,
                format!("line {line_no} is not a code of sandoq's printed minutes (SQR1 i/n …)"),
                format!("سطر {line_no} کدی از صورتجلسهٔ چاپی صندوق نیست (SQR1 i/n …)"),
            ));
        };
        match count {
            Some(m) if m != n => {
                return Err(unreadable(
                    file,
                    format!("its codes disagree on how many there are ({m} and {n}, line {line_no}): they come from different minutes"),
                    format!("کدهایش در شمارِ کل یکی نیستند ({m} و {n}، سطر {line_no}): از صورتجلسه‌های مختلف‌اند"),
                ));
            }
            _ => count = Some(n),
        }
        if let Some(earlier) = pieces.insert(i, piece) {
            if earlier != piece {
                return Err(unreadable(
                    file,
                    format!("code {i} of {n} appears twice with different text (line {line_no})"),
                    format!("کد {i} از {n} دو بار با متن متفاوت آمده است (سطر {line_no})"),
                ));
            }
        }
    }
    let Some(n) = count else {
        return Err(unreadable(
            file,
            "holds no code of sandoq's printed minutes (SQR1 i/n …)",
            "هیچ کدی از صورتجلسهٔ چاپی صندوق (SQR1 i/n …) ندارد",
        ));
    };
    let missing: Vec<String> = (1..=n)
        .filter(|i| !pieces.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        let shown = if missing.len() > 10 {
            format!("{}, …", missing[..10].join(", "))
        } else {
            missing.join(", ")
        };
        return Err(unreadable(
            file,
            format!("code {shown} of {n} is missing: scan every code of the minutes"),
            format!("کد {shown} از {n} نیست: همهٔ کدهای صورتجلسه را بخوانید"),
        ));
    }
    Ok(pieces.into_values().collect())
}

/// What a paper is compared with, read once from the record.
struct Record {
    manifest: Value,
    election_hash: [u8; 32],
    contest: sandoq_count::Contest,
    stations: Vec<String>,
    devices: Vec<Value>,
}

fn listed_size(manifest: &Value, path: &str) -> u64 {
    manifest["public"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["path"] == path)
        .and_then(|f| f["bytes"].as_u64())
        .unwrap_or(u64::MAX)
}

fn read_listed(dir: &Path, manifest: &Value, path: &str) -> Result<Vec<u8>, Fault> {
    files::read(dir, path, listed_size(manifest, path), files::cap_for(path))
}

fn read_record(dir: &Path) -> Result<Record, String> {
    let text = files::read(dir, MANIFEST, u64::MAX, files::MAX_MANIFEST_BYTES)
        .map_err(|_| format!("{MANIFEST} could not be read"))?;
    let manifest =
        sandoq_json::value::parse_document(&text).map_err(|e| format!("{MANIFEST}: {}", e.en))?;
    let election = read_listed(dir, &manifest, "public/election.json")
        .map_err(|_| "public/election.json could not be read".to_string())?;
    sandoq_json::value::parse_document(&election)
        .map_err(|e| format!("public/election.json: {}", e.en))?;
    let (_, contest, _, stations) = read_election(&String::from_utf8_lossy(&election))?;
    let devices = read_listed(dir, &manifest, "public/devices.json")
        .ok()
        .and_then(|bytes| sandoq_json::value::parse_document(&bytes).ok())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    Ok(Record {
        manifest,
        election_hash: Sha256::digest(&election).into(),
        contest,
        stations,
        devices,
    })
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Checks each paper (its file name, its bytes) against the record in `dir`: the problems, and
/// the stations whose paper the record holds exactly.
pub fn check_paper(dir: &Path, papers: &[(String, Vec<u8>)]) -> (Vec<Problem>, Vec<String>) {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    if papers.is_empty() {
        return (problems, checked);
    }
    let record = match read_record(dir) {
        Ok(record) => record,
        Err(why) => {
            for (file, _) in papers {
                problems.push(problem(
                    file,
                    "paper_unchecked",
                    format!("{file}: the record could not be read ({why}), so the paper was not compared with it"),
                    format!("{file}: سابقه خوانده نشد ({why})، پس کاغذ با آن مقایسه نشد"),
                ));
            }
            return (problems, checked);
        }
    };
    for (file, bytes) in papers {
        match check_one(dir, &record, file, bytes) {
            Ok(station) => checked.push(station),
            Err(found) => problems.push(found),
        }
    }
    (problems, checked)
}

fn check_one(dir: &Path, record: &Record, file: &str, bytes: &[u8]) -> Result<String, Problem> {
    let text = reassemble(file, bytes)?;
    let report = match sandoq_json::value::parse_document(text.as_bytes()) {
        Ok(report) => report,
        Err(e) => {
            return Err(unreadable(
                file,
                format!("its codes put together are not a JSON report: {}", e.en),
                format!("کدهایش کنار هم گزارشی JSON نیستند: {}", e.fa),
            ))
        }
    };
    let Some(station) = report["station"].as_str().map(str::to_string) else {
        return Err(unreadable(
            file,
            "its codes put together are not a station report (no station)",
            "کدهایش کنار هم صورتجلسهٔ شعبه نیستند (شعبه‌ای نام نمی‌برند)",
        ));
    };
    if report["election"].as_str() != Some(hex(&record.election_hash).as_str()) {
        return Err(problem(
            file,
            "paper_other_election",
            format!("{file}: station {station}'s paper report is about another election than this record's (another election hash)"),
            format!("{file}: صورتجلسهٔ کاغذی شعبهٔ {station} از آنِ انتخابات دیگری است (چکیدهٔ انتخابات دیگری دارد)"),
        ));
    }
    // The paper's own signature, where the record registers its device for that station.
    let device = record
        .devices
        .iter()
        .filter(|d| d["station"].as_str() == Some(station.as_str()))
        .filter(|d| d["public_key"] == report["device_key"])
        .find_map(|d| {
            d["public_key"]
                .as_str()
                .and_then(unhex::<32>)
                .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        });
    if let Some(key) = &device {
        if let Err(e) = sandoq_station::report::verify(
            &report,
            &record.contest,
            &record.election_hash,
            &station,
            key,
        ) {
            return Err(problem(
                file,
                "paper_bad_signature",
                format!("{file}: the paper report of station {station} is not what its device signed ({}: {}): the paper is forged or misread, and says nothing about the record", e.code, e.en),
                format!("{file}: صورتجلسهٔ کاغذی شعبهٔ {station} همانی نیست که دستگاهش امضا کرد ({}: {}): کاغذ جعلی است یا نادرست خوانده شده و چیزی دربارهٔ سابقه نمی‌گوید", e.code, e.fa),
            ));
        }
    }
    let (unsigned_en, unsigned_fa) = if device.is_none() {
        (
            " (the record registers no device of that station with the paper's key, so the paper's own signature could not be checked)",
            " (سابقه دستگاهی از آن شعبه با کلید این کاغذ ثبت نکرده است، پس امضای خود کاغذ بررسی نشد)",
        )
    } else {
        ("", "")
    };
    let reported = names(&record.manifest["stations"]["reported"]);
    let path = format!("public/reports/{station}.json");
    let held = if reported.contains(&station.as_str()) && files::safe_path(&path, "public") {
        match read_listed(dir, &record.manifest, &path) {
            Ok(bytes) => Some(bytes),
            Err(Fault::Missing) => None,
            Err(fault) => {
                let why = fault.problem(&path).en;
                return Err(problem(
                    file,
                    "paper_unchecked",
                    format!("{file}: station {station}'s report in the record could not be read ({why}), so the paper was not compared with it"),
                    format!("{file}: گزارش شعبهٔ {station} در سابقه خوانده نشد ({why})، پس کاغذ با آن مقایسه نشد"),
                ));
            }
        }
    } else {
        None
    };
    let Some(held) = held else {
        let (where_en, where_fa) =
            if names(&record.manifest["stations"]["missing"]).contains(&station.as_str()) {
                (
                    "the record lists the station as missing (never reported)",
                    "سابقه این شعبه را غایب (بی‌گزارش) آورده است",
                )
            } else if record.stations.contains(&station) {
                (
                    "the record names the station as reported but holds no report file for it",
                    "سابقه این شعبه را گزارش‌داده آورده ولی پروندهٔ گزارشش را ندارد",
                )
            } else {
                (
                    "the election has no such station",
                    "این انتخابات چنین شعبه‌ای ندارد",
                )
            };
        return Err(problem(
            file,
            "paper_report_missing",
            format!("{file}: the record holds no report from station {station}, whose posted minutes this paper holds; {where_en}{unsigned_en}"),
            format!("{file}: سابقه گزارشی از شعبهٔ {station} ندارد، حال آنکه این کاغذ صورتجلسهٔ الصاق‌شدهٔ آن است؛ {where_fa}{unsigned_fa}"),
        ));
    };
    if held != canonical(&report).as_bytes() {
        let theirs = sandoq_json::value::parse_document(&held).unwrap_or(Value::Null);
        let differ: Vec<&str> = report
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .chain(
                theirs
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.as_str()),
            )
            .filter(|k| report.get(k) != theirs.get(k))
            .fold(Vec::new(), |mut keys, k| {
                if !keys.contains(&k) {
                    keys.push(k);
                }
                keys
            });
        let (what_en, what_fa) = if differ.is_empty() {
            ("its form".to_string(), "شکلش".to_string())
        } else {
            (differ.join(", "), differ.join("، "))
        };
        return Err(problem(
            file,
            "paper_report_differs",
            format!("{file}: the record holds another report for station {station} than its posted minutes ({path} differs in: {what_en}){unsigned_en}"),
            format!("{file}: سابقه برای شعبهٔ {station} گزارشی جز صورتجلسهٔ الصاق‌شده‌اش دارد ({path} در این‌ها فرق دارد: {what_fa}){unsigned_fa}"),
        ));
    }
    Ok(station)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Result<String, String> {
        reassemble("paper.txt", text.as_bytes()).map_err(|p| {
            assert_eq!(p.code, "paper_unreadable");
            p.en
        })
    }

    #[test]
    fn the_codes_are_put_back_in_order_whatever_order_they_were_scanned_in() {
        assert_eq!(
            codes("SQR1 2/2 world\r\n\n  \nSQR1 1/2 hello \nSQR1 2/2 world"),
            Ok("hello world".into())
        );
        assert_eq!(codes("SQR1 1/1 "), Ok(String::new()));
    }

    #[test]
    fn what_is_not_one_whole_minutes_is_unreadable_and_says_why() {
        let why = |text: &str| codes(text).unwrap_err();
        assert!(why("").contains("no code"));
        assert!(why("SQR1 1/2 a\nSQR1 1/3 a").contains("(2 and 3, line 2)"));
        assert!(why("SQR1 1/2 a\nSQR1 1/2 b").contains("code 1 of 2 appears twice"));
        assert!(why("SQR1 1/3 a").contains("code 2, 3 of 3 is missing"));
        for bad in [
            "SQR1 0/2 a",
            "SQR1 3/2 a",
            "SQR1 +1/2 a",
            "SQR1 1/2",
            "SQR2 1/1 a",
            "SQR1 1/99999999 a",
        ] {
            assert!(why(bad).contains("line 1 is not a code"), "{bad}");
        }
        assert!(reassemble("p", b"SQR1 1/1 \xff").is_err());
    }
}
