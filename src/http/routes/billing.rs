//! Buying quota: the shop's packages, Midtrans purchases (start, follow, cancel, the
//! notification webhook), vouchers. Our fields beside the existing frontend's (`/beli`,
//! `/riwayat`, `/payment/status` read `data`, `price`, `midtrans_order_id`, `status`, …).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::billing_views::Pagination;
use super::billing_views::{PackageView, TxView, frontend_status_of, package_view, pagination, tx_view};
use crate::billing::charges::{Charge, PayChoice};
use crate::billing::history::TxFilter;
use crate::billing::orders::Transaction;
use crate::db::models::User;
use crate::domain::{ProviderMode, TxState};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Client, CurrentUser};
use crate::http::ids::{OrderPath, PathId, uuid_field};
use crate::http::input::Input;
use crate::http::input::Paging;
use crate::midtrans::ProviderStatus;

type Data = web::Data<AppState>;

#[derive(Serialize, ToSchema)]
pub struct PackageList {
    success: bool,
    data: Vec<PackageView>,
}

#[utoipa::path(get, path = "/api/packages", tag = "billing",
    responses((status = 200, body = PackageList, description = "The packages on sale, in the operator's order")))]
pub async fn packages(state: Data, client: Client) -> Result<HttpResponse, ApiError> {
    let data = state
        .billing
        .shop((client.0.ip.as_ref(), client.0.site.as_ref()))
        .await?
        .into_iter()
        .map(package_view)
        .collect();
    Ok(HttpResponse::Ok().json(PackageList { success: true, data }))
}

#[derive(Serialize, ToSchema)]
pub struct Availability {
    available: bool,
    message: Option<String>,
    /// `not_configured` or `provider_unavailable`.
    reason: Option<&'static str>,
    circuit_name: &'static str,
    /// `closed` or `open`.
    circuit_state: &'static str,
    retry_after_seconds: u64,
    checked_at: DateTime<Utc>,
    checked_at_display: Option<String>,
    open_until: Option<DateTime<Utc>>,
    open_until_display: Option<String>,
}

#[utoipa::path(get, path = "/api/settings/payment-availability", tag = "billing",
    responses((status = 200, body = Availability, description = "Whether online payment can be started now")))]
pub async fn payment_availability(state: Data) -> HttpResponse {
    let a = state.billing.availability();
    let now = Utc::now();
    let open_until = (a.retry_after_seconds > 0).then(|| now + chrono::Duration::seconds(a.retry_after_seconds as i64));
    let display = |t: DateTime<Utc>| t.with_timezone(&state.settings.timezone).format("%H:%M:%S").to_string();
    let message = match a.reason {
        None => None,
        Some("not_configured") => {
            Some("Pembayaran online belum diaktifkan; gunakan voucher atau bayar tunai ke admin.".to_owned())
        }
        Some(_) => Some("Pembelian sementara ditutup. Layanan pembayaran sedang mengalami gangguan.".to_owned()),
    };
    HttpResponse::Ok().json(Availability {
        available: a.available,
        message,
        reason: a.reason,
        circuit_name: "midtrans",
        circuit_state: if a.retry_after_seconds > 0 { "open" } else { "closed" },
        retry_after_seconds: a.retry_after_seconds,
        checked_at: now,
        checked_at_display: Some(display(now)),
        open_until,
        open_until_display: open_until.map(display),
    })
}

#[derive(Deserialize, ToSchema)]
pub struct StartBody {
    #[schema(format = Uuid)]
    package_id: String,
    /// The buyer's method when the shop uses the Core API (Snap offers every method on its own
    /// page and ignores it).
    #[serde(flatten)]
    method: MethodFields,
}

/// A Core API method and a virtual account's bank, as the pages send them.
#[derive(Deserialize, ToSchema)]
pub struct MethodFields {
    #[schema(max_length = 20, pattern = "^(?i:qris|gopay|shopeepay|va)$")]
    payment_method: Option<String>,
    #[schema(max_length = 20, pattern = "^(?i:bca|bni|bri|mandiri|permata|cimb)$")]
    va_bank: Option<String>,
}

/// A word among `kinds`, or none; anything else is a clear refusal.
fn kind_of<T: std::str::FromStr>(
    field: &'static str,
    raw: &Option<String>,
    kinds: &str,
) -> Result<Option<T>, ApiError> {
    match raw.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        None => Ok(None),
        Some(w) => w.parse().map(Some).map_err(|_| ApiError::validation(field, format!("one of {kinds}"))),
    }
}

impl MethodFields {
    /// The words read as a choice; a word that is no method or bank is a clear refusal.
    pub fn choice(&self) -> Result<PayChoice, ApiError> {
        Ok(PayChoice {
            method: kind_of("payment_method", &self.payment_method, "qris, gopay, shopeepay, va")?,
            bank: kind_of("va_bank", &self.va_bank, "bca, bni, bri, mandiri, permata, cimb")?,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct Started {
    order_id: String,
    /// Snap's: the frontend opens Snap with it. None for a Core API payment.
    snap_token: Option<String>,
    /// Snap's payment page, or an e-wallet app's deep link (GoPay, ShopeePay).
    redirect_url: Option<String>,
    provider_mode: ProviderMode,
    /// Where the frontend shows the payment's state (with the link's token: whoever holds it
    /// sees the status and may cancel, without signing in).
    status_url: String,
    /// The payment link's token (`t`), for this order only, a week.
    status_token: String,
    /// `pending`.
    state: TxState,
    amount_idr: i64,
    expires_at: DateTime<Utc>,
    expiry_time: DateTime<Utc>,
    /// A Core API payment's method as the frontend names it (`qris`, `gopay`, `shopeepay`,
    /// `echannel`, `<bank>_va`), and what to pay with.
    payment_method: Option<String>,
    va_number: Option<String>,
    payment_code: Option<String>,
    biller_code: Option<String>,
    qr_code_url: Option<String>,
}

#[utoipa::path(post, path = "/api/transactions", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    request_body(content((StartBody = "application/json"), (StartBody = "application/x-www-form-urlencoded"))),
    responses((status = 201, body = Started, description = "The payment is open: on Midtrans Snap, or as a Core API charge (QRIS, e-wallet, virtual account) the status page shows"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "PURCHASE_NOT_ALLOWED, ORIGIN_INVALID"),
        (status = 404, description = "PACKAGE_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR: a method or bank the shop does not offer"),
        (status = 429, description = "RATE_LIMITED"), (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE")))]
pub async fn start(
    state: Data,
    user: CurrentUser,
    client: Client,
    body: Input<StartBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let choice = b.method.choice()?;
    let package = uuid_field("package_id", &b.package_id, "a package id")?;
    let at = (client.0.ip.as_ref(), client.0.site.as_ref());
    let s = state.billing.start_purchase(user.id(), package, choice, at).await?;
    Ok(HttpResponse::Created().json(started_answer(&state, s)))
}

/// A payment started (a purchase or a debt's), as the frontend reads it.
pub fn started_answer(state: &AppState, s: crate::billing::purchase::Started) -> Started {
    let (t, c) = (s.transaction, s.charge);
    let qr_code_url = c.as_ref().filter(|c| c.has_qr()).map(|_| format!("/api/transactions/{}/qr", t.order_id));
    let status_token = state.billing.payment_link(&t.order_id);
    let purpose = if t.purpose == crate::domain::TxPurpose::Debt { "&purpose=debt" } else { "" };
    Started {
        status_url: format!(
            "{}/payment/status?order_id={}{purpose}&t={status_token}",
            state.settings.public_base_url, t.order_id
        ),
        status_token,
        provider_mode: if c.is_some() { ProviderMode::CoreApi } else { ProviderMode::Snap },
        redirect_url: c.as_ref().map_or(t.redirect_url.clone(), |c| c.deeplink_url.clone()),
        payment_method: c.as_ref().map(Charge::frontend_method),
        va_number: c.as_ref().and_then(|c| c.va_number.clone()),
        payment_code: c.as_ref().and_then(|c| c.bill_key.clone()),
        biller_code: c.as_ref().and_then(|c| c.biller_code.clone()),
        qr_code_url,
        order_id: t.order_id,
        snap_token: t.snap_token,
        state: t.state,
        amount_idr: t.amount_idr,
        expires_at: t.expires_at,
        expiry_time: t.expires_at,
    }
}

/// The existing frontend's name for starting a purchase.
#[utoipa::path(post, path = "/api/transactions/initiate", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    request_body(content((StartBody = "application/json"), (StartBody = "application/x-www-form-urlencoded"))),
    responses((status = 201, body = Started), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "PURCHASE_NOT_ALLOWED, ORIGIN_INVALID"), (status = 404, description = "PACKAGE_NOT_FOUND"),
        (status = 429, description = "RATE_LIMITED"), (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE")))]
pub async fn initiate(
    state: Data,
    user: CurrentUser,
    client: Client,
    body: Input<StartBody>,
) -> Result<HttpResponse, ApiError> {
    start(state, user, client, body).await
}

#[utoipa::path(get, path = "/api/transactions/{order_id}", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, body = TxView, description = "One of the caller's transactions with its events"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 404, description = "TRANSACTION_NOT_FOUND")))]
pub async fn get(state: Data, user: CurrentUser, order_id: PathId<OrderPath>) -> Result<HttpResponse, ApiError> {
    let (t, events, charge) = state.billing.transaction_of(user.id(), &order_id.0).await?;
    Ok(HttpResponse::Ok().json(tx_view(t, Some(events), None, charge.as_ref())))
}

/// The existing frontend's payment status page reads this.
#[utoipa::path(get, path = "/api/transactions/by-order-id/{order_id}", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, body = TxView), (status = 401, description = "AUTH_REQUIRED"),
        (status = 404, description = "TRANSACTION_NOT_FOUND")))]
pub async fn by_order_id(
    state: Data,
    user: CurrentUser,
    order_id: PathId<OrderPath>,
) -> Result<HttpResponse, ApiError> {
    get(state, user, order_id).await
}

#[derive(Serialize, ToSchema)]
pub struct Cancelled {
    success: bool,
    /// The frontend's status word after the cancel.
    status: &'static str,
    state: TxState,
    message: &'static str,
}

#[utoipa::path(post, path = "/api/transactions/{order_id}/cancel", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50)),
    responses((status = 200, body = Cancelled, description = "A pending payment is cancelled; any other is left as it is"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "ORIGIN_INVALID"),
        (status = 404, description = "TRANSACTION_NOT_FOUND")))]
pub async fn cancel(state: Data, user: CurrentUser, order_id: PathId<OrderPath>) -> Result<HttpResponse, ApiError> {
    let t = state.billing.cancel(user.id(), &order_id.0).await?;
    Ok(HttpResponse::Ok().json(cancelled(&t)))
}

pub(super) fn cancelled(t: &Transaction) -> Cancelled {
    let message = if t.state == TxState::Failed { "payment cancelled" } else { "the payment is no longer pending" };
    Cancelled { success: true, status: frontend_status_of(t), state: t.state, message }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MyTransactions {
    items: Vec<TxView>,
    total: i64,
    page: i64,
    per_page: i64,
    // The frontend's `/riwayat` reads these.
    success: bool,
    transactions: Vec<TxView>,
    pagination: Pagination,
}

#[utoipa::path(get, path = "/api/users/me/transactions", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(PageQuery),
    responses((status = 200, body = MyTransactions, description = "The caller's transactions, newest first"),
        (status = 401, description = "AUTH_REQUIRED")))]
pub async fn mine(state: Data, user: CurrentUser, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    let p = Paging::new(q.page, q.per_page, 100)?;
    let f = TxFilter {
        user_id: Some(user.id()),
        state: None,
        from: None,
        to: None,
        order_prefix: None,
        page: p.page,
        per_page: p.per_page,
        with_users: false,
    };
    let (rows, total) = state.billing.transactions(f).await?;
    let views = |rows: &Vec<(Transaction, Option<User>)>| -> Vec<TxView> {
        rows.iter().map(|(t, _)| tx_view(t.clone(), None, None, None)).collect()
    };
    Ok(HttpResponse::Ok().json(MyTransactions {
        items: views(&rows),
        transactions: views(&rows),
        total,
        page: p.page,
        per_page: p.per_page,
        success: true,
        pagination: pagination(p.page, p.per_page, total),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationAnswer {
    received: bool,
    order_id: String,
    state: TxState,
    /// Whether this notification moved the transaction (a repeat does not).
    changed: bool,
}

#[utoipa::path(post, path = "/api/transactions/notification", tag = "webhooks",
    request_body(content = serde_json::Value, content_type = "application/json",
        description = "A Midtrans HTTP notification: `order_id, status_code, gross_amount, signature_key = hex(SHA512(order_id + status_code + gross_amount + server_key)), transaction_status, fraud_status?, transaction_id?, payment_type?`"),
    responses((status = 200, body = NotificationAnswer), (status = 401, description = "PAYMENT_SIGNATURE_INVALID: nothing changed"),
        (status = 404, description = "TRANSACTION_NOT_FOUND"), (status = 422, description = "PAYMENT_AMOUNT_MISMATCH, VALIDATION_ERROR: nothing changed"),
        (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE: payments are not configured")))]
pub async fn notification(state: Data, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed_body(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::validation("body", "a JSON object"));
    }
    // Midtrans sends strings; anything else is not a notification of theirs.
    let s: ProviderStatus =
        serde_json::from_value(value).map_err(|e| ApiError::validation("body", format!("not a notification: {e}")))?;
    let applied = state.billing.notification(s).await?;
    let t = applied.transaction;
    tracing::info!(state = %t.state, changed = applied.changed, granted = applied.granted, "payment notification");
    Ok(HttpResponse::Ok().json(NotificationAnswer {
        received: true,
        order_id: t.order_id,
        state: t.state,
        changed: applied.changed,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RedeemBody {
    /// As printed (`ABCD-EFGH-JKMN`); case, spaces and dashes do not matter.
    #[schema(min_length = 1, max_length = 40)]
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct Redeemed {
    message: &'static str,
    package_name: String,
    quota_bytes: i64,
    is_unlimited: bool,
    validity_days: i32,
    user: super::me::MeAnswer,
}

#[utoipa::path(post, path = "/api/vouchers/redeem", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    request_body(content((RedeemBody = "application/json"), (RedeemBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = Redeemed, description = "The voucher's package was granted"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "PURCHASE_NOT_ALLOWED, ORIGIN_INVALID"),
        (status = 409, description = "VOUCHER_USED"), (status = 422, description = "VOUCHER_INVALID, VALIDATION_ERROR"),
        (status = 429, description = "RATE_LIMITED: too many wrong codes")))]
pub async fn redeem(
    state: Data,
    user: CurrentUser,
    client: Client,
    body: Input<RedeemBody>,
) -> Result<HttpResponse, ApiError> {
    if body.code.chars().count() > 40 {
        return Err(ApiError::validation("code", "at most 40 characters"));
    }
    let r = state.billing.redeem(user.id(), (client.0.ip.as_ref(), client.0.site.as_ref()), &body.code).await?;
    Ok(HttpResponse::Ok().json(Redeemed {
        message: "voucher redeemed",
        package_name: r.package_name,
        quota_bytes: r.quota_bytes,
        is_unlimited: r.is_unlimited,
        validity_days: r.validity_days,
        user: super::me::answer(&state, r.user),
    }))
}
