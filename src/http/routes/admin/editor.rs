//! The user editor's tools (`/api/admin/users/{id}/…`): the router view, a super admin's quota
//! correction, reset-login, a console password reset, the detail summary, the quota history.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::{AdminUserView, view};
use crate::admin::editor::{Purchase, ResetSummary};
use crate::admin::router_view::RouterView;
use crate::domain::days::local_time_text;
use crate::domain::{MIB, Rupiah};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::{PathId, UserPath};
use crate::http::input::Input;
use crate::http::routes::account::{HistoryParams, QuotaHistory, history_of};

type Data = web::Data<AppState>;
type Id = PathId<UserPath>;

fn mb(bytes: i64) -> f64 {
    (bytes as f64 / MIB as f64 * 100.0).round() / 100.0
}

/// The router view in the editor's words (`details` in RouterOS's spelling) and ours (`router`).
#[derive(Serialize, ToSchema)]
pub struct MikrotikStatus {
    user_id: uuid::Uuid,
    exists_on_mikrotik: bool,
    live_available: bool,
    message: String,
    reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    details: Option<serde_json::Value>,
    resolved_profile_name: String,
    database_profile_name: String,
    derived_profile_name: String,
    db_quota_purchased_mb: f64,
    db_quota_used_mb: f64,
    db_quota_remaining_mb: f64,
    router: RouterView,
}

#[utoipa::path(get, path = "/api/admin/users/{id}/mikrotik-status", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = MikrotikStatus, description = "The user's devices on the router now against the policy (`live_available` false when the router does not answer)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND")))]
pub async fn mikrotik_status(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    let (u, r) = state.admin.router_view(&a.0, id.0).await?;
    let on_router: Vec<_> = r.devices.iter().filter(|d| d.binding.is_some() || d.bytes_in.is_some()).collect();
    let exists = !on_router.is_empty();
    let details = exists.then(|| {
        let (bin, bout) = on_router
            .iter()
            .fold((0u64, 0u64), |(i, o), d| (i + d.bytes_in.unwrap_or(0), o + d.bytes_out.unwrap_or(0)));
        serde_json::json!({
            "name": u.phone_number.local(), "server": state.settings.router.as_ref().map(|r| r.hotspot_server.clone()),
            "profile": r.profile, "bytes-in": bin.to_string(), "bytes-out": bout.to_string(),
            "limit-uptime": "", "limit-bytes-total": "",
        })
    });
    let message = match (r.live, exists, r.in_step()) {
        (false, _, _) => "Router tidak dapat dihubungi; data dari database.".to_owned(),
        (true, false, _) => "Tidak ada perangkat pengguna ini di router.".to_owned(),
        (true, true, true) => "Router sesuai dengan status pengguna.".to_owned(),
        (true, true, false) => {
            "Router belum sesuai dengan status pengguna; sinkronisasi akan memperbaikinya.".to_owned()
        }
    };
    let remaining = (u.quota_purchased_bytes - u.quota_used_bytes).max(0);
    Ok(HttpResponse::Ok().json(MikrotikStatus {
        user_id: u.id,
        exists_on_mikrotik: exists,
        live_available: r.live,
        message,
        reason: r.reason.clone(),
        details,
        resolved_profile_name: r.profile.clone(),
        database_profile_name: r.profile.clone(),
        derived_profile_name: r.profile.clone(),
        db_quota_purchased_mb: mb(u.quota_purchased_bytes),
        db_quota_used_mb: mb(u.quota_used_bytes),
        db_quota_remaining_mb: mb(remaining),
        router: r,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct AdjustBody {
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    reason: String,
    /// The purchased total to set, in MB (MiB).
    #[schema(minimum = 0, maximum = 1073741824)]
    set_purchased_mb: Option<i64>,
    /// The used total to set, in MB (MiB).
    #[schema(minimum = 0, maximum = 1073741824)]
    set_used_mb: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AdjustAnswer {
    message: &'static str,
    changed: bool,
    total_quota_purchased_mb: f64,
    total_quota_used_mb: f64,
    remaining_mb: f64,
    user: AdminUserView,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/quota-adjust", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((AdjustBody = "application/json"))),
    responses((status = 200, body = AdjustAnswer, description = "The totals set (each change a ledger row with the reason)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn quota_adjust(
    state: Data,
    a: AdminActor,
    id: Id,
    body: Input<AdjustBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let to_bytes = |field: &str, v: Option<i64>| -> Result<Option<i64>, ApiError> {
        v.map(|m| {
            m.checked_mul(MIB).filter(|b| *b >= 0).ok_or_else(|| ApiError::validation(field, "0 to 1073741824 MB"))
        })
        .transpose()
    };
    let (p, u) = (to_bytes("set_purchased_mb", b.set_purchased_mb)?, to_bytes("set_used_mb", b.set_used_mb)?);
    let c = state.admin.set_quota_totals(&a.0, id.0, p, u, &b.reason).await?;
    let (bought, used) = (c.user.quota_purchased_bytes, c.user.quota_used_bytes);
    Ok(HttpResponse::Ok().json(AdjustAnswer {
        message: if c.changed { "Koreksi kuota disimpan." } else { "Tidak ada perubahan." },
        changed: c.changed,
        total_quota_purchased_mb: mb(bought),
        total_quota_used_mb: mb(used),
        remaining_mb: mb((bought - used).max(0)),
        user: view(&state, c.user, None),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LoginResetAnswer {
    message: String,
    summary: ResetSummary,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/reset-login", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = LoginResetAnswer, description = "Sessions ended, devices removed (their router entries too, or retried by the worker)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND")))]
pub async fn reset_login(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    let s = state.admin.reset_login(&a.0, id.0).await?;
    let message =
        format!("Reset login berhasil. Sesi diakhiri: {}. Perangkat dihapus: {}.", s.tokens_deleted, s.devices_deleted);
    Ok(HttpResponse::Ok().json(LoginResetAnswer { message, summary: s }))
}

#[derive(Serialize, ToSchema)]
pub struct PasswordAnswer {
    message: &'static str,
    whatsapp_sent: bool,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/reset-password", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PasswordAnswer, description = "A new password went to the admin's WhatsApp and took effect"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"),
        (status = 409, description = "INVALID_STATE: not an admin account, or the message was not delivered (nothing changed)")))]
pub async fn reset_password(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    state.admin.reset_password(&a.0, id.0).await?;
    Ok(HttpResponse::Ok()
        .json(PasswordAnswer { message: "Kata sandi baru dikirim ke WhatsApp admin tersebut.", whatsapp_sent: true }))
}

#[derive(Serialize, ToSchema)]
pub struct PurchaseLine {
    #[serde(flatten)]
    purchase: Purchase,
    amount_display: String,
    payment_method: String,
    paid_at_display: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DetailSummary {
    device_count: i64,
    device_count_label: String,
    last_login_label: String,
    profile_display_name: String,
    mikrotik_account_label: String,
    access_status_label: String,
    recent_purchases: Vec<PurchaseLine>,
    /// The purchases listed (paid, the last year).
    purchase_count_30d: usize,
    purchase_total_amount_30d: i64,
    purchase_total_amount_30d_display: String,
}

#[utoipa::path(get, path = "/api/admin/users/{id}/detail-summary", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DetailSummary, description = "The detail dialog's figures (no router call: the router view is `mikrotik-status`)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND")))]
pub async fn detail_summary(state: Data, a: AdminActor, id: Id) -> Result<HttpResponse, ApiError> {
    let s = state.admin.summary(&a.0, id.0).await?;
    let u = state.admin.user(id.0).await?;
    let status = state.admin.status_of(&u);
    let tz = state.settings.timezone;
    let total: i64 = s.purchases.iter().map(|p| p.amount).sum();
    let recent_purchases: Vec<PurchaseLine> = s
        .purchases
        .into_iter()
        .map(|p| PurchaseLine {
            amount_display: Rupiah(p.amount).to_string(),
            payment_method: p.payment_type.clone().unwrap_or_else(|| p.channel.as_str().to_owned()),
            paid_at_display: p.paid_at.map(|t| local_time_text(t, tz)),
            purchase: p,
        })
        .collect();
    Ok(HttpResponse::Ok().json(DetailSummary {
        device_count: s.device_count,
        device_count_label: format!("{} perangkat", s.device_count),
        last_login_label: s
            .last_login_at
            .map(|t| local_time_text(t, tz))
            .unwrap_or_else(|| "Belum pernah login".into()),
        profile_display_name: state.admin.runtime.policy().profile(status).to_owned(),
        mikrotik_account_label: format!("Status akses: {}", status.as_str()),
        access_status_label: status.as_str().to_owned(),
        purchase_count_30d: recent_purchases.len(),
        purchase_total_amount_30d: total,
        purchase_total_amount_30d_display: Rupiah(total).to_string(),
        recent_purchases,
    }))
}

#[utoipa::path(get, path = "/api/admin/users/{id}/quota-history", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), HistoryParams),
    responses((status = 200, body = QuotaHistory, description = "The user's grants one by one and usage per day, newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn quota_history(
    state: Data,
    a: AdminActor,
    id: Id,
    q: web::Query<HistoryParams>,
) -> Result<HttpResponse, ApiError> {
    let u = state.admin.user(id.0).await?;
    crate::accounts::may_act_on(&a.0, &u).map_err(crate::admin::AdminError::from)?;
    Ok(HttpResponse::Ok().json(history_of(&state, u.id, q.into_inner()).await?))
}
