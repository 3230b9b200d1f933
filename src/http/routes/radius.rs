//! FreeRADIUS's `rest` module calls these for a site in RADIUS mode (`deploy/freeradius/`):
//! `authorize` for a login, `accounting` for each report. A decision is answered in the module's
//! language (attributes by list and name: `control:Auth-Type` Accept or Reject); a refusal of the
//! call itself in the envelope (401 no or a wrong token, 404 no such site, 422 a malformed request, 503
//! the database), which FreeRADIUS turns into a reject, or no answer to an accounting report. HTTP Basic with user `freeradius` and
//! `HOTSPOT_RADIUS_API_TOKEN`; no token configured: 404.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use crate::domain::radius::{Decision, Grant, RestAttrs};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::radius::{Radius, RadiusFailure};

type Data = web::Data<AppState>;

#[derive(Deserialize, IntoParams)]
pub struct SiteQuery {
    /// The site's name (FreeRADIUS's client shortname for the router that sent the packet).
    #[param(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    site: String,
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::AuthRequired,
        "Token RADIUS tidak ada atau salah.",
        "The RADIUS token is missing or wrong.",
    )
}

/// The room, once the caller shows the token.
fn room<'a>(state: &'a AppState, req: &HttpRequest) -> Result<&'a Radius, ApiError> {
    let radius = state.radius.as_ref().ok_or_else(ApiError::not_found)?;
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .unwrap_or_default();
    let token = secrecy::ExposeSecret::expose_secret(&radius.settings().api_token);
    let expected = format!("freeradius:{token}");
    if crate::crypto::ct_eq(&given, expected.as_bytes()) { Ok(radius) } else { Err(unauthorized()) }
}

/// The call, parsed once its token is checked (an unauthenticated caller learns nothing of
/// what the parameters should be).
fn parse(req: &HttpRequest, body: &[u8]) -> Result<(SiteQuery, RestAttrs), ApiError> {
    let q = web::Query::<SiteQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::validation("site", e.to_string()))?
        .into_inner();
    if !crate::domain::site::SiteName::parse(&q.site).is_ok_and(|n| n.as_str() == q.site) {
        return Err(ApiError::validation("site", "1 to 64 letters, digits, '.', '_' or '-'"));
    }
    let attrs = serde_json::from_slice(body).map_err(|e| ApiError::malformed_body(e.to_string()))?;
    Ok((q, attrs))
}

fn failure(kind: &'static str, e: RadiusFailure) -> ApiError {
    let outcome = match &e {
        RadiusFailure::UnknownSite => "unknown_site",
        RadiusFailure::Bad(_) => "bad",
        RadiusFailure::Db(_) | RadiusFailure::Sites(_) => "error",
    };
    crate::metrics::with(|m| m.radius_requests.with_label_values(&[kind, outcome]).inc());
    match e {
        RadiusFailure::UnknownSite => ApiError::not_found(),
        RadiusFailure::Bad(b) => ApiError::validation("attributes", b.to_string()),
        RadiusFailure::Db(d) => d.into(),
        RadiusFailure::Sites(crate::sites::StoreError::Db(d)) => d.into(),
        RadiusFailure::Sites(_) => ApiError::internal(),
    }
}

/// A string the module must take as it is (its values are xlat-expanded otherwise).
fn literal(s: &str) -> Value {
    json!({ "value": s, "do_xlat": false })
}

/// An Accept's attributes: MikroTik's hotspot user profile and address list for the status, the
/// time and bytes left (the router ends the session there), how often to report.
fn accept(g: &Grant) -> Value {
    let mut m = Map::new();
    m.insert("control:Auth-Type".into(), json!("Accept"));
    m.insert("reply:Mikrotik-Group".into(), literal(&g.group));
    m.insert("reply:Mikrotik-Address-List".into(), literal(&g.address_list));
    m.insert("reply:Acct-Interim-Interval".into(), json!(g.interim_secs));
    if let Some(t) = g.session_timeout {
        m.insert("reply:Session-Timeout".into(), json!(t));
    }
    if let Some(b) = g.bytes_left {
        m.insert("reply:Mikrotik-Total-Limit".into(), json!(b & u64::from(u32::MAX)));
        m.insert("reply:Mikrotik-Total-Limit-Gigawords".into(), json!(b >> 32));
    }
    Value::Object(m)
}

#[utoipa::path(post, path = "/api/radius/authorize", tag = "radius", params(SiteQuery),
    security(("basic" = [])),
    request_body(content((Object = "application/json")), description = "The request's attributes: `{\"User-Name\": {\"type\": \"string\", \"value\": [\"AA:BB:CC:DD:EE:01\"]}, …}`"),
    responses((status = 200, body = Object, description = "The decision: `control:Auth-Type` Accept with the reply attributes, or Reject with `reply:Reply-Message` saying why"),
        (status = 401, description = "AUTH_REQUIRED: the token is missing or wrong"), (status = 404, description = "NOT_FOUND: no such site in RADIUS mode, or RADIUS off"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 503, description = "DATABASE_UNAVAILABLE")))]
pub async fn authorize(state: Data, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let radius = room(&state, &req)?;
    let (q, body) = parse(&req, &body)?;
    let decision = radius.authorize(&q.site, &body).await.map_err(|e| failure("authorize", e))?;
    let outcome = if matches!(decision, Decision::Accept(_)) { "accept" } else { "reject" };
    crate::metrics::with(|m| m.radius_requests.with_label_values(&["authorize", outcome]).inc());
    Ok(match decision {
        Decision::Accept(g) => HttpResponse::Ok().json(accept(&g)),
        // A reject is an answer too: 200 with `control:Auth-Type := Reject` (FreeRADIUS sends
        // Access-Reject with the message); 4xx stays the envelope's, for refusals of the call.
        Decision::Reject(r) => HttpResponse::Ok()
            .json(json!({ "control:Auth-Type": "Reject", "reply:Reply-Message": literal(r.message()) })),
    })
}

#[utoipa::path(post, path = "/api/radius/accounting", tag = "radius", params(SiteQuery),
    security(("basic" = [])),
    request_body(content((Object = "application/json")), description = "The request's attributes: `{\"User-Name\": {\"type\": \"string\", \"value\": [\"AA:BB:CC:DD:EE:01\"]}, …}`"),
    responses((status = 204, description = "Taken: the session's new bytes charged once (FreeRADIUS answers the router)"),
        (status = 401, description = "AUTH_REQUIRED: the token is missing or wrong"), (status = 404, description = "NOT_FOUND: no such site in RADIUS mode, or RADIUS off"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 503, description = "DATABASE_UNAVAILABLE: the router sends it again")))]
pub async fn accounting(state: Data, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let radius = room(&state, &req)?;
    let (q, body) = parse(&req, &body)?;
    let done = radius.account(&q.site, &body).await.map_err(|e| failure("accounting", e))?;
    let outcome = if done.bytes > 0 { "charged" } else { "taken" };
    crate::metrics::with(|m| m.radius_requests.with_label_values(&["accounting", outcome]).inc());
    Ok(HttpResponse::NoContent().finish())
}
