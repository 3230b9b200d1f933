//! The signed-in user's own figures, in the shapes the existing frontend's dashboard reads:
//! quota, the week's and the year's usage, the week's spending.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::days::today;
use crate::http::AppState;
use crate::http::error::{ApiError, refuse};
use crate::http::extract::CurrentUser;

use crate::http::routes::debts::mib;

#[derive(Serialize, ToSchema)]
pub struct QuotaAnswer {
    success: bool,
    quota_purchased_bytes: i64,
    quota_used_bytes: i64,
    quota_remaining_bytes: i64,
    total_quota_purchased_mb: f64,
    total_quota_used_mb: f64,
    remaining_mb: f64,
    /// Use beyond the purchased quota (the next purchase or a settlement pays it).
    quota_debt_bytes: i64,
    quota_debt_auto_mb: f64,
    /// Quota lent on credit and not paid yet.
    quota_debt_manual_mb: f64,
    quota_debt_total_mb: f64,
    /// What is owed in rupiah: the open debts' prices and the automatic debt at the best
    /// finite package on sale.
    quota_debt_total_estimated_rp: i64,
    /// The router-side user name (the phone's local form).
    hotspot_username: String,
    /// The last successful quota sync.
    last_sync_time: Option<DateTime<Utc>>,
    is_unlimited_user: bool,
    quota_expiry_date: Option<DateTime<Utc>>,
    /// `active`, `fup`, `habis`, `expired`, `blocked`, `inactive` or `unlimited`.
    access_status: String,
    /// Above this much purchased, dropping below it remaining means fair-use limits.
    fup_threshold_bytes: i64,
    /// Remaining-quota percentages at which the user is warned (runtime setting).
    quota_low_percents: Vec<u8>,
    /// Percent of the purchased quota still remaining (none when unlimited or nothing bought).
    remaining_percent: Option<f64>,
}

#[utoipa::path(get, path = "/api/users/me/quota", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = QuotaAnswer), (status = 401, description = "AUTH_REQUIRED")))]
pub async fn quota(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let u = state.captive.user_by_id(user.id()).await?.ok_or_else(refuse::auth_required)?;
    let last_sync_time = crate::sites::runs::last_success(&state.db).await?;
    let remaining = u.quota_remaining_bytes();
    let owing = state.billing.owing(u.id, true).await?;
    Ok(HttpResponse::Ok().json(QuotaAnswer {
        success: true,
        quota_purchased_bytes: u.quota_purchased_bytes,
        quota_used_bytes: u.quota_used_bytes,
        quota_remaining_bytes: remaining,
        total_quota_purchased_mb: mib(u.quota_purchased_bytes),
        total_quota_used_mb: mib(u.quota_used_bytes),
        remaining_mb: mib(remaining),
        quota_debt_bytes: owing.auto_bytes,
        quota_debt_auto_mb: mib(owing.auto_bytes),
        quota_debt_manual_mb: mib(owing.manual.bytes),
        quota_debt_total_mb: mib(owing.auto_bytes + owing.manual.bytes),
        quota_debt_total_estimated_rp: owing.total_idr(),
        hotspot_username: u.phone_number.local(),
        last_sync_time,
        is_unlimited_user: u.is_unlimited_user,
        quota_expiry_date: u.quota_expiry_date,
        access_status: state.captive.status_of(&u).as_str().to_owned(),
        fup_threshold_bytes: state.captive.policy().fup_threshold,
        quota_low_percents: state.admin.runtime.get().quota_low_percents.clone(),
        remaining_percent: (!u.is_unlimited_user && u.quota_purchased_bytes > 0)
            .then(|| (remaining as f64 / u.quota_purchased_bytes as f64 * 1000.0).round() / 10.0),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Period {
    start_date: String,
    end_date: String,
}

#[derive(Serialize, ToSchema)]
pub struct WeeklyUsage {
    success: bool,
    /// MiB per day, the last 7 days (operator's timezone), oldest first.
    weekly_data: Vec<f64>,
    period: Period,
}

#[utoipa::path(get, path = "/api/users/me/weekly-usage", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = WeeklyUsage), (status = 401, description = "AUTH_REQUIRED")))]
pub async fn weekly_usage(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let today = today(state.settings.timezone);
    let days = state.accounts.daily(user.id(), today, 7).await?;
    let period =
        Period { start_date: days.first().map(|d| d.0.to_string()).unwrap_or_default(), end_date: today.to_string() };
    Ok(HttpResponse::Ok().json(WeeklyUsage {
        success: true,
        weekly_data: days.iter().map(|d| mib(d.1)).collect(),
        period,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MonthUsage {
    /// `YYYY-MM`.
    month_year: String,
    usage_mb: f64,
}

#[derive(Serialize, ToSchema)]
pub struct MonthlyUsage {
    success: bool,
    /// The last 12 months, oldest first.
    monthly_data: Vec<MonthUsage>,
}

#[utoipa::path(get, path = "/api/users/me/monthly-usage", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MonthlyUsage), (status = 401, description = "AUTH_REQUIRED")))]
pub async fn monthly_usage(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let today = today(state.settings.timezone);
    let months = state.accounts.monthly(user.id(), today, 12).await?;
    let monthly_data = months
        .into_iter()
        .map(|(y, m, b)| MonthUsage { month_year: format!("{y:04}-{m:02}"), usage_mb: mib(b) })
        .collect();
    Ok(HttpResponse::Ok().json(MonthlyUsage { success: true, monthly_data }))
}

#[derive(Serialize, ToSchema)]
pub struct Series {
    name: &'static str,
    data: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct WeeklySpending {
    /// The last 7 days (`YYYY-MM-DD`), oldest first.
    categories: Vec<String>,
    /// Rupiah spent per day.
    series: Vec<Series>,
    total_this_week: i64,
}

#[utoipa::path(get, path = "/api/users/me/weekly-spending", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = WeeklySpending, description = "Rupiah paid per local day (paid and later refunded sales count on the day paid)"),
        (status = 401, description = "AUTH_REQUIRED")))]
pub async fn weekly_spending(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let today = today(state.settings.timezone);
    let first = today - chrono::Duration::days(6);
    let categories: Vec<String> = first.iter_days().take(7).map(|d| d.to_string()).collect();
    let data = state.billing.spending_per_day(user.id(), today, 7).await?;
    let total_this_week = data.iter().sum();
    Ok(HttpResponse::Ok().json(WeeklySpending {
        series: vec![Series { name: "Pengeluaran", data }],
        categories,
        total_this_week,
    }))
}
