//! The operator's side of selling: voucher batches, cash sales, and the transactions list with
//! its reconcile button (packages are in `packages`). The existing admin pages' spellings
//! (`itemsPerPage`, `totalItems`) are read beside ours.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Paging;
use super::idempotency_key;
use super::packages::ListQuery;
use crate::billing::history::TxFilter;
use crate::billing::vouchers::{BatchSummary, CodeState};
use crate::domain::TxState;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{AdminActor, AdminUser};
use crate::http::ids::{BatchPath, OrderPath, PathId, UserPath, uuid_field};
use crate::http::input::Input;
use crate::http::routes::billing_views::{TxView, tx_view};

type Data = web::Data<AppState>;

#[derive(Deserialize, ToSchema)]
pub struct BatchBody {
    #[schema(format = Uuid)]
    package_id: String,
    #[serde(deserialize_with = "crate::domain::text::integral")]
    #[schema(minimum = 1, maximum = 5000)]
    count: i32,
    #[schema(max_length = 500)]
    note: Option<String>,
    /// The sites its codes are redeemed at (ids from /api/admin/routers); absent or empty: its
    /// package's.
    #[schema(max_items = 64)]
    site_ids: Option<Vec<i32>>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchMade {
    batch: BatchSummary,
    /// The codes, shown once here; the CSV prints them again.
    codes: Vec<String>,
    csv_url: String,
}

#[utoipa::path(post, path = "/api/admin/vouchers", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((BatchBody = "application/json"))),
    responses((status = 201, body = BatchMade), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "PACKAGE_NOT_FOUND"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn create_batch(state: Data, a: AdminActor, body: Input<BatchBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let package = uuid_field("package_id", &b.package_id, "an id")?;
    let made = state.billing.create_batch(&a.0, package, b.count, b.note, b.site_ids).await?;
    let (summary, _) = state.billing.batch(made.batch.id).await?;
    Ok(HttpResponse::Created().json(BatchMade {
        csv_url: format!("/api/admin/vouchers/{}.csv", made.batch.id),
        batch: summary,
        codes: made.codes,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BatchPage {
    items: Vec<BatchSummary>,
    total: i64,
    page: i64,
    per_page: i64,
}

#[utoipa::path(get, path = "/api/admin/vouchers", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(ListQuery),
    responses((status = 200, body = BatchPage, description = "Voucher batches, newest first, with how many codes were used"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn batches(state: Data, _a: AdminUser, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let p = q.paging()?;
    let (items, total) = state.billing.batches(p.page, p.per_page).await?;
    Ok(HttpResponse::Ok().json(BatchPage { items, total, page: p.page, per_page: p.per_page }))
}

#[derive(Serialize, ToSchema)]
pub struct BatchDetail {
    batch: BatchSummary,
    codes: Vec<CodeState>,
}

#[utoipa::path(get, path = "/api/admin/vouchers/{batch}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("batch" = String, Path, format = Uuid)),
    responses((status = 200, body = BatchDetail, description = "The batch and each code's state"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "NOT_FOUND")))]
pub async fn batch(state: Data, _a: AdminUser, id: PathId<BatchPath>) -> Result<HttpResponse, ApiError> {
    let id = id.0;
    let (batch, codes) = state.billing.batch(id).await?;
    Ok(HttpResponse::Ok().json(BatchDetail { batch, codes }))
}

#[utoipa::path(get, path = "/api/admin/vouchers/{batch}.csv", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("batch" = String, Path, format = Uuid)),
    responses((status = 200, content_type = "text/csv", body = String, description = "batch,seq,code,package,state,redeemed_at"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "NOT_FOUND"), (status = 409, description = "CONFLICT: made under another secret")))]
pub async fn batch_csv(state: Data, _a: AdminUser, id: PathId<BatchPath>) -> Result<HttpResponse, ApiError> {
    let id = id.0;
    let csv = state.billing.batch_csv(id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"vouchers-{id}.csv\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(csv))
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {
    message: &'static str,
    changed: bool,
    revoked_at: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/api/admin/vouchers/{batch}/revoke", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("batch" = String, Path, format = Uuid)),
    responses((status = 200, body = Revoked, description = "The batch's unused codes no longer redeem"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "NOT_FOUND")))]
pub async fn revoke_batch(state: Data, a: AdminActor, id: PathId<BatchPath>) -> Result<HttpResponse, ApiError> {
    let id = id.0;
    let (b, changed) = state.billing.revoke_batch(&a.0, id).await?;
    let message = if changed { "batch revoked" } else { "the batch was already revoked" };
    Ok(HttpResponse::Ok().json(Revoked { message, changed, revoked_at: b.revoked_at }))
}

#[derive(Deserialize, ToSchema)]
pub struct SaleBody {
    #[schema(format = Uuid)]
    package_id: String,
    #[schema(max_length = 500)]
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SaleAnswer {
    message: &'static str,
    order_id: String,
    /// This Idempotency-Key recorded the sale before; nothing new was written.
    replayed: bool,
    transaction: TxView,
    user: super::users::AdminUserView,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/sales", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,100}$", description = "Makes a retried request record one sale")),
    request_body(content((SaleBody = "application/json"))),
    responses((status = 201, body = SaleAnswer, description = "A paid cash sale; the package granted"),
        (status = 200, body = SaleAnswer, description = "The same key's sale, recorded before"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND, PACKAGE_NOT_FOUND"), (status = 409, description = "IDEMPOTENCY_CONFLICT")))]
pub async fn cash_sale(
    state: Data,
    a: AdminActor,
    req: HttpRequest,
    id: PathId<UserPath>,
    body: Input<SaleBody>,
) -> Result<HttpResponse, ApiError> {
    let user = id.0;
    let b = body.0;
    let sold = state
        .billing
        .cash_sale(&a.0, user, uuid_field("package_id", &b.package_id, "an id")?, b.note, idempotency_key(&req)?)
        .await?;
    let answer = SaleAnswer {
        message: if sold.replayed { "this sale was recorded before" } else { "cash sale recorded" },
        order_id: sold.transaction.order_id.clone(),
        replayed: sold.replayed,
        transaction: tx_view(sold.transaction, None, None, None),
        user: super::users::view(&state, sold.user, None),
    };
    Ok(if answer.replayed { HttpResponse::Ok() } else { HttpResponse::Created() }.json(answer))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TxQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
    #[serde(rename = "itemsPerPage")]
    #[param(rename = "itemsPerPage", minimum = 1, maximum = 100)]
    items_per_page: Option<i64>,
    /// `pending`, `paid`, `failed`, `expired`, `refunded`.
    #[param(pattern = "^(pending|paid|failed|expired|refunded)?$")]
    state: Option<String>,
    #[param(format = Uuid)]
    user_id: Option<String>,
    /// An order id or its beginning.
    #[param(max_length = 50, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    search: Option<String>,
    /// From this local day (`YYYY-MM-DD`, the operator's timezone).
    #[param(format = Date)]
    start_date: Option<String>,
    /// Through this local day.
    #[param(format = Date)]
    end_date: Option<String>,
    /// Accepted and ignored: newest first always.
    #[serde(rename = "sortBy")]
    #[param(rename = "sortBy", max_length = 40)]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    #[param(rename = "sortOrder", max_length = 10)]
    sort_order: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TxPage {
    items: Vec<TxView>,
    total: i64,
    page: i64,
    per_page: i64,
    #[serde(rename = "totalItems")]
    total_items: i64,
}

fn local_day(state: &AppState, field: &str, raw: &str, next: bool) -> Result<DateTime<Utc>, ApiError> {
    let day =
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ApiError::validation(field, "YYYY-MM-DD"))?;
    let day = if next { day.succ_opt().ok_or_else(|| ApiError::validation(field, "a real day"))? } else { day };
    Ok(crate::domain::days::local_midnight(day, state.settings.timezone))
}

#[utoipa::path(get, path = "/api/admin/transactions", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(TxQuery),
    responses((status = 200, body = TxPage, description = "Transactions newest first, with their buyers"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn transactions(state: Data, _a: AdminUser, q: web::Query<TxQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let _ = (&q.sort_by, &q.sort_order);
    let p = Paging::new(q.page, q.per_page.or(q.items_per_page), 100)?;
    let state_filter = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<TxState>().map_err(|_| ApiError::validation("state", "a transaction state"))?),
        None => None,
    };
    let user = match q.user_id.as_deref().filter(|s| !s.is_empty()) {
        Some(u) => Some(uuid_field("user_id", u, "an id")?),
        None => None,
    };
    let search = match q.search.filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(super::text_param("search", s.trim().to_owned(), 50)?),
        None => None,
    };
    let from = q
        .start_date
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|d| local_day(&state, "start_date", d, false))
        .transpose()?;
    let to =
        q.end_date.as_deref().filter(|s| !s.is_empty()).map(|d| local_day(&state, "end_date", d, true)).transpose()?;
    let f = TxFilter {
        user_id: user,
        state: state_filter,
        from,
        to,
        order_prefix: search,
        page: p.page,
        per_page: p.per_page,
        with_users: true,
    };
    let (rows, total) = state.billing.transactions(f).await?;
    let items = rows.into_iter().map(|(t, u)| tx_view(t, None, u.as_ref(), None)).collect();
    Ok(HttpResponse::Ok().json(TxPage { items, total, page: p.page, per_page: p.per_page, total_items: total }))
}

#[utoipa::path(get, path = "/api/admin/transactions/{order_id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, body = TxView, description = "One transaction with its events and buyer"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "TRANSACTION_NOT_FOUND")))]
pub async fn transaction(state: Data, _a: AdminUser, order_id: PathId<OrderPath>) -> Result<HttpResponse, ApiError> {
    let (t, events, charge) = state.billing.transaction(&order_id.0).await?;
    let user = state.captive.user_by_id(t.user_id).await?;
    Ok(HttpResponse::Ok().json(tx_view(t, Some(events), user.as_ref(), charge.as_ref())))
}

/// The existing admin page's detail row.
#[utoipa::path(get, path = "/api/admin/transactions/{order_id}/detail", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, body = TxView), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "TRANSACTION_NOT_FOUND")))]
pub async fn transaction_detail(
    state: Data,
    a: AdminUser,
    order_id: PathId<OrderPath>,
) -> Result<HttpResponse, ApiError> {
    transaction(state, a, order_id).await
}

#[derive(Serialize, ToSchema)]
pub struct Reconciled {
    message: &'static str,
    /// Our state after asking (the frontend's word).
    transaction_status: &'static str,
    state: TxState,
    /// Midtrans's `transaction_status`, or `not_found`.
    midtrans_status: String,
    /// Whether this check granted the package.
    quota_applied: bool,
    whatsapp_sent: bool,
}

#[utoipa::path(post, path = "/api/admin/transactions/{order_id}/reconcile", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, body = Reconciled, description = "Midtrans was asked and its answer applied (a grant only for money received)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "TRANSACTION_NOT_FOUND"), (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE")))]
pub async fn reconcile(state: Data, a: AdminActor, order_id: PathId<OrderPath>) -> Result<HttpResponse, ApiError> {
    let r = state.billing.admin_reconcile(&a.0, &order_id.0).await?;
    let t = &r.transaction;
    Ok(HttpResponse::Ok().json(Reconciled {
        message: if r.granted { "payment confirmed; package granted" } else { "checked with Midtrans" },
        transaction_status: crate::http::routes::billing_views::frontend_status_of(t),
        state: t.state,
        midtrans_status: r.provider_status,
        quota_applied: r.granted,
        whatsapp_sent: r.granted && state.notify.messenger.is_some(),
    }))
}
