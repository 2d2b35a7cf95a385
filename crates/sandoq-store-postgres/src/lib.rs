//! The PostgreSQL backend of the central store (`--database postgres://…`).
//!
//! Invariants: every write is a committed transaction (`synchronous_commit`
//! is left on), so it is durable before its future resolves; migrations are embedded, applied in order,
//! and never edited once released (a changed migration refuses to start);
//! check-ins and the audit log are append-only, enforced by triggers.

use sandoq_registry::{Date, NationalCode, RegistryEntry};
use sandoq_store::{
    AlertAck, Area, AreaKind, Attempt, AuditEntry, CheckInRecord, CheckInRule, Device, DeviceId,
    DeviceKind, DeviceNonce, DeviceStatus, Drill, DrillStep, Election, ElectionId, ElectionKind,
    ElectionSpec, ElectionStatus, Incident, IncidentKind, Insert, NewDevice, NewOfficial,
    OfflinePolicy, Photo, PollingHours, Quarantine, Role, Station, StationStatus, Store,
    StoreError, Timestamp, TurnoutBucket, User, UserId, Voter, VoterSample,
};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;
use std::str::FromStr;
use std::time::Duration;

/// The embedded migrations, in order. Append only.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "devices", include_str!("../migrations/0002_devices.sql")),
    (3, "users", include_str!("../migrations/0003_users.sql")),
    (
        4,
        "definitions",
        include_str!("../migrations/0004_definitions.sql"),
    ),
    (
        5,
        "areas_incidents",
        include_str!("../migrations/0005_areas_incidents.sql"),
    ),
    (
        6,
        "election_status",
        include_str!("../migrations/0006_election_status.sql"),
    ),
    (
        7,
        "station_reports",
        include_str!("../migrations/0007_station_reports.sql"),
    ),
    (
        8,
        "station_agent",
        include_str!("../migrations/0008_station_agent.sql"),
    ),
    (
        9,
        "dashboard",
        include_str!("../migrations/0009_dashboard.sql"),
    ),
    (
        10,
        "closing",
        include_str!("../migrations/0010_closing.sql"),
    ),
    (11, "drills", include_str!("../migrations/0011_drills.sql")),
    (
        12,
        "wrapped_keys",
        include_str!("../migrations/0012_wrapped_keys.sql"),
    ),
    (
        13,
        "station_check_ins",
        include_str!("../migrations/0013_station_check_ins.sql"),
    ),
    (14, "roster", include_str!("../migrations/0014_roster.sql")),
    (
        15,
        "quarantined_reports",
        include_str!("../migrations/0015_quarantined_reports.sql"),
    ),
];

/// FNV-1a over the migration text: detects an edited migration (not a security measure).
fn checksum(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn already_in_registry(code: Option<NationalCode>) -> StoreError {
    let which = code.map(|c| c.to_string()).unwrap_or_else(|| "?".into());
    StoreError::invalid(
        "voter_already_in_registry",
        format!(
            "national code {which} is already in this election's registry; nothing was imported"
        ),
        format!("کد ملی {which} از پیش در فهرست این انتخابات هست؛ هیچ ردیفی وارد نشد"),
    )
}

/// Escapes text for COPY's text format (backslash, tab, newline, carriage return).
fn copy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

fn user_from_row(row: &sqlx::postgres::PgRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role").map_err(db)?;
    let failed: i64 = row.try_get("failed_attempts").map_err(db)?;
    Ok(User {
        id: UserId(row.try_get("id").map_err(db)?),
        username: row.try_get("username").map_err(db)?,
        role: Role::from_name(&role)
            .ok_or_else(|| StoreError::Database(format!("bad role {role}")))?,
        scope: row.try_get("scope").map_err(db)?,
        password_hash: row.try_get("password_hash").map_err(db)?,
        failed_attempts: u32::try_from(failed).unwrap_or(u32::MAX),
        locked_until: Timestamp(row.try_get("locked_until").map_err(db)?),
        signing_key: row.try_get("signing_key").map_err(db)?,
        wrapped_key: row.try_get("wrapped_key").map_err(db)?,
    })
}

fn device_from_row(row: &sqlx::postgres::PgRow) -> Result<Device, StoreError> {
    let kind: String = row.try_get("kind").map_err(db)?;
    let status: String = row.try_get("status").map_err(db)?;
    Ok(Device {
        id: DeviceId(row.try_get("id").map_err(db)?),
        election: ElectionId(row.try_get("election_id").map_err(db)?),
        station: row.try_get("station_code").map_err(db)?,
        kind: DeviceKind::from_name(&kind)
            .ok_or_else(|| StoreError::Database(format!("bad device kind {kind}")))?,
        public_key: row.try_get("public_key").map_err(db)?,
        status: DeviceStatus::from_name(&status)
            .ok_or_else(|| StoreError::Database(format!("bad device status {status}")))?,
    })
}

/// Many check-ins in one statement. Each row of the arrays is one check-in: $1 election, $2
/// national code, $3-$6 the record (station, instant, request id, provisional), $7 the
/// constituency and $8 the latest eligible birth day (the rule), $9-$10 the device and nonce
/// (NULL for none). In order: spend the nonces (a nonce spent before makes its check-in a
/// replay: nothing else is read or written for it), read the registry entries, insert the
/// check-ins whose entries pass the rule (ON CONFLICT DO NOTHING: the primary key keeps one
/// check-in per person, whatever the batches and desks). One row comes back per check-in, in
/// order: whether its nonce was fresh, its registry entry, whether this statement inserted it.
/// Rows are inserted in key order, so that two batches racing for the same people take their locks
/// in the same order and cannot deadlock each other.
const CHECK_IN_BATCH: &str = "\
WITH req AS (\
  SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::BOOLEAN[], $7::TEXT[], $8::BIGINT[], $9::BIGINT[], $10::TEXT[]) \
  WITH ORDINALITY AS r(election, code, station, at, request_id, provisional, constituency, latest_birth, device, nonce, i)), \
n AS (INSERT INTO device_nonces (device_id, nonce) SELECT device, nonce FROM req WHERE device IS NOT NULL \
  ORDER BY device, nonce ON CONFLICT DO NOTHING RETURNING device_id, nonce), \
fresh AS (SELECT req.*, (req.device IS NULL OR EXISTS (SELECT 1 FROM n WHERE n.device_id = req.device AND n.nonce = req.nonce)) AS fresh FROM req), \
v AS (SELECT fresh.i, fresh.election, fresh.code, fresh.station, fresh.at, fresh.request_id, fresh.provisional, \
  fresh.constituency AS rule_constituency, fresh.latest_birth, \
  voters.birth_date, voters.constituency, voters.deceased, voters.barred \
  FROM fresh JOIN voters ON voters.election_id = fresh.election AND voters.national_code = fresh.code WHERE fresh.fresh), \
ins AS (INSERT INTO check_ins (election_id, national_code, station_code, checked_in_at, request_id, provisional) \
  SELECT election, code, station, at, request_id, provisional FROM v \
  WHERE NOT deceased AND NOT barred AND constituency = rule_constituency AND birth_date <= latest_birth \
  ORDER BY election, code ON CONFLICT DO NOTHING RETURNING election_id, national_code, request_id) \
SELECT fresh.i, fresh.fresh, v.birth_date, v.constituency, v.deceased, v.barred, \
  EXISTS (SELECT 1 FROM ins WHERE ins.election_id = fresh.election AND ins.national_code = fresh.code AND ins.request_id = fresh.request_id) AS inserted \
FROM fresh LEFT JOIN v ON v.i = fresh.i ORDER BY fresh.i";

fn db(error: sqlx::Error) -> StoreError {
    StoreError::Database(error.to_string())
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Connections that commit without waiting for fsync, used only for device nonces.
    nonce_pool: PgPool,
    /// Check-ins waiting for a batch (see [`run_batches`]).
    batches: tokio::sync::mpsc::Sender<BatchJob>,
}

fn writers_gone() -> StoreError {
    StoreError::Database("the check-in writers have stopped".into())
}

/// One check-in waiting for its batch.
struct BatchJob {
    election: i64,
    code: i64,
    record: CheckInRecord,
    rule: CheckInRule,
    nonce: Option<DeviceNonce>,
    reply: tokio::sync::oneshot::Sender<Result<BatchAnswer, StoreError>>,
}

/// What the batch statement found for one check-in.
#[derive(Debug, Clone)]
struct BatchAnswer {
    fresh: bool,
    entry: Option<RegistryEntry>,
    inserted: bool,
}

/// The most check-ins one statement carries.
const MAX_BATCH: usize = 256;
/// Batch statements in flight at once (each on its own connection).
const BATCH_WRITERS: usize = 4;

/// Check-ins of many desks in one statement ([`CHECK_IN_BATCH`]): each writer takes every
/// check-in waiting (up to [`MAX_BATCH`]), runs them as one auto-committed statement, and
/// answers each only after that commit. Per-statement costs (round trip, planning, commit,
/// WAL flush) are shared, as the SQLite backend's group commit shares its fsync.
async fn run_batches(
    pool: PgPool,
    jobs: std::sync::Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<BatchJob>>>,
) {
    loop {
        let mut batch = Vec::new();
        {
            let mut jobs = jobs.lock().await;
            let Some(first) = jobs.recv().await else {
                return;
            };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        run_batch(&pool, batch).await;
    }
}

async fn run_batch(pool: &PgPool, batch: Vec<BatchJob>) {
    // The same nonce twice in one statement would be spent once yet read as fresh by both:
    // every repeat is answered as the replay it is, before the statement.
    let mut seen = std::collections::HashSet::new();
    let mut jobs = Vec::with_capacity(batch.len());
    for job in batch {
        let repeat = job
            .nonce
            .as_ref()
            .is_some_and(|n| !seen.insert((n.device.0, n.nonce.clone())));
        if repeat {
            let _ = job.reply.send(Ok(BatchAnswer {
                fresh: false,
                entry: None,
                inserted: false,
            }));
        } else {
            jobs.push(job);
        }
    }
    let column = |f: &dyn Fn(&BatchJob) -> i64| jobs.iter().map(f).collect::<Vec<i64>>();
    let text = |f: &dyn Fn(&BatchJob) -> String| jobs.iter().map(f).collect::<Vec<String>>();
    let result = sqlx::query(CHECK_IN_BATCH)
        .bind(column(&|j| j.election))
        .bind(column(&|j| j.code))
        .bind(text(&|j| j.record.station.clone()))
        .bind(column(&|j| j.record.at.0))
        .bind(text(&|j| j.record.request_id.clone()))
        .bind(
            jobs.iter()
                .map(|j| j.record.provisional)
                .collect::<Vec<bool>>(),
        )
        .bind(text(&|j| j.rule.constituency.clone()))
        .bind(column(&|j| j.rule.latest_birth.0))
        .bind(
            jobs.iter()
                .map(|j| j.nonce.as_ref().map(|n| n.device.0))
                .collect::<Vec<Option<i64>>>(),
        )
        .bind(
            jobs.iter()
                .map(|j| j.nonce.as_ref().map(|n| n.nonce.clone()))
                .collect::<Vec<Option<String>>>(),
        )
        .fetch_all(pool)
        .await;
    let rows = match result {
        Ok(rows) if rows.len() == jobs.len() => rows,
        Ok(rows) => {
            let error = StoreError::Database(format!(
                "a batch of {} check-ins answered {} rows",
                jobs.len(),
                rows.len()
            ));
            for job in jobs {
                let _ = job.reply.send(Err(error.clone()));
            }
            return;
        }
        Err(error) => {
            let error = db(error);
            for job in jobs {
                let _ = job.reply.send(Err(error.clone()));
            }
            return;
        }
    };
    // Rows come back in the order of the jobs (ORDER BY their position).
    for (job, row) in jobs.into_iter().zip(rows) {
        let _ = job.reply.send(batch_answer(&row));
    }
}

fn batch_answer(row: &sqlx::postgres::PgRow) -> Result<BatchAnswer, StoreError> {
    let fresh: bool = row.try_get("fresh").map_err(db)?;
    let birth: Option<i64> = row.try_get("birth_date").map_err(db)?;
    let entry = match birth {
        Some(birth) => Some(RegistryEntry {
            birth_date: Date(birth),
            constituency: row.try_get("constituency").map_err(db)?,
            deceased: row.try_get("deceased").map_err(db)?,
            barred: row.try_get("barred").map_err(db)?,
        }),
        None => None,
    };
    Ok(BatchAnswer {
        fresh,
        entry,
        inserted: row.try_get("inserted").map_err(db)?,
    })
}

impl PgStore {
    /// Hands one check-in to the batch writers; the receiver answers after its batch committed.
    async fn queue_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        record: &CheckInRecord,
        rule: &CheckInRule,
        nonce: Option<&DeviceNonce>,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<BatchAnswer, StoreError>>, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = BatchJob {
            election: election.0,
            code: code.as_u64() as i64,
            record: record.clone(),
            rule: rule.clone(),
            nonce: nonce.cloned(),
            reply,
        };
        self.batches.send(job).await.map_err(|_| writers_gone())?;
        Ok(answer)
    }

    /// What a queued check-in found, as an [`Attempt`].
    async fn finish_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        rule: &CheckInRule,
        answer: tokio::sync::oneshot::Receiver<Result<BatchAnswer, StoreError>>,
    ) -> Result<Attempt, StoreError> {
        let found = answer.await.map_err(|_| writers_gone())??;
        if !found.fresh {
            return Ok(Attempt {
                replayed: true,
                entry: None,
                insert: None,
            });
        }
        let Some(entry) = found.entry else {
            return Ok(Attempt {
                replayed: false,
                entry: None,
                insert: None,
            });
        };
        if !rule.admits(&entry) {
            return Ok(Attempt {
                replayed: false,
                entry: Some(entry),
                insert: None,
            });
        }
        let insert = if found.inserted {
            Insert::Inserted
        } else {
            // Nothing inserted: the person was checked in before (or in the same batch), or the
            // request id belongs to someone else. A second, rarer, round trip tells which.
            self.existing_check_in(election, code).await?
        };
        Ok(Attempt {
            replayed: false,
            entry: Some(entry),
            insert: Some(insert),
        })
    }

    /// Connects to `postgres://…` and applies migrations.
    pub async fn open_url(url: &str) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(db)?;
        let options = sqlx::postgres::PgConnectOptions::from_str(url)
            .map_err(db)?
            .options([("synchronous_commit", "off")]);
        let nonce_pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(options);
        let (batches, jobs) = tokio::sync::mpsc::channel(4 * MAX_BATCH);
        let store = PgStore {
            pool: pool.clone(),
            nonce_pool,
            batches,
        };
        store.migrate().await?;
        let jobs = std::sync::Arc::new(tokio::sync::Mutex::new(jobs));
        for _ in 0..BATCH_WRITERS {
            tokio::spawn(run_batches(pool.clone(), jobs.clone()));
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await
        .map_err(db)?;
        for &(version, name, sql) in MIGRATIONS {
            let applied: Option<String> =
                sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
            match applied {
                Some(sum) if sum == checksum(sql) => continue,
                Some(_) => {
                    return Err(StoreError::invalid(
                        "migration_changed",
                        format!("migration {version} ({name}) differs from the one applied to this database"),
                        format!("مهاجرت {version} ({name}) با آنچه روی این پایگاه داده اعمال شده فرق دارد"),
                    ))
                }
                None => {
                    let mut tx = self.pool.begin().await.map_err(db)?;
                    sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(db)?;
                    sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
                        .bind(version)
                        .bind(name)
                        .bind(checksum(sql))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                }
            }
        }
        Ok(())
    }

    /// The first voter of `voters` already in the registry (after a failed import, to name it).
    async fn first_present(
        &self,
        election: ElectionId,
        voters: &[Voter],
    ) -> Result<Option<NationalCode>, StoreError> {
        let codes: Vec<i64> = voters
            .iter()
            .map(|v| v.national_code.as_u64() as i64)
            .collect();
        let found: Option<i64> = sqlx::query_scalar("SELECT national_code FROM voters WHERE election_id = $1 AND national_code = ANY($2) LIMIT 1")
            .bind(election.0)
            .bind(&codes)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        Ok(found.and_then(|n| NationalCode::from_u64(n as u64)))
    }

    /// The check-in of a person after an insert that did nothing: theirs, or (none) the request id was taken.
    async fn existing_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
    ) -> Result<Insert, StoreError> {
        let existing = sqlx::query("SELECT station_code, checked_in_at, request_id, provisional FROM check_ins WHERE election_id = $1 AND national_code = $2")
            .bind(election.0)
            .bind(code.as_u64() as i64)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match existing {
            Some(row) => Ok(Insert::Existing(CheckInRecord {
                station: row.try_get("station_code").map_err(db)?,
                at: Timestamp(row.try_get("checked_in_at").map_err(db)?),
                request_id: row.try_get("request_id").map_err(db)?,
                provisional: row.try_get("provisional").map_err(db)?,
            })),
            None => Ok(Insert::RequestIdTaken),
        }
    }

    /// Direct SQL access, for tests that try to break the invariants.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

async fn audit(
    executor: impl sqlx::PgExecutor<'_>,
    at: Timestamp,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, $3, $4)")
        .bind(at.0)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(executor)
        .await
        .map_err(db)?;
    Ok(())
}

impl Store for PgStore {
    async fn create_election(
        &self,
        spec: &ElectionSpec,
        actor: &str,
        at: Timestamp,
    ) -> Result<ElectionId, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO elections (code, name_fa, name_en, kind, seats, constituency, polling_day, offline_policy, opens_at, closes_at, rules, paper_record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(&spec.code)
        .bind(&spec.name_fa)
        .bind(&spec.name_en)
        .bind(spec.kind.name())
        .bind(i64::from(spec.seats))
        .bind(&spec.constituency)
        .bind(spec.polling_day.0)
        .bind(spec.offline_policy.name())
        .bind(i64::from(spec.hours.opens))
        .bind(i64::from(spec.hours.closes))
        .bind(&spec.rules)
        .bind(spec.paper_record)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(row) => row.try_get("id").map_err(db)?,
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::invalid(
                    "election_code_taken",
                    format!("an election with code {} already exists", spec.code),
                    format!("انتخاباتی با کد {} از پیش وجود دارد", spec.code),
                ))
            }
            Err(error) => return Err(db(error)),
        };
        audit(
            &mut *tx,
            at,
            actor,
            "create_election",
            &format!(
                "{} ({}, {})",
                spec.code,
                spec.kind.name(),
                spec.constituency
            ),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(ElectionId(id))
    }

    async fn election(&self, id: ElectionId) -> Result<Option<Election>, StoreError> {
        let row = sqlx::query("SELECT code, name_fa, name_en, kind, seats, constituency, polling_day, offline_policy, opens_at, closes_at, status, rules, paper_record FROM elections WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let kind: String = row.try_get("kind").map_err(db)?;
        let policy: String = row.try_get("offline_policy").map_err(db)?;
        let seats: i64 = row.try_get("seats").map_err(db)?;
        let status: String = row.try_get("status").map_err(db)?;
        let minutes = |column: &str| -> Result<u16, StoreError> {
            let value: i64 = row.try_get(column).map_err(db)?;
            u16::try_from(value).map_err(|_| StoreError::Database(format!("bad {column} {value}")))
        };
        Ok(Some(Election {
            id,
            spec: ElectionSpec {
                code: row.try_get("code").map_err(db)?,
                name_fa: row.try_get("name_fa").map_err(db)?,
                name_en: row.try_get("name_en").map_err(db)?,
                kind: ElectionKind::from_name(&kind)
                    .ok_or_else(|| StoreError::Database(format!("bad kind {kind}")))?,
                seats: u32::try_from(seats)
                    .map_err(|_| StoreError::Database(format!("bad seats {seats}")))?,
                constituency: row.try_get("constituency").map_err(db)?,
                polling_day: Date(row.try_get("polling_day").map_err(db)?),
                hours: PollingHours {
                    opens: minutes("opens_at")?,
                    closes: minutes("closes_at")?,
                },
                offline_policy: OfflinePolicy::from_name(&policy)
                    .ok_or_else(|| StoreError::Database(format!("bad policy {policy}")))?,
                rules: row.try_get("rules").map_err(db)?,
                paper_record: row.try_get("paper_record").map_err(db)?,
            },
            status: ElectionStatus::from_name(&status)
                .ok_or_else(|| StoreError::Database(format!("bad status {status}")))?,
        }))
    }

    async fn set_election_status(
        &self,
        id: ElectionId,
        from: ElectionStatus,
        to: ElectionStatus,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let changed = sqlx::query("UPDATE elections SET status = $1 WHERE id = $2 AND status = $3")
            .bind(to.name())
            .bind(id.0)
            .bind(from.name())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        if changed {
            audit(
                &mut *tx,
                at,
                actor,
                "set_election_status",
                &format!("election {}: {} -> {}", id.0, from.name(), to.name()),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(changed)
    }

    async fn elections(&self) -> Result<Vec<Election>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM elections ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut elections = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(election) = self.election(ElectionId(id)).await? {
                elections.push(election);
            }
        }
        Ok(elections)
    }

    async fn set_definition(
        &self,
        election: ElectionId,
        canonical: &str,
        hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO definitions (election_id, canonical, hash) VALUES ($1, $2, $3) \
             ON CONFLICT (election_id) DO UPDATE SET canonical = excluded.canonical, hash = excluded.hash",
        )
        .bind(election.0)
        .bind(canonical)
        .bind(hash)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        audit(
            &mut *tx,
            at,
            actor,
            "set_definition",
            &format!("election {}: sha256 {hash}", election.0),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn definition(
        &self,
        election: ElectionId,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query("SELECT canonical, hash FROM definitions WHERE election_id = $1")
            .bind(election.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| {
            Ok((
                row.try_get("canonical").map_err(db)?,
                row.try_get("hash").map_err(db)?,
            ))
        })
        .transpose()
    }

    async fn import_voters(
        &self,
        election: ElectionId,
        voters: &[Voter],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // COPY streams millions of rows in one statement; it all commits or none of it does.
        let mut copy = tx
            .copy_in_raw("COPY voters (election_id, national_code, birth_date, constituency, deceased, barred) FROM STDIN")
            .await
            .map_err(db)?;
        let mut buffer = String::with_capacity(1 << 20);
        for voter in voters {
            use std::fmt::Write;
            let _ = writeln!(
                buffer,
                "{}\t{}\t{}\t{}\t{}\t{}",
                election.0,
                voter.national_code.as_u64(),
                voter.entry.birth_date.0,
                copy_text(&voter.entry.constituency),
                if voter.entry.deceased { 't' } else { 'f' },
                if voter.entry.barred { 't' } else { 'f' },
            );
            if buffer.len() >= 1 << 20 {
                copy.send(buffer.as_bytes()).await.map_err(db)?;
                buffer.clear();
            }
        }
        if !buffer.is_empty() {
            copy.send(buffer.as_bytes()).await.map_err(db)?;
        }
        match copy.finish().await {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                drop(tx);
                return Err(already_in_registry(
                    self.first_present(election, voters).await?,
                ));
            }
            Err(error) => return Err(db(error)),
        }
        audit(
            &mut *tx,
            at,
            actor,
            "import_voters",
            &format!("election {}: {} voters", election.0, voters.len()),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(voters.len() as u64)
    }

    async fn find_voter(
        &self,
        election: ElectionId,
        code: NationalCode,
    ) -> Result<Option<RegistryEntry>, StoreError> {
        let row = sqlx::query("SELECT birth_date, constituency, deceased, barred FROM voters WHERE election_id = $1 AND national_code = $2")
            .bind(election.0)
            .bind(code.as_u64() as i64)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| {
            Ok(RegistryEntry {
                birth_date: Date(row.try_get("birth_date").map_err(db)?),
                constituency: row.try_get("constituency").map_err(db)?,
                deceased: row.try_get("deceased").map_err(db)?,
                barred: row.try_get("barred").map_err(db)?,
            })
        })
        .transpose()
    }

    async fn insert_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        record: &CheckInRecord,
    ) -> Result<Insert, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO check_ins (election_id, national_code, station_code, checked_in_at, request_id, provisional) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT DO NOTHING",
        )
        .bind(election.0)
        .bind(code.as_u64() as i64)
        .bind(&record.station)
        .bind(record.at.0)
        .bind(&record.request_id)
        .bind(record.provisional)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if inserted.rows_affected() == 1 {
            return Ok(Insert::Inserted);
        }
        self.existing_check_in(election, code).await
    }

    /// One statement, one round trip ([`CHECK_IN_WITH_NONCE`]): spend the nonce, read the
    /// registry entry and, if it passes the rule, insert the check-in. Only a person checked in
    /// before costs a second round trip, to read that check-in.
    async fn try_check_in(
        &self,
        election: ElectionId,
        code: NationalCode,
        record: &CheckInRecord,
        rule: &CheckInRule,
        nonce: Option<&DeviceNonce>,
    ) -> Result<Attempt, StoreError> {
        let answer = self
            .queue_check_in(election, code, record, rule, nonce)
            .await?;
        self.finish_check_in(election, code, rule, answer).await
    }

    async fn try_check_in_many(
        &self,
        election: ElectionId,
        items: &[(NationalCode, CheckInRecord)],
        rule: &CheckInRule,
    ) -> Result<Vec<Attempt>, StoreError> {
        // Items are queued in waves before any answer of the wave is awaited, so the batch
        // writers put them into as few statements as they can; a person named again starts a new
        // wave (so does a request id used again), so the earlier item is decided first, as one
        // after another would have it.
        let mut found = Vec::with_capacity(items.len());
        let mut wave = Vec::new();
        let mut named = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for (code, record) in items {
            if named.contains(code) || ids.contains(&record.request_id) {
                for (code, answer) in wave.drain(..) {
                    found.push(self.finish_check_in(election, code, rule, answer).await?);
                }
                named.clear();
                ids.clear();
            }
            named.insert(*code);
            ids.insert(record.request_id.clone());
            let answer = self
                .queue_check_in(election, *code, record, rule, None)
                .await?;
            wave.push((*code, answer));
        }
        for (code, answer) in wave {
            found.push(self.finish_check_in(election, code, rule, answer).await?);
        }
        Ok(found)
    }

    async fn turnout(&self, election: ElectionId) -> Result<Vec<TurnoutBucket>, StoreError> {
        let rows = sqlx::query(
            "SELECT station_code, (checked_in_at + 12600) - ((checked_in_at + 12600) % 3600) - 12600 AS hour_start, COUNT(*) AS n \
             FROM check_ins WHERE election_id = $1 GROUP BY station_code, hour_start ORDER BY hour_start, station_code",
        )
        .bind(election.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let n: i64 = row.try_get("n").map_err(db)?;
                Ok(TurnoutBucket {
                    station: row.try_get("station_code").map_err(db)?,
                    hour_start: Timestamp(row.try_get("hour_start").map_err(db)?),
                    check_ins: n as u64,
                })
            })
            .collect()
    }

    async fn count_check_ins(&self, election: ElectionId) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM check_ins WHERE election_id = $1")
            .bind(election.0)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok(n as u64)
    }

    async fn station_check_ins(
        &self,
        election: ElectionId,
        station: &str,
    ) -> Result<(u64, u64), StoreError> {
        let check_ins: Option<i64> = sqlx::query_scalar(
            "SELECT check_ins FROM station_check_ins WHERE election_id = $1 AND station_code = $2",
        )
        .bind(election.0)
        .bind(station)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let incidents: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incidents WHERE election_id = $1 AND station_code = $2",
        )
        .bind(election.0)
        .bind(station)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok((
            u64::try_from(check_ins.unwrap_or(0)).unwrap_or(0),
            u64::try_from(incidents).unwrap_or(0),
        ))
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
        let device = NewDevice {
            station: station.to_string(),
            kind,
            public_key: public_key.to_string(),
        };
        let ids = self
            .register_devices(election, &[device], actor, at)
            .await?;
        ids.first()
            .copied()
            .ok_or_else(|| StoreError::Database("no device id returned".into()))
    }

    async fn revoke_device(
        &self,
        election: ElectionId,
        device: DeviceId,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let revoked = sqlx::query(
            "UPDATE devices SET status = 'revoked' WHERE id = $1 AND election_id = $2 AND status = 'active'",
        )
        .bind(device.0)
        .bind(election.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if revoked {
            audit(
                &mut *tx,
                at,
                actor,
                "revoke_device",
                &format!("election {}: device {}", election.0, device.0),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(revoked)
    }

    async fn device_by_key(&self, public_key: &str) -> Result<Option<Device>, StoreError> {
        let row = sqlx::query(
            "SELECT id, election_id, station_code, kind, public_key, status FROM devices WHERE public_key = $1",
        )
        .bind(public_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(device_from_row).transpose()
    }

    async fn use_nonce(&self, device: DeviceId, nonce: &str) -> Result<bool, StoreError> {
        // A nonce need not wait for its own fsync (its pool commits with synchronous_commit off):
        // losing one in a crash only re-opens, for the five minutes a signature is valid, a replay
        // of a request that is idempotent anyway. Check-ins always commit synchronously.
        let inserted = sqlx::query(
            "INSERT INTO device_nonces (device_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(device.0)
        .bind(nonce)
        .execute(&self.nonce_pool)
        .await
        .map_err(db)?;
        Ok(inserted.rows_affected() == 1)
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
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO users (username, role, scope, password_hash) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(username)
            .bind(role.name())
            .bind(scope)
            .bind(password_hash)
            .fetch_one(&mut *tx)
            .await;
        let id: i64 = match inserted {
            Ok(row) => row.try_get("id").map_err(db)?,
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::invalid(
                    "username_taken",
                    format!("the username {username} is taken"),
                    format!("نام کاربری {username} پیش‌تر گرفته شده است"),
                ))
            }
            Err(error) => return Err(db(error)),
        };
        audit(
            &mut *tx,
            at,
            actor,
            "create_user",
            &if scope.is_empty() {
                format!("{username} ({})", role.name())
            } else {
                format!("{username} ({} {scope})", role.name())
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(UserId(id))
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, username, role, scope, password_hash, failed_attempts, locked_until, signing_key, wrapped_key FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    async fn record_failed_sign_in(
        &self,
        user: UserId,
        max_failures: u32,
        lock_until: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET failed_attempts = failed_attempts + 1, \
             locked_until = CASE WHEN failed_attempts + 1 >= $1 THEN $2 ELSE locked_until END WHERE id = $3",
        )
        .bind(i64::from(max_failures))
        .bind(lock_until.0)
        .bind(user.0)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = 0 WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user.0)
            .bind(expires_at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        audit(&mut *tx, at, &format!("user:{}", user.0), "sign_in", "").await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, u.scope, u.password_hash, u.failed_attempts, u.locked_until, u.signing_key, u.wrapped_key \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn import_areas(
        &self,
        election: ElectionId,
        areas: &[Area],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        for area in areas {
            let inserted = sqlx::query("INSERT INTO areas (election_id, code, kind, parent_code, name_fa, name_en) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(election.0)
                .bind(&area.code)
                .bind(area.kind.name())
                .bind(&area.parent)
                .bind(&area.name_fa)
                .bind(&area.name_en)
                .execute(&mut *tx)
                .await;
            match inserted {
                Ok(_) => {}
                Err(error) if is_unique_violation(&error) => {
                    return Err(sandoq_store::code_taken("area", &area.code))
                }
                Err(error) => return Err(db(error)),
            }
        }
        audit(
            &mut *tx,
            at,
            actor,
            "import_areas",
            &format!("election {}: {} areas", election.0, areas.len()),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(areas.len() as u64)
    }

    async fn areas(&self, election: ElectionId) -> Result<Vec<Area>, StoreError> {
        let rows = sqlx::query("SELECT code, kind, parent_code, name_fa, name_en FROM areas WHERE election_id = $1 ORDER BY code")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind").map_err(db)?;
                Ok(Area {
                    code: row.try_get("code").map_err(db)?,
                    kind: AreaKind::from_name(&kind)
                        .ok_or_else(|| StoreError::Database(format!("bad area kind {kind}")))?,
                    parent: row.try_get("parent_code").map_err(db)?,
                    name_fa: row.try_get("name_fa").map_err(db)?,
                    name_en: row.try_get("name_en").map_err(db)?,
                })
            })
            .collect()
    }

    async fn import_stations(
        &self,
        election: ElectionId,
        stations: &[Station],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        for station in stations {
            sandoq_store::checkin::check_station_code(&station.code)?;
            let district: Option<String> =
                sqlx::query_scalar("SELECT kind FROM areas WHERE election_id = $1 AND code = $2")
                    .bind(election.0)
                    .bind(&station.district)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            if district.as_deref() != Some("district") {
                return Err(sandoq_store::unknown_district(&station.district));
            }
            let inserted = sqlx::query("INSERT INTO stations (election_id, code, district_code, name_fa, name_en, address) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(election.0)
                .bind(&station.code)
                .bind(&station.district)
                .bind(&station.name_fa)
                .bind(&station.name_en)
                .bind(&station.address)
                .execute(&mut *tx)
                .await;
            match inserted {
                Ok(_) => {}
                Err(error) if is_unique_violation(&error) => {
                    return Err(sandoq_store::code_taken("station", &station.code))
                }
                Err(error) => return Err(db(error)),
            }
        }
        audit(
            &mut *tx,
            at,
            actor,
            "import_stations",
            &format!("election {}: {} stations", election.0, stations.len()),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(stations.len() as u64)
    }

    async fn stations(&self, election: ElectionId) -> Result<Vec<Station>, StoreError> {
        let rows = sqlx::query("SELECT code, district_code, name_fa, name_en, address FROM stations WHERE election_id = $1 ORDER BY code")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(Station {
                    code: row.try_get("code").map_err(db)?,
                    district: row.try_get("district_code").map_err(db)?,
                    name_fa: row.try_get("name_fa").map_err(db)?,
                    name_en: row.try_get("name_en").map_err(db)?,
                    address: row.try_get("address").map_err(db)?,
                })
            })
            .collect()
    }

    async fn register_devices(
        &self,
        election: ElectionId,
        devices: &[NewDevice],
        actor: &str,
        at: Timestamp,
    ) -> Result<Vec<DeviceId>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut ids = Vec::with_capacity(devices.len());
        for device in devices {
            sandoq_store::checkin::check_station_code(&device.station)?;
            let inserted = sqlx::query(
                "INSERT INTO devices (election_id, station_code, kind, public_key, status) VALUES ($1, $2, $3, $4, 'active') RETURNING id",
            )
            .bind(election.0)
            .bind(&device.station)
            .bind(device.kind.name())
            .bind(&device.public_key)
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok(row) => ids.push(DeviceId(row.try_get("id").map_err(db)?)),
                Err(error) if is_unique_violation(&error) => {
                    return Err(sandoq_store::device_key_taken())
                }
                Err(error) => return Err(db(error)),
            }
            audit(
                &mut *tx,
                at,
                actor,
                "register_device",
                &format!(
                    "election {}: {} at station {}, key {}",
                    election.0,
                    device.kind.name(),
                    device.station,
                    device.public_key
                ),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(ids)
    }

    async fn devices(&self, election: ElectionId) -> Result<Vec<Device>, StoreError> {
        let rows = sqlx::query("SELECT id, election_id, station_code, kind, public_key, status FROM devices WHERE election_id = $1 ORDER BY id")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(device_from_row).collect()
    }

    async fn set_photo(
        &self,
        election: ElectionId,
        photo: &Photo,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO photos (election_id, candidate_code, content_type, sha256, bytes) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (election_id, candidate_code) DO UPDATE SET content_type = excluded.content_type, sha256 = excluded.sha256, bytes = excluded.bytes",
        )
        .bind(election.0)
        .bind(&photo.candidate)
        .bind(&photo.content_type)
        .bind(&photo.sha256)
        .bind(&photo.bytes)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        audit(
            &mut *tx,
            at,
            actor,
            "set_photo",
            &format!(
                "election {}: candidate {}, sha256 {}",
                election.0, photo.candidate, photo.sha256
            ),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn photo(
        &self,
        election: ElectionId,
        candidate: &str,
    ) -> Result<Option<Photo>, StoreError> {
        let row = sqlx::query("SELECT content_type, sha256, bytes FROM photos WHERE election_id = $1 AND candidate_code = $2")
            .bind(election.0)
            .bind(candidate)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| {
            Ok(Photo {
                candidate: candidate.to_string(),
                content_type: row.try_get("content_type").map_err(db)?,
                sha256: row.try_get("sha256").map_err(db)?,
                bytes: row.try_get("bytes").map_err(db)?,
            })
        })
        .transpose()
    }

    async fn photo_hashes(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT candidate_code, sha256 FROM photos WHERE election_id = $1 ORDER BY candidate_code")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("candidate_code").map_err(db)?,
                    row.try_get("sha256").map_err(db)?,
                ))
            })
            .collect()
    }

    async fn record_incident(
        &self,
        election: ElectionId,
        incident: &Incident,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO incidents (election_id, kind, national_code, station_code, at, request_id, first_station_code, first_at, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(election.0)
        .bind(incident.kind.name())
        .bind(&incident.national_code)
        .bind(&incident.station)
        .bind(incident.at.0)
        .bind(&incident.request_id)
        .bind(&incident.first_station)
        .bind(incident.first_at.0)
        .bind(&incident.detail)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn incidents(&self, election: ElectionId) -> Result<Vec<Incident>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, national_code, station_code, at, request_id, first_station_code, first_at, detail FROM incidents WHERE election_id = $1 ORDER BY id",
        )
        .bind(election.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind").map_err(db)?;
                Ok(Incident {
                    kind: IncidentKind::from_name(&kind)
                        .ok_or_else(|| StoreError::Database(format!("bad incident kind {kind}")))?,
                    national_code: row.try_get("national_code").map_err(db)?,
                    station: row.try_get("station_code").map_err(db)?,
                    at: Timestamp(row.try_get("at").map_err(db)?),
                    request_id: row.try_get("request_id").map_err(db)?,
                    first_station: row.try_get("first_station_code").map_err(db)?,
                    first_at: Timestamp(row.try_get("first_at").map_err(db)?),
                    detail: row.try_get("detail").map_err(db)?,
                })
            })
            .collect()
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, username, role, scope, password_hash, failed_attempts, locked_until, signing_key, wrapped_key FROM users ORDER BY username")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn record_station_report(
        &self,
        election: ElectionId,
        station: &str,
        device: DeviceId,
        report: &str,
        at: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO station_reports (election_id, station_code, device_id, report, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(election.0)
        .bind(station)
        .bind(device.0)
        .bind(report)
        .bind(at.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if !inserted {
            let existing: String = sqlx::query_scalar(
                "SELECT report FROM station_reports WHERE election_id = $1 AND station_code = $2",
            )
            .bind(election.0)
            .bind(station)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            return Ok(Some(existing));
        }
        audit(
            &mut *tx,
            at,
            &format!("device:{}", device.0),
            "station_report",
            &format!("election {}: station {station}", election.0),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(None)
    }

    async fn create_officials(
        &self,
        rows: &[NewOfficial],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        for row in rows {
            let inserted = sqlx::query("INSERT INTO users (username, role, scope, password_hash, signing_key) VALUES ($1, $2, $3, $4, $5)")
                .bind(&row.username)
                .bind(row.role.name())
                .bind(&row.scope)
                .bind(&row.password_hash)
                .bind(&row.signing_key)
                .execute(&mut *tx)
                .await;
            match inserted {
                Ok(_) => {}
                Err(error) if is_unique_violation(&error) => {
                    return Err(StoreError::invalid(
                        "username_taken",
                        format!("the username {} is taken", row.username),
                        format!("نام کاربری {} پیش‌تر گرفته شده است", row.username),
                    ))
                }
                Err(error) => return Err(db(error)),
            }
        }
        audit(
            &mut *tx,
            at,
            actor,
            "create_officials",
            &format!("{} accounts with co-signing keys", rows.len()),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(rows.len() as u64)
    }

    async fn set_signing_key(
        &self,
        user: UserId,
        key: &str,
        wrapped: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET signing_key = $1, wrapped_key = $2 WHERE id = $3")
            .bind(key)
            .bind(wrapped)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        audit(
            &mut *tx,
            at,
            actor,
            "set_signing_key",
            &format!("user {}", user.0),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        wrapped: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET password_hash = $1, wrapped_key = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(wrapped)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        audit(
            &mut *tx,
            at,
            actor,
            "set_password",
            &format!("user {}", user.0),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn record_ballots(
        &self,
        election: ElectionId,
        station: &str,
        records: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO station_ballots (election_id, station_code, records) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(election.0)
        .bind(station)
        .bind(records)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if !inserted {
            let existing: String = sqlx::query_scalar(
                "SELECT records FROM station_ballots WHERE election_id = $1 AND station_code = $2",
            )
            .bind(election.0)
            .bind(station)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            return Ok(Some(existing));
        }
        audit(
            &mut *tx,
            at,
            actor,
            "station_ballots",
            &format!("election {}: station {station}", election.0),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(None)
    }

    async fn station_ballots(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT station_code, records FROM station_ballots WHERE election_id = $1 ORDER BY station_code",
        )
        .bind(election.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("station_code").map_err(db)?,
                    row.try_get("records").map_err(db)?,
                ))
            })
            .collect()
    }

    async fn set_station_status(
        &self,
        election: ElectionId,
        status: &StationStatus,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO station_status (election_id, station_code, state, ballots, tokens_issued, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (election_id, station_code) DO UPDATE SET state = excluded.state, ballots = excluded.ballots, tokens_issued = excluded.tokens_issued, received_at = excluded.received_at")
            .bind(election.0)
            .bind(&status.station)
            .bind(&status.state)
            .bind(i64::try_from(status.ballots).unwrap_or(i64::MAX))
            .bind(i64::try_from(status.tokens_issued).unwrap_or(i64::MAX))
            .bind(status.received_at.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn station_statuses(
        &self,
        election: ElectionId,
    ) -> Result<Vec<StationStatus>, StoreError> {
        let rows = sqlx::query("SELECT station_code, state, ballots, tokens_issued, received_at FROM station_status WHERE election_id = $1 ORDER BY station_code")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                let ballots: i64 = row.try_get("ballots").map_err(db)?;
                let tokens: i64 = row.try_get("tokens_issued").map_err(db)?;
                Ok(StationStatus {
                    station: row.try_get("station_code").map_err(db)?,
                    state: row.try_get("state").map_err(db)?,
                    ballots: u64::try_from(ballots).unwrap_or(0),
                    tokens_issued: u64::try_from(tokens).unwrap_or(0),
                    received_at: Timestamp(row.try_get("received_at").map_err(db)?),
                })
            })
            .collect()
    }

    async fn record_refused_report(
        &self,
        election: ElectionId,
        station: &str,
        code: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO refused_reports (election_id, station_code, code, at) VALUES ($1, $2, $3, $4)")
            .bind(election.0)
            .bind(station)
            .bind(code)
            .bind(at.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn refused_reports(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String, Timestamp)>, StoreError> {
        let rows = sqlx::query("SELECT station_code, code, at FROM refused_reports WHERE election_id = $1 ORDER BY at, station_code")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("station_code").map_err(db)?,
                    row.try_get("code").map_err(db)?,
                    Timestamp(row.try_get("at").map_err(db)?),
                ))
            })
            .collect()
    }

    async fn quarantine_report(
        &self,
        election: ElectionId,
        quarantine: &Quarantine,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO quarantined_reports (election_id, station_code, code, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(election.0)
            .bind(&quarantine.station)
            .bind(&quarantine.code)
            .bind(quarantine.at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        if inserted {
            audit(
                &mut *tx,
                quarantine.at,
                actor,
                "quarantine_report",
                &format!(
                    "election {}: station {}: {}",
                    election.0, quarantine.station, quarantine.code
                ),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn quarantined_reports(
        &self,
        election: ElectionId,
    ) -> Result<Vec<Quarantine>, StoreError> {
        let rows = sqlx::query("SELECT station_code, code, at FROM quarantined_reports WHERE election_id = $1 ORDER BY at, station_code")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(Quarantine {
                    station: row.try_get("station_code").map_err(db)?,
                    code: row.try_get("code").map_err(db)?,
                    at: Timestamp(row.try_get("at").map_err(db)?),
                })
            })
            .collect()
    }

    async fn ack_alert(&self, election: ElectionId, ack: &AlertAck) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO alert_acks (election_id, alert, note, by_user, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
            .bind(election.0)
            .bind(&ack.alert)
            .bind(&ack.note)
            .bind(&ack.by)
            .bind(ack.at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        if inserted {
            audit(
                &mut *tx,
                ack.at,
                &ack.by,
                "ack_alert",
                &format!("election {}: {}: {}", election.0, ack.alert, ack.note),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn alert_acks(&self, election: ElectionId) -> Result<Vec<AlertAck>, StoreError> {
        let rows = sqlx::query("SELECT alert, note, by_user, at FROM alert_acks WHERE election_id = $1 ORDER BY at, alert")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(AlertAck {
                    alert: row.try_get("alert").map_err(db)?,
                    note: row.try_get("note").map_err(db)?,
                    by: row.try_get("by_user").map_err(db)?,
                    at: Timestamp(row.try_get("at").map_err(db)?),
                })
            })
            .collect()
    }

    async fn close_count(
        &self,
        election: ElectionId,
        statement: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO count_closing (election_id, statement, closed_by, closed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(election.0)
            .bind(statement)
            .bind(by)
            .bind(at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        if inserted {
            audit(
                &mut *tx,
                at,
                by,
                "close_count",
                &format!("election {}", election.0),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn count_closing(
        &self,
        election: ElectionId,
    ) -> Result<Option<(String, String, Timestamp)>, StoreError> {
        let row = sqlx::query(
            "SELECT statement, closed_by, closed_at FROM count_closing WHERE election_id = $1",
        )
        .bind(election.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| {
            Ok((
                row.try_get("statement").map_err(db)?,
                row.try_get("closed_by").map_err(db)?,
                Timestamp(row.try_get("closed_at").map_err(db)?),
            ))
        })
        .transpose()
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
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO roster_documents (election_id, kind, number, text, made_by, made_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
            .bind(election.0)
            .bind(kind)
            .bind(number)
            .bind(text)
            .bind(actor)
            .bind(at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        if inserted {
            audit(
                &mut *tx,
                at,
                actor,
                "roster_document",
                &format!("election {}: {kind} {number}", election.0),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn roster_documents(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, i64, String)>, StoreError> {
        let rows = sqlx::query("SELECT kind, number, text FROM roster_documents WHERE election_id = $1 ORDER BY kind, number")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("kind").map_err(db)?,
                    row.try_get("number").map_err(db)?,
                    row.try_get("text").map_err(db)?,
                ))
            })
            .collect()
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
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO roster_signatures (election_id, kind, number, username, signature, signed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
            .bind(election.0)
            .bind(kind)
            .bind(number)
            .bind(username)
            .bind(signature)
            .bind(at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        if inserted {
            audit(
                &mut *tx,
                at,
                &format!("user:{username}"),
                "sign_roster",
                &format!("election {}: {kind} {number}", election.0),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn roster_signatures(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, i64, String, String)>, StoreError> {
        let rows = sqlx::query("SELECT kind, number, username, signature FROM roster_signatures WHERE election_id = $1 ORDER BY kind, number, username")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("kind").map_err(db)?,
                    row.try_get("number").map_err(db)?,
                    row.try_get("username").map_err(db)?,
                    row.try_get("signature").map_err(db)?,
                ))
            })
            .collect()
    }

    async fn add_closing_signature(
        &self,
        election: ElectionId,
        username: &str,
        signature: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO closing_signatures (election_id, username, signature, signed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(election.0)
            .bind(username)
            .bind(signature)
            .bind(at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        if inserted {
            audit(
                &mut *tx,
                at,
                &format!("user:{username}"),
                "sign_result",
                &format!("election {}", election.0),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn closing_signatures(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT username, signature FROM closing_signatures WHERE election_id = $1 ORDER BY username")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("username").map_err(db)?,
                    row.try_get("signature").map_err(db)?,
                ))
            })
            .collect()
    }

    async fn station_reports(
        &self,
        election: ElectionId,
    ) -> Result<Vec<(String, String, Timestamp)>, StoreError> {
        let rows = sqlx::query(
            "SELECT station_code, report, received_at FROM station_reports WHERE election_id = $1 ORDER BY station_code",
        )
        .bind(election.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("station_code").map_err(db)?,
                    row.try_get("report").map_err(db)?,
                    Timestamp(row.try_get("received_at").map_err(db)?),
                ))
            })
            .collect()
    }

    async fn station_report(
        &self,
        election: ElectionId,
        station: &str,
    ) -> Result<Option<(String, Timestamp)>, StoreError> {
        let row = sqlx::query(
            "SELECT report, received_at FROM station_reports WHERE election_id = $1 AND station_code = $2",
        )
        .bind(election.0)
        .bind(station)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| {
            Ok((
                row.try_get("report").map_err(db)?,
                Timestamp(row.try_get("received_at").map_err(db)?),
            ))
        })
        .transpose()
    }

    async fn count_station_reports(&self, election: ElectionId) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM station_reports WHERE election_id = $1")
                .bind(election.0)
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn start_drill(
        &self,
        election: ElectionId,
        station: &str,
        card: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO drills (election_id, station_code, card, started_by, started_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(election.0)
            .bind(station)
            .bind(card)
            .bind(by)
            .bind(at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        audit(
            &mut *tx,
            at,
            by,
            "start_drill",
            &format!("election {}: drill {id} at station {station}", election.0),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn drills(&self, election: ElectionId) -> Result<Vec<Drill>, StoreError> {
        let rows = sqlx::query("SELECT id, station_code, card, started_by, started_at FROM drills WHERE election_id = $1 ORDER BY id DESC")
            .bind(election.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(Drill {
                    id: row.try_get("id").map_err(db)?,
                    station: row.try_get("station_code").map_err(db)?,
                    card: row.try_get("card").map_err(db)?,
                    started_by: row.try_get("started_by").map_err(db)?,
                    started_at: Timestamp(row.try_get("started_at").map_err(db)?),
                })
            })
            .collect()
    }

    async fn record_drill_step(
        &self,
        election: ElectionId,
        station: &str,
        step: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO drill_steps (drill_id, step, first_at, count) \
             SELECT id, $1, $2, 1 FROM drills WHERE election_id = $3 AND station_code = $4 ORDER BY id DESC LIMIT 1 \
             ON CONFLICT (drill_id, step) DO UPDATE SET count = drill_steps.count + 1",
        )
        .bind(step)
        .bind(at.0)
        .bind(election.0)
        .bind(station)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn drill_steps(&self, drill: i64) -> Result<Vec<DrillStep>, StoreError> {
        let rows = sqlx::query(
            "SELECT step, first_at, count FROM drill_steps WHERE drill_id = $1 ORDER BY step",
        )
        .bind(drill)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(DrillStep {
                    step: row.try_get("step").map_err(db)?,
                    first_at: Timestamp(row.try_get("first_at").map_err(db)?),
                    count: row.try_get::<i64, _>("count").map_err(db)? as u64,
                })
            })
            .collect()
    }

    async fn sample_voters(
        &self,
        election: ElectionId,
        sample: &VoterSample,
        limit: u32,
    ) -> Result<Vec<NationalCode>, StoreError> {
        let (condition, text, day) = match sample {
            VoterSample::Eligible {
                constituency,
                born_by,
            } => (
                "v.constituency = $2 AND v.birth_date <= $3 AND NOT v.deceased AND NOT v.barred",
                Some(constituency.as_str()),
                Some(born_by.0),
            ),
            VoterSample::UnderAge {
                constituency,
                born_after,
            } => (
                "v.constituency = $2 AND v.birth_date > $3 AND NOT v.deceased AND NOT v.barred",
                Some(constituency.as_str()),
                Some(born_after.0),
            ),
            VoterSample::OtherConstituency { constituency } => (
                "v.constituency <> $2 AND NOT v.deceased AND NOT v.barred",
                Some(constituency.as_str()),
                None,
            ),
            VoterSample::Deceased => ("v.deceased", None, None),
            VoterSample::Barred => ("v.barred AND NOT v.deceased", None, None),
        };
        let limit_at = 2 + usize::from(text.is_some()) + usize::from(day.is_some());
        let sql = format!(
            "SELECT v.national_code FROM voters v WHERE v.election_id = $1 AND {condition} \
             AND NOT EXISTS (SELECT 1 FROM check_ins c WHERE c.election_id = v.election_id AND c.national_code = v.national_code) \
             ORDER BY v.national_code LIMIT ${limit_at}"
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(election.0);
        if let Some(text) = text {
            query = query.bind(text);
        }
        if let Some(day) = day {
            query = query.bind(day);
        }
        let codes = query
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(codes
            .into_iter()
            .filter_map(|c| NationalCode::from_u64(c as u64))
            .collect())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: Timestamp(row.try_get("at").map_err(db)?),
                    actor: row.try_get("actor").map_err(db)?,
                    action: row.try_get("action").map_err(db)?,
                    detail: row.try_get("detail").map_err(db)?,
                })
            })
            .collect()
    }
}
