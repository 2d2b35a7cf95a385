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
        let body = json!({"error": error});
        (self.status, Json(body)).into_response()
    }
}
