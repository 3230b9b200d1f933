//! Watching the peers operators must hear about: the WhatsApp gateway's session (when the
//! primary's drops, the admins who hear `GATEWAY_DOWN` are told through the secondary provider
//! and their linked Telegram chats; the primary cannot carry it) and the router (down and back,
//! queued to those who hear `ROUTER_DOWN`). The last seen state is kept in Redis, so only a
//! change is told, once, whichever worker sees it.

use super::{Event, Notify};
use crate::domain::AlertEvent;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watch {
    NoGateway,
    Up,
    /// Down, and it was down at the last look too.
    StillDown,
    /// Down now; how many operators were told.
    Dropped {
        told: usize,
    },
    /// Back up after a drop.
    Restored,
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Kv(#[from] crate::kv::KvError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

const GATEWAY_KEY: &str = "wa:primary:up";

impl Notify {
    /// Records what `key`'s peer looks like now; whether it was up at the last look (a first
    /// look counts as up) and, while down, since when.
    async fn seen(&self, key: &str, up: bool, now: chrono::DateTime<chrono::Utc>) -> Result<bool, WatchError> {
        let kv = &self.kv;
        let key = kv.key(key);
        // "1" while up; the time of the drop while down.
        let value = if up { "1".to_owned() } else { now.to_rfc3339() };
        let before: Option<String> = kv
            .with_timeout(async {
                let mut c = kv.conn();
                let old: Option<String> = redis::cmd("GETSET").arg(&key).arg(&value).query_async(&mut c).await?;
                Ok(old)
            })
            .await?;
        Ok(before.as_deref().is_none_or(|b| b == "1"))
    }

    /// Looks at the primary gateway's session and tells the operators of a drop, once.
    pub async fn check_gateway(&self) -> Result<Watch, WatchError> {
        let Some(m) = self.messenger.clone() else { return Ok(Watch::NoGateway) };
        let provider = m.providers().first().copied().unwrap_or("none");
        let up = matches!(m.session_of(0).await, Some(Ok(s)) if s.up);
        crate::metrics::with(|x| x.whatsapp_session_up.with_label_values(&[provider]).set(i64::from(up)));
        let now = chrono::Utc::now();
        let was_up = self.seen(GATEWAY_KEY, up, now).await?;
        match (was_up, up) {
            (false, true) => {
                tracing::info!(provider, "WhatsApp session restored");
                Ok(Watch::Restored)
            }
            (true, true) => Ok(Watch::Up),
            (false, false) => Ok(Watch::StillDown),
            (true, false) => {
                tracing::error!(provider, "WhatsApp session dropped: codes and messages do not go out through it");
                let admins = self.db.run(|c| super::recipients::hearers(c, AlertEvent::GatewayDown)).await?;
                let since = crate::domain::days::local_time_text(now, self.timezone);
                let vars = [("provider", provider), ("since", since.as_str())];
                let mut told = 0;
                let mut secondary = true;
                for (id, phone, lang) in admins {
                    let template = if lang == crate::domain::Language::En { "gateway_down.en" } else { "gateway_down" };
                    let key = format!("gateway_down:{id}:{}", now.timestamp());
                    if let Some(text) = m.render_in("gateway_down", lang, &vars) {
                        self.telegram_copy(id, &text, &key).await;
                    }
                    if !secondary {
                        continue;
                    }
                    match m.send_on(1, &phone, template, &vars, &key).await {
                        None => {
                            tracing::warn!("no secondary WhatsApp provider to tell the operators through");
                            secondary = false;
                        }
                        Some(Ok(_)) => told += 1,
                        Some(Err(e)) => tracing::warn!(error = %e, "could not tell an operator of the dropped session"),
                    }
                }
                Ok(Watch::Dropped { told })
            }
        }
    }

    /// Records whether router `name` answered and, on a change, queues the alert (down, or
    /// back) to the admins who hear `ROUTER_DOWN`; each change told once.
    pub async fn router_seen(&self, name: &str, up: bool) -> Result<Watch, WatchError> {
        let now = chrono::Utc::now();
        let was_up = self.seen(&format!("router:{name}:up"), up, now).await?;
        let (template, watch) = match (was_up, up) {
            (true, true) => return Ok(Watch::Up),
            (false, false) => return Ok(Watch::StillDown),
            (false, true) => ("alert_router_up", Watch::Restored),
            (true, false) => ("alert_router_down", Watch::Dropped { told: 0 }),
        };
        if up {
            tracing::info!(router = name, "the router answers again");
        } else {
            tracing::error!(router = name, "the router does not answer");
        }
        let alert = Event::Alert {
            template: template.into(),
            subject: name.to_owned(),
            detail: crate::domain::days::local_time_text(now, self.timezone),
            cause: format!("{template}:{name}:{}", now.timestamp()),
        };
        let to = self.db.run(|c| super::recipients::hearers(c, AlertEvent::RouterDown)).await?;
        let told = to.len();
        for (admin, ..) in to {
            self.tell(admin, alert.clone()).await;
        }
        Ok(match watch {
            Watch::Dropped { .. } => Watch::Dropped { told },
            w => w,
        })
    }
}
