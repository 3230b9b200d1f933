//! The audit trail as the logs page reads it: filtered (text, acting admin, target user, local
//! days), sorted, paged, exported; and a super admin's purge of old entries — never of the last
//! year (what the trail is kept for), itself recorded.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde_json::json;
use uuid::Uuid;

use super::{Admin, AdminError};
use crate::audit::{self, Actor, Target};
use crate::domain::days::local_midnight;
use crate::domain::{AuditAction, AuditTarget, Role};

/// One entry with who did it and to whom.
#[derive(Debug, Clone, QueryableByName)]
pub struct LogRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub details: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// How the trail names the actor (`cli`, `worker:…`, a masked phone) when no account did it.
    #[diesel(sql_type = Text)]
    pub actor: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub admin_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub admin_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub admin_phone: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub target_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub target_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub target_phone: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What the page filters by.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub search: Option<String>,
    pub admin: Option<Uuid>,
    pub target_user: Option<Uuid>,
    /// Local days, both included.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// By action instead of time.
    pub by_action: bool,
    pub ascending: bool,
}

const FROM: &str = "FROM audit_log a \
     LEFT JOIN users au ON au.id = a.actor_user_id \
     LEFT JOIN users tu ON a.target_type = 'user' AND tu.id::text = a.target_id";

/// The filter's WHERE with its text binds in order ($1 …; each `?` of a part is that part's one
/// bind).
fn clause(f: &LogFilter, tz: chrono_tz::Tz) -> (String, Vec<String>) {
    let (mut parts, mut binds) = (vec!["TRUE".to_owned()], Vec::new());
    let mut add = |sql: &str, v: String, binds: &mut Vec<String>| {
        binds.push(v);
        parts.push(sql.replace('?', &format!("${}", binds.len())));
    };
    if let Some(s) = f.search.as_deref().filter(|s| !s.trim().is_empty()) {
        let like = format!("%{}%", crate::db::like_escape(s.trim()));
        add(
            "(a.details::text ILIKE ? OR a.action ILIKE ? OR au.full_name ILIKE ? OR tu.full_name ILIKE ?)",
            like,
            &mut binds,
        );
    }
    if let Some(a) = f.admin {
        add("a.actor_user_id::text = ?", a.to_string(), &mut binds);
    }
    if let Some(t) = f.target_user {
        add("(a.target_type = 'user' AND a.target_id = ?)", t.to_string(), &mut binds);
    }
    if let Some(d) = f.from {
        add("a.created_at >= ?::timestamptz", local_midnight(d, tz).to_rfc3339(), &mut binds);
    }
    if let Some(d) = f.to.and_then(|d| d.succ_opt()) {
        add("a.created_at < ?::timestamptz", local_midnight(d, tz).to_rfc3339(), &mut binds);
    }
    (parts.join(" AND "), binds)
}

fn select(
    f: &LogFilter,
    tz: chrono_tz::Tz,
    limit: Option<(i64, i64)>,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    let (filter, binds) = clause(f, tz);
    let order = match (f.by_action, f.ascending) {
        (true, true) => "a.action ASC, a.id DESC",
        (true, false) => "a.action DESC, a.id DESC",
        (false, true) => "a.id ASC",
        (false, false) => "a.id DESC",
    };
    let page = limit.map(|(offset, n)| format!(" OFFSET {offset} LIMIT {n}")).unwrap_or_default();
    let sql = format!(
        "SELECT a.id, a.action, a.details::text AS details, a.created_at, a.actor, \
         au.id AS admin_id, au.full_name AS admin_name, au.phone_number AS admin_phone, \
         tu.id AS target_id, tu.full_name AS target_name, tu.phone_number AS target_phone \
         {FROM} WHERE {filter} ORDER BY {order}{page}"
    );
    let mut q = diesel::sql_query(sql).into_boxed();
    for b in binds {
        q = q.bind::<Text, _>(b);
    }
    q
}

/// The most rows one export holds.
pub const EXPORT_MAX: i64 = 50_000;

impl Admin {
    pub async fn logs(&self, f: LogFilter, page: i64, per_page: i64) -> Result<(Vec<LogRow>, i64), AdminError> {
        let tz = self.settings.timezone;
        Ok(self
            .db
            .run(move |c| {
                let (filter, binds) = clause(&f, tz);
                let mut count = diesel::sql_query(format!("SELECT count(*) AS n {FROM} WHERE {filter}")).into_boxed();
                for b in binds {
                    count = count.bind::<Text, _>(b);
                }
                let total = count.get_result::<Count>(c)?.n;
                let rows = select(&f, tz, Some(((page - 1) * per_page, per_page))).load::<LogRow>(c)?;
                Ok((rows, total))
            })
            .await?)
    }

    /// Every entry the filter keeps (at most [`EXPORT_MAX`]), newest first.
    pub async fn logs_export(&self, f: LogFilter) -> Result<Vec<LogRow>, AdminError> {
        let tz = self.settings.timezone;
        Ok(self.db.run(move |c| Ok(select(&f, tz, Some((0, EXPORT_MAX))).load::<LogRow>(c)?)).await?)
    }

    /// Deletes entries older than `before` (super admin only). The last year is always kept:
    /// an earlier `before` stands, a later one (or none: "everything") is moved back to a year
    /// ago. Returns how many went and the cut-off used; the purge is itself recorded.
    pub async fn purge_logs(
        &self,
        actor: &Actor,
        before: Option<DateTime<Utc>>,
    ) -> Result<(usize, DateTime<Utc>), AdminError> {
        if actor.role != Role::SuperAdmin {
            return Err(AdminError::forbidden("only a super admin purges the audit trail"));
        }
        let floor = Utc::now() - chrono::Duration::days(365);
        let cut = before.map_or(floor, |b| b.min(floor));
        let a = actor.clone();
        let n = self
            .db
            .run(move |c| {
                Ok(c.transaction::<_, AdminError, _>(|tx| {
                    let n = audit::prune(tx, cut)?;
                    let details = json!({ "before": cut, "deleted": n, "asked_before": before });
                    audit::record(
                        tx,
                        &a,
                        AuditAction::AuditPurge,
                        Some(Target::new(AuditTarget::Settings, "audit_log")),
                        details,
                    )?;
                    Ok(n)
                }))
            })
            .await??;
        Ok((n, cut))
    }
}
