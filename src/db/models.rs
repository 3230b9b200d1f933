//! Row types. Columns holding phones, MACs, IPs, roles and statuses are domain types (see
//! `db::types`), so nothing past this edge re-parses them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::schema::{sync_runs, user_devices, users};
use crate::domain::policy::UserFacts;
use crate::domain::{
    AccessStatus, ApprovalStatus, BlockCause, ClientIp, Language, MacAddress, Msisdn, Role, RunStatus, SyncTrigger,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub phone_number: Msisdn,
    pub full_name: String,
    pub role: Role,
    pub approval_status: ApprovalStatus,
    pub is_active: bool,
    pub is_blocked: bool,
    pub blocked_reason: Option<String>,
    pub blocked_at: Option<DateTime<Utc>>,
    pub is_unlimited_user: bool,
    pub quota_purchased_bytes: i64,
    pub quota_used_bytes: i64,
    pub quota_expiry_date: Option<DateTime<Utc>>,
    pub password_hash: Option<String>,
    pub profile: serde_json::Value,
    pub approved_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When a code proved the phone; `None` for a registration nobody has proven yet.
    pub phone_verified_at: Option<DateTime<Utc>>,
    /// An admin's per-user device limit (the runtime setting otherwise).
    pub device_limit_override: Option<i32>,
    pub rejected_reason: Option<String>,
    pub deactivated_at: Option<DateTime<Utc>>,
    /// The status last given (sync, admin, grant): what the router enforces. The live status is
    /// `RouterPolicy::status(facts)`; this one is for filters and counts.
    pub access_status: AccessStatus,
    /// The language of the user's messages.
    pub language: Language,
    /// No reminders (quota low, expiry soon); codes and receipts are still sent.
    pub messages_opt_out: bool,
    /// Why the account is blocked, when a debt rule blocked it (`None` before this was kept).
    pub block_cause: Option<BlockCause>,
    /// Open debts summed (quota lent and not paid yet), and how many.
    pub manual_debt_bytes: i64,
    pub manual_debt_items: i32,
}

impl User {
    pub fn quota_remaining_bytes(&self) -> i64 {
        (self.quota_purchased_bytes - self.quota_used_bytes).max(0)
    }

    /// Use charged beyond the purchased quota (the sync charges what a cycle saw, so the last
    /// cycle before a cut can overshoot): the frontend's "automatic debt". The next grant pays it,
    /// since remaining is purchased minus used. Never for unlimited users.
    pub fn quota_overage_bytes(&self) -> i64 {
        if self.is_unlimited_user { 0 } else { (self.quota_used_bytes - self.quota_purchased_bytes).max(0) }
    }

    /// Whether the user owes anything: use beyond the quota, or an open debt.
    pub fn owes(&self) -> bool {
        self.quota_overage_bytes() > 0 || self.manual_debt_items > 0
    }

    /// What the access policy reads of this user.
    pub fn facts(&self) -> UserFacts {
        UserFacts {
            approved: self.approval_status == ApprovalStatus::Approved,
            is_active: self.is_active,
            is_blocked: self.is_blocked,
            is_unlimited: self.is_unlimited_user,
            purchased_bytes: self.quota_purchased_bytes,
            used_bytes: self.quota_used_bytes,
            expires_at: self.quota_expiry_date,
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub phone_number: &'a Msisdn,
    pub full_name: &'a str,
    pub role: Role,
    pub approval_status: ApprovalStatus,
    pub is_active: bool,
    pub is_unlimited_user: bool,
    pub quota_purchased_bytes: i64,
    pub quota_expiry_date: Option<DateTime<Utc>>,
    pub password_hash: Option<&'a str>,
    pub approved_at: Option<DateTime<Utc>>,
    pub profile: serde_json::Value,
    pub phone_verified_at: Option<DateTime<Utc>>,
    pub access_status: AccessStatus,
}

/// A user's device as the API shows it.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = user_devices)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Device {
    pub id: i64,
    #[schema(value_type = String, example = "02:DE:00:00:00:01")]
    pub mac_address: MacAddress,
    #[schema(value_type = Option<String>, example = "10.5.50.11")]
    pub ip_address: Option<ClientIp>,
    pub label: Option<String>,
    pub is_authorized: bool,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub authorized_at: Option<DateTime<Utc>>,
}

/// A registered device as the device policy and the sync see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_devices)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct DeviceRow {
    pub id: i64,
    pub user_id: Uuid,
    pub mac_address: MacAddress,
    pub ip_address: Option<ClientIp>,
    pub is_authorized: bool,
    pub last_seen_at: DateTime<Utc>,
}

/// One sync cycle as recorded.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sync_runs)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SyncRun {
    pub id: i64,
    #[schema(value_type = String)]
    pub trigger: SyncTrigger,
    pub job_id: Option<String>,
    #[schema(value_type = String)]
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub users_count: i32,
    pub devices_count: i32,
    pub bytes_charged: i64,
    pub router_commands: i32,
    pub router_writes: i32,
    pub error_count: i32,
    #[schema(value_type = Vec<String>)]
    pub errors: serde_json::Value,
    /// Our devices the router showed online in this cycle.
    pub hosts_count: i32,
    /// While the cycle runs: what it is doing now, with its counts.
    pub stage: Option<String>,
    /// The site synced (none: a cycle from before sites).
    pub router_id: Option<i32>,
}
