//! The HTTP API of the central service (axum). `app(state)` is the whole
//! service, shared by `sandoq central serve` and the tests, which start it on
//! port 0 and talk to it over real TCP.
//!
//! Today: health, the OpenAPI description, and check-in by a signed station
//! device. Still to come (issue 3): people's sign-in and roles, setup
//! endpoints, and the pages.

pub mod device_auth;
pub mod error;

use crate::AnyStore;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
pub use error::AppError;
use sandoq_store::{
    check_in, CheckInOutcome, CheckInRequest, DeviceKind, Election, ElectionId, Store, Timestamp,
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
    /// Elections never change once created; they are read once.
    elections: Arc<RwLock<HashMap<ElectionId, Arc<Election>>>>,
    devices: Arc<device_auth::DeviceCache>,
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
        }
    }

    async fn election(&self, id: ElectionId) -> Result<Arc<Election>, AppError> {
        if let Some(election) = self.elections.read().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(election);
        }
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
            map.insert(id, election.clone());
        }
        Ok(election)
    }
}

/// The largest body a device request may carry.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi))
        .route("/api/elections/{election}/check-ins", post(post_check_in))
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

async fn post_check_in(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let Ok(Path(election_id)) = election else {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            "the election id must be a number",
            "شناسهٔ انتخابات باید عدد باشد",
        ));
    };
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
    let now = (state.clock)();
    let path = format!("/api/elections/{election_id}/check-ins");
    let device = device_auth::authenticate(
        &state.store,
        &state.devices,
        &headers,
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
    let request: CheckInBody = serde_json::from_slice(&body).map_err(|e| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("not a check-in: {e}"),
            format!("درخواست پذیرش معتبر نیست: {e}"),
        )
    })?;
    let election = state.election(device.election).await?;
    // The station is the device's own: a desk can only check voters in at its station.
    let request = CheckInRequest {
        election: election.id,
        national_code: request.national_code,
        station: device.station.clone(),
        request_id: request.request_id,
        at: now,
    };
    let outcome = check_in(&state.store, &election, &request).await?;
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

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI description of every route `app` serves (a test checks they match).
pub fn openapi_document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "sandoq central service", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Election headquarters: registry and one-person-one-vote check-in. Device requests are signed (see the x-sandoq-* headers)."},
        "paths": {
            "/api/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/api/elections/{election}/check-ins": {"post": {
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
                    "200": {"description": "The answer: recorded, already_voted, or a refusal (not_in_registry, under_age, ...), with a message in Persian and English",
                            "content": {"application/json": {"schema": {"type": "object", "required": ["outcome", "message", "station"]}}}},
                    "400": {"description": "Malformed request", "content": {"application/json": {"schema": error}}},
                    "401": {"description": "Missing, bad, stale or replayed signature; unknown device", "content": {"application/json": {"schema": error}}},
                    "403": {"description": "Revoked device, or a device of another kind or election", "content": {"application/json": {"schema": error}}},
                    "413": {"description": "Body too large", "content": {"application/json": {"schema": error}}},
                    "415": {"description": "Not application/json", "content": {"application/json": {"schema": error}}},
                    "422": {"description": "Refused (e.g. request_id_reused)", "content": {"application/json": {"schema": error}}}
                }
            }}
        },
        "components": {"schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "fa", "en"],
            "properties": {"code": {"type": "string"}, "fa": {"type": "string"}, "en": {"type": "string"}}}}}}}
    })
}
