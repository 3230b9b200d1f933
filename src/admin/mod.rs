//! The admin room: what an operator does every day. One writer per table: user lifecycle
//! changes (`lifecycle`, `quota`, `account`, and `edit` for the editor's whole-user save), the
//! one grant path (`grant`), the audit trail (`audit`), runtime settings (`settings`); reads for
//! the admin pages (`query`, `stats`).
//!
//! Every mutation runs in one transaction with its audit row, locks the user's row first, and
//! after it commits enqueues the user's router reconcile when the change can alter access.

pub mod account;
pub mod audit;
pub mod edit;
pub mod grant;
pub mod lifecycle;
pub mod query;
pub mod quota;
pub mod sales;
pub mod settings;
pub mod stats;
pub mod whatsapp;

use uuid::Uuid;

pub use audit::Actor;

use crate::captive::{Captive, CaptiveError};
use crate::db::DbError;
use crate::db::models::User;
use crate::domain::Role;
use crate::kv::KvError;
use crate::runtime::Runtime;
use crate::whatsapp::Messenger;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no such user")]
    UserNotFound,
    #[error("no such device")]
    DeviceNotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The user is not in a state this action applies to (rejecting an approved user, …).
    #[error("{0}")]
    InvalidState(&'static str),
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyConflict,
    #[error("a user with this phone number already exists")]
    PhoneTaken,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Kv(#[from] KvError),
    #[error(transparent)]
    Captive(#[from] CaptiveError),
}

impl From<diesel::result::Error> for AdminError {
    fn from(e: diesel::result::Error) -> Self {
        AdminError::Db(e.into())
    }
}

impl From<crate::users::UserError> for AdminError {
    fn from(e: crate::users::UserError) -> Self {
        use crate::users::UserError as U;
        match e {
            U::PhoneTaken => AdminError::PhoneTaken,
            U::Db(d) => AdminError::Db(d),
            U::InvalidField { field, reason } => AdminError::Invalid { field: field.into(), reason },
            U::InvalidName => invalid("full_name", e.to_string()),
            U::PasswordRequired | U::PasswordNotAllowed | U::WeakPassword | U::Hash => {
                invalid("password", e.to_string())
            }
            U::InvalidQuota => invalid("quota_bytes", e.to_string()),
        }
    }
}

pub fn invalid(field: &str, reason: impl Into<String>) -> AdminError {
    AdminError::Invalid { field: field.to_owned(), reason: reason.into() }
}

/// Whether `actor` may act on `target`: admin accounts (and super admins above all) are the
/// super admin's; an admin manages users.
pub fn may_act_on(actor: &Actor, target: &User) -> Result<(), AdminError> {
    if actor.role == Role::SuperAdmin {
        return Ok(());
    }
    if target.role == Role::SuperAdmin {
        return Err(AdminError::Forbidden("only a super admin acts on a super admin"));
    }
    if target.role.is_admin() {
        return Err(AdminError::Forbidden("admin accounts are the super admin's"));
    }
    Ok(())
}

/// Everything the room works with; cheap to clone.
#[derive(Clone)]
pub struct Admin {
    pub captive: Captive,
    pub runtime: Runtime,
    pub messenger: Option<Messenger>,
    pub queues: hotspot_jobs::Queues,
    /// The dashboard's last figures (see [`stats::STATS_FRESH_FOR`]).
    pub stats_cache: std::sync::Arc<stats::StatsCache>,
}

impl Admin {
    pub fn db(&self) -> &crate::db::Db {
        &self.captive.db
    }

    /// Queues the router reconcile of a user whose access may have changed. A queue that is
    /// down is logged, not an error: the change is committed and the periodic sync applies it.
    pub async fn reconcile_later(&self, user: Uuid, reason: &str) {
        let job = hotspot_jobs::Reconcile { user_id: user.to_string(), reason: reason.to_owned() };
        if let Err(e) = self.queues.enqueue_reconcile(job).await {
            tracing::error!(error = %e, "could not queue the router reconcile; the next sync applies the change");
        }
    }
}
