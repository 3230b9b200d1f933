//! The Midtrans client: Snap or the Core API (`charge.rs`) to open a payment, the status API to
//! ask about one, and the notification signature. Every call has a timeout; repeated failures
//! open a breaker that the shop's availability reports (the frontend closes its purchase
//! buttons meanwhile).

mod charge;

pub use charge::Charged;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha512};

use crate::config::MidtransSettings;
use crate::domain::Rupiah;

/// Failures in a row that open the breaker, and how long it stays open.
const BREAKER_AFTER: u32 = 3;
const BREAKER_OPEN_FOR: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, thiserror::Error)]
pub enum MidtransError {
    /// No answer, a timeout, or a 5xx: worth trying again later.
    #[error("Midtrans unreachable: {0}")]
    Unavailable(String),
    /// Midtrans answered and refused (a 4xx with its messages).
    #[error("Midtrans refused: {0}")]
    Refused(String),
    #[error("Midtrans answer not understood: {0}")]
    Decode(String),
    /// The breaker is open after repeated failures; retry after this many seconds.
    #[error("Midtrans calls paused for {0} s after repeated failures")]
    Paused(u64),
}

/// The signature Midtrans puts on a notification:
/// `hex(SHA512(order_id + status_code + gross_amount + server_key))`.
pub fn signature(order_id: &str, status_code: &str, gross_amount: &str, server_key: &str) -> String {
    let mut h = Sha512::new();
    for part in [order_id, status_code, gross_amount, server_key] {
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Checks a notification's signature in constant time.
pub fn signature_valid(order_id: &str, status_code: &str, gross_amount: &str, server_key: &str, given: &str) -> bool {
    let want = signature(order_id, status_code, gross_amount, server_key);
    crate::crypto::ct_eq(want.as_bytes(), given.trim().to_ascii_lowercase().as_bytes())
}

/// A payment to open, through Snap or a Core API charge.
#[derive(Debug, Clone)]
pub struct Order<'a> {
    pub order_id: &'a str,
    pub amount: Rupiah,
    pub item_id: String,
    pub item_name: &'a str,
    pub customer_name: &'a str,
    /// Local form (`08…`), as Midtrans shows it on its page.
    pub customer_phone: String,
    pub expiry_minutes: u64,
    /// Where the buyer returns: Snap's finish page, an e-wallet app's callback.
    pub return_url: String,
}

impl Order<'_> {
    /// The parts every way of paying sends alike.
    fn details(&self) -> serde_json::Value {
        let amount = self.amount.0;
        json!({
            "transaction_details": { "order_id": self.order_id, "gross_amount": amount },
            "item_details": [{ "id": self.item_id, "price": amount, "quantity": 1,
                "name": self.item_name.chars().take(50).collect::<String>() }],
            "customer_details": { "first_name": self.customer_name.chars().take(50).collect::<String>(),
                "phone": self.customer_phone },
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SnapToken {
    pub token: String,
    pub redirect_url: String,
}

/// The status API's answer (and a notification's body: the same fields).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderStatus {
    #[serde(default)]
    pub order_id: String,
    #[serde(default)]
    pub status_code: String,
    #[serde(default)]
    pub gross_amount: String,
    #[serde(default)]
    pub transaction_status: String,
    #[serde(default)]
    pub fraud_status: Option<String>,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub payment_type: Option<String>,
    #[serde(default)]
    pub signature_key: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default)]
    pub refund_amount: Option<String>,
}

/// The breaker's view, for the shop's availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breaker {
    Closed,
    Open { retry_after: u64 },
}

pub struct Midtrans {
    http: reqwest::Client,
    settings: MidtransSettings,
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
}

impl Midtrans {
    pub fn new(settings: MidtransSettings) -> Result<Self, MidtransError> {
        crate::ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| MidtransError::Unavailable(e.to_string()))?;
        Ok(Self { http, settings, failures: AtomicU32::new(0), open_until: Mutex::new(None) })
    }

    pub fn server_key(&self) -> &str {
        self.settings.server_key.expose_secret()
    }

    pub fn settings(&self) -> &MidtransSettings {
        &self.settings
    }

    fn auth(&self) -> String {
        let b =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.settings.server_key.expose_secret()));
        format!("Basic {b}")
    }

    pub fn breaker(&self) -> Breaker {
        let guard = self.open_until.lock().unwrap_or_else(|e| e.into_inner());
        match *guard {
            Some(until) if until > Instant::now() => {
                Breaker::Open { retry_after: until.saturating_duration_since(Instant::now()).as_secs().max(1) }
            }
            _ => Breaker::Closed,
        }
    }

    fn check_breaker(&self) -> Result<(), MidtransError> {
        match self.breaker() {
            Breaker::Open { retry_after } => Err(MidtransError::Paused(retry_after)),
            Breaker::Closed => Ok(()),
        }
    }

    fn outcome<T>(&self, r: Result<T, MidtransError>) -> Result<T, MidtransError> {
        match &r {
            Err(MidtransError::Unavailable(_)) => {
                if self.failures.fetch_add(1, Ordering::SeqCst) + 1 >= BREAKER_AFTER {
                    *self.open_until.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Instant::now() + BREAKER_OPEN_FOR);
                    tracing::warn!(open_secs = BREAKER_OPEN_FOR.as_secs(), "Midtrans breaker open");
                }
            }
            _ => {
                self.failures.store(0, Ordering::SeqCst);
                *self.open_until.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
        }
        r
    }

    /// Opens a Snap payment.
    pub async fn create_snap(&self, o: &Order<'_>) -> Result<SnapToken, MidtransError> {
        self.check_breaker()?;
        let mut body = o.details();
        body["expiry"] = json!({ "unit": "minutes", "duration": o.expiry_minutes });
        body["callbacks"] = json!({ "finish": o.return_url });
        let mut req = self
            .http
            .post(format!("{}/snap/v1/transactions", self.settings.snap_base))
            .header("authorization", self.auth())
            .header("accept", "application/json")
            .json(&body);
        if let Some(url) = &self.settings.notification_url {
            req = req.header("X-Override-Notification", url);
        }
        let r = async {
            let res = req.send().await.map_err(|e| MidtransError::Unavailable(e.to_string()))?;
            let status = res.status();
            let text = res.text().await.map_err(|e| MidtransError::Unavailable(e.to_string()))?;
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(MidtransError::Unavailable(format!("HTTP {status}")));
            }
            if !status.is_success() {
                return Err(MidtransError::Refused(refusal(status.as_u16(), &text)));
            }
            serde_json::from_str::<SnapToken>(&text).map_err(|e| MidtransError::Decode(e.to_string()))
        }
        .await;
        self.outcome(r)
    }

    /// Asks what Midtrans knows of an order. `Ok(None)`: Midtrans has no such transaction
    /// (nobody chose a payment method on the Snap page yet).
    pub async fn status(&self, order_id: &str) -> Result<Option<ProviderStatus>, MidtransError> {
        self.check_breaker()?;
        let r = async {
            let res = self
                .http
                .get(format!("{}/v2/{}/status", self.settings.api_base, order_id))
                .header("authorization", self.auth())
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| MidtransError::Unavailable(e.to_string()))?;
            let status = res.status();
            let text = res.text().await.map_err(|e| MidtransError::Unavailable(e.to_string()))?;
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(MidtransError::Unavailable(format!("HTTP {status}")));
            }
            if status.as_u16() == 404 {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(MidtransError::Refused(refusal(status.as_u16(), &text)));
            }
            let s: ProviderStatus = serde_json::from_str(&text).map_err(|e| MidtransError::Decode(e.to_string()))?;
            // The status API answers HTTP 200 with its own status_code in the body.
            match s.status_code.as_str() {
                "404" => Ok(None),
                c if c.starts_with('5') => Err(MidtransError::Unavailable(format!("status_code {c}"))),
                c if c.starts_with('4') => Err(MidtransError::Refused(format!("status_code {c}"))),
                _ => Ok(Some(s)),
            }
        }
        .await;
        self.outcome(r)
    }
}

/// Midtrans's own words for a refusal (`error_messages`), bounded.
fn refusal(status: u16, body: &str) -> String {
    let messages = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error_messages").cloned())
        .map(|m| m.to_string())
        .unwrap_or_default();
    format!("HTTP {status} {}", messages.chars().take(300).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_sha512_of_the_four_parts() {
        // echo -n "HS-120010000.00secret" | sha512sum
        let s = signature("HS-1", "200", "10000.00", "secret");
        assert_eq!(
            s,
            "f450b6ebc19f7e113840e5a6b16d6372f196fca4f56e32d80261beaf17743c2ec2f4a1eff89d8811d85cad37a541e9affa4e30d7172a8ed0d544678cb9d2d287"
        );
        assert_eq!(s, signature("HS-12", "0", "010000.00", "secret"), "plain concatenation");
        assert!(signature_valid("HS-1", "200", "10000.00", "secret", &s));
        assert!(signature_valid("HS-1", "200", "10000.00", "secret", &s.to_ascii_uppercase()));
        assert!(!signature_valid("HS-1", "200", "10000.00", "other", &s));
        assert!(!signature_valid("HS-1", "201", "10000.00", "secret", &s));
        assert!(!signature_valid("HS-1", "200", "10000.00", "secret", ""));
        assert!(!signature_valid("HS-1", "200", "10000.00", "secret", &s[..127]));
    }
}
