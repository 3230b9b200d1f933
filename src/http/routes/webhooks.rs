//! `POST /api/webhooks/whatsapp/{provider}`: delivery reports from a relay, signed with the
//! shared secret over a timestamp and the body (`X-Hotspot-Timestamp`, `X-Hotspot-Signature`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use secrecy::ExposeSecret;

use crate::crypto::verify_body_signature;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::whatsapp::reports::{FonnteStatus, fonnte_word, relay_word};

#[derive(Deserialize)]
struct Report {
    #[serde(alias = "messageId", alias = "id")]
    message_id: serde_json::Value,
    #[serde(alias = "state")]
    status: String,
}

/// Without its secret this deployment has no such webhook: nothing here to call.
fn webhook_disabled() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::WebhookDisabled,
        "Webhook tidak diaktifkan.",
        "The webhook is not enabled.",
    )
}

fn signature_invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::SignatureInvalid,
        "Tanda tangan tidak valid.",
        "Invalid signature.",
    )
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Updated {
    /// Whether a message changed state (a late or repeated report changes nothing).
    updated: bool,
}

#[utoipa::path(post, path = "/api/webhooks/whatsapp/{provider}", tag = "webhooks",
    params(("provider" = String, Path, description = "The gateway that reports", pattern = "^(seed|fonnte)$")),
    request_body(content = serde_json::Value, content_type = "application/json",
        description = "`{message_id | messageId | id, status | state}`, signed: `X-Hotspot-Timestamp: <unix seconds>` (within 5 minutes) and `X-Hotspot-Signature: sha256=<hex HMAC-SHA256(secret, \"{timestamp}.{body}\")>`"),
    responses((status = 200, body = Updated), (status = 401, description = "SIGNATURE_INVALID"),
        (status = 404, description = "NOT_FOUND: an unknown provider; WEBHOOK_DISABLED: no secret configured"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn whatsapp(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let provider = path.into_inner();
    if !matches!(provider.as_str(), "seed" | "fonnte") {
        return Err(ApiError::not_found());
    }
    let Some(secret) = state.settings.wa_webhook_secret.clone() else {
        // Without a secret this deployment has no webhook: nothing here to call.
        return Err(webhook_disabled());
    };
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = chrono::Utc::now().timestamp();
    if !verify_body_signature(
        secret.expose_secret().as_bytes(),
        header("x-hotspot-timestamp"),
        &body,
        header("x-hotspot-signature"),
        now,
    ) {
        return Err(signature_invalid());
    }
    let report: Report = serde_json::from_slice(&body).map_err(|e| ApiError::validation("body", e.to_string()))?;
    let message_id = match report.message_id {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(ApiError::validation("message_id", "must be a string or a number")),
    };
    let status = relay_word(&report.status).ok_or_else(|| ApiError::validation("status", "unknown delivery status"))?;
    let updated = state.notify.receipt(&provider, message_id, status).await?;
    Ok(HttpResponse::Ok().json(Updated { updated }))
}

#[utoipa::path(post, path = "/api/webhooks/fonnte/status/{secret}", tag = "webhooks",
    params(("secret" = String, Path, description = "HOTSPOT_WA_FONNTE_CALLBACK_SECRET", pattern = "^[A-Za-z0-9_-]{16,200}$")),
    request_body(content = serde_json::Value, content_type = "application/json",
        description = "Fonnte's status callback: `{device, id, stateid?, status?, state?}`"),
    responses((status = 200, body = Updated), (status = 401, description = "SIGNATURE_INVALID: not our callback URL"),
        (status = 404, description = "WEBHOOK_DISABLED: no callback secret configured"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn fonnte_status(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Some(secret) = state.settings.fonnte_callback_secret.clone() else {
        return Err(webhook_disabled());
    };
    if !crate::crypto::ct_eq(secret.expose_secret().as_bytes(), path.as_bytes()) {
        return Err(signature_invalid());
    }
    let report: FonnteStatus =
        serde_json::from_slice(&body).map_err(|e| ApiError::validation("body", e.to_string()))?;
    let message_id = match &report.id {
        serde_json::Value::String(s) if !s.is_empty() && s.len() <= 100 => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(ApiError::validation("id", "Fonnte's message id")),
    };
    let Some(status) = fonnte_word(&report) else {
        return Ok(HttpResponse::Ok().json(Updated { updated: false }));
    };
    let updated = state.notify.receipt("fonnte", message_id, status).await?;
    Ok(HttpResponse::Ok().json(Updated { updated }))
}
