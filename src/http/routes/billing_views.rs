//! How a package and a transaction read over HTTP: our fields beside the existing frontend's
//! names (`price`, `data_quota_gb`, `midtrans_order_id`, `status` in capitals, …), and the
//! pagination block its `/riwayat` reads.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::billing::charges::Charge;
use crate::billing::orders::{Transaction, TxEvent};
use crate::billing::packages::Package;
use crate::db::models::User;
use crate::domain::{GIB, SaleChannel, TxState};

/// GiB for display, two decimals (the frontend's `data_quota_gb`); bytes stay the truth.
pub fn gib(bytes: i64) -> f64 {
    (bytes as f64 / GIB as f64 * 100.0).round() / 100.0
}

/// A package: ours and the frontend's names.
#[derive(Serialize, ToSchema)]
pub struct PackageView {
    id: Uuid,
    name: String,
    description: Option<String>,
    /// Whole rupiah.
    price_idr: i64,
    quota_bytes: i64,
    is_unlimited: bool,
    validity_days: i32,
    is_active: bool,
    sort_order: i32,
    /// The sites it is sold at; empty: every site.
    site_ids: Vec<i32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The frontend's: `price` (rupiah), `data_quota_gb` (0 = unlimited), `duration_days`.
    price: i64,
    data_quota_gb: f64,
    duration_days: i32,
}

pub fn package_view(p: Package) -> PackageView {
    PackageView {
        price: p.price_idr,
        data_quota_gb: if p.is_unlimited { 0.0 } else { gib(p.quota_bytes) },
        duration_days: p.validity_days,
        id: p.id,
        name: p.name,
        description: p.description,
        price_idr: p.price_idr,
        quota_bytes: p.quota_bytes,
        is_unlimited: p.is_unlimited,
        validity_days: p.validity_days,
        is_active: p.is_active,
        sort_order: p.sort_order,
        site_ids: p.site_ids,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// A transaction: ours and the frontend's names (`midtrans_order_id`, `status` in capitals,
/// `amount`, `package_name`, …).
#[derive(Serialize, ToSchema)]
pub struct TxView {
    order_id: String,
    /// `pending`, `paid`, `failed`, `expired`, `refunded`.
    state: TxState,
    /// `midtrans` or `cash`.
    #[schema(value_type = String)]
    channel: SaleChannel,
    amount_idr: i64,
    /// None when it pays debts.
    package_id: Option<Uuid>,
    package_name: String,
    quota_bytes: i64,
    is_unlimited: bool,
    validity_days: i32,
    payment_type: Option<String>,
    failure_reason: Option<String>,
    snap_token: Option<String>,
    redirect_url: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
    refunded_at: Option<DateTime<Utc>>,
    refunded_amount_idr: Option<i64>,
    note: Option<String>,
    /// Provider and operator events, oldest first (detail answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<TxEvent>>,
    /// The buyer (admin answers only): name and phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    user: Option<serde_json::Value>,
    // The frontend's names.
    id: Uuid,
    midtrans_order_id: String,
    /// `PENDING`, `SUCCESS`, `FAILED`, `CANCELLED`, `EXPIRED`, `REFUNDED`.
    status: &'static str,
    amount: i64,
    package_price: i64,
    payment_method: Option<String>,
    payment_time: Option<DateTime<Utc>>,
    payment_settlement_time: Option<DateTime<Utc>>,
    expiry_time: DateTime<Utc>,
    payment_expiry_time: DateTime<Utc>,
    snap_redirect_url: Option<String>,
    midtrans_transaction_id: Option<String>,
    #[schema(value_type = Object)]
    package: serde_json::Value,
    // A Core API payment's: what the status page shows the buyer to pay with.
    va_number: Option<String>,
    /// Mandiri bill payment's bill key, and its biller code.
    payment_code: Option<String>,
    biller_code: Option<String>,
    /// Our QR image of the payment (`/api/transactions/{order_id}/qr`), while there is one.
    qr_code_url: Option<String>,
    deeplink_redirect_url: Option<String>,
}

pub fn frontend_status_of(t: &Transaction) -> &'static str {
    match t.state {
        TxState::Pending => "PENDING",
        TxState::Paid => "SUCCESS",
        // Ours ("cancelled": the buyer closed the page) or Midtrans's word ("cancel").
        TxState::Failed if matches!(t.failure_reason.as_deref(), Some("cancelled" | "cancel")) => "CANCELLED",
        TxState::Failed => "FAILED",
        TxState::Expired => "EXPIRED",
        TxState::Refunded => "REFUNDED",
    }
}

pub fn tx_view(t: Transaction, events: Option<Vec<TxEvent>>, user: Option<&User>, charge: Option<&Charge>) -> TxView {
    let status = frontend_status_of(&t);
    let package = serde_json::json!({ "id": t.package_id, "name": t.package_name, "price": t.amount_idr,
        "data_quota_gb": if t.is_unlimited { 0.0 } else { gib(t.quota_bytes) }, "is_unlimited": t.is_unlimited });
    TxView {
        id: t.id,
        midtrans_order_id: t.order_id.clone(),
        status,
        amount: t.amount_idr,
        package_price: t.amount_idr,
        payment_method: charge
            .map(Charge::frontend_method)
            .or_else(|| t.payment_type.clone())
            .or_else(|| (t.channel == SaleChannel::Cash).then(|| "cash".to_owned())),
        va_number: charge.and_then(|c| c.va_number.clone()),
        payment_code: charge.and_then(|c| c.bill_key.clone()),
        biller_code: charge.and_then(|c| c.biller_code.clone()),
        qr_code_url: charge.filter(|c| c.has_qr()).map(|_| format!("/api/transactions/{}/qr", t.order_id)),
        deeplink_redirect_url: charge.and_then(|c| c.deeplink_url.clone()),
        payment_time: t.paid_at,
        payment_settlement_time: t.paid_at,
        expiry_time: t.expires_at,
        payment_expiry_time: t.expires_at,
        snap_redirect_url: t.redirect_url.clone(),
        midtrans_transaction_id: t.provider_transaction_id.clone(),
        package,
        user: user.map(|u| serde_json::json!({ "id": u.id, "full_name": u.full_name, "phone_number": u.phone_number })),
        events,
        order_id: t.order_id,
        state: t.state,
        channel: t.channel,
        amount_idr: t.amount_idr,
        package_id: t.package_id,
        package_name: t.package_name,
        quota_bytes: t.quota_bytes,
        is_unlimited: t.is_unlimited,
        validity_days: t.validity_days,
        payment_type: t.payment_type,
        failure_reason: t.failure_reason,
        snap_token: t.snap_token,
        redirect_url: t.redirect_url,
        created_at: t.created_at,
        updated_at: t.updated_at,
        expires_at: t.expires_at,
        paid_at: t.paid_at,
        refunded_at: t.refunded_at,
        refunded_amount_idr: t.refunded_amount_idr,
        note: t.note,
    }
}

/// A payment as its public page shows it to whoever holds the link: nothing of the account.
pub fn public_view(t: Transaction, charge: Option<&Charge>) -> TxView {
    let mut v = tx_view(t, None, None, charge);
    v.user = Some(serde_json::json!({ "id": "", "full_name": "-", "phone_number": "-" }));
    v.midtrans_transaction_id = None;
    v.note = None;
    v
}

#[derive(Serialize, ToSchema)]
pub struct Pagination {
    page: i64,
    per_page: i64,
    total_pages: i64,
    total_items: i64,
    has_prev: bool,
    has_next: bool,
    prev_num: Option<i64>,
    next_num: Option<i64>,
}

pub fn pagination(page: i64, per_page: i64, total: i64) -> Pagination {
    let total_pages = (total + per_page - 1) / per_page;
    Pagination {
        page,
        per_page,
        total_pages,
        total_items: total,
        has_prev: page > 1,
        has_next: page < total_pages,
        prev_num: (page > 1).then_some(page - 1),
        next_num: (page < total_pages).then_some(page + 1),
    }
}
