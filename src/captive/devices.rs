//! A signed-in user's devices: listing, labels, removal, deauthorization at logout, the router
//! reset of the current device, and whether the current device passes the hotspot.

use uuid::Uuid;

use super::record::ClientInfo;
use super::{Captive, CaptiveError};
use crate::auth::tokens::Claims;
use crate::db::models::Device;
use crate::domain::network::Location;
use crate::domain::{ClientIp, MacAddress};

/// At most this many characters in a device label.
pub const LABEL_MAX: usize = 100;

impl Captive {
    pub async fn devices(&self, user: Uuid) -> Result<Vec<Device>, CaptiveError> {
        Ok(self.devices.devices_of(user).await?)
    }

    /// Removes one of the user's devices and its router entries.
    pub async fn remove_device(&self, user: Uuid, id: i64) -> Result<(), CaptiveError> {
        let keys = self.devices.remove_device(user, id).await?.ok_or(CaptiveError::DeviceGone)?;
        self.devices.forget_keys(&[keys]).await;
        Ok(())
    }

    /// Names a device; an empty label clears it.
    pub async fn label_device(&self, user: Uuid, id: i64, label: Option<String>) -> Result<Device, CaptiveError> {
        self.devices.label_device(user, id, label).await?.ok_or(CaptiveError::DeviceGone)
    }

    /// Deauthorizes one device of the user's, or all of them with `None`: rows marked, router
    /// entries removed (what the router cannot take now is retried by the worker).
    pub async fn deauthorize(&self, user: Uuid, device: Option<i64>) -> Result<(), CaptiveError> {
        let keys = self.devices.deauthorize(user, device).await?;
        self.devices.forget_keys(&keys).await;
        Ok(())
    }

    /// Router-side cleanup of the session's device (or, without one, of the device the router
    /// sees at the client's address); true when there was something to reset.
    pub async fn reset_login(
        &self,
        claims: &Claims,
        ip_hint: Option<ClientIp>,
        client: &ClientInfo,
    ) -> Result<bool, CaptiveError> {
        let here = self.here(client).await;
        here.ops()?;
        let device = match claims.did {
            Some(did) => self.devices.device_keys(claims.sub, did).await?,
            None => None,
        };
        let (mac, ip) = match device {
            Some((mac, ip, _)) => (Some(mac), ip),
            None => {
                let ip = ip_hint.or(client.ip).ok_or(CaptiveError::ClientIpUnknown)?;
                let mac = here.ops()?.mac_for_ip(&ip).await?.map(|(m, _)| m);
                (mac, Some(ip))
            }
        };
        here.reset_on_router(mac.as_ref(), ip.as_ref()).await?;
        Ok(mac.is_some() || ip.is_some())
    }

    /// The caller's device on the hotspot: `None` when no device is in question (the request
    /// comes from off the hotspot, or names none), else whether it passes the hotspot without
    /// its login page. Only the caller's own devices are answered for: any other device reads
    /// as "not bound", so the endpoint tells nobody about other phones.
    pub async fn hotspot_session_status(
        &self,
        user: Uuid,
        ip_hint: Option<ClientIp>,
        mac_hint: Option<MacAddress>,
        client: &ClientInfo,
    ) -> Result<Option<bool>, CaptiveError> {
        let here = self.here(client).await;
        let Location::Hotspot { device: Some(ip) } = here.locate(ip_hint, client)? else { return Ok(None) };
        let Some((mac, _)) = here.ops()?.mac_for_ip(&ip).await? else { return Ok(Some(false)) };
        if mac_hint.is_some_and(|h| h != mac) {
            return Err(CaptiveError::DeviceMismatch);
        }
        if !self.devices.owns_device(user, mac).await? {
            return Ok(Some(false));
        }
        Ok(Some(here.binding_active(&mac).await?))
    }
}
