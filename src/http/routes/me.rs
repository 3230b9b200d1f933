//! The signed-in user as `/api/auth/me` shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::models::User;
use crate::domain::{ApprovalStatus, Msisdn, Role};
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
}

pub fn answer(state: &AppState, u: User) -> MeAnswer {
    let status = state.captive.status_of(&u);
    MeAnswer {
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
    }
}
