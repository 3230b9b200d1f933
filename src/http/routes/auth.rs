//! The captive and login endpoints of API.md ("Auth and captive"): parse, call the sign-in room,
//! render.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::captive::session::Tokens;
use crate::captive::{SignedIn, VerifyOtp};
use crate::domain::text::flexible_bool;
use crate::domain::{ClientIp, MacAddress, Msisdn, OtpCode};
use crate::http::AppState;
use crate::http::cookies::{
    check_origin, clear_session_cookies, device_cookie, refresh_cookie, set_access_cookie, set_device_cookie,
    set_session_cookies,
};
use crate::http::error::{ApiError, Lang, refuse};
use crate::http::extract::{Client, CurrentUser};
use crate::http::input::Input;

type Data = web::Data<AppState>;

#[derive(Deserialize, ToSchema)]
pub struct RequestOtpBody {
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$", example = "081234567890")]
    phone_number: Msisdn,
}

#[derive(Serialize, ToSchema)]
pub struct MessageBody {
    pub message: String,
}

#[utoipa::path(post, path = "/api/auth/request-otp", tag = "auth",
    request_body(content((RequestOtpBody = "application/json"), (RequestOtpBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = MessageBody),
        (status = 403, description = "ACCOUNT_STATUS: a rejected registration (a blocked or deactivated account gets its code, and verify-otp a session that only shows its state)"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 429, description = "RATE_LIMITED"),
        (status = 503, description = "WHATSAPP_UNAVAILABLE")))]
pub async fn request_otp(
    state: Data,
    req: HttpRequest,
    client: Client,
    input: Input<RequestOtpBody>,
) -> Result<HttpResponse, ApiError> {
    state.captive.request_code(&input.phone_number, client.0.ip.as_ref()).await?;
    let message =
        Lang::of(&req).pick("Kode OTP telah dikirim ke WhatsApp Anda.", "The code has been sent to your WhatsApp.");
    Ok(HttpResponse::Ok().json(MessageBody { message }))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyOtpBody {
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$", example = "081234567890")]
    phone_number: Msisdn,
    #[schema(value_type = String, pattern = "^[0-9]{6}$", example = "123456")]
    otp: OtpCode,
    #[schema(value_type = String, required = false, nullable = false, pattern = r"^(?:[1-9]|[1-9][0-9]|1[0-9]{2}|2[01][0-9]|22[0-3])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$", example = "10.5.50.11")]
    client_ip: Option<ClientIp>,
    #[schema(value_type = String, required = false, nullable = false, pattern = r"^(?:0[2468ACEace]|[1-9A-Fa-f][02468ACEace])(?:(?::[0-9A-Fa-f]{2}){5}|(?:-[0-9A-Fa-f]{2}){5})$", example = "02:DE:00:00:00:01")]
    client_mac: Option<MacAddress>,
    #[serde(default, deserialize_with = "flexible_bool")]
    hotspot_login_context: bool,
    /// Accepted and ignored: a device moves to another account only when the router witnesses
    /// the device's own hotspot login (or an admin moves it).
    #[serde(default, deserialize_with = "flexible_bool")]
    #[allow(dead_code)]
    confirm_device_takeover: bool,
}

#[derive(Serialize, ToSchema)]
pub struct LoginAnswer {
    access_token: String,
    token_type: &'static str,
    hotspot_login_required: bool,
    hotspot_binding_active: bool,
    session_token: String,
    session_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hotspot_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hotspot_password: Option<String>,
}

/// The answer to a sign-in, with the session cookies and a newly bound device's proof cookie.
fn signed_in(state: &AppState, s: SignedIn) -> Result<HttpResponse, ApiError> {
    let session = s.session.ok_or_else(ApiError::internal)?;
    let mut res = HttpResponse::Ok();
    set_session_cookies(&mut res, state, &session.tokens);
    if let Some(proof) = &s.device_proof {
        set_device_cookie(&mut res, state, proof);
    }
    Ok(res.json(LoginAnswer {
        access_token: session.tokens.access,
        token_type: "bearer",
        hotspot_login_required: s.router.login_required,
        hotspot_binding_active: s.router.binding_active,
        session_token: session.session_token,
        session_url: session.session_url,
        hotspot_username: s.router.hotspot_username,
        hotspot_password: s.router.hotspot_password,
    }))
}

#[utoipa::path(post, path = "/api/auth/verify-otp", tag = "auth",
    request_body(content((VerifyOtpBody = "application/json"), (VerifyOtpBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = LoginAnswer), (status = 401, description = "OTP_INVALID, DEVICE_NOT_FOUND"),
        (status = 403, description = "ACCOUNT_STATUS, DEVICE_MISMATCH, DEVICE_LIMIT"), (status = 404, description = "USER_NOT_FOUND"),
        (status = 409, description = "DEVICE_TAKEOVER_REQUIRED: the device is another account's (only the router's witness moves it)"),
        (status = 429, description = "OTP_LOCKED, RATE_LIMITED"),
        (status = 502, description = "ROUTER_ERROR"), (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn verify_otp(state: Data, client: Client, input: Input<VerifyOtpBody>) -> Result<HttpResponse, ApiError> {
    let b = input.0;
    let signed = state
        .captive
        .verify_otp(VerifyOtp {
            phone: b.phone_number,
            otp: b.otp.as_str().to_owned(),
            ip: b.client_ip,
            mac_hint: b.client_mac,
            hotspot_login_context: b.hotspot_login_context,
            client: client.0,
        })
        .await?;
    signed_in(&state, signed)
}

#[derive(Deserialize, ToSchema)]
pub struct ClientHints {
    #[schema(value_type = String, required = false, nullable = false, pattern = r"^(?:[1-9]|[1-9][0-9]|1[0-9]{2}|2[01][0-9]|22[0-3])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$", example = "10.5.50.11")]
    client_ip: Option<ClientIp>,
    #[schema(value_type = String, required = false, nullable = false, pattern = r"^(?:0[2468ACEace]|[1-9A-Fa-f][02468ACEace])(?:(?::[0-9A-Fa-f]{2}){5}|(?:-[0-9A-Fa-f]{2}){5})$", example = "02:DE:00:00:00:01")]
    client_mac: Option<MacAddress>,
    #[serde(default, deserialize_with = "flexible_bool")]
    hotspot_login_context: bool,
}

#[utoipa::path(post, path = "/api/auth/auto-login", tag = "auth",
    request_body(content((ClientHints = "application/json"), (ClientHints = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = LoginAnswer), (status = 401, description = "DEVICE_NOT_FOUND, DEVICE_PROOF_REQUIRED"),
        (status = 403, description = "ACCOUNT_STATUS, DEVICE_MISMATCH, OUTSIDE_HOTSPOT"), (status = 429, description = "RATE_LIMITED"),
        (status = 502, description = "ROUTER_ERROR"), (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn auto_login(
    state: Data,
    req: HttpRequest,
    client: Client,
    input: Input<ClientHints>,
) -> Result<HttpResponse, ApiError> {
    let h = input.0;
    let proof = device_cookie(&req);
    let signed = state.captive.auto_login(h.client_ip, h.client_mac, proof, h.hotspot_login_context, client.0).await?;
    signed_in(&state, signed)
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    #[schema(min_length = 1, max_length = 200)]
    token: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessAnswer {
    access_token: String,
    token_type: &'static str,
}

/// `{access_token, token_type}` with the session cookies.
fn session_answer(state: &AppState, tokens: Tokens) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    set_session_cookies(&mut res, state, &tokens);
    res.json(AccessAnswer { access_token: tokens.access, token_type: "bearer" })
}

#[utoipa::path(post, path = "/api/auth/session/consume", tag = "auth",
    request_body(content((TokenBody = "application/json"), (TokenBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = AccessAnswer), (status = 401, description = "SESSION_INVALID"),
        (status = 403, description = "ACCOUNT_STATUS")))]
pub async fn session_consume(state: Data, client: Client, input: Input<TokenBody>) -> Result<HttpResponse, ApiError> {
    let tokens = state.captive.consume_session_token(&input.token, client.0).await?;
    Ok(session_answer(&state, tokens))
}

/// A 401 that also clears the session cookies (the refresh token is dead).
fn unauthorized_clearing(state: &AppState, err: ApiError) -> HttpResponse {
    // The envelope middleware re-renders the body; the cookie-clearing headers are kept.
    let mut res = HttpResponse::build(err.status);
    clear_session_cookies(&mut res, state);
    let mut out = res.json(err.envelope(None, Lang::Id));
    out.extensions_mut().insert(err);
    out
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth",
    responses((status = 200, body = AccessAnswer), (status = 401, description = "AUTH_REQUIRED, SESSION_INVALID"),
        (status = 403, description = "ORIGIN_INVALID")))]
pub async fn refresh_session(state: Data, req: HttpRequest, client: Client) -> Result<HttpResponse, ApiError> {
    check_origin(&req, &state)?;
    let token = refresh_cookie(&req).ok_or_else(refuse::auth_required)?;
    match state.captive.rotate(token, client.0).await? {
        Some((_, tokens)) => Ok(session_answer(&state, tokens)),
        None => Ok(unauthorized_clearing(&state, refuse::session_invalid())),
    }
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = super::me::MeAnswer), (status = 401, description = "AUTH_REQUIRED, AUTH_TOKEN_EXPIRED")))]
pub async fn me(
    state: Data,
    req: HttpRequest,
    client: Client,
    user: Result<CurrentUser, ApiError>,
) -> Result<HttpResponse, ApiError> {
    match user {
        Ok(u) => {
            let handover =
                if u.0.attention { state.captive.finish_pending(&u.0.claims, &client.0).await? } else { None };
            let user = state.captive.user_by_id(u.id()).await?.ok_or_else(refuse::auth_required)?;
            let mut res = HttpResponse::Ok();
            hand_over(&mut res, &state, handover);
            Ok(res.json(super::me::answer(&state, user)))
        }
        Err(e) if e.code.is_unauthenticated() => {
            // Silent refresh: an expired or missing access cookie with a valid refresh cookie.
            let Some(token) = refresh_cookie(&req) else { return Err(e) };
            match state.captive.rotate(token, client.0).await? {
                Some((user, tokens)) => {
                    let mut res = HttpResponse::Ok();
                    set_session_cookies(&mut res, &state, &tokens);
                    Ok(res.json(super::me::answer(&state, user)))
                }
                None => Ok(unauthorized_clearing(&state, e)),
            }
        }
        Err(e) => Err(e),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionStatusAnswer {
    hotspot_login_required: bool,
    hotspot_binding_active: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HintQuery {
    #[param(value_type = Option<String>, pattern = r"^(?:[1-9]|[1-9][0-9]|1[0-9]{2}|2[01][0-9]|22[0-3])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$")]
    client_ip: Option<ClientIp>,
    #[param(value_type = Option<String>, pattern = r"^(?:0[2468ACEace]|[1-9A-Fa-f][02468ACEace])(?:(?::[0-9A-Fa-f]{2}){5}|(?:-[0-9A-Fa-f]{2}){5})$")]
    client_mac: Option<MacAddress>,
}

/// A device the router witnessed: its proof cookie, and an access token that names it.
fn hand_over(res: &mut actix_web::HttpResponseBuilder, state: &AppState, handover: Option<crate::captive::Handover>) {
    if let Some(h) = handover {
        set_device_cookie(res, state, &h.device_proof);
        set_access_cookie(res, state, &h.access);
    }
}

#[utoipa::path(get, path = "/api/auth/hotspot-session-status", tag = "auth", params(HintQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SessionStatusAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "DEVICE_MISMATCH"), (status = 502, description = "ROUTER_ERROR"),
        (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn hotspot_session_status(
    state: Data,
    client: Client,
    user: CurrentUser,
    input: Input<HintQuery>,
) -> Result<HttpResponse, ApiError> {
    let h = input.0;
    let handover = if user.0.attention { state.captive.finish_pending(&user.0.claims, &client.0).await? } else { None };
    let device = state.captive.hotspot_session_status(user.id(), h.client_ip, h.client_mac, &client.0).await?;
    let mut res = HttpResponse::Ok();
    hand_over(&mut res, &state, handover);
    // No device in question (the portal, off the hotspot): there is no hotspot login to pass.
    let (required, active) = match device {
        None => (false, false),
        Some(active) => (!active, active),
    };
    Ok(res.json(SessionStatusAnswer { hotspot_login_required: required, hotspot_binding_active: active }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllQuery {
    /// Every session and device of the user.
    #[serde(default, deserialize_with = "flexible_bool")]
    #[param(value_type = Option<bool>)]
    all: bool,
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = []), ("cookie" = [])), params(AllQuery),
    responses((status = 200, body = MessageBody), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "ORIGIN_INVALID")))]
pub async fn logout(
    state: Data,
    req: HttpRequest,
    q: web::Query<AllQuery>,
    user: Result<CurrentUser, ApiError>,
) -> Result<HttpResponse, ApiError> {
    match user {
        Ok(u) => state.captive.logout(&u.0.claims, q.all).await?,
        Err(e) if e.code.is_unauthenticated() => {
            // An expired access token still logs out the session of its refresh cookie.
            check_origin(&req, &state)?;
            let Some(token) = refresh_cookie(&req) else { return Err(e) };
            state.captive.logout_with_refresh(token, q.all).await?;
        }
        Err(e) => return Err(e),
    }
    let mut res = HttpResponse::Ok();
    clear_session_cookies(&mut res, &state);
    Ok(res.json(MessageBody { message: Lang::of(&req).pick("Anda telah keluar.", "You are signed out.") }))
}

#[derive(Serialize, ToSchema)]
pub struct ResetAnswer {
    message: String,
    network_reset: bool,
}

#[utoipa::path(post, path = "/api/auth/reset-login", tag = "auth", security(("bearer" = []), ("cookie" = [])),
    request_body(content((ClientHints = "application/json"), (ClientHints = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = ResetAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "ORIGIN_INVALID"), (status = 502, description = "ROUTER_ERROR"),
        (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn reset_login(
    state: Data,
    req: HttpRequest,
    client: Client,
    user: CurrentUser,
    input: Input<ClientHints>,
) -> Result<HttpResponse, ApiError> {
    let reset = state.captive.reset_login(&user.0.claims, input.0.client_ip, &client.0).await?;
    let message =
        Lang::of(&req).pick("Koneksi perangkat ini sudah diatur ulang.", "This device's network access was reset.");
    Ok(HttpResponse::Ok().json(ResetAnswer { message, network_reset: reset }))
}

#[derive(Deserialize, ToSchema)]
pub struct AdminLoginBody {
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    username: Msisdn,
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

#[utoipa::path(post, path = "/api/auth/admin/login", tag = "auth",
    request_body(content((AdminLoginBody = "application/json"), (AdminLoginBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = AccessAnswer), (status = 401, description = "INVALID_CREDENTIALS"),
        (status = 403, description = "ACCOUNT_STATUS"), (status = 429, description = "RATE_LIMITED")))]
pub async fn admin_login(
    state: Data,
    req: HttpRequest,
    client: Client,
    input: Input<AdminLoginBody>,
) -> Result<HttpResponse, ApiError> {
    let b = input.0;
    let ip = client.0.ip;
    let result = state.captive.password_login(&b.username, b.password, client.0).await;
    // Sign-ins and failed attempts are in the audit trail (a rate-limited attempt is not one).
    let attempted = match &result {
        Ok(_) => Some(true),
        Err(crate::captive::CaptiveError::InvalidCredentials) => Some(false),
        Err(_) => None,
    };
    if let Some(ok) = attempted {
        let rid = crate::http::context::request_id(&req);
        if let Err(e) = state.admin.record_login(&b.username, ok, rid, ip).await {
            tracing::error!(error = %e, "admin login not written to the audit trail");
        }
    }
    Ok(session_answer(&state, result?))
}

#[derive(Deserialize, ToSchema)]
pub struct StatusTokenBody {
    #[schema(max_length = 50)]
    status: String,
    #[schema(max_length = 500)]
    token: String,
}

#[derive(Serialize, ToSchema)]
pub struct ValidAnswer {
    valid: bool,
}

#[utoipa::path(post, path = "/api/auth/status-token/verify", tag = "auth",
    request_body(content((StatusTokenBody = "application/json"), (StatusTokenBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = ValidAnswer)))]
pub async fn status_token_verify(state: Data, input: Input<StatusTokenBody>) -> Result<HttpResponse, ApiError> {
    let valid = state.captive.status_token_valid(&input.status, &input.token);
    Ok(HttpResponse::Ok().json(json!({ "valid": valid })))
}
