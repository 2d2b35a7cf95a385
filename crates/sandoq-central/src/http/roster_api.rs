//! The key ceremony over HTTP (issue 18 §1): `GET …/roster` (anyone signed in: the roster, its
//! hash, every signature and amendment), `POST …/roster` (headquarters: prepare it with k),
//! `POST …/roster/sign` (a supervisor: seal it and sign pending amendments with their password),
//! `POST …/roster/amendments` (headquarters: amend the sealed roster with what was set up since).

use super::{allowed, election_path, json_body, people, AppError, AppState};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrepareBody {
    required_signatures: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignBody {
    password: String,
}

impl std::fmt::Debug for SignBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignBody { .. }")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmendBody {}

pub(super) async fn get_roster(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let id = election_path(election)?;
    people::require(
        &state.store,
        &headers,
        (state.clock)(),
        allowed("GET", "/api/elections/{election}/roster"),
    )
    .await?;
    state.election(id).await?;
    Ok(Json(
        crate::roster::ceremony(&state.store, id).await?.json(),
    ))
}

pub(super) async fn post_roster(
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
        allowed("POST", "/api/elections/{election}/roster"),
    )
    .await?;
    let request: PrepareBody = json_body(&headers, body)?;
    let election = state.reload_election(id).await?;
    let actor = format!("user:{}", user.username);
    crate::roster::prepare(
        &state.store,
        &election,
        request.required_signatures,
        &actor,
        now,
    )
    .await
    .map(Json)
}

pub(super) async fn post_sign(
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
        allowed("POST", "/api/elections/{election}/roster/sign"),
    )
    .await?;
    let request: SignBody = json_body(&headers, body)?;
    state.election(id).await?;
    let answer = crate::roster::sign(&state.store, id, &user, &request.password, now).await?;
    state.checks.roster_changed();
    Ok(Json(answer))
}

pub(super) async fn post_amendment(
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
        allowed("POST", "/api/elections/{election}/roster/amendments"),
    )
    .await?;
    let _: AmendBody = json_body(&headers, body)?;
    let election = state.reload_election(id).await?;
    let actor = format!("user:{}", user.username);
    crate::roster::amend(&state.store, &election, &actor, now)
        .await
        .map(Json)
}
