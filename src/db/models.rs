//! Row types. Text columns holding enumerations are parsed into domain types at the edges that
//! use them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{quota_ledger, users};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub phone_number: String,
    pub full_name: String,
    pub role: String,
    pub approval_status: String,
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
}

impl User {
    pub fn quota_remaining_bytes(&self) -> i64 {
        (self.quota_purchased_bytes - self.quota_used_bytes).max(0)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub phone_number: &'a str,
    pub full_name: &'a str,
    pub role: &'a str,
    pub approval_status: &'a str,
    pub is_active: bool,
    pub is_unlimited_user: bool,
    pub quota_purchased_bytes: i64,
    pub quota_expiry_date: Option<DateTime<Utc>>,
    pub password_hash: Option<&'a str>,
    pub approved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = quota_ledger)]
pub struct NewLedgerEntry<'a> {
    pub user_id: Uuid,
    pub delta_bytes: i64,
    pub source: &'a str,
    pub idempotency_key: &'a str,
    pub details: serde_json::Value,
    pub created_by: Option<Uuid>,
}
