//! Telegram: an account links its chat to the operator's bot (`/akun`), unlinks, reads its
//! status; Telegram's webhook delivers `/start <token>` (its secret in the path, never logged,
//! and in Telegram's header); an admin sends a test message.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::extract::{AdminActor, CurrentUser};
use crate::http::input::Input;
use crate::notify::telegram::{LINK_TTL_SECS, LinkError, start_command};
use crate::telegram::TelegramError;

type Data = web::Data<AppState>;

fn not_configured() -> ApiError {
    ApiError::unavailable_because(
        ErrorCode::FeatureDisabled,
        "Telegram belum dikonfigurasi oleh operator.",
        "The operator has not configured Telegram.",
    )
}

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::NotConfigured => not_configured(),
            LinkError::Kv(k) => k.into(),
            LinkError::Db(d) => d.into(),
            LinkError::Telegram(t) => t.into(),
        }
    }
}

impl From<TelegramError> for ApiError {
    fn from(e: TelegramError) -> Self {
        tracing::warn!(error = %e, "Telegram");
        match e {
            TelegramError::Unavailable(_) => ApiError::unavailable_because(
                ErrorCode::ServiceUnavailable,
                "Telegram tidak dapat dihubungi; coba lagi nanti.",
                "Telegram cannot be reached; try again later.",
            ),
            TelegramError::Refused { .. } => ApiError::new(
                actix_web::http::StatusCode::CONFLICT,
                ErrorCode::InvalidState,
                "Telegram menolak pesan: periksa chat_id (pengguna harus memulai bot lebih dulu).",
                "Telegram refused the message: check the chat_id (the user must start the bot first).",
            ),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TelegramStatus {
    linked: bool,
    chat_id: Option<i64>,
    username: Option<String>,
    linked_at: Option<DateTime<Utc>>,
    /// Whether the operator runs a bot at all.
    available: bool,
}

#[utoipa::path(get, path = "/api/auth/me/telegram/status", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TelegramStatus), (status = 401, description = "AUTH_REQUIRED")))]
pub async fn status(state: Data, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let link = state.notify.telegram_link(user.id()).await?;
    Ok(HttpResponse::Ok().json(TelegramStatus {
        linked: link.is_some(),
        chat_id: link.as_ref().map(|l| l.chat_id),
        username: link.as_ref().and_then(|l| l.username.clone()),
        linked_at: link.map(|l| l.linked_at),
        available: state.notify.telegram.is_some(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LinkToken {
    token: String,
    /// `https://t.me/<bot>?start=<token>`: opened, the bot's Start links the chat.
    link_url: String,
    expires_in_seconds: u64,
    bot_username: String,
}

#[utoipa::path(post, path = "/api/auth/me/telegram/link-token", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = LinkToken, description = "A one-time token (10 minutes) in the bot's deep link"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 503, description = "FEATURE_DISABLED: no bot configured")))]
pub async fn link_token(state: Data, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let (link_url, token) = state.notify.telegram_link_token(user.id()).await?;
    let bot_username = state.notify.telegram.as_ref().map(|t| t.bot_username().to_owned()).unwrap_or_default();
    Ok(HttpResponse::Ok().json(LinkToken { token, link_url, expires_in_seconds: LINK_TTL_SECS, bot_username }))
}

#[derive(Serialize, ToSchema)]
pub struct Unlinked {
    message: &'static str,
    unlinked: bool,
}

#[utoipa::path(post, path = "/api/auth/me/telegram/unlink", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Unlinked), (status = 401, description = "AUTH_REQUIRED")))]
pub async fn unlink(state: Data, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let unlinked = state.notify.telegram_unlink(user.id()).await?;
    Ok(HttpResponse::Ok().json(Unlinked { message: "Telegram berhasil diputus.", unlinked }))
}

#[derive(Serialize, ToSchema)]
pub struct WebhookAck {
    ok: bool,
}

#[utoipa::path(post, path = "/api/webhooks/telegram/{secret}", tag = "webhooks",
    params(("secret" = String, Path, description = "HOTSPOT_TELEGRAM_WEBHOOK_SECRET")),
    request_body(content((Object = "application/json")), description = "A Telegram Update"),
    responses((status = 200, body = WebhookAck, description = "Taken (a `/start <token>` links the chat; anything else is ignored)"),
        (status = 403, description = "SIGNATURE_INVALID: wrong secret"), (status = 404, description = "NOT_FOUND: no bot configured")))]
pub async fn webhook(
    state: Data,
    req: HttpRequest,
    secret: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let Some(t) = state.notify.telegram.as_ref() else { return Err(ApiError::not_found()) };
    let header = req.headers().get("X-Telegram-Bot-Api-Secret-Token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !t.webhook_secret_is(&secret) || !t.webhook_secret_is(header) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            ErrorCode::SignatureInvalid,
            "Webhook tidak sah.",
            "Unauthorized webhook.",
        ));
    }
    if let Some((chat, username, token)) = start_command(&body) {
        let linked = state.notify.telegram_start(chat, username, &token).await?;
        tracing::info!(linked, "Telegram /start");
    }
    Ok(HttpResponse::Ok().json(WebhookAck { ok: true }))
}

#[derive(Deserialize, ToSchema)]
pub struct TelegramTestBody {
    /// A chat the bot may write to (the person started it).
    #[schema(min_length = 1, max_length = 20, pattern = "^-?[0-9]{1,19}$")]
    chat_id: String,
    #[schema(max_length = 4000)]
    message: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TelegramSent {
    message: &'static str,
    target: String,
}

#[utoipa::path(post, path = "/api/admin/telegram/test-send", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((TelegramTestBody = "application/json"))),
    responses((status = 200, body = TelegramSent, description = "Telegram took the message"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 409, description = "INVALID_STATE: Telegram refused (a chat the bot cannot reach)"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 503, description = "FEATURE_DISABLED, SERVICE_UNAVAILABLE")))]
pub async fn test_send(state: Data, _a: AdminActor, body: Input<TelegramTestBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let chat: i64 =
        b.chat_id.trim().parse().map_err(|_| ApiError::validation("chat_id", "a Telegram chat id (digits)"))?;
    let text = b.message.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
    let text = text.unwrap_or_else(|| "Tes Telegram dari panel admin hotspot.".into());
    if text.chars().count() > 4000 {
        return Err(ApiError::validation("message", "at most 4000 characters"));
    }
    let t = state.notify.telegram.as_ref().ok_or_else(not_configured)?;
    t.send(chat, &text).await?;
    Ok(HttpResponse::Ok().json(TelegramSent { message: "Pesan Telegram terkirim.", target: b.chat_id }))
}
