//! The inactive-account policy: accounts nobody used for the operator's days are deactivated,
//! and later deleted. Never an admin account, never one still holding quota it can use, and an
//! account with sales records is only deactivated (the books keep it). The worker applies it
//! when the operator turns it on; the console shows the candidates either way.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Admin, AdminError};
use crate::accounts::{self, write};
use crate::audit::{self, Actor, Target, user_view};
use crate::devices::{DeviceKeys, deauthorize_in};
use crate::domain::{AuditAction, Msisdn, Role};

/// The last sign of life: the account made, a sign-in, a device seen by the router.
const ACTIVITY: &str = "GREATEST(u.created_at, u.last_login_at, \
     (SELECT max(d.last_seen_at) FROM user_devices d WHERE d.user_id = u.id))";

/// Who the policy may touch: users and komandans holding no quota they can still use.
const ELIGIBLE: &str = "u.role IN ('USER', 'KOMANDAN') \
     AND NOT ((u.is_unlimited_user OR u.quota_purchased_bytes > u.quota_used_bytes) \
              AND (u.quota_expiry_date IS NULL OR u.quota_expiry_date > now()))";

/// Deleting also needs no sales record.
const NO_SALES: &str = "NOT EXISTS (SELECT 1 FROM transactions t WHERE t.user_id = u.id)";

#[derive(Debug, Clone, Serialize, ToSchema, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub full_name: String,
    #[diesel(sql_type = Text)]
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    pub phone_number: Msisdn,
    #[diesel(sql_type = Text)]
    pub role: Role,
    #[diesel(sql_type = Bool)]
    pub is_active: bool,
    #[diesel(sql_type = Timestamptz)]
    pub last_activity_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    pub days_inactive: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    Deactivate,
    Delete,
}

impl Sweep {
    fn predicate(self) -> String {
        match self {
            Sweep::Deactivate => format!("u.is_active AND {ELIGIBLE}"),
            Sweep::Delete => format!("{ELIGIBLE} AND {NO_SALES}"),
        }
    }
}

/// The candidates of one sweep past `days` (at most `limit`, the longest unused first) and
/// how many there are in all.
pub fn candidates(conn: &mut PgConnection, sweep: Sweep, days: u32, limit: i64) -> QueryResult<(Vec<Candidate>, i64)> {
    let base = format!(
        "FROM (SELECT u.*, {ACTIVITY} AS last_activity_at FROM users u) u \
         WHERE {} AND u.last_activity_at < now() - make_interval(days => $1)",
        sweep.predicate()
    );
    let n = diesel::sql_query(format!("SELECT count(*) AS n {base}"))
        .bind::<Integer, _>(days as i32)
        .get_result::<Count>(conn)?
        .n;
    let items = diesel::sql_query(format!(
        "SELECT u.id, u.full_name, u.phone_number, u.role, u.is_active, u.last_activity_at, \
         floor(extract(epoch FROM now() - u.last_activity_at) / 86400)::int AS days_inactive \
         {base} ORDER BY u.last_activity_at, u.id LIMIT $2"
    ))
    .bind::<Integer, _>(days as i32)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok((items, n))
}

/// Whether one locked user is still a candidate (checked again inside the deleting transaction).
fn still_candidate(conn: &mut PgConnection, sweep: Sweep, days: u32, id: Uuid) -> QueryResult<bool> {
    let q = format!(
        "SELECT count(*) AS n FROM (SELECT u.*, {ACTIVITY} AS last_activity_at FROM users u WHERE u.id = $2) u \
         WHERE {} AND u.last_activity_at < now() - make_interval(days => $1)",
        sweep.predicate()
    );
    Ok(diesel::sql_query(q).bind::<Integer, _>(days as i32).bind::<SqlUuid, _>(id).get_result::<Count>(conn)?.n > 0)
}

/// The preview the console shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub enabled: bool,
    pub deactivate_days: u32,
    pub delete_days: u32,
    pub deactivate: (Vec<Candidate>, i64),
    pub delete: (Vec<Candidate>, i64),
}

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub deactivated: usize,
    pub deleted: usize,
}

/// Most accounts one sweep touches (the next sweep takes the rest).
const SWEEP_BATCH: i64 = 500;

impl Admin {
    pub async fn inactive_preview(&self, limit: i64) -> Result<Preview, AdminError> {
        let r = self.runtime.get();
        let (de, del) = r.inactive_thresholds();
        let (deactivate, delete) = self
            .db
            .run(move |c| Ok((candidates(c, Sweep::Deactivate, de, limit)?, candidates(c, Sweep::Delete, del, limit)?)))
            .await?;
        Ok(Preview { enabled: r.inactive_cleanup, deactivate_days: de, delete_days: del, deactivate, delete })
    }

    /// Applies the policy once (the worker calls this while the setting is on): each account
    /// through the same deactivation as an admin's, each deletion re-checked in its transaction.
    pub async fn sweep_inactive(&self, actor: &Actor) -> Result<Swept, AdminError> {
        let r = self.runtime.get();
        let (de, del) = r.inactive_thresholds();
        let mut done = Swept::default();
        let (doomed, _) = self.db.run(move |c| Ok(candidates(c, Sweep::Delete, del, SWEEP_BATCH)?)).await?;
        for c in doomed {
            if self.delete_inactive(actor, c.id, del).await? {
                done.deleted += 1;
            }
        }
        let (idle, _) = self.db.run(move |c| Ok(candidates(c, Sweep::Deactivate, de, SWEEP_BATCH)?)).await?;
        for c in idle {
            if self.deactivate(actor, c.id).await?.changed {
                done.deactivated += 1;
            }
        }
        Ok(done)
    }

    /// Deletes one account that is still a deletion candidate, audited; false if it no longer is.
    async fn delete_inactive(&self, actor: &Actor, id: Uuid, days: u32) -> Result<bool, AdminError> {
        let a = actor.clone();
        let keys: Option<Vec<DeviceKeys>> = self
            .db
            .run(move |conn| {
                Ok(conn.transaction::<_, AdminError, _>(|tx| {
                    let u = accounts::lock(tx, id)?;
                    if !still_candidate(tx, Sweep::Delete, days, id)? {
                        return Ok(None);
                    }
                    let keys = deauthorize_in(tx, id, None)?;
                    let details = json!({ "before": user_view(&u), "reason": "inactive", "days": days });
                    audit::record(tx, &a, AuditAction::UserDelete, Some(Target::user(id)), details)?;
                    write::delete(tx, id)?;
                    Ok(Some(keys))
                }))
            })
            .await??;
        let Some(keys) = keys else { return Ok(false) };
        self.end_sessions(id).await;
        self.devices.forget_keys(&keys).await;
        Ok(true)
    }
}
