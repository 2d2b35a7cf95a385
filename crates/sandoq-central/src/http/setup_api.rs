//! Setup and supervision endpoints (issue 3 §2-4): imports of areas,
//! stations, devices, lists with candidates and the registry; candidates'
//! photos; the election export with its content hash; lists scoped to what
//! the person may see; provisional check-ins synced by a station desk and the
//! incidents they raise.

use super::scope::{stations_seen, Seen};
use super::{allowed, body_error, desk_request, election_path, people, AppError, AppState};
use crate::tables::{self, Format};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sandoq_store::{sync_provisional, CheckInRequest, ElectionId, Photo, Store, SyncOutcome, User};
use serde::Deserialize;
use serde_json::{json, Value};

/// The largest import file accepted over HTTP (the CLI has no limit: use it for a whole registry).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// The largest candidate photo.
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;

fn pair_path(
    path: Result<Path<(i64, String)>, PathRejection>,
) -> Result<(ElectionId, String), AppError> {
    match path {
        Ok(Path((id, name))) => Ok((ElectionId(id), name)),
        Err(_) => Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            "the election id must be a number",
            "شناسهٔ انتخابات باید عدد باشد",
        )),
    }
}

/// The signed-in person allowed on this route, and the election (which must exist).
async fn person(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    route: &str,
    election: ElectionId,
) -> Result<User, AppError> {
    let user = people::require(
        &state.store,
        headers,
        (state.clock)(),
        allowed(method, route),
    )
    .await?;
    state.election(election).await?;
    Ok(user)
}

fn actor(user: &User) -> String {
    format!("user:{}", user.username)
}

pub(super) async fn get_areas(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    person(
        &state,
        &headers,
        "GET",
        "/api/elections/{election}/areas",
        id,
    )
    .await?;
    let areas: Vec<Value> = state
        .store
        .areas(id)
        .await?
        .into_iter()
        .map(|a| json!({"code": a.code, "kind": a.kind.name(), "parent": a.parent, "name_fa": a.name_fa, "name_en": a.name_en}))
        .collect();
    Ok(Json(json!({"election": id.0, "areas": areas})))
}

pub(super) async fn get_stations(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let user = person(
        &state,
        &headers,
        "GET",
        "/api/elections/{election}/stations",
        id,
    )
    .await?;
    let seen = stations_seen(&state.store, id, &user).await?;
    let stations: Vec<Value> = state
        .store
        .stations(id)
        .await?
        .into_iter()
        .filter(|s| seen.includes(&s.code))
        .map(|s| json!({"code": s.code, "district": s.district, "name_fa": s.name_fa, "name_en": s.name_en, "address": s.address}))
        .collect();
    Ok(Json(json!({"election": id.0, "stations": stations})))
}

pub(super) async fn get_devices(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let user = person(
        &state,
        &headers,
        "GET",
        "/api/elections/{election}/devices",
        id,
    )
    .await?;
    let seen = stations_seen(&state.store, id, &user).await?;
    let devices: Vec<Value> = state
        .store
        .devices(id)
        .await?
        .into_iter()
        .filter(|d| seen.includes(&d.station))
        .map(|d| json!({"device": d.id.0, "station": d.station, "kind": d.kind.name(), "public_key": d.public_key, "status": d.status.name()}))
        .collect();
    Ok(Json(json!({"election": id.0, "devices": devices})))
}

/// `text/csv` or `application/json`; anything else is refused.
pub fn table_format(headers: &HeaderMap) -> Result<Format, AppError> {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("text/csv") {
        Ok(Format::Csv)
    } else if content_type.starts_with("application/json") {
        Ok(Format::Json)
    } else {
        Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "send the file as text/csv or application/json",
            "پرونده را با نوع text/csv یا application/json بفرستید",
        ))
    }
}

/// What an import did, for the API and the pages alike.
pub async fn run_import(
    state: &AppState,
    election: ElectionId,
    kind: &str,
    bytes: &[u8],
    format: Format,
    actor: &str,
) -> Result<Value, AppError> {
    let now = (state.clock)();
    let store = &state.store;
    let election_now = state.reload_election(election).await?;
    if kind == "devices" {
        crate::setup::require_not_closed(&election_now)?;
    } else {
        crate::setup::require_setup(&election_now)?;
    }
    match kind {
        "areas" => {
            let n = tables::import_areas(store, election, bytes, format, actor, now).await?;
            Ok(json!({"kind": kind, "imported": n}))
        }
        "stations" => {
            let n = tables::import_stations(store, election, bytes, format, actor, now).await?;
            Ok(json!({"kind": kind, "imported": n}))
        }
        "devices" => {
            let ids = tables::import_devices(store, election, bytes, format, actor, now).await?;
            Ok(
                json!({"kind": kind, "imported": ids.len(), "devices": ids.iter().map(|d| d.0).collect::<Vec<_>>()}),
            )
        }
        "candidates" => {
            let seats = state.election(election).await?.spec.seats;
            let definition = tables::parse_candidates(bytes, format, seats)?;
            let canonical = definition.canonical();
            let hash = crate::definition::content_hash(&canonical);
            store
                .set_definition(election, &canonical, &hash, actor, now)
                .await?;
            Ok(
                json!({"kind": kind, "imported": definition.lists.len() + definition.independents.len()
                + definition.lists.iter().map(|l| l.candidates.len()).sum::<usize>(), "hash": hash}),
            )
        }
        "registry" => {
            let voters = match format {
                Format::Csv => crate::import::parse_registry_csv(bytes),
                Format::Json => crate::import::parse_registry_json(bytes),
            }
            .map_err(AppError::import_refused)?;
            let n = store.import_voters(election, &voters, actor, now).await?;
            Ok(json!({"kind": kind, "imported": n}))
        }
        _ => Err(AppError::new(
            StatusCode::NOT_FOUND,
            "unknown_import",
            format!("unknown import {kind:?} (areas, stations, devices, candidates, registry)"),
            format!("درون‌ریزی ناشناخته {kind:?} (areas، stations، devices، candidates، registry)"),
        )),
    }
}

pub(super) async fn post_import(
    State(state): State<AppState>,
    path: Result<Path<(i64, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let (id, kind) = pair_path(path)?;
    let user = person(
        &state,
        &headers,
        "POST",
        "/api/elections/{election}/imports/{kind}",
        id,
    )
    .await?;
    let body = body.map_err(|rejection| {
        let mut error = body_error(rejection);
        if error.code == "body_too_large" {
            error.en = format!("the file is larger than {} MiB; import it with the command line (sandoq central import-…)", MAX_IMPORT_BYTES >> 20);
            error.fa = format!("پرونده از {} مگابایت بزرگ‌تر است؛ آن را با خط فرمان وارد کنید (sandoq central import-…)", MAX_IMPORT_BYTES >> 20);
        }
        error
    })?;
    let format = table_format(&headers)?;
    let mut answer = run_import(&state, id, &kind, &body, format, &actor(&user)).await?;
    answer["election"] = json!(id.0);
    Ok(Json(answer))
}

/// The content type of an image, from its first bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Checks and stores a candidate's photo; shared by the API and the pages.
pub async fn store_photo(
    state: &AppState,
    election: ElectionId,
    candidate: &str,
    bytes: &[u8],
    actor: &str,
) -> Result<Photo, AppError> {
    let candidate = sandoq_count::election::normalize_code(candidate);
    crate::setup::require_setup(&*state.reload_election(election).await?)?;
    let Some((canonical, _)) = state.store.definition(election).await? else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_definition",
            "import the lists and candidates before their photos",
            "پیش از عکس‌ها، فهرست‌ها و نامزدها را وارد کنید",
        ));
    };
    let known = crate::definition::candidate_codes(&canonical);
    if !known.contains(&candidate) {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_candidate",
            format!("there is no candidate {candidate:?} in this election"),
            format!("نامزدی با کد {candidate:?} در این انتخابات نیست"),
        ));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            "a photo may be at most 1 MiB",
            "عکس حداکثر ۱ مگابایت است",
        ));
    }
    let Some(content_type) = image_type(bytes) else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_image",
            "the photo must be a JPEG or PNG image",
            "عکس باید تصویر JPEG یا PNG باشد",
        ));
    };
    let photo = Photo {
        candidate,
        content_type: content_type.to_string(),
        sha256: crate::definition::content_hash_bytes(bytes),
        bytes: bytes.to_vec(),
    };
    state
        .store
        .set_photo(election, &photo, actor, (state.clock)())
        .await?;
    Ok(photo)
}

pub(super) async fn put_photo(
    State(state): State<AppState>,
    path: Result<Path<(i64, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let (id, candidate) = pair_path(path)?;
    let user = person(
        &state,
        &headers,
        "PUT",
        "/api/elections/{election}/photos/{candidate}",
        id,
    )
    .await?;
    let body = body.map_err(body_error)?;
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !matches!(content_type, "image/jpeg" | "image/png") {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "send the photo as image/jpeg or image/png",
            "عکس را با نوع image/jpeg یا image/png بفرستید",
        ));
    }
    let photo = store_photo(&state, id, &candidate, &body, &actor(&user)).await?;
    Ok(Json(
        json!({"election": id.0, "candidate": photo.candidate, "sha256": photo.sha256, "content_type": photo.content_type}),
    ))
}

pub(super) async fn get_photo(
    State(state): State<AppState>,
    path: Result<Path<(i64, String)>, PathRejection>,
) -> Result<Response, AppError> {
    let (id, candidate) = pair_path(path)?;
    state.election(id).await?;
    let candidate = sandoq_count::election::normalize_code(&candidate);
    let Some(photo) = state.store.photo(id, &candidate).await? else {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "no_photo",
            "this candidate has no photo",
            "این نامزد عکس ندارد",
        ));
    };
    Ok((
        [
            ("content-type", photo.content_type.clone()),
            ("x-sandoq-sha256", photo.sha256.clone()),
            ("cache-control", "no-cache".to_string()),
        ],
        photo.bytes,
    )
        .into_response())
}

pub(super) async fn get_export(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    person(
        &state,
        &headers,
        "GET",
        "/api/elections/{election}/export",
        id,
    )
    .await?;
    let election = state.election(id).await?;
    let Some((canonical, hash)) = crate::definition::export(&state.store, &election).await? else {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "no_definition",
            "this election has no definition yet",
            "این انتخابات هنوز تعریف (فهرست‌ها و نامزدها) ندارد",
        ));
    };
    let document: Value = serde_json::from_str(&canonical)
        .map_err(|e| AppError::from(sandoq_store::StoreError::Database(e.to_string())))?;
    Ok(Json(
        json!({"election": id.0, "hash": hash, "canonical": canonical, "document": document}),
    ))
}

fn incident_json(incident: &sandoq_store::Incident) -> Value {
    let mut value = json!({
        "kind": incident.kind.name(), "national_code": incident.national_code,
        "station": incident.station, "at": incident.at.0, "at_tehran": incident.at.to_string(),
        "request_id": incident.request_id,
    });
    match incident.kind {
        sandoq_store::IncidentKind::DoubleVote => {
            value["first_station"] = json!(incident.first_station);
            value["first_at"] = json!(incident.first_at.0);
            value["first_at_tehran"] = json!(incident.first_at.to_string());
        }
        sandoq_store::IncidentKind::Ineligible => value["refusal"] = json!(incident.detail),
    }
    value
}

/// Incidents that concern a station this person sees (either station of a double vote).
pub async fn incidents_seen(
    state: &AppState,
    election: ElectionId,
    user: &User,
) -> Result<Vec<sandoq_store::Incident>, AppError> {
    let seen = stations_seen(&state.store, election, user).await?;
    Ok(state
        .store
        .incidents(election)
        .await?
        .into_iter()
        .filter(|i| {
            seen == Seen::All
                || seen.includes(&i.station)
                || (!i.first_station.is_empty() && seen.includes(&i.first_station))
        })
        .collect())
}

pub(super) async fn get_incidents(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let user = person(
        &state,
        &headers,
        "GET",
        "/api/elections/{election}/incidents",
        id,
    )
    .await?;
    let incidents = incidents_seen(&state, id, &user).await?;
    Ok(Json(json!({
        "election": id.0,
        "incidents": incidents.iter().map(incident_json).collect::<Vec<_>>(),
    })))
}

/// A check-in the desk recorded while offline: the code as typed, the desk's request id, and
/// the instant it happened (seconds since 1970, UTC).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvisionalBody {
    national_code: String,
    request_id: String,
    checked_in_at: i64,
}

pub(super) async fn post_provisional_check_in(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let (device, nonce, body, now, election) =
        desk_request(&state, election, &headers, body, "provisional-check-ins").await?;
    let request: ProvisionalBody = serde_json::from_slice(&body).map_err(|e| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("not a provisional check-in: {e}"),
            format!("پذیرش موقت معتبر نیست: {e}"),
        )
    })?;
    let request = CheckInRequest {
        election: election.id,
        national_code: request.national_code,
        station: device.station.clone(),
        request_id: request.request_id,
        at: sandoq_store::Timestamp(request.checked_in_at),
        nonce: Some(nonce),
    };
    let outcome = sync_provisional(&state.store, &election, &request, now)
        .await
        .map_err(super::device_error)?;
    let mut answer = json!({"outcome": outcome.code(), "station": device.station});
    match &outcome {
        SyncOutcome::Recorded { at } => {
            answer["at"] = json!(at.0);
            answer["message"] =
                json!({"fa": "پذیرش موقت ثبت شد.", "en": "The provisional check-in is recorded."});
        }
        SyncOutcome::Incident(incident) => {
            answer["incident"] = incident_json(incident);
            answer["message"] = match incident.kind {
                sandoq_store::IncidentKind::DoubleVote => json!({
                    "fa": format!("رأی دوگانه: این شخص پیش‌تر در شعبهٔ {} پذیرش شده بود؛ به ناظران گزارش شد.", incident.first_station),
                    "en": format!("Double vote: this person had already checked in at station {}; reported to the supervisors.", incident.first_station),
                }),
                sandoq_store::IncidentKind::Ineligible => json!({
                    "fa": format!("این شخص واجد شرایط نبود ({}); به ناظران گزارش شد.", incident.detail),
                    "en": format!("This person was not eligible ({}); reported to the supervisors.", incident.detail),
                }),
            };
        }
    }
    Ok(Json(answer))
}

pub(super) async fn get_users(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    people::require(
        &state.store,
        &headers,
        (state.clock)(),
        allowed("GET", "/api/users"),
    )
    .await?;
    let users: Vec<Value> = state
        .store
        .users()
        .await?
        .iter()
        .map(|u| json!({"username": u.username, "role": u.role.name(), "scope": u.scope}))
        .collect();
    Ok(Json(json!({"users": users})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
}

/// Moves the election one step: `setup` → `voting` → `closed`.
pub(super) async fn post_status(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let user = person(
        &state,
        &headers,
        "POST",
        "/api/elections/{election}/status",
        id,
    )
    .await?;
    let request: StatusBody = super::json_body(&headers, body)?;
    let to = sandoq_store::ElectionStatus::from_name(&request.status).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_status",
            format!(
                "unknown status {:?} (setup, voting, closed)",
                request.status
            ),
            format!(
                "وضعیت ناشناخته {:?} (setup، voting، closed)",
                request.status
            ),
        )
    })?;
    let election = state.reload_election(id).await?;
    crate::roster::advance(&state.store, &election, to, &actor(&user), (state.clock)()).await?;
    let election = state.reload_election(id).await?;
    Ok(Json(
        json!({"election": id.0, "status": election.status.name()}),
    ))
}

/// Revokes a lost or stolen device: from now on its signature is refused (`device_revoked`).
pub(super) async fn post_revoke(
    State(state): State<AppState>,
    path: Result<Path<(i64, i64)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let Ok(Path((election, device))) = path else {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            "the election and device ids must be numbers",
            "شناسهٔ انتخابات و دستگاه باید عدد باشد",
        ));
    };
    let id = ElectionId(election);
    let user = person(
        &state,
        &headers,
        "POST",
        "/api/elections/{election}/devices/{device}/revoke",
        id,
    )
    .await?;
    let revoked = state
        .store
        .revoke_device(
            id,
            sandoq_store::DeviceId(device),
            &actor(&user),
            (state.clock)(),
        )
        .await?;
    state.devices_changed();
    if !revoked {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "no_active_device",
            "this election has no active device with that id",
            "این انتخابات دستگاه فعالی با این شناسه ندارد",
        ));
    }
    Ok(Json(
        json!({"election": election, "device": device, "status": "revoked"}),
    ))
}

/// A station report signed by a key nobody registered: refused, and kept among refused reports
/// for the supervisors' dashboard under the station it names (if that station is in the
/// election; otherwise under `?`, which headquarters sees), once per station, so that a stranger
/// sending many cannot flood the list.
async fn unknown_device_report(
    state: &AppState,
    id: ElectionId,
    body: &[u8],
    now: sandoq_store::Timestamp,
) -> Result<(), AppError> {
    if state.election(id).await.is_err() {
        return Ok(());
    }
    let named = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|r| r["station"].as_str().map(str::to_string));
    let stations = state.store.stations(id).await?;
    let station = named
        .filter(|code| stations.iter().any(|s| &s.code == code))
        .unwrap_or_else(|| "?".to_string());
    let already = state
        .store
        .refused_reports(id)
        .await?
        .iter()
        .any(|(s, code, _)| s == &station && code == "unknown_device");
    if !already {
        state
            .store
            .record_refused_report(id, &station, "unknown_device", now)
            .await?;
    }
    Ok(())
}

/// Receives a station report (issue 4 §6), signed twice: the request by a registered device of
/// the station, the report by the same device. The report is verified (signature, election hash
/// = the export hash, station = the device's, figures that add up) and stored once; sending the
/// same report again is acknowledged again, a different one is refused.
pub(super) async fn post_station_report(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let body = super::json_bytes(&headers, body)?;
    let now = (state.clock)();
    let path = format!("/api/elections/{}/station-reports", id.0);
    let device = match super::device_auth::authenticate(
        &state.store,
        &state.devices,
        &headers,
        "POST",
        &path,
        &body,
        now,
    )
    .await
    {
        Ok(device) => device,
        Err(e) if e.code == "unknown_device" => {
            unknown_device_report(&state, id, &body, now).await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    if device.election != id {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "wrong_election",
            "this device is registered for another election",
            "این دستگاه برای انتخابات دیگری ثبت شده است",
        ));
    }
    if state.store.count_closing(id).await?.is_some() {
        // A report the centre already holds is acknowledged again (its first answer may have
        // been lost); any other is refused.
        let sent = serde_json::from_slice::<Value>(&body).ok();
        let held = state
            .store
            .station_report(id, &device.station)
            .await?
            .is_some_and(|(r, _)| serde_json::from_str::<Value>(&r).ok() == sent);
        if held {
            return Ok(Json(
                json!({"accepted": true, "station": device.station, "again": true}),
            ));
        }
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "count_closed",
            "the count is closed: no station report is taken any more",
            "شمارش بسته شده است: دیگر صورتجلسه‌ای پذیرفته نمی‌شود",
        ));
    }
    let report = sandoq_json::value::parse_document(&body)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, e.code, e.en, e.fa))?;
    let election = state.election(id).await?;
    let no_definition = || {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_definition",
            "this election has no definition to check the report against",
            "این انتخابات تعریفی ندارد که گزارش با آن سنجیده شود",
        )
    };
    let checks = state
        .checks
        .election(&state.store, &election)
        .await?
        .ok_or_else(no_definition)?;
    let contest = &checks.contest;
    let election_hash = checks.hash;
    let key_bytes: [u8; 32] = sandoq_station::merkle::unhex(&device.public_key).unwrap_or([0; 32]);
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes).map_err(|_| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_device",
            "the device's key is not usable",
            "کلید دستگاه به کار نمی‌آید",
        )
    })?;
    // Signed by the device, consistent, and co-signed by the station's officials present (as many
    // as must sign in to open it). A refusal is kept for the supervisors' dashboard.
    // Once the roster is sealed, only its keys and its sealed amendments' count (issue 18 §1):
    // the device must be one of the station's there, and so must every co-signing official.
    let chain = state.checks.chain(&state.store, id).await?;
    let officials = match chain.as_ref() {
        Some(chain) => chain.officials(&device.station),
        None => super::report_checks::Official::pairs(
            state
                .checks
                .officials(&state.store, &device.station)
                .await?,
        ),
    };
    if let Some(chain) = chain.as_ref() {
        if !chain.has_device(&device.station, &device.public_key) {
            let code = "device_not_in_roster";
            state
                .store
                .record_refused_report(id, &device.station, code, now)
                .await?;
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                "this device is not in the sealed roster nor in a sealed amendment: its report does not count",
                "این دستگاه نه در فهرست مهرشدهٔ کلیدهاست و نه در الحاقیهٔ مهرشده‌ای: گزارشش شمرده نمی‌شود",
            ));
        }
    }
    let checked =
        sandoq_station::report::verify(&report, contest, &election_hash, &device.station, &key)
            .and_then(|()| {
                sandoq_station::report::verify_cosignatures(
                    &report,
                    &officials,
                    sandoq_station::lifecycle::MIN_OFFICIALS,
                )
                .map(|_| ())
            });
    // No more ballots than the voters the centre knows this station let in (issue 18 §3): a
    // device key and three officials' passwords are not enough to stuff a report.
    let checked = match checked {
        Ok(()) => within_check_ins(&state, id, &device.station, &report).await?,
        Err(e) => Err(e),
    };
    if let Err(e) = checked {
        state
            .store
            .record_refused_report(id, &device.station, e.code, now)
            .await?;
        crate::drill::note(
            &state,
            &election,
            &device.station,
            &format!("report:refused:{}", e.code),
        )
        .await;
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            e.code,
            e.en,
            e.fa,
        ));
    }
    let text = report.to_string();
    match state
        .store
        .record_station_report(id, &device.station, device.id, &text, now)
        .await?
    {
        None => {
            state.results.accepted(id, &device.station, &report, now);
            crate::drill::note(&state, &election, &device.station, "report:accepted").await;
            Ok(Json(json!({"accepted": true, "station": device.station})))
        }
        Some(existing) if existing == text => Ok(Json(
            json!({"accepted": true, "station": device.station, "again": true}),
        )),
        Some(_) => Err(AppError::new(
            StatusCode::CONFLICT,
            "report_conflict",
            "this station has already sent a different report",
            "این شعبه پیش‌تر گزارش دیگری فرستاده است",
        )),
    }
}

/// Every station report received (public: the results site shows them with their signatures),
/// each with `quarantined` (`{code, at}`, or null) when it is no longer counted.
pub(super) async fn get_station_reports(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    person(
        &state,
        &headers,
        "GET",
        "/api/elections/{election}/station-reports",
        id,
    )
    .await?;
    // Every report received, counted or not: a quarantined one (issue 18 §3) says so.
    let quarantines = state.store.quarantined_reports(id).await?;
    let reports: Vec<Value> = state
        .store
        .station_reports(id)
        .await?
        .into_iter()
        .map(|(station, report, at)| {
            let quarantined = quarantines
                .iter()
                .find(|q| q.station == station)
                .map_or(Value::Null, |q| json!({"code": q.code, "at": q.at.0}));
            json!({"station": station, "received_at": at.0, "received_at_tehran": at.to_string(),
                   "report": serde_json::from_str::<Value>(&report).unwrap_or(Value::Null),
                   "quarantined": quarantined})
        })
        .collect();
    Ok(Json(json!({"election": id.0, "reports": reports})))
}

/// Whether a report's ballots fit the check-ins the centre holds for its station: online ones, and
/// provisional ones synced after an outage (those that became incidents too: the desk let the
/// person in, and the supervisors see the incident).
async fn within_check_ins(
    state: &AppState,
    id: ElectionId,
    station: &str,
    report: &Value,
) -> Result<Result<(), sandoq_station::report::ReportError>, AppError> {
    let ballots = report["ballots"].as_u64().unwrap_or(u64::MAX);
    let (check_ins, incidents) = state.store.station_check_ins(id, station).await?;
    let known = check_ins.saturating_add(incidents);
    if ballots <= known {
        return Ok(Ok(()));
    }
    Ok(Err(sandoq_station::report::ReportError {
        code: "more_ballots_than_check_ins",
        en: format!(
            "the report has {ballots} ballots but the centre holds only {known} check-ins for station {station}"
        ),
        fa: format!(
            "گزارش {ballots} برگ رأی دارد ولی مرکز برای شعبهٔ {station} فقط {known} پذیرش دارد"
        ),
    }))
}
