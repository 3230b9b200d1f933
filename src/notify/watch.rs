//! Watching the WhatsApp gateway's session: when the primary's drops, a log event, and each
//! super admin is told through the secondary provider (the primary cannot carry it). The last
//! seen state is kept in Redis, so only a change is told, once, whichever worker sees it.

use super::Notify;

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

const KEY: &str = "wa:primary:up";

impl Notify {
    /// Looks at the primary gateway's session and tells the operators of a drop, once.
    pub async fn check_gateway(&self) -> Result<Watch, WatchError> {
        let Some(m) = self.messenger.clone() else { return Ok(Watch::NoGateway) };
        let provider = m.providers().first().copied().unwrap_or("none");
        let up = matches!(m.session_of(0).await, Some(Ok(s)) if s.up);
        crate::metrics::with(|x| x.whatsapp_session_up.with_label_values(&[provider]).set(i64::from(up)));
        let kv = &self.kv;
        let key = kv.key(KEY);
        let now = chrono::Utc::now();
        // "1" while up; the time of the drop while down (kept across looks).
        let value = if up { "1".to_owned() } else { now.to_rfc3339() };
        let before: Option<String> = kv
            .with_timeout(async {
                let mut c = kv.conn();
                let old: Option<String> = redis::cmd("GETSET").arg(&key).arg(&value).query_async(&mut c).await?;
                Ok(old)
            })
            .await?;
        let was_up = before.as_deref().is_none_or(|b| b == "1");
        match (was_up, up) {
            (_, true) if !was_up => {
                tracing::info!(provider, "WhatsApp session restored");
                Ok(Watch::Restored)
            }
            (_, true) => Ok(Watch::Up),
            (false, false) => Ok(Watch::StillDown),
            (true, false) => {
                tracing::error!(provider, "WhatsApp session dropped: codes and messages do not go out through it");
                let admins = self.db.run(crate::accounts::super_admins).await?;
                let since = crate::domain::days::local_time_text(now, self.timezone);
                let mut told = 0;
                for (id, phone, lang) in admins {
                    let template = if lang == crate::domain::Language::En { "gateway_down.en" } else { "gateway_down" };
                    let vars = [("provider", provider), ("since", since.as_str())];
                    let key = format!("gateway_down:{id}:{}", now.timestamp());
                    match m.send_on(1, &phone, template, &vars, &key).await {
                        None => {
                            tracing::warn!("no secondary WhatsApp provider to tell the operators through");
                            break;
                        }
                        Some(Ok(_)) => told += 1,
                        Some(Err(e)) => tracing::warn!(error = %e, "could not tell an operator of the dropped session"),
                    }
                }
                Ok(Watch::Dropped { told })
            }
        }
    }
}
