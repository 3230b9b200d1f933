//! A thin Telegram Bot API client: `sendMessage` over HTTPS (two methods of a stable JSON API do
//! not warrant a framework). A network error or a 5xx is `Unavailable` (worth a retry); a 4xx is
//! Telegram's refusal with its description (a wrong token, a chat that blocked the bot).

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::config::telegram::TelegramSettings;

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("Telegram is unreachable: {0}")]
    Unavailable(String),
    #[error("Telegram refused ({code}): {description}")]
    Refused { code: u16, description: String },
}

#[derive(Clone)]
pub struct TelegramClient {
    http: reqwest::Client,
    settings: TelegramSettings,
}

impl TelegramClient {
    pub fn new(settings: TelegramSettings) -> Result<Self, TelegramError> {
        crate::ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| TelegramError::Unavailable(e.to_string()))?;
        Ok(Self { http, settings })
    }

    pub fn bot_username(&self) -> &str {
        &self.settings.bot_username
    }

    /// Whether `given` is the webhook's secret (constant time).
    pub fn webhook_secret_is(&self, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let want = self.settings.webhook_secret.expose_secret().as_bytes();
        want.len() == given.len() && bool::from(want.ct_eq(given.as_bytes()))
    }

    pub async fn send(&self, chat_id: i64, text: &str) -> Result<(), TelegramError> {
        // The token is in the path (the Bot API's own scheme): never logged, not even on error.
        let url = format!("{}/bot{}/sendMessage", self.settings.api_base, self.settings.bot_token.expose_secret());
        let res = self
            .http
            .post(url)
            .json(&json!({ "chat_id": chat_id, "text": text }))
            .send()
            .await
            .map_err(|e| TelegramError::Unavailable(e.without_url().to_string()))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status.is_success() && body["ok"] == true {
            return Ok(());
        }
        if status.is_server_error() || body.is_null() {
            return Err(TelegramError::Unavailable(format!("HTTP {}", status.as_u16())));
        }
        let description = body["description"].as_str().unwrap_or("refused").chars().take(200).collect();
        Err(TelegramError::Refused { code: status.as_u16(), description })
    }
}
