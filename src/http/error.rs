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

use crate::db::DbError;
use crate::kv::KvError;

/// The language of `message`: Indonesian unless the client asks for English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    /// Picks the best of `id`/`en` from an Accept-Language header by q-value; Indonesian wins
    /// ties and is the default.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::Id };
        let mut best = (Lang::Id, 0.0f32);
        let mut id_q = 0.0f32;
        for part in h.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "en" if q > best.1 => best = (Lang::En, q),
                "id" | "in" => id_q = id_q.max(q),
                _ => {}
            }
        }
        if best.0 == Lang::En && best.1 > id_q { Lang::En } else { Lang::Id }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
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
        code: &'static str,
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
            "VALIDATION_ERROR",
            "Data yang dikirim tidak valid.",
            "The submitted data is invalid.",
        )
        .with_details(json!({ "field": field, "reason": reason.into() }))
    }

    pub fn malformed_body(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_BODY",
            "Isi permintaan tidak dapat dibaca.",
            "The request body could not be read.",
        )
        .with_details(json!({ "reason": reason.into() }))
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Alamat tidak ditemukan.", "Not found.")
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Terjadi kesalahan pada server.",
            "Internal server error.",
        )
    }

    pub fn service_unavailable(code: &'static str, what_id: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            format!("{what_id} sedang tidak tersedia. Coba lagi sebentar lagi."),
            format!("{what_en} is unavailable right now. Please try again shortly."),
        )
        .with_retry_after(5)
    }

    /// The generic error for a status that no handler described (actix's own 404/405/413…).
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::malformed_body("bad request"),
            401 => Self::new(status, "AUTH_REQUIRED", "Silakan masuk terlebih dahulu.", "Authentication required."),
            403 => Self::new(status, "FORBIDDEN", "Akses ditolak.", "Forbidden."),
            404 => Self::not_found(),
            405 => Self::new(
                status,
                "METHOD_NOT_ALLOWED",
                "Metode tidak diizinkan untuk alamat ini.",
                "Method not allowed.",
            ),
            406 => Self::new(status, "NOT_ACCEPTABLE", "Format jawaban tidak tersedia.", "Not acceptable."),
            408 => Self::new(status, "REQUEST_TIMEOUT", "Permintaan terlalu lama.", "Request timed out."),
            411 => Self::new(status, "LENGTH_REQUIRED", "Panjang isi permintaan wajib diisi.", "Length required."),
            413 => Self::payload_too_large(),
            414 => Self::new(status, "URI_TOO_LONG", "Alamat terlalu panjang.", "URI too long."),
            415 => Self::unsupported_media_type(),
            429 => {
                Self::new(status, "RATE_LIMITED", "Terlalu banyak permintaan. Coba lagi nanti.", "Too many requests.")
                    .with_retry_after(60)
            }
            503 => Self::service_unavailable("SERVICE_UNAVAILABLE", "Layanan", "The service"),
            s if s >= 500 => {
                let mut e = Self::internal();
                e.status = status;
                e
            }
            _ => Self::new(status, "BAD_REQUEST", "Permintaan tidak valid.", "Bad request."),
        }
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "Isi permintaan terlalu besar.",
            "The request body is too large.",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Kirim data sebagai JSON atau formulir.",
            "Send application/json or application/x-www-form-urlencoded.",
        )
    }

    /// The JSON body. 5xx errors never carry details: they could hold internal text.
    pub fn envelope(&self, request_id: Option<&str>, lang: Lang) -> Value {
        let mut obj = Map::new();
        obj.insert("success".into(), Value::Bool(false));
        obj.insert("error".into(), Value::String(self.status.canonical_reason().unwrap_or("Error").to_owned()));
        let message = match lang {
            Lang::Id => &self.body.message_id,
            Lang::En => &self.body.message_en,
        };
        obj.insert("message".into(), Value::String(message.to_string()));
        obj.insert("status_code".into(), Value::from(self.status.as_u16()));
        obj.insert("code".into(), Value::String(self.code.to_owned()));
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
            ApiError::service_unavailable("DATABASE_UNAVAILABLE", "Basis data", "The database")
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
                ApiError::service_unavailable("REDIS_UNAVAILABLE", "Penyimpanan sesi", "The session store")
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
    fn language_negotiation() {
        let cases = [
            (None, Lang::Id),
            (Some("en"), Lang::En),
            (Some("en-US,en;q=0.9"), Lang::En),
            (Some("id-ID,id;q=0.9,en;q=0.8"), Lang::Id),
            (Some("en;q=0.5,id;q=0.9"), Lang::Id),
            (Some("fr,en;q=0.4"), Lang::En),
            (Some("fr"), Lang::Id),
            (Some("*"), Lang::Id),
        ];
        for (h, want) in cases {
            assert_eq!(Lang::from_accept_language(h), want, "{h:?}");
        }
    }

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
            assert_eq!(e.code, code);
            assert_eq!(e.status.as_u16(), s);
        }
    }
}

/// The refusals of the auth and captive endpoints, in one place so codes and texts stay stable.
pub mod refuse {
    use actix_web::http::StatusCode;
    use serde_json::json;

    use super::ApiError;
    use crate::domain::AccessStatus;

    pub fn user_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "USER_NOT_FOUND",
            "Nomor ini belum terdaftar.",
            "This number is not registered.",
        )
    }

    pub fn account_status(status: AccessStatus, token: String) -> ApiError {
        let (id, en) = match status {
            AccessStatus::Blocked => ("Akun Anda diblokir.", "Your account is blocked."),
            AccessStatus::Inactive => {
                ("Akun Anda belum aktif atau belum disetujui.", "Your account is not active or not approved yet.")
            }
            AccessStatus::Expired => ("Masa berlaku kuota Anda sudah habis.", "Your quota has expired."),
            AccessStatus::Habis => ("Kuota Anda sudah habis.", "Your quota is used up."),
            AccessStatus::Fup => ("Kuota Anda dalam batas pemakaian wajar.", "Your account is under fair use limits."),
            _ => ("Status akun tidak mengizinkan tindakan ini.", "Your account status does not allow this."),
        };
        ApiError::new(StatusCode::FORBIDDEN, "ACCOUNT_STATUS", id, en)
            .with_extra("status", json!(status.as_str()))
            .with_extra("status_token", json!(token))
    }

    pub fn otp_invalid(remaining: u32) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "OTP_INVALID",
            "Kode OTP salah atau sudah kedaluwarsa.",
            "The code is wrong or has expired.",
        )
        .with_details(json!({ "remaining_attempts": remaining }))
    }

    pub fn otp_locked(retry_after: u64) -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "OTP_LOCKED",
            "Terlalu banyak kode salah. Minta kode baru nanti.",
            "Too many wrong codes. Request a new code later.",
        )
        .with_retry_after(retry_after)
    }

    pub fn rate_limited(retry_after: u64, reason: &str) -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Terlalu banyak permintaan. Coba lagi nanti.",
            "Too many requests. Try again later.",
        )
        .with_details(json!({ "reason": reason, "retry_after": retry_after }))
        .with_retry_after(retry_after)
    }

    pub fn whatsapp_unavailable() -> ApiError {
        ApiError::service_unavailable("WHATSAPP_UNAVAILABLE", "Layanan WhatsApp", "WhatsApp delivery")
    }

    pub fn router_unavailable() -> ApiError {
        ApiError::service_unavailable("ROUTER_UNAVAILABLE", "Router hotspot", "The hotspot router")
    }

    pub fn device_not_found() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "DEVICE_NOT_FOUND",
            "Perangkat Anda tidak terlihat di jaringan hotspot. Sambungkan ke WiFi hotspot dulu.",
            "The hotspot network does not see your device. Connect to the hotspot WiFi first.",
        )
    }

    pub fn device_mismatch() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "DEVICE_MISMATCH",
            "Alamat perangkat tidak cocok dengan yang terlihat oleh router.",
            "The device address does not match what the router sees.",
        )
    }

    pub fn device_limit(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "DEVICE_LIMIT",
            format!("Batas {limit} perangkat tercapai. Hapus perangkat lama terlebih dahulu."),
            format!("The limit of {limit} devices is reached. Remove an old device first."),
        )
        .with_details(json!({ "limit": limit }))
    }

    pub fn takeover_required() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "DEVICE_TAKEOVER_REQUIRED",
            "Perangkat ini terdaftar di akun lain. Konfirmasi untuk memindahkannya.",
            "This device is registered to another account. Confirm to move it.",
        )
        .with_details(json!({ "field": "confirm_device_takeover" }))
    }

    pub fn auth_required() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "AUTH_REQUIRED", "Silakan masuk terlebih dahulu.", "Please sign in.")
    }

    pub fn token_expired() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_TOKEN_EXPIRED",
            "Sesi Anda sudah berakhir.",
            "Your session has expired.",
        )
    }

    pub fn session_invalid() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "SESSION_INVALID",
            "Sesi tidak valid atau sudah dipakai. Silakan masuk lagi.",
            "The session is invalid or was already used. Please sign in again.",
        )
    }

    pub fn origin_invalid() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "ORIGIN_INVALID",
            "Asal permintaan tidak dipercaya.",
            "Request origin is not trusted.",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "Akses ditolak.", "Forbidden.")
    }

    pub fn invalid_credentials() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Nomor atau kata sandi salah.",
            "Wrong number or password.",
        )
    }

    pub fn phone_taken() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "PHONE_TAKEN",
            "Nomor ini sudah terdaftar.",
            "This number is already registered.",
        )
        .with_details(json!({ "field": "phone_number" }))
    }

    pub fn device_gone() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "DEVICE_NOT_FOUND", "Perangkat tidak ditemukan.", "Device not found.")
    }
}

impl From<crate::captive::CaptiveError> for ApiError {
    fn from(e: crate::captive::CaptiveError) -> Self {
        use crate::captive::CaptiveError as C;
        match e {
            C::RouterUnavailable => refuse::router_unavailable(),
            C::DeviceNotFound => refuse::device_not_found(),
            C::DeviceMismatch => refuse::device_mismatch(),
            C::DeviceLimit { limit } => refuse::device_limit(limit),
            C::TakeoverRequired => refuse::takeover_required(),
            C::RouterRefused(_) => {
                let mut e = ApiError::internal();
                e.status = StatusCode::BAD_GATEWAY;
                e.code = "ROUTER_ERROR";
                e
            }
            C::Db(db) => db.into(),
        }
    }
}
