//! Hotspot operations on one router. Entries we manage carry our comment prefix; entries without
//! it belong to the operator and are never changed or removed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;

use super::client::RouterClient;
use super::command::{Command, Query};
use super::error::RouterError;
use super::rows::{
    ADDRESS_LIST_PROPLIST, AddressListRow, BINDING_PROPLIST, BindingRow, BindingType, HOST_PROPLIST,
    HOST_STATE_PROPLIST, HOTSPOT_USER_PROPLIST, HostRow, HotspotUserRow, LEASE_PROPLIST, LeaseRow, field,
};
use crate::domain::{ClientIp, MacAddress};

pub const IP_BINDING: &str = "/ip/hotspot/ip-binding";
pub const ADDRESS_LIST: &str = "/ip/firewall/address-list";
pub const HOTSPOT_USER: &str = "/ip/hotspot/user";
pub const HOST: &str = "/ip/hotspot/host";
pub const ACTIVE: &str = "/ip/hotspot/active";
pub const DHCP_LEASE: &str = "/ip/dhcp-server/lease";
pub const DHCP_SERVER: &str = "/ip/dhcp-server";

mod change;
mod hosts;
mod logins;
pub mod setup;
pub use change::Change;
pub use logins::ActiveLogin;

/// What we own on the router: the comment prefix, the status address-lists, the hotspot server.
#[derive(Debug, Clone, Default)]
pub struct Managed {
    pub comment_prefix: String,
    /// Every status list we manage (an IP is on at most one of them).
    pub status_lists: Vec<String>,
    pub server: String,
}

impl Managed {
    pub fn comment(&self, label: &str) -> String {
        format!("{}{}", self.comment_prefix, label)
    }

    pub fn owns(&self, comment: Option<&str>) -> bool {
        comment.is_some_and(|c| c.starts_with(&self.comment_prefix))
    }
}

/// Where the router said a MAC for an IP came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MacSource {
    Host,
    Arp,
    Dhcp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upsert {
    /// Added. The new `.id` is not fetched (mikrotik-rs drops `=ret=` and a re-print costs a
    /// round trip); [`Ops::bindings_for`] finds it when needed.
    Created,
    Updated {
        id: String,
    },
    Unchanged {
        id: String,
    },
    /// An operator's own entry exists for this key; we left it alone.
    OperatorOwned,
}

#[derive(Debug, Default)]
pub struct ApplyReport {
    pub applied: usize,
    pub failed: Vec<(Change, RouterError)>,
}

/// A consistent-enough picture of one router for the sync.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    pub hosts: Vec<HostRow>,
    pub bindings: Vec<BindingRow>,
    pub list_entries: Vec<AddressListRow>,
    pub users: Vec<HotspotUserRow>,
    /// Read only when a site's housekeeping pins leases, with the names of its DHCP servers.
    pub leases: Vec<LeaseRow>,
    pub dhcp_servers: Vec<String>,
}

/// What a snapshot reads beyond what every cycle does (a site's housekeeping).
#[derive(Debug, Clone, Default)]
pub struct SnapshotWants {
    /// Hosts' flags and idle time.
    pub host_state: bool,
    /// Every DHCP lease.
    pub leases: bool,
    /// Address lists read beside the status lists.
    pub lists: Vec<String>,
}

#[derive(Clone)]
pub struct Ops {
    pub client: RouterClient,
    pub managed: Managed,
    /// Row counts of the last snapshot (hosts, bindings, list entries, users).
    last_sizes: Arc<[AtomicUsize; 4]>,
}

/// Room to reserve for a print that returned `last` rows the time before: a little over, so a
/// slowly growing hotspot still fills its vector without a reallocation.
fn expected_rows(last: &AtomicUsize) -> usize {
    let last = last.load(Ordering::Relaxed);
    if last == 0 { 0 } else { last + last / 32 + 64 }
}

pub(super) fn parse_rows<T>(rows: Vec<super::rows::Row>, f: impl Fn(&super::rows::Row) -> Option<T>) -> Vec<T> {
    rows.iter().filter_map(f).collect()
}

impl Ops {
    pub fn new(client: RouterClient, managed: Managed) -> Self {
        Self { client, managed, last_sizes: Arc::default() }
    }

    /// One cheap command: is the router there and answering?
    pub async fn ping(&self) -> Result<(), RouterError> {
        self.client.run(&Command::new("/system/identity/print")).await.map(|_| ())
    }

    /// The router is the authority on which device holds an IP: hotspot host, then ARP, then
    /// DHCP leases.
    pub async fn mac_for_ip(&self, ip: &ClientIp) -> Result<Option<(MacAddress, MacSource)>, RouterError> {
        let addr = ip.as_text();
        let hosts = self
            .client
            .run(&Command::new(format!("{HOST}/print")).proplist(&["mac-address"]).query_eq("address", addr.as_str()))
            .await?;
        if let Some(mac) = first_mac(&hosts) {
            return Ok(Some((mac, MacSource::Host)));
        }
        let arp = self
            .client
            .run(
                &Command::new("/ip/arp/print")
                    .proplist(&["mac-address", "status", "invalid"])
                    .query_eq("address", addr.as_str()),
            )
            .await?;
        let usable = arp.into_iter().filter(|r| {
            field(r, "invalid") != Some("true") && !matches!(field(r, "status"), Some("failed" | "incomplete"))
        });
        if let Some(mac) = first_mac(&usable.collect::<Vec<_>>()) {
            return Ok(Some((mac, MacSource::Arp)));
        }
        let leases = self
            .client
            .run(
                &Command::new(format!("{DHCP_LEASE}/print"))
                    .proplist(&["mac-address", "active-mac-address", "status"])
                    .query_eq("address", addr.as_str())
                    .query_eq("active-address", addr.as_str())
                    .query(Query::Or),
            )
            .await?;
        let mac = leases.iter().find_map(|r| {
            field(r, "active-mac-address").or_else(|| field(r, "mac-address")).and_then(|m| MacAddress::parse(m).ok())
        });
        Ok(mac.map(|m| (m, MacSource::Dhcp)))
    }

    pub async fn bindings_for(&self, mac: &MacAddress) -> Result<Vec<BindingRow>, RouterError> {
        let rows = self
            .client
            .run(
                &Command::new(format!("{IP_BINDING}/print"))
                    .proplist(BINDING_PROPLIST)
                    .query_eq("mac-address", mac.canonical()),
            )
            .await?;
        Ok(parse_rows(rows, BindingRow::parse))
    }

    /// Exactly one managed MAC-only ip-binding for `mac`, with this type and comment.
    pub async fn upsert_binding(
        &self,
        mac: &MacAddress,
        kind: BindingType,
        label: &str,
    ) -> Result<Upsert, RouterError> {
        let comment = self.managed.comment(label);
        let rows = self.bindings_for(mac).await?;
        if rows.iter().any(|b| !self.managed.owns(b.comment.as_deref())) {
            return Ok(Upsert::OperatorOwned);
        }
        let mut ours = rows.into_iter();
        let Some(keep) = ours.next() else {
            let add = Change::AddBinding { mac: *mac, kind, comment };
            match self.client.run(&add.command(&self.managed.server)).await {
                Ok(_) => {}
                Err(e) if e.is_duplicate() => {}
                Err(e) => return Err(e),
            }
            return Ok(Upsert::Created);
        };
        // Duplicates of ours (a crash between add and record, an old bug) go.
        for extra in ours {
            self.remove_by_id(IP_BINDING, &extra.id).await?;
        }
        let same = keep.kind == kind
            && keep.comment.as_deref() == Some(comment.as_str())
            && !keep.disabled
            && keep.server.as_deref() == Some(self.managed.server.as_str());
        if same {
            return Ok(Upsert::Unchanged { id: keep.id });
        }
        self.client
            .run(
                &Command::new(format!("{IP_BINDING}/set"))
                    .attr(".id", keep.id.as_str())
                    .attr("type", kind.as_str())
                    .attr("server", self.managed.server.as_str())
                    .attr("comment", comment.as_str())
                    .attr("disabled", "false")
                    .idempotent(true),
            )
            .await?;
        Ok(Upsert::Updated { id: keep.id })
    }

    /// Removes our bindings for `mac`; returns how many.
    pub async fn remove_binding(&self, mac: &MacAddress) -> Result<usize, RouterError> {
        let ours: Vec<BindingRow> =
            self.bindings_for(mac).await?.into_iter().filter(|b| self.managed.owns(b.comment.as_deref())).collect();
        for b in &ours {
            self.remove_by_id(IP_BINDING, &b.id).await?;
        }
        Ok(ours.len())
    }

    async fn remove_by_id(&self, menu: &'static str, id: &str) -> Result<(), RouterError> {
        match self.client.run(&Change::Remove { menu, id: id.to_owned() }.command(&self.managed.server)).await {
            // Already gone is what we wanted.
            Err(e) if e.is_no_such_item() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    pub async fn list_entries_for(&self, ip: &str) -> Result<Vec<AddressListRow>, RouterError> {
        let rows = self
            .client
            .run(&Command::new(format!("{ADDRESS_LIST}/print")).proplist(ADDRESS_LIST_PROPLIST).query_eq("address", ip))
            .await?;
        Ok(parse_rows(rows, AddressListRow::parse))
    }

    fn is_managed_entry(&self, e: &AddressListRow) -> bool {
        self.managed.owns(e.comment.as_deref()) && self.managed.status_lists.contains(&e.list)
    }

    /// Puts `ip` on `target` (one of the status lists) and takes it off the other status lists;
    /// `None` takes it off all of them.
    pub async fn place_in_status_list(
        &self,
        ip: &ClientIp,
        target: Option<&str>,
        label: &str,
    ) -> Result<(), RouterError> {
        let addr = ip.as_text();
        let entries = self.list_entries_for(&addr).await?;
        let mut present = false;
        for e in &entries {
            if Some(e.list.as_str()) == target {
                // Ours or the operator's: either way the IP is on the list.
                present = true;
            } else if self.is_managed_entry(e) {
                self.remove_by_id(ADDRESS_LIST, &e.id).await?;
            }
        }
        if let (Some(list), false) = (target, present) {
            let add =
                Change::AddListEntry { list: list.to_owned(), address: addr, comment: self.managed.comment(label) };
            match self.client.run(&add.command(&self.managed.server)).await {
                Err(e) if e.is_duplicate() => {}
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    /// Hosts (minimal proplist), all bindings, the entries of our status lists and our hotspot
    /// users, fetched concurrently over the one connection.
    pub async fn snapshot(&self) -> Result<Snapshot, RouterError> {
        self.snapshot_with(&SnapshotWants::default()).await
    }

    /// A snapshot with what `wants` adds.
    pub async fn snapshot_with(&self, wants: &SnapshotWants) -> Result<Snapshot, RouterError> {
        let host_props = if wants.host_state { HOST_STATE_PROPLIST } else { HOST_PROPLIST };
        let hosts = Command::new(format!("{HOST}/print")).proplist(host_props);
        let bindings = Command::new(format!("{IP_BINDING}/print")).proplist(BINDING_PROPLIST);
        let mut lists = Command::new(format!("{ADDRESS_LIST}/print")).proplist(ADDRESS_LIST_PROPLIST);
        for (i, l) in self.managed.status_lists.iter().chain(&wants.lists).enumerate() {
            lists = lists.query_eq("list", l.as_str());
            if i > 0 {
                lists = lists.query(Query::Or);
            }
        }
        let users = Command::new(format!("{HOTSPOT_USER}/print")).proplist(HOTSPOT_USER_PROPLIST);
        // Typed as each reply arrives: the raw rows of a large hotspot are never all held at once.
        let sizes = &self.last_sizes;
        let leases = async {
            if !wants.leases {
                return Ok((Vec::new(), Vec::new()));
            }
            let print = Command::new(format!("{DHCP_LEASE}/print")).proplist(LEASE_PROPLIST);
            let servers = Command::new(format!("{DHCP_SERVER}/print")).proplist(&["name"]);
            let (l, s) = tokio::join!(
                self.client.run_map_sized(&print, 0, |r| LeaseRow::parse(&r)),
                self.client.run_map_sized(&servers, 0, |r| field(&r, "name").map(str::to_owned))
            );
            Ok::<_, RouterError>((l?, s?))
        };
        let (h, b, l, u, d) = tokio::join!(
            self.client.run_map_sized(&hosts, expected_rows(&sizes[0]), |r| HostRow::parse(&r)),
            self.client.run_map_sized(&bindings, expected_rows(&sizes[1]), |r| BindingRow::parse(&r)),
            self.client.run_map_sized(&lists, expected_rows(&sizes[2]), |r| AddressListRow::parse(&r)),
            self.client.run_map_sized(&users, expected_rows(&sizes[3]), |r| HotspotUserRow::parse(&r)),
            leases
        );
        let (leases, dhcp_servers) = d?;
        let snapshot = Snapshot { hosts: h?, bindings: b?, list_entries: l?, users: u?, leases, dhcp_servers };
        let counts = [snapshot.hosts.len(), snapshot.bindings.len(), snapshot.list_entries.len(), snapshot.users.len()];
        for (slot, n) in sizes.iter().zip(counts) {
            slot.store(n, Ordering::Relaxed);
        }
        Ok(snapshot)
    }

    /// Applies a batch of writes as pipelined tagged commands (bounded by the client's in-flight
    /// limit). Adds that already exist and removes of what is already gone count as applied.
    pub async fn apply(&self, changes: Vec<Change>) -> ApplyReport {
        self.apply_counting(changes, &AtomicUsize::new(0)).await
    }

    /// Like [`Ops::apply`], counting each answered write in `done` as it lands (a long write-out's
    /// progress, read by whoever reports it).
    pub async fn apply_counting(&self, changes: Vec<Change>, done: &AtomicUsize) -> ApplyReport {
        let server = self.managed.server.clone();
        let concurrency = self.client.config().max_in_flight.max(1);
        let results: Vec<(Change, Result<(), RouterError>)> = futures_util::stream::iter(changes)
            .map(|c| {
                let cmd = c.command(&server);
                let client = self.client.clone();
                async move {
                    let r = match client.run(&cmd).await {
                        Ok(_) => Ok(()),
                        Err(e) if e.is_duplicate() || e.is_no_such_item() => Ok(()),
                        Err(e) => Err(e),
                    };
                    done.fetch_add(1, Ordering::Relaxed);
                    (c, r)
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let mut report = ApplyReport::default();
        for (c, r) in results {
            match r {
                Ok(()) => report.applied += 1,
                Err(e) => report.failed.push((c, e)),
            }
        }
        report
    }

    /// The status lists and comment-owned entries for an IP that are ours (for reset/logout).
    pub async fn remove_from_status_lists(&self, ip: &ClientIp) -> Result<(), RouterError> {
        self.place_in_status_list(ip, None, "").await
    }
}

fn first_mac(rows: &[super::rows::Row]) -> Option<MacAddress> {
    rows.iter().find_map(|r| field(r, "mac-address").and_then(|m| MacAddress::parse(m).ok()))
}
