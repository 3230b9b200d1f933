//! Every change to a user's row other than creation, grants and the stored status, each inside
//! the caller's transaction (the admin room holds the row lock and writes the audit row beside
//! it). Each returns the user as it is after.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::UserError;
use super::create::normalize_name;
use crate::db::DbError;
use crate::db::models::User;
use crate::db::schema::users;
use crate::domain::{ApprovalStatus, BlockCause, Language, Role};

type Changed = Result<User, DbError>;

/// An approved registration (a phone nobody proved is vouched for by the operator).
pub fn approve(tx: &mut PgConnection, u: &User) -> Changed {
    let now = Utc::now();
    Ok(diesel::update(users::table.find(u.id))
        .set((
            users::approval_status.eq(ApprovalStatus::Approved),
            users::approved_at.eq(now),
            users::rejected_reason.eq(None::<String>),
            users::phone_verified_at.eq(u.phone_verified_at.unwrap_or(now)),
            users::updated_at.eq(now),
        ))
        .returning(User::as_returning())
        .get_result(tx)?)
}

pub fn reject(tx: &mut PgConnection, id: Uuid, reason: &str) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::approval_status.eq(ApprovalStatus::Rejected),
            users::rejected_reason.eq(reason),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(tx)?)
}

/// An admin's block.
pub fn block(tx: &mut PgConnection, id: Uuid, reason: &str) -> Changed {
    block_for(tx, id, reason, BlockCause::Admin)
}

/// A block and its cause (a debt rule's is lifted when the debts are paid).
pub fn block_for(tx: &mut PgConnection, id: Uuid, reason: &str, cause: BlockCause) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::is_blocked.eq(true),
            users::block_cause.eq(Some(cause)),
            users::blocked_reason.eq(reason),
            users::blocked_at.eq(Utc::now()),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(tx)?)
}

pub fn unblock(tx: &mut PgConnection, id: Uuid) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::is_blocked.eq(false),
            users::block_cause.eq(None::<BlockCause>),
            users::blocked_reason.eq(None::<String>),
            users::blocked_at.eq(None::<DateTime<Utc>>),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(tx)?)
}

pub fn deactivate(tx: &mut PgConnection, id: Uuid) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((users::is_active.eq(false), users::deactivated_at.eq(Utc::now()), users::updated_at.eq(Utc::now())))
        .returning(User::as_returning())
        .get_result(tx)?)
}

/// Deletes the account; its devices, sign-ins, ledger and usage go with it (sales records
/// refuse the delete: the caller deletes only accounts without any).
pub fn delete(tx: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    diesel::delete(users::table.find(id)).execute(tx)?;
    Ok(())
}

pub fn reactivate(tx: &mut PgConnection, id: Uuid) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::is_active.eq(true),
            users::deactivated_at.eq(None::<DateTime<Utc>>),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(tx)?)
}

/// A new role with its password hash (admin roles have one, other roles none).
pub fn set_role(tx: &mut PgConnection, id: Uuid, role: Role, password_hash: Option<String>) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::password_hash.eq(password_hash), users::updated_at.eq(Utc::now())))
        .returning(User::as_returning())
        .get_result(tx)?)
}

/// A new password hash for an account that signs in with one.
pub fn set_password(tx: &mut PgConnection, id: Uuid, password_hash: String) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((users::password_hash.eq(Some(password_hash)), users::updated_at.eq(Utc::now())))
        .returning(User::as_returning())
        .get_result(tx)?)
}

/// What an admin's profile edit writes, whole.
#[derive(Debug, Clone)]
pub struct Fields {
    pub full_name: String,
    pub is_unlimited_user: bool,
    pub device_limit_override: Option<i32>,
    pub profile: serde_json::Value,
}

pub fn set_fields(tx: &mut PgConnection, id: Uuid, f: Fields) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::full_name.eq(f.full_name),
            users::is_unlimited_user.eq(f.is_unlimited_user),
            users::device_limit_override.eq(f.device_limit_override),
            users::profile.eq(f.profile),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(tx)?)
}

pub fn set_expiry(tx: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> Changed {
    Ok(diesel::update(users::table.find(id))
        .set((users::quota_expiry_date.eq(Some(at)), users::updated_at.eq(Utc::now())))
        .returning(User::as_returning())
        .get_result(tx)?)
}

/// Stamps a sign-in that is not a device sign-in (those stamp it in their one statement).
pub fn touch_login(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    diesel::update(users::table.find(id)).set(users::last_login_at.eq(Utc::now())).execute(conn)?;
    Ok(())
}

/// What a user may change about themselves; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OwnProfile {
    pub full_name: Option<String>,
    pub language: Option<Language>,
    pub messages_opt_out: Option<bool>,
}

/// Applies the user's own profile change; the user after it (`None`: no such user).
pub fn update_own_profile(conn: &mut PgConnection, id: Uuid, p: &OwnProfile) -> Result<Option<User>, UserError> {
    let name = p.full_name.as_deref().map(normalize_name).transpose()?;
    let Some(before) = super::find(conn, id)? else { return Ok(None) };
    let after = (
        name.unwrap_or_else(|| before.full_name.clone()),
        p.language.unwrap_or(before.language),
        p.messages_opt_out.unwrap_or(before.messages_opt_out),
    );
    if after == (before.full_name.clone(), before.language, before.messages_opt_out) {
        return Ok(Some(before));
    }
    let user = diesel::update(users::table.find(id))
        .set((
            users::full_name.eq(after.0),
            users::language.eq(after.1),
            users::messages_opt_out.eq(after.2),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .map_err(DbError::from)?;
    Ok(Some(user))
}

impl super::Accounts {
    /// The user's own profile change; the user after it (`None`: no such user).
    pub async fn update_own_profile(&self, id: Uuid, p: OwnProfile) -> Result<Option<User>, UserError> {
        self.db.run(move |conn| Ok(update_own_profile(conn, id, &p))).await?
    }
}
