//! Closing the count (issue 5 §1): headquarters closes it (the station reports and the result are
//! frozen into a statement, no report is taken after), and supervisors co-sign the statement with
//! the key derived from their password; k signatures make the result final.

use super::{allowed, election_path, json_body, people, AppError, AppState};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sandoq_store::{ElectionId, Role, Store};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    required_signatures: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignBody {
    password: String,
}

fn refused(
    status: StatusCode,
    code: &'static str,
    en: impl Into<String>,
    fa: impl Into<String>,
) -> AppError {
    AppError::new(status, code, en, fa)
}

/// The supervisors who can sign: username and public key (hex).
async fn supervisors(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Supervisor && !u.signing_key.is_empty())
        .map(|u| (u.username, u.signing_key))
        .collect())
}

/// Whether the count is closed and final: (statement, signatures, required), if closed.
pub async fn closing(
    state: &AppState,
    id: ElectionId,
) -> Result<Option<(String, Vec<(String, String)>, usize)>, AppError> {
    let Some((statement, _, _)) = state.store.count_closing(id).await? else {
        return Ok(None);
    };
    let signatures = state.store.closing_signatures(id).await?;
    let required = serde_json::from_str::<Value>(&statement)
        .ok()
        .and_then(|s| s["required_signatures"].as_u64())
        .unwrap_or(u64::MAX) as usize;
    Ok(Some((statement, signatures, required)))
}

/// `POST /api/elections/{id}/count/close` (headquarters): `{"required_signatures": k}`.
pub(super) async fn post_close(
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
        allowed("POST", "/api/elections/{election}/count/close"),
    )
    .await?;
    let request: CloseBody = json_body(&headers, body)?;
    close(&state, id, &user, request.required_signatures, now)
        .await
        .map(Json)
}

/// Closes the count of election `id` as `user` (headquarters); `required` signatures make it final.
pub async fn close(
    state: &AppState,
    id: ElectionId,
    user: &sandoq_store::User,
    required: usize,
    now: sandoq_store::Timestamp,
) -> Result<Value, AppError> {
    let election = state.reload_election(id).await?;
    // Once the roster is sealed, its supervisors and its k are the closing's (issue 18 §1): a
    // closing signed by anyone else counts for nothing.
    let (supervisors, required) = match crate::roster::ceremony(&state.store, id).await?.sealed() {
        Some(sealed) => (sealed.supervisors, sealed.required_signatures),
        None => (supervisors(state).await?, required),
    };
    if required == 0 || required > supervisors.len() {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_required_signatures",
            format!("the count needs between 1 and {} supervisors' signatures (the supervisors with keys)", supervisors.len()),
            format!("پایان شمارش به امضای ۱ تا {} ناظر (ناظران دارای کلید) نیاز دارد", supervisors.len()),
        ));
    }
    let answer = state.results.get(&state.store, &election).await?;
    if answer["result"]["error"].is_object() {
        return Err(refused(
            StatusCode::CONFLICT,
            "count_cannot_close",
            "the count needs a drawing of lots the election's options cannot make; it cannot be closed",
            "شمارش به قرعه‌کشی‌ای نیاز دارد که گزینه‌های انتخابات انجام نمی‌دهند؛ نمی‌توان آن را بست",
        ));
    }
    let (_, export_hash) = crate::definition::export(&state.store, &election)
        .await?
        .ok_or_else(|| {
            refused(
                StatusCode::CONFLICT,
                "no_definition",
                "this election has no definition yet",
                "این انتخابات هنوز تعریفی ندارد",
            )
        })?;
    let mut reported: Vec<String> = sandoq_store::counted_reports(&state.store, id)
        .await?
        .into_iter()
        .map(|(s, _, _)| s)
        .collect();
    reported.sort();
    let missing: Vec<String> = answer["stations"]["missing"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    let statement = sandoq_record::closing::statement(
        &export_hash,
        answer["reports_root"].as_str().unwrap_or(""),
        &reported,
        &missing,
        &answer["result"],
        required,
        &supervisors,
    );
    if !state
        .store
        .close_count(id, &statement, &format!("user:{}", user.username), now)
        .await?
    {
        return Err(refused(
            StatusCode::CONFLICT,
            "count_already_closed",
            "the count is already closed",
            "شمارش پیش‌تر بسته شده است",
        ));
    }
    Ok(
        json!({"closed": true, "statement": serde_json::from_str::<Value>(&statement).unwrap_or(Value::Null)}),
    )
}

/// `POST /api/elections/{id}/count/sign` (a supervisor): `{"password"}`, which must open the
/// co-signing key the centre keeps wrapped for them.
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
        allowed("POST", "/api/elections/{election}/count/sign"),
    )
    .await?;
    let request: SignBody = json_body(&headers, body)?;
    state.election(id).await?;
    sign(&state, id, &user, &request.password, now)
        .await
        .map(Json)
}

/// `user` (a supervisor) signs the closing statement of election `id` with their password.
pub async fn sign(
    state: &AppState,
    id: ElectionId,
    user: &sandoq_store::User,
    password: &str,
    now: sandoq_store::Timestamp,
) -> Result<Value, AppError> {
    let Some((statement, _, required)) = closing(state, id).await? else {
        return Err(refused(
            StatusCode::CONFLICT,
            "count_not_closed",
            "headquarters has not closed the count yet",
            "ستاد هنوز شمارش را نبسته است",
        ));
    };
    let key = sandoq_station::officials::unwrap(&user.wrapped_key, &user.username, password)
        .filter(|k| super::device_auth::hex(k.verifying_key().as_bytes()) == user.signing_key)
        .ok_or_else(|| {
            refused(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "the password does not match this supervisor's signing key",
                "گذرواژه با کلید امضای این ناظر جور نیست",
            )
        })?;
    let listed = serde_json::from_str::<Value>(&statement)
        .map(|s| sandoq_record::closing::supervisors(&s))
        .unwrap_or_default();
    if !listed
        .iter()
        .any(|(name, k)| *name == user.username && *k == key.verifying_key())
    {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "not_a_signer",
            "this supervisor is not among those named when the count was closed",
            "این ناظر در میان ناظران نام‌برده هنگام بستن شمارش نیست",
        ));
    }
    let signature = sandoq_record::closing::sign(&key, &statement);
    let again = !state
        .store
        .add_closing_signature(id, &user.username, &signature, now)
        .await?;
    let signed = state.store.closing_signatures(id).await?.len();
    Ok(
        json!({"signed": true, "again": again, "signatures": signed, "required": required, "final": signed >= required}),
    )
}
