//! Per-request context: the request id (`X-Request-ID` echoed or generated), one log event per
//! request, metrics, and the rendering of every error response into the envelope.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use tracing::Instrument;

use super::AppState;
use super::error::{ApiError, Lang};

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, available to handlers as an extension (audit rows carry it).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// Echo a well-formed incoming id; anything else (too long, odd bytes that could forge log
    /// lines) is replaced by a fresh one.
    fn from_header(value: Option<&HeaderValue>) -> Self {
        let incoming = value.and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        });
        match incoming {
            Some(id) => RequestId(id.to_owned()),
            None => RequestId(uuid::Uuid::new_v4().simple().to_string()),
        }
    }
}

/// The last instant at which this request may pass a point of no return (its deadline less a
/// reserve for finishing).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Instant);

/// One deadline for the whole request, below the proxy's: a slow router or gateway becomes an
/// answer in time, not a connection the client already gave up on. Wrapped around each resource
/// (after routing; the request may be cloned only then). The rooms stop before their point of
/// no return when too little of it is left (`captive::signin`).
/// The deadline of the backup routes.
pub const LONG_DEADLINE: Duration = Duration::from_secs(30 * 60);

pub async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(limit) = req.app_data::<web::Data<AppState>>().map(|s| s.settings.request_deadline) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // A backup made, uploaded, restored or downloaded takes as long as the database is big.
    let limit =
        if req.match_pattern().is_some_and(|p| p.starts_with("/api/admin/backups")) { LONG_DEADLINE } else { limit };
    // What must be left at a point of no return (a code consumed): the rest of a sign-in is one
    // statement and one Redis write.
    let reserve = (limit / 4).min(Duration::from_secs(2));
    req.extensions_mut().insert(Deadline(Instant::now() + limit - reserve));
    let http_req = req.request().clone();
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(res) => res.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::warn!(deadline_ms = limit.as_millis() as u64, "request deadline reached");
            Ok(ServiceResponse::new(http_req, HttpResponse::from_error(ApiError::deadline_exceeded())))
        }
    }
}

/// This request's id, as the middleware assigned it.
pub fn request_id(req: &actix_web::HttpRequest) -> Option<String> {
    use actix_web::HttpMessage;
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = RequestId::from_header(req.headers().get(&X_REQUEST_ID));
    req.extensions_mut().insert(request_id.clone());
    let lang = Lang::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // The route's pattern, never the path: query strings may carry MACs and IPs, and a path may
    // carry a secret (the Fonnte callback's) or an order id.
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!("http", request_id = %request_id.0, method = %method, route = %route);

    // A change sent from another site's page is refused before anything runs (CSRF), signed in
    // or not; requests without an Origin (curl, server-to-server) are not from a page.
    if state.as_ref().is_some_and(|s| super::cookies::foreign_origin(req.request(), &s.settings.trusted_origins)) {
        let (http_req, _) = req.into_parts();
        let res = ServiceResponse::new(http_req, HttpResponse::from_error(super::error::refuse::origin_invalid()));
        return Ok(finish(res, &Ctx { request_id, lang, method, state, started, span }));
    }
    // Maintenance: the user-facing API answers 503 with the operator's message; admins, sessions,
    // health and provider callbacks keep working.
    if let Some(s) = state.as_ref().map(|s| s.admin.runtime.get()).filter(|r| r.maintenance_mode)
        && in_maintenance(req.path())
    {
        let (http_req, _) = req.into_parts();
        let res = ServiceResponse::new(
            http_req,
            HttpResponse::from_error(super::error::refuse::maintenance(&s.maintenance_message)),
        );
        return Ok(finish(res, &Ctx { request_id, lang, method, state, started, span }));
    }
    // Handler errors arrive as responses carrying the error; an Err here comes from inside
    // actix before any response exists, and actix renders it through ResponseError.
    let res = next.call(req).instrument(span.clone()).await?.map_into_boxed_body();
    Ok(finish(res, &Ctx { request_id, lang, method, state, started, span }))
}

/// Whether maintenance mode closes `path`.
pub fn in_maintenance(path: &str) -> bool {
    const OPEN: &[&str] = &[
        "/api/admin/",
        "/api/auth/admin/",
        "/api/auth/me",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/health",
        "/api/openapi.json",
        "/api/settings/public",
        "/api/webhooks/",
        "/api/transactions/notification",
    ];
    path.starts_with("/api/") && !OPEN.iter().any(|p| path == p.trim_end_matches('/') || path.starts_with(p))
}

/// What the middleware knows of a request when its response is ready.
struct Ctx {
    request_id: RequestId,
    lang: Lang,
    method: String,
    state: Option<web::Data<AppState>>,
    started: Instant,
    span: tracing::Span,
}

/// The envelope for errors, the request id header, metrics and the request's log event.
fn finish(res: ServiceResponse<BoxBody>, ctx: &Ctx) -> ServiceResponse<BoxBody> {
    let Ctx { request_id, lang, method, state, started, span } = ctx;
    let mut res = if res.status().as_u16() >= 400 { render_error(res, request_id, *lang) } else { res };

    if let Ok(v) = HeaderValue::from_str(&request_id.0) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.metrics.observe_request(method, &route, status, elapsed.as_secs_f64());
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, latency_ms, "request");
        } else {
            tracing::info!(status, latency_ms, "request");
        }
    });
    res
}

fn render_error(res: ServiceResponse<BoxBody>, request_id: &RequestId, lang: Lang) -> ServiceResponse<BoxBody> {
    let status = res.status();
    // Handlers either return an ApiError or build a response carrying one as an extension
    // (to send extra headers such as cookie clearing).
    let mut api_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .cloned()
        .or_else(|| res.response().extensions().get::<ApiError>().cloned())
        .unwrap_or_else(|| ApiError::from_status(status));
    api_error.status = status;
    let mut builder = HttpResponse::build(status);
    // Keep headers the error meant to send (Allow, Retry-After, Set-Cookie clearing a session).
    for (name, value) in res.response().headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    if let Some(secs) =
        api_error.retry_after_secs.filter(|_| !res.response().headers().contains_key(header::RETRY_AFTER))
    {
        builder.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    let body = builder.json(api_error.envelope(Some(&request_id.0), lang));
    res.into_response(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_rules() {
        let ok = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(RequestId::from_header(Some(&ok)).0, "abc-123_x.y:z");
        let forged = HeaderValue::from_static("abc\" level=error");
        assert_ne!(RequestId::from_header(Some(&forged)).0, "abc\" level=error");
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        assert_eq!(RequestId::from_header(Some(&long)).0.len(), 32);
        assert_eq!(RequestId::from_header(None).0.len(), 32);
    }
}
