//! A user as the router sees them, live: for each of their devices the ip-binding, the status
//! address-lists of its address and the hotspot host row, beside what the one policy expects
//! for the user's status now. Read only: a GET never writes (the reconcile repairs).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Admin, AdminError};
use crate::accounts::may_act_on;
use crate::audit::Actor;
use crate::db::models::{Device, User};
use crate::domain::AccessStatus;
use crate::domain::policy::{BindingType, RouterPolicy};
use crate::router::RouterError;
use crate::router::ops::Ops;

/// One device on the router.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceOnRouter {
    pub device_id: i64,
    #[schema(value_type = String)]
    pub mac_address: String,
    #[schema(value_type = Option<String>)]
    pub ip_address: Option<String>,
    pub label: Option<String>,
    pub authorized: bool,
    /// The binding type the policy wants (`regular`, `bypassed`, `blocked`), none for a device
    /// that is not authorized.
    pub expected_binding: Option<&'static str>,
    /// The managed ip-binding's type on the router, if there is one.
    pub binding: Option<&'static str>,
    /// An ip-binding for this MAC that is not ours (the operator's own).
    pub foreign_binding: bool,
    pub expected_list: Option<String>,
    /// The status lists the address is on now.
    pub lists: Vec<String>,
    /// The hotspot host row's counters, when the router sees the device now.
    pub bytes_in: Option<u64>,
    pub bytes_out: Option<u64>,
    pub in_step: bool,
}

/// The whole view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouterView {
    pub status: AccessStatus,
    /// The hotspot user profile the policy names for the status.
    pub profile: String,
    /// Whether the router answered; `reason` says why not.
    pub live: bool,
    pub reason: Option<String>,
    pub devices: Vec<DeviceOnRouter>,
}

impl RouterView {
    pub fn in_step(&self) -> bool {
        self.live && self.devices.iter().all(|d| d.in_step)
    }
}

/// What the policy wants for one device: its binding type and status list.
pub fn expected(policy: &RouterPolicy, status: AccessStatus, d: &Device) -> (Option<BindingType>, Option<String>) {
    if !d.is_authorized {
        return (None, None);
    }
    let list = d.ip_address.map(|_| policy.list(status).to_owned()).filter(|l| !l.is_empty());
    (Some(policy.binding(status)), list)
}

async fn device_view(
    ops: &Ops,
    policy: &RouterPolicy,
    status: AccessStatus,
    d: &Device,
) -> Result<DeviceOnRouter, RouterError> {
    let bindings = ops.bindings_for(&d.mac_address).await?;
    let ours: Vec<_> = bindings.iter().filter(|b| ops.managed.owns(b.comment.as_deref()) && !b.disabled).collect();
    let lists = match d.ip_address {
        Some(ip) => {
            let entries = ops.list_entries_for(&ip.as_text()).await?;
            entries.into_iter().filter(|e| ops.managed.status_lists.contains(&e.list)).map(|e| e.list).collect()
        }
        None => Vec::new(),
    };
    let host = ops.host_for_mac(&d.mac_address).await?;
    let (want_binding, want_list) = expected(policy, status, d);
    let binding = ours.first().map(|b| b.kind);
    let in_step = binding == want_binding
        && ours.len() <= 1
        && match &want_list {
            Some(l) => lists.len() == 1 && &lists[0] == l,
            None => lists.is_empty(),
        };
    Ok(DeviceOnRouter {
        device_id: d.id,
        mac_address: d.mac_address.canonical(),
        ip_address: d.ip_address.map(|i| i.as_text()),
        label: d.label.clone(),
        authorized: d.is_authorized,
        expected_binding: want_binding.map(BindingType::as_str),
        binding: binding.map(BindingType::as_str),
        foreign_binding: bindings.len() > ours.len(),
        expected_list: want_list,
        lists,
        bytes_in: host.as_ref().map(|h| h.bytes_in),
        bytes_out: host.as_ref().map(|h| h.bytes_out),
        in_step,
    })
}

impl Admin {
    /// The user's devices on the router now against the policy; the router being down or
    /// absent is an answer (`live: false`), not an error.
    pub async fn router_view(&self, actor: &Actor, id: Uuid) -> Result<(User, RouterView), AdminError> {
        let user = self.user(id).await?;
        may_act_on(actor, &user)?;
        let view = self.router_view_of(&user).await?;
        Ok((user, view))
    }

    pub(super) async fn router_view_of(&self, user: &User) -> Result<RouterView, AdminError> {
        let policy = self.runtime.policy();
        let status = self.status_of(user);
        let devices = self.devices.devices_of(user.id).await?;
        let mut view = RouterView {
            status,
            profile: policy.profile(status).to_owned(),
            live: false,
            reason: None,
            devices: Vec::new(),
        };
        let Some(ops) = self.devices.router.as_ref() else {
            view.reason = Some("no router is configured".into());
            return Ok(view);
        };
        // Asked even with no device, so `live` is the router's answer, not an empty list's.
        if let Err(e) = ops.ping().await {
            tracing::warn!(error = %e, "router view: the router did not answer");
            view.reason = Some("router unavailable".into());
            return Ok(view);
        }
        for d in &devices {
            match device_view(ops, &policy, status, d).await {
                Ok(v) => view.devices.push(v),
                Err(e) => {
                    tracing::warn!(error = %e, "router view: the router did not answer");
                    view.devices.clear();
                    view.reason =
                        Some(if e.is_unavailable() { "router unavailable".into() } else { "router error".into() });
                    return Ok(view);
                }
            }
        }
        view.live = true;
        Ok(view)
    }
}
