//! The signed-in user as `/api/auth/me` shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::models::User;
use crate::domain::{ApprovalStatus, Language, Msisdn, Role};
use crate::http::AppState;

#[derive(Serialize, ToSchema)]
pub struct MeAnswer {
    id: Uuid,
    #[schema(value_type = String, example = "+6281234567001")]
    phone_number: Msisdn,
    full_name: String,
    role: Role,
    approval_status: ApprovalStatus,
    is_active: bool,
    is_blocked: bool,
    blocked_reason: Option<String>,
    is_unlimited_user: bool,
    quota_purchased_bytes: i64,
    quota_used_bytes: i64,
    quota_remaining_bytes: i64,
    quota_expiry_date: Option<DateTime<Utc>>,
    /// `active`, `fup`, `habis`, `expired`, `blocked`, `inactive` or `unlimited`.
    access_status: String,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    /// `id` or `en`: the language of the user's messages.
    language: Language,
    /// No reminders (codes and receipts are still sent).
    messages_opt_out: bool,
    // The existing frontend's fields, beside ours.
    blocked_at: Option<DateTime<Utc>>,
    approved_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    /// MiB (bytes / 1,048,576), what the frontend decides access from.
    total_quota_purchased_mb: f64,
    total_quota_used_mb: f64,
    /// Use beyond the purchased quota, MiB (the next purchase pays it); its price is in
    /// `/api/users/me/quota`.
    quota_debt_auto_mb: f64,
    /// Quota lent on credit and not paid yet, MiB.
    quota_debt_manual_mb: f64,
    /// The frontend's other name for it.
    manual_debt_mb: f64,
    quota_debt_total_mb: f64,
    is_demo_user: bool,
    device_brand: Option<String>,
    device_model: Option<String>,
    /// Operator-defined profile attributes (null where a deployment does not use them).
    blok: Option<String>,
    kamar: Option<String>,
    is_tamping: Option<bool>,
    tamping_type: Option<String>,
}

const MIB: f64 = 1_048_576.0;

pub fn answer(state: &AppState, u: User) -> MeAnswer {
    let status = state.captive.status_of(&u);
    let text = |k: &str| u.profile.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let is_tamping = u.profile.get("is_tamping").and_then(serde_json::Value::as_bool);
    let (blok, kamar, tamping_type) = (text("blok"), text("kamar"), text("tamping_type"));
    MeAnswer {
        blocked_at: u.blocked_at,
        approved_at: u.approved_at,
        updated_at: u.updated_at,
        total_quota_purchased_mb: u.quota_purchased_bytes as f64 / MIB,
        total_quota_used_mb: u.quota_used_bytes as f64 / MIB,
        quota_debt_auto_mb: u.quota_overage_bytes() as f64 / MIB,
        quota_debt_manual_mb: u.manual_debt_bytes as f64 / MIB,
        manual_debt_mb: u.manual_debt_bytes as f64 / MIB,
        quota_debt_total_mb: (u.quota_overage_bytes() + u.manual_debt_bytes) as f64 / MIB,
        is_demo_user: false,
        device_brand: None,
        device_model: None,
        blok,
        kamar,
        is_tamping,
        tamping_type,
        id: u.id,
        quota_remaining_bytes: u.quota_remaining_bytes(),
        phone_number: u.phone_number,
        full_name: u.full_name,
        role: u.role,
        approval_status: u.approval_status,
        is_active: u.is_active,
        is_blocked: u.is_blocked,
        blocked_reason: u.blocked_reason,
        is_unlimited_user: u.is_unlimited_user,
        quota_purchased_bytes: u.quota_purchased_bytes,
        quota_used_bytes: u.quota_used_bytes,
        quota_expiry_date: u.quota_expiry_date,
        access_status: status.as_str().to_owned(),
        created_at: u.created_at,
        last_login_at: u.last_login_at,
        language: u.language,
        messages_opt_out: u.messages_opt_out,
    }
}
