//! Cookies, bearer/cookie authentication, and the Origin/Referer check for cookie-authenticated
//! changes.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponseBuilder};

use super::AppState;
use super::error::{ApiError, refuse};
use crate::auth::tokens::{self, Claims, TokenError};
use crate::captive::session::Tokens;

pub const ACCESS_COOKIE: &str = "auth_token";
pub const REFRESH_COOKIE: &str = "refresh_token";
/// A bound device's proof (auto-login needs it besides the router's word on the MAC).
pub const DEVICE_COOKIE: &str = "device_token";
/// Only the auth endpoints read the refresh and device cookies; nothing else is sent them.
const AUTH_PATH: &str = "/api/auth";

fn cookie(state: &AppState, name: &'static str, value: String, path: &'static str, max_age: u64) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.is_production())
        .max_age(CookieDuration::seconds(i64::try_from(max_age).unwrap_or(i64::MAX)))
        .finish()
}

/// Sets both session cookies.
pub fn set_session_cookies(res: &mut HttpResponseBuilder, state: &AppState, tokens: &Tokens) {
    set_access_cookie(res, state, &tokens.access);
    let ttl = state.settings.auth.refresh_ttl.as_secs();
    res.cookie(cookie(state, REFRESH_COOKIE, tokens.refresh.clone(), AUTH_PATH, ttl));
}

pub fn set_access_cookie(res: &mut HttpResponseBuilder, state: &AppState, access: &str) {
    res.cookie(cookie(state, ACCESS_COOKIE, access.to_owned(), "/", state.settings.auth.access_ttl.as_secs()));
}

/// Gives a bound device its proof cookie.
pub fn set_device_cookie(res: &mut HttpResponseBuilder, state: &AppState, proof: &str) {
    let ttl = state.settings.hotspot.device_cookie_ttl.as_secs();
    res.cookie(cookie(state, DEVICE_COOKIE, proof.to_owned(), AUTH_PATH, ttl));
}

/// The device cookie's value, when there is one.
pub fn device_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(DEVICE_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

/// The refresh cookie's value, when there is one.
pub fn refresh_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

pub fn clear_session_cookies(res: &mut HttpResponseBuilder, state: &AppState) {
    res.cookie(cookie(state, ACCESS_COOKIE, String::new(), "/", 0));
    res.cookie(cookie(state, REFRESH_COOKIE, String::new(), AUTH_PATH, 0));
}

#[derive(Debug, Clone)]
pub struct Authed {
    pub claims: Claims,
    /// Came from a cookie (so changes need an Origin check), not an Authorization header.
    pub via_cookie: bool,
    /// The session has work to finish (see `captive::witness`).
    pub attention: bool,
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let h = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The access token's claims, from `Authorization: Bearer` or the `auth_token` cookie, refused
/// when revoked (logout, a replayed refresh token, a block). `Err(token_expired)` lets callers fall back to the refresh cookie.
pub async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Authed, ApiError> {
    let (token, via_cookie) = match bearer(req) {
        Some(t) => (t, false),
        None => match req.cookie(ACCESS_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty()) {
            Some(t) => (t, true),
            None => return Err(refuse::auth_required()),
        },
    };
    let claims = state.captive.tokens.verify(&token).map_err(|e| match e {
        TokenError::Expired => refuse::token_expired(),
        TokenError::Invalid => refuse::auth_required(),
    })?;
    let token_state = tokens::state(&state.kv, &claims).await?;
    if token_state.revoked {
        return Err(refuse::auth_required());
    }
    let authed = Authed { claims, via_cookie, attention: token_state.attention };
    if authed.via_cookie {
        check_origin(req, state)?;
    }
    Ok(authed)
}

pub fn is_mutation(req: &HttpRequest) -> bool {
    !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A change whose Origin header names a site we do not trust (webhooks excepted: providers'
/// servers send no page's origin, and their signatures are checked).
pub fn foreign_origin(req: &HttpRequest, trusted: &[String]) -> bool {
    if !is_mutation(req) || req.path().starts_with("/api/webhooks/") {
        return false;
    }
    match req.headers().get("origin").and_then(|v| v.to_str().ok()) {
        Some(o) => !trusted.iter().any(|t| t.eq_ignore_ascii_case(o)),
        None => false,
    }
}

/// Cookie-authenticated changes must come from a trusted origin (CSRF). Reads pass.
pub fn check_origin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    if !is_mutation(req) {
        return Ok(());
    }
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
    let origin = match header("origin") {
        Some(o) => Some(o.to_owned()),
        None => header("referer").and_then(origin_of),
    };
    match origin {
        Some(o) if state.settings.trusted_origins.iter().any(|t| t.eq_ignore_ascii_case(&o)) => Ok(()),
        _ => Err(refuse::origin_invalid()),
    }
}

/// `https://host:port/path?x` → `https://host:port`.
fn origin_of(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(format!("{}{}", &url[..scheme_end], &rest[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_from_referers() {
        assert_eq!(origin_of("https://wifi.example.id/captive?x=1").as_deref(), Some("https://wifi.example.id"));
        assert_eq!(origin_of("http://localhost:3000").as_deref(), Some("http://localhost:3000"));
        assert_eq!(origin_of("nonsense"), None);
    }
}
