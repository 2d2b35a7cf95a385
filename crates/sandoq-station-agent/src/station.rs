//! The station's state on disk and the steps officials and voters take (synchronous: every step
//! that must be durable is on disk before it returns). The HTTP layer (`lib.rs`) holds one
//! [`Station`] behind a lock and talks to the centre outside it.
//!
//! What is kept in DIR: `device.key`; `package.json` (what the centre sent: the export and its
//! hash, the officials' public keys); `photos/`; `ballots.box`, `tokens.book`, `events.log` (see
//! `sandoq_station`); `pending.jsonl` (provisional check-ins not yet synced: a national code and
//! a time, never a token); `report.json` (the signed, co-signed station report) and
//! `ballots-sent.json` (the centre's acknowledgement of the ballot records).

use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore};
use sandoq_count::Contest;
use sandoq_station::event_log::{EventKind, EventLog};
use sandoq_station::lifecycle::{Lifecycle, State, MIN_OFFICIALS};
use sandoq_station::merkle::{hex, unhex};
use sandoq_station::tokens::TokenBook;
use sandoq_station::{Ballot, BallotBox};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A refusal: HTTP status, stable code, message in Persian and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

pub fn refusal(
    status: u16,
    code: &'static str,
    en: impl Into<String>,
    fa: impl Into<String>,
) -> Refusal {
    Refusal {
        status,
        code,
        en: en.into(),
        fa: fa.into(),
    }
}

impl Refusal {
    pub fn json(&self) -> Value {
        json!({"error": {"code": self.code, "en": self.en, "fa": self.fa}})
    }
}

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for Refusal {
            fn from(e: $t) -> Refusal {
                Refusal { status: 422, code: e.code, en: e.en, fa: e.fa }
            }
        }
    )*};
}
from_error!(
    sandoq_station::BoxError,
    sandoq_station::tokens::TokenError,
    sandoq_station::lifecycle::StepError,
    sandoq_station::event_log::LogError,
    sandoq_station::report::ReportError
);

fn io(e: std::io::Error) -> Refusal {
    refusal(
        500,
        "station_io",
        format!("the station's files could not be written: {e}"),
        format!("پرونده‌های شعبه نوشته نشد: {e}"),
    )
}

/// What the centre sent the station, checked.
#[derive(Debug, Clone)]
pub struct Package {
    pub election: i64,
    pub station: String,
    pub hash: [u8; 32],
    /// The parts of the export document a station uses: `format`, `election`, `definition` and
    /// `photos`. The whole export is checked against its hash; the list of every station and area
    /// (most of its megabyte at Tehran's scale) is not kept in memory.
    pub export: Value,
    pub contest: Contest,
    /// The station's officials: username, co-signing public key, and that key wrapped under their
    /// password (`sandoq_station::officials`), which only their password opens.
    pub officials: Vec<(String, VerifyingKey, String)>,
    /// The centre's answer as received (saved as `package.json`), kept without a copy.
    pub raw: std::sync::Arc<Vec<u8>>,
}

/// The centre's answer to `GET /api/station-package`. The export is embedded as raw JSON (its hash
/// is over exactly those bytes, read in place); a package saved before that carried it as a JSON
/// string, which is still read.
#[derive(serde::Deserialize)]
struct Wire<'a> {
    election: Option<i64>,
    #[serde(default)]
    station: String,
    #[serde(borrow)]
    export: Option<&'a serde_json::value::RawValue>,
    #[serde(default)]
    hash: String,
    #[serde(default)]
    officials: Vec<Value>,
}

/// What a station keeps of the export; the other keys are skipped without being built.
#[derive(serde::Deserialize)]
struct Kept {
    #[serde(default)]
    format: Value,
    #[serde(default)]
    election: Value,
    #[serde(default)]
    definition: Value,
    #[serde(default)]
    photos: Value,
}

impl Package {
    /// Checks the centre's answer: the export's hash, a definition the counting engine accepts.
    pub fn read(raw: Value) -> Result<Package, Refusal> {
        Package::parse(raw.to_string().into_bytes())
    }

    /// [`Package::read`] from the answer's bytes, as received or saved.
    pub fn parse(raw: Vec<u8>) -> Result<Package, Refusal> {
        let bad = |what: &str| {
            refusal(
                502,
                "bad_package",
                format!("the centre's election package is not usable: {what}"),
                format!("بستهٔ انتخابات مرکز به کار نمی‌آید: {what}"),
            )
        };
        let wire: Wire = serde_json::from_slice(&raw).map_err(|_| bad("not a package"))?;
        let embedded = wire.export.ok_or_else(|| bad("no export"))?.get();
        let text: std::borrow::Cow<str> = if embedded.starts_with('"') {
            serde_json::from_str::<String>(embedded)
                .map_err(|_| bad("no export"))?
                .into()
        } else {
            embedded.into()
        };
        let hash = unhex::<32>(&wire.hash).ok_or_else(|| bad("no hash"))?;
        if <[u8; 32]>::from(Sha256::digest(text.as_bytes())) != hash {
            return Err(bad("the export does not match its hash"));
        }
        let kept: Kept = serde_json::from_str(&text).map_err(|_| bad("the export is not JSON"))?;
        let contest =
            sandoq_station::definition::contest_from_canonical(&kept.definition.to_string())
                .ok_or_else(|| bad("the definition is not valid"))?;
        let officials = wire
            .officials
            .iter()
            .filter_map(|o| {
                let key = unhex::<32>(o["signing_key"].as_str()?)?;
                Some((
                    o["username"].as_str()?.to_string(),
                    VerifyingKey::from_bytes(&key).ok()?,
                    o["wrapped_key"].as_str().unwrap_or("").to_string(),
                ))
            })
            .collect();
        let election = wire.election.ok_or_else(|| bad("no election"))?;
        let station = wire.station;
        drop(text);
        Ok(Package {
            election,
            station,
            hash,
            export: json!({"format": kept.format, "election": kept.election,
                           "definition": kept.definition, "photos": kept.photos}),
            contest,
            officials,
            raw: std::sync::Arc::new(raw),
        })
    }

    pub fn provisional(&self) -> bool {
        self.export["election"]["offline_policy"].as_str() == Some("provisional")
    }

    pub fn paper_record(&self) -> bool {
        self.export["election"]["paper_record"].as_bool() == Some(true)
    }

    pub fn training(&self) -> bool {
        self.export["election"]["kind"].as_str() != Some("live")
    }
}

/// A voter's session at a ballot box: unlocked by a token, ended by a ballot or voided.
#[derive(Debug)]
struct Session {
    ballot_box: u32,
    token: String,
    last_seen: Instant,
}

/// A check-in made while the centre was unreachable, to be synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub national_code: String,
    pub request_id: String,
    pub at: i64,
}

/// Writes `bytes` to `path` durably: a temporary file, flushed, renamed over, the directory
/// flushed. Each write has its own temporary name, so two writers of the same file (the desk
/// opening the station while the background round fetches the package) never rename each
/// other's file away.
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", random_hex(8)));
    let tmp = path.with_file_name(name);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex(&buf)
}

/// The station once it holds a package.
#[derive(Debug)]
pub struct Station {
    dir: PathBuf,
    key: SigningKey,
    pub package: Package,
    lifecycle: Lifecycle,
    ballot_box: BallotBox,
    tokens: TokenBook,
    /// Tokens issued, used, voided (kept in step with the book).
    counts: (u64, u64, u64),
    sessions: HashMap<String, Session>,
    /// Officials signed in (by username), and the desk's sign-in cookies.
    present: BTreeSet<String>,
    desk_cookies: HashMap<String, String>,
    pending: Vec<Pending>,
    pub online: bool,
    report: Option<Value>,
    pub ballots_sent: bool,
    /// The centre's last refusal of the report or the ballots, for the desk to show.
    pub last_refusal: Option<Refusal>,
    /// The closing time as extended today (seconds since 1970), if it was.
    extended_until: Option<i64>,
    /// When the station opened (seconds since 1970), as its event log says.
    opened_at: Option<i64>,
}

/// The box's capacity and the token book's (twice: voided tokens take slots too).
pub const DEFAULT_CAPACITY: u64 = 20_000;

impl Station {
    /// Opens the station in `dir`, setting it up from `package` on first use.
    pub fn load(
        dir: &Path,
        key: SigningKey,
        package: Package,
        capacity: u64,
        now: i64,
    ) -> Result<Station, Refusal> {
        let box_path = dir.join("ballots.box");
        let log_path = dir.join("events.log");
        let first = !box_path.exists();
        let ballot_box = if first {
            BallotBox::create(&box_path, capacity, package.hash, key.clone())?
        } else {
            BallotBox::open(&box_path, package.hash, key.clone())?.0
        };
        let book_path = dir.join("tokens.book");
        let tokens = if book_path.exists() {
            TokenBook::open(&book_path)?
        } else {
            TokenBook::create(&book_path, capacity.saturating_mul(2))?
        };
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let events = sandoq_station::event_log::verify(&text, &key.verifying_key())?;
        let mut log = EventLog::open(&log_path, key.clone())?;
        if events.is_empty() {
            log.append(
                now,
                EventKind::Setup,
                BTreeMap::from([("capacity".to_string(), capacity)]),
                &format!("station {}", package.station),
            )?;
        }
        let lifecycle = Lifecycle::new(log, &events);
        let counts = tokens.counts()?;
        let pending = read_pending(&dir.join("pending.jsonl"));
        let report = std::fs::read_to_string(dir.join("report.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        Ok(Station {
            dir: dir.to_path_buf(),
            key,
            package,
            lifecycle,
            ballot_box,
            tokens,
            counts,
            sessions: HashMap::new(),
            present: BTreeSet::new(),
            desk_cookies: HashMap::new(),
            pending,
            online: true,
            report,
            ballots_sent: dir.join("ballots-sent.json").exists(),
            last_refusal: None,
            extended_until: events
                .iter()
                .rev()
                .filter(|e| e.kind == EventKind::HoursExtended)
                .find_map(|e| e.counters.get("until"))
                .map(|&until| i64::try_from(until).unwrap_or(0)),
            opened_at: events
                .iter()
                .find(|e| e.kind == EventKind::Opened)
                .map(|e| e.at),
        })
    }

    pub fn state(&self) -> State {
        self.lifecycle.state()
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// While the station is still being set up, a newer package from the centre replaces the
    /// one held (the box is empty and is bound again to the new hash).
    pub fn refresh(&mut self, package: Package) -> Result<bool, Refusal> {
        if package.hash == self.package.hash {
            self.package = package;
            return Ok(false);
        }
        if self.state() != State::Setup || self.ballot_box.count() != 0 {
            return Ok(false);
        }
        let path = self.dir.join("ballots.box");
        let capacity = self.tokens_capacity() / 2;
        std::fs::remove_file(&path).map_err(io)?;
        self.ballot_box = BallotBox::create(&path, capacity, package.hash, self.key.clone())?;
        write_durably(&self.dir.join("package.json"), &package.raw).map_err(io)?;
        self.package = package;
        Ok(true)
    }

    fn tokens_capacity(&self) -> u64 {
        std::fs::metadata(self.dir.join("tokens.book"))
            .map(|m| m.len() / 64)
            .unwrap_or(DEFAULT_CAPACITY * 2)
    }

    // ----- officials ----------------------------------------------------------------------

    /// Checks an official's password by opening the co-signing key the package carries wrapped for
    /// them (offline too); the key opened is the one they co-sign with.
    pub fn check_official(&self, username: &str, password: &str) -> Result<SigningKey, Refusal> {
        let wrong = || {
            refusal(
                401,
                "bad_credentials",
                "wrong username or password, or not an official of this station",
                "نام کاربری یا گذرواژه نادرست است، یا مسئول این شعبه نیستید",
            )
        };
        let (_, public, wrapped) = self
            .package
            .officials
            .iter()
            .find(|(name, _, _)| name == username)
            .ok_or_else(wrong)?;
        let key =
            sandoq_station::officials::unwrap(wrapped, username, password).ok_or_else(wrong)?;
        if key.verifying_key() != *public {
            return Err(wrong());
        }
        Ok(key)
    }

    /// Signs an official in at the desk; returns the desk cookie.
    pub fn sign_in(&mut self, username: &str) -> String {
        self.present.insert(username.to_string());
        let cookie = random_hex(32);
        self.desk_cookies
            .insert(cookie.clone(), username.to_string());
        cookie
    }

    pub fn sign_out(&mut self, cookie: &str) {
        if let Some(name) = self.desk_cookies.remove(cookie) {
            if !self.desk_cookies.values().any(|n| *n == name) {
                self.present.remove(&name);
            }
        }
    }

    /// The official behind a desk cookie.
    pub fn official(&self, cookie: &str) -> Option<&str> {
        self.desk_cookies.get(cookie).map(String::as_str)
    }

    pub fn present(&self) -> Vec<String> {
        self.present.iter().cloned().collect()
    }

    // ----- lifecycle ----------------------------------------------------------------------

    /// Opens the station: officials present, the centre's current hash, an empty box.
    pub fn open(&mut self, now: i64, centre_hash: &[u8; 32]) -> Result<(), Refusal> {
        let officials = self.present();
        self.lifecycle.open(
            now,
            &officials,
            &hex(&self.package.hash),
            &hex(centre_hash),
            self.ballot_box.count(),
        )?;
        self.opened_at = Some(now);
        Ok(())
    }

    /// When the station opened, if it did (from its event log).
    pub fn opened_at(&self) -> Option<i64> {
        self.opened_at
    }

    /// Extends the hours to `until` (seconds since 1970), with the officials' reason.
    pub fn extend(&mut self, now: i64, until: i64, reason: &str) -> Result<(), Refusal> {
        self.lifecycle.extend_hours(now, until, reason)?;
        self.extended_until = Some(until);
        Ok(())
    }

    /// Polling day in the election's package.
    pub fn polling_day(&self) -> Option<sandoq_registry::Date> {
        let text = self.package.export["election"]["polling_day"].as_str()?;
        sandoq_registry::Date::parse(text).ok()
    }

    /// When voters stop being checked in (seconds since 1970): the election's closing time on
    /// polling day, or the station's extension. `None` if the package does not say (then the
    /// desk does not stop on its own).
    pub fn closes_at(&self) -> Option<i64> {
        if let Some(until) = self.extended_until {
            return Some(until);
        }
        let closes = self.package.export["election"]["closes"].as_str()?;
        let hours = sandoq_store::PollingHours::parse("00:00", closes).ok()?;
        Some(
            sandoq_store::Timestamp::from_tehran(
                self.polling_day()?,
                u32::from(hours.closes / 60),
                u32::from(hours.closes % 60),
            )
            .0,
        )
    }

    /// The closing time as the desk shows it (Tehran `HH:MM`).
    fn closes_text(&self) -> String {
        match self.closes_at() {
            Some(at) => {
                let (_, hour, minute) = sandoq_store::Timestamp(at).tehran();
                format!("{hour:02}:{minute:02}")
            }
            None => String::new(),
        }
    }

    /// Stops flushing each token and ballot as it is written (the box and the book are flushed
    /// when the station closes). Only the simulator at full scale does this, where 3.5 million
    /// voters' three flushes each would take longer than the whole run; a station whose
    /// confirmations a voter sees never does.
    pub fn defer_syncs(&mut self) {
        self.ballot_box.defer_sync();
        self.tokens.defer_sync();
    }

    /// Closes the station: open sessions are voided, the report is built and signed.
    pub fn close(&mut self, now: i64) -> Result<(), Refusal> {
        if !matches!(self.state(), State::Open | State::Voting) {
            // Let the lifecycle give its message.
            self.lifecycle.close(now, BTreeMap::new())?;
        }
        let open: Vec<String> = self.sessions.keys().cloned().collect();
        for session in open {
            self.end_session(&session, now)?;
        }
        // Everything on disk before the report commits to it (a no-op but for deferred syncs).
        self.tokens.flush()?;
        self.ballot_box.flush()?;
        let (issued, used, voided) = self.counts;
        let counters = BTreeMap::from([
            ("ballots".to_string(), self.ballot_box.count()),
            ("tokens_issued".to_string(), issued),
            ("tokens_used".to_string(), used),
            ("tokens_voided".to_string(), voided),
            ("provisional_pending".to_string(), self.pending.len() as u64),
        ]);
        self.lifecycle.close(now, counters)?;
        self.build_report()?;
        Ok(())
    }

    fn build_report(&mut self) -> Result<(), Refusal> {
        let facts = sandoq_station::report::StationFacts {
            station: self.package.station.clone(),
            election: self.package.hash,
            tokens: self.counts,
            event_log: self.lifecycle.log().head(),
        };
        let records = self.ballot_box.records()?;
        let report =
            sandoq_station::report::build(&records, &self.package.contest, &facts, &self.key)?;
        write_durably(&self.dir.join("report.json"), report.to_string().as_bytes()).map_err(io)?;
        self.report = Some(report);
        Ok(())
    }

    pub fn report(&self) -> Option<&Value> {
        self.report.as_ref()
    }

    /// An official present co-signs the report.
    pub fn cosign(&mut self, username: &str, key: &SigningKey) -> Result<usize, Refusal> {
        let Some(report) = self.report.as_mut() else {
            return Err(refusal(
                409,
                "no_report",
                "the report is made when the station closes",
                "صورتجلسه هنگام بستن شعبه ساخته می‌شود",
            ));
        };
        sandoq_station::report::add_cosignature(report, username, key);
        let n = report["cosignatures"].as_array().map_or(0, Vec::len);
        let text = report.to_string();
        write_durably(&self.dir.join("report.json"), text.as_bytes()).map_err(io)?;
        Ok(n)
    }

    /// The report, once co-signed by enough officials and not yet acknowledged.
    pub fn report_to_send(&self) -> Option<Value> {
        let report = self.report.as_ref()?;
        let signed = report["cosignatures"].as_array().map_or(0, Vec::len);
        (self.state() == State::Closed && signed >= MIN_OFFICIALS).then(|| report.clone())
    }

    pub fn reported(&mut self, now: i64) -> Result<(), Refusal> {
        self.lifecycle.reported(now)?;
        Ok(())
    }

    /// The ballot records, sorted by id, once the report was acknowledged and until they are.
    pub fn records_to_send(&self) -> Result<Option<String>, Refusal> {
        if self.state() != State::Reported || self.ballots_sent {
            return Ok(None);
        }
        let mut records = self.ballot_box.records()?;
        // The box file's slot order is not the casting order, but a body in id order tells
        // nothing of either, whoever reads it on the way.
        records.sort_unstable_by_key(|r| r.id);
        Ok(Some(format!(
            r#"{{"records":{}}}"#,
            sandoq_station::BallotRecord::list_json(&records)
        )))
    }

    pub fn ballots_acknowledged(&mut self, answer: &Value) -> Result<(), Refusal> {
        write_durably(
            &self.dir.join("ballots-sent.json"),
            answer.to_string().as_bytes(),
        )
        .map_err(io)?;
        self.ballots_sent = true;
        Ok(())
    }

    /// An incident the officials record (a note in the signed event log; never a voter's name or
    /// code: the desk says so, and the note is short).
    pub fn incident(&mut self, now: i64, note: &str) -> Result<(), Refusal> {
        let note = note.trim();
        if note.is_empty() {
            return Err(refusal(
                422,
                "empty_note",
                "describe the incident",
                "رویداد را شرح دهید",
            ));
        }
        // A run of eight digits or more could be a national code or a token: refused.
        let mut run = 0;
        for c in note.chars() {
            run = if c.is_ascii_digit() || ('۰'..='۹').contains(&c) || ('٠'..='٩').contains(&c)
            {
                run + 1
            } else {
                0
            };
            if run >= 8 {
                return Err(refusal(
                    422,
                    "note_names_someone",
                    "the note holds a long number (a national code or a token?): the log never names a voter",
                    "یادداشت عدد بلندی دارد (کد ملی یا برگهٔ رأی؟): دفتر شعبه هرگز نام رأی‌دهنده را نمی‌آورد",
                ));
            }
        }
        self.lifecycle
            .note(now, EventKind::Incident, BTreeMap::new(), note)?;
        Ok(())
    }

    /// Records that the centre became unreachable or reachable again.
    pub fn set_online(&mut self, online: bool, now: i64) {
        if self.online != online {
            self.online = online;
            let kind = if online {
                EventKind::CentreReachable
            } else {
                EventKind::CentreUnreachable
            };
            let _ = self.lifecycle_log_event(now, kind, "");
        }
    }

    fn lifecycle_log_event(
        &mut self,
        now: i64,
        kind: EventKind,
        note: &str,
    ) -> Result<(), Refusal> {
        // The log is the lifecycle's; events besides its steps go through the same writer.
        self.lifecycle.note(now, kind, BTreeMap::new(), note)?;
        Ok(())
    }

    // ----- the desk -----------------------------------------------------------------------

    fn require_voting(&self) -> Result<(), Refusal> {
        if matches!(self.state(), State::Open | State::Voting) {
            Ok(())
        } else {
            Err(refusal(
                409,
                "station_not_open",
                format!(
                    "the station is {}; voters are taken only while it is open",
                    self.state().name()
                ),
                "شعبه باز نیست؛ رأی‌دهندگان فقط هنگام باز بودن شعبه پذیرفته می‌شوند",
            ))
        }
    }

    /// Before a check-in at `now`: the station is open and polling hours (as extended) are not
    /// over.
    pub fn can_check_in(&self, now: i64) -> Result<(), Refusal> {
        self.require_voting()?;
        match self.closes_at() {
            Some(closes) if now >= closes => {
                let at = sandoq_i18n::persian_digits(&self.closes_text());
                Err(refusal(
                    409,
                    "polling_hours_over",
                    format!(
                        "polling hours ended at {} (Tehran time); only an extension of the hours by the officials, with a reason, lets more voters in",
                        self.closes_text()
                    ),
                    format!(
                        "ساعت رأی‌گیری در {at} (به وقت تهران) پایان یافت؛ تنها تمدید ساعت به دست کارگزاران، با ذکر دلیل، رأی‌دهندگان بیشتری را می‌پذیرد"
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// After the centre recorded a check-in: a token for the voter.
    pub fn issue_token(&mut self) -> Result<String, Refusal> {
        self.require_voting()?;
        let token = self.tokens.issue()?;
        self.counts.0 += 1;
        Ok(token)
    }

    /// The centre is unreachable and the election allows provisional check-ins: the check-in is
    /// kept to be synced, and the voter gets a token. A voter already waiting here is refused.
    /// `request_id` is the id the desk last asked the centre with for this person, if any (the
    /// answer never came: the sync is then the same check-in), or empty for a fresh one.
    pub fn provisional_check_in(
        &mut self,
        national_code: &str,
        request_id: &str,
        now: i64,
    ) -> Result<String, Refusal> {
        self.can_check_in(now)?;
        if self
            .pending
            .iter()
            .any(|p| p.national_code == national_code)
        {
            return Err(refusal(
                409,
                "already_checked_in_here",
                "this person has already checked in at this station (while the centre was unreachable)",
                "این شخص پیش‌تر در همین شعبه پذیرش شده است (هنگام قطع ارتباط با مرکز)",
            ));
        }
        let pending = Pending {
            national_code: national_code.to_string(),
            request_id: if request_id.is_empty() {
                format!("prov-{}", random_hex(12))
            } else {
                request_id.to_string()
            },
            at: now,
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("pending.jsonl"))
            .map_err(io)?;
        let line = json!({"national_code": pending.national_code, "request_id": pending.request_id, "checked_in_at": pending.at});
        file.write_all(format!("{line}\n").as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        self.pending.push(pending);
        self.issue_token()
    }

    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// A provisional check-in the centre has taken (recorded, or turned into an incident).
    pub fn synced(&mut self, request_id: &str) -> Result<(), Refusal> {
        self.pending.retain(|p| p.request_id != request_id);
        let text: String = self
            .pending
            .iter()
            .map(|p| format!("{}\n", json!({"national_code": p.national_code, "request_id": p.request_id, "checked_in_at": p.at})))
            .collect();
        write_durably(&self.dir.join("pending.jsonl"), text.as_bytes()).map_err(io)
    }

    // ----- the ballot box -----------------------------------------------------------------

    /// A token typed at ballot box `n` unlocks it for one ballot.
    pub fn unlock(&mut self, n: u32, typed: &str) -> Result<String, Refusal> {
        self.require_voting()?;
        let token = sandoq_station::tokens::normalize(typed)?;
        self.tokens.check(&token)?;
        if self.sessions.values().any(|s| s.token == token) {
            return Err(refusal(
                409,
                "token_in_use",
                "this token has unlocked a ballot box already",
                "این برگه پیش‌تر صندوقی را گشوده است",
            ));
        }
        if self.sessions.values().any(|s| s.ballot_box == n) {
            return Err(refusal(
                409,
                "box_busy",
                "this ballot box is in use",
                "این صندوق در حال استفاده است",
            ));
        }
        let id = random_hex(16);
        self.sessions.insert(
            id.clone(),
            Session {
                ballot_box: n,
                token,
                last_seen: Instant::now(),
            },
        );
        Ok(id)
    }

    fn session(&mut self, n: u32, id: &str) -> Result<&mut Session, Refusal> {
        match self.sessions.get_mut(id) {
            Some(s) if s.ballot_box == n => Ok(s),
            _ => Err(refusal(
                409,
                "no_session",
                "this ballot box is locked: the session ended or timed out; ask the desk",
                "صندوق قفل است: نوبت رأی پایان یافته یا زمانش گذشته است؛ به میز پذیرش مراجعه کنید",
            )),
        }
    }

    /// The voter is still there.
    pub fn touch(&mut self, n: u32, id: &str) -> Result<(), Refusal> {
        self.session(n, id)?.last_seen = Instant::now();
        Ok(())
    }

    /// Casts the voter's ballot: checked against the election, the token used, the ballot
    /// durable and signed, and only then the answer. Returns the ballot's id and the ballot.
    pub fn cast(
        &mut self,
        n: u32,
        id: &str,
        ballot: &Ballot,
        now: i64,
    ) -> Result<([u8; 16], Ballot), Refusal> {
        self.session(n, id)?;
        let ballot = ballot.checked(&self.package.contest)?;
        let token = self
            .sessions
            .get(id)
            .map(|s| s.token.clone())
            .unwrap_or_default();
        // The token is used first: a crash between the two steps leaves a used token and no
        // ballot (the voter is let in again by the officials), never a ballot without a token.
        self.tokens.redeem(&token)?;
        self.counts.1 += 1;
        self.sessions.remove(id);
        self.lifecycle.ballot_cast(now)?;
        let record = self.ballot_box.cast(&ballot)?;
        Ok((record.id, ballot))
    }

    /// Ends a session without a ballot (the voter walked away or cancelled): the token is
    /// voided and an event recorded; never a ballot.
    pub fn end_session(&mut self, id: &str, now: i64) -> Result<(), Refusal> {
        if let Some(session) = self.sessions.remove(id) {
            self.tokens.void(&session.token)?;
            self.counts.2 += 1;
            self.lifecycle
                .note(now, EventKind::SessionVoided, BTreeMap::new(), "")?;
        }
        Ok(())
    }

    pub fn void(&mut self, n: u32, id: &str, now: i64) -> Result<(), Refusal> {
        self.session(n, id)?;
        self.end_session(id, now)
    }

    /// Sessions idle for longer than `limit` end, voided.
    pub fn reap(&mut self, limit: std::time::Duration, now: i64) -> usize {
        let stale: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.last_seen.elapsed() > limit)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &stale {
            let _ = self.end_session(id, now);
        }
        stale.len()
    }

    /// What the desk shows.
    pub fn status(&self) -> Value {
        let (issued, used, voided) = self.counts;
        let (events, head) = self.lifecycle.log().head();
        json!({
            "station": self.package.station, "election": self.package.election,
            "state": self.state().name(), "online": self.online,
            "officials_present": self.present(), "officials_needed": MIN_OFFICIALS,
            "ballots": self.ballot_box.count(),
            "tokens": {"issued": issued, "used": used, "voided": voided},
            "sessions": self.sessions.len(), "pending_provisional": self.pending.len(),
            "event_log": {"events": events, "head": hex(&head)},
            "definition_hash": hex(&self.package.hash),
            "report": self.report.is_some(),
            "cosignatures": self.report.as_ref().map_or(0, |r| r["cosignatures"].as_array().map_or(0, Vec::len)),
            "ballots_sent": self.ballots_sent,
            "last_refusal": self.last_refusal.as_ref().map(Refusal::json),
            "offline_policy": if self.package.provisional() { "provisional" } else { "refuse" },
            "paper_record": self.package.paper_record(),
            "training": self.package.training(),
            "polling_day_fa": self.polling_day_text(sandoq_i18n::Lang::Fa),
            "polling_day_en": self.polling_day_text(sandoq_i18n::Lang::En),
            "opens": self.package.export["election"]["opens"],
            "closes": self.package.export["election"]["closes"],
            "extended_until": self.extended_until.map(|_| self.closes_text()),
        })
    }
}

impl Station {
    fn polling_day_text(&self, lang: sandoq_i18n::Lang) -> Option<String> {
        Some(self.polling_day()?.jalali_long(lang))
    }
}

fn read_pending(path: &Path) -> Vec<Pending> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let v: Value = serde_json::from_str(line).ok()?;
            Some(Pending {
                national_code: v["national_code"].as_str()?.to_string(),
                request_id: v["request_id"].as_str()?.to_string(),
                at: v["checked_in_at"].as_i64()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod package_tests {
    use super::*;

    fn export() -> String {
        json!({
            "format": "sandoq-election-v1",
            "election": {"code": "t", "kind": "training", "offline_policy": "refuse",
                         "name_fa": "آزمایشی \"نقل‌قول\"", "paper_record": false},
            "definition": {"format": "sandoq-definition-v1", "seats": 3, "lists": [
                {"code": "101", "name_fa": "امید", "candidates": [{"code": "10101"}]}],
                "independents": [{"code": "9001"}]},
            "stations": [{"code": "S-1"}, {"code": "S-2"}],
        })
        .to_string()
    }

    #[test]
    fn the_export_is_read_in_place_or_from_a_string_and_checked_against_its_hash() {
        let text = export();
        let hash = hex(&Sha256::digest(text.as_bytes()));
        // As the centre sends it now: the export as raw JSON.
        let raw = format!(
            r#"{{"election":7,"station":"S-1","export":{text},"hash":"{hash}","officials":[]}}"#
        );
        let read = Package::parse(raw.clone().into_bytes()).unwrap();
        assert_eq!(hex(&read.hash), hash);
        assert_eq!(read.export["election"]["code"], "t");
        assert!(read.export.get("stations").is_none(), "not kept");
        // As a package saved before: the export as a JSON string.
        let old =
            json!({"election": 7, "station": "S-1", "export": text, "hash": hash, "officials": []});
        assert_eq!(Package::read(old).unwrap().hash, read.hash);
        // One byte changed in the raw export: refused.
        let altered = raw.replacen("\"S-2\"", "\"S-3\"", 1);
        assert_ne!(altered, raw);
        assert_eq!(
            Package::parse(altered.into_bytes()).unwrap_err().code,
            "bad_package"
        );
    }
}
