//! `/api/admin/users`: list, create, detail, and every lifecycle action. Each handler parses,
//! calls one admin room function, renders. The existing frontend's spellings (its list
//! parameters, PATCH approve, PUT edit with `add_gb`/`add_days`) are read beside ours.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Paging;
use crate::accounts::CreateUser;
use crate::admin::account::profile_field;
use crate::admin::edit::Edit;
use crate::admin::lifecycle::{Changed, UserPatch};
use crate::admin::query::{Detail, LedgerRow, UsageDay, UserFilter, parse_search, parse_sort, parse_status};
use crate::db::models::{Device, User};
use crate::domain::{ApprovalStatus, GIB, Msisdn, Role};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::{PathId, UserPath};
use crate::http::input::Input;
use crate::http::routes::me::{MeAnswer, answer};

type Data = web::Data<AppState>;

/// A user as the admin pages show them: `/me`'s fields and the admin's own.
#[derive(Serialize, ToSchema)]
pub struct AdminUserView {
    #[serde(flatten)]
    user: MeAnswer,
    device_limit_override: Option<i32>,
    rejected_reason: Option<String>,
    deactivated_at: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    profile: serde_json::Value,
    /// How many devices the user has (list only).
    device_count: Option<i64>,
}

pub fn view(state: &AppState, u: User, device_count: Option<i64>) -> AdminUserView {
    AdminUserView {
        device_limit_override: u.device_limit_override,
        rejected_reason: u.rejected_reason.clone(),
        deactivated_at: u.deactivated_at,
        profile: u.profile.clone(),
        device_count,
        user: answer(state, u),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A phone number in any local form (or part of it), or part of a name.
    #[param(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    q: Option<String>,
    /// The frontend's name for `q`.
    #[param(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    search: Option<String>,
    /// An access status (`active`, `fup`, `habis`, `expired`, `blocked`, `inactive`, `unlimited`), or
    /// the frontend's `aktif`, `inactive_quota`, `debt`.
    #[param(pattern = r"^(active|fup|habis|expired|blocked|inactive|unlimited|aktif|inactive_quota|debt)?$")]
    status: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^(USER|KOMANDAN|ADMIN|SUPER_ADMIN)$")]
    role: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^(PENDING_APPROVAL|APPROVED|REJECTED)$")]
    approval: Option<String>,
    blocked: Option<bool>,
    /// A column, `-column` for descending (default `-created_at`).
    #[param(
        pattern = r"^-?(created_at|full_name|phone_number|last_login_at|quota_expiry_date|approval_status|role|is_active|quota_purchased_bytes|quota_used_bytes|total_quota_purchased_mb|total_quota_used_mb)$"
    )]
    sort: Option<String>,
    #[serde(rename = "sortBy")]
    #[param(
        pattern = r"^(created_at|full_name|phone_number|last_login_at|quota_expiry_date|approval_status|role|is_active|quota_purchased_bytes|quota_used_bytes|total_quota_purchased_mb|total_quota_used_mb)$"
    )]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    #[param(pattern = r"^(asc|desc)$")]
    sort_order: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 10000)]
    per_page: Option<i64>,
    #[serde(rename = "itemsPerPage")]
    #[param(minimum = 1, maximum = 10000)]
    items_per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    items: Vec<AdminUserView>,
    total: i64,
    page: i64,
    per_page: i64,
    /// The frontend's name for `total`.
    #[serde(rename = "totalItems")]
    total_items: i64,
}

fn filter_of(q: ListQuery) -> Result<UserFilter, ApiError> {
    let sort = match (q.sort.as_deref(), q.sort_by.as_deref()) {
        (Some(s), _) => match s.strip_prefix('-') {
            Some(col) => (parse_sort(col)?, true),
            None => (parse_sort(s)?, false),
        },
        (None, Some(col)) => {
            let desc = match q.sort_order.as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(_) => return Err(ApiError::validation("sortOrder", "asc or desc")),
            };
            (parse_sort(col)?, desc)
        }
        (None, None) => ("created_at", true),
    };
    let paging = Paging::new(q.page, q.per_page.or(q.items_per_page), 10_000)?;
    let search = q.q.or(q.search).map(|s| super::text_param("q", s, 100)).transpose()?;
    Ok(UserFilter {
        search: search.as_deref().and_then(parse_search),
        status: q.status.as_deref().filter(|s| !s.is_empty()).map(parse_status).transpose()?,
        role: q
            .role
            .as_deref()
            .map(str::parse::<Role>)
            .transpose()
            .map_err(|_| ApiError::validation("role", "a role"))?,
        approval: q
            .approval
            .as_deref()
            .map(str::parse::<ApprovalStatus>)
            .transpose()
            .map_err(|_| ApiError::validation("approval", "PENDING_APPROVAL, APPROVED or REJECTED"))?,
        blocked: q.blocked,
        sort,
        page: paging.page,
        per_page: paging.per_page,
    })
}

#[utoipa::path(get, path = "/api/admin/users", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(ListQuery),
    responses((status = 200, body = UserPage), (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn list(state: Data, _a: AdminActor, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let f = filter_of(q.into_inner())?;
    let (page, per_page) = (f.page, f.per_page);
    let (rows, total) = state.admin.list_users(f).await?;
    let items = rows.into_iter().map(|l| view(&state, l.user, Some(l.device_count))).collect();
    Ok(HttpResponse::Ok().json(UserPage { items, total, page, per_page, total_items: total }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateBody {
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    phone_number: Msisdn,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    full_name: String,
    /// `USER` or `KOMANDAN`; an admin account is made with `POST /api/admin/users/{id}/role`
    /// (super admin, with its password).
    #[schema(value_type = Option<String>, pattern = r"^(USER|KOMANDAN)$")]
    role: Option<Role>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 0, maximum = 1125899906842624_i64)]
    quota_bytes: Option<i64>,
    /// The frontend's quota field, in GiB.
    #[schema(minimum = 0, maximum = 1048576)]
    add_gb: Option<f64>,
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    expires_at: Option<DateTime<Utc>>,
    /// Days from now (the frontend's `add_days`).
    #[serde(alias = "add_days")]
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 0, maximum = 3650)]
    validity_days: Option<u32>,
    #[serde(default)]
    is_unlimited_user: bool,
    /// A package to start with, given through the grant path (besides any quota above).
    #[schema(value_type = Option<String>, format = Uuid)]
    package_id: Option<uuid::Uuid>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    profile: std::collections::HashMap<String, serde_json::Value>,
}

fn profile_of(extra: &std::collections::HashMap<String, serde_json::Value>) -> Vec<(&'static str, String)> {
    extra
        .iter()
        .filter_map(|(k, v)| {
            let f = profile_field(k)?;
            match v {
                serde_json::Value::String(s) => Some((f, s.clone())),
                serde_json::Value::Null => Some((f, String::new())),
                _ => None,
            }
        })
        .collect()
}

fn gib_to_bytes(field: &str, gb: f64) -> Result<i64, ApiError> {
    if !gb.is_finite() || !(0.0..=1_048_576.0).contains(&gb) {
        return Err(ApiError::validation(field, "0 to 1,048,576 GiB"));
    }
    Ok((gb * GIB as f64).round() as i64)
}

#[utoipa::path(post, path = "/api/admin/users", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((CreateBody = "application/json"))),
    responses((status = 201, body = AdminUserView), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "PACKAGE_NOT_FOUND"),
        (status = 409, description = "PHONE_TAKEN")))]
pub async fn create(state: Data, a: AdminActor, body: Input<CreateBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let quota = match (b.quota_bytes, b.add_gb) {
        (Some(q), _) => q,
        (None, Some(gb)) => gib_to_bytes("add_gb", gb)?,
        (None, None) => 0,
    };
    let expires_at = match (b.expires_at, b.validity_days) {
        (Some(e), _) => Some(e),
        (None, Some(d)) if d > 0 => Some(Utc::now() + chrono::Duration::days(i64::from(d.min(3650)))),
        _ => None,
    };
    let given: Vec<(&'static str, Option<String>)> =
        profile_of(&b.profile).into_iter().map(|(k, v)| (k, Some(v))).collect();
    let refs: Vec<(&'static str, Option<&str>)> = given.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    let profile = crate::accounts::create::profile_from(&refs).map_err(crate::admin::AdminError::from)?;
    let role = b.role.unwrap_or(Role::User);
    if role.is_admin() {
        return Err(ApiError::validation(
            "role",
            "USER or KOMANDAN; make an admin with POST /api/admin/users/{id}/role",
        ));
    }
    let input = CreateUser {
        phone: b.phone_number,
        full_name: b.full_name,
        role,
        approval: ApprovalStatus::Approved,
        password: None,
        quota_bytes: quota,
        expires_at,
        unlimited: b.is_unlimited_user,
        created_by: None,
        origin: "admin",
        profile,
    };
    let user = match b.package_id {
        Some(p) => state.billing.create_user_with_package(&a.0, input, p).await?,
        None => state.admin.create(&a.0, input).await?,
    };
    Ok(HttpResponse::Created().json(view(&state, user, Some(0))))
}

#[derive(Serialize, ToSchema)]
pub struct DetailAnswer {
    user: AdminUserView,
    devices: Vec<Device>,
    /// The last 30 days in the operator's timezone, oldest first, zero-filled.
    usage_30d: Vec<UsageDay>,
    /// The latest 20 ledger rows, newest first.
    ledger: Vec<LedgerRow>,
}

#[utoipa::path(get, path = "/api/admin/users/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, description = "The user's id", format = Uuid)),
    responses((status = 200, body = DetailAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND")))]
pub async fn detail(state: Data, _a: AdminActor, id: PathId<UserPath>) -> Result<HttpResponse, ApiError> {
    let Detail { user, devices, usage, ledger } = state.admin.detail(id.0).await?;
    let n = devices.len() as i64;
    Ok(HttpResponse::Ok().json(DetailAnswer { user: view(&state, user, Some(n)), devices, usage_30d: usage, ledger }))
}

/// What a lifecycle action answers: the user after it, and whether anything changed.
#[derive(Serialize, ToSchema)]
pub struct ChangedAnswer {
    message: &'static str,
    changed: bool,
    /// A quota grant whose Idempotency-Key was seen before: nothing was granted again.
    replayed: bool,
    user: AdminUserView,
}

pub fn changed_answer(state: &AppState, c: Changed, message: &'static str) -> HttpResponse {
    let message = if c.changed || c.replayed { message } else { "nothing to change" };
    HttpResponse::Ok().json(ChangedAnswer {
        message,
        changed: c.changed,
        replayed: c.replayed,
        user: view(state, c.user, None),
    })
}

#[derive(Deserialize, ToSchema)]
pub struct PatchBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    full_name: Option<String>,
    is_unlimited_user: Option<bool>,
    /// 1 to 100; 0 clears the override (the runtime setting applies).
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 0, maximum = 100)]
    device_limit_override: Option<i32>,
    /// The frontend's edit fields (ignored unless named here): quota in GiB and days to add.
    #[schema(minimum = 0, maximum = 1048576)]
    add_gb: Option<f64>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 0, maximum = 3650)]
    add_days: Option<u32>,
    /// Blocks (with `blocked_reason`, or a default) or unblocks.
    is_blocked: Option<bool>,
    #[schema(max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    blocked_reason: Option<String>,
    /// False deactivates (sessions end, router entries go); true reactivates.
    is_active: Option<bool>,
    /// A package lent on credit (a USER's): its quota now, its price owed by the month's end.
    #[schema(format = Uuid)]
    debt_package_id: Option<String>,
    /// The debt's day (`YYYY-MM-DD`, today when none); read only with `debt_package_id`.
    #[schema(max_length = 10)]
    debt_date: Option<String>,
    #[schema(max_length = 500, pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$")]
    debt_note: Option<String>,
    /// Profile attributes (`email`, `address`, `notes`, `blok`, `kamar`, `tamping_type`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    extra: std::collections::HashMap<String, serde_json::Value>,
}

#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,100}$", description = "Makes a retried add_gb/add_days grant once")),
    request_body(content((PatchBody = "application/json"))),
    responses((status = 200, body = ChangedAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND"),
        (status = 409, description = "IDEMPOTENCY_CONFLICT")))]
pub async fn patch(
    state: Data,
    a: AdminActor,
    req: HttpRequest,
    id: PathId<UserPath>,
    body: Input<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.0;
    let b = body.0;
    // The frontend's editor sends its role select too; a super admin's change of it is a role
    // change, the same value is none.
    let role = match b.extra.get("role").and_then(|v| v.as_str()) {
        Some(r) => Some(r.parse::<Role>().map_err(|_| ApiError::validation("role", "a role"))?),
        None => None,
    };
    let edit = Edit {
        patch: UserPatch {
            full_name: b.full_name,
            is_unlimited_user: b.is_unlimited_user,
            device_limit_override: b.device_limit_override.map(|n| (n != 0).then_some(n)),
            profile: profile_of(&b.extra),
        },
        role,
        add_bytes: b.add_gb.map(|gb| gib_to_bytes("add_gb", gb)).transpose()?.unwrap_or(0),
        add_days: b.add_days.unwrap_or(0),
        blocked: b.is_blocked,
        blocked_reason: b.blocked_reason,
        active: b.is_active,
        lend: super::debts::lend_of(b.debt_package_id, b.debt_date, b.debt_note)?,
        key: super::idempotency_key(&req)?,
    };
    let c = state.admin.edit(&a.0, id, edit).await?;
    Ok(changed_answer(&state, c, "user updated"))
}

/// The existing frontend's edit dialog saves with PUT (the same fields).
#[utoipa::path(put, path = "/api/admin/users/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,100}$", description = "Makes a retried add_gb/add_days grant once")),
    request_body(content((PatchBody = "application/json"))),
    responses((status = 200, body = ChangedAnswer), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND"),
        (status = 409, description = "IDEMPOTENCY_CONFLICT")))]
pub async fn put(
    state: Data,
    a: AdminActor,
    req: HttpRequest,
    id: PathId<UserPath>,
    body: Input<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    patch(state, a, req, id, body).await
}
