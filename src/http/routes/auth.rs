//! The captive and login endpoints of API.md ("Auth and captive").

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::crypto::hmac_hex;
use crate::auth::otp::Check;
use crate::auth::ratelimit::{self, Verdict};
use crate::auth::refresh::{self, Rotation};
use crate::auth::{session, status_token, tokens};
use crate::captive::{self, LoginRecord, RouterOutcome};
use crate::db::models::User;
use crate::db::schema::{login_history, user_devices, users};
use crate::domain::text::flexible_bool;
use crate::domain::{AccessStatus, ApprovalStatus, ClientIp, MacAddress, Msisdn, Role};
use crate::http::AppState;
use crate::http::error::{ApiError, Lang, refuse};
use crate::http::input::Input;
use crate::http::meta::RequestMeta;
use crate::http::session::{REFRESH_COOKIE, authenticate, check_origin, clear_session_cookies, set_session_cookies};
use crate::users::{self as user_store, CreateUser, UserError};
use crate::whatsapp::SendError;

type Data = web::Data<AppState>;

/// Six digits, from a string or a JSON number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl<'de> Deserialize<'de> for OtpCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let s = match v {
            serde_json::Value::String(s) => s.trim().to_owned(),
            serde_json::Value::Number(n) if n.as_u64().is_some_and(|n| n < 1_000_000) => {
                format!("{:06}", n.as_u64().unwrap_or(0))
            }
            _ => return Err(serde::de::Error::custom("the code must be 6 digits")),
        };
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(OtpCode(s))
        } else {
            Err(serde::de::Error::custom("the code must be 6 digits"))
        }
    }
}

fn lang(req: &HttpRequest) -> Lang {
    Lang::from_accept_language(req.headers().get("accept-language").and_then(|v| v.to_str().ok()))
}

fn text(req: &HttpRequest, id: &str, en: &str) -> String {
    match lang(req) {
        Lang::Id => id.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn meta(req: &HttpRequest, state: &AppState) -> RequestMeta {
    RequestMeta::of(req, &state.settings.trusted_proxies)
}

/// Rate-limit keys are keyed hashes: no raw numbers or addresses in Redis key names.
fn rl_key(state: &AppState, kind: &str, value: &str) -> String {
    format!("{kind}:{}", &hmac_hex(state.settings.otp_secret.as_bytes(), &[kind.as_bytes(), value.as_bytes()])[..24])
}

async fn limit(state: &AppState, kind: &str, value: &str, max: u32, window: u64) -> Result<(), ApiError> {
    match ratelimit::hit(&state.kv, &rl_key(state, kind, value), max, window).await? {
        Verdict::Allowed => Ok(()),
        Verdict::Limited(secs) => Err(refuse::rate_limited(secs, kind)),
    }
}

async fn load_user_by_phone(state: &AppState, phone: &Msisdn) -> Result<Option<User>, ApiError> {
    let phone = phone.clone();
    Ok(state.db.run(move |conn| user_store::find_by_phone(conn, &phone)).await?)
}

async fn load_user(state: &AppState, id: Uuid) -> Result<Option<User>, ApiError> {
    Ok(state.db.run(move |conn| Ok(users::table.find(id).select(User::as_select()).first(conn).optional()?)).await?)
}

fn status_refusal(state: &AppState, status: AccessStatus) -> ApiError {
    refuse::account_status(status, status_token::issue(state.settings.jwt_secret.as_bytes(), status))
}

/// Only approved, active, unblocked accounts may sign in.
fn ensure_can_sign_in(state: &AppState, u: &User) -> Result<(), ApiError> {
    if u.is_blocked {
        return Err(status_refusal(state, AccessStatus::Blocked));
    }
    if !u.is_active || u.approval_status != ApprovalStatus::Approved.as_str() {
        return Err(status_refusal(state, AccessStatus::Inactive));
    }
    Ok(())
}

fn role_of(u: &User) -> Result<Role, ApiError> {
    u.role.parse::<Role>().map_err(|e| {
        tracing::error!(error = %e, "user row with an unknown role");
        ApiError::internal()
    })
}

#[derive(Deserialize, ToSchema)]
pub struct RequestOtpBody {
    #[schema(value_type = String, example = "081234567890")]
    phone_number: Msisdn,
}

#[derive(Serialize, ToSchema)]
pub struct MessageBody {
    message: String,
}

#[utoipa::path(post, path = "/api/auth/request-otp", tag = "auth", request_body = RequestOtpBody,
    responses((status = 200, body = MessageBody), (status = 404), (status = 403), (status = 429), (status = 503)))]
pub async fn request_otp(
    state: Data,
    req: HttpRequest,
    input: Input<RequestOtpBody>,
) -> Result<HttpResponse, ApiError> {
    let a = &state.settings.auth;
    let phone = &input.phone_number;
    if let Some(ip) = meta(&req, &state).client_ip {
        limit(&state, "otp-ip", &ip.as_text(), a.otp_per_ip_per_hour, 3_600).await?;
    }
    let user = load_user_by_phone(&state, phone).await?.ok_or_else(refuse::user_not_found)?;
    ensure_can_sign_in(&state, &user)?;
    let Some(messenger) = state.messenger.clone() else {
        return Err(refuse::whatsapp_unavailable());
    };
    if let Err(secs) = state.otp.take_cooldown(phone).await? {
        return Err(refuse::rate_limited(secs, "cooldown"));
    }
    let phone_key = rl_key(&state, "otp-phone", phone.as_e164());
    if let Verdict::Limited(secs) = ratelimit::hit(&state.kv, &phone_key, a.otp_per_phone_per_hour, 3_600).await? {
        state.otp.release_cooldown(phone).await?;
        return Err(refuse::rate_limited(secs, "otp-phone"));
    }
    let code = state.otp.issue(phone).await?;
    let minutes = (state.otp.ttl().as_secs() / 60).max(1).to_string();
    match messenger.send(Some(user.id), phone, "otp", &[("code", &code), ("minutes", &minutes)]).await {
        Ok(_) => Ok(HttpResponse::Ok().json(MessageBody {
            message: text(&req, "Kode OTP telah dikirim ke WhatsApp Anda.", "The code has been sent to your WhatsApp."),
        })),
        Err(e) => {
            // No code left behind, cooldown and hourly allowance given back.
            state.otp.withdraw(phone).await?;
            ratelimit::refund(&state.kv, &phone_key, 3_600).await?;
            match e {
                SendError::Unavailable(_) => Err(refuse::whatsapp_unavailable()),
                SendError::Db(db) => Err(db.into()),
                SendError::Template(t) => {
                    tracing::error!(error = %t, "otp template failed");
                    Err(ApiError::internal())
                }
            }
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyOtpBody {
    #[schema(value_type = String, example = "081234567890")]
    phone_number: Msisdn,
    #[schema(value_type = String, example = "123456")]
    otp: OtpCode,
    #[schema(value_type = Option<String>, example = "10.5.50.11")]
    client_ip: Option<ClientIp>,
    #[schema(value_type = Option<String>, example = "02:DE:00:00:00:01")]
    client_mac: Option<MacAddress>,
    #[serde(default, deserialize_with = "flexible_bool")]
    hotspot_login_context: bool,
    #[serde(default, deserialize_with = "flexible_bool")]
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

fn client_ip_of(state: &AppState, req: &HttpRequest, hinted: Option<ClientIp>) -> Result<ClientIp, ApiError> {
    hinted.or(meta(req, state).client_ip).ok_or_else(|| ApiError::validation("client_ip", "the client IP is unknown"))
}

/// The end of every successful device login: one database statement, tokens, a one-time
/// session token, cookies.
#[allow(clippy::too_many_arguments)]
async fn finish_login(
    state: &AppState,
    req: &HttpRequest,
    user: &User,
    mac: MacAddress,
    ip: ClientIp,
    evict: Vec<(i64, String)>,
    method: &'static str,
    outcome: RouterOutcome,
    hotspot_login_context: bool,
) -> Result<HttpResponse, ApiError> {
    let role = role_of(user)?;
    let family = Uuid::new_v4();
    let refresh = refresh::mint(family, state.settings.auth.refresh_ttl);
    let record = (
        user.id,
        mac,
        ip,
        evict.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        meta(req, state).user_agent,
        refresh.hash.to_vec(),
        refresh.expires_at,
    );
    let device_id = state
        .db
        .run(move |conn| {
            let (user, mac, ip, evict, user_agent, refresh_hash, refresh_expires) = record;
            captive::record_login(
                conn,
                LoginRecord {
                    user,
                    mac: &mac,
                    ip: &ip,
                    evict,
                    method,
                    user_agent,
                    refresh_hash,
                    family,
                    refresh_expires,
                },
            )
        })
        .await?;
    if !evict.is_empty() {
        let captive = state.captive.clone();
        let macs: Vec<MacAddress> = evict.iter().filter_map(|(_, m)| MacAddress::parse(m).ok()).collect();
        tokio::spawn(async move { captive.forget_on_router(&macs, &[]).await });
    }
    let (access, _) =
        state.tokens.issue(user.id, role, Some(family), Some(device_id)).map_err(|_| ApiError::internal())?;
    let grant = session::SessionGrant { user: user.id, device: Some(device_id) };
    let session_token = session::create(&state.kv, &grant, state.settings.auth.session_token_ttl).await?;
    let next = if hotspot_login_context { "/captive/terhubung" } else { "/dashboard" };
    let query = serde_urlencoded::to_string([("token", session_token.as_str()), ("next", next)])
        .map_err(|_| ApiError::internal())?;
    let body = LoginAnswer {
        access_token: access.clone(),
        token_type: "bearer",
        hotspot_login_required: outcome.login_required,
        hotspot_binding_active: outcome.binding_active,
        session_url: format!("{}/session/consume?{query}", state.settings.public_base_url),
        session_token,
        hotspot_username: outcome.hotspot_username,
        hotspot_password: outcome.hotspot_password,
    };
    let mut res = HttpResponse::Ok();
    set_session_cookies(&mut res, state, &access, &refresh.token);
    tracing::info!(user = %user.id, method, status = %outcome.status, "device signed in");
    Ok(res.json(body))
}

#[utoipa::path(post, path = "/api/auth/verify-otp", tag = "auth", request_body = VerifyOtpBody,
    responses((status = 200, body = LoginAnswer), (status = 401), (status = 403), (status = 404), (status = 409), (status = 429), (status = 503)))]
pub async fn verify_otp(state: Data, req: HttpRequest, input: Input<VerifyOtpBody>) -> Result<HttpResponse, ApiError> {
    let body = input.0;
    let phone = &body.phone_number;
    let user = load_user_by_phone(&state, phone).await?.ok_or_else(refuse::user_not_found)?;
    ensure_can_sign_in(&state, &user)?;
    let hash = match state.otp.check(phone, &body.otp.0).await? {
        Check::Valid { hash } => hash,
        Check::Invalid { remaining } => return Err(refuse::otp_invalid(remaining)),
        Check::Locked { retry_after } => return Err(refuse::otp_locked(retry_after)),
    };
    let ip = client_ip_of(&state, &req, body.client_ip)?;
    // The router decides which device this is; until the code is consumed, every failure
    // (router down included) leaves it valid for a retry.
    let mac = state.captive.resolve_mac(&ip, body.client_mac.as_ref()).await?;
    let rows = state.captive.device_rows(user.id, &mac).await?;
    let plan = state.captive.plan(user.id, &mac, &rows, body.confirm_device_takeover)?;
    let outcome = state.captive.apply_router(&user, phone, &mac, &ip).await?;
    if !state.otp.consume(phone, &hash).await? {
        return Err(refuse::otp_invalid(0));
    }
    finish_login(&state, &req, &user, mac, ip, plan.evict, "otp", outcome, body.hotspot_login_context).await
}

#[derive(Deserialize, ToSchema)]
pub struct ClientHints {
    #[schema(value_type = Option<String>)]
    client_ip: Option<ClientIp>,
    #[schema(value_type = Option<String>)]
    client_mac: Option<MacAddress>,
    #[serde(default, deserialize_with = "flexible_bool")]
    hotspot_login_context: bool,
}

#[utoipa::path(post, path = "/api/auth/auto-login", tag = "auth", request_body = ClientHints,
    responses((status = 200, body = LoginAnswer), (status = 401), (status = 403), (status = 503)))]
pub async fn auto_login(state: Data, req: HttpRequest, input: Input<ClientHints>) -> Result<HttpResponse, ApiError> {
    let hints = input.0;
    let ip = client_ip_of(&state, &req, hints.client_ip)?;
    limit(&state, "auto-login-ip", &ip.as_text(), 30, 60).await?;
    let mac = state.captive.resolve_mac(&ip, hints.client_mac.as_ref()).await?;
    let mac_text = mac.canonical();
    let user: Option<User> = state
        .db
        .run(move |conn| {
            Ok(user_devices::table
                .inner_join(users::table)
                .filter(user_devices::mac_address.eq(mac_text))
                .filter(user_devices::is_authorized.eq(true))
                .select(User::as_select())
                .first(conn)
                .optional()?)
        })
        .await?;
    let user = user.ok_or_else(refuse::device_not_found)?;
    ensure_can_sign_in(&state, &user)?;
    let phone = Msisdn::parse(&user.phone_number).map_err(|_| ApiError::internal())?;
    let outcome = state.captive.apply_router(&user, &phone, &mac, &ip).await?;
    finish_login(&state, &req, &user, mac, ip, vec![], "auto_login", outcome, hints.hotspot_login_context).await
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    token: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessAnswer {
    access_token: String,
    token_type: &'static str,
}

/// A fresh session (new refresh family) for `user`, with cookies.
async fn new_session(
    state: &AppState,
    req: &HttpRequest,
    user: &User,
    device: Option<i64>,
    method: &'static str,
) -> Result<HttpResponse, ApiError> {
    let role = role_of(user)?;
    let family = Uuid::new_v4();
    let refresh = refresh::mint(family, state.settings.auth.refresh_ttl);
    let m = meta(req, state);
    let (uid, ip, ua, r) = (user.id, m.client_ip.map(|i| i.as_text()), m.user_agent, refresh.clone());
    state
        .db
        .transaction(move |conn| {
            refresh::insert(conn, uid, &r, ip.as_deref(), ua.as_deref())?;
            diesel::insert_into(login_history::table)
                .values((
                    login_history::user_id.eq(uid),
                    login_history::device_id.eq(device),
                    login_history::method.eq(method),
                    login_history::ip_address.eq(ip.as_deref()),
                    login_history::user_agent.eq(ua.as_deref()),
                ))
                .execute(conn)?;
            diesel::update(users::table.find(uid)).set(users::last_login_at.eq(Utc::now())).execute(conn)?;
            Ok(())
        })
        .await?;
    let (access, _) = state.tokens.issue(user.id, role, Some(family), device).map_err(|_| ApiError::internal())?;
    let mut res = HttpResponse::Ok();
    set_session_cookies(&mut res, state, &access, &refresh.token);
    Ok(res.json(AccessAnswer { access_token: access, token_type: "bearer" }))
}

#[utoipa::path(post, path = "/api/auth/session/consume", tag = "auth", request_body = TokenBody,
    responses((status = 200, body = AccessAnswer), (status = 401)))]
pub async fn session_consume(state: Data, req: HttpRequest, input: Input<TokenBody>) -> Result<HttpResponse, ApiError> {
    let grant = session::consume(&state.kv, input.token.trim()).await?.ok_or_else(refuse::session_invalid)?;
    let user = load_user(&state, grant.user).await?.ok_or_else(refuse::session_invalid)?;
    ensure_can_sign_in(&state, &user)?;
    new_session(&state, &req, &user, grant.device, "session_token").await
}

fn refresh_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

/// Rotates the refresh cookie. `Ok(None)`: not valid (cookies should be cleared).
async fn rotate(
    state: &AppState,
    req: &HttpRequest,
    token: String,
) -> Result<Option<(User, String, String)>, ApiError> {
    let a = state.settings.auth.clone();
    let m = meta(req, state);
    let (ip, ua) = (m.client_ip.map(|i| i.as_text()), m.user_agent);
    let rotation = state
        .db
        .run(move |conn| refresh::rotate(conn, &token, a.refresh_ttl, a.refresh_grace, ip.as_deref(), ua.as_deref()))
        .await?;
    match rotation {
        Rotation::Rotated { next, user, role } => {
            let Some(u) = load_user(state, user).await? else { return Ok(None) };
            let (access, _) =
                state.tokens.issue(user, role, Some(next.family), None).map_err(|_| ApiError::internal())?;
            Ok(Some((u, access, next.token)))
        }
        Rotation::ReuseDetected => {
            tracing::warn!("refresh token reuse detected; family revoked");
            Ok(None)
        }
        Rotation::Invalid => Ok(None),
    }
}

fn unauthorized_clearing(state: &AppState, err: ApiError) -> HttpResponse {
    // The envelope middleware re-renders the body; the cookie-clearing headers are kept.
    let mut res = HttpResponse::build(err.status);
    clear_session_cookies(&mut res, state);
    let mut out = res.json(err.envelope(None, Lang::Id));
    out.extensions_mut().insert(err);
    out
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth",
    responses((status = 200, body = AccessAnswer), (status = 401), (status = 403)))]
pub async fn refresh_session(state: Data, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    check_origin(&req, &state)?;
    let token = refresh_cookie(&req).ok_or_else(refuse::auth_required)?;
    match rotate(&state, &req, token).await? {
        Some((_, access, refresh_token)) => {
            let mut res = HttpResponse::Ok();
            set_session_cookies(&mut res, &state, &access, &refresh_token);
            Ok(res.json(AccessAnswer { access_token: access, token_type: "bearer" }))
        }
        None => Ok(unauthorized_clearing(&state, refuse::session_invalid())),
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeAnswer {
    id: Uuid,
    phone_number: String,
    full_name: String,
    role: String,
    approval_status: String,
    is_active: bool,
    is_blocked: bool,
    blocked_reason: Option<String>,
    is_unlimited_user: bool,
    quota_purchased_bytes: i64,
    quota_used_bytes: i64,
    quota_remaining_bytes: i64,
    quota_expiry_date: Option<DateTime<Utc>>,
    access_status: String,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
}

pub fn me_answer(state: &AppState, u: User) -> MeAnswer {
    let status = state.captive.status_of(&u);
    MeAnswer {
        id: u.id,
        quota_remaining_bytes: u.quota_remaining_bytes(),
        phone_number: u.phone_number,
        full_name: u.full_name,
        role: u.role,
        approval_status: u.approval_status,
        is_active: u.is_active,
        is_blocked: u.is_blocked,
        blocked_reason: u.blocked_reason,
        is_unlimited_user: u.is_unlimited_user,
        quota_purchased_bytes: u.quota_purchased_bytes,
        quota_used_bytes: u.quota_used_bytes,
        quota_expiry_date: u.quota_expiry_date,
        access_status: status.as_str().to_owned(),
        created_at: u.created_at,
        last_login_at: u.last_login_at,
    }
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", responses((status = 200, body = MeAnswer), (status = 401)))]
pub async fn me(state: Data, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match authenticate(&req, &state).await {
        Ok(a) => {
            let user = load_user(&state, a.claims.sub).await?.ok_or_else(refuse::auth_required)?;
            Ok(HttpResponse::Ok().json(me_answer(&state, user)))
        }
        Err(e) if matches!(e.code, "AUTH_REQUIRED" | "AUTH_TOKEN_EXPIRED") => {
            // Silent refresh: an expired or missing access cookie with a valid refresh cookie.
            let Some(token) = refresh_cookie(&req) else { return Err(e) };
            match rotate(&state, &req, token).await? {
                Some((user, access, refresh_token)) => {
                    let mut res = HttpResponse::Ok();
                    set_session_cookies(&mut res, &state, &access, &refresh_token);
                    Ok(res.json(me_answer(&state, user)))
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

#[utoipa::path(get, path = "/api/auth/hotspot-session-status", tag = "auth",
    params(("client_ip" = Option<String>, Query), ("client_mac" = Option<String>, Query)),
    responses((status = 200, body = SessionStatusAnswer), (status = 503)))]
pub async fn hotspot_session_status(
    state: Data,
    req: HttpRequest,
    input: Input<ClientHints>,
) -> Result<HttpResponse, ApiError> {
    let hints = input.0;
    let ip = client_ip_of(&state, &req, hints.client_ip)?;
    let ops = state.router.as_ref().ok_or_else(refuse::router_unavailable)?;
    let mac = match ops.mac_for_ip(&ip).await {
        Ok(Some((mac, _))) => mac,
        Ok(None) => {
            return Ok(HttpResponse::Ok()
                .json(SessionStatusAnswer { hotspot_login_required: true, hotspot_binding_active: false }));
        }
        Err(e) => return Err(captive::CaptiveError::from(e).into()),
    };
    if hints.client_mac.is_some_and(|h| h != mac) {
        return Err(refuse::device_mismatch());
    }
    let bindings = ops.bindings_for(&mac).await.map_err(captive::CaptiveError::from)?;
    let active = bindings.iter().any(|b| b.kind == crate::router::rows::BindingType::Bypassed && !b.disabled);
    Ok(HttpResponse::Ok().json(SessionStatusAnswer { hotspot_login_required: !active, hotspot_binding_active: active }))
}

#[derive(Deserialize)]
pub struct AllQuery {
    #[serde(default, deserialize_with = "flexible_bool")]
    all: bool,
}

/// Deauthorizes devices: router entries removed (best effort is not enough here: a router that
/// is down answers 503 after the session itself is already revoked), rows marked.
async fn deauthorize(state: &AppState, user: Uuid, device: Option<i64>) -> Result<(), ApiError> {
    let rows: Vec<(i64, String, Option<String>)> = state
        .db
        .run(move |conn| {
            let mut q = user_devices::table.filter(user_devices::user_id.eq(user)).into_boxed();
            if let Some(d) = device {
                q = q.filter(user_devices::id.eq(d));
            }
            let rows = q.select((user_devices::id, user_devices::mac_address, user_devices::ip_address)).load(conn)?;
            let ids: Vec<i64> = rows.iter().map(|r: &(i64, String, Option<String>)| r.0).collect();
            diesel::update(user_devices::table.filter(user_devices::id.eq_any(ids)))
                .set((user_devices::is_authorized.eq(false), user_devices::deauthorized_at.eq(Utc::now())))
                .execute(conn)?;
            Ok(rows)
        })
        .await?;
    let macs: Vec<MacAddress> = rows.iter().filter_map(|r| MacAddress::parse(&r.1).ok()).collect();
    let ips: Vec<ClientIp> = rows.iter().filter_map(|r| r.2.as_deref().and_then(|i| ClientIp::parse(i).ok())).collect();
    state.captive.forget_on_router(&macs, &ips).await;
    Ok(())
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", params(("all" = Option<bool>, Query)),
    responses((status = 200, body = MessageBody), (status = 401), (status = 403)))]
pub async fn logout(state: Data, req: HttpRequest, q: web::Query<AllQuery>) -> Result<HttpResponse, ApiError> {
    let all = q.all;
    match authenticate(&req, &state).await {
        Ok(a) => {
            let c = a.claims.clone();
            state
                .db
                .run(move |conn| {
                    if all {
                        refresh::revoke_all(conn, c.sub, "logout_all")?;
                    } else if let Some(f) = c.fam {
                        refresh::revoke_family(conn, f, "logout")?;
                    }
                    Ok(())
                })
                .await?;
            tokens::deny(&state.kv, &a.claims).await?;
            deauthorize(&state, a.claims.sub, if all { None } else { a.claims.did }).await?;
        }
        Err(e) if matches!(e.code, "AUTH_REQUIRED" | "AUTH_TOKEN_EXPIRED") => {
            // An expired access token still logs out the session of its refresh cookie.
            check_origin(&req, &state)?;
            let Some(token) = refresh_cookie(&req) else { return Err(e) };
            state
                .db
                .run(move |conn| {
                    if let Some((family, user)) = refresh::family_of(conn, &token)? {
                        if all {
                            refresh::revoke_all(conn, user, "logout_all")?;
                        } else {
                            refresh::revoke_family(conn, family, "logout")?;
                        }
                    }
                    Ok(())
                })
                .await?;
        }
        Err(e) => return Err(e),
    }
    let mut res = HttpResponse::Ok();
    clear_session_cookies(&mut res, &state);
    Ok(res.json(MessageBody { message: text(&req, "Anda telah keluar.", "You are signed out.") }))
}

#[derive(Serialize, ToSchema)]
pub struct ResetAnswer {
    message: String,
    network_reset: bool,
}

#[utoipa::path(post, path = "/api/auth/reset-login", tag = "auth", request_body = ClientHints,
    responses((status = 200, body = ResetAnswer), (status = 401), (status = 503)))]
pub async fn reset_login(state: Data, req: HttpRequest, input: Input<ClientHints>) -> Result<HttpResponse, ApiError> {
    let a = authenticate(&req, &state).await?;
    let hints = input.0;
    let ops = state.router.as_ref().ok_or_else(refuse::router_unavailable)?;
    let user = a.claims.sub;
    let device: Option<(String, Option<String>)> = match a.claims.did {
        Some(did) => {
            state
                .db
                .run(move |conn| {
                    Ok(user_devices::table
                        .filter(user_devices::id.eq(did))
                        .filter(user_devices::user_id.eq(user))
                        .select((user_devices::mac_address, user_devices::ip_address))
                        .first(conn)
                        .optional()?)
                })
                .await?
        }
        None => None,
    };
    let (mac, ip) = match device {
        Some((mac, ip)) => (MacAddress::parse(&mac).ok(), ip.and_then(|i| ClientIp::parse(&i).ok())),
        None => {
            let ip = client_ip_of(&state, &req, hints.client_ip)?;
            let mac = ops.mac_for_ip(&ip).await.map_err(captive::CaptiveError::from)?.map(|(m, _)| m);
            (mac, Some(ip))
        }
    };
    if let Some(m) = &mac {
        ops.remove_binding(m).await.map_err(captive::CaptiveError::from)?;
    }
    if let Some(ip) = &ip {
        ops.remove_from_status_lists(ip).await.map_err(captive::CaptiveError::from)?;
    }
    Ok(HttpResponse::Ok().json(ResetAnswer {
        message: text(&req, "Koneksi perangkat ini sudah diatur ulang.", "This device's network access was reset."),
        network_reset: mac.is_some() || ip.is_some(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterBody {
    #[schema(value_type = String)]
    phone_number: Msisdn,
    full_name: String,
    email: Option<String>,
    address: Option<String>,
    notes: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisterAnswer {
    message: String,
    user_id: Uuid,
}

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = RegisterAnswer), (status = 409), (status = 422), (status = 429)))]
pub async fn register(state: Data, req: HttpRequest, input: Input<RegisterBody>) -> Result<HttpResponse, ApiError> {
    let body = input.0;
    if let Some(ip) = meta(&req, &state).client_ip {
        limit(&state, "register-ip", &ip.as_text(), 10, 3_600).await?;
    }
    let mut profile = serde_json::Map::new();
    for (k, v, max) in [("email", &body.email, 200), ("address", &body.address, 300), ("notes", &body.notes, 500)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            if v.chars().count() > max {
                return Err(ApiError::validation(k, format!("at most {max} characters")));
            }
            if k == "email" && !(v.contains('@') && v.contains('.')) {
                return Err(ApiError::validation(k, "not an e-mail address"));
            }
            profile.insert(k.to_owned(), json!(v));
        }
    }
    let input = CreateUser {
        phone: body.phone_number,
        full_name: body.full_name,
        role: Role::User,
        approval: ApprovalStatus::Pending,
        password: None,
        quota_bytes: 0,
        expires_at: None,
        unlimited: false,
        created_by: None,
        origin: "register",
    };
    let created = state
        .db
        .run(move |conn| {
            let result = user_store::create_user(conn, input);
            if let Ok(u) = &result {
                diesel::update(users::table.find(u.id))
                    .set(users::profile.eq(serde_json::Value::Object(profile)))
                    .execute(conn)?;
            }
            Ok(result)
        })
        .await?;
    match created {
        Ok(u) => Ok(HttpResponse::Created().json(RegisterAnswer {
            message: text(
                &req,
                "Pendaftaran diterima. Tunggu persetujuan admin.",
                "Registration received. Wait for an admin to approve it.",
            ),
            user_id: u.id,
        })),
        Err(UserError::PhoneTaken) => Err(refuse::phone_taken()),
        Err(UserError::InvalidName) => Err(ApiError::validation("full_name", "1 to 100 characters")),
        Err(UserError::Db(e)) => Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, "register failed");
            Err(ApiError::internal())
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AdminLoginBody {
    #[schema(value_type = String)]
    username: Msisdn,
    password: String,
}

#[utoipa::path(post, path = "/api/auth/admin/login", tag = "auth", request_body = AdminLoginBody,
    responses((status = 200, body = AccessAnswer), (status = 401), (status = 429)))]
pub async fn admin_login(
    state: Data,
    req: HttpRequest,
    input: Input<AdminLoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = input.0;
    if let Some(ip) = meta(&req, &state).client_ip {
        limit(&state, "admin-login-ip", &ip.as_text(), 20, 900).await?;
    }
    limit(&state, "admin-login-phone", body.username.as_e164(), 10, 900).await?;
    let user = load_user_by_phone(&state, &body.username).await?;
    let candidate = user.filter(|u| u.role.parse::<Role>().is_ok_and(Role::is_admin));
    let password = body.password;
    let hash = candidate.as_ref().and_then(|u| u.password_hash.clone());
    // Verify even for unknown users (against a fixed hash) so timing does not reveal accounts.
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => user_store::verify_password(&password, &h),
        None => {
            let _ = user_store::verify_password(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let Some(user) = candidate.filter(|_| ok) else { return Err(refuse::invalid_credentials()) };
    ensure_can_sign_in(&state, &user)?;
    new_session(&state, &req, &user, None, "password").await
}

/// A real argon2id hash of a random string, only ever compared against to equalize timing.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| user_store::hash_password(&crate::auth::crypto::random_token(24)).unwrap_or_default());

#[derive(Deserialize, ToSchema)]
pub struct StatusTokenBody {
    status: String,
    token: String,
}

#[utoipa::path(post, path = "/api/auth/status-token/verify", tag = "auth", request_body = StatusTokenBody,
    responses((status = 200, description = "`{valid}`")))]
pub async fn status_token_verify(state: Data, input: Input<StatusTokenBody>) -> Result<HttpResponse, ApiError> {
    let valid = status_token::verify(state.settings.jwt_secret.as_bytes(), &input.status, &input.token);
    Ok(HttpResponse::build(StatusCode::OK).json(json!({ "valid": valid })))
}
