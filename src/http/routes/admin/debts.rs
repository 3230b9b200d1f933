//! A user's debts in the console: the ledger (`GET …/debts`), and an admin's settlement in cash
//! of one debt or of everything owed, with its receipt.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::idempotency_key;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::{PathId, UserPath, uuid_field};
use crate::http::routes::debts::{DebtItem, item, mib};

type Data = web::Data<AppState>;

/// The editor's debt fields: a lend when a package is named (an empty or null one: none).
pub fn lend_of(
    package: Option<String>,
    date: Option<String>,
    note: Option<String>,
) -> Result<Option<crate::admin::debts::LendRequest>, ApiError> {
    let Some(package) = package.filter(|p| !p.trim().is_empty()) else { return Ok(None) };
    let package_id = crate::http::ids::uuid_field("debt_package_id", &package, "a package id")?;
    let debt_date = match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::validation("debt_date", "YYYY-MM-DD"))?,
        ),
        None => None,
    };
    Ok(Some(crate::admin::debts::LendRequest { package_id, debt_date, note, key: None }))
}

#[derive(Serialize, ToSchema)]
pub struct LedgerSummary {
    manual_debt_mb: f64,
    auto_debt_mb: f64,
    /// Everything owed in rupiah (open debts' prices and the automatic debt's estimate).
    total_estimated_rp: i64,
    open_items: i64,
    paid_items: i64,
    total_items: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DebtLedger {
    /// Every debt, newest first, paid ones included.
    items: Vec<DebtItem>,
    summary: LedgerSummary,
}

#[utoipa::path(get, path = "/api/admin/users/{id}/debts", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DebtLedger), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND")))]
pub async fn ledger(state: Data, a: AdminActor, id: PathId<UserPath>) -> Result<HttpResponse, ApiError> {
    let o = state.billing.owing_as(&a.0, id.0).await?;
    let total = o.debts.len() as i64;
    let open = o.debts.iter().filter(|l| !l.debt.is_paid()).count() as i64;
    let summary = LedgerSummary {
        manual_debt_mb: mib(o.manual.bytes),
        auto_debt_mb: mib(o.auto_bytes),
        total_estimated_rp: o.total_idr(),
        open_items: open,
        paid_items: total - open,
        total_items: total,
    };
    Ok(HttpResponse::Ok().json(DebtLedger { items: o.debts.into_iter().map(item).collect(), summary }))
}

#[derive(Serialize, ToSchema)]
pub struct Settled {
    message: &'static str,
    receipt_no: String,
    amount_rp: i64,
    paid_mb: f64,
    paid_auto_mb: f64,
    paid_manual_mb: f64,
    debt_auto_before_mb: f64,
    debt_manual_before_mb: f64,
    /// A debt rule's block was lifted (nothing is owed any more).
    unblocked: bool,
    /// This Idempotency-Key settled before; nothing new was written.
    replayed: bool,
    /// The receipt (PDF) behind a link that works for an hour without signing in.
    receipt_url: Option<String>,
}

fn settled(state: &AppState, c: crate::billing::debts::CashSettled) -> Settled {
    let s = &c.settled.settlement;
    Settled {
        message: if c.settled.new { "debt settled" } else { "settled before" },
        receipt_no: s.receipt_no.clone(),
        amount_rp: s.amount_idr,
        paid_mb: mib(s.auto_bytes + s.manual_bytes),
        paid_auto_mb: mib(s.auto_bytes),
        paid_manual_mb: mib(s.manual_bytes),
        debt_auto_before_mb: mib(c.auto_before),
        debt_manual_before_mb: mib(c.manual_before),
        unblocked: s.unblocked,
        replayed: !c.settled.new,
        receipt_url: state.billing.document_link("receipt", &s.id.to_string()),
    }
}

#[utoipa::path(post, path = "/api/admin/users/{id}/debts/settle-all", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,100}$", description = "Makes a retried request settle once")),
    responses((status = 200, body = Settled, description = "Everything owed paid in cash"),
        (status = 400, description = "NO_DEBT"), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "USER_NOT_FOUND")))]
pub async fn settle_all(
    state: Data,
    a: AdminActor,
    req: HttpRequest,
    id: PathId<UserPath>,
) -> Result<HttpResponse, ApiError> {
    let done = state.billing.settle_in_cash(&a.0, id.0, None, idempotency_key(&req)?).await?;
    Ok(HttpResponse::Ok().json(settled(&state, done)))
}

#[utoipa::path(post, path = "/api/admin/users/{id}/debts/{debt_id}/settle", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid), ("debt_id" = String, Path, format = Uuid),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,100}$", description = "Makes a retried request settle once")),
    responses((status = 200, body = Settled, description = "The debt paid in cash"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND, DEBT_NOT_FOUND"), (status = 409, description = "DEBT_ALREADY_PAID")))]
pub async fn settle_one(
    state: Data,
    a: AdminActor,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user, debt) = path.into_inner();
    let user = uuid_field("id", &user, "a user id").map_err(|_| ApiError::not_found())?;
    let debt = uuid_field("debt_id", &debt, "a debt id").map_err(|_| ApiError::not_found())?;
    let done = state.billing.settle_in_cash(&a.0, user, Some(debt), idempotency_key(&req)?).await?;
    Ok(HttpResponse::Ok().json(settled(&state, done)))
}
