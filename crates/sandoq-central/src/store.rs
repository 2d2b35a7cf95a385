//! The backend chosen from the database URL: `sqlite://PATH` (or a plain path)
//! or `postgres://…`.

use sandoq_registry::{NationalCode, RegistryEntry};
use sandoq_store::{
    AlertAck, Area, Attempt, AuditEntry, CheckInRecord, CheckInRule, Device, DeviceId, DeviceKind,
    DeviceNonce, Drill, DrillStep, Election, ElectionId, ElectionSpec, ElectionStatus, Incident,
    Insert, NewDevice, NewOfficial, Photo, Quarantine, Role, Station, StationStatus, Store,
    StoreError, Timestamp, TurnoutBucket, User, UserId, Voter, VoterSample,
};
use sandoq_store_postgres::PgStore;
use sandoq_store_sqlite::SqliteStore;

#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Opens the store the URL names and brings its schema up to date.
pub async fn open(url: &str) -> Result<AnyStore, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(AnyStore::Postgres(PgStore::open_url(url).await?))
    } else if url.contains("://") && !url.starts_with("sqlite://") {
        Err(StoreError::invalid(
            "unknown_database_url",
            format!("unknown database URL {url:?}: use sqlite://PATH or postgres://…"),
            format!(
                "نشانی پایگاه دادهٔ ناشناخته {url:?}: sqlite://PATH یا postgres://… به کار ببرید"
            ),
        ))
    } else {
        Ok(AnyStore::Sqlite(SqliteStore::open_url(url).await?))
    }
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn create_election(
        &self,
        spec: &ElectionSpec,
        actor: &str,
        at: Timestamp,
    ) -> Result<ElectionId, StoreError> {
        dispatch!(self, s => s.create_election(spec, actor, at))
    }
    async fn election(&self, id: ElectionId) -> Result<Option<Election>, StoreError> {
        dispatch!(self, s => s.election(id))
    }
    async fn set_definition(
        &self,
        election: ElectionId,
        canonical: &str,
        hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_definition(election, canonical, hash, actor, at))
    }
    async fn definition(
        &self,
        election: ElectionId,
    ) -> Result<Option<(String, String)>, StoreError> {
        dispatch!(self, s => s.definition(election))
    }
    async fn set_election_status(
        &self,
        id: ElectionId,
        from: ElectionStatus,
        to: ElectionStatus,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_election_status(id, from, to, actor, at))
    }
    async fn elections(&self) -> Result<Vec<Election>, StoreError> {
        dispatch!(self, s => s.elections())
    }
    async fn import_voters(
        &self,
        election: ElectionId,
        voters: &[Voter],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.import_voters(election, voters, actor, at))
    }
    async fn find_voter(
        &self,
        election: ElectionId,
        code: NationalCode,
    ) -> Result<Option<RegistryEntry>, StoreError> {
        dispatch!(self, s => s.find_voter(election, code))
    }
    async fn insert_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        record: &CheckInRecord,
    ) -> Result<Insert, StoreError> {
        dispatch!(self, s => s.insert_check_in(election, code, record))
    }
    async fn try_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        record: &CheckInRecord,
        rule: &CheckInRule,
        nonce: Option<&DeviceNonce>,
    ) -> Result<Attempt, StoreError> {
        dispatch!(self, s => s.try_check_in(election, code, record, rule, nonce))
    }
    async fn try_check_in_many(
        &self,
        election: ElectionId,
        items: &[(NationalCode, CheckInRecord)],
        rule: &CheckInRule,
    ) -> Result<Vec<Attempt>, StoreError> {
        dispatch!(self, s => s.try_check_in_many(election, items, rule))
    }
    async fn turnout(&self, election: ElectionId) -> Result<Vec<TurnoutBucket>, StoreError> {
        dispatch!(self, s => s.turnout(election))
    }
    async fn count_check_ins(&self, election: ElectionId) -> Result<u64, StoreError> {
        dispatch!(self, s => s.count_check_ins(election))
    }
    async fn put_roster_document(
        &self,
        election: ElectionId,
        kind: &str,
        number: i64,
        text: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.put_roster_document(election, kind, number, text, actor, at))
    }
    async fn roster_documents(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, i64, String)>, StoreError> {
        dispatch!(self, s => s.roster_documents(election))
    }
    async fn add_roster_signature(
        &self,
        election: ElectionId,
        kind: &str,
        number: i64,
        username: &str,
        signature: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.add_roster_signature(election, kind, number, username, signature, at))
    }
    async fn roster_signatures(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, i64, String, String)>, StoreError> {
        dispatch!(self, s => s.roster_signatures(election))
    }
    async fn station_check_ins(
        &self,
        election: ElectionId,
        station: &str,
    ) -> Result<(u64, u64), StoreError> {
        dispatch!(self, s => s.station_check_ins(election, station))
    }
    async fn register_device(
        &self,
        election: ElectionId,
        station: &str,
        kind: DeviceKind,
        public_key: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<DeviceId, StoreError> {
        dispatch!(self, s => s.register_device(election, station, kind, public_key, actor, at))
    }
    async fn revoke_device(
        &self,
        election: ElectionId,
        device: DeviceId,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.revoke_device(election, device, actor, at))
    }
    async fn device_by_key(&self, public_key: &str) -> Result<Option<Device>, StoreError> {
        dispatch!(self, s => s.device_by_key(public_key))
    }
    async fn use_nonce(&self, device: DeviceId, nonce: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.use_nonce(device, nonce))
    }
    async fn create_user(
        &self,
        username: &str,
        role: Role,
        scope: &str,
        password_hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<UserId, StoreError> {
        dispatch!(self, s => s.create_user(username, role, scope, password_hash, actor, at))
    }
    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        dispatch!(self, s => s.user_by_name(username))
    }
    async fn record_failed_sign_in(
        &self,
        user: UserId,
        max_failures: u32,
        lock_until: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.record_failed_sign_in(user, max_failures, lock_until))
    }
    async fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_session(user, token_hash, expires_at, at))
    }
    async fn session_user(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        dispatch!(self, s => s.session_user(token_hash, now))
    }
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete_session(token_hash))
    }
    async fn import_areas(
        &self,
        election: ElectionId,
        areas: &[Area],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.import_areas(election, areas, actor, at))
    }
    async fn areas(&self, election: ElectionId) -> Result<Vec<Area>, StoreError> {
        dispatch!(self, s => s.areas(election))
    }
    async fn import_stations(
        &self,
        election: ElectionId,
        stations: &[Station],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.import_stations(election, stations, actor, at))
    }
    async fn stations(&self, election: ElectionId) -> Result<Vec<Station>, StoreError> {
        dispatch!(self, s => s.stations(election))
    }
    async fn register_devices(
        &self,
        election: ElectionId,
        devices: &[NewDevice],
        actor: &str,
        at: Timestamp,
    ) -> Result<Vec<DeviceId>, StoreError> {
        dispatch!(self, s => s.register_devices(election, devices, actor, at))
    }
    async fn devices(&self, election: ElectionId) -> Result<Vec<Device>, StoreError> {
        dispatch!(self, s => s.devices(election))
    }
    async fn set_photo(
        &self,
        election: ElectionId,
        photo: &Photo,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_photo(election, photo, actor, at))
    }
    async fn photo(
        &self,
        election: ElectionId,
        candidate: &str,
    ) -> Result<Option<Photo>, StoreError> {
        dispatch!(self, s => s.photo(election, candidate))
    }
    async fn photo_hashes(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        dispatch!(self, s => s.photo_hashes(election))
    }
    async fn record_incident(
        &self,
        election: ElectionId,
        incident: &Incident,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.record_incident(election, incident))
    }
    async fn incidents(&self, election: ElectionId) -> Result<Vec<Incident>, StoreError> {
        dispatch!(self, s => s.incidents(election))
    }
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        dispatch!(self, s => s.users())
    }
    async fn record_station_report(
        &self,
        election: ElectionId,
        station: &str,
        device: DeviceId,
        report: &str,
        at: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.record_station_report(election, station, device, report, at))
    }
    async fn station_reports(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String, Timestamp)>, StoreError> {
        dispatch!(self, s => s.station_reports(election))
    }
    async fn station_report(
        &self,
        election: ElectionId,
        station: &str,
    ) -> Result<Option<(String, Timestamp)>, StoreError> {
        dispatch!(self, s => s.station_report(election, station))
    }
    async fn quarantine_report(
        &self,
        election: ElectionId,
        quarantine: &Quarantine,
        actor: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.quarantine_report(election, quarantine, actor))
    }
    async fn quarantined_reports(
        &self,
        election: ElectionId,
    ) -> Result<Vec<Quarantine>, StoreError> {
        dispatch!(self, s => s.quarantined_reports(election))
    }
    async fn count_station_reports(&self, election: ElectionId) -> Result<u64, StoreError> {
        dispatch!(self, s => s.count_station_reports(election))
    }
    async fn create_officials(
        &self,
        rows: &[NewOfficial],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.create_officials(rows, actor, at))
    }
    async fn set_signing_key(
        &self,
        user: UserId,
        key: &str,
        wrapped: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_signing_key(user, key, wrapped, actor, at))
    }
    async fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        wrapped: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_password(user, password_hash, wrapped, actor, at))
    }
    async fn record_ballots(
        &self,
        election: ElectionId,
        station: &str,
        records: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.record_ballots(election, station, records, actor, at))
    }
    async fn station_ballots(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        dispatch!(self, s => s.station_ballots(election))
    }
    async fn set_station_status(
        &self,
        election: ElectionId,
        status: &StationStatus,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_station_status(election, status))
    }
    async fn station_statuses(
        &self,
        election: ElectionId,
    ) -> Result<Vec<StationStatus>, StoreError> {
        dispatch!(self, s => s.station_statuses(election))
    }
    async fn record_refused_report(
        &self,
        election: ElectionId,
        station: &str,
        code: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.record_refused_report(election, station, code, at))
    }
    async fn refused_reports(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String, Timestamp)>, StoreError> {
        dispatch!(self, s => s.refused_reports(election))
    }
    async fn ack_alert(&self, election: ElectionId, ack: &AlertAck) -> Result<bool, StoreError> {
        dispatch!(self, s => s.ack_alert(election, ack))
    }
    async fn alert_acks(&self, election: ElectionId) -> Result<Vec<AlertAck>, StoreError> {
        dispatch!(self, s => s.alert_acks(election))
    }
    async fn close_count(
        &self,
        election: ElectionId,
        statement: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.close_count(election, statement, by, at))
    }
    async fn count_closing(
        &self,
        election: ElectionId,
    ) -> Result<Option<(String, String, Timestamp)>, StoreError> {
        dispatch!(self, s => s.count_closing(election))
    }
    async fn add_closing_signature(
        &self,
        election: ElectionId,
        username: &str,
        signature: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.add_closing_signature(election, username, signature, at))
    }
    async fn closing_signatures(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        dispatch!(self, s => s.closing_signatures(election))
    }
    async fn start_drill(
        &self,
        election: ElectionId,
        station: &str,
        card: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        dispatch!(self, s => s.start_drill(election, station, card, by, at))
    }
    async fn drills(&self, election: ElectionId) -> Result<Vec<Drill>, StoreError> {
        dispatch!(self, s => s.drills(election))
    }
    async fn record_drill_step(
        &self,
        election: ElectionId,
        station: &str,
        step: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.record_drill_step(election, station, step, at))
    }
    async fn drill_steps(&self, drill: i64) -> Result<Vec<DrillStep>, StoreError> {
        dispatch!(self, s => s.drill_steps(drill))
    }
    async fn sample_voters(
        &self,
        election: ElectionId,
        sample: &VoterSample,
        limit: u32,
    ) -> Result<Vec<NationalCode>, StoreError> {
        dispatch!(self, s => s.sample_voters(election, sample, limit))
    }
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        dispatch!(self, s => s.audit_log(limit))
    }
}
