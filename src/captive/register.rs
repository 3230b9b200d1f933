//! Registration from the captive page: a pending account the operator approves.

use uuid::Uuid;

use super::{Captive, CaptiveError};
use crate::domain::{ApprovalStatus, ClientIp, Msisdn, Role};
use crate::users::{self, CreateUser, UserError};

#[derive(Debug, Clone)]
pub struct Registration {
    pub phone: Msisdn,
    pub full_name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Captive(#[from] CaptiveError),
}

impl Captive {
    /// Creates (or replaces an unproven) pending user; at most 10 registrations per client
    /// address per hour, except from the hotspot, where a whole venue shares one address.
    pub async fn register(&self, r: Registration, client: Option<&ClientIp>) -> Result<Uuid, RegisterError> {
        if let Some(ip) = client.filter(|ip| !self.settings.hotspot.networks.on_hotspot(Some(ip))) {
            self.limit("register-ip", &ip.as_text(), 10, 3_600).await?;
        }
        let profile = users::profile_from(&[
            ("email", r.email.as_deref()),
            ("address", r.address.as_deref()),
            ("notes", r.notes.as_deref()),
        ])?;
        let input = CreateUser {
            phone: r.phone,
            full_name: r.full_name,
            role: Role::User,
            approval: ApprovalStatus::Pending,
            password: None,
            quota_bytes: 0,
            expires_at: None,
            unlimited: false,
            created_by: None,
            origin: "register",
            profile,
        };
        let created = self.db.run(move |conn| Ok(users::register(conn, input))).await.map_err(CaptiveError::from)?;
        Ok(created?.id)
    }
}
