//! The `Gateway` trait and the two provider adapters: the seed system's gateway API and Fonnte.

use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use crate::config::{ProviderKind, ProviderSettings};
use crate::domain::Msisdn;

#[derive(Debug, Clone, thiserror::Error)]
pub enum GatewayError {
    /// Not reached: connection refused, reset, a connect timeout. Nothing went out; worth
    /// retrying.
    #[error("gateway unreachable: {0}")]
    Network(String),
    /// The request went out and no answer came in time: the message may have been sent, so it
    /// is not sent again (a code sent twice is harmless, a code withdrawn after it arrived is
    /// not; the same message thrice is spam).
    #[error("gateway did not answer in time: {0}")]
    Unanswered(String),
    /// HTTP error status; 5xx is worth retrying, 4xx is not.
    #[error("gateway answered HTTP {0}")]
    Status(u16),
    /// The gateway answered and said no (e.g. its WhatsApp session is down).
    #[error("gateway refused the message: {0}")]
    Rejected(String),
    #[error("gateway answer not understood: {0}")]
    Decode(String),
}

impl GatewayError {
    pub fn is_retryable(&self) -> bool {
        match self {
            GatewayError::Network(_) => true,
            GatewayError::Status(s) => *s >= 500 || *s == 429,
            GatewayError::Rejected(_) | GatewayError::Decode(_) | GatewayError::Unanswered(_) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub message_id: Option<String>,
}

/// The gateway's WhatsApp session as it reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The gateway's own word (`authenticated`, `ready`, `loading`, `disconnected`, `connect`, …).
    pub state: String,
    /// Whether messages go out.
    pub up: bool,
    /// While pairing: the QR to scan, as the gateway gives it (its text, or a `data:image/png`
    /// URL).
    pub qr: Option<String>,
}

/// A WhatsApp sending service.
pub trait Gateway: Send + Sync {
    /// Stored in message_log.provider and used in the webhook path.
    fn name(&self) -> &'static str;
    fn send<'a>(&'a self, to: &'a Msisdn, text: &'a str) -> BoxFuture<'a, Result<Sent, GatewayError>>;
    /// The gateway's WhatsApp session.
    fn session(&self) -> BoxFuture<'_, Result<Session, GatewayError>>;
    /// Logs the gateway's WhatsApp device out so that it can be paired again (a new QR).
    fn clear_session(&self) -> BoxFuture<'_, Result<(), GatewayError>>;
    /// Is the gateway's WhatsApp session up?
    fn session_up(&self) -> BoxFuture<'_, Result<bool, GatewayError>> {
        Box::pin(async move { Ok(self.session().await?.up) })
    }
}

pub fn http_client(timeout: Duration) -> Result<reqwest::Client, GatewayError> {
    crate::ensure_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .build()
        .map_err(|e| GatewayError::Network(e.to_string()))
}

fn network(e: reqwest::Error) -> GatewayError {
    // reqwest's Display includes the URL, never the body; the URL holds no phone number.
    let unanswered = e.is_timeout() && !e.is_connect();
    let text = e.without_url().to_string();
    if unanswered { GatewayError::Unanswered(text) } else { GatewayError::Network(text) }
}

async fn json_of<T: for<'de> Deserialize<'de>>(res: reqwest::Response) -> Result<T, GatewayError> {
    let status = res.status();
    if !status.is_success() {
        return Err(GatewayError::Status(status.as_u16()));
    }
    res.json::<T>().await.map_err(|e| GatewayError::Decode(e.without_url().to_string()))
}

/// The seed system's gateway: `POST {base}/api/whatsapp/send-message`, `GET {base}/api/whatsapp/qr-code`.
pub struct SeedGateway {
    http: reqwest::Client,
    base: String,
    token: Option<SecretString>,
}

#[derive(Deserialize)]
struct SeedSendAnswer {
    success: bool,
    #[serde(rename = "messageId")]
    message_id: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct SeedQrAnswer {
    status: String,
    #[serde(default, alias = "qrCode", alias = "qr_code")]
    qr: Option<String>,
}

#[derive(Deserialize)]
struct SeedOk {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    message: Option<String>,
}

impl SeedGateway {
    pub fn new(http: reqwest::Client, base: &str, token: Option<SecretString>) -> Self {
        Self { http, base: base.trim_end_matches('/').to_owned(), token }
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t.expose_secret()),
            None => req,
        }
    }
}

fn id_text(v: Option<serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Array(a) => a.into_iter().next().and_then(|x| id_text(Some(x))),
        _ => None,
    }
}

impl Gateway for SeedGateway {
    fn name(&self) -> &'static str {
        "seed"
    }

    fn send<'a>(&'a self, to: &'a Msisdn, text: &'a str) -> BoxFuture<'a, Result<Sent, GatewayError>> {
        Box::pin(async move {
            let req = self
                .http
                .post(format!("{}/api/whatsapp/send-message", self.base))
                .json(&json!({ "to": to.international_digits(), "message": text, "type": "text" }));
            let res = self.auth(req).send().await.map_err(network)?;
            let answer: SeedSendAnswer = json_of(res).await?;
            if !answer.success {
                return Err(GatewayError::Rejected(answer.message.unwrap_or_else(|| "success=false".into())));
            }
            Ok(Sent { message_id: id_text(answer.message_id) })
        })
    }

    fn session(&self) -> BoxFuture<'_, Result<Session, GatewayError>> {
        Box::pin(async move {
            let res = self
                .auth(self.http.get(format!("{}/api/whatsapp/qr-code", self.base)))
                .send()
                .await
                .map_err(network)?;
            let answer: SeedQrAnswer = json_of(res).await?;
            let up = matches!(answer.status.as_str(), "ready" | "authenticated");
            Ok(Session { state: answer.status, up, qr: answer.qr.filter(|q| !q.is_empty() && !up) })
        })
    }

    fn clear_session(&self) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            let res = self
                .auth(self.http.post(format!("{}/api/whatsapp/clear-session", self.base)))
                .send()
                .await
                .map_err(network)?;
            let answer: SeedOk = json_of(res).await?;
            if !answer.success {
                return Err(GatewayError::Rejected(answer.message.unwrap_or_else(|| "success=false".into())));
            }
            Ok(())
        })
    }
}

/// Fonnte: `POST {base}/send` with header `Authorization: <token>` and a form body.
pub struct FonnteGateway {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

#[derive(Deserialize)]
struct FonnteAnswer {
    status: bool,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    device_status: Option<String>,
}

impl FonnteGateway {
    pub fn new(http: reqwest::Client, base: &str, token: SecretString) -> Self {
        Self { http, base: base.trim_end_matches('/').to_owned(), token }
    }

    /// A call to Fonnte's `path`, with the device token.
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, self.token.expose_secret())
    }
}

impl Gateway for FonnteGateway {
    fn name(&self) -> &'static str {
        "fonnte"
    }

    fn send<'a>(&'a self, to: &'a Msisdn, text: &'a str) -> BoxFuture<'a, Result<Sent, GatewayError>> {
        Box::pin(async move {
            // countryCode=0: the target already carries its country code.
            let form = [("target", to.international_digits()), ("message", text), ("countryCode", "0")];
            let res = self.post("send").form(&form).send().await.map_err(network)?;
            let answer: FonnteAnswer = json_of(res).await?;
            if !answer.status {
                return Err(GatewayError::Rejected(
                    answer.reason.or(answer.detail).unwrap_or_else(|| "status=false".into()),
                ));
            }
            Ok(Sent { message_id: id_text(answer.id) })
        })
    }

    fn session(&self) -> BoxFuture<'_, Result<Session, GatewayError>> {
        Box::pin(async move {
            let res = self.post("device").send().await.map_err(network)?;
            let answer: FonnteAnswer = json_of(res).await?;
            if !answer.status {
                return Err(GatewayError::Rejected(answer.reason.unwrap_or_else(|| "status=false".into())));
            }
            let state = answer.device_status.unwrap_or_else(|| "unknown".into());
            // Fonnte pairs its devices on its own dashboard: no QR through this API.
            Ok(Session { up: state == "connect", state, qr: None })
        })
    }

    fn clear_session(&self) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            let res = self.post("disconnect").send().await.map_err(network)?;
            let answer: FonnteAnswer = json_of(res).await?;
            if !answer.status {
                return Err(GatewayError::Rejected(
                    answer.reason.or(answer.detail).unwrap_or_else(|| "status=false".into()),
                ));
            }
            Ok(())
        })
    }
}

pub fn build(p: &ProviderSettings, timeout: Duration) -> Result<Box<dyn Gateway>, GatewayError> {
    let http = http_client(timeout)?;
    Ok(match p.kind {
        ProviderKind::Seed => Box::new(SeedGateway::new(http, &p.base_url, p.token.clone())),
        ProviderKind::Fonnte => {
            let token = p.token.clone().unwrap_or_else(|| SecretString::from(""));
            Box::new(FonnteGateway::new(http, &p.base_url, token))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_in_every_shape() {
        assert_eq!(id_text(Some(json!("abc"))), Some("abc".into()));
        assert_eq!(id_text(Some(json!(80367170))), Some("80367170".into()));
        assert_eq!(id_text(Some(json!(["80367170"]))), Some("80367170".into()));
        assert_eq!(id_text(Some(json!(null))), None);
        assert_eq!(id_text(None), None);
    }

    #[test]
    fn retryable_errors() {
        assert!(GatewayError::Network("x".into()).is_retryable());
        assert!(GatewayError::Status(502).is_retryable());
        assert!(GatewayError::Status(429).is_retryable());
        assert!(!GatewayError::Status(401).is_retryable());
        assert!(!GatewayError::Rejected("no session".into()).is_retryable());
        assert!(!GatewayError::Unanswered("timed out".into()).is_retryable());
    }
}
