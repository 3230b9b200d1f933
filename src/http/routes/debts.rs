//! Quota on credit as the user sees it: their debts (`/users/me/quota-debts`) and paying them
//! online (`/transactions/debt/initiate`: one debt, or everything owed).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::debts::Listed;
use crate::domain::{Bytes, SaleChannel};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::CurrentUser;
use crate::http::ids::uuid_field;
use crate::http::input::Input;
use crate::http::routes::billing::{MethodFields, Started, started_answer};

/// MiB with two decimals, as the pages show quota.
pub fn mib(bytes: i64) -> f64 {
    (bytes as f64 / 1_048_576.0 * 100.0).round() / 100.0
}

/// A debt as the pages read it.
#[derive(Serialize, ToSchema)]
pub struct DebtItem {
    id: Uuid,
    debt_date: NaiveDate,
    /// Due at its end (23:59 in the operator's timezone).
    due_date: NaiveDate,
    /// The quota lent, MiB (0 for an unlimited package).
    amount_mb: f64,
    paid_mb: f64,
    remaining_mb: f64,
    is_paid: bool,
    paid_at: Option<DateTime<Utc>>,
    /// `Paket: <name> (<quota>, Rp <price>)`, then the admin's note after ` | `.
    note: String,
    package_name: String,
    price_rp: i64,
    estimated_rp: i64,
    is_unlimited_debt: bool,
    /// How it was paid: `cash` (an admin's settlement) or `midtrans` (online).
    #[schema(value_type = Option<String>)]
    last_paid_source: Option<SaleChannel>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub fn item(l: Listed) -> DebtItem {
    let d = l.debt;
    let quota = if d.is_unlimited { "Unlimited".to_owned() } else { Bytes(d.amount_bytes).to_string() };
    let mut note = format!("Paket: {} ({quota}, {})", d.package_name, crate::domain::Rupiah(d.price_idr));
    if let Some(n) = d.note.as_deref() {
        note.push_str(" | ");
        note.push_str(n);
    }
    let paid = d.is_paid();
    let amount = mib(d.amount_bytes);
    DebtItem {
        id: d.id,
        debt_date: d.debt_date,
        due_date: d.due_date,
        amount_mb: amount,
        paid_mb: if paid { amount } else { 0.0 },
        remaining_mb: if paid { 0.0 } else { amount },
        is_paid: paid,
        paid_at: d.paid_at,
        note,
        package_name: d.package_name,
        price_rp: d.price_idr,
        estimated_rp: d.price_idr,
        is_unlimited_debt: d.is_unlimited,
        last_paid_source: l.paid_by,
        created_at: d.created_at,
        updated_at: d.updated_at,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DebtsQuery {
    /// `open` (the default), `paid` or `all`.
    #[param(pattern = "^(open|paid|all)$")]
    status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaDebts {
    success: bool,
    /// Debts lent on credit, newest first.
    items: Vec<DebtItem>,
    total: i64,
    /// The automatic debt: use beyond the purchased quota.
    auto_debt_bytes: i64,
    auto_debt_mb: f64,
    /// Its price at the best finite package on sale (0 when none is).
    auto_debt_estimated_rp: i64,
    /// Everything owed in rupiah: the open debts' prices and the automatic debt's estimate.
    total_estimated_rp: i64,
}

#[utoipa::path(get, path = "/api/users/me/quota-debts", tag = "self-service", security(("bearer" = []), ("cookie" = [])),
    params(DebtsQuery),
    responses((status = 200, body = QuotaDebts, description = "What the user owes: debts lent on credit and the automatic one"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn quota_debts(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<DebtsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (open_only, paid_only) = match q.status.as_deref() {
        None | Some("open") => (true, false),
        Some("paid") => (false, true),
        Some("all") => (false, false),
        Some(_) => return Err(ApiError::validation("status", "open, paid or all")),
    };
    let o = state.billing.owing(user.id(), open_only).await?;
    let (auto_bytes, auto_rp, total_rp) = (o.auto_bytes, o.auto_idr.unwrap_or(0), o.total_idr());
    let items: Vec<DebtItem> = o.debts.into_iter().filter(|l| !paid_only || l.debt.is_paid()).map(item).collect();
    Ok(HttpResponse::Ok().json(QuotaDebts {
        success: true,
        total: items.len() as i64,
        items,
        auto_debt_bytes: auto_bytes,
        auto_debt_mb: mib(auto_bytes),
        auto_debt_estimated_rp: auto_rp,
        total_estimated_rp: total_rp,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DebtPayBody {
    /// One debt to pay; none pays everything owed (the frontend sends no body then).
    #[schema(format = Uuid)]
    manual_debt_id: Option<String>,
    #[serde(flatten)]
    method: MethodFields,
}

#[utoipa::path(post, path = "/api/transactions/debt/initiate", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    request_body(content((DebtPayBody = "application/json"), (DebtPayBody = "application/x-www-form-urlencoded"))),
    responses((status = 201, body = Started, description = "A payment of the debt (or of everything owed) is open, as a purchase's is"),
        (status = 400, description = "NO_DEBT"), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "PURCHASE_NOT_ALLOWED, ORIGIN_INVALID"),
        (status = 404, description = "DEBT_NOT_FOUND"), (status = 409, description = "DEBT_ALREADY_PAID"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 429, description = "RATE_LIMITED"),
        (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE")))]
pub async fn initiate(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Input<DebtPayBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let choice = b.method.choice()?;
    let debt = match b.manual_debt_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(uuid_field("manual_debt_id", raw, "a debt id")?),
        None => None,
    };
    let s = state.billing.start_debt_payment(user.id(), debt, choice).await?;
    Ok(HttpResponse::Created().json(started_answer(&state, s)))
}
