//! Komandans' quota requests: the komandan's own (`/api/komandan/requests…`) and the admins'
//! (`/api/admin/quota-requests…`); and who hears of which operator event
//! (`/api/admin/notification-recipients`).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Paging;
use crate::accounts::requests::{Listed, QuotaRequest, RequestSort};
use crate::admin::requests::Decision;
use crate::domain::days::local_time_text;
use crate::domain::{AlertEvent, RequestKind, RequestStatus};
use crate::http::AppState;
use crate::http::error::{ApiError, refuse};
use crate::http::extract::{AdminActor, CurrentUser};
use crate::http::ids::{PathId, RecordPath, uuid_field};
use crate::http::input::Input;
use crate::notify::recipients::{Recipient, RecipientsError};

type Data = web::Data<AppState>;

#[derive(Deserialize, ToSchema)]
pub struct RequestBody {
    request_type: RequestKind,
    /// For `QUOTA`: MB (MiB), within the operator's limit.
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1073741824)]
    requested_mb: Option<i64>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 3650)]
    requested_duration_days: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct Filed {
    id: Uuid,
    status: RequestStatus,
    request_type: RequestKind,
    message: &'static str,
}

#[utoipa::path(post, path = "/api/komandan/requests", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    request_body(content((RequestBody = "application/json"))),
    responses((status = 201, body = Filed), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: komandans only"), (status = 409, description = "INVALID_STATE: one is waiting, or unlimited is not open"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 429, description = "RATE_LIMITED: the cooldown, with retry_after_seconds and retry_at")))]
pub async fn file(state: Data, user: CurrentUser, body: Input<RequestBody>) -> Result<HttpResponse, ApiError> {
    let me = state.accounts.find(user.id()).await?.ok_or_else(refuse::auth_required)?;
    let b = body.0;
    let q = state.admin.file_request(&me, b.request_type, b.requested_mb, b.requested_duration_days).await?;
    Ok(HttpResponse::Created().json(Filed {
        id: q.id,
        status: q.status,
        request_type: q.request_type,
        message: "Permintaan Anda telah terkirim dan menunggu persetujuan admin.",
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[serde(rename = "itemsPerPage")]
    #[param(minimum = 1, maximum = 100)]
    items_per_page: Option<i64>,
    /// `PENDING`, `APPROVED`, `REJECTED` or `PARTIALLY_APPROVED`; none: all.
    #[param(pattern = r"^(?i:pending|approved|rejected|partially_approved)?$")]
    status: Option<String>,
    /// The column: `created_at` (default, newest first), `status`, `request_type`, `requester.full_name`.
    #[serde(rename = "sortBy")]
    #[param(pattern = r"^(created_at|processed_at|status|request_type|requester\.full_name)?$")]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    #[param(pattern = r"^(asc|desc)?$")]
    sort_order: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Granted {
    granted_mb: Option<i64>,
    granted_duration_days: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct Person {
    id: Uuid,
    full_name: String,
    #[schema(pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    phone_number: String,
}

#[derive(Serialize, ToSchema)]
pub struct Asked {
    requested_mb: Option<i64>,
    requested_duration_days: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct Decider {
    full_name: String,
}

/// A request as both pages read it.
#[derive(Serialize, ToSchema)]
pub struct RequestRow {
    #[serde(flatten)]
    request: QuotaRequest,
    requester: Person,
    request_details: Option<Asked>,
    granted_details: Option<Granted>,
    processed_by: Option<Decider>,
    /// The deciding admin's name (the komandan's history reads this).
    processed_by_admin: Option<String>,
    created_at_display: String,
    processed_at_display: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RequestPage {
    items: Vec<RequestRow>,
    #[serde(rename = "totalItems")]
    total_items: i64,
}

fn row(l: Listed, tz: chrono_tz::Tz) -> RequestRow {
    let q = l.request;
    let request_details = (q.request_type == RequestKind::Quota)
        .then_some(Asked { requested_mb: q.requested_mb, requested_duration_days: q.requested_days });
    let granted_details = (q.status == RequestStatus::Partial)
        .then_some(Granted { granted_mb: q.granted_mb, granted_duration_days: q.granted_days });
    RequestRow {
        requester: Person {
            id: q.requester_id,
            full_name: l.requester_name,
            phone_number: l.requester_phone.as_e164().to_owned(),
        },
        request_details,
        granted_details,
        processed_by: l.processed_by_name.clone().map(|full_name| Decider { full_name }),
        processed_by_admin: l.processed_by_name,
        created_at_display: local_time_text(q.created_at, tz),
        processed_at_display: q.processed_at.map(|t: DateTime<Utc>| local_time_text(t, tz)),
        request: q,
    }
}

async fn page(state: &AppState, requester: Option<Uuid>, q: RequestQuery) -> Result<RequestPage, ApiError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| ApiError::validation("status", "a request status"))?),
    };
    let sort = match q.sort_by.as_deref().filter(|s| !s.is_empty()) {
        None => RequestSort::Created,
        Some(s) => RequestSort::parse(s)
            .ok_or_else(|| ApiError::validation("sortBy", "created_at, status, request_type or requester.full_name"))?,
    };
    let desc = match q.sort_order.as_deref() {
        None | Some("") => sort == RequestSort::Created,
        Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::validation("sortOrder", "asc or desc")),
    };
    let p = Paging::new(q.page, q.items_per_page, 100)?;
    let (items, total_items) = state.admin.requests(requester, status, (sort, desc), p.page, p.per_page).await?;
    let tz = state.settings.timezone;
    Ok(RequestPage { items: items.into_iter().map(|l| row(l, tz)).collect(), total_items })
}

#[utoipa::path(get, path = "/api/komandan/requests/history", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    params(RequestQuery),
    responses((status = 200, body = RequestPage, description = "The komandan's own requests, newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: komandans only")))]
pub async fn history(state: Data, user: CurrentUser, q: web::Query<RequestQuery>) -> Result<HttpResponse, ApiError> {
    if user.0.claims.role != crate::domain::Role::Komandan {
        return Err(refuse::forbidden());
    }
    Ok(HttpResponse::Ok().json(page(&state, Some(user.id()), q.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/admin/quota-requests", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(RequestQuery),
    responses((status = 200, body = RequestPage, description = "Newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn list(state: Data, _a: AdminActor, q: web::Query<RequestQuery>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(page(&state, None, q.into_inner()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ProcessBody {
    #[schema(pattern = "^(APPROVE|REJECT|REJECT_AND_GRANT_QUOTA)$")]
    action: String,
    #[schema(max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    rejection_reason: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1073741824)]
    granted_quota_mb: Option<i64>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 3650)]
    granted_duration_days: Option<u32>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    unlimited_duration_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct Processed {
    message: &'static str,
    new_status: RequestStatus,
    request: QuotaRequest,
}

#[utoipa::path(post, path = "/api/admin/quota-requests/{id}/process", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((ProcessBody = "application/json"))),
    responses((status = 200, body = Processed, description = "Decided; the grant (if any) went through the grant path once; the komandan is told"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "NOT_FOUND"), (status = 409, description = "INVALID_STATE: already processed"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn process(
    state: Data,
    a: AdminActor,
    id: PathId<RecordPath>,
    body: Input<ProcessBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let note = || b.rejection_reason.clone().unwrap_or_default();
    let d = match b.action.as_str() {
        "APPROVE" => Decision::Approve { unlimited_days: b.unlimited_duration_days },
        "REJECT" => Decision::Reject { reason: note() },
        "REJECT_AND_GRANT_QUOTA" => Decision::Partial {
            mb: b.granted_quota_mb.unwrap_or(0),
            days: b.granted_duration_days.unwrap_or(0),
            note: note(),
        },
        _ => return Err(ApiError::validation("action", "APPROVE, REJECT or REJECT_AND_GRANT_QUOTA")),
    };
    let q = state.admin.decide_request(&a.0, id.0, d).await?;
    Ok(HttpResponse::Ok().json(Processed {
        message: "Permintaan berhasil diproses.",
        new_status: q.status,
        request: q,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecipientQuery {
    /// The event (default `NEW_USER_REGISTRATION`), any case; `type` is read too.
    #[param(
        pattern = r"^(?i:new_user_registration|new_komandan_request|quota_debt_limit_exceeded|router_down|gateway_down)$"
    )]
    notification_type: Option<String>,
    #[serde(rename = "type")]
    #[param(
        rename = "type",
        pattern = r"^(?i:new_user_registration|new_komandan_request|quota_debt_limit_exceeded|router_down|gateway_down)$"
    )]
    kind: Option<String>,
}

fn alert_event(field: &str, raw: Option<&str>) -> Result<AlertEvent, ApiError> {
    match raw {
        None => Ok(AlertEvent::NewRegistration),
        Some(s) => s.parse().map_err(|_| ApiError::validation(field, "a notification type")),
    }
}

impl From<RecipientsError> for ApiError {
    fn from(e: RecipientsError) -> Self {
        match e {
            RecipientsError::Forbidden => refuse::forbidden(),
            RecipientsError::Db(d) => d.into(),
        }
    }
}

#[utoipa::path(get, path = "/api/admin/notification-recipients", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(RecipientQuery),
    responses((status = 200, body = Vec<Recipient>, description = "Every admin account and whether it hears the event"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn recipients(state: Data, a: AdminActor, q: web::Query<RecipientQuery>) -> Result<HttpResponse, ApiError> {
    if a.0.role != crate::domain::Role::SuperAdmin {
        return Err(refuse::forbidden());
    }
    let q = q.into_inner();
    let event = alert_event("notification_type", q.notification_type.as_deref().or(q.kind.as_deref()))?;
    Ok(HttpResponse::Ok().json(state.notify.recipients().of(event).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RecipientsBody {
    #[schema(
        pattern = "^(NEW_USER_REGISTRATION|NEW_KOMANDAN_REQUEST|QUOTA_DEBT_LIMIT_EXCEEDED|ROUTER_DOWN|GATEWAY_DOWN)$"
    )]
    notification_type: String,
    #[schema(max_items = 1000)]
    subscribed_admin_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RecipientsSaved {
    message: &'static str,
    total_recipients: usize,
}

#[utoipa::path(post, path = "/api/admin/notification-recipients", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((RecipientsBody = "application/json"))),
    responses((status = 200, body = RecipientsSaved, description = "The event's whole set replaced (ids that are not admin accounts left out)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn save_recipients(
    state: Data,
    a: AdminActor,
    body: Input<RecipientsBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let event = alert_event("notification_type", Some(&b.notification_type))?;
    if b.subscribed_admin_ids.len() > 1000 {
        return Err(ApiError::validation("subscribed_admin_ids", "at most 1000"));
    }
    let ids = b
        .subscribed_admin_ids
        .iter()
        .map(|s| uuid_field("subscribed_admin_ids", s, "user ids"))
        .collect::<Result<Vec<_>, _>>()?;
    let n = state.notify.recipients().set(&a.0, event, ids).await?;
    Ok(HttpResponse::Ok()
        .json(RecipientsSaved { message: "Pengaturan notifikasi berhasil disimpan.", total_recipients: n }))
}
