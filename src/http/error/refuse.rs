//! The refusals of the auth and captive endpoints, in one place so codes and texts stay stable,
//! and the sign-in room's errors mapped onto them.

use actix_web::http::StatusCode;
use serde_json::json;

use super::{ApiError, ErrorCode};
use crate::captive::CaptiveError;
use crate::domain::AccessStatus;

pub fn user_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UserNotFound,
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
    ApiError::new(StatusCode::FORBIDDEN, ErrorCode::AccountStatus, id, en)
        .with_extra("status", json!(status.as_str()))
        .with_extra("status_token", json!(token))
}

pub fn otp_invalid(remaining: u32) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::OtpInvalid,
        "Kode OTP salah atau sudah kedaluwarsa.",
        "The code is wrong or has expired.",
    )
    .with_details(json!({ "remaining_attempts": remaining }))
}

pub fn otp_locked(retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::OtpLocked,
        "Terlalu banyak kode salah. Minta kode baru nanti.",
        "Too many wrong codes. Request a new code later.",
    )
    .with_retry_after(retry_after)
}

pub fn rate_limited(retry_after: u64, reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        "Terlalu banyak permintaan. Coba lagi nanti.",
        "Too many requests. Try again later.",
    )
    .with_details(json!({ "reason": reason, "retry_after": retry_after }))
    .with_retry_after(retry_after)
}

pub fn whatsapp_unavailable() -> ApiError {
    ApiError::service_unavailable(ErrorCode::WhatsAppUnavailable, "Layanan WhatsApp", "WhatsApp delivery")
}

pub fn router_unavailable() -> ApiError {
    ApiError::service_unavailable(ErrorCode::RouterUnavailable, "Router hotspot", "The hotspot router")
}

pub fn device_not_found() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::DeviceNotFound,
        "Perangkat Anda tidak terlihat di jaringan hotspot. Sambungkan ke WiFi hotspot dulu.",
        "The hotspot network does not see your device. Connect to the hotspot WiFi first.",
    )
}

pub fn device_mismatch() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::DeviceMismatch,
        "Alamat perangkat tidak cocok dengan yang terlihat oleh router.",
        "The device address does not match what the router sees.",
    )
}

pub fn device_limit(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::DeviceLimit,
        format!("Batas {limit} perangkat tercapai. Hapus perangkat lama terlebih dahulu."),
        format!("The limit of {limit} devices is reached. Remove an old device first."),
    )
    .with_details(json!({ "limit": limit }))
}

pub fn takeover_required() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::DeviceTakeoverRequired,
        "Perangkat ini terdaftar di akun lain. Masuk lewat halaman login hotspot dari perangkat ini untuk memindahkannya.",
        "This device is registered to another account. Log in through the hotspot's login page from the device to move it.",
    )
    .with_details(json!({ "proof": "router-login" }))
}

pub fn auth_required() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::AuthRequired,
        "Silakan masuk terlebih dahulu.",
        "Please sign in.",
    )
}

pub fn token_expired() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::AuthTokenExpired,
        "Sesi Anda sudah berakhir.",
        "Your session has expired.",
    )
}

pub fn session_invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::SessionInvalid,
        "Sesi tidak valid atau sudah dipakai. Silakan masuk lagi.",
        "The session is invalid or was already used. Please sign in again.",
    )
}

pub fn origin_invalid() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::OriginInvalid,
        "Asal permintaan tidak dipercaya.",
        "Request origin is not trusted.",
    )
}

pub fn forbidden() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "Akses ditolak.", "Forbidden.")
}

/// An admin's session from a WhatsApp code: the console needs the admin's password sign-in.
pub fn admin_password_required() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "Akses admin memerlukan masuk dengan kata sandi di halaman admin.",
        "Admin access needs the admin sign-in with a password.",
    )
}

pub fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        "Nomor atau kata sandi salah.",
        "Wrong number or password.",
    )
}

pub fn phone_taken() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::PhoneTaken,
        "Nomor ini sudah terdaftar.",
        "This number is already registered.",
    )
    .with_details(json!({ "field": "phone_number" }))
}

pub fn device_gone() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::DeviceNotFound, "Perangkat tidak ditemukan.", "Device not found.")
}

pub fn outside_hotspot() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::OutsideHotspot,
        "Tindakan ini hanya bisa dilakukan dari jaringan WiFi hotspot.",
        "This can only be done from the hotspot's WiFi.",
    )
}

pub fn device_proof_required() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::DeviceProofRequired,
        "Perangkat ini belum dikenali. Masuk dengan kode OTP.",
        "This device is not recognised. Sign in with a code.",
    )
}

pub fn validation_client_ip() -> ApiError {
    ApiError::validation("client_ip", "the client IP is unknown")
}

impl From<CaptiveError> for ApiError {
    fn from(e: CaptiveError) -> Self {
        use CaptiveError as C;
        match e {
            C::RouterUnavailable => router_unavailable(),
            C::RouterRefused(_) => {
                let mut e = ApiError::internal();
                e.status = StatusCode::BAD_GATEWAY;
                e.code = ErrorCode::RouterError;
                e
            }
            C::DeviceNotFound => device_not_found(),
            C::DeviceMismatch => device_mismatch(),
            C::DeviceLimit { limit } => device_limit(limit),
            C::TakeoverRequired => takeover_required(),
            C::DeviceGone => device_gone(),
            C::OutsideHotspot => outside_hotspot(),
            C::DeviceProofRequired => device_proof_required(),
            C::ClientIpUnknown => validation_client_ip(),
            C::UserNotFound => user_not_found(),
            C::AccountStatus { status, token } => account_status(status, token),
            C::OtpInvalid { remaining } => otp_invalid(remaining),
            C::OtpLocked { retry_after } => otp_locked(retry_after),
            C::RateLimited { retry_after, reason } => rate_limited(retry_after, reason),
            C::WhatsAppUnavailable => whatsapp_unavailable(),
            C::AuthRequired => auth_required(),
            C::SessionInvalid => session_invalid(),
            C::InvalidCredentials => invalid_credentials(),
            C::Invalid { field, reason } => ApiError::validation(field, reason),
            C::WitnessGone => session_invalid(),
            C::DeadlineExceeded => ApiError::deadline_exceeded(),
            C::FeatureOff(_) => feature_off(),
            C::Internal(what) => {
                tracing::error!(error = %what, "sign-in failed");
                ApiError::internal()
            }
            C::Db(db) => db.into(),
            C::Kv(kv) => kv.into(),
        }
    }
}

pub fn maintenance(message: &str) -> ApiError {
    let text = if message.trim().is_empty() { "Layanan sedang dalam perbaikan." } else { message };
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Maintenance, text.to_owned(), text.to_owned())
        .with_retry_after(300)
}

pub fn feature_off() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::FeatureDisabled,
        "Fitur ini sedang dinonaktifkan oleh operator.",
        "The operator has switched this feature off.",
    )
}

pub fn registration_closed() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::RegistrationClosed,
        "Pendaftaran sedang ditutup.",
        "Registration is closed.",
    )
}

impl From<crate::accounts::AccountError> for ApiError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as A;
        match e {
            A::UserNotFound => user_not_found(),
            A::Forbidden(why) => forbidden().with_details(json!({ "reason": why })),
            A::Invalid { field, reason } => ApiError::validation(&field, reason),
            A::IdempotencyConflict => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::IdempotencyConflict,
                "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
                "This Idempotency-Key was used for a different request.",
            ),
            A::PhoneTaken => phone_taken(),
            A::DebtNotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::DebtNotFound,
                "Tunggakan tidak ditemukan.",
                "No such debt.",
            ),
            A::DebtPaid => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::DebtAlreadyPaid,
                "Tunggakan ini sudah lunas.",
                "This debt is already paid.",
            ),
            A::NothingOwed => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::NoDebt,
                "Tidak ada tunggakan kuota untuk dilunasi.",
                "There is no quota debt to pay.",
            ),
            A::Db(d) => d.into(),
        }
    }
}

impl From<crate::admin::AdminError> for ApiError {
    fn from(e: crate::admin::AdminError) -> Self {
        use crate::admin::AdminError as A;
        match e {
            A::Account(a) => a.into(),
            A::DeviceNotFound => device_gone(),
            A::InvalidState(why) => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::InvalidState,
                "Tindakan ini tidak berlaku untuk keadaan pengguna sekarang.",
                "This action does not apply to the user's current state.",
            )
            .with_details(json!({ "reason": why })),
            A::Refused { id, en } => ApiError::new(StatusCode::CONFLICT, ErrorCode::InvalidState, id, en),
            A::NotFound(what) => ApiError::not_found().with_details(json!({ "what": what })),
            A::TooSoon { retry_after_secs, retry_at } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "Silakan tunggu sebelum mengajukan permintaan berikutnya.",
                "Wait before filing the next request.",
            )
            .with_retry_after(retry_after_secs)
            .with_extra("retry_after_seconds", json!(retry_after_secs))
            .with_extra("retry_at", json!(retry_at)),
            A::Kv(k) => k.into(),
        }
    }
}
