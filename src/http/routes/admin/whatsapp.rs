//! `/api/admin/whatsapp/*`: the gateway's WhatsApp session for operators.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::whatsapp::{GatewayStatus, SessionError};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::extract::{AdminActor, AdminUser};

type Data = web::Data<AppState>;

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotConfigured => ApiError::unavailable_because(
                ErrorCode::WhatsAppUnavailable,
                "Gateway WhatsApp belum dikonfigurasi.",
                "No WhatsApp gateway is configured.",
            ),
            SessionError::Gateway(_) => ApiError::unavailable_because(
                ErrorCode::WhatsAppUnavailable,
                "Gateway WhatsApp tidak dapat dihubungi.",
                "The WhatsApp gateway cannot be reached.",
            ),
            SessionError::NoQr(state) => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::InvalidState,
                "Tidak ada QR untuk dipindai: sesi WhatsApp sedang tersambung.",
                "There is no QR to scan: the WhatsApp session is paired.",
            )
            .with_details(serde_json::json!({ "state": state })),
            SessionError::Admin(a) => a.into(),
        }
    }
}

#[utoipa::path(get, path = "/api/admin/whatsapp/status", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = GatewayStatus, description = "Each provider's WhatsApp session"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn status(state: Data, _a: AdminUser) -> HttpResponse {
    HttpResponse::Ok().json(state.admin.whatsapp_status().await)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// `png` for the image; JSON otherwise.
    #[param(pattern = "^(json|png)$")]
    format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct QrAnswer {
    provider: &'static str,
    state: String,
    /// As the gateway gives it: the QR's text, or a `data:image/png` URL.
    qr: String,
    png_url: &'static str,
}

#[utoipa::path(get, path = "/api/admin/whatsapp/qr", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(QrQuery),
    responses((status = 200, content((QrAnswer = "application/json"), (Vec<u8> = "image/png")),
            description = "The QR to pair the gateway again (`?format=png`: image/png); super admin only"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: not a super admin"),
        (status = 409, description = "INVALID_STATE: the session is paired, nothing to scan"),
        (status = 422, description = "VALIDATION_ERROR"),
        (status = 503, description = "WHATSAPP_UNAVAILABLE")))]
pub async fn qr(state: Data, a: AdminActor, q: web::Query<QrQuery>) -> Result<HttpResponse, ApiError> {
    let png = match q.format.as_deref() {
        None | Some("json") => false,
        Some("png") => true,
        Some(_) => return Err(ApiError::validation("format", "json or png")),
    };
    let p = state.admin.whatsapp_qr(&a.0).await?;
    if png {
        let bytes = crate::whatsapp::qr::png_of(&p.qr).map_err(|e| {
            tracing::warn!(error = %e, "the gateway's QR could not be drawn");
            ApiError::unavailable_because(
                ErrorCode::WhatsAppUnavailable,
                "QR dari gateway tidak dapat dibaca.",
                "The gateway's QR could not be read.",
            )
        })?;
        return Ok(HttpResponse::Ok()
            .content_type("image/png")
            .insert_header(("Cache-Control", "no-store"))
            .body(bytes));
    }
    Ok(HttpResponse::Ok().json(QrAnswer {
        provider: p.provider,
        state: p.state,
        qr: p.qr,
        png_url: "/api/admin/whatsapp/qr?format=png",
    }))
}

#[utoipa::path(post, path = "/api/admin/whatsapp/clear-session", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = GatewayStatus, description = "The primary gateway's device logged out; a new QR follows; super admin only"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN (not a super admin), ORIGIN_INVALID"),
        (status = 503, description = "WHATSAPP_UNAVAILABLE")))]
pub async fn clear_session(state: Data, a: AdminActor) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admin.clear_whatsapp_session(&a.0).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TestSendBody {
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    phone_number: crate::domain::Msisdn,
    /// Default: a short test text.
    #[schema(max_length = 1000)]
    message: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TestSent {
    message: &'static str,
    /// The number, masked.
    target: String,
}

#[utoipa::path(post, path = "/api/admin/whatsapp/test-send", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((TestSendBody = "application/json"))),
    responses((status = 200, body = TestSent, description = "The gateway took the message"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 409, description = "INVALID_STATE: not sent (no gateway, or it refused)"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn test_send(
    state: Data,
    a: AdminActor,
    body: crate::http::input::Input<TestSendBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let text =
        b.message.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| "Tes WhatsApp dari panel admin hotspot.".into());
    state.admin.test_send(&a.0, &b.phone_number, &text).await?;
    Ok(HttpResponse::Ok().json(TestSent { message: "Pesan uji terkirim.", target: b.phone_number.masked() }))
}

#[derive(Deserialize, ToSchema)]
pub struct BroadcastBody {
    #[schema(pattern = "^(USER|KOMANDAN)$")]
    target_role: crate::domain::Role,
    #[schema(min_length = 1, max_length = 1000)]
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct BroadcastAnswer {
    message: String,
    target_role: crate::domain::Role,
    #[serde(flatten)]
    progress: crate::admin::broadcast::Progress,
}

#[utoipa::path(post, path = "/api/admin/whatsapp/broadcast", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((BroadcastBody = "application/json"))),
    responses((status = 202, body = BroadcastAnswer, description = "One message per approved, active, unblocked account of the role, queued (quiet hours and the daily cap apply); follow it at /api/admin/whatsapp/broadcast/{id}"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn broadcast(
    state: Data,
    a: AdminActor,
    body: crate::http::input::Input<BroadcastBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let progress = state.admin.broadcast(&a.0, b.target_role, &b.message).await?;
    let message = format!("Siaran diantrekan untuk {} penerima.", progress.total_recipients);
    Ok(HttpResponse::Accepted().json(BroadcastAnswer { message, target_role: b.target_role, progress }))
}

#[utoipa::path(get, path = "/api/admin/whatsapp/broadcast/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = crate::admin::broadcast::Progress, description = "Sent, delivered, failed, skipped and pending so far"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "NOT_FOUND")))]
pub async fn broadcast_progress(
    state: Data,
    _a: AdminActor,
    id: crate::http::ids::PathId<crate::http::ids::RecordPath>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admin.broadcast_progress(id.0).await?))
}
