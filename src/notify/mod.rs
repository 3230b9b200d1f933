//! The notify room: lifecycle messages. Whoever causes an event (the sync, an admin, a
//! payment) only queues it (`tell`); the worker delivers it (`deliver`): once per key, in the
//! user's language, a reminder held until the quiet hours end, dropped past the daily cap or for
//! a user who opted out; transactional messages always and at once. Every message is a
//! `message_log` row.

pub mod events;
pub mod watch;

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use uuid::Uuid;

pub use events::Event;

use crate::billing::format_bytes;
use crate::db::schema::message_log;
use crate::services::Services;
use crate::whatsapp::messenger::SendError;

/// Queues `event` for `user`. A queue that is down is logged: the change it tells of is
/// committed, and the message is not worth failing it.
pub async fn tell(queues: &hotspot_jobs::Queues, user: Uuid, event: Event) {
    let job = hotspot_jobs::Notify {
        user_id: user.to_string(),
        key: event.key(user),
        event: serde_json::to_value(&event).unwrap_or_default(),
    };
    if let Err(e) = queues.enqueue_notify(job, None).await {
        tracing::warn!(error = %e, template = event.template(), "could not queue a message to the user");
    }
}

/// What delivering a job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    AlreadySent,
    /// Put off until the quiet hours end (Unix seconds).
    Deferred(i64),
    OptedOut,
    Capped,
    /// No such user, no gateway, or nothing worth saying.
    Dropped(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("message not delivered: {0}")]
    Send(#[from] SendError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("could not put the message off: {0}")]
    Queue(String),
}

/// Delivers one queued message.
pub async fn deliver(services: &Services, job: hotspot_jobs::Notify) -> Result<Outcome, NotifyError> {
    let Ok(user_id) = Uuid::parse_str(&job.user_id) else { return Ok(Outcome::Dropped("not a user id")) };
    let Ok(event) = serde_json::from_value::<Event>(job.event.clone()) else {
        return Ok(Outcome::Dropped("not an event"));
    };
    let Some(messenger) = services.messenger.clone() else { return Ok(Outcome::Dropped("no gateway")) };
    let Some(user) = services.db.run(move |c| crate::users::find(c, user_id)).await? else {
        return Ok(Outcome::Dropped("no such user"));
    };
    let settings = &services.settings;
    let tz = settings.timezone;
    let now_local = Utc::now().with_timezone(&tz);
    if !event.transactional() {
        if user.messages_opt_out {
            return Ok(Outcome::OptedOut);
        }
        let n = &settings.notify;
        if let Some(until) = events::quiet_until(now_local.naive_local(), n.quiet_start, n.quiet_end) {
            let at = tz
                .from_local_datetime(&until)
                .earliest()
                .map(|t| t.timestamp())
                .unwrap_or_else(|| Utc::now().timestamp() + 3600);
            services
                .queues
                .enqueue_notify(job, Some(at as u64))
                .await
                .map_err(|e| NotifyError::Queue(e.to_string()))?;
            return Ok(Outcome::Deferred(at));
        }
        let midnight = crate::usage::local_midnight(now_local.date_naive(), tz);
        let keys: Vec<Option<String>> = services
            .db
            .run(move |c| {
                Ok(message_log::table
                    .filter(message_log::user_id.eq(user_id))
                    .filter(message_log::created_at.ge(midnight))
                    .filter(message_log::status.ne("failed"))
                    .select(message_log::idempotency_key)
                    .load(c)?)
            })
            .await?;
        let sent_today = keys.iter().flatten().filter(|k| events::is_reminder_key(k)).count() as i64;
        if sent_today >= i64::from(n.daily_cap) {
            return Ok(Outcome::Capped);
        }
    }
    let remaining =
        if user.is_unlimited_user { "unlimited".to_owned() } else { format_bytes(user.quota_remaining_bytes()) };
    let local = |t: chrono::DateTime<Utc>| t.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string();
    let expiry = user.quota_expiry_date.map(local).unwrap_or_else(|| "-".into());
    let mut vars: Vec<(&str, String)> =
        vec![("name", user.full_name.clone()), ("remaining", remaining), ("expiry", expiry)];
    match &event {
        Event::Status { reason, .. } => vars.push(("reason", reason.clone().unwrap_or_else(|| "-".into()))),
        Event::QuotaLow { percent, .. } => {
            // What is left now (the threshold crossed, at most).
            let left = if user.quota_purchased_bytes > 0 {
                user.quota_remaining_bytes() as i128 * 100 / user.quota_purchased_bytes as i128
            } else {
                0
            };
            let now = (left.clamp(0, 100) as u8).min(*percent);
            vars.push(("percent", now.to_string()));
        }
        Event::ExpirySoon { days, expires_at } => {
            vars.push(("days", days.to_string()));
            vars.retain(|(k, _)| *k != "expiry");
            vars.push(("expiry", local(*expires_at)));
        }
        Event::Approved => {}
        Event::Rejected { reason, .. } => vars.push(("reason", reason.clone())),
        Event::Receipt { reference, package, amount_idr, quota, .. } => {
            vars.push(("reference", reference.clone()));
            vars.push(("package", package.clone()));
            vars.push(("amount", crate::billing::format_rupiah(*amount_idr)));
            vars.push(("quota", quota.clone()));
        }
    }
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sent =
        messenger.send_once(user.id, &user.phone_number, event.template(), user.language, &refs, &job.key).await?;
    Ok(if sent.is_some() { Outcome::Sent } else { Outcome::AlreadySent })
}

/// Queues today's expiry warnings: users whose package ends 7, 3 or 1 local days from today.
/// Each is keyed by its expiry, so a second run the same day sends nothing twice.
pub async fn queue_expiry_warnings(services: &Services) -> Result<usize, NotifyError> {
    use crate::db::schema::users;
    let tz = services.settings.timezone;
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let horizon = now + chrono::Duration::days(9);
    let due: Vec<(Uuid, chrono::DateTime<Utc>)> = services
        .db
        .run(move |c| {
            Ok(users::table
                .filter(users::quota_expiry_date.gt(now))
                .filter(users::quota_expiry_date.le(horizon))
                .filter(users::is_active.eq(true))
                .filter(users::is_blocked.eq(false))
                .select((users::id, users::quota_expiry_date.assume_not_null()))
                .load(c)?)
        })
        .await?;
    let mut n = 0;
    for (id, at) in due {
        if let Some(days) = events::expiry_warning_due(at.with_timezone(&tz).date_naive(), today) {
            tell(&services.queues, id, Event::ExpirySoon { days, expires_at: at }).await;
            n += 1;
        }
    }
    Ok(n)
}
