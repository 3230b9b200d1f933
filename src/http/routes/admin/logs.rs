//! `/api/admin/action-logs`: the audit trail in the logs page's shape (its action names, the
//! acting admin and the target user), its CSV or text export, and a super admin's purge.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Paging;
use crate::admin::logs::{LogFilter, LogRow};
use crate::domain::csv;
use crate::domain::days::local_time_text;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::uuid_field;

type Data = web::Data<AppState>;

/// The logs page's name for one of our actions (it colours these; others show as they are).
fn page_name(action: &str, details: &str) -> String {
    let known = match action {
        "user.create" => "CREATE_USER",
        "user.approve" => "APPROVE_USER",
        "user.reject" => "REJECT_USER",
        "user.block" => "BLOCK_USER",
        "user.unblock" => "UNBLOCK_USER",
        "user.deactivate" => "DEACTIVATE_USER",
        "user.reactivate" => "ACTIVATE_USER",
        "user.role" => "CHANGE_USER_ROLE",
        "user.password" => "RESET_USER_PASSWORD",
        "user.update" => "UPDATE_USER_PROFILE",
        "user.quota" | "user.expiry" | "user.package" => "INJECT_QUOTA",
        "user.delete" => "MANUAL_USER_DELETE",
        "user.reset_login" => "RESET_USER_LOGIN",
        "transaction.reconcile" => "TRANSACTION_RECONCILE",
        "whatsapp.test" | "whatsapp.broadcast" => "SEND_WHATSAPP_NOTIFICATION",
        "quota_request.process" => {
            return match serde_json::from_str::<serde_json::Value>(details)
                .ok()
                .as_ref()
                .and_then(|d| d["decision"].as_str())
            {
                Some("APPROVED") => "PROCESS_QUOTA_REQUEST_APPROVE".into(),
                Some("REJECTED") => "PROCESS_QUOTA_REQUEST_REJECT".into(),
                _ => "PROCESS_QUOTA_REQUEST_PARTIALLY_APPROVED".into(),
            };
        }
        other => return other.replace('.', "_").to_ascii_uppercase(),
    };
    known.to_owned()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    /// Rows per page; `-1` (the export's) or `0`: the page's maximum.
    #[serde(rename = "itemsPerPage")]
    #[param(minimum = -1, maximum = 100)]
    items_per_page: Option<i64>,
    #[serde(rename = "sortBy")]
    #[param(pattern = "^(created_at|action_type|admin|target_user)?$")]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    #[param(pattern = "^(asc|desc)?$")]
    sort_order: Option<String>,
    #[param(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    search: Option<String>,
    /// Text inside the details (the page's quick filters).
    #[param(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    source: Option<String>,
    #[param(format = Uuid)]
    admin_id: Option<String>,
    #[param(format = Uuid)]
    target_user_id: Option<String>,
    /// A local day (`YYYY-MM-DD`), or an instant whose local day is meant.
    #[param(max_length = 40)]
    start_date: Option<String>,
    #[param(max_length = 40)]
    end_date: Option<String>,
    /// Export only: `csv` (default) or `txt`.
    #[param(pattern = "^(csv|txt)$")]
    format: Option<String>,
}

/// A day from a date or an instant, in the operator's timezone (the page sends the instant of
/// a local midnight: its UTC date would be the day before).
fn local_day(field: &str, raw: Option<&str>, tz: chrono_tz::Tz) -> Result<Option<NaiveDate>, ApiError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Some(d));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.with_timezone(&tz).date_naive()))
        .map_err(|_| ApiError::validation(field, "YYYY-MM-DD or an RFC 3339 instant"))
}

fn filter_of(q: &LogQuery, tz: chrono_tz::Tz) -> Result<LogFilter, ApiError> {
    let text = |field: &str, v: &Option<String>| v.clone().map(|s| super::text_param(field, s, 100)).transpose();
    let search = text("search", &q.search)?.filter(|s| !s.trim().is_empty());
    let search = search.or(text("source", &q.source)?.filter(|s| !s.trim().is_empty()));
    let id = |field: &str, v: &Option<String>| -> Result<Option<Uuid>, ApiError> {
        v.as_deref().filter(|s| !s.is_empty()).map(|s| uuid_field(field, s, "a user id")).transpose()
    };
    Ok(LogFilter {
        search,
        admin: id("admin_id", &q.admin_id)?,
        target_user: id("target_user_id", &q.target_user_id)?,
        from: local_day("start_date", q.start_date.as_deref(), tz)?,
        to: local_day("end_date", q.end_date.as_deref(), tz)?,
        by_action: q.sort_by.as_deref() == Some("action_type"),
        ascending: q.sort_order.as_deref() == Some("asc"),
    })
}

#[derive(Serialize, ToSchema)]
pub struct LogPerson {
    id: Uuid,
    full_name: String,
    #[schema(pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    phone_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ActionLog {
    id: i64,
    /// The page's action name (ours, spelled its way, when it has none).
    action_type: String,
    /// Our action name.
    action: String,
    /// The entry's details as JSON text.
    details: String,
    created_at: DateTime<Utc>,
    /// The acting admin; null for the command line or a worker job (`actor` says which).
    admin: Option<LogPerson>,
    actor: String,
    target_user: Option<LogPerson>,
}

fn entry(r: LogRow) -> ActionLog {
    let person = |id: Option<Uuid>, name: Option<String>, phone: Option<String>| {
        id.map(|id| LogPerson { id, full_name: name.unwrap_or_default(), phone_number: phone })
    };
    ActionLog {
        action_type: page_name(&r.action, &r.details),
        admin: person(r.admin_id, r.admin_name, r.admin_phone),
        target_user: person(r.target_id, r.target_name, r.target_phone),
        id: r.id,
        action: r.action,
        details: r.details,
        created_at: r.created_at,
        actor: r.actor,
    }
}

#[derive(Serialize, ToSchema)]
pub struct LogPage {
    items: Vec<ActionLog>,
    #[serde(rename = "totalItems")]
    total_items: i64,
}

#[utoipa::path(get, path = "/api/admin/action-logs", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(LogQuery),
    responses((status = 200, body = LogPage, description = "The audit trail, newest first unless sorted otherwise"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn list(state: Data, _a: AdminActor, q: web::Query<LogQuery>) -> Result<HttpResponse, ApiError> {
    let f = filter_of(&q, state.settings.timezone)?;
    let per_page = q.items_per_page.filter(|n| *n > 0).unwrap_or(if q.items_per_page.is_some() { 100 } else { 15 });
    let p = Paging::new(q.page, Some(per_page), 100)?;
    let (rows, total_items) = state.admin.logs(f, p.page, p.per_page).await?;
    Ok(HttpResponse::Ok().json(LogPage { items: rows.into_iter().map(entry).collect(), total_items }))
}

#[utoipa::path(get, path = "/api/admin/action-logs/export", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(LogQuery),
    responses((status = 200, content_type = "text/csv", description = "Every entry the filter keeps (formula cells neutralised), or the text form with `format=txt`"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn export(state: Data, _a: AdminActor, q: web::Query<LogQuery>) -> Result<HttpResponse, ApiError> {
    let tz = state.settings.timezone;
    let f = filter_of(&q, tz)?;
    let rows: Vec<ActionLog> = state.admin.logs_export(f).await?.into_iter().map(entry).collect();
    let name = |p: &Option<LogPerson>| p.as_ref().map(|p| p.full_name.clone()).unwrap_or_else(|| "N/A".into());
    let phone = |p: &Option<LogPerson>| p.as_ref().and_then(|p| p.phone_number.clone()).unwrap_or_else(|| "N/A".into());
    let day = crate::domain::days::today(tz);
    let txt = q.format.as_deref() == Some("txt");
    let mut body = String::new();
    if !txt {
        body.push_str(&csv::row(&[
            "Waktu",
            "Admin Pelaku",
            "No. HP Admin",
            "Aksi",
            "Detail Aksi",
            "Target Pengguna",
            "No. HP Target",
        ]));
    }
    for r in &rows {
        let admin = if r.admin.is_some() { name(&r.admin) } else { r.actor.clone() };
        let when = local_time_text(r.created_at, tz);
        if txt {
            body.push_str(&format!(
                "Waktu: {when}\nAdmin Pelaku: {admin}\nAksi: {}\nDetail: {}\nTarget: {}\n------\n",
                r.action_type,
                r.details,
                name(&r.target_user)
            ));
        } else {
            body.push_str(&csv::row(&[
                when,
                admin,
                phone(&r.admin),
                r.action_type.clone(),
                r.details.clone(),
                name(&r.target_user),
                phone(&r.target_user),
            ]));
        }
    }
    let (kind, ext) = if txt { ("text/plain; charset=utf-8", "txt") } else { ("text/csv; charset=utf-8", "csv") };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"log_aktivitas_{day}.{ext}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurgeQuery {
    /// Delete entries before this day (at most up to a year ago; none: everything older than a year).
    #[param(max_length = 40)]
    before_date: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Purged {
    message: String,
    deleted: usize,
    before: DateTime<Utc>,
}

#[utoipa::path(delete, path = "/api/admin/action-logs", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(PurgeQuery),
    responses((status = 200, body = Purged, description = "Entries older than the cut-off deleted (the last year is always kept); the purge is recorded"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn purge(state: Data, a: AdminActor, q: web::Query<PurgeQuery>) -> Result<HttpResponse, ApiError> {
    let tz = state.settings.timezone;
    let before = local_day("before_date", q.before_date.as_deref(), tz)?
        .and_then(|d| d.succ_opt())
        .map(|d| crate::domain::days::local_midnight(d, tz));
    let (deleted, cut) = state.admin.purge_logs(&a.0, before).await?;
    let message = format!(
        "Berhasil menghapus {deleted} catatan log sebelum {}; catatan setahun terakhir selalu disimpan.",
        local_time_text(cut, tz)
    );
    Ok(HttpResponse::Ok().json(Purged { message, deleted, before: cut }))
}
