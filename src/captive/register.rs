//! Registration from the captive page: a pending account the operator approves.

use uuid::Uuid;

use super::{Captive, CaptiveError};
use crate::accounts::UserError;
use crate::accounts::create::{self as users, CreateUser};
use crate::domain::{ApprovalStatus, ClientIp, Msisdn, Role};

#[derive(Debug, Clone)]
pub struct Registration {
    pub phone: Msisdn,
    pub full_name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    /// Operator-defined attributes the existing frontend asks for (where a user lives, whether
    /// they are "tamping" staff); a deployment that does not use them leaves them out.
    pub blok: Option<String>,
    pub kamar: Option<String>,
    pub is_tamping: bool,
    pub tamping_type: Option<String>,
    /// The registrant asks to be a komandan; the operator decides.
    pub register_as_komandan: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("registration is closed")]
    Closed,
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Captive(#[from] CaptiveError),
}

impl Captive {
    /// Creates (or replaces an unproven) pending user; at most 10 registrations per client
    /// address per hour, except from the hotspot, where a whole venue shares one address.
    pub async fn register(&self, r: Registration, client: Option<&ClientIp>) -> Result<Uuid, RegisterError> {
        if !self.runtime.get().registration_open {
            return Err(RegisterError::Closed);
        }
        let off_hotspot = match client {
            Some(ip) => !self.on_hotspot(ip).await,
            None => false,
        };
        if let (Some(ip), true) = (client, off_hotspot) {
            self.limit("register-ip", &ip.as_text(), 10, 3_600).await?;
        }
        let mut profile = users::profile_from(&[
            ("email", r.email.as_deref()),
            ("address", r.address.as_deref()),
            ("notes", r.notes.as_deref()),
            ("blok", r.blok.as_deref()),
            ("kamar", r.kamar.as_deref()),
            ("tamping_type", r.tamping_type.as_deref()),
        ])?;
        for (key, on) in [("is_tamping", r.is_tamping), ("register_as_komandan", r.register_as_komandan)] {
            if on {
                profile.insert(key.to_owned(), serde_json::Value::Bool(true));
            }
        }
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

impl Captive {
    /// Whether a phone is held by an account (a registration nobody proved holds nothing). At
    /// most 30 checks per client address per hour off the hotspot; on it (a venue shares the
    /// address) as many as its numbers-nobody-holds allowance, so a venue cannot be used to
    /// list who has an account.
    pub async fn phone_taken(
        &self,
        phone: &crate::domain::Msisdn,
        client: Option<&ClientIp>,
    ) -> Result<bool, CaptiveError> {
        if let Some(ip) = client {
            if self.on_hotspot(ip).await {
                let max = self.settings.auth.unknown_phone_per_ip_per_hour;
                self.limit("validate-hotspot", &ip.as_text(), max, 3_600).await?;
            } else {
                self.limit("validate-ip", &ip.as_text(), 30, 3_600).await?;
            }
        }
        match self.user_by_phone(phone).await {
            Ok(u) => Ok(u.phone_verified_at.is_some() || u.approval_status != ApprovalStatus::Pending),
            Err(CaptiveError::UserNotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
