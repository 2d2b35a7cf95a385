//! The SQLite backend of the central store: one file in a data directory,
//! nothing to install.
//!
//! Check-ins and device nonces go through one writer task with group commit:
//! it takes every write waiting, inserts them all in one `BEGIN IMMEDIATE` transaction and
//! answers each only after the commit, so many check-ins share one fsync and
//! none is answered before it is durable.
//!
//! Invariants: WAL journal with `synchronous = FULL`, so a write is on disk
//! before its future resolves; migrations are embedded, applied in order,
//! and never edited once released (a changed migration refuses to start);
//! check-ins and the audit log are append-only, enforced by triggers.

use sandoq_registry::{Date, NationalCode, RegistryEntry};
use sandoq_store::{
    AlertAck, Area, AreaKind, Attempt, AuditEntry, CheckInRecord, CheckInRule, Device, DeviceId,
    DeviceKind, DeviceStatus, Drill, DrillStep, Election, ElectionId, ElectionKind, ElectionSpec,
    ElectionStatus, Incident, IncidentKind, Insert, NewDevice, NewOfficial, OfflinePolicy, Photo,
    PollingHours, Quarantine, Role, Station, StationStatus, Store, StoreError, Timestamp,
    TurnoutBucket, User, UserId, Voter, VoterSample,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use std::path::Path;
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

/// Rows per INSERT statement when importing (6 parameters each, well under SQLite's limit of 32,766).
const IMPORT_BATCH_ROWS: usize = 2_000;

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

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<User, StoreError> {
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

fn device_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Device, StoreError> {
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

fn db(error: sqlx::Error) -> StoreError {
    StoreError::Database(error.to_string())
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// The most check-ins one group commit takes.
const MAX_GROUP: usize = 512;

/// One write waiting for the writer.
enum Job {
    CheckIn {
        election: i64,
        code: i64,
        record: CheckInRecord,
        reply: tokio::sync::oneshot::Sender<Result<Insert, StoreError>>,
    },
    Nonce {
        device: i64,
        nonce: String,
        reply: tokio::sync::oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Many check-ins of one caller, in their own transaction ([`write_many`]).
    Many {
        election: i64,
        items: Vec<(NationalCode, CheckInRecord)>,
        rule: CheckInRule,
        reply: tokio::sync::oneshot::Sender<Result<Vec<Attempt>, StoreError>>,
    },
}

/// A write of a group, without its reply channel.
enum Work {
    CheckIn {
        election: i64,
        code: i64,
        record: CheckInRecord,
    },
    Nonce {
        device: i64,
        nonce: String,
    },
}

/// What a write of a group found.
enum Done {
    CheckIn(Insert),
    Nonce(bool),
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: tokio::sync::mpsc::Sender<Job>,
    /// Held by every write of this process while it writes: SQLite has one writer at a time, and
    /// waiting here (in order, woken at once) costs nothing, where SQLite's busy handler sleeps
    /// up to 100 ms between tries. Other processes still meet the busy timeout.
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// Writes check-ins and nonces in groups, each group one transaction and one fsync, until every sender is gone.
async fn run_writer(
    pool: SqlitePool,
    mut jobs: tokio::sync::mpsc::Receiver<Job>,
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
) {
    let mut next = None;
    loop {
        let first = match next.take() {
            Some(job) => job,
            None => match jobs.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        if let Job::Many {
            election,
            items,
            rule,
            reply,
        } = first
        {
            let _gate = gate.lock().await;
            let _ = reply.send(write_many(&pool, election, &items, &rule).await);
            continue;
        }
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                // A batch of many waits for this group's commit, then runs on its own.
                Ok(job @ Job::Many { .. }) => {
                    next = Some(job);
                    break;
                }
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut work = Vec::with_capacity(group.len());
        let mut replies = Vec::with_capacity(group.len());
        for job in group {
            match job {
                Job::CheckIn {
                    election,
                    code,
                    record,
                    reply,
                } => {
                    work.push(Work::CheckIn {
                        election,
                        code,
                        record,
                    });
                    replies.push(Ok(reply));
                }
                Job::Nonce {
                    device,
                    nonce,
                    reply,
                } => {
                    work.push(Work::Nonce { device, nonce });
                    replies.push(Err(reply));
                }
                Job::Many { reply, .. } => {
                    let _ = reply.send(Err(StoreError::Database(
                        "a batch of check-ins reached a group".into(),
                    )));
                }
            }
        }
        let written = {
            let _gate = gate.lock().await;
            write_group(pool.clone(), work).await
        };
        match written {
            Ok(answers) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    match (reply, answer) {
                        (Ok(reply), Done::CheckIn(insert)) => {
                            let _ = reply.send(Ok(insert));
                        }
                        (Err(reply), Done::Nonce(fresh)) => {
                            let _ = reply.send(Ok(fresh));
                        }
                        (Ok(reply), Done::Nonce(_)) => {
                            let _ = reply.send(Err(StoreError::Database(
                                "writer answers out of order".into(),
                            )));
                        }
                        (Err(reply), Done::CheckIn(_)) => {
                            let _ = reply.send(Err(StoreError::Database(
                                "writer answers out of order".into(),
                            )));
                        }
                    }
                }
            }
            Err(error) => {
                for reply in replies {
                    match reply {
                        Ok(reply) => {
                            let _ = reply.send(Err(error.clone()));
                        }
                        Err(reply) => {
                            let _ = reply.send(Err(error.clone()));
                        }
                    }
                }
            }
        }
    }
}

/// Rows per statement of [`write_many`] (five bound values a row, far below SQLite's limit).
const MANY_CHUNK: usize = 500;

/// Many check-ins in one immediate transaction and one commit: per chunk, one statement reads the
/// registry entries with any check-in already there, one multi-row `INSERT … ON CONFLICT DO
/// NOTHING` inserts those that pass the rule, and, only when its count of rows does not settle
/// who went in (someone twice in the chunk, a request id taken), one more statement reads back the
/// check-ins of the chunk. Answers as if the items had come one after another.
async fn write_many(
    pool: &SqlitePool,
    election: i64,
    items: &[(NationalCode, CheckInRecord)],
    rule: &CheckInRule,
) -> Result<Vec<Attempt>, StoreError> {
    let mut connection = pool.acquire().await.map_err(db)?;
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *connection)
        .await
        .map_err(db)?;
    let result = many_in_transaction(&mut connection, election, items, rule).await;
    match result {
        Ok(found) => {
            if let Err(error) = sqlx::raw_sql("COMMIT").execute(&mut *connection).await {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
                return Err(db(error));
            }
            Ok(found)
        }
        Err(error) => {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
            Err(error)
        }
    }
}

async fn many_in_transaction(
    connection: &mut sqlx::SqliteConnection,
    election: i64,
    items: &[(NationalCode, CheckInRecord)],
    rule: &CheckInRule,
) -> Result<Vec<Attempt>, StoreError> {
    let mut found = Vec::with_capacity(items.len());
    for chunk in items.chunks(MANY_CHUNK) {
        let text = one_json_row(
            connection,
            "SELECT json_group_array(json_array(v.national_code, v.birth_date, v.constituency, v.deceased, v.barred, \
             c.station_code, c.checked_in_at, c.request_id, c.provisional)) \
             FROM voters v LEFT JOIN check_ins c ON c.election_id = v.election_id AND c.national_code = v.national_code \
             WHERE v.election_id = ",
            "v.national_code",
            election,
            chunk,
        )
        .await?;
        let rows: Vec<EntryRow> = serde_json::from_str(&text)
            .map_err(|e| StoreError::Database(format!("registry entries of a chunk: {e}")))?;
        let mut entries = std::collections::HashMap::with_capacity(rows.len());
        let mut before = std::collections::HashMap::new();
        for (code, birth, constituency, deceased, barred, station, at, request, provisional) in rows
        {
            entries.insert(
                code,
                RegistryEntry {
                    birth_date: Date(birth),
                    constituency,
                    deceased: deceased != 0,
                    barred: barred != 0,
                },
            );
            if let (Some(station), Some(at), Some(request_id), Some(provisional)) =
                (station, at, request, provisional)
            {
                before.insert(
                    code,
                    CheckInRecord {
                        station,
                        at: Timestamp(at),
                        request_id,
                        provisional: provisional != 0,
                    },
                );
            }
        }
        let mut admitted: Vec<&(NationalCode, CheckInRecord)> = chunk
            .iter()
            .filter(|(code, _)| {
                entries
                    .get(&(code.as_u64() as i64))
                    .is_some_and(|e| rule.admits(e))
            })
            .collect();
        // Inserted in key order (the B-tree is walked once, not at random); a stable sort, so a
        // person named twice in the chunk is still first inserted by the earlier request. Only
        // when no request id repeats: otherwise the order decides which of two people gets it.
        let mut ids = std::collections::HashSet::with_capacity(admitted.len());
        if admitted
            .iter()
            .all(|(_, r)| ids.insert(r.request_id.as_str()))
        {
            admitted.sort_by_key(|(code, _)| *code);
        }
        // Those that can go in: no check-in before, and each person once.
        let mut people = std::collections::HashSet::with_capacity(admitted.len());
        let twice = !admitted.iter().all(|(code, _)| people.insert(*code));
        let fresh = admitted
            .iter()
            .filter(|(code, _)| !before.contains_key(&(code.as_u64() as i64)))
            .count();
        let mut went_in = 0;
        if !admitted.is_empty() {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO check_ins (election_id, national_code, station_code, checked_in_at, request_id, provisional) ",
            );
            insert.push_values(&admitted, |mut row, (code, record)| {
                row.push_bind(election)
                    .push_bind(code.as_u64() as i64)
                    .push_bind(&record.station)
                    .push_bind(record.at.0)
                    .push_bind(&record.request_id)
                    .push_bind(record.provisional);
            });
            insert.push(" ON CONFLICT DO NOTHING");
            went_in = insert
                .build()
                .execute(&mut *connection)
                .await
                .map_err(db)?
                .rows_affected();
        }
        // Every person once and as many rows as people without a check-in before: each of those
        // went in (nobody else could). Otherwise the chunk's check-ins are read back.
        let settled = !twice && went_in == fresh as u64;
        let after = if settled {
            None
        } else {
            Some(check_ins_of(connection, election, chunk).await?)
        };
        let mut claimed = std::collections::HashSet::new();
        for (code, record) in chunk {
            let key = code.as_u64() as i64;
            let entry = entries.get(&key).cloned();
            let insert = match &entry {
                Some(entry) if rule.admits(entry) => Some(match (before.get(&key), &after) {
                    (Some(existing), _) => Insert::Existing(existing.clone()),
                    (None, None) => Insert::Inserted,
                    (None, Some(after)) => match after.get(&key) {
                        // This statement wrote the row (there was none before), with the
                        // request id of the request that went in; request ids are unique.
                        Some(row) if row.request_id == record.request_id && claimed.insert(key) => {
                            Insert::Inserted
                        }
                        Some(row) => Insert::Existing(row.clone()),
                        None => Insert::RequestIdTaken,
                    },
                }),
                _ => None,
            };
            found.push(Attempt {
                replayed: false,
                entry,
                insert,
            });
        }
    }
    Ok(found)
}

/// A registry entry with the check-in already there, as the chunk's JSON array has it.
type EntryRow = (
    i64,
    i64,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

/// Runs `select` (a `json_group_array` over rows, ending in `… = ` for the election) for the
/// chunk's national codes (`column IN (…)`) and returns its one JSON row. One row for the whole
/// chunk: sqlx hands each row of a result from its SQLite thread to the caller on its own, a
/// thread wake-up per row.
async fn one_json_row(
    connection: &mut sqlx::SqliteConnection,
    select: &str,
    column: &str,
    election: i64,
    chunk: &[(NationalCode, CheckInRecord)],
) -> Result<String, StoreError> {
    let mut query = sqlx::QueryBuilder::new(select);
    query
        .push_bind(election)
        .push(format!(" AND {column} IN ("));
    let mut codes = query.separated(", ");
    for (code, _) in chunk {
        codes.push_bind(code.as_u64() as i64);
    }
    codes.push_unseparated(")");
    query
        .build_query_scalar()
        .fetch_one(&mut *connection)
        .await
        .map_err(db)
}

/// The check-ins of a chunk's people, by national code (in one row, as above).
async fn check_ins_of(
    connection: &mut sqlx::SqliteConnection,
    election: i64,
    chunk: &[(NationalCode, CheckInRecord)],
) -> Result<std::collections::HashMap<i64, CheckInRecord>, StoreError> {
    let text = one_json_row(
        connection,
        "SELECT json_group_array(json_array(national_code, station_code, checked_in_at, request_id, provisional)) \
         FROM check_ins WHERE election_id = ",
        "national_code",
        election,
        chunk,
    )
    .await?;
    let rows: Vec<(i64, String, i64, String, i64)> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Database(format!("check-ins of a chunk: {e}")))?;
    Ok(rows
        .into_iter()
        .map(|(code, station, at, request_id, provisional)| {
            (
                code,
                CheckInRecord {
                    station,
                    at: Timestamp(at),
                    request_id,
                    provisional: provisional != 0,
                },
            )
        })
        .collect())
}

/// Runs a group of writes in one immediate transaction; nothing is answered before the commit.
async fn write_group(pool: SqlitePool, group: Vec<Work>) -> Result<Vec<Done>, StoreError> {
    let mut connection = pool.acquire().await.map_err(db)?;
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *connection)
        .await
        .map_err(db)?;
    let mut answers = Vec::with_capacity(group.len());
    let mut failure = None;
    for work in group {
        let (election, code, record) = match work {
            Work::Nonce { device, nonce } => {
                let inserted = sqlx::query("INSERT INTO device_nonces (device_id, nonce) VALUES (?, ?) ON CONFLICT DO NOTHING")
                    .bind(device)
                    .bind(nonce)
                    .execute(&mut *connection)
                    .await;
                match inserted {
                    Ok(result) => answers.push(Done::Nonce(result.rows_affected() == 1)),
                    Err(error) => {
                        failure = Some(db(error));
                        break;
                    }
                }
                continue;
            }
            Work::CheckIn {
                election,
                code,
                record,
            } => (election, code, record),
        };
        let inserted = sqlx::query(
            "INSERT INTO check_ins (election_id, national_code, station_code, checked_in_at, request_id, provisional) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(election)
        .bind(code)
        .bind(record.station)
        .bind(record.at.0)
        .bind(record.request_id)
        .bind(record.provisional)
        .execute(&mut *connection)
        .await;
        let inserted = match inserted {
            Ok(result) => result.rows_affected() == 1,
            Err(error) => {
                failure = Some(db(error));
                break;
            }
        };
        if inserted {
            answers.push(Done::CheckIn(Insert::Inserted));
            continue;
        }
        let existing = sqlx::query("SELECT station_code, checked_in_at, request_id, provisional FROM check_ins WHERE election_id = ? AND national_code = ?")
            .bind(election)
            .bind(code)
            .fetch_optional(&mut *connection)
            .await;
        match existing {
            Ok(Some(row)) => {
                let read = || -> Result<CheckInRecord, sqlx::Error> {
                    Ok(CheckInRecord {
                        station: row.try_get("station_code")?,
                        at: Timestamp(row.try_get("checked_in_at")?),
                        request_id: row.try_get("request_id")?,
                        provisional: row.try_get("provisional")?,
                    })
                };
                match read() {
                    Ok(record) => answers.push(Done::CheckIn(Insert::Existing(record))),
                    Err(error) => {
                        failure = Some(db(error));
                        break;
                    }
                }
            }
            Ok(None) => answers.push(Done::CheckIn(Insert::RequestIdTaken)),
            Err(error) => {
                failure = Some(db(error));
                break;
            }
        }
    }
    if let Some(error) = failure {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
        return Err(error);
    }
    if let Err(error) = sqlx::raw_sql("COMMIT").execute(&mut *connection).await {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
        return Err(db(error));
    }
    Ok(answers)
}

impl SqliteStore {
    /// Opens (creating if missing) the database file and applies migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // 32 MiB of page cache per connection (SQLite's default is 2 MiB): a registry of
            // millions is looked up at random places on polling day.
            .pragma("cache_size", "-32768")
            // Check-ins land at random places of a national-code key: each dirties a page that
            // goes to the WAL and again to the file at the checkpoint. Pages of 1 KiB (for a
            // database created now; an existing one keeps its own) write a quarter as much per
            // check-in, a checkpoint every 20,000 pages writes a page changed by many commits
            // once, and the statement journal of a multi-row insert stays in memory instead of a
            // temporary file. Durability is unchanged: every commit is still fsync'd.
            .page_size(1024)
            .pragma("wal_autocheckpoint", "20000")
            .pragma("temp_store", "memory")
            // sqlx's SQLite thread hands the rows of a result over a channel of this many (50
            // by default): a longer one lets it finish a result without waiting for the caller.
            .row_buffer_size(1024);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A connection to a file does not hang up: no ping (a round trip to sqlx's SQLite
            // thread) before each use.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(db)?;
        let (writer, jobs) = tokio::sync::mpsc::channel(4 * MAX_GROUP);
        let gate = std::sync::Arc::new(tokio::sync::Mutex::new(()));
        let store = SqliteStore {
            pool: pool.clone(),
            writer,
            gate: gate.clone(),
        };
        store.migrate().await?;
        // The writer is its own thread with its own small runtime: SQLite has one writer anyway.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(e.to_string()))?;
        std::thread::Builder::new()
            .name("sandoq-check-in-writer".into())
            .spawn(move || runtime.block_on(run_writer(pool, jobs, gate)))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(store)
    }

    /// Opens `sqlite://PATH` or `sqlite:PATH`.
    pub async fn open_url(url: &str) -> Result<SqliteStore, StoreError> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        SqliteStore::open(Path::new(path)).await
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await
        .map_err(db)?;
        for &(version, name, sql) in MIGRATIONS {
            let applied: Option<String> =
                sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = ?")
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
                    let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
                    sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(db)?;
                    sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)")
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

    /// The first voter of `batch` already in the registry (after a failed import, to name it).
    async fn first_present(
        &self,
        election: ElectionId,
        batch: &[Voter],
    ) -> Result<Option<NationalCode>, StoreError> {
        for voter in batch {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT national_code FROM voters WHERE election_id = ? AND national_code = ?",
            )
            .bind(election.0)
            .bind(voter.national_code.as_u64() as i64)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            if found.is_some() {
                return Ok(Some(voter.national_code));
            }
        }
        Ok(None)
    }

    /// Direct SQL access, for tests that try to break the invariants.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

async fn audit(
    executor: impl sqlx::SqliteExecutor<'_>,
    at: Timestamp,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)")
        .bind(at.0)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(executor)
        .await
        .map_err(db)?;
    Ok(())
}

impl Store for SqliteStore {
    async fn create_election(
        &self,
        spec: &ElectionSpec,
        actor: &str,
        at: Timestamp,
    ) -> Result<ElectionId, StoreError> {
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO elections (code, name_fa, name_en, kind, seats, constituency, polling_day, offline_policy, opens_at, closes_at, rules, paper_record) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        let row = sqlx::query("SELECT code, name_fa, name_en, kind, seats, constituency, polling_day, offline_policy, opens_at, closes_at, status, rules, paper_record FROM elections WHERE id = ?")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let changed = sqlx::query("UPDATE elections SET status = ? WHERE id = ? AND status = ?")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO definitions (election_id, canonical, hash) VALUES (?, ?, ?) \
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
        let row = sqlx::query("SELECT canonical, hash FROM definitions WHERE election_id = ?")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Multi-row inserts: far fewer statements for a registry of millions, all in one transaction.
        for batch in voters.chunks(IMPORT_BATCH_ROWS) {
            let mut query = sqlx::QueryBuilder::new("INSERT INTO voters (election_id, national_code, birth_date, constituency, deceased, barred) ");
            query.push_values(batch, |mut row, voter| {
                row.push_bind(election.0)
                    .push_bind(voter.national_code.as_u64() as i64)
                    .push_bind(voter.entry.birth_date.0)
                    .push_bind(&voter.entry.constituency)
                    .push_bind(voter.entry.deceased)
                    .push_bind(voter.entry.barred);
            });
            match query.build().execute(&mut *tx).await {
                Ok(_) => {}
                Err(error) if is_unique_violation(&error) => {
                    drop(tx);
                    return Err(already_in_registry(
                        self.first_present(election, batch).await?,
                    ));
                }
                Err(error) => return Err(db(error)),
            }
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
        let row = sqlx::query("SELECT birth_date, constituency, deceased, barred FROM voters WHERE election_id = ? AND national_code = ?")
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
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job::CheckIn {
            election: election.0,
            code: code.as_u64() as i64,
            record: record.clone(),
            reply,
        };
        let gone = || StoreError::Database("the check-in writer has stopped".into());
        self.writer.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    async fn try_check_in_many(
        &self,
        election: ElectionId,
        items: &[(NationalCode, CheckInRecord)],
        rule: &CheckInRule,
    ) -> Result<Vec<Attempt>, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job::Many {
            election: election.0,
            items: items.to_vec(),
            rule: rule.clone(),
            reply,
        };
        let gone = || StoreError::Database("the check-in writer has stopped".into());
        self.writer.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    async fn turnout(&self, election: ElectionId) -> Result<Vec<TurnoutBucket>, StoreError> {
        let rows = sqlx::query(
            "SELECT station_code, (checked_in_at + 12600) - ((checked_in_at + 12600) % 3600) - 12600 AS hour_start, COUNT(*) AS n \
             FROM check_ins WHERE election_id = ? GROUP BY station_code, hour_start ORDER BY hour_start, station_code",
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
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM check_ins WHERE election_id = ?")
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
            "SELECT check_ins FROM station_check_ins WHERE election_id = ? AND station_code = ?",
        )
        .bind(election.0)
        .bind(station)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let incidents: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incidents WHERE election_id = ? AND station_code = ?",
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let revoked = sqlx::query(
            "UPDATE devices SET status = 'revoked' WHERE id = ? AND election_id = ? AND status = 'active'",
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
            "SELECT id, election_id, station_code, kind, public_key, status FROM devices WHERE public_key = ?",
        )
        .bind(public_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(device_from_row).transpose()
    }

    async fn use_nonce(&self, device: DeviceId, nonce: &str) -> Result<bool, StoreError> {
        // Through the writer, so that a request's nonce and its check-in share one group commit.
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || StoreError::Database("the writer has stopped".into());
        self.writer
            .send(Job::Nonce {
                device: device.0,
                nonce: nonce.to_string(),
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO users (username, role, scope, password_hash) VALUES (?, ?, ?, ?) RETURNING id")
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
        let row = sqlx::query("SELECT id, username, role, scope, password_hash, failed_attempts, locked_until, signing_key, wrapped_key FROM users WHERE username = ?")
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
        let _gate = self.gate.lock().await;
        sqlx::query(
            "UPDATE users SET failed_attempts = failed_attempts + 1, \
             locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END WHERE id = ?",
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = 0 WHERE id = ?")
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)")
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
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let _gate = self.gate.lock().await;
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        for area in areas {
            let inserted = sqlx::query("INSERT INTO areas (election_id, code, kind, parent_code, name_fa, name_en) VALUES (?, ?, ?, ?, ?, ?)")
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
        let rows = sqlx::query("SELECT code, kind, parent_code, name_fa, name_en FROM areas WHERE election_id = ? ORDER BY code")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        for station in stations {
            sandoq_store::checkin::check_station_code(&station.code)?;
            let district: Option<String> =
                sqlx::query_scalar("SELECT kind FROM areas WHERE election_id = ? AND code = ?")
                    .bind(election.0)
                    .bind(&station.district)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            if district.as_deref() != Some("district") {
                return Err(sandoq_store::unknown_district(&station.district));
            }
            let inserted = sqlx::query("INSERT INTO stations (election_id, code, district_code, name_fa, name_en, address) VALUES (?, ?, ?, ?, ?, ?)")
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
        let rows = sqlx::query("SELECT code, district_code, name_fa, name_en, address FROM stations WHERE election_id = ? ORDER BY code")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut ids = Vec::with_capacity(devices.len());
        for device in devices {
            sandoq_store::checkin::check_station_code(&device.station)?;
            let inserted = sqlx::query(
                "INSERT INTO devices (election_id, station_code, kind, public_key, status) VALUES (?, ?, ?, ?, 'active') RETURNING id",
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
        let rows = sqlx::query("SELECT id, election_id, station_code, kind, public_key, status FROM devices WHERE election_id = ? ORDER BY id")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO photos (election_id, candidate_code, content_type, sha256, bytes) VALUES (?, ?, ?, ?, ?) \
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
        let row = sqlx::query("SELECT content_type, sha256, bytes FROM photos WHERE election_id = ? AND candidate_code = ?")
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
        let rows = sqlx::query("SELECT candidate_code, sha256 FROM photos WHERE election_id = ? ORDER BY candidate_code")
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
        let _gate = self.gate.lock().await;
        let inserted = sqlx::query(
            "INSERT INTO incidents (election_id, kind, national_code, station_code, at, request_id, first_station_code, first_at, detail) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
            "SELECT kind, national_code, station_code, at, request_id, first_station_code, first_at, detail FROM incidents WHERE election_id = ? ORDER BY id",
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO station_reports (election_id, station_code, device_id, report, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
                "SELECT report FROM station_reports WHERE election_id = ? AND station_code = ?",
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        for row in rows {
            let inserted = sqlx::query("INSERT INTO users (username, role, scope, password_hash, signing_key) VALUES (?, ?, ?, ?, ?)")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET signing_key = ?, wrapped_key = ? WHERE id = ?")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET password_hash = ?, wrapped_key = ? WHERE id = ?")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO station_ballots (election_id, station_code, records) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
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
                "SELECT records FROM station_ballots WHERE election_id = ? AND station_code = ?",
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
            "SELECT station_code, records FROM station_ballots WHERE election_id = ? ORDER BY station_code",
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
        let _gate = self.gate.lock().await;
        sqlx::query("INSERT INTO station_status (election_id, station_code, state, ballots, tokens_issued, received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (election_id, station_code) DO UPDATE SET state = excluded.state, ballots = excluded.ballots, tokens_issued = excluded.tokens_issued, received_at = excluded.received_at")
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
        let rows = sqlx::query("SELECT station_code, state, ballots, tokens_issued, received_at FROM station_status WHERE election_id = ? ORDER BY station_code")
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
        let _gate = self.gate.lock().await;
        sqlx::query(
            "INSERT INTO refused_reports (election_id, station_code, code, at) VALUES (?, ?, ?, ?)",
        )
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
        let rows = sqlx::query("SELECT station_code, code, at FROM refused_reports WHERE election_id = ? ORDER BY at, station_code")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO quarantined_reports (election_id, station_code, code, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
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
        let rows = sqlx::query("SELECT station_code, code, at FROM quarantined_reports WHERE election_id = ? ORDER BY at, station_code")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO alert_acks (election_id, alert, note, by_user, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
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
        let rows = sqlx::query("SELECT alert, note, by_user, at FROM alert_acks WHERE election_id = ? ORDER BY at, alert")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO count_closing (election_id, statement, closed_by, closed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
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
            "SELECT statement, closed_by, closed_at FROM count_closing WHERE election_id = ?",
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO roster_documents (election_id, kind, number, text, made_by, made_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
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
        let rows = sqlx::query("SELECT kind, number, text FROM roster_documents WHERE election_id = ? ORDER BY kind, number")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO roster_signatures (election_id, kind, number, username, signature, signed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
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
        let rows = sqlx::query("SELECT kind, number, username, signature FROM roster_signatures WHERE election_id = ? ORDER BY kind, number, username")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO closing_signatures (election_id, username, signature, signed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
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
        let rows = sqlx::query("SELECT username, signature FROM closing_signatures WHERE election_id = ? ORDER BY username")
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
            "SELECT station_code, report, received_at FROM station_reports WHERE election_id = ? ORDER BY station_code",
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
            "SELECT report, received_at FROM station_reports WHERE election_id = ? AND station_code = ?",
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
            sqlx::query_scalar("SELECT COUNT(*) FROM station_reports WHERE election_id = ?")
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
        let _gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO drills (election_id, station_code, card, started_by, started_at) VALUES (?, ?, ?, ?, ?) RETURNING id")
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
        let rows = sqlx::query("SELECT id, station_code, card, started_by, started_at FROM drills WHERE election_id = ? ORDER BY id DESC")
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
        let _gate = self.gate.lock().await;
        sqlx::query(
            "INSERT INTO drill_steps (drill_id, step, first_at, count) \
             SELECT id, ?, ?, 1 FROM drills WHERE election_id = ? AND station_code = ? ORDER BY id DESC LIMIT 1 \
             ON CONFLICT (drill_id, step) DO UPDATE SET count = count + 1",
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
            "SELECT step, first_at, count FROM drill_steps WHERE drill_id = ? ORDER BY step",
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
                "v.constituency = ? AND v.birth_date <= ? AND NOT v.deceased AND NOT v.barred",
                Some(constituency.as_str()),
                Some(born_by.0),
            ),
            VoterSample::UnderAge {
                constituency,
                born_after,
            } => (
                "v.constituency = ? AND v.birth_date > ? AND NOT v.deceased AND NOT v.barred",
                Some(constituency.as_str()),
                Some(born_after.0),
            ),
            VoterSample::OtherConstituency { constituency } => (
                "v.constituency <> ? AND NOT v.deceased AND NOT v.barred",
                Some(constituency.as_str()),
                None,
            ),
            VoterSample::Deceased => ("v.deceased", None, None),
            VoterSample::Barred => ("v.barred AND NOT v.deceased", None, None),
        };
        let sql = format!(
            "SELECT v.national_code FROM voters v WHERE v.election_id = ? AND {condition} \
             AND NOT EXISTS (SELECT 1 FROM check_ins c WHERE c.election_id = v.election_id AND c.national_code = v.national_code) \
             ORDER BY v.national_code LIMIT ?"
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
        let rows =
            sqlx::query("SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?")
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `open` sets for speed gives up nothing: a new database has 1 KiB pages and a WAL,
    /// and every commit is still synced to the disk (`synchronous = FULL`).
    #[tokio::test]
    async fn a_new_database_has_small_pages_and_still_syncs_every_commit() {
        let dir =
            std::env::temp_dir().join(format!("sandoq-sqlite-pragmas-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let store = SqliteStore::open(&dir.join("centre.db"))
            .await
            .expect("the store opens");
        let mut connection = store.pool.acquire().await.expect("a connection");
        let mut pragma = async |name: &str| -> String {
            sqlx::query(&format!("PRAGMA {name}"))
                .fetch_one(&mut *connection)
                .await
                .and_then(|row| {
                    row.try_get::<i64, _>(0)
                        .map(|n| n.to_string())
                        .or_else(|_| row.try_get::<String, _>(0))
                })
                .expect("the pragma answers")
        };
        assert_eq!(pragma("page_size").await, "1024");
        assert_eq!(pragma("journal_mode").await, "wal");
        // 2 = FULL: the WAL is synced at every commit.
        assert_eq!(pragma("synchronous").await, "2");
        // 2 = MEMORY.
        assert_eq!(pragma("temp_store").await, "2");
        assert_eq!(pragma("wal_autocheckpoint").await, "20000");
        drop(connection);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
