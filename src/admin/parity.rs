//! The access parity report: each active user's expected router state (the one policy, for the
//! status stored now) against the router's, from one snapshot; and the fix, which queues the
//! same reconcile an admin change does. The last report's count is kept for the dashboard.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Admin, AdminError};
use crate::db::models::User;
use crate::db::schema::{user_devices, users};
use crate::domain::{ApprovalStatus, ClientIp, MacAddress, Role};
use crate::router::RouterError;
use crate::router::ops::Snapshot;

/// What can differ, as the operations page names it.
pub const MISMATCHES: &[&str] = &[
    "binding_type",
    "missing_ip_binding",
    "address_list",
    "address_list_multi_status",
    "no_authorized_device",
    "no_resolvable_ip",
    "dhcp_lease_missing",
];

/// Most items one report lists.
const MAX_ITEMS: usize = 500;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    pub action: &'static str,
    /// `auto` (the reconcile does it) or `manual`/`informational`.
    pub mode: &'static str,
    pub priority: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParityItem {
    pub user_id: Uuid,
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    pub phone_number: String,
    pub mac: Option<String>,
    pub ip: Option<String>,
    pub app_status: String,
    pub expected_status: String,
    pub expected_binding_type: String,
    pub actual_binding_type: Option<String>,
    pub address_list_statuses: Vec<String>,
    pub mismatches: Vec<&'static str>,
    /// Whether the access the user gets differs (a device not yet signed in does not).
    pub parity_relevant: bool,
    pub auto_fixable: bool,
    pub action_plan: Vec<Step>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ParitySummary {
    pub users: usize,
    pub mismatches: usize,
    pub mismatches_total: usize,
    pub non_parity_mismatches: usize,
    pub no_authorized_device_count: usize,
    pub auto_fixable_items: usize,
    #[schema(value_type = Object)]
    pub mismatch_types: HashMap<&'static str, usize>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParityReport {
    pub items: Vec<ParityItem>,
    pub summary: ParitySummary,
}

/// Why there is no report.
#[derive(Debug, thiserror::Error)]
pub enum ParityError {
    #[error("no router is configured")]
    NoRouter,
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

fn step(action: &'static str, mode: &'static str, priority: &'static str) -> Step {
    Step { action, mode, priority }
}

struct Seen<'a> {
    bindings: HashMap<MacAddress, Vec<&'a crate::router::rows::BindingRow>>,
    lists: HashMap<&'a str, Vec<&'a str>>,
    host_ip: HashMap<MacAddress, String>,
}

fn seen<'a>(s: &'a Snapshot, owns: impl Fn(Option<&str>) -> bool, status_lists: &[String]) -> Seen<'a> {
    let mut bindings: HashMap<MacAddress, Vec<_>> = HashMap::new();
    for b in s.bindings.iter().filter(|b| owns(b.comment.as_deref()) && !b.disabled) {
        if let Some(m) = b.mac {
            bindings.entry(m).or_default().push(b);
        }
    }
    let mut lists: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in s.list_entries.iter().filter(|e| owns(e.comment.as_deref()) && status_lists.contains(&e.list)) {
        lists.entry(e.address.as_str()).or_default().push(e.list.as_str());
    }
    let host_ip = s.hosts.iter().filter_map(|h| h.address.map(|a| (h.mac, a.to_string()))).collect();
    Seen { bindings, lists, host_ip }
}

/// One device's item: what differs and what would fix it.
fn check_device(
    mut it: ParityItem,
    seen: &Seen<'_>,
    mac: &MacAddress,
    policy: &crate::domain::policy::RouterPolicy,
    status: crate::domain::AccessStatus,
) -> ParityItem {
    let ours = seen.bindings.get(mac).map(Vec::as_slice).unwrap_or_default();
    it.actual_binding_type = ours.first().map(|b| b.kind.as_str().to_owned());
    match ours.first() {
        None => it.mismatches.push("missing_ip_binding"),
        Some(b) if b.kind != policy.binding(status) || ours.len() > 1 => it.mismatches.push("binding_type"),
        Some(_) => {}
    }
    match it.ip.clone() {
        None => it.mismatches.push("no_resolvable_ip"),
        Some(addr) => {
            let on: Vec<&str> = seen.lists.get(addr.as_str()).cloned().unwrap_or_default();
            it.address_list_statuses = on.iter().map(|l| (*l).to_owned()).collect();
            let want = policy.list(status);
            if on.len() > 1 {
                it.mismatches.push("address_list_multi_status");
            } else if on.first().copied() != Some(want).filter(|w| !w.is_empty()) {
                it.mismatches.push("address_list");
            }
        }
    }
    for m in &it.mismatches {
        it.action_plan.push(match *m {
            "missing_ip_binding" | "binding_type" => step("upsert_ip_binding_expected_type", "auto", "high"),
            "address_list" => step("sync_address_list_for_single_user", "auto", "medium"),
            "address_list_multi_status" => step("cleanup_extra_address_lists_for_ip", "auto", "medium"),
            _ => step("resolve_ip_from_host_or_binding", "manual", "low"),
        });
    }
    it.mismatches.sort_unstable();
    it.auto_fixable = !it.mismatches.is_empty() && !it.mismatches.contains(&"no_resolvable_ip");
    it
}

impl Admin {
    /// Active, approved users and komandans with their authorized devices.
    async fn parity_population(&self) -> Result<Vec<(User, Vec<(MacAddress, Option<ClientIp>)>)>, AdminError> {
        Ok(self
            .db
            .run(|c| {
                let people: Vec<User> = users::table
                    .filter(users::role.eq_any([Role::User, Role::Komandan]))
                    .filter(users::approval_status.eq(ApprovalStatus::Approved))
                    .filter(users::is_active.eq(true))
                    .order(users::created_at)
                    .select(User::as_select())
                    .load(c)?;
                let devices: Vec<(Uuid, MacAddress, Option<ClientIp>)> = user_devices::table
                    .filter(user_devices::is_authorized.eq(true))
                    .select((user_devices::user_id, user_devices::mac_address, user_devices::ip_address))
                    .load(c)?;
                let mut by_user: HashMap<Uuid, Vec<(MacAddress, Option<ClientIp>)>> = HashMap::new();
                for (u, m, i) in devices {
                    by_user.entry(u).or_default().push((m, i));
                }
                Ok(people
                    .into_iter()
                    .map(|u| {
                        let d = by_user.remove(&u.id).unwrap_or_default();
                        (u, d)
                    })
                    .collect())
            })
            .await?)
    }

    /// The report; `all` keeps the items that do not change anyone's access too.
    pub async fn parity(&self, all: bool) -> Result<ParityReport, ParityError> {
        let ops = self.devices.router.as_ref().ok_or(ParityError::NoRouter)?;
        let (people, snap) = tokio::join!(self.parity_population(), ops.snapshot());
        let (people, snap) = (people?, snap?);
        let policy = self.runtime.policy();
        let seen = seen(&snap, |c| ops.managed.owns(c), &ops.managed.status_lists);
        let mut summary = ParitySummary { users: people.len(), ..Default::default() };
        summary.mismatch_types = MISMATCHES.iter().map(|k| (*k, 0)).collect();
        let mut items = Vec::new();
        let now = Utc::now();
        for (u, devices) in &people {
            let status = policy.status(&u.facts(), now);
            let expected_binding = policy.binding(status).as_str().to_owned();
            let base = |mac: Option<String>, ip: Option<String>| ParityItem {
                user_id: u.id,
                phone_number: u.phone_number.as_e164().to_owned(),
                mac,
                ip,
                app_status: u.access_status.as_str().to_owned(),
                expected_status: status.as_str().to_owned(),
                expected_binding_type: expected_binding.clone(),
                actual_binding_type: None,
                address_list_statuses: Vec::new(),
                mismatches: Vec::new(),
                parity_relevant: true,
                auto_fixable: false,
                action_plan: Vec::new(),
            };
            if devices.is_empty() {
                let mut it = base(None, None);
                it.mismatches.push("no_authorized_device");
                it.parity_relevant = false;
                it.action_plan.push(step("wait_for_user_reconnect", "informational", "low"));
                items.push(it);
                continue;
            }
            for (mac, ip) in devices {
                let ip = ip.map(|i| i.as_text()).or_else(|| seen.host_ip.get(mac).cloned());
                let it = check_device(base(Some(mac.canonical()), ip), &seen, mac, &policy, status);
                if !it.mismatches.is_empty() {
                    items.push(it);
                }
            }
        }
        for it in &items {
            for m in &it.mismatches {
                *summary.mismatch_types.entry(m).or_default() += 1;
            }
        }
        summary.mismatches_total = items.len();
        summary.mismatches = items.iter().filter(|i| i.parity_relevant).count();
        summary.non_parity_mismatches = summary.mismatches_total - summary.mismatches;
        summary.no_authorized_device_count = summary.mismatch_types["no_authorized_device"];
        summary.auto_fixable_items = items.iter().filter(|i| i.auto_fixable).count();
        self.remember_parity(summary.mismatches).await;
        if !all {
            items.retain(|i| i.parity_relevant);
        }
        items.truncate(MAX_ITEMS);
        Ok(ParityReport { items, summary })
    }

    /// Queues the reconcile of one user, or of every user the report finds out of step and the
    /// reconcile can fix; how many were queued.
    pub async fn fix_parity(&self, user: Option<Uuid>) -> Result<usize, ParityError> {
        let ids: Vec<Uuid> = match user {
            Some(id) => {
                self.user(id).await?;
                vec![id]
            }
            None => {
                let r = self.parity(false).await?;
                let mut ids: Vec<Uuid> = r.items.iter().filter(|i| i.auto_fixable).map(|i| i.user_id).collect();
                ids.dedup();
                ids
            }
        };
        for id in &ids {
            self.reconcile_later(*id, "parity_fix").await;
        }
        Ok(ids.len())
    }

    async fn remember_parity(&self, mismatches: usize) {
        let key = self.kv.key("parity:last_mismatches");
        let r = self
            .kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let () = redis::cmd("SET").arg(&key).arg(mismatches).arg("EX").arg(86_400).query_async(&mut c).await?;
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "could not keep the parity report's count");
        }
    }

    /// The last report's count of users out of step, if one ran in the last day.
    pub async fn last_parity(&self) -> Option<i64> {
        let key = self.kv.key("parity:last_mismatches");
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let v: Option<i64> = redis::cmd("GET").arg(&key).query_async(&mut c).await?;
                Ok(v)
            })
            .await
            .ok()
            .flatten()
    }
}
