//! The operator's views and settings: devices seen recently, the audit trail, the message log,
//! the dashboard's figures, runtime settings.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Paging;
use crate::admin::query::{MessageFilter, MessageRow};
use crate::admin::stats::Stats;
use crate::audit::{AuditEntry, AuditFilter};
use crate::db::models::Device;
use crate::domain::{MessageStatus, Role};
use crate::http::AppState;
use crate::http::error::{ApiError, refuse};
use crate::http::extract::AdminActor;
use crate::http::ids::uuid_field;
use crate::http::input::Input;
use crate::settings::{Ignored, SettingEntry, entries};

type Data = web::Data<AppState>;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeenQuery {
    /// Seconds back (default 600, at most 30 days).
    #[param(minimum = 1, maximum = 2592000)]
    seen_within: Option<i64>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SeenAnswer {
    devices: Vec<Device>,
}

#[utoipa::path(get, path = "/api/admin/devices", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(SeenQuery),
    responses((status = 200, body = SeenAnswer, description = "Devices seen recently, newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn devices_seen(state: Data, _a: AdminActor, q: web::Query<SeenQuery>) -> Result<HttpResponse, ApiError> {
    let secs = q.seen_within.unwrap_or(600);
    if !(1..=2_592_000).contains(&secs) {
        return Err(ApiError::validation("seen_within", "1 to 2592000 seconds"));
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation("limit", "1 to 1000"));
    }
    let devices = state.admin.devices_seen(secs, limit).await?;
    Ok(HttpResponse::Ok().json(SeenAnswer { devices }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting admin's user id.
    #[param(value_type = Option<String>, format = Uuid)]
    actor: Option<String>,
    /// The target's id (a user id, a device id, `runtime`).
    #[param(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    target: Option<String>,
    /// An action (`user.block`), or a prefix ending in a dot (`user.`).
    #[param(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    action: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    items: Vec<AuditEntry>,
    total: i64,
    page: i64,
    per_page: i64,
}

#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage, description = "Newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn audit(state: Data, _a: AdminActor, q: web::Query<AuditQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let paging = Paging::new(q.page, q.per_page, 200)?;
    let target = q.target.map(|t| super::text_param("target", t, 100)).transpose()?;
    let action = q.action.map(|t| super::text_param("action", t, 100)).transpose()?;
    let actor = q.actor.as_deref().map(|a| uuid_field("actor", a, "a user id")).transpose()?;
    let f = AuditFilter { actor, target, action, from: q.from, to: q.to };
    let (items, total) = state.admin.audit(f, paging.page, paging.per_page).await?;
    Ok(HttpResponse::Ok().json(AuditPage { items, total, page: paging.page, per_page: paging.per_page }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// `queued`, `sent`, `delivered`, `read` or `failed`.
    #[param(pattern = r"^(queued|sent|delivered|read|failed)$")]
    status: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    user_id: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MessagePage {
    items: Vec<MessageRow>,
    total: i64,
    page: i64,
    per_page: i64,
}

#[utoipa::path(get, path = "/api/admin/messages", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(MessagesQuery),
    responses((status = 200, body = MessagePage, description = "The WhatsApp message log, newest first (never the text)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn messages(state: Data, _a: AdminActor, q: web::Query<MessagesQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let paging = Paging::new(q.page, q.per_page, 200)?;
    // Exactly as the document spells them (the parser alone would take any case).
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            MessageStatus::ALL
                .iter()
                .copied()
                .find(|m| m.as_str() == s)
                .ok_or_else(|| ApiError::validation("status", "queued, sent, delivered, read or failed"))?,
        ),
    };
    let user = q.user_id.as_deref().map(|u| uuid_field("user_id", u, "a user id")).transpose()?;
    let f = MessageFilter { status, user, from: q.from, to: q.to };
    let (items, total) = state.admin.messages(f, paging.page, paging.per_page).await?;
    Ok(HttpResponse::Ok().json(MessagePage { items, total, page: paging.page, per_page: paging.per_page }))
}

#[utoipa::path(get, path = "/api/admin/stats", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Stats), (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn stats(state: Data, _a: AdminActor) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admin.stats().await?))
}

/// The existing frontend's dashboard path.
#[utoipa::path(get, path = "/api/admin/dashboard/stats", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Stats), (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn dashboard_stats(state: Data, a: AdminActor) -> Result<HttpResponse, ApiError> {
    stats(state, a).await
}

fn super_admin(a: &AdminActor) -> Result<(), ApiError> {
    if a.0.role == Role::SuperAdmin { Ok(()) } else { Err(refuse::forbidden()) }
}

#[utoipa::path(get, path = "/api/admin/settings", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Vec<SettingEntry>, description = "Every runtime setting with its default (secrets are never settings)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only")))]
pub async fn settings_get(state: Data, a: AdminActor) -> Result<HttpResponse, ApiError> {
    super_admin(&a)?;
    let rt = &state.admin.runtime;
    Ok(HttpResponse::Ok().json(entries(&rt.get(), rt.defaults())))
}

#[derive(Deserialize, ToSchema)]
pub struct SettingsBody {
    /// Key → value, by our key or the frontend's (`MAINTENANCE_MODE_ACTIVE: "True"`).
    #[schema(value_type = Object)]
    settings: serde_json::Map<String, serde_json::Value>,
}

/// What a save did.
#[derive(Serialize, ToSchema)]
pub struct SettingsSaved {
    /// "Pengaturan berhasil diperbarui." or, when nothing changed, "Tidak ada perubahan."
    message: &'static str,
    /// Our names of the keys whose value changed (written and audited).
    changed: Vec<String>,
    /// Keys left out (not taken by this backend: unknown, secrets, features it lacks), and why.
    ignored: Vec<Ignored>,
    settings: Vec<SettingEntry>,
}

#[utoipa::path(put, path = "/api/admin/settings", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((SettingsBody = "application/json"))),
    responses((status = 200, body = SettingsSaved, description = "Stored, in force in every process within a second; keys not taken are listed, not refused"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 422, description = "VALIDATION_ERROR: a value this backend takes is invalid (nothing is stored)")))]
pub async fn settings_put(state: Data, a: AdminActor, body: Input<SettingsBody>) -> Result<HttpResponse, ApiError> {
    super_admin(&a)?;
    let saved = state.admin.update_settings(&a.0, body.0.settings).await?;
    let message = if saved.changed.is_empty() { "Tidak ada perubahan." } else { "Pengaturan berhasil diperbarui." };
    Ok(HttpResponse::Ok().json(SettingsSaved {
        message,
        changed: saved.changed,
        ignored: saved.ignored,
        settings: entries(&saved.settings, state.admin.runtime.defaults()),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AddressOptions {
    bloks: Vec<String>,
    kamars: Vec<String>,
}

/// The editor's address choices: the values users' profiles hold.
#[utoipa::path(get, path = "/api/admin/form-options/alamat", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AddressOptions), (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn address_options(state: Data, _a: AdminActor) -> Result<HttpResponse, ApiError> {
    let (bloks, kamars) = state.admin.address_options().await?;
    Ok(HttpResponse::Ok().json(AddressOptions { bloks, kamars }))
}

/// The router names the editor shows: every site's hotspot server and the profiles the policy
/// and the sites use; the sites themselves beside.
#[utoipa::path(get, path = "/api/admin/form-options/mikrotik", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = crate::admin::sites::RouterChoices), (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn router_options(state: Data, _a: AdminActor) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admin.router_choices().await?))
}
