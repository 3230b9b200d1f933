//! The one place a user's access status is stored: the status last given (by the sync, an
//! admin's change, a grant, a reconcile) is what the admin's filters and counts read; the live
//! one is always `RouterPolicy::status(facts)`.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::DbError;
use crate::db::models::User;
use crate::domain::AccessStatus;
use crate::domain::policy::RouterPolicy;

/// Stores each user's status where it differs from the stored one, in one statement.
pub fn store_all(conn: &mut PgConnection, updates: &[(Uuid, AccessStatus)]) -> Result<usize, DbError> {
    if updates.is_empty() {
        return Ok(0);
    }
    let (ids, statuses): (Vec<Uuid>, Vec<&str>) = updates.iter().map(|(id, s)| (*id, s.as_str())).unzip();
    Ok(diesel::sql_query(
        "UPDATE users u SET access_status = t.s FROM unnest($1::uuid[], $2::text[]) AS t(id, s) \
         WHERE u.id = t.id AND u.access_status <> t.s",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Text>, _>(statuses)
    .execute(conn)?)
}

/// The user's status by the one policy now, stored when it moved; the user as it is after.
pub fn store(conn: &mut PgConnection, mut u: User, policy: &RouterPolicy) -> Result<User, DbError> {
    let status = policy.status(&u.facts(), Utc::now());
    if status != u.access_status {
        store_all(conn, &[(u.id, status)])?;
        u.access_status = status;
    }
    Ok(u)
}
