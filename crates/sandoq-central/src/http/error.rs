//! One error type for the whole API: an HTTP status, a stable code, and a
//! message in Persian and English. It never carries internals (database
//! messages are logged, not sent) and never a national code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sandoq_store::StoreError;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub en: String,
    pub fa: String,
    /// Every problem, when several are reported at once: `(code, en, fa)`.
    pub problems: Vec<(&'static str, String, String)>,
    /// An import's problems, each with its row and column.
    pub report: Option<Box<crate::import::ImportReport>>,
}

impl AppError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        en: impl Into<String>,
        fa: impl Into<String>,
    ) -> AppError {
        AppError {
            status,
            code,
            en: en.into(),
            fa: fa.into(),
            problems: Vec::new(),
            report: None,
        }
    }

    /// An import that changed nothing, with every problem found.
    pub fn import_refused(report: crate::import::ImportReport) -> AppError {
        let mut error = AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_refused",
            format!(
                "the file has {} problem(s); nothing was imported",
                report.problems_found
            ),
            format!(
                "پرونده {} ایراد دارد؛ چیزی وارد نشد",
                sandoq_i18n::number(report.problems_found, sandoq_i18n::Lang::Fa)
            ),
        );
        error.report = Some(Box::new(report));
        error
    }
}

impl AppError {
    /// A one-row import's failure as a plain error with the problem's own code.
    pub fn single(failure: crate::tables::ImportFailure) -> AppError {
        match failure {
            crate::tables::ImportFailure::Report(report) if report.problems.len() == 1 => {
                let problem = &report.problems[0];
                AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    problem.code,
                    problem.en.clone(),
                    problem.fa.clone(),
                )
            }
            other => AppError::from(other),
        }
    }
}

impl From<crate::tables::ImportFailure> for AppError {
    fn from(failure: crate::tables::ImportFailure) -> AppError {
        match failure {
            crate::tables::ImportFailure::Report(report) => AppError::import_refused(report),
            crate::tables::ImportFailure::Store(error) => AppError::from(error),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::Invalid { code, en, fa } => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, en, fa)
            }
            StoreError::Database(message) => {
                eprintln!("sandoq-central: database error: {message}");
                AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the central database is not available; nothing was recorded, try again",
                    "پایگاه دادهٔ مرکزی در دسترس نیست؛ چیزی ثبت نشد، دوباره تلاش کنید",
                )
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        eprintln!(
            "sandoq-central: refused [{}] {}",
            self.code,
            self.status.as_u16()
        );
        let mut error = json!({"code": self.code, "fa": self.fa, "en": self.en});
        if !self.problems.is_empty() {
            error["problems"] = self
                .problems
                .iter()
                .map(|(code, en, fa)| json!({"code": code, "en": en, "fa": fa}))
                .collect();
        }
        if let Some(report) = &self.report {
            error["rows"] = json!(report.rows);
            error["problems_found"] = json!(report.problems_found);
            error["problems"] = report
                .problems
                .iter()
                .map(|p| json!({"row": p.row, "column": p.column, "code": p.code, "en": p.en, "fa": p.fa}))
                .collect();
        }
        let body = json!({"error": error});
        (self.status, Json(body)).into_response()
    }
}
