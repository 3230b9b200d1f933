//! The admin room: what an operator does every day: a user's lifecycle (`lifecycle`, `quota`,
//! `account`, and `edit` for the editor's whole-user save), the gateway's WhatsApp session
//! (`whatsapp`), the audit entries of sign-ins and manual syncs (`trail`), and the reads behind
//! the admin pages (`query`, `stats`, `sales`). The rows themselves are written by the core
//! rooms that own them (accounts, devices, audit, settings).
//!
//! Every mutation runs in one transaction with its audit row, locks the user's row first, and
//! after it commits queues the user's router reconcile when the change can alter access.

pub mod account;
pub mod backups;
pub mod broadcast;
pub mod debt_rules;
pub mod debts;
pub mod edit;
pub mod editor;
pub mod inactive;
pub mod lifecycle;
pub mod logs;
pub mod parity;
pub mod query;
pub mod quota;
pub mod reliability;
pub mod requests;
pub mod router_check;
pub mod router_view;
pub mod sales;
pub mod sites;
pub mod stats;
pub mod submissions;
pub mod trail;
pub mod whatsapp;

use std::sync::Arc;

use uuid::Uuid;

pub use crate::audit::Actor;

use crate::accounts::{AccountError, Accounts};
use crate::auth::tokens::AccessTokens;
use crate::config::Settings;
use crate::db::{Db, DbError};
use crate::devices::Devices;
use crate::kv::{Kv, KvError};
use crate::notify::Messenger;
use crate::settings::{Runtime, SettingsError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Refused by the accounts room: no such user, rights, invalid input, a reused key.
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("no such device")]
    DeviceNotFound,
    /// The user is not in a state this action applies to (rejecting an approved user, …).
    #[error("{0}")]
    InvalidState(&'static str),
    /// A refusal the operator reads as it is (Indonesian and English).
    #[error("{en}")]
    Refused { id: &'static str, en: &'static str },
    /// Too soon after the last one (a komandan's request): when to try again.
    #[error("too soon; retry in {retry_after_secs} s")]
    TooSoon { retry_after_secs: u64, retry_at: chrono::DateTime<chrono::Utc> },
    /// No such record (a submission, a request, a promo, …).
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Kv(#[from] KvError),
}

impl AdminError {
    pub fn forbidden(why: &'static str) -> Self {
        AdminError::Account(AccountError::Forbidden(why))
    }
}

impl From<DbError> for AdminError {
    fn from(e: DbError) -> Self {
        AdminError::Account(AccountError::Db(e))
    }
}

impl From<diesel::result::Error> for AdminError {
    fn from(e: diesel::result::Error) -> Self {
        AdminError::Account(AccountError::Db(e.into()))
    }
}

impl From<crate::accounts::UserError> for AdminError {
    fn from(e: crate::accounts::UserError) -> Self {
        AccountError::from(e).into()
    }
}

impl From<SettingsError> for AdminError {
    fn from(e: SettingsError) -> Self {
        AdminError::Account(match e {
            SettingsError::Forbidden(why) => AccountError::Forbidden(why),
            SettingsError::Invalid { field, reason } => AccountError::Invalid { field, reason },
            SettingsError::Db(d) => AccountError::Db(d),
        })
    }
}

pub fn refused(id: &'static str, en: &'static str) -> AdminError {
    AdminError::Refused { id, en }
}

pub fn invalid(field: &str, reason: impl Into<String>) -> AdminError {
    AdminError::Account(crate::accounts::invalid(field, reason))
}

/// The room's handles and the core rooms it works with; cheap to clone.
#[derive(Clone)]
pub struct Admin {
    pub db: Db,
    pub kv: Kv,
    pub settings: Arc<Settings>,
    pub runtime: Runtime,
    pub accounts: Accounts,
    pub devices: Devices,
    /// Ends a user's access tokens at once (blocked, demoted, deactivated).
    pub tokens: AccessTokens,
    /// The WhatsApp gateways, for their sessions.
    pub messenger: Option<Messenger>,
    /// The dashboard's last figures (see [`stats::STATS_FRESH_FOR`]).
    pub stats_cache: Arc<stats::StatsCache>,
    /// Promotions (the settings room's): the console manages them, approvals read the bonus.
    pub promos: crate::settings::promos::Promos,
    /// The routers this backend drives (the sites room's).
    pub sites: crate::sites::Sites,
}

impl Admin {
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Queues the router reconcile of a user whose access may have changed.
    pub async fn reconcile_later(&self, user: Uuid, reason: &str) {
        self.accounts.reconcile_later(user, reason).await
    }

    /// Stores runtime settings (super admin only), audited, announced to every process.
    pub async fn update_settings(
        &self,
        actor: &Actor,
        changes: serde_json::Map<String, serde_json::Value>,
    ) -> Result<crate::settings::Updated, AdminError> {
        Ok(self.runtime.update(actor, changes).await?)
    }

    /// The user's access status now, by the one policy.
    pub fn status_of(&self, u: &crate::db::models::User) -> crate::domain::AccessStatus {
        self.runtime.policy().status(&u.facts(), chrono::Utc::now())
    }

    /// Queues a message to the user (the worker sends it).
    pub async fn tell(&self, user: Uuid, event: crate::notify::Event) {
        crate::notify::tell(&self.accounts.queues, user, event).await;
    }
}
