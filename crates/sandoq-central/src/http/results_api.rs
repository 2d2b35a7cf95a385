//! The results in other formats, public (issue 5 §5): NIST SP 1500-100 v2 JSON, and CSV per
//! station and per candidate, made from the accepted station reports and the provisional result.

use super::{election_path, AppError, AppState};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use sandoq_store::Store;
use serde_json::Value;

struct Parts {
    export: Value,
    reports: Vec<Value>,
    result: Value,
    complete: bool,
}

async fn parts(
    state: &AppState,
    election: Result<Path<i64>, PathRejection>,
) -> Result<Parts, AppError> {
    let id = election_path(election)?;
    let election = state.election(id).await?;
    let answer = state.results.get(&state.store, &election).await?;
    let (text, _) = crate::definition::export(&state.store, &election)
        .await?
        .ok_or_else(|| {
            sandoq_store::StoreError::invalid(
                "no_definition",
                "this election has no definition yet",
                "این انتخابات هنوز تعریفی ندارد",
            )
        })?;
    let reports = sandoq_store::counted_reports(&state.store, id)
        .await?
        .into_iter()
        .filter_map(|(_, report, _)| serde_json::from_str(&report).ok())
        .collect();
    Ok(Parts {
        export: serde_json::from_str(&text).unwrap_or(Value::Null),
        reports,
        result: answer["result"].clone(),
        complete: answer["stations"]["missing"]
            .as_array()
            .is_some_and(Vec::is_empty),
    })
}

/// An instant as RFC 3339 in UTC.
fn rfc3339(at: sandoq_store::Timestamp) -> String {
    let day = sandoq_registry::Date(at.0.div_euclid(86_400));
    let second = at.0.rem_euclid(86_400);
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        second / 3600,
        second % 3600 / 60,
        second % 60
    )
}

pub(super) async fn get_cdf(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
) -> Result<Response, AppError> {
    let p = parts(&state, election).await?;
    let report = sandoq_record::exports::nist_cdf(
        &p.export,
        &p.reports,
        &p.result,
        &rfc3339((state.clock)()),
        p.complete,
    );
    Ok(axum::Json(report).into_response())
}

fn csv(body: String, name: &str) -> Response {
    (
        [
            ("content-type", "text/csv; charset=utf-8".to_string()),
            (
                "content-disposition",
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn get_csv_stations(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
) -> Result<Response, AppError> {
    let p = parts(&state, election).await?;
    Ok(csv(
        sandoq_record::exports::csv_by_station(&p.export, &p.reports),
        &sandoq_record::exports::csv_name(&p.export, "results-by-station.csv"),
    ))
}

pub(super) async fn get_csv_candidates(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
) -> Result<Response, AppError> {
    let p = parts(&state, election).await?;
    Ok(csv(
        sandoq_record::exports::csv_by_candidate(&p.export, &p.reports, &p.result),
        &sandoq_record::exports::csv_name(&p.export, "results-by-candidate.csv"),
    ))
}

/// `GET /api/elections/{id}/record.tar`, public: the public part of the election record as it
/// stands, as one archive (`tar -xf` it, then `sandoq verify record`).
pub(super) async fn get_record(
    State(state): State<AppState>,
    election: Result<Path<i64>, PathRejection>,
) -> Result<Response, AppError> {
    let id = election_path(election)?;
    let election = state.election(id).await?;
    let input = crate::record::input(&state.store, &election, false).await?;
    let dir = std::env::temp_dir().join(format!(
        "sandoq-record-{}-{}-{}",
        std::process::id(),
        id.0,
        (state.clock)().0
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let made = tokio::task::spawn_blocking(move || {
        let result =
            sandoq_record::write(&dir, &input).and_then(|_| sandoq_record::archive::archive(&dir));
        let _ = std::fs::remove_dir_all(&dir);
        result
    })
    .await
    .unwrap_or_else(|_| Err("interrupted".into()));
    let bytes = made.map_err(|e| {
        AppError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "record_not_written",
            format!("the record could not be made: {e}"),
            format!("سابقه ساخته نشد: {e}"),
        )
    })?;
    Ok((
        [
            ("content-type", "application/x-tar".to_string()),
            (
                "content-disposition",
                format!("attachment; filename=\"record-{}.tar\"", election.spec.code),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /api/elections/{id}/station-reports/{station}`, public: one station's accepted report,
/// the text the station sent (the record holds it as `public/reports/{station}.json`, in its
/// canonical form). The results site's minutes page compares a station's posted minutes with it
/// (issue 18 §4). None: 404 `no_station_report` for a station of the election that has not
/// reported (the record lists it as missing), `unknown_station` for a code the election lacks.
pub(super) async fn get_station_report(
    State(state): State<AppState>,
    path: Result<Path<(i64, String)>, PathRejection>,
) -> Result<Response, AppError> {
    let Ok(Path((id, station))) = path else {
        return Err(AppError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_path",
            "the election id must be a number",
            "شناسهٔ انتخابات باید عدد باشد",
        ));
    };
    let election = state.election(sandoq_store::ElectionId(id)).await?;
    // A quarantined report is not the published one: the record names its station missing.
    let quarantined = state
        .store
        .quarantined_reports(election.id)
        .await?
        .iter()
        .any(|q| q.station == station);
    let stored = if quarantined {
        None
    } else {
        state.store.station_report(election.id, &station).await?
    };
    if let Some((text, _)) = stored {
        return Ok((
            [
                ("content-type", "application/json"),
                ("cache-control", "no-cache"),
            ],
            text,
        )
            .into_response());
    }
    // The stations still missing, from the results kept in memory (no read of every station).
    let answer = state.results.get(&state.store, &election).await?;
    let missing = answer["stations"]["missing"]
        .as_array()
        .is_some_and(|list| list.iter().any(|s| s.as_str() == Some(station.as_str())));
    Err(if missing {
        AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "no_station_report",
            "this station has not reported: the record lists it as missing",
            "این شعبه گزارشی نفرستاده است: سابقه آن را غایب می‌شمارد",
        )
    } else {
        AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_station",
            "this election has no such station",
            "این انتخابات چنین شعبه‌ای ندارد",
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn instants_in_rfc3339() {
        assert_eq!(
            super::rfc3339(sandoq_store::Timestamp(0)),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            super::rfc3339(sandoq_store::Timestamp(1_777_620_600)),
            "2026-05-01T07:30:00Z"
        );
    }
}
