//! The one error envelope of API.md:
//! `{success:false, error, message, status_code, code, request_id, details?}`.
//!
//! Handlers return [`ApiError`]; the request-context middleware renders every response with
//! status >= 400 through [`ApiError::envelope`] (actix's own 404/405/413 included), adding the
//! request id and choosing the language, so there is exactly one place that writes the shape.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};

mod billing;
pub mod code;
pub mod lang;
pub mod refuse;

pub use code::ErrorCode;
pub use lang::Lang;

use crate::db::DbError;
use crate::kv::KvError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub retry_after_secs: Option<u64>,
    // Boxed: errors travel in every handler's Result, keep that small.
    body: Box<ErrorBody>,
}

#[derive(Debug, Clone)]
struct ErrorBody {
    message_id: Cow<'static, str>,
    message_en: Cow<'static, str>,
    details: Option<Value>,
    /// Extra top-level fields some refusals carry (e.g. `status`, `status_token`).
    extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: ErrorCode,
        message_id: impl Into<Cow<'static, str>>,
        message_en: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            retry_after_secs: None,
            body: Box::new(ErrorBody {
                message_id: message_id.into(),
                message_en: message_en.into(),
                details: None,
                extra: Map::new(),
            }),
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.body.details = Some(details);
        self
    }

    pub fn with_extra(mut self, key: &str, value: Value) -> Self {
        self.body.extra.insert(key.to_owned(), value);
        self
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// 422 naming the offending field.
    pub fn validation(field: &str, reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationError,
            "Data yang dikirim tidak valid.",
            "The submitted data is invalid.",
        )
        .with_details(json!({ "field": field, "reason": reason.into() }))
    }

    pub fn malformed_body(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedBody,
            "Isi permintaan tidak dapat dibaca.",
            "The request body could not be read.",
        )
        .with_details(json!({ "reason": reason.into() }))
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "Alamat tidak ditemukan.", "Not found.")
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Terjadi kesalahan pada server.",
            "Internal server error.",
        )
    }

    pub fn service_unavailable(code: ErrorCode, what_id: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            format!("{what_id} sedang tidak tersedia. Coba lagi sebentar lagi."),
            format!("{what_en} is unavailable right now. Please try again shortly."),
        )
        .with_retry_after(5)
    }

    /// A 503 whose reason is told in whole sentences (what is missing and why), not as the
    /// name of what is unavailable.
    pub fn unavailable_because(code: ErrorCode, id: &str, en: &str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, id.to_owned(), en.to_owned()).with_retry_after(5)
    }

    /// The generic error for a status that no handler described (actix's own 404/405/413…).
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::malformed_body("bad request"),
            401 => {
                Self::new(status, ErrorCode::AuthRequired, "Silakan masuk terlebih dahulu.", "Authentication required.")
            }
            403 => Self::new(status, ErrorCode::Forbidden, "Akses ditolak.", "Forbidden."),
            404 => Self::not_found(),
            405 => Self::new(
                status,
                ErrorCode::MethodNotAllowed,
                "Metode tidak diizinkan untuk alamat ini.",
                "Method not allowed.",
            ),
            406 => Self::new(status, ErrorCode::NotAcceptable, "Format jawaban tidak tersedia.", "Not acceptable."),
            408 => Self::new(status, ErrorCode::RequestTimeout, "Permintaan terlalu lama.", "Request timed out."),
            411 => {
                Self::new(status, ErrorCode::LengthRequired, "Panjang isi permintaan wajib diisi.", "Length required.")
            }
            413 => Self::payload_too_large(),
            414 => Self::new(status, ErrorCode::UriTooLong, "Alamat terlalu panjang.", "URI too long."),
            415 => Self::unsupported_media_type(),
            429 => Self::new(
                status,
                ErrorCode::RateLimited,
                "Terlalu banyak permintaan. Coba lagi nanti.",
                "Too many requests.",
            )
            .with_retry_after(60),
            503 => Self::service_unavailable(ErrorCode::ServiceUnavailable, "Layanan", "The service"),
            s if s >= 500 => {
                let mut e = Self::internal();
                e.status = status;
                e
            }
            _ => Self::new(status, ErrorCode::BadRequest, "Permintaan tidak valid.", "Bad request."),
        }
    }

    pub fn deadline_exceeded() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DeadlineExceeded,
            "Permintaan tidak selesai tepat waktu. Coba lagi.",
            "The request did not finish in time. Please try again.",
        )
        .with_retry_after(5)
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "Isi permintaan terlalu besar.",
            "The request body is too large.",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Kirim data sebagai JSON atau formulir.",
            "Send application/json or application/x-www-form-urlencoded.",
        )
    }

    /// The JSON body. 5xx errors never carry details: they could hold internal text.
    pub fn envelope(&self, request_id: Option<&str>, lang: Lang) -> Value {
        let mut obj = Map::new();
        obj.insert("success".into(), Value::Bool(false));
        let message = match lang {
            Lang::Id => &self.body.message_id,
            Lang::En => &self.body.message_en,
        };
        // `error` carries the human text too: the existing frontend shows it before `message`
        // (the machine code is in `code`).
        obj.insert("error".into(), Value::String(message.to_string()));
        obj.insert("message".into(), Value::String(message.to_string()));
        obj.insert("status_code".into(), Value::from(self.status.as_u16()));
        obj.insert("code".into(), Value::String(self.code.as_str().to_owned()));
        obj.insert("request_id".into(), request_id.map(|r| Value::String(r.to_owned())).unwrap_or(Value::Null));
        // A 5xx carries details only when it was built to be public (the health report).
        let public_5xx_detail = self.status.is_server_error() && !self.body.extra.is_empty();
        if let Some(d) = self.body.details.as_ref().filter(|_| !self.status.is_server_error() || public_5xx_detail) {
            obj.insert("details".into(), d.clone());
        }
        for (k, v) in &self.body.extra {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(obj)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// A complete response even without the middleware; the middleware re-renders it with the
    /// request id and the client's language.
    fn error_response(&self) -> HttpResponse {
        let mut b = HttpResponse::build(self.status);
        if let Some(s) = self.retry_after_secs {
            b.insert_header((actix_web::http::header::RETRY_AFTER, s.to_string()));
        }
        b.json(self.envelope(None, Lang::Id))
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
            ApiError::service_unavailable(ErrorCode::DatabaseUnavailable, "Basis data", "The database")
        } else {
            tracing::error!(error = %e, "database error");
            ApiError::internal()
        }
    }
}

impl From<KvError> for ApiError {
    fn from(e: KvError) -> Self {
        match e {
            KvError::Unavailable(_) => {
                tracing::warn!(error = %e, "redis unavailable");
                ApiError::service_unavailable(ErrorCode::RedisUnavailable, "Penyimpanan sesi", "The session store")
            }
            KvError::Command(_) => {
                tracing::error!(error = %e, "redis error");
                ApiError::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape_and_5xx_privacy() {
        let e = ApiError::validation("phone_number", "too short");
        let v = e.envelope(Some("abc"), Lang::En);
        assert_eq!(v["success"], false);
        assert_eq!(v["status_code"], 422);
        assert_eq!(v["code"], "VALIDATION_ERROR");
        assert_eq!(v["request_id"], "abc");
        assert_eq!(v["details"]["field"], "phone_number");
        assert_eq!(v["message"], "The submitted data is invalid.");

        let internal = ApiError::internal().with_details(json!({"sql": "SELECT secret"}));
        let v = internal.envelope(None, Lang::Id);
        assert!(v.get("details").is_none());
        assert_eq!(v["message"], "Terjadi kesalahan pada server.");
    }

    #[test]
    fn generic_statuses_have_codes() {
        for (s, code) in
            [(404, "NOT_FOUND"), (405, "METHOD_NOT_ALLOWED"), (413, "PAYLOAD_TOO_LARGE"), (502, "INTERNAL")]
        {
            let e = ApiError::from_status(StatusCode::from_u16(s).unwrap());
            assert_eq!(e.code.as_str(), code);
            assert_eq!(e.status.as_u16(), s);
        }
    }
}
