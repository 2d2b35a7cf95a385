//! The HTTP API of the central service (axum). `app(state)` is the whole
//! service, shared by `sandoq central serve` and the tests, which start it on
//! port 0 and talk to it over real TCP.
//!
//! Today: health, the OpenAPI description, check-in by a signed station
//! device, people's sign-in with roles (`people`), setup endpoints, and the
//! pages (`crate::pages`), all listed in [`ROUTES`]. Still to come (issue 3):
//! scoping executive boards and station officials to their own area's data.

pub mod closing_api;
pub mod device_auth;
pub mod error;
pub mod people;
pub mod report_checks;
pub mod results_api;
pub mod roster_api;
pub mod scope;
pub mod setup_api;
pub mod station_api;

use crate::AnyStore;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
pub use error::AppError;
use sandoq_store::{
    check_in, CheckInOutcome, CheckInRequest, DeviceKind, Election, ElectionId, ElectionKind,
    ElectionSpec, OfflinePolicy, Role, Store, Timestamp,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Where the service reads the time: the system clock, or a fixed one in tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Timestamp(i64::try_from(seconds).unwrap_or(i64::MAX))
    })
}

#[derive(Clone)]
pub struct AppState {
    pub store: AnyStore,
    pub clock: Clock,
    /// Elections read from the store, kept for [`ELECTION_CACHE_SECONDS`]: only their status
    /// changes, and a change made through this service replaces the cached copy at once.
    #[allow(clippy::type_complexity)]
    elections: Arc<RwLock<HashMap<ElectionId, (Arc<Election>, std::time::Instant)>>>,
    devices: Arc<device_auth::DeviceCache>,
    pub(crate) results: Arc<crate::results::Results>,
    pub(crate) checks: Arc<report_checks::ReportChecks>,
    /// The stations of training elections with a drill (issue 6 §4).
    pub(crate) drills: Arc<crate::drill::DrillIndex>,
    /// Rendered public results pages, by election and language, with when they were made.
    #[allow(clippy::type_complexity)]
    pub(crate) result_pages:
        Arc<std::sync::Mutex<HashMap<(i64, bool), (std::time::Instant, Arc<String>)>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(store: AnyStore, clock: Clock) -> AppState {
        AppState {
            store,
            clock,
            elections: Arc::new(RwLock::new(HashMap::new())),
            devices: Arc::new(device_auth::DeviceCache::default()),
            results: Arc::new(crate::results::Results::default()),
            checks: Arc::new(report_checks::ReportChecks::default()),
            drills: Arc::new(crate::drill::DrillIndex::default()),
            result_pages: Arc::new(std::sync::Mutex::new(HashMap::new())),
        }
    }

    /// After a device was revoked here: forget the cached devices so it takes effect at once.
    pub(crate) fn devices_changed(&self) {
        self.devices.forget_all();
    }

    pub(crate) async fn election(&self, id: ElectionId) -> Result<Arc<Election>, AppError> {
        let fresh = std::time::Duration::from_secs(ELECTION_CACHE_SECONDS);
        if let Some((election, at)) = self.elections.read().ok().and_then(|m| m.get(&id).cloned()) {
            if at.elapsed() < fresh {
                return Ok(election);
            }
        }
        self.reload_election(id).await
    }

    /// Reads an election from the store again (after its status changed).
    pub(crate) async fn reload_election(&self, id: ElectionId) -> Result<Arc<Election>, AppError> {
        let Some(election) = self.store.election(id).await? else {
            return Err(AppError::new(
                StatusCode::NOT_FOUND,
                "unknown_election",
                "no such election",
                "چنین انتخاباتی نیست",
            ));
        };
        let election = Arc::new(election);
        if let Ok(mut map) = self.elections.write() {
            map.insert(id, (election.clone(), std::time::Instant::now()));
        }
        Ok(election)
    }
}

/// How long a cached election is trusted: a status changed by another process (the command
/// line) is seen within this time.
pub const ELECTION_CACHE_SECONDS: u64 = 5;

/// The largest body a device request may carry.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every route, with who may call it (`None`: anyone; device routes are signed instead).
pub const ROUTES: &[(&str, &str, Option<&[Role]>)] = &[
    ("GET", "/api/health", None),
    ("GET", "/api/openapi.json", None),
    ("POST", "/api/sessions", None),
    ("DELETE", "/api/sessions", None),
    ("GET", "/api/me", Some(&Role::ALL)),
    ("POST", "/api/me/password", Some(&Role::ALL)),
    ("GET", "/api/elections/{election}/roster", Some(&Role::ALL)),
    (
        "POST",
        "/api/elections/{election}/roster",
        Some(&[Role::Hq]),
    ),
    (
        "POST",
        "/api/elections/{election}/roster/sign",
        Some(&[Role::Supervisor]),
    ),
    (
        "POST",
        "/api/elections/{election}/roster/amendments",
        Some(&[Role::Hq]),
    ),
    ("POST", "/api/elections", Some(&[Role::Hq])),
    ("GET", "/api/elections/{election}", Some(&Role::ALL)),
    ("GET", "/api/elections/{election}/turnout", Some(&Role::ALL)),
    (
        "POST",
        "/api/elections/{election}/status",
        Some(&[Role::Hq]),
    ),
    (
        "POST",
        "/api/elections/{election}/devices",
        Some(&[Role::Hq]),
    ),
    (
        "PUT",
        "/api/elections/{election}/definition",
        Some(&[Role::Hq]),
    ),
    (
        "GET",
        "/api/elections/{election}/definition",
        Some(&Role::ALL),
    ),
    ("POST", "/api/elections/{election}/check-ins", None),
    (
        "POST",
        "/api/elections/{election}/provisional-check-ins",
        None,
    ),
    ("POST", "/api/elections/{election}/station-reports", None),
    ("GET", "/api/station-package", None),
    ("GET", "/api/elections/{election}/results", None),
    (
        "POST",
        "/api/elections/{election}/count/close",
        Some(&[Role::Hq]),
    ),
    (
        "POST",
        "/api/elections/{election}/count/sign",
        Some(&[Role::Supervisor]),
    ),
    ("POST", "/api/elections/{election}/station-status", None),
    ("GET", "/api/elections/{election}/results.cdf.json", None),
    ("GET", "/api/elections/{election}/record.tar", None),
    (
        "GET",
        "/api/elections/{election}/station-reports/{station}",
        None,
    ),
    (
        "GET",
        "/api/elections/{election}/results-by-station.csv",
        None,
    ),
    (
        "GET",
        "/api/elections/{election}/results-by-candidate.csv",
        None,
    ),
    ("POST", "/api/elections/{election}/ballot-records", None),
    (
        "GET",
        "/api/elections/{election}/station-reports",
        Some(&Role::ALL),
    ),
    ("GET", "/api/elections/{election}/areas", Some(&Role::ALL)),
    (
        "GET",
        "/api/elections/{election}/stations",
        Some(&Role::ALL),
    ),
    (
        "GET",
        "/api/elections/{election}/devices",
        Some(&[Role::Hq, Role::Executive, Role::Supervisor, Role::Station]),
    ),
    (
        "POST",
        "/api/elections/{election}/devices/{device}/revoke",
        Some(&[Role::Hq]),
    ),
    (
        "POST",
        "/api/elections/{election}/imports/{kind}",
        Some(&[Role::Hq]),
    ),
    (
        "PUT",
        "/api/elections/{election}/photos/{candidate}",
        Some(&[Role::Hq]),
    ),
    ("GET", "/api/elections/{election}/photos/{candidate}", None),
    ("GET", "/api/elections/{election}/export", Some(&Role::ALL)),
    (
        "GET",
        "/api/elections/{election}/incidents",
        Some(&[Role::Hq, Role::Executive, Role::Supervisor, Role::Station]),
    ),
    ("POST", "/api/users", Some(&[Role::Hq])),
    ("GET", "/api/users", Some(&[Role::Hq])),
    ("GET", "/api/audit-log", Some(&[Role::Hq, Role::Supervisor])),
];

/// Who may call a route, from [`ROUTES`].
fn allowed(method: &str, path: &str) -> &'static [Role] {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .and_then(|(_, _, roles)| *roles)
        .unwrap_or(&[])
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi))
        .route("/api/sessions", post(post_session).delete(delete_session))
        .route("/api/me", get(get_me))
        .route("/api/me/password", post(post_my_password))
        .route(
            "/api/elections/{election}/roster",
            get(roster_api::get_roster).post(roster_api::post_roster),
        )
        .route(
            "/api/elections/{election}/roster/sign",
            post(roster_api::post_sign),
        )
        .route(
            "/api/elections/{election}/roster/amendments",
            post(roster_api::post_amendment),
        )
        .route("/api/elections", post(post_election))
        .route("/api/elections/{election}", get(get_election))
        .route("/api/elections/{election}/turnout", get(get_turnout))
        .route(
            "/api/elections/{election}/status",
            post(setup_api::post_status),
        )
        .route(
            "/api/elections/{election}/devices",
            post(post_device).get(setup_api::get_devices),
        )
        .route(
            "/api/elections/{election}/definition",
            axum::routing::put(put_definition).get(get_definition),
        )
        .route("/api/elections/{election}/check-ins", post(post_check_in))
        .route(
            "/api/elections/{election}/provisional-check-ins",
            post(setup_api::post_provisional_check_in),
        )
        .route(
            "/api/elections/{election}/station-reports",
            post(setup_api::post_station_report)
                .layer(DefaultBodyLimit::max(setup_api::MAX_PHOTO_BYTES))
                .get(setup_api::get_station_reports),
        )
        .route(
            "/api/station-package",
            get(station_api::get_station_package),
        )
        .route(
            "/api/elections/{election}/results",
            get(station_api::get_results),
        )
        .route(
            "/api/elections/{election}/station-status",
            post(station_api::post_station_status),
        )
        .route(
            "/api/elections/{election}/count/close",
            post(closing_api::post_close),
        )
        .route(
            "/api/elections/{election}/count/sign",
            post(closing_api::post_sign),
        )
        .route(
            "/api/elections/{election}/results.cdf.json",
            get(results_api::get_cdf),
        )
        .route(
            "/api/elections/{election}/record.tar",
            get(results_api::get_record),
        )
        .route(
            "/api/elections/{election}/station-reports/{station}",
            get(results_api::get_station_report),
        )
        .route(
            "/api/elections/{election}/results-by-station.csv",
            get(results_api::get_csv_stations),
        )
        .route(
            "/api/elections/{election}/results-by-candidate.csv",
            get(results_api::get_csv_candidates),
        )
        .route(
            "/api/elections/{election}/ballot-records",
            post(station_api::post_ballot_records)
                .layer(DefaultBodyLimit::max(station_api::MAX_RECORDS_BYTES)),
        )
        .route("/api/elections/{election}/areas", get(setup_api::get_areas))
        .route(
            "/api/elections/{election}/stations",
            get(setup_api::get_stations),
        )
        .route(
            "/api/elections/{election}/devices/{device}/revoke",
            post(setup_api::post_revoke),
        )
        .route(
            "/api/elections/{election}/imports/{kind}",
            post(setup_api::post_import).layer(DefaultBodyLimit::max(setup_api::MAX_IMPORT_BYTES)),
        )
        .route(
            "/api/elections/{election}/photos/{candidate}",
            axum::routing::put(setup_api::put_photo)
                .layer(DefaultBodyLimit::max(setup_api::MAX_PHOTO_BYTES))
                .get(setup_api::get_photo),
        )
        .route(
            "/api/elections/{election}/export",
            get(setup_api::get_export),
        )
        .route(
            "/api/elections/{election}/incidents",
            get(setup_api::get_incidents),
        )
        .route("/api/users", post(post_user).get(setup_api::get_users))
        .route("/api/audit-log", get(get_audit_log))
        .merge(crate::pages::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the app on a listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, app(state)).await
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint",
        "چنین نشانی‌ای نیست",
    )
}

/// The body of a check-in: the national code as typed, and the desk's request id (reused on retry).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInBody {
    national_code: String,
    request_id: String,
}

fn body_error(rejection: BytesRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            format!("بدنهٔ درخواست از {MAX_BODY_BYTES} بایت بزرگ‌تر است"),
        )
    } else {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "the body could not be read",
            "بدنهٔ درخواست خوانده نشد",
        )
    }
}

/// A signed request of a check-in desk to `/api/elections/{election}/{tail}`: the device,
/// the body, the time, and its election.
async fn desk_request(
    state: &AppState,
    election: Result<Path<i64>, PathRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    tail: &str,
) -> Result<
    (
        sandoq_store::Device,
        sandoq_store::DeviceNonce,
        Bytes,
        Timestamp,
        Arc<Election>,
    ),
    AppError,
> {
    let Ok(Path(election_id)) = election else {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            "the election id must be a number",
            "شناسهٔ انتخابات باید عدد باشد",
        ));
    };
    let body = json_bytes(headers, body)?;
    let now = (state.clock)();
    let path = format!("/api/elections/{election_id}/{tail}");
    // The nonce is spent with the check-in itself (one round trip where the store can).
    let (device, nonce) = device_auth::verify(
        &state.store,
        &state.devices,
        headers,
        "POST",
        &path,
        &body,
        now,
    )
    .await?;
    if device.kind != DeviceKind::CheckInDesk {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "wrong_device_kind",
            "only a check-in desk may check voters in",
            "فقط میز پذیرش می‌تواند رأی‌دهنده را بپذیرد",
        ));
    }
    if device.election.0 != election_id {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "wrong_election",
            "this device is registered for another election",
            "این دستگاه برای انتخابات دیگری ثبت شده است",
        ));
    }
    let election = state.election(device.election).await?;
    let nonce = sandoq_store::DeviceNonce {
        device: device.id,
        nonce,
    };
    Ok((device, nonce, body, now, election))
}

async fn post_check_in(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let (device, nonce, body, now, election) =
        desk_request(&state, election, &headers, body, "check-ins").await?;
    let request: CheckInBody = serde_json::from_slice(&body).map_err(|e| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("not a check-in: {e}"),
            format!("درخواست پذیرش معتبر نیست: {e}"),
        )
    })?;
    // The station is the device's own: a desk can only check voters in at its station.
    let request = CheckInRequest {
        election: election.id,
        national_code: request.national_code,
        station: device.station.clone(),
        request_id: request.request_id,
        at: now,
        nonce: Some(nonce),
    };
    let outcome = check_in(&state.store, &election, &request)
        .await
        .map_err(device_error)?;
    crate::drill::note(
        &state,
        &election,
        &device.station,
        &format!("check_in:{}", outcome.code()),
    )
    .await;
    let message = outcome.message();
    let mut answer = json!({
        "outcome": outcome.code(),
        "message": {"fa": message.fa, "en": message.en},
        "station": device.station,
    });
    match &outcome {
        CheckInOutcome::Recorded { at } => {
            answer["at"] = json!(at.0);
            answer["at_tehran"] = json!(at.to_string());
        }
        CheckInOutcome::AlreadyVoted { station, at } => {
            answer["previous_station"] = json!(station);
            answer["previous_at"] = json!(at.0);
            answer["previous_at_tehran"] = json!(at.to_string());
        }
        CheckInOutcome::Refused(_) => {}
    }
    Ok(Json(answer))
}

/// A store error of a signed request: a replay is refused like a bad signature (401).
fn device_error(error: sandoq_store::StoreError) -> AppError {
    if error.code() == "replayed_request" {
        device_auth::replayed()
    } else {
        AppError::from(error)
    }
}

/// The raw body of a JSON request: `application/json`, within the size limit.
fn json_bytes(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, AppError> {
    let body = body.map_err(body_error)?;
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "send the body as application/json",
            "بدنه را با نوع application/json بفرستید",
        ));
    }
    Ok(body)
}

/// Reads a JSON body: `application/json`, within the size limit, no unknown fields.
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, AppError> {
    let body = json_bytes(headers, body)?;
    serde_json::from_slice(&body).map_err(|e| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("not a valid request: {e}"),
            format!("درخواست معتبر نیست: {e}"),
        )
    })
}

fn election_path(election: Result<Path<i64>, PathRejection>) -> Result<ElectionId, AppError> {
    match election {
        Ok(Path(id)) => Ok(ElectionId(id)),
        Err(_) => Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            "the election id must be a number",
            "شناسهٔ انتخابات باید عدد باشد",
        )),
    }
}

fn user_json(user: &sandoq_store::User) -> Value {
    json!({"username": user.username, "role": user.role.name(), "scope": user.scope})
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    username: String,
    password: String,
}

async fn post_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let request: SignIn = json_body(&headers, body)?;
    let now = (state.clock)();
    let user = people::sign_in(&state.store, &request.username, &request.password, now).await?;
    let (token, hash) = people::new_session_token();
    state
        .store
        .create_session(
            user.id,
            &hash,
            Timestamp(now.0 + people::SESSION_SECONDS),
            now,
        )
        .await?;
    Ok((
        [("set-cookie", people::session_cookie(&token))],
        Json(user_json(&user)),
    )
        .into_response())
}

async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = people::session_token(&headers) {
        state
            .store
            .delete_session(&people::token_hash(&token))
            .await?;
    }
    Ok((
        [("set-cookie", people::cleared_cookie())],
        Json(json!({"signed_out": true})),
    )
        .into_response())
}

async fn get_me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let user = people::require(
        &state.store,
        &headers,
        (state.clock)(),
        allowed("GET", "/api/me"),
    )
    .await?;
    Ok(Json(user_json(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    current: String,
    new: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword { .. }")
    }
}

/// `POST /api/me/password` `{"current", "new"}`: the signed-in person changes their password (an
/// official's or supervisor's co-signing key is re-wrapped, not changed).
async fn post_my_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let now = (state.clock)();
    let user = people::require(
        &state.store,
        &headers,
        now,
        allowed("POST", "/api/me/password"),
    )
    .await?;
    let request: NewPassword = json_body(&headers, body)?;
    people::change_password(&state.store, &user, &request.current, &request.new, now).await?;
    state.checks.users_changed();
    Ok(Json(json!({"changed": true})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewElection {
    code: String,
    name_fa: String,
    name_en: String,
    kind: String,
    seats: u32,
    constituency: String,
    polling_day: String,
    /// Tehran time, `HH:MM`; 08:00 and 18:00 when absent.
    #[serde(default)]
    opens: Option<String>,
    #[serde(default)]
    closes: Option<String>,
    offline_policy: String,
    /// `tehran-1405` when absent (the only rule set today).
    #[serde(default)]
    rule_set: Option<String>,
    /// The rule set's options, as the `rules` object of an election file (`tie_break`,
    /// `lot_seed`, `threshold_percent`, `excess_candidates`); defaults when absent.
    #[serde(default)]
    options: Option<Value>,
    /// Whether voters check a printed slip that goes into a sealed box; false when absent.
    #[serde(default)]
    paper_record: bool,
}

fn unprocessable(code: &'static str, en: String, fa: String) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, en, fa)
}

async fn post_election(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let now = (state.clock)();
    let user = people::require(
        &state.store,
        &headers,
        now,
        allowed("POST", "/api/elections"),
    )
    .await?;
    let request: NewElection = json_body(&headers, body)?;
    let kind = ElectionKind::from_name(&request.kind).ok_or_else(|| {
        unprocessable(
            "unknown_election_kind",
            format!("unknown kind {:?} (live or training)", request.kind),
            format!("نوع ناشناخته {:?}", request.kind),
        )
    })?;
    let offline_policy = OfflinePolicy::from_name(&request.offline_policy).ok_or_else(|| {
        unprocessable(
            "unknown_offline_policy",
            format!("unknown offline policy {:?}", request.offline_policy),
            format!("سیاست برون‌خط ناشناخته {:?}", request.offline_policy),
        )
    })?;
    let polling_day = sandoq_registry::Date::parse(&request.polling_day)
        .map_err(|e| unprocessable(e.code, e.en, e.fa))?;
    if request.seats == 0 || request.code.trim().is_empty() {
        return Err(unprocessable(
            "bad_election",
            "an election needs a code and at least 1 seat".into(),
            "انتخابات کد و دست‌کم ۱ کرسی می‌خواهد".into(),
        ));
    }
    let hours = sandoq_store::PollingHours::parse(
        request.opens.as_deref().unwrap_or("08:00"),
        request.closes.as_deref().unwrap_or("18:00"),
    )?;
    let rules = crate::setup::rules(request.rule_set.as_deref(), request.options.as_ref())?;
    let spec = ElectionSpec {
        rules,
        hours,
        code: request.code,
        name_fa: request.name_fa,
        name_en: request.name_en,
        kind,
        seats: request.seats,
        constituency: request.constituency,
        polling_day,
        offline_policy,
        paper_record: request.paper_record,
    };
    let id = state
        .store
        .create_election(&spec, &format!("user:{}", user.username), now)
        .await?;
    Ok(Json(json!({"election": id.0})))
}

async fn get_election(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    people::require(
        &state.store,
        &headers,
        (state.clock)(),
        allowed("GET", "/api/elections/{election}"),
    )
    .await?;
    let election = state.election(id).await?;
    let spec = &election.spec;
    Ok(Json(json!({
        "election": id.0, "code": spec.code, "name_fa": spec.name_fa, "name_en": spec.name_en, "kind": spec.kind.name(),
        "seats": spec.seats, "constituency": spec.constituency, "polling_day": spec.polling_day.to_string(),
        "polling_day_jalali": spec.polling_day.jalali_numeric(sandoq_i18n::Lang::En), "offline_policy": spec.offline_policy.name(),
        "opens": sandoq_store::PollingHours::text(spec.hours.opens), "closes": sandoq_store::PollingHours::text(spec.hours.closes),
        "status": election.status.name(),
        "rules": serde_json::from_str::<Value>(&spec.rules).unwrap_or(Value::Null),
    })))
}

async fn get_turnout(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let user = people::require(
        &state.store,
        &headers,
        (state.clock)(),
        allowed("GET", "/api/elections/{election}/turnout"),
    )
    .await?;
    state.election(id).await?;
    // An executive board or a station official counts only the stations it sees.
    let seen = scope::stations_seen(&state.store, id, &user).await?;
    let mut buckets = state.store.turnout(id).await?;
    buckets.retain(|b| seen.includes(&b.station));
    let total: u64 = buckets.iter().map(|b| b.check_ins).sum();
    let rows: Vec<Value> = buckets
        .iter()
        .map(|b| json!({"station": b.station, "hour_start": b.hour_start.0, "hour_start_tehran": b.hour_start.to_string(), "check_ins": b.check_ins}))
        .collect();
    Ok(Json(
        json!({"election": id.0, "check_ins": total, "by_station_and_hour": rows}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDevice {
    station: String,
    kind: String,
    public_key: String,
}

async fn post_device(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let now = (state.clock)();
    let user = people::require(
        &state.store,
        &headers,
        now,
        allowed("POST", "/api/elections/{election}/devices"),
    )
    .await?;
    let request: NewDevice = json_body(&headers, body)?;
    crate::setup::require_not_closed(&*state.reload_election(id).await?)?;
    // One device is a one-row import: the same checks (known station, kind, key) and codes.
    let row = json!([{"station": request.station, "kind": request.kind, "public_key": request.public_key}]);
    let ids = crate::tables::import_devices(
        &state.store,
        id,
        row.to_string().as_bytes(),
        crate::tables::Format::Json,
        &format!("user:{}", user.username),
        now,
    )
    .await
    .map_err(AppError::single)?;
    let device = ids.first().copied().ok_or_else(|| {
        AppError::from(sandoq_store::StoreError::Database(
            "no device id returned".into(),
        ))
    })?;
    Ok(Json(json!({"device": device.0})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    role: String,
    #[serde(default)]
    scope: String,
    password: String,
}

async fn post_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let now = (state.clock)();
    let user = people::require(&state.store, &headers, now, allowed("POST", "/api/users")).await?;
    let request: NewUser = json_body(&headers, body)?;
    let id = people::create_user(
        &state.store,
        &user,
        &request.username,
        &request.role,
        &request.scope,
        &request.password,
        now,
    )
    .await?;
    state.checks.users_changed();
    Ok(Json(json!({"user": id.0})))
}

async fn put_definition(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    let now = (state.clock)();
    let user = people::require(
        &state.store,
        &headers,
        now,
        allowed("PUT", "/api/elections/{election}/definition"),
    )
    .await?;
    let body = json_bytes(&headers, body)?;
    let election = state.reload_election(id).await?;
    crate::setup::require_setup(&election)?;
    let definition = crate::definition::parse(&body, election.spec.seats).map_err(|error| {
        let mut refused = AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.code,
            error.en.clone(),
            error.fa.clone(),
        );
        let place = |e: &sandoq_json::InputError| {
            e.at.as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default()
        };
        refused.en = format!("{}{}", error.en, place(&error));
        refused.problems = error
            .details
            .iter()
            .map(|d| (d.code, format!("{}{}", d.en, place(d)), d.fa.clone()))
            .collect();
        refused
    })?;
    let canonical = definition.canonical();
    let hash = crate::definition::content_hash(&canonical);
    state
        .store
        .set_definition(
            id,
            &canonical,
            &hash,
            &format!("user:{}", user.username),
            now,
        )
        .await?;
    Ok(Json(
        json!({"election": id.0, "hash": hash, "lists": definition.lists.len(), "independents": definition.independents.len()}),
    ))
}

async fn get_definition(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    people::require(
        &state.store,
        &headers,
        (state.clock)(),
        allowed("GET", "/api/elections/{election}/definition"),
    )
    .await?;
    state.election(id).await?;
    let Some((canonical, hash)) = state.store.definition(id).await? else {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "no_definition",
            "this election has no definition yet",
            "این انتخابات هنوز تعریف (فهرست‌ها و نامزدها) ندارد",
        ));
    };
    let definition: Value = serde_json::from_str(&canonical)
        .map_err(|e| AppError::from(sandoq_store::StoreError::Database(e.to_string())))?;
    Ok(Json(
        json!({"election": id.0, "hash": hash, "canonical": canonical, "definition": definition}),
    ))
}

async fn get_audit_log(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    people::require(
        &state.store,
        &headers,
        (state.clock)(),
        allowed("GET", "/api/audit-log"),
    )
    .await?;
    let entries = state.store.audit_log(200).await?;
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| json!({"at": e.at.0, "at_tehran": e.at.to_string(), "actor": e.actor, "action": e.action, "detail": e.detail}))
        .collect();
    Ok(Json(json!({"entries": rows})))
}

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI description of every route `app` serves (a test checks they match).
pub fn openapi_document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let mut paths = serde_json::Map::new();
    for (method, path, roles) in ROUTES {
        let roles_text = match roles {
            Some(roles) => format!(
                "Signed-in roles: {}",
                roles
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None if path.ends_with("check-ins") => {
                "Signed by a registered check-in desk".to_string()
            }
            None if path.ends_with("station-reports") => {
                "Signed by a registered device of the station; the body is the station report, signed by the same device".to_string()
            }
            None => "Anyone".to_string(),
        };
        let mut operation = json!({
            "summary": roles_text,
            "responses": {
                "200": {"description": "done"},
                "400": {"description": "Malformed request", "content": {"application/json": {"schema": error}}},
                "401": {"description": "Not signed in, or a bad device signature", "content": {"application/json": {"schema": error}}},
                "403": {"description": "A role or device that may not do this", "content": {"application/json": {"schema": error}}},
                "422": {"description": "Refused", "content": {"application/json": {"schema": error}}}
            }
        });
        let mut parameters = Vec::new();
        for name in ["election", "kind", "candidate", "device", "station"] {
            if path.contains(&format!("{{{name}}}")) {
                let schema = if name == "election" || name == "device" {
                    json!({"type": "integer"})
                } else if name == "kind" {
                    json!({"type": "string", "enum": ["areas", "stations", "devices", "candidates", "registry"]})
                } else {
                    json!({"type": "string"})
                };
                parameters
                    .push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
            }
        }
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if path.ends_with("/station-reports/{station}") {
            operation["description"] = json!("One station's accepted report, the text the station sent (in the record: public/reports/{station}.json, canonical). \
                404 no_station_report when the station has not reported (the record lists it as missing), 404 unknown_station when the election has no such station.");
        }
        if path.ends_with("/imports/{kind}") {
            operation["description"] = json!("A setup file as text/csv or application/json (the registry: CSV only), all or nothing. \
                Columns: areas code,kind,parent,name_fa,name_en; stations code,district,name_fa,name_en,address; \
                devices station,kind,public_key; candidates type,code,list,name_fa,name_en; \
                registry national_code,birth_date,constituency,deceased,barred. A refused file answers 422 import_refused \
                with every problem's row and column.");
        }
        if *path == "/api/elections/{election}/provisional-check-ins" {
            operation["description"] = json!("Syncs a check-in a desk recorded while the centre was unreachable \
                (offline policy provisional). Body: {national_code, request_id, checked_in_at (seconds since 1970, UTC)}. \
                Signed like check-ins. Answers recorded, double_vote or ineligible (with the incident).");
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[method.to_ascii_lowercase()] = operation;
    }
    paths.insert("/api/elections/{election}/check-ins".to_string(), json!({"post": {
                "summary": "Check a voter in (signed by a registered check-in desk)",
                "parameters": [
                    {"name": "election", "in": "path", "required": true, "schema": {"type": "integer"}},
                    {"name": "x-sandoq-device-key", "in": "header", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
                    {"name": "x-sandoq-timestamp", "in": "header", "required": true, "schema": {"type": "integer"}},
                    {"name": "x-sandoq-nonce", "in": "header", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}},
                    {"name": "x-sandoq-signature", "in": "header", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{128}$"}}
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": false, "required": ["national_code", "request_id"],
                    "properties": {"national_code": {"type": "string"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"}}}}}},
                "responses": {
                    "200": {"description": "The answer: recorded, already_voted, or a refusal (not_in_registry, under_age, ...), with a message in Persian and English"},
                    "400": {"description": "Malformed request", "content": {"application/json": {"schema": error}}},
                    "401": {"description": "Missing, bad, stale or replayed signature; unknown device", "content": {"application/json": {"schema": error}}},
                    "403": {"description": "Revoked device, or a device of another kind or election", "content": {"application/json": {"schema": error}}},
                    "413": {"description": "Body too large", "content": {"application/json": {"schema": error}}},
                    "415": {"description": "Not application/json", "content": {"application/json": {"schema": error}}},
                    "422": {"description": "Refused (e.g. request_id_reused)", "content": {"application/json": {"schema": error}}}
                }}}));
    json!({
        "openapi": "3.1.0",
        "info": {"title": "sandoq central service", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Election headquarters: registry and one-person-one-vote check-in. Device requests are signed (see the x-sandoq-* headers)."},
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "fa", "en"],
            "properties": {"code": {"type": "string"}, "fa": {"type": "string"}, "en": {"type": "string"}}}}}}}
    })
}
