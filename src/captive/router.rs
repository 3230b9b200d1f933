//! The router side of sign-in: the router's word on which MAC holds an IP, the entries a signed-in
//! device gets (binding, status list, hotspot user, as the one [`RouterPolicy`] says), and their
//! removal, retried through the worker when the router is down.
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
        let ops = self.ops()?;
        let status = self.status_of(user);
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

    /// Router entries of devices that were evicted or removed. What cannot be removed now (router
    /// down) goes on the router-retry queue; the sync repairs whatever is still left after that.
    pub async fn forget_on_router(&self, macs: &[MacAddress], ips: &[ClientIp]) {
        let Some(ops) = &self.router else { return };
        let (mut failed_macs, mut failed_ips) = (Vec::new(), Vec::new());
        for m in macs {
            if let Err(e) = ops.remove_binding(m).await {
                tracing::warn!(mac = %m, error = %e, "could not remove a binding; queued for retry");
                failed_macs.push(m.canonical());
            }
        }
        for ip in ips {
            if let Err(e) = ops.remove_from_status_lists(ip).await {
                tracing::warn!(ip = %ip, error = %e, "could not remove status-list entries; queued for retry");
                failed_ips.push(ip.as_text());
            }
        }
        if failed_macs.is_empty() && failed_ips.is_empty() {
            return;
        }
        let Some(queues) = &self.queues else { return };
        let job =
            hotspot_jobs::RouterRetry { forget_macs: failed_macs, forget_ips: failed_ips, reason: "forget".into() };
        if let Err(e) = queues.enqueue_router_retry(job).await {
            tracing::error!(error = %e, "could not queue the router retry; the next sync removes the entries");
        }
    }

    /// [`Captive::forget_on_router`] in the background: the answer does not wait for it.
    pub(super) fn forget_later(&self, macs: Vec<MacAddress>, ips: Vec<ClientIp>) {
        if macs.is_empty() && ips.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move { me.forget_on_router(&macs, &ips).await });
    }

    /// Replays removals queued by [`Captive::forget_on_router`]. Entries whose MAC or IP belongs to
    /// an authorized device again (the user logged back in meanwhile) are left alone. Any router
    /// error fails the whole job so the queue retries it.
    pub async fn retry_forget(
        &self,
        macs: Vec<MacAddress>,
        ips: Vec<ClientIp>,
    ) -> Result<(usize, usize), CaptiveError> {
        let ops = self.ops()?;
        let in_use = self.store().authorized_among(macs.clone(), ips.clone()).await?;
        let (mut bindings, mut entries) = (0, 0);
        for m in &macs {
            if in_use.iter().any(|(mac, _)| mac == m) {
                continue;
            }
            bindings += ops.remove_binding(m).await?;
        }
        for ip in &ips {
            if in_use.iter().any(|(_, i)| i.as_ref() == Some(ip)) {
                continue;
            }
            ops.remove_from_status_lists(ip).await?;
            entries += 1;
        }
        Ok((bindings, entries))
    }
}
