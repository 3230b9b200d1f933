//! The audit room: who did what to whom, before and after, from where. Rows are written in the
//! transaction of the change they record (this room is the only writer of `audit_log`), read
//! back filtered and paged, newest first, and pruned past retention.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::DbError;
use crate::db::models::User;
use crate::db::schema::audit_log;
use crate::domain::{AuditAction, AuditTarget, ClientIp, Msisdn, Role};

/// Who acts: an admin through the API, or the operator's command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub role: Role,
    /// How the actor shows in the trail: a masked phone, or `cli`.
    pub label: String,
    pub request_id: Option<String>,
    pub client_ip: Option<ClientIp>,
}

impl Actor {
    /// The operator on the server's command line: super admin rights.
    pub fn cli() -> Self {
        Self { user_id: None, role: Role::SuperAdmin, label: "cli".into(), request_id: None, client_ip: None }
    }

    pub fn admin(user: &User, request_id: Option<String>, client_ip: Option<ClientIp>) -> Self {
        Self { user_id: Some(user.id), role: user.role, label: user.phone_number.masked(), request_id, client_ip }
    }

    /// A worker job applying the operator's policy: an admin's rights, never a super admin's.
    pub fn job(name: &str) -> Self {
        Self { user_id: None, role: Role::Admin, label: format!("worker:{name}"), request_id: None, client_ip: None }
    }

    /// Someone who is not signed in (a failed admin login).
    pub fn anonymous(request_id: Option<String>, client_ip: Option<ClientIp>) -> Self {
        Self { user_id: None, role: Role::User, label: "anonymous".into(), request_id, client_ip }
    }
}

/// What the trail keeps of a user: enough to see a change, the phone masked.
pub fn user_view(u: &User) -> Value {
    json!({
        "phone_number": u.phone_number.masked(),
        "full_name": u.full_name,
        "role": u.role,
        "approval_status": u.approval_status,
        "is_active": u.is_active,
        "is_blocked": u.is_blocked,
        "blocked_reason": u.blocked_reason,
        "is_unlimited_user": u.is_unlimited_user,
        "quota_purchased_bytes": u.quota_purchased_bytes,
        "quota_used_bytes": u.quota_used_bytes,
        "quota_expiry_date": u.quota_expiry_date,
        "device_limit_override": u.device_limit_override,
    })
}

/// What an entry is about.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: AuditTarget,
    pub id: String,
}

impl Target {
    pub fn new(kind: AuditTarget, id: impl ToString) -> Self {
        Self { kind, id: id.to_string() }
    }

    pub fn user(id: Uuid) -> Self {
        Self::new(AuditTarget::User, id)
    }
}

/// Writes one entry inside the caller's transaction.
pub fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: AuditAction,
    target: Option<Target>,
    details: Value,
) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_user_id.eq(actor.user_id),
            audit_log::actor.eq(&actor.label),
            audit_log::action.eq(action),
            audit_log::target_type.eq(target.as_ref().map(|t| t.kind)),
            audit_log::target_id.eq(target.as_ref().map(|t| t.id.as_str())),
            audit_log::details.eq(details),
            audit_log::request_id.eq(actor.request_id.as_deref()),
            audit_log::client_ip.eq(actor.client_ip.map(|i| i.as_text())),
        ))
        .execute(conn)?;
    Ok(())
}

/// A failed admin login: the phone tried, masked.
pub fn login_failed(conn: &mut PgConnection, actor: &Actor, phone: &Msisdn) -> Result<(), DbError> {
    record(conn, actor, AuditAction::AdminLoginFailed, None, json!({ "phone_number": phone.masked() }))
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = audit_log)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AuditEntry {
    pub id: i64,
    pub actor_user_id: Option<Uuid>,
    /// The actor as shown: a masked phone, `cli`, `anonymous`.
    pub actor: String,
    #[schema(value_type = String)]
    pub action: AuditAction,
    #[schema(value_type = Option<String>)]
    pub target_type: Option<AuditTarget>,
    pub target_id: Option<String>,
    /// `before`, `after`, `reason` and the like; phones masked.
    #[schema(value_type = Object)]
    pub details: Value,
    pub request_id: Option<String>,
    /// Where the request came from (through trusted proxies).
    #[serde(rename = "client_address")]
    #[diesel(column_name = client_ip)]
    pub client_address: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<Uuid>,
    pub target: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// One page, newest first, and the total.
pub fn list(
    conn: &mut PgConnection,
    f: &AuditFilter,
    page: i64,
    per_page: i64,
) -> Result<(Vec<AuditEntry>, i64), DbError> {
    let build = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(a) = f.actor {
            q = q.filter(audit_log::actor_user_id.eq(a));
        }
        if let Some(t) = &f.target {
            q = q.filter(audit_log::target_id.eq(t.clone()));
        }
        if let Some(a) = &f.action {
            // `user.` lists every user action.
            if a.ends_with('.') {
                q = q.filter(audit_log::action.like(format!("{a}%")));
            } else {
                q = q.filter(audit_log::action.eq(a.clone()));
            }
        }
        if let Some(from) = f.from {
            q = q.filter(audit_log::created_at.ge(from));
        }
        if let Some(to) = f.to {
            q = q.filter(audit_log::created_at.lt(to));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(AuditEntry::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Deletes entries older than `before`, chunk by chunk; how many.
pub fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<usize, DbError> {
    crate::db::delete_older(conn, crate::db::Aged { table: "audit_log", at: "created_at", also: "" }, before)
}
