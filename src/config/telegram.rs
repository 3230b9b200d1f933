//! The operator's Telegram bot: where its Bot API is, its token and name, and the secret that
//! authenticates Telegram's webhook calls. None configured: Telegram is off.

use secrecy::SecretString;
use std::time::Duration;

use super::{ConfigError, Source, err};

#[derive(Clone)]
pub struct TelegramSettings {
    pub api_base: String,
    pub bot_token: SecretString,
    /// The bot's @name (without `@`), for the deep links users open.
    pub bot_username: String,
    /// In the webhook's path and in Telegram's `X-Telegram-Bot-Api-Secret-Token` header
    /// (registered with `setWebhook`); 32 characters or more.
    pub webhook_secret: SecretString,
    pub timeout: Duration,
}

impl std::fmt::Debug for TelegramSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("api_base", &self.api_base)
            .field("bot_username", &self.bot_username)
            .finish()
    }
}

pub(super) fn telegram_settings(src: &Source<'_>) -> Result<Option<TelegramSettings>, ConfigError> {
    let token = src.string("HOTSPOT_TELEGRAM_BOT_TOKEN", "");
    if token.is_empty() {
        return Ok(None);
    }
    if !token.contains(':') || token.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
        return Err(err("HOTSPOT_TELEGRAM_BOT_TOKEN", "not a bot token (id:secret, from @BotFather)"));
    }
    let bot_username = src.string("HOTSPOT_TELEGRAM_BOT_USERNAME", "").trim_start_matches('@').to_owned();
    if !(5..=32).contains(&bot_username.len()) || !bot_username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(err("HOTSPOT_TELEGRAM_BOT_USERNAME", "the bot's name, 5 to 32 letters, digits or _"));
    }
    let secret = src.string("HOTSPOT_TELEGRAM_WEBHOOK_SECRET", "");
    if secret.len() < 32 || !secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(err(
            "HOTSPOT_TELEGRAM_WEBHOOK_SECRET",
            "32 to 256 letters, digits, _ or - (Telegram's secret_token)",
        ));
    }
    let api_base = src.string("HOTSPOT_TELEGRAM_API_BASE", "https://api.telegram.org").trim_end_matches('/').to_owned();
    if !(api_base.starts_with("http://") || api_base.starts_with("https://")) {
        return Err(err("HOTSPOT_TELEGRAM_API_BASE", "must start with http:// or https://"));
    }
    Ok(Some(TelegramSettings {
        api_base,
        bot_token: token.into(),
        bot_username,
        webhook_secret: secret.into(),
        timeout: src.millis("HOTSPOT_TELEGRAM_TIMEOUT_MS", 5_000, 200, 60_000)?,
    }))
}
