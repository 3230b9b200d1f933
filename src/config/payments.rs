//! Selling quota: the Midtrans account (optional: without it the shop sells by voucher and
//! cash only), the payment window, and when pending payments are checked with Midtrans.

use secrecy::SecretString;
use std::time::Duration;

use super::{ConfigError, Environment, Source, err};

#[derive(Clone)]
pub struct MidtransSettings {
    /// HTTP Basic user of every API call and the notification signature's key. Secret.
    pub server_key: SecretString,
    /// The browser's key for Snap.js (public).
    pub client_key: Option<String>,
    /// Core API host (`/v2/{order_id}/status`).
    pub api_base: String,
    /// Snap host (`/snap/v1/transactions`, `/snap/snap.js`).
    pub snap_base: String,
    pub production: bool,
    pub timeout: Duration,
    /// Sent as `X-Override-Notification` on each Snap call when set (otherwise the URL in the
    /// Midtrans dashboard is used).
    pub notification_url: Option<String>,
}

impl std::fmt::Debug for MidtransSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MidtransSettings")
            .field("api_base", &self.api_base)
            .field("snap_base", &self.snap_base)
            .field("production", &self.production)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct PaymentSettings {
    pub midtrans: Option<MidtransSettings>,
    /// How long a Snap payment stays open.
    pub expiry: Duration,
    /// A payment still pending after this is asked about through the status API (a missed
    /// notification).
    pub reconcile_after: Duration,
    /// How often the worker looks for such payments.
    pub reconcile_every: Duration,
    /// The TrueType fonts the money documents (PDF) are written in: regular and bold.
    pub pdf_fonts: (std::path::PathBuf, std::path::PathBuf),
}

/// Debian's `fonts-dejavu-core`.
const PDF_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const PDF_BOLD: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

fn base_url(src: &Source<'_>, var: &'static str, default: &str) -> Result<String, ConfigError> {
    let v = src.string(var, default);
    if !(v.starts_with("http://") || v.starts_with("https://")) {
        return Err(err(var, "must start with http:// or https://"));
    }
    Ok(v.trim_end_matches('/').to_owned())
}

pub(super) fn payment_settings(src: &Source<'_>, env: Environment) -> Result<PaymentSettings, ConfigError> {
    let server_key = src.string("HOTSPOT_MIDTRANS_SERVER_KEY", "");
    let midtrans = if server_key.is_empty() {
        None
    } else {
        if server_key.len() < 8 || server_key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("HOTSPOT_MIDTRANS_SERVER_KEY", "not a server key (at least 8 visible characters)"));
        }
        let production = match src.string("HOTSPOT_MIDTRANS_ENV", "sandbox").as_str() {
            "sandbox" => false,
            "production" => true,
            _ => return Err(err("HOTSPOT_MIDTRANS_ENV", "expected sandbox or production")),
        };
        let (api, snap) = if production {
            ("https://api.midtrans.com", "https://app.midtrans.com")
        } else {
            ("https://api.sandbox.midtrans.com", "https://app.sandbox.midtrans.com")
        };
        let api_base = base_url(src, "HOTSPOT_MIDTRANS_BASE_URL", api)?;
        let snap_base = base_url(src, "HOTSPOT_MIDTRANS_SNAP_URL", snap)?;
        if env == Environment::Production && !(api_base.starts_with("https://") && snap_base.starts_with("https://")) {
            return Err(err("HOTSPOT_MIDTRANS_BASE_URL", "payments travel over https:// in production"));
        }
        let notification_url = Some(src.string("HOTSPOT_MIDTRANS_NOTIFICATION_URL", ""))
            .filter(|s| !s.is_empty())
            .map(|u| {
                if u.starts_with("http://") || u.starts_with("https://") {
                    Ok(u)
                } else {
                    Err(err("HOTSPOT_MIDTRANS_NOTIFICATION_URL", "must start with http:// or https://"))
                }
            })
            .transpose()?;
        Some(MidtransSettings {
            server_key: server_key.into(),
            client_key: Some(src.string("HOTSPOT_MIDTRANS_CLIENT_KEY", "")).filter(|s| !s.is_empty()),
            api_base,
            snap_base,
            production,
            timeout: src.millis("HOTSPOT_MIDTRANS_TIMEOUT_MS", 10_000, 200, 60_000)?,
            notification_url,
        })
    };
    Ok(PaymentSettings {
        midtrans,
        pdf_fonts: (
            src.string("HOTSPOT_PDF_FONT", PDF_FONT).into(),
            src.string("HOTSPOT_PDF_FONT_BOLD", PDF_BOLD).into(),
        ),
        expiry: Duration::from_secs(60 * src.ranged("HOTSPOT_PAYMENT_EXPIRY_MINUTES", 60u64, 5, 1_440)?),
        reconcile_after: Duration::from_secs(src.ranged("HOTSPOT_PAYMENT_RECONCILE_AFTER_SECS", 300u64, 10, 86_400)?),
        reconcile_every: Duration::from_secs(src.ranged("HOTSPOT_PAYMENT_RECONCILE_EVERY_SECS", 60u64, 5, 3_600)?),
    })
}
