//! The station's event log (issue 4 §5): its lifecycle, counters and incidents, hash-chained and
//! signed by the device, never a ballot's content, a voter's identity or a token.
//!
//! One JSON object a line, appended and flushed to disk before `append` returns:
//! `{"n","at","kind","counters","note","prev","hash","signature"}`, where `hash` is the SHA-256
//! of `sandoq-event-v1\n{n}\n{at}\n{kind}\n{counters as JSON}\n{note}\n{prev}` and `signature` the
//! device's Ed25519 signature of that hash. `prev` is the previous event's hash (64 zeros for
//! the first), so removing, reordering or altering any event breaks the chain. What an event may
//! say is fixed by its type: a kind from a closed list, named counters, and a short note; there
//! is no field a ballot, a voter or a token could go into.

use crate::merkle::{hex, unhex};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What happened at the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Setup,
    Opened,
    HoursExtended,
    Closed,
    Reported,
    /// A voting session ended without a ballot (the voter walked away).
    SessionVoided,
    /// The centre could not be reached.
    CentreUnreachable,
    CentreReachable,
    /// Counters at a point in time (e.g. every hour).
    Counters,
    /// Something the officials must know about (with a note).
    Incident,
}

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        EventKind::Setup,
        EventKind::Opened,
        EventKind::HoursExtended,
        EventKind::Closed,
        EventKind::Reported,
        EventKind::SessionVoided,
        EventKind::CentreUnreachable,
        EventKind::CentreReachable,
        EventKind::Counters,
        EventKind::Incident,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::Setup => "setup",
            EventKind::Opened => "opened",
            EventKind::HoursExtended => "hours_extended",
            EventKind::Closed => "closed",
            EventKind::Reported => "reported",
            EventKind::SessionVoided => "session_voided",
            EventKind::CentreUnreachable => "centre_unreachable",
            EventKind::CentreReachable => "centre_reachable",
            EventKind::Counters => "counters",
            EventKind::Incident => "incident",
        }
    }

    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub n: u64,
    /// Seconds since 1970 (UTC).
    pub at: i64,
    pub kind: EventKind,
    pub counters: BTreeMap<String, u64>,
    pub note: String,
    pub prev: [u8; 32],
    pub hash: [u8; 32],
    pub signature: [u8; 64],
}

/// Why the log refused or failed. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError {
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn log_error(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> LogError {
    LogError {
        code,
        en: en.into(),
        fa: fa.into(),
    }
}

fn io(e: std::io::Error) -> LogError {
    log_error(
        "event_log_io",
        format!("the event log could not be read or written: {e}"),
        format!("گزارش رویدادها خوانده یا نوشته نشد: {e}"),
    )
}

/// The longest note an event carries.
pub const MAX_NOTE: usize = 200;

fn event_hash(
    n: u64,
    at: i64,
    kind: EventKind,
    counters: &BTreeMap<String, u64>,
    note: &str,
    prev: &[u8; 32],
) -> [u8; 32] {
    let counters = serde_json::to_string(counters).unwrap_or_default();
    let text = format!(
        "sandoq-event-v1\n{n}\n{at}\n{}\n{counters}\n{note}\n{}",
        kind.name(),
        hex(prev)
    );
    Sha256::digest(text.as_bytes()).into()
}

impl Event {
    fn line(&self) -> String {
        serde_json::json!({
            "n": self.n, "at": self.at, "kind": self.kind.name(), "counters": self.counters,
            "note": self.note, "prev": hex(&self.prev), "hash": hex(&self.hash),
            "signature": hex(&self.signature),
        })
        .to_string()
    }

    fn parse(line: &str) -> Option<Event> {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let counters = value["counters"]
            .as_object()?
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_u64()?)))
            .collect::<Option<BTreeMap<String, u64>>>()?;
        Some(Event {
            n: value["n"].as_u64()?,
            at: value["at"].as_i64()?,
            kind: EventKind::from_name(value["kind"].as_str()?)?,
            counters,
            note: value["note"].as_str()?.to_string(),
            prev: unhex(value["prev"].as_str()?)?,
            hash: unhex(value["hash"].as_str()?)?,
            signature: unhex(value["signature"].as_str()?)?,
        })
    }
}

/// Checks a whole log: every line well formed, numbered in order, chained to the one before,
/// hashed and signed by `key`. Returns the events, or where the chain breaks.
pub fn verify(text: &str, key: &VerifyingKey) -> Result<Vec<Event>, LogError> {
    let mut events = Vec::new();
    let mut prev = [0u8; 32];
    for (index, line) in text.lines().enumerate() {
        let broken = |why: &str, fa: &str| {
            log_error(
                "event_log_broken",
                format!("the event log breaks at line {}: {why}", index + 1),
                format!("زنجیرهٔ گزارش رویدادها در سطر {} گسسته است: {fa}", index + 1),
            )
        };
        let event = Event::parse(line).ok_or_else(|| broken("not an event", "رویداد نیست"))?;
        if event.n != index as u64 {
            return Err(broken("numbered out of order", "شماره‌ها به ترتیب نیست"));
        }
        if event.prev != prev {
            return Err(broken(
                "not chained to the event before",
                "به رویداد پیشین زنجیر نشده است",
            ));
        }
        let hash = event_hash(
            event.n,
            event.at,
            event.kind,
            &event.counters,
            &event.note,
            &event.prev,
        );
        if hash != event.hash {
            return Err(broken("its hash does not match", "چکیده‌اش نمی‌خواند"));
        }
        if key
            .verify(&event.hash, &Signature::from_bytes(&event.signature))
            .is_err()
        {
            return Err(broken(
                "not signed by this device",
                "امضای این دستگاه را ندارد",
            ));
        }
        prev = event.hash;
        events.push(event);
    }
    Ok(events)
}

/// An open event log.
#[derive(Debug)]
pub struct EventLog {
    path: PathBuf,
    file: File,
    key: SigningKey,
    next: u64,
    head: [u8; 32],
}

impl EventLog {
    /// Opens (or starts) the log and verifies it whole. A last line cut off by a crash (no end of
    /// line: it was never acknowledged) is dropped; anything else that fails is refused.
    pub fn open(path: &Path, key: SigningKey) -> Result<EventLog, LogError> {
        let mut text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        if !text.is_empty() && !text.ends_with('\n') {
            let keep = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
            text.truncate(keep);
            let file = OpenOptions::new().write(true).open(path).map_err(io)?;
            file.set_len(keep as u64).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let events = verify(&text, &key.verifying_key())?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(EventLog {
            path: path.to_path_buf(),
            file,
            key,
            next: events.len() as u64,
            head: events.last().map(|e| e.hash).unwrap_or([0; 32]),
        })
    }

    /// Appends an event; returns once it is on disk.
    pub fn append(
        &mut self,
        at: i64,
        kind: EventKind,
        counters: BTreeMap<String, u64>,
        note: &str,
    ) -> Result<Event, LogError> {
        if note.chars().count() > MAX_NOTE || note.contains('\n') {
            return Err(log_error(
                "note_too_long",
                format!("an event's note is one line of at most {MAX_NOTE} characters"),
                format!("یادداشت رویداد یک سطر و حداکثر {MAX_NOTE} نویسه است"),
            ));
        }
        let hash = event_hash(self.next, at, kind, &counters, note, &self.head);
        let event = Event {
            n: self.next,
            at,
            kind,
            counters,
            note: note.to_string(),
            prev: self.head,
            hash,
            signature: self.key.sign(&hash).to_bytes(),
        };
        writeln!(self.file, "{}", event.line()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.next += 1;
        self.head = hash;
        Ok(event)
    }

    /// How many events, and the hash of the last one (what the station report carries).
    pub fn head(&self) -> (u64, [u8; 32]) {
        (self.next, self.head)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_verifies_and_any_change_breaks_it() {
        let dir = std::env::temp_dir().join(format!("sandoq-events-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.log");
        let key = SigningKey::from_bytes(&[5; 32]);
        let mut log = EventLog::open(&path, key.clone()).unwrap();
        log.append(100, EventKind::Setup, BTreeMap::new(), "")
            .unwrap();
        log.append(
            200,
            EventKind::Opened,
            BTreeMap::from([("ballots".into(), 0)]),
            "officials: 3",
        )
        .unwrap();
        log.append(
            300,
            EventKind::Counters,
            BTreeMap::from([("ballots".into(), 41), ("tokens".into(), 42)]),
            "",
        )
        .unwrap();
        assert_eq!(log.head().0, 3);
        assert_eq!(
            log.append(400, EventKind::Incident, BTreeMap::new(), &"x".repeat(201))
                .unwrap_err()
                .code,
            "note_too_long"
        );
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let public = key.verifying_key();
        assert_eq!(verify(&text, &public).unwrap().len(), 3);
        // Reopened, it goes on from the same head.
        let mut log = EventLog::open(&path, key.clone()).unwrap();
        log.append(500, EventKind::Closed, BTreeMap::new(), "")
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(verify(&text, &public).unwrap().len(), 4);
        let lines: Vec<&str> = text.lines().collect();
        let code = |t: String| verify(&t, &public).unwrap_err().code;
        // Altered, removed, reordered, or signed by another device: refused.
        assert_eq!(
            code(text.replace("\"ballots\":41", "\"ballots\":40")),
            "event_log_broken"
        );
        assert_eq!(
            code(format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3])),
            "event_log_broken"
        );
        assert_eq!(
            code(format!(
                "{}\n{}\n{}\n{}\n",
                lines[1], lines[0], lines[2], lines[3]
            )),
            "event_log_broken"
        );
        assert!(verify(&text, &SigningKey::from_bytes(&[6; 32]).verifying_key()).is_err());
        // A last line cut off by a crash is dropped when the log is opened again.
        std::fs::write(&path, format!("{text}{{\"n\":4,\"at")).unwrap();
        let log = EventLog::open(&path, key).unwrap();
        assert_eq!(log.head().0, 4);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
