//! Delivering one queued message: the rules for reminders (opt-out, quiet hours, the daily
//! cap), the template's values from the user's state, one send per key.

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::events::{self, Event};
use super::{Notify, NotifyError};
use crate::db::models::User;
use crate::domain::{Bytes, Rupiah};

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

impl Notify {
    /// Delivers one queued message.
    pub async fn deliver(&self, job: hotspot_jobs::Notify) -> Result<Outcome, NotifyError> {
        let Ok(user_id) = Uuid::parse_str(&job.user_id) else { return Ok(Outcome::Dropped("not a user id")) };
        let Ok(event) = serde_json::from_value::<Event>(job.event.clone()) else {
            return Ok(Outcome::Dropped("not an event"));
        };
        let Some(messenger) = self.messenger.clone() else { return Ok(Outcome::Dropped("no gateway")) };
        let Some(user) = self.db.run(move |c| crate::accounts::find(c, user_id)).await? else {
            return Ok(Outcome::Dropped("no such user"));
        };
        if !event.transactional()
            && let Some(held) = self.reminder_held(&user, &job).await?
        {
            if let (Event::Broadcast { broadcast, .. }, Outcome::OptedOut | Outcome::Capped) = (&event, &held) {
                self.count_skipped(*broadcast).await;
            }
            return Ok(held);
        }
        let vars = self.values(&user, &event);
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // An operator's alert also goes to the admin's linked Telegram chat.
        if matches!(event, Event::Alert { .. })
            && let Some(text) = messenger.render_in(event.template(), user.language, &refs)
        {
            self.telegram_copy(user.id, &text, &job.key).await;
        }
        let sent =
            messenger.send_once(user.id, &user.phone_number, event.template(), user.language, &refs, &job.key).await?;
        Ok(if sent.is_some() { Outcome::Sent } else { Outcome::AlreadySent })
    }

    /// A broadcast's message that will not go (opted out, over the cap), counted for its progress.
    async fn count_skipped(&self, broadcast: Uuid) {
        let key = self.kv.key(&format!("broadcast:{broadcast}:skipped"));
        let r = self
            .kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let _: i64 = redis::cmd("INCR").arg(&key).query_async(&mut c).await?;
                let () = redis::cmd("EXPIRE").arg(&key).arg(30 * 86_400).query_async(&mut c).await?;
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "could not count a broadcast's skipped message");
        }
    }

    /// Why a reminder does not go now (opted out, the quiet hours, the daily cap), if it does not.
    async fn reminder_held(&self, user: &User, job: &hotspot_jobs::Notify) -> Result<Option<Outcome>, NotifyError> {
        if user.messages_opt_out {
            return Ok(Some(Outcome::OptedOut));
        }
        let tz = self.timezone;
        let now_local = Utc::now().with_timezone(&tz);
        let n = &self.settings;
        if let Some(until) = events::quiet_until(now_local.naive_local(), n.quiet_start, n.quiet_end) {
            let at = tz
                .from_local_datetime(&until)
                .earliest()
                .map(|t| t.timestamp())
                .unwrap_or_else(|| Utc::now().timestamp() + 3600);
            self.queues.push_at(job.clone(), at as u64).await.map_err(|e| NotifyError::Queue(e.to_string()))?;
            return Ok(Some(Outcome::Deferred(at)));
        }
        let midnight = crate::domain::days::local_midnight(now_local.date_naive(), tz);
        let id = user.id;
        let keys = self.db.run(move |c| super::log::keys_since(c, id, midnight)).await?;
        let sent_today = keys.iter().flatten().filter(|k| events::is_reminder_key(k)).count() as i64;
        Ok((sent_today >= i64::from(n.daily_cap)).then_some(Outcome::Capped))
    }

    /// The template's values: the user's name, what is left and until when, and the event's own.
    fn values(&self, user: &User, event: &Event) -> Vec<(&'static str, String)> {
        let tz = self.timezone;
        let remaining = if user.is_unlimited_user {
            "unlimited".to_owned()
        } else {
            Bytes(user.quota_remaining_bytes()).to_string()
        };
        let local = |t: chrono::DateTime<Utc>| crate::domain::days::local_time_text(t, tz);
        let expiry = user.quota_expiry_date.map(local).unwrap_or_else(|| "-".into());
        let mut vars: Vec<(&str, String)> =
            vec![("name", user.full_name.clone()), ("remaining", remaining), ("expiry", expiry)];
        match event {
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
                vars.push(("amount", Rupiah(*amount_idr).to_string()));
                vars.push(("quota", quota.clone()));
            }
            Event::Bill { reference, package, amount_idr, pay_with, link, due } => {
                vars.push(("reference", reference.clone()));
                vars.push(("package", package.clone()));
                vars.push(("amount", Rupiah(*amount_idr).to_string()));
                vars.push(("pay_with", pay_with.clone()));
                vars.push(("link", link.clone()));
                vars.push(("due", due.clone()));
            }
            Event::Alert { subject, detail, .. } => {
                vars.push(("subject", subject.clone()));
                vars.push(("detail", detail.clone()));
            }
            Event::Broadcast { message, .. } => vars.push(("message", message.clone())),
            Event::Document { title, link, .. } => {
                vars.push(("detail", title.clone()));
                vars.push(("link", link.clone()));
            }
            Event::Debt { reference, amount_idr, detail, due, .. } => {
                vars.push(("reference", reference.clone()));
                vars.push(("amount", Rupiah(*amount_idr).to_string()));
                vars.push(("detail", detail.clone()));
                vars.push(("due", due.clone()));
            }
            Event::RequestDecided { detail, reason, .. } => {
                vars.push(("detail", detail.clone()));
                vars.push(("reason", reason.clone()));
            }
        }
        vars
    }
}
