//! The central store: what headquarters keeps (elections, the voter registry,
//! check-ins, the audit log) behind one interface with two backends
//! (`sandoq-store-sqlite`, `sandoq-store-postgres`).
//!
//! Invariants: backends only run SQL; every rule (the check digit, eligibility,
//! what an insert conflict means) lives here once, so both backends answer the
//! same way. The store never reads a clock. Nothing here ever touches a ballot.

pub mod checkin;
pub mod model;
pub mod quarantine;
pub mod time;

pub use checkin::{
    advance_status, check_in, check_in_many, sync_provisional, Attempt, CheckInOutcome,
    CheckInRequest, CheckInRule, Insert, Refusal, SyncOutcome,
};
pub use model::*;
pub use quarantine::counted_reports;
pub use time::Timestamp;

use sandoq_registry::{NationalCode, RegistryEntry};
use std::future::Future;

/// Why the store could not do what was asked. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The request itself is wrong; nothing was changed.
    Invalid {
        code: &'static str,
        en: String,
        fa: String,
    },
    /// The database failed (unreachable, full, ...); nothing was changed.
    Database(String),
}

impl StoreError {
    pub fn invalid(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            code,
            en: en.into(),
            fa: fa.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Invalid { code, .. } => code,
            StoreError::Database(_) => "database_error",
        }
    }
}

/// A setup code (area, station) that is already taken in this election.
pub fn code_taken(what: &str, code: &str) -> StoreError {
    let what_fa = match what {
        "area" => "حوزه",
        "station" => "شعبه",
        _ => what,
    };
    StoreError::invalid(
        "code_taken",
        format!("{what} code {code} already exists in this election; nothing was imported"),
        format!("کد {what_fa} {code} از پیش در این انتخابات هست؛ چیزی وارد نشد"),
    )
}

/// A station placed in a district that is not one.
pub fn unknown_district(code: &str) -> StoreError {
    StoreError::invalid(
        "unknown_district",
        format!("there is no district {code} in this election"),
        format!("بخش {code} در این انتخابات نیست"),
    )
}

/// A device key registered before.
pub fn device_key_taken() -> StoreError {
    StoreError::invalid(
        "device_key_taken",
        "this public key is already registered to a device",
        "این کلید عمومی پیش‌تر برای دستگاهی ثبت شده است",
    )
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Invalid { code, en, .. } => write!(f, "[{code}] {en}"),
            StoreError::Database(message) => write!(f, "[database_error] {message}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// What every backend provides. All writes are durable when the future resolves.
pub trait Store: Send + Sync {
    /// Creates an election; its code must be new.
    fn create_election(
        &self,
        spec: &ElectionSpec,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<ElectionId, StoreError>> + Send;

    fn election(
        &self,
        id: ElectionId,
    ) -> impl Future<Output = Result<Option<Election>, StoreError>> + Send;

    /// Stores the election definition in its canonical form with its content hash (replacing any earlier one).
    fn set_definition(
        &self,
        election: ElectionId,
        canonical: &str,
        hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The canonical definition and its hash, if one was set.
    fn definition(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Option<(String, String)>, StoreError>> + Send;

    /// Moves an election from `from` to `to`; false (and nothing changed) if it was not at `from`.
    fn set_election_status(
        &self,
        id: ElectionId,
        from: ElectionStatus,
        to: ElectionStatus,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every election, oldest first.
    fn elections(&self) -> impl Future<Output = Result<Vec<Election>, StoreError>> + Send;

    /// Adds voters to the registry of an election, all or nothing: if any row
    /// is refused (a national code already there), nothing is added.
    fn import_voters(
        &self,
        election: ElectionId,
        voters: &[Voter],
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    fn find_voter(
        &self,
        election: ElectionId,
        code: NationalCode,
    ) -> impl Future<Output = Result<Option<RegistryEntry>, StoreError>> + Send;

    /// Records a check-in unless the person (or the request id) already has one: one atomic statement.
    fn insert_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        record: &CheckInRecord,
    ) -> impl Future<Output = Result<Insert, StoreError>> + Send;

    /// Spends the request's nonce (if any; a nonce spent before answers `replayed` and does
    /// nothing else), looks a person up and, if the entry passes `rule`, inserts the check-in as
    /// [`Store::insert_check_in`] does. Backends that can do both in one statement override this.
    fn try_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        record: &CheckInRecord,
        rule: &CheckInRule,
        nonce: Option<&DeviceNonce>,
    ) -> impl Future<Output = Result<Attempt, StoreError>> + Send {
        async move {
            if let Some(n) = nonce {
                if !self.use_nonce(n.device, &n.nonce).await? {
                    return Ok(Attempt {
                        replayed: true,
                        entry: None,
                        insert: None,
                    });
                }
            }
            let entry = self.find_voter(election, code).await?;
            let insert = match &entry {
                Some(entry) if rule.admits(entry) => {
                    Some(self.insert_check_in(election, code, record).await?)
                }
                _ => None,
            };
            Ok(Attempt {
                replayed: false,
                entry,
                insert,
            })
        }
    }

    /// Many check-ins without nonces, each as [`Store::try_check_in`] would do it had they come
    /// one after another in this order; answered only once all are durable. Backends that can do
    /// it in a few statements and one commit override this (it is how the simulator checks in
    /// millions of people).
    fn try_check_in_many(
        &self,
        election: ElectionId,
        items: &[(NationalCode, CheckInRecord)],
        rule: &CheckInRule,
    ) -> impl Future<Output = Result<Vec<Attempt>, StoreError>> + Send {
        async move {
            let mut found = Vec::with_capacity(items.len());
            for (code, record) in items {
                found.push(
                    self.try_check_in(election, *code, record, rule, None)
                        .await?,
                );
            }
            Ok(found)
        }
    }

    /// Check-ins per station and Tehran clock hour.
    fn turnout(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<TurnoutBucket>, StoreError>> + Send;

    fn count_check_ins(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Stores a document of the roster ceremony (issue 18 §1): kind `roster` with its version, or
    /// `amendment` with its number. `false` (nothing changed) if that kind and number exist.
    fn put_roster_document(
        &self,
        election: ElectionId,
        kind: &str,
        number: i64,
        text: &str,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The roster documents: kind, number, text; by kind and number.
    fn roster_documents(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<(String, i64, String)>, StoreError>> + Send;

    /// A supervisor's signature of a roster document; `false` if they had signed it already.
    fn add_roster_signature(
        &self,
        election: ElectionId,
        kind: &str,
        number: i64,
        username: &str,
        signature: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every signature of a roster document: kind, number, username, signature.
    fn roster_signatures(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<(String, i64, String, String)>, StoreError>> + Send;

    /// What the centre holds of the voters a station let in: its check-ins (online, and provisional
    /// ones synced after an outage), and its synced provisional check-ins that became incidents
    /// (the person had voted elsewhere, or was not eligible: the desk let them in all the same).
    fn station_check_ins(
        &self,
        election: ElectionId,
        station: &str,
    ) -> impl Future<Output = Result<(u64, u64), StoreError>> + Send;

    /// Registers a station device and its public key (lowercase hex, 64 characters); the key must be new.
    fn register_device(
        &self,
        election: ElectionId,
        station: &str,
        kind: DeviceKind,
        public_key: &str,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<DeviceId, StoreError>> + Send;

    fn device_by_key(
        &self,
        public_key: &str,
    ) -> impl Future<Output = Result<Option<Device>, StoreError>> + Send;

    /// Revokes a device of this election (a lost or stolen desk): its signature is refused from
    /// then on. False if there is no such active device.
    fn revoke_device(
        &self,
        election: ElectionId,
        device: DeviceId,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records that `device` used `nonce`; false if it had used it before (a replay).
    fn use_nonce(
        &self,
        device: DeviceId,
        nonce: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Creates a person who can sign in; the username must be new.
    fn create_user(
        &self,
        username: &str,
        role: Role,
        scope: &str,
        password_hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<UserId, StoreError>> + Send;

    fn user_by_name(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// Records a failed sign-in; after `max_failures` in a row the account is locked until `lock_until`.
    fn record_failed_sign_in(
        &self,
        user: UserId,
        max_failures: u32,
        lock_until: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a successful sign-in (resets the failures) and stores the new session.
    fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The person a live session belongs to.
    fn session_user(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    fn delete_session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds counties and districts, all or nothing (a code already there refuses the whole set).
    fn import_areas(
        &self,
        election: ElectionId,
        areas: &[Area],
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Every county and district, in code order.
    fn areas(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<Area>, StoreError>> + Send;

    /// Adds polling stations, all or nothing; each must be in a known district.
    fn import_stations(
        &self,
        election: ElectionId,
        stations: &[Station],
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Every polling station, in code order.
    fn stations(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<Station>, StoreError>> + Send;

    /// Registers several devices, all or nothing.
    fn register_devices(
        &self,
        election: ElectionId,
        devices: &[NewDevice],
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<DeviceId>, StoreError>> + Send;

    /// Every device of an election, in registration order.
    fn devices(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<Device>, StoreError>> + Send;

    /// Stores (or replaces) a candidate's photo.
    fn set_photo(
        &self,
        election: ElectionId,
        photo: &Photo,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn photo(
        &self,
        election: ElectionId,
        candidate: &str,
    ) -> impl Future<Output = Result<Option<Photo>, StoreError>> + Send;

    /// Every photo's candidate code and SHA-256 (without the bytes), in code order.
    fn photo_hashes(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;

    /// Records an incident; false if one with the same request id was recorded before (a retried sync).
    fn record_incident(
        &self,
        election: ElectionId,
        incident: &Incident,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every incident, oldest first.
    fn incidents(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<Incident>, StoreError>> + Send;

    /// Every person who can sign in, by username.
    fn users(&self) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// Stores a verified station report, once per station. `None` if stored now; otherwise the
    /// report the station sent before (nothing changed).
    fn record_station_report(
        &self,
        election: ElectionId,
        station: &str,
        device: DeviceId,
        report: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Every station report received: station, report, when received.
    fn station_reports(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<(String, String, Timestamp)>, StoreError>> + Send;

    /// One station's stored report and when it was received, if any (reads that one row).
    fn station_report(
        &self,
        election: ElectionId,
        station: &str,
    ) -> impl Future<Output = Result<Option<(String, Timestamp)>, StoreError>> + Send;

    /// How many station reports are stored (cheap: no report is read).
    fn count_station_reports(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Creates many accounts with their co-signing keys in one transaction, all or nothing (a
    /// username taken refuses them all): how the simulator makes 15,000 station officials. Each
    /// row is (username, role, scope, password hash, co-signing key in hex).
    fn create_officials(
        &self,
        rows: &[NewOfficial],
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Sets a station official's or supervisor's co-signing public key (hex) and that key wrapped
    /// under their password.
    fn set_signing_key(
        &self,
        user: UserId,
        key: &str,
        wrapped: &str,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Sets a new password: its hash, and the co-signing key re-wrapped under it (the key itself
    /// does not change), in one transaction.
    fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        wrapped: &str,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a station's ballot records (checked against its report first), once per station.
    /// `None` if stored now; otherwise the records the station sent before (nothing changed).
    fn record_ballots(
        &self,
        election: ElectionId,
        station: &str,
        records: &str,
        actor: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Every station's ballot records: station, records.
    fn station_ballots(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;

    /// Replaces a station's latest status.
    fn set_station_status(
        &self,
        election: ElectionId,
        status: &StationStatus,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn station_statuses(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<StationStatus>, StoreError>> + Send;

    /// Records a station report the centre refused, with the reason's code.
    fn record_refused_report(
        &self,
        election: ElectionId,
        station: &str,
        code: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Refused reports: station, code, when.
    fn refused_reports(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<(String, String, Timestamp)>, StoreError>> + Send;

    /// Quarantines a station's report (audited as `actor`): from now on it is not counted. `false`
    /// if the station's report was quarantined before (nothing changed: the first stays).
    fn quarantine_report(
        &self,
        election: ElectionId,
        quarantine: &Quarantine,
        actor: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every quarantined report, oldest first (a small table: read whole).
    fn quarantined_reports(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<Quarantine>, StoreError>> + Send;

    /// Acknowledges an alert; `false` if it was already acknowledged (nothing changed).
    fn ack_alert(
        &self,
        election: ElectionId,
        ack: &AlertAck,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn alert_acks(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<AlertAck>, StoreError>> + Send;

    /// Closes the count with its statement; `false` if it was closed already (nothing changed).
    fn close_count(
        &self,
        election: ElectionId,
        statement: &str,
        by: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The closing statement, who closed the count and when, if it is closed.
    fn count_closing(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Option<(String, String, Timestamp)>, StoreError>> + Send;

    /// A supervisor's signature of the closing statement; `false` if they had signed already.
    fn add_closing_signature(
        &self,
        election: ElectionId,
        username: &str,
        signature: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The supervisors' signatures: username, signature (hex).
    fn closing_signatures(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;

    /// Starts a drill for `station` with its card (audited); returns its id.
    fn start_drill(
        &self,
        election: ElectionId,
        station: &str,
        card: &str,
        by: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Every drill of the election, newest first.
    fn drills(
        &self,
        election: ElectionId,
    ) -> impl Future<Output = Result<Vec<Drill>, StoreError>> + Send;

    /// Counts a step of the newest drill of `station` (keeping the first time it happened);
    /// nothing if the station has no drill.
    fn record_drill_step(
        &self,
        election: ElectionId,
        station: &str,
        step: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The steps of a drill, by step.
    fn drill_steps(
        &self,
        drill: i64,
    ) -> impl Future<Output = Result<Vec<DrillStep>, StoreError>> + Send;

    /// Up to `limit` people of the registry who match `sample` and have not checked in, by code.
    fn sample_voters(
        &self,
        election: ElectionId,
        sample: &VoterSample,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<NationalCode>, StoreError>> + Send;

    /// The newest entries of the audit log, newest first.
    fn audit_log(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;
}
