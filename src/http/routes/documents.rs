//! Money documents over HTTP (PDF): a purchase's invoice, an admin's report of one transaction,
//! the sales report of a period, and a document opened by its short-lived signed link.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::billing::documents::Pdf;
use crate::billing::user_docs::ListOf;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{AdminActor, CurrentUser};
use crate::http::ids::{OrderPath, PathId, UserPath, uuid_field};

type Data = web::Data<AppState>;

/// A PDF answer, shown in the browser (`inline`) or saved (`attachment`); never cached, since
/// each holds a person's data.
pub fn pdf(doc: Pdf, disposition: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Content-Disposition", format!("{disposition}; filename=\"{}\"", doc.filename)))
        .insert_header(("Cache-Control", "no-store"))
        .body(doc.bytes)
}

#[utoipa::path(get, path = "/api/transactions/{order_id}/invoice", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, content_type = "application/pdf", description = "The invoice of one's own paid purchase (a debt payment's: its receipt)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 404, description = "TRANSACTION_NOT_FOUND"),
        (status = 422, description = "VALIDATION_ERROR: not paid"), (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn invoice(state: Data, user: CurrentUser, order: PathId<OrderPath>) -> Result<HttpResponse, ApiError> {
    // One's own only (the console has each transaction's report).
    Ok(pdf(state.billing.invoice(Some(user.id()), &order.0).await?, "inline"))
}

#[utoipa::path(get, path = "/api/admin/transactions/{order_id}/report.pdf", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, content_type = "application/pdf", description = "One transaction: the sale, the buyer, Midtrans's word, its events"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "TRANSACTION_NOT_FOUND"), (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn report(state: Data, _a: AdminActor, order: PathId<OrderPath>) -> Result<HttpResponse, ApiError> {
    let order = order.0.strip_suffix(".pdf").unwrap_or(&order.0).to_owned();
    Ok(pdf(state.billing.transaction_report(&order).await?, "inline"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `pdf` (the only format; none means it).
    #[param(pattern = "^(pdf)?$")]
    format: Option<String>,
    /// The first local day, `YYYY-MM-DD`.
    #[param(max_length = 10)]
    start_date: Option<String>,
    /// The last local day (the first when none).
    #[param(max_length = 10)]
    end_date: Option<String>,
    /// One user's sales only.
    #[param(format = Uuid)]
    user_id: Option<String>,
    /// Totals per `daily` (the default), `monthly` or `yearly` period, or `none`.
    #[param(pattern = "^(daily|monthly|yearly|none)?$")]
    group_by: Option<String>,
}

fn day(field: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ApiError::validation(field, "YYYY-MM-DD"))
}

#[utoipa::path(get, path = "/api/admin/transactions/export", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(ExportQuery),
    responses((status = 200, content_type = "application/pdf", description = "The period's sales: totals per package, method and day, every sale"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn export(state: Data, _a: AdminActor, q: web::Query<ExportQuery>) -> Result<HttpResponse, ApiError> {
    pdf_only(q.format.as_deref())?;
    let from =
        day("start_date", q.start_date.as_deref().ok_or_else(|| ApiError::validation("start_date", "required"))?)?;
    let to = match q.end_date.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => day("end_date", raw)?,
        None => from,
    };
    let user = match q.user_id.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => Some(uuid_field("user_id", raw, "a user id")?),
        None => None,
    };
    let group = match q.group_by.as_deref().unwrap_or("") {
        "" | "daily" => Some("%Y-%m-%d"),
        "monthly" => Some("%Y-%m"),
        "yearly" => Some("%Y"),
        "none" => None,
        _ => return Err(ApiError::validation("group_by", "daily, monthly, yearly or none")),
    };
    Ok(pdf(state.billing.sales_report(from, to, user, group).await?, "attachment"))
}

#[utoipa::path(get, path = "/api/documents/{token}", tag = "billing",
    params(("token" = String, Path, max_length = 404, description = "A document link's token (`.pdf` may follow)")),
    responses((status = 200, content_type = "application/pdf", description = "The document the link names"),
        (status = 403, description = "FORBIDDEN: a link that is not ours or has expired"),
        (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn linked(state: Data, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(pdf(state.billing.linked_document(&token).await?, "inline"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryExport {
    #[param(pattern = "^(pdf)?$")]
    format: Option<String>,
    /// The first local day, `YYYY-MM-DD` (90 days before the last when none).
    #[serde(alias = "startDate")]
    #[param(max_length = 10)]
    start_date: Option<String>,
    /// The last local day (today when none).
    #[serde(alias = "endDate")]
    #[param(max_length = 10)]
    end_date: Option<String>,
    /// The pages' paging and search, ignored: the document holds every line of the period.
    #[param(max_length = 100)]
    search: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[serde(rename = "itemsPerPage")]
    #[param(minimum = 1, maximum = 10000)]
    items_per_page: Option<i64>,
}

fn pdf_only(format: Option<&str>) -> Result<(), ApiError> {
    match format {
        None | Some("" | "pdf") => Ok(()),
        Some(_) => Err(ApiError::validation("format", "pdf")),
    }
}

fn period(state: &AppState, q: &HistoryExport) -> Result<(NaiveDate, NaiveDate), ApiError> {
    pdf_only(q.format.as_deref())?;
    let _ = (&q.search, q.page, q.items_per_page);
    let given = |field: &str, raw: Option<&str>| match raw.filter(|s| !s.trim().is_empty()) {
        Some(raw) => day(field, raw).map(Some),
        None => Ok(None),
    };
    let (start, end) = (given("startDate", q.start_date.as_deref())?, given("endDate", q.end_date.as_deref())?);
    Ok(crate::billing::doc_sends::history_period(crate::domain::days::today(state.settings.timezone), start, end))
}

#[utoipa::path(get, path = "/api/users/me/quota-history/export", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    params(HistoryExport),
    responses((status = 200, content_type = "application/pdf", description = "The user's quota history of the period, every line"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 422, description = "VALIDATION_ERROR"),
        (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn my_history(
    state: Data,
    user: CurrentUser,
    q: web::Query<HistoryExport>,
) -> Result<HttpResponse, ApiError> {
    let (first, last) = period(&state, &q)?;
    Ok(pdf(state.billing.history_pdf(user.id(), first, last).await?, "attachment"))
}

#[utoipa::path(get, path = "/api/admin/users/{id}/quota-history/export", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), HistoryExport),
    responses((status = 200, content_type = "application/pdf", description = "A user's quota history of the period, every line"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR"),
        (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn user_history(
    state: Data,
    a: AdminActor,
    id: PathId<UserPath>,
    q: web::Query<HistoryExport>,
) -> Result<HttpResponse, ApiError> {
    let (first, last) = period(&state, &q)?;
    state.billing.owing_as(&a.0, id.0).await?;
    Ok(pdf(state.billing.history_pdf(id.0, first, last).await?, "attachment"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    #[param(pattern = "^(pdf)?$")]
    format: Option<String>,
    /// The user list of one role only.
    #[param(value_type = Option<String>, pattern = "^(USER|KOMANDAN|ADMIN|SUPER_ADMIN)$")]
    role: Option<String>,
}

#[utoipa::path(get, path = "/api/admin/users/{id}/debts/export", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), FormatQuery),
    responses((status = 200, content_type = "application/pdf", description = "The user's debt ledger"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR"),
        (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn ledger(
    state: Data,
    a: AdminActor,
    id: PathId<UserPath>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    pdf_only(q.format.as_deref())?;
    Ok(pdf(state.billing.ledger_pdf(&a.0, id.0).await?, "attachment"))
}

#[utoipa::path(get, path = "/api/admin/users/{id}/detail-report/export", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), FormatQuery),
    responses((status = 200, content_type = "application/pdf", description = "The user's account, devices, last purchases and debts"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR"),
        (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn detail(
    state: Data,
    a: AdminActor,
    id: PathId<UserPath>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    pdf_only(q.format.as_deref())?;
    Ok(pdf(state.billing.detail_pdf(&a.0, id.0).await?, "attachment"))
}

#[utoipa::path(get, path = "/api/admin/users/export/users-list", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(FormatQuery),
    responses((status = 200, content_type = "application/pdf", description = "The users (of one role), as the admin may see them"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn users_list(state: Data, a: AdminActor, q: web::Query<FormatQuery>) -> Result<HttpResponse, ApiError> {
    pdf_only(q.format.as_deref())?;
    let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(r.parse::<crate::domain::Role>().map_err(|_| ApiError::validation("role", "a role"))?),
        None => None,
    };
    Ok(pdf(state.billing.users_pdf(&a.0, ListOf::All(role)).await?, "attachment"))
}

#[utoipa::path(get, path = "/api/admin/users/export/debt-list", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(FormatQuery),
    responses((status = 200, content_type = "application/pdf", description = "The users who owe"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 503, description = "SERVICE_UNAVAILABLE: no font")))]
pub async fn debt_list(state: Data, a: AdminActor, q: web::Query<FormatQuery>) -> Result<HttpResponse, ApiError> {
    pdf_only(q.format.as_deref())?;
    Ok(pdf(state.billing.users_pdf(&a.0, ListOf::Owing).await?, "attachment"))
}
