//! Refresh tokens: random, only their SHA-256 stored, rotated on every use, grouped in families.
//! Presenting a token that was already rotated (outside a short grace for concurrent tabs)
//! revokes the whole family: someone is replaying a stolen token.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::crypto::{random_token, sha256};
use crate::db::DbError;
use crate::db::schema::{refresh_tokens, users};
use crate::domain::Role;

#[derive(Debug, Clone)]
pub struct NewRefresh {
    /// The raw token for the cookie; never stored.
    pub token: String,
    pub hash: [u8; 32],
    pub family: Uuid,
    pub expires_at: DateTime<Utc>,
    /// Started by an admin's password sign-in: only such a family carries admin rights.
    pub elevated: bool,
}

/// id, user, family, expires, rotated, revoked, device, elevated.
type TokenRow = (i64, Uuid, Uuid, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<i64>, bool);

pub fn mint(family: Uuid, ttl: Duration, elevated: bool) -> NewRefresh {
    let token = random_token(32);
    let hash = sha256(token.as_bytes());
    let expires_at = Utc::now() + chrono::Duration::seconds(ttl.as_secs() as i64);
    NewRefresh { token, hash, family, expires_at, elevated }
}

pub fn hash_of(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}

fn truncate(s: Option<&str>, n: usize) -> Option<String> {
    s.map(|v| v.chars().take(n).collect())
}

pub fn insert(
    conn: &mut PgConnection,
    user: Uuid,
    t: &NewRefresh,
    device: Option<i64>,
    ip: Option<&str>,
    ua: Option<&str>,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user),
            refresh_tokens::token_hash.eq(t.hash.to_vec()),
            refresh_tokens::family_id.eq(t.family),
            refresh_tokens::expires_at.eq(t.expires_at),
            refresh_tokens::ip_address.eq(ip),
            refresh_tokens::user_agent.eq(truncate(ua, 512)),
            refresh_tokens::device_id.eq(device),
            refresh_tokens::elevated.eq(t.elevated),
        ))
        .returning(refresh_tokens::id)
        .get_result(conn)?)
}

#[derive(Debug)]
pub enum Rotation {
    /// The new token; the user it belongs to and the session's device (it rides the family).
    /// The new token carries the family's `elevated`.
    Rotated { next: NewRefresh, user: Uuid, role: Role, device: Option<i64> },
    /// Unknown, expired or revoked.
    Invalid,
    /// A rotated token came back after the grace window: the family is now revoked.
    ReuseDetected { user: Uuid, family: Uuid },
    /// The account may not sign in any more: the family is now revoked.
    AccountDisabled { user: Uuid },
}

/// Rotates `token` in one transaction (row locked, so two tabs racing get consistent answers).
pub fn rotate(
    conn: &mut PgConnection,
    token: &str,
    ttl: Duration,
    grace: Duration,
    ip: Option<&str>,
    ua: Option<&str>,
) -> Result<Rotation, DbError> {
    let hash = hash_of(token).to_vec();
    conn.transaction::<_, DbError, _>(|tx| {
        let row: Option<TokenRow> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select((
                refresh_tokens::id,
                refresh_tokens::user_id,
                refresh_tokens::family_id,
                refresh_tokens::expires_at,
                refresh_tokens::rotated_at,
                refresh_tokens::revoked_at,
                refresh_tokens::device_id,
                refresh_tokens::elevated,
            ))
            .for_update()
            .first(tx)
            .optional()?;
        let Some((id, user, family, expires_at, rotated_at, revoked_at, device, elevated)) = row else {
            return Ok(Rotation::Invalid);
        };
        let now = Utc::now();
        if revoked_at.is_some() || expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        let grace = chrono::Duration::from_std(grace).unwrap_or_default();
        if rotated_at.is_some_and(|at| now - at > grace) {
            revoke_family(tx, family, "reuse_detected")?;
            return Ok(Rotation::ReuseDetected { user, family });
        }
        let user_row: Option<(Role, bool, bool)> =
            users::table.find(user).select((users::role, users::is_active, users::is_blocked)).first(tx).optional()?;
        let Some((role, active, blocked)) = user_row else { return Ok(Rotation::Invalid) };
        if !active || blocked {
            revoke_family(tx, family, "account_disabled")?;
            return Ok(Rotation::AccountDisabled { user });
        }
        let next = mint(family, ttl, elevated);
        let next_id = insert(tx, user, &next, device, ip, ua)?;
        if rotated_at.is_none() {
            diesel::update(refresh_tokens::table.find(id))
                .set((refresh_tokens::rotated_at.eq(now), refresh_tokens::replaced_by.eq(next_id)))
                .execute(tx)?;
        }
        Ok(Rotation::Rotated { next, user, role, device })
    })
}

pub fn revoke_family(conn: &mut PgConnection, family: Uuid, reason: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((refresh_tokens::revoked_at.eq(Utc::now()), refresh_tokens::revoked_reason.eq(reason)))
    .execute(conn)?)
}

pub fn revoke_all(conn: &mut PgConnection, user: Uuid, reason: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((refresh_tokens::revoked_at.eq(Utc::now()), refresh_tokens::revoked_reason.eq(reason)))
    .execute(conn)?)
}

/// Revokes every session of `user` but `keep`; returns the revoked families (their access
/// tokens are ended by their not-before).
pub fn revoke_others(
    conn: &mut PgConnection,
    user: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<Vec<Uuid>, DbError> {
    let others = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::family_id.nullable().ne(keep).or(keep.is_none().into_sql::<diesel::sql_types::Bool>()));
    let families: Vec<Uuid> = others.select(refresh_tokens::family_id).distinct().load(conn)?;
    diesel::update(others)
        .set((refresh_tokens::revoked_at.eq(Utc::now()), refresh_tokens::revoked_reason.eq(reason)))
        .execute(conn)?;
    Ok(families)
}

/// The session's device, once the router witnessed it (logout then deauthorizes it).
pub fn attach_device(conn: &mut PgConnection, user: Uuid, family: Uuid, device: i64) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::user_id.eq(user))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::device_id.eq(device))
    .execute(conn)?)
}

/// The family of a (still unrevoked) token, for logout with only the refresh cookie.
pub fn family_of(conn: &mut PgConnection, token: &str) -> Result<Option<(Uuid, Uuid)>, DbError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_of(token).to_vec()))
        .select((refresh_tokens::family_id, refresh_tokens::user_id))
        .first(conn)
        .optional()?)
}

/// Deletes expired tokens and tokens revoked longer ago than `revoked_retention`.
pub fn delete_dead(conn: &mut PgConnection, revoked_retention: Duration) -> Result<usize, DbError> {
    let now = Utc::now();
    let revoked_before = now - chrono::Duration::from_std(revoked_retention).unwrap_or_default();
    Ok(diesel::delete(
        refresh_tokens::table
            .filter(refresh_tokens::expires_at.lt(now).or(refresh_tokens::revoked_at.lt(revoked_before))),
    )
    .execute(conn)?)
}
