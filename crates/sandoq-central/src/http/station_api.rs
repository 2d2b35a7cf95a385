//! What a polling station's agent fetches from and sends to the centre besides check-ins (issue
//! 4): its package (the election export with its hash, and its officials' co-signing keys), and,
//! after its report, the ballot records that report committed to. Both are signed by the device.

use super::device_auth::{authenticate, hex};
use super::report_checks::Official;
use super::{election_path, AppError, AppState};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use ed25519_dalek::VerifyingKey;
use sandoq_station::merkle::unhex;
use sandoq_station::BallotRecord;
use sandoq_store::{Device, ElectionId, Role, Store};
use serde_json::{json, Value};

/// The largest body of ballot records (about 300 bytes a ballot: 100,000 ballots).
pub const MAX_RECORDS_BYTES: usize = 32 * 1024 * 1024;

/// A station's officials (role `station`, scoped to it) with their co-signing keys.
pub async fn station_officials<S: Store>(
    store: &S,
    station: &str,
) -> Result<Vec<Official>, AppError> {
    Ok(store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Station && u.scope == station)
        .filter_map(Official::of)
        .collect())
}

fn wrong_election() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "wrong_election",
        "this device is registered for another election",
        "این دستگاه برای انتخابات دیگری ثبت شده است",
    )
}

async fn device_for(
    state: &AppState,
    id: ElectionId,
    headers: &HeaderMap,
    method: &str,
    tail: &str,
    body: &[u8],
) -> Result<Device, AppError> {
    let path = format!("/api/elections/{}/{tail}", id.0);
    let device = authenticate(
        &state.store,
        &state.devices,
        headers,
        method,
        &path,
        body,
        (state.clock)(),
    )
    .await?;
    if device.election != id {
        return Err(wrong_election());
    }
    Ok(device)
}

/// `GET /api/station-package`, signed by a station device: the election it is registered for,
/// the export (embedded as raw JSON: exactly the text its hash is over), the hash, the election's status and the
/// station's officials.
pub(super) async fn get_station_package(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::response::Response, AppError> {
    let device = authenticate(
        &state.store,
        &state.devices,
        &headers,
        "GET",
        "/api/station-package",
        b"",
        (state.clock)(),
    )
    .await?;
    let id = device.election;
    let election = state.reload_election(id).await?;
    // Once voting has started the export and the officials are frozen and served from the
    // report checks' cache; during setup they are read afresh for each request.
    let checks = state
        .checks
        .election(&state.store, &election)
        .await?
        .ok_or_else(|| {
            AppError::new(
                StatusCode::CONFLICT,
                "no_definition",
                "this election has no definition yet",
                "این انتخابات هنوز تعریفی ندارد",
            )
        })?;
    let hash = hex(&checks.hash);
    let officials = if election.status == sandoq_store::ElectionStatus::Setup {
        station_officials(&state.store, &device.station).await?
    } else {
        state
            .checks
            .officials(&state.store, &device.station)
            .await?
    };
    let officials: Vec<Value> = officials
        .into_iter()
        .map(|o| {
            json!({"username": o.username, "signing_key": hex(o.key.as_bytes()),
                   "wrapped_key": o.wrapped})
        })
        .collect();
    // Written out by hand around the export, which goes in as raw JSON: the very text its hash is
    // over, so that a station reads it in place instead of unescaping a string.
    let body = format!(
        r#"{{"election":{},"station":{},"status":{},"export":{},"hash":{},"officials":{}}}"#,
        id.0,
        Value::from(device.station),
        Value::from(election.status.name()),
        checks.export,
        Value::from(hash),
        Value::Array(officials),
    );
    Ok(([("content-type", "application/json")], body).into_response())
}

fn unprocessable(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, en, fa)
}

/// `POST /api/elections/{id}/station-status`, signed by a station device while its agent runs:
/// `{"state", "ballots", "tokens_issued"}`, kept as the station's latest status (the dashboard
/// tells a silent station by its age). Optional `tokens_voided` and `desk_refusals` (mistyped
/// codes the desk refused itself) only feed a drill's debrief (issue 6 §4).
pub(super) async fn post_station_status(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let body = super::json_bytes(&headers, body)?;
    let device = device_for(&state, id, &headers, "POST", "station-status", &body).await?;
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let station_state = value["state"].as_str().unwrap_or("");
    if !["setup", "open", "voting", "closed", "reported"].contains(&station_state) {
        return Err(unprocessable(
            "bad_station_status",
            "a station status is {state: setup|open|voting|closed|reported, ballots, tokens_issued}",
            "وضعیت شعبه {state: setup|open|voting|closed|reported, ballots, tokens_issued} است",
        ));
    }
    let status = sandoq_store::StationStatus {
        station: device.station.clone(),
        state: station_state.to_string(),
        ballots: value["ballots"].as_u64().unwrap_or(0),
        tokens_issued: value["tokens_issued"].as_u64().unwrap_or(0),
        received_at: (state.clock)(),
    };
    state.store.set_station_status(id, &status).await?;
    let election = state.election(id).await?;
    let drill_steps = [
        Some(format!("state:{station_state}")),
        (value["tokens_voided"].as_u64().unwrap_or(0) > 0).then(|| "walked_away".to_string()),
        (value["desk_refusals"].as_u64().unwrap_or(0) > 0).then(|| "desk:invalid_code".to_string()),
    ];
    for step in drill_steps.into_iter().flatten() {
        crate::drill::note(&state, &election, &device.station, &step).await;
    }
    Ok(Json(json!({"recorded": true, "station": device.station})))
}

/// `GET /api/elections/{id}/results`, public: the provisional result from the station reports
/// accepted so far, the stations reported and missing, the Merkle root over the reports.
pub(super) async fn get_results(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let election = state.election(id).await?;
    let answer = state.results.get(&state.store, &election).await?;
    let mut answer = answer.as_ref().clone();
    if let Some((statement, signatures, required)) = super::closing_api::closing(&state, id).await?
    {
        let done = signatures.len() >= required;
        answer["status"] = json!(if done { "final" } else { "closed" });
        answer["closing"] = json!({
            "statement": serde_json::from_str::<Value>(&statement).unwrap_or(Value::Null),
            "signatures": signatures.iter().map(|(u, s)| json!({"username": u, "signature": s})).collect::<Vec<_>>(),
            "required": required,
        });
    }
    Ok(Json(answer))
}

/// The body of `POST …/ballot-records`, read in place (no tree of values for 700 records).
#[derive(serde::Deserialize)]
struct RecordsBody<'a> {
    #[serde(borrow)]
    records: Vec<RecordIn<'a>>,
}

#[derive(serde::Deserialize)]
struct RecordIn<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    content: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    signature: std::borrow::Cow<'a, str>,
}

/// Reads `{"records": [{"id", "content", "signature"}]}`.
fn parse_records(body: &[u8]) -> Result<Vec<BallotRecord>, AppError> {
    let bad = || {
        unprocessable(
            "bad_ballot_records",
            "the body is not a list of ballot records {id, content, signature}",
            "بدنه فهرستی از برگ‌های ثبت‌شده {id, content, signature} نیست",
        )
    };
    let body: RecordsBody<'_> = serde_json::from_slice(body).map_err(|_| bad())?;
    body.records
        .into_iter()
        .map(|r| {
            Some(BallotRecord {
                id: unhex::<16>(&r.id)?,
                content: r.content.into_owned(),
                signature: unhex::<64>(&r.signature)?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)
}

/// `POST /api/elections/{id}/ballot-records`, signed by the station's device after its report
/// was accepted: every record signed by that device for the report's election, no id twice, and
/// together exactly the ballots the report committed to. Stored once, sorted by id; sending the
/// same records again is acknowledged again, different ones are refused. Records that count to
/// something else than the report's figures (what `sandoq verify` calls `counts_differ`) are
/// refused with `records_disagree_with_report` and the report is quarantined (issue 18 §3): kept,
/// shown to the supervisors, and no longer counted.
pub(super) async fn post_ballot_records(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let body = super::json_bytes(&headers, body)?;
    let device = device_for(&state, id, &headers, "POST", "ballot-records", &body).await?;
    let report = state
        .store
        .station_report(id, &device.station)
        .await?
        .and_then(|(report, _)| serde_json::from_str::<Value>(&report).ok())
        .ok_or_else(|| {
            AppError::new(
                StatusCode::CONFLICT,
                "no_report_yet",
                "send the station report before its ballot records",
                "پیش از برگ‌ها، صورتجلسهٔ شعبه را بفرستید",
            )
        })?;
    let mut records = parse_records(&body)?;
    records.sort_by_key(|r| r.id);
    if records.windows(2).any(|w| w[0].id == w[1].id) {
        return Err(unprocessable(
            "duplicate_ballot",
            "a ballot id appears twice",
            "شناسهٔ یک برگ دو بار آمده است",
        ));
    }
    let election_hash = report["election"]
        .as_str()
        .and_then(unhex::<32>)
        .unwrap_or([0; 32]);
    let key = unhex::<32>(&device.public_key)
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .ok_or_else(|| {
            unprocessable(
                "unknown_device",
                "the device's key is not usable",
                "کلید دستگاه به کار نمی‌آید",
            )
        })?;
    let election = state.election(id).await?;
    let checks = state
        .checks
        .election(&state.store, &election)
        .await?
        .ok_or_else(|| {
            AppError::new(
                StatusCode::CONFLICT,
                "no_definition",
                "this election has no definition yet",
                "این انتخابات هنوز تعریفی ندارد",
            )
        })?;
    // One batch verification for the station's records, and their count, off the async threads.
    let (records, unsigned, counted) = tokio::task::spawn_blocking(move || {
        let unsigned = BallotRecord::first_unsigned(&records, &key, &election_hash);
        let counted = sandoq_station::report::count(&records, &checks.contest);
        (records, unsigned, counted)
    })
    .await
    .map_err(|_| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
            "خطای درونی",
        )
    })?;
    if let Some(bad) = unsigned.map(|i| &records[i]) {
        return Err(unprocessable(
            "bad_ballot_signature",
            format!(
                "ballot {} is not signed by this station's device",
                hex(&bad.id)
            ),
            format!("برگ {} را دستگاه این شعبه امضا نکرده است", hex(&bad.id)),
        ));
    }
    if !sandoq_station::report::records_match(&report, &records) {
        return Err(unprocessable(
            "records_do_not_match_report",
            "these ballot records are not the ones the station report committed to (count or Merkle root differ)",
            "این برگ‌ها همان‌هایی نیستند که صورتجلسه به آن‌ها متعهد شده است (شمار یا ریشهٔ مرکل فرق دارد)",
        ));
    }
    let actor = format!("device:{}", device.id.0);
    // Issue 18 §3: the records are the station's own ballots, signed by its device and committed
    // to by its report; if they count to something else than the report says, the report lied
    // (or was made with the device's key and the officials' passwords from other ballots).
    let disagreement = match &counted {
        Ok(counts) if counts.agree_with(&report) => None,
        Ok(_) => Some("counts_differ"),
        Err(e) => Some(e.code),
    };
    if let Some(reason) = disagreement {
        let quarantined = quarantine(&state, id, &device.station, reason, &actor).await?;
        return Err(records_disagree(reason, quarantined));
    }
    let text = BallotRecord::list_json(&records);
    match state
        .store
        .record_ballots(id, &device.station, &text, &actor, (state.clock)())
        .await?
    {
        None => Ok(Json(
            json!({"accepted": true, "station": device.station, "ballots": records.len()}),
        )),
        Some(existing) if existing == text => Ok(Json(
            json!({"accepted": true, "station": device.station, "ballots": records.len(), "again": true}),
        )),
        Some(_) => Err(AppError::new(
            StatusCode::CONFLICT,
            "ballots_conflict",
            "this station has already sent different ballot records",
            "این شعبه پیش‌تر برگ‌های دیگری فرستاده است",
        )),
    }
}

/// The refusal of ballot records that do not count to their report's figures (`reason`:
/// `counts_differ`, or `bad_ballot_record` for a record that is no ballot of this election), with
/// what became of the report.
fn records_disagree(reason: &str, quarantined: bool) -> AppError {
    let (en, fa) = if reason == "counts_differ" {
        (
            "these ballot records do not count to the figures of the station's report",
            "این برگ‌ها به ارقام صورتجلسهٔ شعبه نمی‌رسند",
        )
    } else {
        (
            "a ballot record is not a ballot of this election, so the records cannot be what the station's report counted",
            "برگی ثبت‌شده برگ رأی این انتخابات نیست، پس برگ‌ها نمی‌توانند همان شمردهٔ صورتجلسه باشند",
        )
    };
    let (then_en, then_fa) = if quarantined {
        (
            "the report is quarantined and no longer counted",
            "صورتجلسه قرنطینه شد و دیگر شمرده نمی‌شود",
        )
    } else {
        (
            "the count was closed before, so it stands; the supervisors are alerted",
            "شمارش پیش‌تر بسته شده بود و همان می‌ماند؛ به ناظران هشدار داده شد",
        )
    };
    unprocessable(
        "records_disagree_with_report",
        format!("{en}: {then_en}"),
        format!("{fa}: {then_fa}"),
    )
}

/// Stops counting a station's report whose own ballot records count to something else, keeps
/// the fact for the supervisors' dashboard and audit log, and makes the live results forget the
/// report at once. Once the count is closed, the closed count (signed by the supervisors) is not
/// changed after the fact: the disagreement is kept as a refused report instead
/// (`records_disagree_after_closing`), which the dashboard shows just as well. Returns whether
/// the report is quarantined (now or before).
async fn quarantine(
    state: &AppState,
    id: ElectionId,
    station: &str,
    reason: &str,
    actor: &str,
) -> Result<bool, AppError> {
    let now = (state.clock)();
    let quarantines = state.store.quarantined_reports(id).await?;
    if quarantines.iter().any(|q| q.station == station) {
        return Ok(true);
    }
    if state.store.count_closing(id).await?.is_some() {
        let already = state
            .store
            .refused_reports(id)
            .await?
            .iter()
            .any(|(s, code, _)| s == station && code == "records_disagree_after_closing");
        if !already {
            state
                .store
                .record_refused_report(id, station, "records_disagree_after_closing", now)
                .await?;
        }
        return Ok(false);
    }
    let quarantine = sandoq_store::Quarantine {
        station: station.to_string(),
        code: reason.to_string(),
        at: now,
    };
    if state
        .store
        .quarantine_report(id, &quarantine, actor)
        .await?
    {
        state.results.forget(id);
    }
    Ok(true)
}
