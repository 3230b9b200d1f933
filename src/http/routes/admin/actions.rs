//! The lifecycle actions on one user (`/api/admin/users/{id}/…`) and device revocation.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency_key;
use super::users::ChangedAnswer;
use crate::admin::lifecycle::{Changed, Expiry};
use crate::domain::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::{DevicePath, PathId, UserPath};
use crate::http::input::Input;

type Data = web::Data<AppState>;
type Id = PathId<UserPath>;

fn render(state: &AppState, c: Changed, message: &'static str) -> HttpResponse {
    super::users::changed_answer(state, c, message)
}

#[utoipa::path(post, path = "/api/admin/users/{id}/approve", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ChangedAnswer, description = "Approved (the user is told over WhatsApp)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND")))]
pub async fn approve(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    let c = state.admin.approve(&a.0, id.0).await?;
    Ok(render(&state, c, "user approved"))
}

/// The existing frontend approves with PATCH.
#[utoipa::path(patch, path = "/api/admin/users/{id}/approve", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ChangedAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND")))]
pub async fn approve_patch(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    approve(state, a, id).await
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ReasonBody {
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/reject", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((ReasonBody = "application/json"))),
    responses((status = 200, body = ChangedAnswer, description = "Rejected (the user is told, with the reason)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 409, description = "INVALID_STATE: not waiting")))]
pub async fn reject(
    state: Data,
    a: AdminActor,
    id: Id,
    body: Option<Input<ReasonBody>>,
) -> Result<HttpResponse, ApiError> {
    // The existing frontend rejects without a body.
    let reason = body.and_then(|b| b.0.reason).unwrap_or_else(|| "Ditolak oleh admin".into());
    let c = state.admin.reject(&a.0, id.0, &reason).await?;
    Ok(render(&state, c, "registration rejected"))
}

#[derive(Deserialize, ToSchema)]
pub struct BlockBody {
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    reason: String,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/block", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((BlockBody = "application/json"))),
    responses((status = 200, body = ChangedAnswer, description = "Blocked: sessions end, the router follows"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND")))]
pub async fn block(state: Data, a: AdminActor, id: Id, body: Input<BlockBody>) -> Result<HttpResponse, ApiError> {
    let c = state.admin.block(&a.0, id.0, &body.reason).await?;
    Ok(render(&state, c, "user blocked"))
}

#[utoipa::path(post, path = "/api/admin/users/{id}/unblock", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ChangedAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND")))]
pub async fn unblock(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    let c = state.admin.unblock(&a.0, id.0).await?;
    Ok(render(&state, c, "user unblocked"))
}

#[derive(Deserialize, ToSchema)]
pub struct QuotaBody {
    /// Bytes to add (negative: take back; never below zero purchased; 0 changes nothing).
    #[serde(deserialize_with = "crate::domain::text::integral")]
    #[schema(minimum = -1125899906842624_i64, maximum = 1125899906842624_i64)]
    bytes: i64,
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    reason: String,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/quota", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,100}$", description = "The same key grants once (a double click)")),
    request_body(content((QuotaBody = "application/json"))),
    responses((status = 200, body = ChangedAnswer, description = "Granted or adjusted, with its ledger row"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 409, description = "IDEMPOTENCY_CONFLICT")))]
pub async fn quota(
    state: Data,
    a: AdminActor,
    req: HttpRequest,
    id: Id,
    body: Input<QuotaBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let c = state.admin.adjust_quota(&a.0, id.0, body.bytes, &body.reason, key.as_deref()).await?;
    Ok(render(&state, c, "quota changed"))
}

#[derive(Deserialize, ToSchema)]
pub struct ExpiryBody {
    /// The new expiry (RFC 3339), within a year back and ten years ahead.
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    expires_at: Option<DateTime<Utc>>,
    /// Days added to the later of now and the current expiry.
    #[schema(minimum = 1, maximum = 3650)]
    extend_days: Option<u32>,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/expiry", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,100}$", description = "The same key extends once")),
    request_body(content((ExpiryBody = "application/json"))),
    responses((status = 200, body = ChangedAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND"),
        (status = 409, description = "IDEMPOTENCY_CONFLICT")))]
pub async fn expiry(
    state: Data,
    a: AdminActor,
    req: HttpRequest,
    id: Id,
    body: Input<ExpiryBody>,
) -> Result<HttpResponse, ApiError> {
    let e = match (body.expires_at, body.extend_days) {
        (Some(at), None) => Expiry::Set(at),
        (None, Some(days)) => Expiry::Extend(days),
        _ => return Err(ApiError::validation("expires_at", "give either expires_at or extend_days")),
    };
    let key = idempotency_key(&req)?;
    let c = state.admin.set_expiry(&a.0, id.0, e, key.as_deref()).await?;
    Ok(render(&state, c, "expiry changed"))
}

#[derive(Deserialize, ToSchema)]
pub struct RoleBody {
    role: Role,
    /// Needed to make someone an admin who has no password yet (10+ characters).
    #[schema(max_length = 200)]
    password: Option<String>,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/role", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((RoleBody = "application/json"))),
    responses((status = 200, body = ChangedAnswer, description = "Role changed: the user's sessions end"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 404, description = "USER_NOT_FOUND")))]
pub async fn role(state: Data, a: AdminActor, id: Id, body: Input<RoleBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let c = state.admin.set_role(&a.0, id.0, b.role, b.password).await?;
    Ok(render(&state, c, "role changed"))
}

#[utoipa::path(delete, path = "/api/admin/users/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ChangedAnswer, description = "Deactivated: sessions end, devices and router entries removed"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND")))]
pub async fn deactivate(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    let c = state.admin.deactivate(&a.0, id.0).await?;
    Ok(render(&state, c, "user deactivated"))
}

#[derive(Serialize, ToSchema)]
pub struct DevicesAnswer {
    devices: Vec<crate::db::models::Device>,
}

#[utoipa::path(get, path = "/api/admin/users/{id}/devices", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DevicesAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND")))]
pub async fn user_devices(state: Data, _a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    let devices = state.admin.devices_of(id.0).await?;
    Ok(HttpResponse::Ok().json(DevicesAnswer { devices }))
}

#[derive(Serialize, ToSchema)]
pub struct Message {
    message: &'static str,
}

#[utoipa::path(delete, path = "/api/admin/devices/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i64, Path, description = "The device's id", minimum = 1)),
    responses((status = 200, body = Message, description = "Revoked: row deleted, router entries removed"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "DEVICE_NOT_FOUND")))]
pub async fn revoke_device(state: Data, a: AdminActor, id: PathId<DevicePath>) -> Result<HttpResponse, ApiError> {
    state.admin.revoke_device(&a.0, id.0).await?;
    Ok(HttpResponse::Ok().json(Message { message: "device revoked" }))
}
