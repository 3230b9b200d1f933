//! Telegram as a second channel (`telegram_links`, written here only): an account links its
//! chat by a one-time token its own session asks for (`/start <token>` to the operator's bot,
//! received on the webhook), unlinks, reads its status; admins' alerts also go to their linked
//! chat while the operator's switch is on.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Notify;
use crate::db::DbError;
use crate::db::schema::telegram_links;
use crate::kv::KvError;
use crate::telegram::TelegramError;

/// How long a link token works.
pub const LINK_TTL_SECS: u64 = 600;

#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct TelegramLink {
    pub chat_id: i64,
    pub username: Option<String>,
    pub linked_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("Telegram is not configured")]
    NotConfigured,
    #[error(transparent)]
    Kv(#[from] KvError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Telegram(#[from] TelegramError),
}

/// A token Telegram's deep links carry: 32 of `[A-Za-z0-9_-]` (Telegram allows 64).
fn token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::rng();
    (0..32).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A Telegram update's `/start <token>`: the chat, its @name and the token.
pub fn start_command(update: &serde_json::Value) -> Option<(i64, Option<String>, String)> {
    let m = update.get("message").or_else(|| update.get("edited_message"))?;
    let text = m["text"].as_str()?.trim();
    let rest = text.strip_prefix("/start")?;
    let token = rest.trim();
    let ok =
        (16..=64).contains(&token.len()) && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok || !(rest.starts_with(' ') || rest.starts_with('@')) {
        return None;
    }
    let username = m["from"]["username"].as_str().map(|u| u.chars().take(64).collect());
    Some((m["chat"]["id"].as_i64()?, username, token.to_owned()))
}

impl Notify {
    pub async fn telegram_link(&self, user: Uuid) -> Result<Option<TelegramLink>, DbError> {
        self.db
            .run(move |c| {
                Ok(telegram_links::table
                    .find(user)
                    .select((telegram_links::chat_id, telegram_links::username, telegram_links::linked_at))
                    .first(c)
                    .optional()?)
            })
            .await
    }

    /// A one-time link token for `user` and the deep link that carries it.
    pub async fn telegram_link_token(&self, user: Uuid) -> Result<(String, String), LinkError> {
        let bot = self.telegram.as_ref().ok_or(LinkError::NotConfigured)?.bot_username().to_owned();
        let t = token();
        let key = self.kv.key(&format!("tg-link:{t}"));
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let () = redis::cmd("SET")
                    .arg(&key)
                    .arg(user.to_string())
                    .arg("EX")
                    .arg(LINK_TTL_SECS)
                    .query_async(&mut c)
                    .await?;
                Ok(())
            })
            .await?;
        Ok((format!("https://t.me/{bot}?start={t}"), t))
    }

    /// The webhook's `/start <token>`: the token's account gets this chat (a chat linked to
    /// another account moves to this one). The token works once. Whether it linked.
    pub async fn telegram_start(&self, chat: i64, username: Option<String>, t: &str) -> Result<bool, LinkError> {
        let key = self.kv.key(&format!("tg-link:{t}"));
        let user: Option<String> = self
            .kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let v: Option<String> = redis::cmd("GETDEL").arg(&key).query_async(&mut c).await?;
                Ok(v)
            })
            .await?;
        let Some(user) = user.and_then(|u| Uuid::parse_str(&u).ok()) else { return Ok(false) };
        self.db
            .run(move |c| {
                c.transaction::<_, DbError, _>(|tx| {
                    diesel::delete(telegram_links::table.filter(telegram_links::chat_id.eq(chat))).execute(tx)?;
                    diesel::insert_into(telegram_links::table)
                        .values((
                            telegram_links::user_id.eq(user),
                            telegram_links::chat_id.eq(chat),
                            telegram_links::username.eq(&username),
                        ))
                        .on_conflict(telegram_links::user_id)
                        .do_update()
                        .set((
                            telegram_links::chat_id.eq(chat),
                            telegram_links::username.eq(&username),
                            telegram_links::linked_at.eq(diesel::dsl::now),
                        ))
                        .execute(tx)?;
                    Ok(())
                })
            })
            .await?;
        if let Some(t) = &self.telegram
            && let Err(e) = t.send(chat, "Akun hotspot Anda sudah terhubung dengan Telegram.").await
        {
            tracing::warn!(error = %e, "could not confirm the Telegram link");
        }
        Ok(true)
    }

    pub async fn telegram_unlink(&self, user: Uuid) -> Result<bool, DbError> {
        self.db.run(move |c| Ok(diesel::delete(telegram_links::table.find(user)).execute(c)? > 0)).await
    }

    /// Sends `text` to `user`'s linked chat, if any, once per `key` (a retried alert is not
    /// copied twice); failures are logged.
    pub(super) async fn telegram_copy(&self, user: Uuid, text: &str, key: &str) {
        let Some(t) = &self.telegram else { return };
        let once = self.kv.key(&format!("tg-sent:{key}"));
        let first = self
            .kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let set: Option<String> =
                    redis::cmd("SET").arg(&once).arg(1).arg("NX").arg("EX").arg(86_400).query_async(&mut c).await?;
                Ok(set.is_some())
            })
            .await;
        if !matches!(first, Ok(true)) {
            return;
        }
        match self.telegram_link(user).await {
            Ok(Some(link)) => {
                if let Err(e) = t.send(link.chat_id, text).await {
                    tracing::warn!(error = %e, "alert not sent to Telegram");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the Telegram link"),
        }
    }
}
