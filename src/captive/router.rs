//! The router side of sign-in: the router's word on which MAC holds an IP, the entries a signed-in
//! device gets (binding, status list, hotspot user, as the one [`RouterPolicy`] says), and their
//! removal at the device's own request (a gone device's entries are the devices room's).
//!
//! [`RouterPolicy`]: crate::domain::policy::RouterPolicy

use chrono::Utc;
use uuid::Uuid;

use super::{Captive, CaptiveError};
use crate::db::models::User;
use crate::domain::policy::{BindingType, bypasses_login};
use crate::domain::{AccessStatus, ClientIp, MacAddress};
use crate::router::ops::{Ops, Upsert};

/// What the router now holds for the device.
#[derive(Debug, Clone)]
pub struct RouterOutcome {
    pub status: AccessStatus,
    pub binding_active: bool,
    pub login_required: bool,
    /// Only when the hotspot login page must be passed: the credentials for its form.
    pub hotspot_username: Option<String>,
    pub hotspot_password: Option<String>,
}

/// The comment label of a user's router entries (no phone number on the router).
pub fn label(user: Uuid) -> String {
    format!("u:{}", user.simple())
}

fn hotspot_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

impl Captive {
    pub(super) fn ops(&self) -> Result<&Ops, CaptiveError> {
        self.router.as_ref().ok_or(CaptiveError::RouterUnavailable)
    }

    /// The user's access status now, by the one policy.
    pub fn status_of(&self, u: &User) -> AccessStatus {
        self.policy().status(&u.facts(), Utc::now())
    }

    /// The MAC the router sees at `ip`; a client-supplied MAC must agree.
    pub async fn resolve_mac(&self, ip: &ClientIp, hinted: Option<&MacAddress>) -> Result<MacAddress, CaptiveError> {
        let Some((mac, _source)) = self.ops()?.mac_for_ip(ip).await? else {
            return Err(CaptiveError::DeviceNotFound);
        };
        if hinted.is_some_and(|h| *h != mac) {
            return Err(CaptiveError::DeviceMismatch);
        }
        Ok(mac)
    }

    /// Writes binding, status list and hotspot user for the device, concurrently over the one
    /// router connection.
    pub async fn apply_router(
        &self,
        user: &User,
        mac: &MacAddress,
        ip: &ClientIp,
    ) -> Result<RouterOutcome, CaptiveError> {
        let status = self.status_of(user);
        if self.site.as_deref().is_some_and(|h| h.radius) {
            // The router asks FreeRADIUS when the phone logs in by its MAC; the device is known
            // to the account now, which is all the decision needs.
            return Ok(RouterOutcome {
                status,
                binding_active: false,
                login_required: true,
                hotspot_username: None,
                hotspot_password: None,
            });
        }
        let ops = self.ops()?;
        let username = user.phone_number.local();
        let password = hotspot_password();
        let lab = label(user.id);
        let policy = self.policy();
        let (binding, placed, hotspot_user) = tokio::join!(
            ops.upsert_binding(mac, policy.binding(status), &lab),
            ops.place_in_status_list(ip, Some(policy.list(status)), &lab),
            ops.upsert_hotspot_user(&username, &password, policy.profile(status), &lab),
        );
        let binding = binding?;
        placed?;
        hotspot_user?;
        // An operator's own binding for this MAC decides; ours was not written.
        let binding_active = bypasses_login(status) && binding != Upsert::OperatorOwned;
        let login_required = !binding_active;
        Ok(RouterOutcome {
            status,
            binding_active,
            login_required,
            hotspot_username: login_required.then(|| username.clone()),
            hotspot_password: login_required.then_some(password),
        })
    }

    /// Whether `mac` passes the hotspot without its login page: a bypassed, enabled binding.
    pub async fn binding_active(&self, mac: &MacAddress) -> Result<bool, CaptiveError> {
        let bindings = self.ops()?.bindings_for(mac).await?;
        Ok(bindings.iter().any(|b| b.kind == BindingType::Bypassed && !b.disabled))
    }

    /// Removes our binding for `mac` and our status-list entries for `ip`, now (the caller
    /// answers 503 when the router is down).
    pub async fn reset_on_router(&self, mac: Option<&MacAddress>, ip: Option<&ClientIp>) -> Result<(), CaptiveError> {
        let ops = self.ops()?;
        if let Some(m) = mac {
            ops.remove_binding(m).await?;
        }
        if let Some(ip) = ip {
            ops.remove_from_status_lists(ip).await?;
        }
        Ok(())
    }
}
