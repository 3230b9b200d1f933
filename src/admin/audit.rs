//! The audit trail: who did what to whom, before and after, from where. Rows are written in the
//! transaction of the change they record (the only writer of `audit_log`), and read back,
//! filtered and paged, newest first.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::DbError;
use crate::db::models::User;
use crate::db::schema::audit_log;
use crate::domain::{ClientIp, Msisdn, Role};

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
    pub kind: &'static str,
    pub id: String,
}

impl Target {
    pub fn user(id: Uuid) -> Self {
        Self { kind: "user", id: id.to_string() }
    }
}

/// Writes one entry inside the caller's transaction.
pub fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
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
    record(conn, actor, "admin.login_failed", None, json!({ "phone_number": phone.masked() }))
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = audit_log)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AuditEntry {
    pub id: i64,
    pub actor_user_id: Option<Uuid>,
    /// The actor as shown: a masked phone, `cli`, `anonymous`.
    pub actor: String,
    pub action: String,
    pub target_type: Option<String>,
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

impl super::Admin {
    /// A manual sync asked for (the job id names it in `sync_runs`).
    pub async fn record_manual_sync(&self, actor: &Actor, job_id: &str) -> Result<(), super::AdminError> {
        let (a, job) = (actor.clone(), job_id.to_owned());
        let target = Target { kind: "sync", id: job.clone() };
        Ok(self.db().run(move |conn| record(conn, &a, "sync.manual", Some(target), json!({ "job_id": job }))).await?)
    }

    /// An admin's password sign-in, successful or not (a failure names the phone tried, masked).
    pub async fn record_login(
        &self,
        phone: &Msisdn,
        ok: bool,
        request_id: Option<String>,
        client_ip: Option<ClientIp>,
    ) -> Result<(), super::AdminError> {
        let user = if ok { self.captive.user_by_phone(phone).await.ok() } else { None };
        let phone = phone.clone();
        Ok(self
            .db()
            .run(move |conn| match user {
                Some(u) => {
                    let a = Actor::admin(&u, request_id, client_ip);
                    record(conn, &a, "admin.login", Some(Target::user(u.id)), json!({}))
                }
                None => login_failed(conn, &Actor::anonymous(request_id, client_ip), &phone),
            })
            .await?)
    }
}
