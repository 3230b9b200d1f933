//! The notify room: lifecycle messages and their delivery. Whoever causes an event (the sync,
//! an admin, a payment) only queues it (`tell`); the worker delivers it (`deliver`): once per
//! key, in the user's language, a reminder held until the quiet hours end, dropped past the
//! daily cap or for a user who opted out; transactional messages always and at once. Every
//! message is a `message_log` row (`log`, the table's only writer), sent through the
//! `messenger` (retries, failover) with the `templates`; the providers' receipts move it
//! forward (`receipts`). The gateway's own session is watched (`watch`).

mod deliver;
pub mod events;
mod expiry;
pub mod log;
pub mod messenger;
pub mod receipts;
pub mod recipients;
pub mod telegram;
pub mod templates;
pub mod watch;

use uuid::Uuid;

pub use deliver::Outcome;
pub use events::Event;
pub use messenger::{Messenger, SendError};
pub use templates::Templates;

use crate::config::NotifySettings;
use crate::db::Db;
use crate::kv::Kv;

/// Queues `event` for `user`. A queue that is down is logged: the change it tells of is
/// committed, and the message is not worth failing it.
pub async fn tell(queues: &hotspot_jobs::Queues, user: Uuid, event: Event) {
    let job = hotspot_jobs::Notify {
        user_id: user.to_string(),
        key: event.key(user),
        event: serde_json::to_value(&event).unwrap_or_default(),
    };
    if let Err(e) = queues.push(job).await {
        tracing::warn!(error = %e, template = event.template(), "could not queue a message to the user");
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("message not delivered: {0}")]
    Send(#[from] SendError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Kv(#[from] crate::kv::KvError),
    #[error("could not put the message off: {0}")]
    Queue(String),
}

/// The room's handles; cheap to clone.
#[derive(Clone)]
pub struct Notify {
    pub db: Db,
    pub kv: Kv,
    pub queues: hotspot_jobs::Queues,
    /// WhatsApp delivery, when a gateway is configured.
    pub messenger: Option<Messenger>,
    /// The operator's timezone (quiet hours, the daily cap, dates in messages).
    pub timezone: chrono_tz::Tz,
    pub settings: NotifySettings,
    /// The operator's Telegram bot, when configured (links, admins' alerts).
    pub telegram: Option<crate::telegram::TelegramClient>,
}

impl Notify {
    /// Queues `event` for `user` (see [`tell`]).
    pub async fn tell(&self, user: Uuid, event: Event) {
        tell(&self.queues, user, event).await
    }

    /// Who hears which operator event.
    pub fn recipients(&self) -> recipients::Recipients {
        recipients::Recipients { db: self.db.clone() }
    }
}
