//! The simulator's own control endpoints (`/_sim/…`): the outbox, the last code, fault modes,
//! the session's state, Fonnte's callback URL, dropping sockets.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::*;

#[derive(Deserialize)]
pub(super) struct SessionBody {
    /// `authenticated` (the QR was scanned), `pairing` (a new QR), `disconnected` (dropped).
    state: String,
}

pub(super) async fn set_session(s: Shared, body: web::Json<SessionBody>) -> HttpResponse {
    let next = match body.state.as_str() {
        "authenticated" => SimSession::Authenticated,
        "pairing" => SimSession::Pairing { qr: new_qr() },
        "disconnected" => SimSession::Disconnected,
        _ => return HttpResponse::BadRequest().json(json!({ "error": "authenticated, pairing or disconnected" })),
    };
    lock(&s).set_session(next.clone());
    HttpResponse::Ok().json(next)
}

#[derive(Deserialize)]
pub(super) struct OutboxQuery {
    to: Option<String>,
}

pub(super) async fn outbox(s: Shared, q: web::Query<OutboxQuery>) -> HttpResponse {
    let st = lock(&s);
    let to = q.to.as_deref().map(digits_of);
    let list: Vec<&OutMessage> =
        st.outbox.iter().rev().filter(|m| to.as_deref().is_none_or(|t| m.to == t)).take(100).collect();
    HttpResponse::Ok().json(list)
}

/// The newest six-digit code sent to a number (the demo reads its codes here); messages without
/// one (an approval notice the worker delivers after the code) are passed over.
pub(super) async fn last_code(s: Shared, q: web::Query<OutboxQuery>) -> HttpResponse {
    let st = lock(&s);
    let Some(to) = q.to.as_deref().map(digits_of) else {
        return HttpResponse::BadRequest().json(json!({ "error": "?to=628… is required" }));
    };
    match newest_code(&st.outbox, &to) {
        Some(code) => HttpResponse::Ok().json(json!({ "to": to, "code": code })),
        None => HttpResponse::NotFound().json(json!({ "error": "no code sent to that number" })),
    }
}

#[derive(Deserialize)]
pub(super) struct ModeBody {
    mode: Mode,
    delay_ms: Option<u64>,
}

pub(super) async fn set_mode(s: Shared, body: web::Json<ModeBody>) -> HttpResponse {
    let mut st = lock(&s);
    st.mode = body.mode;
    if let Some(d) = body.delay_ms {
        st.delay = Duration::from_millis(d.min(120_000));
    }
    HttpResponse::Ok().json(json!({ "mode": st.mode }))
}

#[derive(Deserialize)]
pub(super) struct WebhookBody {
    url: Option<String>,
}

/// Sets Fonnte's `webhookstatus` (as its dashboard or `update-device` does).
pub(super) async fn set_fonnte_webhook(s: Shared, body: web::Json<WebhookBody>) -> HttpResponse {
    lock(&s).fonnte_status_url = body.url.clone();
    HttpResponse::Ok().json(json!({ "webhookstatus": body.url }))
}

/// Drops every Socket.IO connection (a gateway restart, a proxy closing idle sockets).
pub(super) async fn kick_sockets(s: Shared) -> HttpResponse {
    let _ = lock(&s).pushes.send(socketio::Push::Kick);
    HttpResponse::Ok().json(json!({ "kicked": true }))
}
