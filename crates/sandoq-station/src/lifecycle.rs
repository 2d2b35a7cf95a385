//! The station's lifecycle (issue 4 §2): setup → open → voting → closed → reported, with the
//! hours extended while open or voting. The state is not stored on its own: it is read back from
//! the event log, so that it survives a restart and every change is signed and chained.
//!
//! Opening needs the officials signed in (at least [`MIN_OFFICIALS`]), the station's election
//! definition equal to the centre's (content hash) and an empty ballot box; it records all three.
//! Illegal steps are refused with a stable code and a message in Persian and English.

use crate::event_log::{Event, EventKind, EventLog, LogError};
use std::collections::BTreeMap;

/// Officials who must sign in to open a station.
pub const MIN_OFFICIALS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Setup,
    Open,
    Voting,
    Closed,
    Reported,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Setup => "setup",
            State::Open => "open",
            State::Voting => "voting",
            State::Closed => "closed",
            State::Reported => "reported",
        }
    }

    fn fa(self) -> &'static str {
        match self {
            State::Setup => "آماده‌سازی",
            State::Open => "گشوده",
            State::Voting => "رأی‌گیری",
            State::Closed => "بسته",
            State::Reported => "گزارش‌شده",
        }
    }
}

/// Why a step was refused. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn refused(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> StepError {
    StepError {
        code,
        en: en.into(),
        fa: fa.into(),
    }
}

impl From<LogError> for StepError {
    fn from(e: LogError) -> StepError {
        StepError {
            code: e.code,
            en: e.en,
            fa: e.fa,
        }
    }
}

/// The state the events lead to (the first ballot is recorded as a `counters` event with the
/// note `voting_started`).
pub fn state_of(events: &[Event]) -> State {
    let mut state = State::Setup;
    for event in events {
        state = match (state, event.kind) {
            (State::Setup, EventKind::Opened) => State::Open,
            (State::Open, EventKind::Counters) if event.note == VOTING_STARTED => State::Voting,
            (State::Open | State::Voting, EventKind::Closed) => State::Closed,
            (State::Closed, EventKind::Reported) => State::Reported,
            (state, _) => state,
        };
    }
    state
}

const VOTING_STARTED: &str = "voting_started";

/// A station's lifecycle over its event log.
#[derive(Debug)]
pub struct Lifecycle {
    log: EventLog,
    state: State,
}

fn illegal(from: State, step: &str, step_fa: &str) -> StepError {
    refused(
        "illegal_step",
        format!("a station that is {} cannot {step}", from.name()),
        format!("شعبه‌ای که در وضعیت «{}» است نمی‌تواند {step_fa}", from.fa()),
    )
}

impl Lifecycle {
    /// Reads the state back from the log.
    pub fn new(log: EventLog, events: &[Event]) -> Lifecycle {
        Lifecycle {
            log,
            state: state_of(events),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// Opens the station: officials signed in, the definition the centre's, the box empty.
    pub fn open(
        &mut self,
        at: i64,
        officials: &[String],
        local_hash: &str,
        centre_hash: &str,
        ballots_in_box: u64,
    ) -> Result<(), StepError> {
        if self.state != State::Setup {
            return Err(illegal(self.state, "be opened", "گشوده شود"));
        }
        let mut distinct: Vec<&String> = officials.iter().collect();
        distinct.sort();
        distinct.dedup();
        if distinct.len() < MIN_OFFICIALS {
            return Err(refused(
                "not_enough_officials",
                format!(
                    "opening needs {MIN_OFFICIALS} officials signed in; {} are",
                    distinct.len()
                ),
                format!(
                    "گشودن شعبه به {} مسئول واردشده نیاز دارد؛ {} نفر وارد شده‌اند",
                    sandoq_digits(MIN_OFFICIALS),
                    sandoq_digits(distinct.len())
                ),
            ));
        }
        if local_hash != centre_hash {
            return Err(refused(
                "definition_mismatch",
                "this station's election definition differs from the centre's; fetch it again before opening",
                "تعریف انتخابات در این شعبه با مرکز یکی نیست؛ پیش از گشودن دوباره دریافت کنید",
            ));
        }
        if ballots_in_box != 0 {
            return Err(refused(
                "ballot_box_not_empty",
                "the ballot box is not empty; a station opens only with an empty box",
                "صندوق خالی نیست؛ شعبه فقط با صندوق خالی گشوده می‌شود",
            ));
        }
        let note = format!(
            "officials {} · definition {local_hash} · box empty",
            distinct.len()
        );
        self.log.append(
            at,
            EventKind::Opened,
            BTreeMap::from([("ballots".to_string(), 0)]),
            &note
                .chars()
                .take(crate::event_log::MAX_NOTE)
                .collect::<String>(),
        )?;
        self.state = State::Open;
        Ok(())
    }

    /// Marks the first ballot (open → voting); later calls while voting do nothing.
    pub fn ballot_cast(&mut self, at: i64) -> Result<(), StepError> {
        match self.state {
            State::Voting => Ok(()),
            State::Open => {
                self.log
                    .append(at, EventKind::Counters, BTreeMap::new(), VOTING_STARTED)?;
                self.state = State::Voting;
                Ok(())
            }
            other => Err(illegal(other, "take a ballot", "برگ رأی بپذیرد")),
        }
    }

    /// Extends the hours (open or voting), to `until` (seconds since 1970, UTC).
    pub fn extend_hours(&mut self, at: i64, until: i64, reason: &str) -> Result<(), StepError> {
        if !matches!(self.state, State::Open | State::Voting) {
            return Err(illegal(
                self.state,
                "extend its hours",
                "ساعت کار را تمدید کند",
            ));
        }
        if until <= at {
            return Err(refused(
                "bad_extension",
                "an extension ends after now",
                "تمدید باید پس از اکنون پایان یابد",
            ));
        }
        self.log.append(
            at,
            EventKind::HoursExtended,
            BTreeMap::from([("until".to_string(), u64::try_from(until).unwrap_or(0))]),
            &reason
                .chars()
                .take(crate::event_log::MAX_NOTE)
                .collect::<String>(),
        )?;
        Ok(())
    }

    /// Closes the station with its final counters.
    pub fn close(&mut self, at: i64, counters: BTreeMap<String, u64>) -> Result<(), StepError> {
        if !matches!(self.state, State::Open | State::Voting) {
            return Err(illegal(self.state, "be closed", "بسته شود"));
        }
        self.log.append(at, EventKind::Closed, counters, "")?;
        self.state = State::Closed;
        Ok(())
    }

    /// Records an event that is not a step (a voided session, the centre unreachable or back,
    /// counters, an incident). Steps go through their own methods.
    pub fn note(
        &mut self,
        at: i64,
        kind: EventKind,
        counters: BTreeMap<String, u64>,
        note: &str,
    ) -> Result<(), StepError> {
        let step = matches!(
            kind,
            EventKind::Setup | EventKind::Opened | EventKind::Closed | EventKind::Reported
        ) || (kind == EventKind::Counters && note == VOTING_STARTED);
        if step {
            return Err(refused(
                "not_a_note",
                "a lifecycle step is recorded by its own action",
                "گام‌های چرخهٔ شعبه با کار خودشان ثبت می‌شوند",
            ));
        }
        let note: String = note.chars().take(crate::event_log::MAX_NOTE).collect();
        self.log.append(at, kind, counters, &note)?;
        Ok(())
    }

    /// Records that the centre acknowledged the station report.
    pub fn reported(&mut self, at: i64) -> Result<(), StepError> {
        if self.state != State::Closed {
            return Err(illegal(self.state, "be reported", "گزارش شود"));
        }
        self.log.append(
            at,
            EventKind::Reported,
            BTreeMap::new(),
            "acknowledged by the centre",
        )?;
        self.state = State::Reported;
        Ok(())
    }
}

fn sandoq_digits(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32('۰' as u32 + (c as u32 - '0' as u32)).unwrap_or(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn officials(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("official-{i}")).collect()
    }

    #[test]
    fn the_lifecycle_refuses_illegal_steps_and_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("sandoq-lifecycle-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.log");
        let key = SigningKey::from_bytes(&[8; 32]);
        let mut station = Lifecycle::new(EventLog::open(&path, key.clone()).unwrap(), &[]);
        assert_eq!(station.state(), State::Setup);
        let code = |r: Result<(), StepError>| r.unwrap_err().code;
        assert_eq!(code(station.ballot_cast(1)), "illegal_step");
        assert_eq!(code(station.close(1, BTreeMap::new())), "illegal_step");
        assert_eq!(
            code(station.open(1, &officials(2), "h", "h", 0)),
            "not_enough_officials"
        );
        let mut twice = officials(2);
        twice.push("official-0".into());
        assert_eq!(
            code(station.open(1, &twice, "h", "h", 0)),
            "not_enough_officials",
            "one official signed in twice is one"
        );
        assert_eq!(
            code(station.open(1, &officials(3), "h", "g", 0)),
            "definition_mismatch"
        );
        assert_eq!(
            code(station.open(1, &officials(3), "h", "h", 1)),
            "ballot_box_not_empty"
        );
        station.open(2, &officials(3), "h", "h", 0).unwrap();
        assert_eq!(
            code(station.open(3, &officials(3), "h", "h", 0)),
            "illegal_step"
        );
        station.ballot_cast(4).unwrap();
        station.ballot_cast(5).unwrap();
        assert_eq!(station.state(), State::Voting);
        assert_eq!(code(station.extend_hours(6, 6, "queue")), "bad_extension");
        station.extend_hours(6, 3600, "queue at the door").unwrap();
        assert_eq!(code(station.reported(7)), "illegal_step");
        station
            .close(8, BTreeMap::from([("ballots".to_string(), 2)]))
            .unwrap();
        assert_eq!(code(station.extend_hours(9, 9999, "late")), "illegal_step");
        drop(station);
        // After a restart the state comes back from the signed log.
        let text = std::fs::read_to_string(&path).unwrap();
        let events = crate::event_log::verify(&text, &key.verifying_key()).unwrap();
        let mut station = Lifecycle::new(EventLog::open(&path, key).unwrap(), &events);
        assert_eq!(station.state(), State::Closed);
        station.reported(10).unwrap();
        assert_eq!(station.state(), State::Reported);
        assert_eq!(code(station.close(11, BTreeMap::new())), "illegal_step");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
