//! WhatsApp gateways: the primary provider, an optional failover, timeouts and retries.

use secrecy::SecretString;
use std::time::Duration;

use super::{ConfigError, Source, err};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// The gateway API of the seed system (`/api/whatsapp/send-message`).
    Seed,
    Fonnte,
}

#[derive(Clone)]
pub struct ProviderSettings {
    pub kind: ProviderKind,
    pub base_url: String,
    pub token: Option<SecretString>,
}

#[derive(Clone)]
pub struct WhatsAppSettings {
    pub primary: ProviderSettings,
    pub secondary: Option<ProviderSettings>,
    pub timeout: Duration,
    /// Extra attempts after a network error or a 5xx, with doubling backoff.
    pub retries: u32,
    /// Whether the worker listens to a seed gateway's Socket.IO events for delivery receipts.
    pub seed_events: bool,
}

fn provider(src: &Source<'_>, prefix: Prefix) -> Result<Option<ProviderSettings>, ConfigError> {
    let (kind_var, url_var, token_var) = prefix.vars();
    let base_url = src.string(url_var, "");
    if base_url.is_empty() {
        return Ok(None);
    }
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(err(url_var, "must start with http:// or https://"));
    }
    let kind = match src.string(kind_var, "seed").as_str() {
        "seed" | "gateway" => ProviderKind::Seed,
        "fonnte" => ProviderKind::Fonnte,
        _ => return Err(err(kind_var, "expected seed or fonnte")),
    };
    let token = Some(src.string(token_var, "")).filter(|t| !t.is_empty());
    if kind == ProviderKind::Fonnte && token.is_none() {
        return Err(err(token_var, "Fonnte needs its device token"));
    }
    let token = token.map(SecretString::from);
    Ok(Some(ProviderSettings { kind, base_url: base_url.trim_end_matches('/').to_owned(), token }))
}

#[derive(Clone, Copy)]
enum Prefix {
    Primary,
    Secondary,
}

impl Prefix {
    fn vars(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Prefix::Primary => ("HOTSPOT_WA_PROVIDER", "HOTSPOT_WA_BASE_URL", "HOTSPOT_WA_TOKEN"),
            Prefix::Secondary => {
                ("HOTSPOT_WA_SECONDARY_PROVIDER", "HOTSPOT_WA_SECONDARY_BASE_URL", "HOTSPOT_WA_SECONDARY_TOKEN")
            }
        }
    }
}

pub(super) fn whatsapp_settings(src: &Source<'_>) -> Result<Option<WhatsAppSettings>, ConfigError> {
    let Some(primary) = provider(src, Prefix::Primary)? else {
        if src.raw("HOTSPOT_WA_SECONDARY_BASE_URL").is_some() {
            return Err(err("HOTSPOT_WA_BASE_URL", "a secondary provider needs a primary one"));
        }
        return Ok(None);
    };
    Ok(Some(WhatsAppSettings {
        primary,
        secondary: provider(src, Prefix::Secondary)?,
        timeout: src.millis("HOTSPOT_WA_TIMEOUT_MS", 5_000, 100, 60_000)?,
        retries: src.ranged("HOTSPOT_WA_RETRIES", 2, 0, 10)?,
        seed_events: src.parse("HOTSPOT_WA_SEED_EVENTS", true)?,
    }))
}

/// Fonnte's callback secret goes in a URL: letters, digits, `-` and `_` only.
pub(super) fn fonnte_callback_secret(src: &Source<'_>) -> Result<Option<SecretString>, ConfigError> {
    match src.string("HOTSPOT_WA_FONNTE_CALLBACK_SECRET", "") {
        s if s.is_empty() => Ok(None),
        s if s.len() >= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
            Ok(Some(s.into()))
        }
        _ => {
            Err(err("HOTSPOT_WA_FONNTE_CALLBACK_SECRET", "at least 16 letters, digits, '-' or '_' (it goes in a URL)"))
        }
    }
}
