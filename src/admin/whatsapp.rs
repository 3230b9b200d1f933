//! The gateway's WhatsApp session for operators: its state (each provider's), the QR to pair
//! it again (as the gateway gives it, and as a PNG), and clearing the session (audited), so an
//! operator whose gateway lost its session need not SSH in.

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{Admin, AdminError};
use crate::audit::{self, Actor, Target};
use crate::domain::{AuditAction, AuditTarget};
use crate::whatsapp::gateway::GatewayError;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderSession {
    /// `seed` or `fonnte`.
    pub provider: &'static str,
    /// `primary` or `secondary`.
    pub role: &'static str,
    /// The gateway's word (`authenticated`, `loading`, `disconnected`, `connect`, …), or
    /// `unreachable`.
    pub state: String,
    pub up: bool,
    /// Whether a QR waits to be scanned (`GET /api/admin/whatsapp/qr`).
    pub qr_available: bool,
    /// Why the gateway could not say (unreachable, refused).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GatewayStatus {
    /// False when no gateway is configured.
    pub configured: bool,
    pub providers: Vec<ProviderSession>,
    pub checked_at: chrono::DateTime<chrono::Utc>,
}

/// The primary's pairing QR.
pub struct PairingQr {
    pub provider: &'static str,
    pub state: String,
    pub qr: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no WhatsApp gateway is configured")]
    NotConfigured,
    #[error("the gateway could not be asked: {0}")]
    Gateway(GatewayError),
    /// The session is paired (or the provider pairs elsewhere): nothing to scan.
    #[error("no QR to scan: the session is {0}")]
    NoQr(String),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

impl Admin {
    pub async fn whatsapp_status(&self) -> GatewayStatus {
        let checked_at = chrono::Utc::now();
        let Some(m) = &self.messenger else {
            return GatewayStatus { configured: false, providers: vec![], checked_at };
        };
        let mut providers = Vec::new();
        for (i, name) in m.providers().into_iter().enumerate() {
            let role = if i == 0 { "primary" } else { "secondary" };
            let asked = tokio::time::timeout(std::time::Duration::from_secs(3), m.session_of(i)).await;
            providers.push(match asked {
                Ok(Some(Ok(s))) => ProviderSession {
                    provider: name,
                    role,
                    qr_available: s.qr.is_some(),
                    state: s.state,
                    up: s.up,
                    error: None,
                },
                Ok(Some(Err(e))) => unreachable_provider(name, role, e.to_string()),
                Ok(None) => continue,
                Err(_) => unreachable_provider(name, role, "no answer within 3 s".into()),
            });
        }
        GatewayStatus { configured: true, providers, checked_at }
    }

    /// The primary gateway's QR while it waits to be paired. Super admins only: whoever pairs
    /// the gateway reads every sign-in code it sends.
    pub async fn whatsapp_qr(&self, actor: &Actor) -> Result<PairingQr, SessionError> {
        pairing_rights(actor)?;
        let m = self.messenger.as_ref().ok_or(SessionError::NotConfigured)?;
        let provider = m.providers().first().copied().ok_or(SessionError::NotConfigured)?;
        let s = m.session_of(0).await.ok_or(SessionError::NotConfigured)?.map_err(SessionError::Gateway)?;
        match s.qr {
            Some(qr) => Ok(PairingQr { provider, state: s.state, qr }),
            None => Err(SessionError::NoQr(s.state)),
        }
    }

    /// Logs the primary gateway's WhatsApp device out (a new QR follows), audited. Super admins
    /// only: it stops sign-in for everyone until the gateway is paired again.
    pub async fn clear_whatsapp_session(&self, actor: &Actor) -> Result<GatewayStatus, SessionError> {
        pairing_rights(actor)?;
        let m = self.messenger.as_ref().ok_or(SessionError::NotConfigured)?;
        let provider = m.providers().first().copied().ok_or(SessionError::NotConfigured)?;
        m.clear_session_of(0).await.ok_or(SessionError::NotConfigured)?.map_err(SessionError::Gateway)?;
        let a = actor.clone();
        let target = Target::new(AuditTarget::WhatsApp, provider);
        let details = json!({ "provider": provider });
        self.db
            .run(move |c| audit::record(c, &a, AuditAction::WhatsAppClearSession, Some(target), details))
            .await
            .map_err(AdminError::from)?;
        tracing::warn!(provider, "WhatsApp session cleared by an admin; the gateway waits to be paired");
        Ok(self.whatsapp_status().await)
    }
}

fn pairing_rights(actor: &Actor) -> Result<(), SessionError> {
    if actor.role == crate::domain::Role::SuperAdmin {
        Ok(())
    } else {
        Err(AdminError::forbidden("only a super admin may pair the WhatsApp gateway").into())
    }
}

fn unreachable_provider(provider: &'static str, role: &'static str, error: String) -> ProviderSession {
    ProviderSession { provider, role, state: "unreachable".into(), up: false, qr_available: false, error: Some(error) }
}
