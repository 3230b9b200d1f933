//! The router check (`/admin/mikrotik`): the setup the policy relies on, present or missing,
//! with the line that adds what is missing — the hotspot server, a user profile per status,
//! the status lists' firewall rules (no internet for used-up, expired, blocked and inactive
//! addresses; a packet mark for fair use), the NAT that lets the hotspot out, and the walled
//! garden the worker keeps (the portal and the payment provider).

use std::collections::BTreeSet;

use serde::Serialize;
use utoipa::ToSchema;

use super::Admin;
use crate::domain::AccessStatus;
use crate::router::RouterError;
use crate::router::ops::setup::WALLED_GARDEN;
use crate::router::rows::{Row, field};

const FILTER: &str = "/ip/firewall/filter";
const NAT: &str = "/ip/firewall/nat";
const MANGLE: &str = "/ip/firewall/mangle";
const RAW: &str = "/ip/firewall/raw";
const SERVERS: &str = "/ip/hotspot";
const PROFILES: &str = "/ip/hotspot/user/profile";

/// One thing checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Check {
    pub label: String,
    pub found: bool,
    /// The RouterOS line that adds it (the operator's to run; the worker keeps the walled
    /// garden itself).
    pub fix: String,
    /// The menu and attributes of that line, for tools.
    pub menu: &'static str,
    #[schema(value_type = Vec<Vec<String>>)]
    pub add: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouterCheck {
    pub checks: Vec<Check>,
    pub total_filter_rules: usize,
    pub total_raw_rules: usize,
}

impl RouterCheck {
    pub fn all_found(&self) -> bool {
        self.checks.iter().all(|c| c.found)
    }
}

fn active(rows: &[Row]) -> impl Iterator<Item = &Row> {
    rows.iter().filter(|r| field(r, "disabled") != Some("true") && field(r, "invalid") != Some("true"))
}

fn matches(r: &Row, want: &[(&str, &[&str])]) -> bool {
    want.iter().all(|(k, vs)| field(r, k).is_some_and(|v| vs.contains(&v)))
}

fn line(menu: &str, add: &[(String, String)]) -> String {
    let attrs: Vec<String> =
        add.iter().map(|(k, v)| if v.contains(' ') { format!("{k}=\"{v}\"") } else { format!("{k}={v}") }).collect();
    // `/ip/firewall/filter` is written `/ip firewall filter` on the command line.
    format!("/{} add {}", menu.trim_start_matches('/').replace('/', " "), attrs.join(" "))
}

fn check(label: String, found: bool, menu: &'static str, add: Vec<(&str, String)>) -> Check {
    let add: Vec<(String, String)> = add.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Check { fix: line(menu, &add), label, found, menu, add }
}

impl Admin {
    /// Reads the router's setup and checks it against the policy; `None` without a router.
    pub async fn router_check(&self) -> Result<Option<RouterCheck>, RouterError> {
        let Some(ops) = self.devices.router.as_ref() else { return Ok(None) };
        let (servers, profiles, filter) =
            tokio::try_join!(ops.rows_of(SERVERS), ops.rows_of(PROFILES), ops.rows_of(FILTER))?;
        let (nat, mangle, raw) = tokio::try_join!(ops.rows_of(NAT), ops.rows_of(MANGLE), ops.rows_of(RAW))?;
        let garden = ops.rows_of(WALLED_GARDEN).await?;
        let policy = self.runtime.policy();
        let server = ops.managed.server.clone();
        let mut checks = Vec::new();
        let has_server = active(&servers).any(|r| field(r, "name") == Some(server.as_str()));
        let add =
            vec![("name", server.clone()), ("interface", "bridge-hotspot".into()), ("address-pool", "hs-pool".into())];
        checks.push(check(format!("hotspot server {server}"), has_server, SERVERS, add));

        let names: BTreeSet<&str> =
            AccessStatus::ALL.iter().map(|s| policy.profile(*s)).filter(|p| !p.is_empty()).collect();
        for name in names {
            let found = profiles.iter().any(|r| field(r, "name") == Some(name));
            checks.push(check(
                format!("hotspot user profile {name}"),
                found,
                PROFILES,
                vec![("name", name.to_owned())],
            ));
        }
        let comment = ops.managed.comment("policy");
        for status in [AccessStatus::Habis, AccessStatus::Expired, AccessStatus::Blocked, AccessStatus::Inactive] {
            let list = policy.list(status).to_owned();
            let found = active(&filter).any(|r| {
                matches(
                    r,
                    &[("chain", &["forward"]), ("action", &["drop", "reject"]), ("src-address-list", &[list.as_str()])],
                )
            });
            let add = vec![
                ("chain", "forward".into()),
                ("src-address-list", list.clone()),
                ("action", "reject".into()),
                ("comment", comment.clone()),
            ];
            checks.push(check(format!("filter/forward reject src={list}"), found, FILTER, add));
        }
        let fup = policy.list(AccessStatus::Fup).to_owned();
        let found = active(&mangle).any(|r| {
            matches(r, &[("src-address-list", &[fup.as_str()]), ("action", &["mark-packet", "mark-connection"])])
        });
        let add = vec![
            ("chain", "forward".into()),
            ("src-address-list", fup.clone()),
            ("action", "mark-packet".into()),
            ("new-packet-mark", "hotspot-fup".into()),
            ("passthrough", "no".into()),
            ("comment", comment.clone()),
        ];
        checks.push(check(format!("mangle/forward mark-packet src={fup} (queue it)"), found, MANGLE, add));
        let found = active(&nat).any(|r| matches(r, &[("chain", &["srcnat"]), ("action", &["masquerade"])]));
        let add = vec![("chain", "srcnat".into()), ("action", "masquerade".into()), ("comment", comment.clone())];
        checks.push(check("nat/srcnat masquerade".into(), found, NAT, add));
        for host in self.settings.walled_garden_hosts() {
            let found = active(&garden).any(|r| field(r, "dst-host") == Some(host.as_str()));
            let add = vec![
                ("dst-host", host.clone()),
                ("action", "allow".into()),
                ("comment", ops.managed.comment("walled-garden")),
            ];
            checks.push(check(format!("walled garden {host} (kept by the worker)"), found, WALLED_GARDEN, add));
        }
        Ok(Some(RouterCheck {
            checks,
            total_filter_rules: active(&filter).count(),
            total_raw_rules: active(&raw).count(),
        }))
    }
}
