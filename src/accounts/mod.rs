//! The accounts room: the only writer of `users`, `quota_ledger` and `login_history` (the
//! sign-in statement and the sync's charge are the two fused exceptions, named in
//! docs/architecture.md), and the reader of a user's usage and histories.
//!
//! - `create`: accounts made by an operator, the seed or a registration; finding them.
//! - `password`: admin passwords (argon2id).
//! - `grant`: the one grant path (quota and time, keyed by cause).
//! - `debts`: quota on credit (`quota_debts`, `debt_settlements`): lent through the grant path,
//!   paid by settlements.
//! - `status`: the one function that stores access statuses.
//! - `write`: every other change of a user's row, inside the caller's transaction.
//! - `submissions`: the public database-update form's submissions until an admin decides.
//! - `usage`, `history`: what a user used and what happened to their quota and sign-ins.

pub mod charge;
pub mod create;
pub mod debts;
pub mod grant;
pub mod history;
pub mod password;
pub mod requests;
pub mod status;
pub mod submissions;
pub mod usage;
pub mod write;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

pub use create::CreateUser;
pub use grant::{Grant, Outcome};

use crate::audit::Actor;
use crate::db::models::User;
use crate::db::schema::users;
use crate::db::{Db, DbError};
use crate::domain::{Language, Msisdn, Role};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("a user with this phone number already exists")]
    PhoneTaken,
    #[error("full name must be 1 to {} characters", create::MAX_NAME_LEN)]
    InvalidName,
    #[error("admin roles need a password")]
    PasswordRequired,
    #[error("only admin roles sign in with a password")]
    PasswordNotAllowed,
    #[error("password must be at least {} characters", password::MIN_PASSWORD_LEN)]
    WeakPassword,
    #[error("quota must be between 0 and 1 PiB")]
    InvalidQuota,
    #[error("password hashing failed")]
    Hash,
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for UserError {
    fn from(e: diesel::result::Error) -> Self {
        match &e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some("users_phone_number_key") =>
            {
                UserError::PhoneTaken
            }
            _ => UserError::Db(e.into()),
        }
    }
}

/// What an account change can be refused for.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no such user")]
    UserNotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyConflict,
    #[error("a user with this phone number already exists")]
    PhoneTaken,
    #[error("no such debt")]
    DebtNotFound,
    #[error("this debt is paid")]
    DebtPaid,
    #[error("nothing is owed")]
    NothingOwed,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Db(e.into())
    }
}

impl From<UserError> for AccountError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::PhoneTaken => AccountError::PhoneTaken,
            UserError::Db(d) => AccountError::Db(d),
            UserError::InvalidField { field, reason } => AccountError::Invalid { field: field.into(), reason },
            UserError::InvalidName => invalid("full_name", e.to_string()),
            UserError::PasswordRequired | UserError::PasswordNotAllowed | UserError::WeakPassword | UserError::Hash => {
                invalid("password", e.to_string())
            }
            UserError::InvalidQuota => invalid("quota_bytes", e.to_string()),
        }
    }
}

pub fn invalid(field: &str, reason: impl Into<String>) -> AccountError {
    AccountError::Invalid { field: field.to_owned(), reason: reason.into() }
}

/// Whether `actor` may act on `target`: admin accounts (and super admins above all) are the
/// super admin's; an admin manages users.
pub fn may_act_on(actor: &Actor, target: &User) -> Result<(), AccountError> {
    if actor.role == Role::SuperAdmin {
        return Ok(());
    }
    if target.role == Role::SuperAdmin {
        return Err(AccountError::Forbidden("only a super admin acts on a super admin"));
    }
    if target.role.is_admin() {
        return Err(AccountError::Forbidden("admin accounts are the super admin's"));
    }
    Ok(())
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<User>, DbError> {
    Ok(users::table.find(id).select(User::as_select()).first(conn).optional()?)
}

pub fn find_by_phone(conn: &mut PgConnection, phone: &Msisdn) -> Result<Option<User>, DbError> {
    Ok(users::table.filter(users::phone_number.eq(phone)).select(User::as_select()).first(conn).optional()?)
}

/// The user's row, locked for the rest of the caller's transaction.
pub fn lock(conn: &mut PgConnection, id: Uuid) -> Result<User, AccountError> {
    users::table
        .find(id)
        .select(User::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(AccountError::UserNotFound)
}

/// Active, unblocked users whose package ends in `(from, to]`, with when.
pub fn expiring_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbError> {
    Ok(users::table
        .filter(users::quota_expiry_date.gt(from))
        .filter(users::quota_expiry_date.le(to))
        .filter(users::is_active.eq(true))
        .filter(users::is_blocked.eq(false))
        .select((users::id, users::quota_expiry_date.assume_not_null()))
        .load(conn)?)
}

/// The active super admins: who they are, their phone and language (operators' alerts).
pub fn super_admins(conn: &mut PgConnection) -> Result<Vec<(Uuid, Msisdn, Language)>, DbError> {
    Ok(users::table
        .filter(users::role.eq(Role::SuperAdmin))
        .filter(users::is_active.eq(true))
        .select((users::id, users::phone_number, users::language))
        .load(conn)?)
}

pub fn list(conn: &mut PgConnection, limit: i64) -> Result<Vec<User>, DbError> {
    Ok(users::table.order(users::created_at.desc()).limit(limit).select(User::as_select()).load(conn)?)
}

/// The room's handles; cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    pub db: Db,
    /// Where a user's router reconcile goes after a change that can alter access.
    pub queues: hotspot_jobs::Queues,
}

impl Accounts {
    pub fn new(db: Db, queues: hotspot_jobs::Queues) -> Self {
        Self { db, queues }
    }

    pub async fn find(&self, id: Uuid) -> Result<Option<User>, DbError> {
        self.db.run(move |conn| find(conn, id)).await
    }

    pub async fn find_by_phone(&self, phone: &Msisdn) -> Result<Option<User>, DbError> {
        let phone = phone.clone();
        self.db.run(move |conn| find_by_phone(conn, &phone)).await
    }

    /// The user, or `UserNotFound`.
    pub async fn get(&self, id: Uuid) -> Result<User, AccountError> {
        self.find(id).await?.ok_or(AccountError::UserNotFound)
    }

    /// Queues the router reconcile of a user whose access may have changed. A queue that is
    /// down is logged, not an error: the change is committed and the periodic sync applies it.
    pub async fn reconcile_later(&self, user: Uuid, reason: &str) {
        let job = hotspot_jobs::Reconcile { user_id: user.to_string(), reason: reason.to_owned() };
        if let Err(e) = self.queues.push(job).await {
            tracing::error!(error = %e, "could not queue the router reconcile; the next sync applies the change");
        }
    }
}
