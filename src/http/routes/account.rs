//! The signed-in user's own records: usage by day, week or month, the quota history, the
//! sign-ins, and the profile they may change (name, language, reminders).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::history::{HistoryQuery, QuotaLine, SignIn};
use crate::accounts::usage::Period;
use crate::domain::days::{local_midnight, today};
use crate::http::AppState;
use crate::http::error::{ApiError, refuse};
use crate::http::extract::CurrentUser;
use crate::http::input::Input;
use crate::http::input::Paging;

type Data = web::Data<AppState>;

const MIB: f64 = 1_048_576.0;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// `day` (the last 30 days), `week` (the last 12 weeks, Monday first) or `month` (the last
    /// 12 months); default `day`.
    #[param(pattern = "^(day|week|month)$")]
    period: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UsagePoint {
    /// The first local day of the point.
    start: NaiveDate,
    bytes: i64,
    mb: f64,
}

#[derive(Serialize, ToSchema)]
pub struct UsageSeries {
    period: &'static str,
    /// The operator's timezone, in which days begin.
    timezone: String,
    points: Vec<UsagePoint>,
    total_bytes: i64,
}

#[utoipa::path(get, path = "/api/users/me/usage", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    params(UsageQuery),
    responses((status = 200, body = UsageSeries, description = "Bytes used per point, oldest first, zero-filled"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn usage(state: Data, user: CurrentUser, q: web::Query<UsageQuery>) -> Result<HttpResponse, ApiError> {
    let period = match q.period.as_deref() {
        None => Period::Day,
        Some(p) => Period::parse(p).ok_or_else(|| ApiError::validation("period", "day, week or month"))?,
    };
    let tz = state.settings.timezone;
    let points = state.accounts.series(user.id(), period, today(tz)).await?;
    let total_bytes = points.iter().map(|p| p.1).sum();
    Ok(HttpResponse::Ok().json(UsageSeries {
        period: period.as_str(),
        timezone: tz.name().to_owned(),
        points: points
            .into_iter()
            .map(|(start, bytes)| UsagePoint { start, bytes, mb: (bytes as f64 / MIB * 100.0).round() / 100.0 })
            .collect(),
        total_bytes,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
    /// The frontend's name for `per_page`.
    #[serde(rename = "itemsPerPage")]
    #[param(rename = "itemsPerPage", minimum = 1, maximum = 100)]
    items_per_page: Option<i64>,
    /// From this local day (default: 90 days back; at most a year before `end_date`).
    #[serde(alias = "startDate")]
    #[param(format = Date)]
    start_date: Option<String>,
    /// Through this local day (default: today).
    #[serde(alias = "endDate")]
    #[param(format = Date)]
    end_date: Option<String>,
    /// Accepted for the frontend; the history is short enough to read.
    #[param(max_length = 100)]
    search: Option<String>,
}

/// A line of the history, ours and the frontend's shape.
#[derive(Serialize, ToSchema)]
pub struct HistoryItem {
    #[serde(flatten)]
    line: QuotaLine,
    // The frontend's `/riwayat` reads these.
    category: &'static str,
    title: String,
    description: String,
    created_at: DateTime<Utc>,
    /// In the operator's timezone, as the pages print it.
    created_at_display: String,
    #[schema(value_type = Object)]
    deltas: serde_json::Value,
    /// The same changes as signed text (`+1.024 MB`), as the pages print them.
    #[schema(value_type = Object)]
    deltas_display: serde_json::Value,
    highlights: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaHistory {
    items: Vec<HistoryItem>,
    total: i64,
    page: i64,
    per_page: i64,
    success: bool,
    #[serde(rename = "totalItems")]
    total_items: i64,
    #[serde(rename = "itemsPerPage")]
    items_per_page: i64,
    #[schema(value_type = Object)]
    summary: serde_json::Value,
    #[schema(value_type = Object)]
    filters: serde_json::Value,
}

fn signed_mb(mb: f64) -> String {
    format!("{}{mb} MB", if mb > 0.0 { "+" } else { "" })
}

fn item(line: QuotaLine, tz: chrono_tz::Tz) -> HistoryItem {
    let mb = (line.bytes as f64 / MIB * 100.0).round() / 100.0;
    let (category, title, key) = crate::accounts::history::label(&line);
    let deltas = serde_json::json!({ format!("{key}_mb"): mb });
    let deltas_display = serde_json::json!({
        "purchased": (key == "purchased").then(|| signed_mb(mb)),
        "used": (key == "used").then(|| signed_mb(mb)),
        "debt_total": null, "remaining_before": null, "remaining_after": null,
    });
    let title = title.to_owned();
    let description = crate::accounts::history::description(&line);
    let created_at_display = crate::domain::days::local_time_text(line.at, tz);
    let highlights =
        line.details["extend_days"].as_u64().filter(|d| *d > 0).map(|d| format!("+{d} hari")).into_iter().collect();
    HistoryItem {
        category,
        title,
        description,
        created_at: line.at,
        created_at_display,
        deltas,
        deltas_display,
        highlights,
        line,
    }
}

fn day(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| ApiError::validation(field, "YYYY-MM-DD"))
        }
    }
}

#[utoipa::path(get, path = "/api/users/me/quota-history", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    params(HistoryParams),
    responses((status = 200, body = QuotaHistory, description = "Grants one by one and usage per day, newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn quota_history(
    state: Data,
    user: CurrentUser,
    q: web::Query<HistoryParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(history_of(&state, user.id(), q.into_inner()).await?))
}

/// A user's quota history as the pages read it (the user's own, and the admin's view of one).
pub async fn history_of(state: &AppState, user: uuid::Uuid, q: HistoryParams) -> Result<QuotaHistory, ApiError> {
    let _ = &q.search;
    let p = Paging::new(q.page, q.per_page.or(q.items_per_page), 100)?;
    let tz = state.settings.timezone;
    let today = today(tz);
    let last = day("end_date", q.end_date.as_deref())?.unwrap_or(today);
    // A year at most is kept in view (the answer's `filters` says which days were read); a
    // start after the end reads nothing.
    let first = day("start_date", q.start_date.as_deref())?
        .unwrap_or(last - chrono::Duration::days(89))
        .max(last - chrono::Duration::days(365));
    let hq = HistoryQuery {
        user,
        from: local_midnight(first, tz),
        to: local_midnight(last + chrono::Duration::days(1), tz),
        tz,
        page: p.page,
        per_page: p.per_page,
    };
    let (lines, total) = state.accounts.quota_history(hq).await?;
    let items: Vec<HistoryItem> = lines.into_iter().map(|l| item(l, tz)).collect();
    let used: f64 = items.iter().filter(|i| i.category == "usage").map(|i| i.line.bytes as f64 / MIB).sum();
    let bought: f64 = items.iter().filter(|i| i.category != "usage").map(|i| i.line.bytes as f64 / MIB).sum();
    let summary = serde_json::json!({
        "page_items": items.len(),
        "usage_events": items.iter().filter(|i| i.category == "usage").count(),
        "purchase_events": items.iter().filter(|i| i.category == "purchase").count(),
        "debt_events": items.iter().filter(|i| i.category == "debt").count(),
        "policy_events": items.iter().filter(|i| i.category == "policy").count(),
        "total_net_purchased_mb": (bought * 100.0).round() / 100.0,
        "total_net_used_mb": (used * 100.0).round() / 100.0,
    });
    let (from_text, to_text) = (first.format("%d-%m-%Y").to_string(), last.format("%d-%m-%Y").to_string());
    let filters = serde_json::json!({
        "search": "", "start_date": first, "end_date": last, "retention_days": 366,
        "start_date_display": from_text, "end_date_display": to_text, "label": format!("{from_text} s/d {to_text}"),
    });
    Ok(QuotaHistory {
        items,
        total,
        page: p.page,
        per_page: p.per_page,
        success: true,
        total_items: total,
        items_per_page: p.per_page,
        summary,
        filters,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SignIns {
    items: Vec<SignIn>,
    total: i64,
    page: i64,
    per_page: i64,
}

#[utoipa::path(get, path = "/api/users/me/login-history", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    params(PageParams),
    responses((status = 200, body = SignIns, description = "The caller's sign-ins, newest first"),
        (status = 401, description = "AUTH_REQUIRED")))]
pub async fn login_history(
    state: Data,
    user: CurrentUser,
    q: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let p = Paging::new(q.page, q.per_page, 100)?;
    let (items, total) = state.accounts.sign_ins(user.id(), p.page, p.per_page).await?;
    Ok(HttpResponse::Ok().json(SignIns { items, total, page: p.page, per_page: p.per_page }))
}

#[derive(Deserialize, ToSchema)]
pub struct ProfileBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    full_name: Option<String>,
    /// `id` or `en`.
    #[schema(value_type = Option<String>, pattern = "^(id|en)$")]
    language: Option<crate::domain::Language>,
    /// True: no reminders (quota low, expiry soon); codes and receipts are still sent.
    messages_opt_out: Option<bool>,
}

#[utoipa::path(put, path = "/api/auth/me/profile", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    request_body(content((ProfileBody = "application/json"), (ProfileBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = super::me::MeAnswer, description = "The user after the change"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "ORIGIN_INVALID"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn profile(state: Data, user: CurrentUser, body: Input<ProfileBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let own = crate::accounts::write::OwnProfile {
        full_name: b.full_name,
        language: b.language,
        messages_opt_out: b.messages_opt_out,
    };
    save_own(&state, user.id(), own).await
}

/// Writes the account's own profile and answers it as `/api/auth/me` does.
async fn save_own(
    state: &Data,
    id: uuid::Uuid,
    own: crate::accounts::write::OwnProfile,
) -> Result<HttpResponse, ApiError> {
    let after = state
        .accounts
        .update_own_profile(id, own)
        .await
        .map_err(|e| match e {
            crate::accounts::UserError::Db(d) => ApiError::from(d),
            other => ApiError::validation("full_name", other.to_string()),
        })?
        .ok_or_else(refuse::auth_required)?;
    Ok(HttpResponse::Ok().json(super::me::answer(state, after)))
}

#[derive(Deserialize, ToSchema)]
pub struct ConsoleProfileBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    full_name: Option<String>,
    /// The account's number as the page sends it back (E.164); it must be the account's own:
    /// a console account's number is changed by a super admin in the user editor.
    #[schema(value_type = Option<String>, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    phone_number: Option<crate::domain::Msisdn>,
}

/// The existing frontend's `/akun` saves an admin's or a Komandan's own profile here.
#[utoipa::path(put, path = "/api/admin/users/me", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    request_body(content((ConsoleProfileBody = "application/json"))),
    responses((status = 200, body = super::me::MeAnswer, description = "The account after the change"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "ORIGIN_INVALID"),
        (status = 422, description = "VALIDATION_ERROR: a name out of bounds, or a number that is not the account's own")))]
pub async fn console_profile(
    state: Data,
    user: CurrentUser,
    body: Input<ConsoleProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let me = state.accounts.find(user.id()).await?.ok_or_else(refuse::auth_required)?;
    if b.phone_number.is_some_and(|phone| phone != me.phone_number) {
        return Err(ApiError::validation(
            "phone_number",
            "a console account's number is changed by a super admin in the user editor",
        ));
    }
    let own = crate::accounts::write::OwnProfile { full_name: b.full_name, language: None, messages_opt_out: None };
    save_own(&state, user.id(), own).await
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordBody {
    #[schema(min_length = 1, max_length = 200)]
    current_password: String,
    #[schema(min_length = 10, max_length = 200)]
    new_password: String,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    message: &'static str,
}

/// An account with a password (the console's) changes it; its other sessions end.
#[utoipa::path(post, path = "/api/auth/me/change-password", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    request_body(content((ChangePasswordBody = "application/json"))),
    responses((status = 200, body = PasswordChanged),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "ORIGIN_INVALID"),
        (status = 422, description = "VALIDATION_ERROR: the current password is wrong, the new one too short or the same, or the account has none"),
        (status = 429, description = "RATE_LIMITED: too many wrong current passwords")))]
pub async fn change_password(
    state: Data,
    req: actix_web::HttpRequest,
    user: CurrentUser,
    client: crate::http::extract::Client,
    body: Input<ChangePasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    if b.current_password.len() > 200 || b.new_password.len() > 200 {
        return Err(ApiError::validation("new_password", "at most 200 characters"));
    }
    let rid = crate::http::context::request_id(&req);
    state.captive.change_password(&user.0.claims, b.current_password, b.new_password, rid, client.0.ip).await?;
    Ok(HttpResponse::Ok().json(PasswordChanged { message: "Kata sandi berhasil diubah." }))
}
