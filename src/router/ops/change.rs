//! One router write, as the sync or a flow plans it; each is one API command.

use std::net::IpAddr;

use super::{ADDRESS_LIST, DHCP_LEASE, HOTSPOT_USER, IP_BINDING};
use crate::domain::MacAddress;
use crate::router::command::Command;
use crate::router::rows::BindingType;

/// One router write, as planned by the sync or a flow. Applied pipelined by [`Ops::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddBinding {
        mac: MacAddress,
        kind: BindingType,
        comment: String,
    },
    SetBinding {
        id: String,
        kind: BindingType,
    },
    AddListEntry {
        list: String,
        address: String,
        comment: String,
    },
    SetUserProfile {
        id: String,
        profile: String,
    },
    /// A static DHCP lease pinning a MAC to an address on a DHCP server.
    AddLease {
        mac: MacAddress,
        address: IpAddr,
        server: String,
        comment: String,
    },
    SetLeaseAddress {
        id: String,
        address: IpAddr,
    },
    Remove {
        menu: &'static str,
        id: String,
    },
}

impl Change {
    /// What the change is, for a cycle's stored errors: its kind and the entry's id, never a
    /// MAC, address or list entry's address in clear.
    pub fn label(&self) -> String {
        match self {
            Change::AddBinding { mac, .. } => format!("add binding for {mac}"),
            Change::SetBinding { id, .. } => format!("set binding {id}"),
            Change::AddListEntry { list, .. } => format!("add an entry to {list}"),
            Change::SetUserProfile { id, .. } => format!("set hotspot user {id}"),
            Change::AddLease { mac, .. } => format!("add a lease for {mac}"),
            Change::SetLeaseAddress { id, .. } => format!("move lease {id}"),
            Change::Remove { menu, id } => format!("remove {menu} {id}"),
        }
    }

    pub(super) fn command(&self, server: &str) -> Command {
        match self {
            Change::AddBinding { mac, kind, comment } => Command::new(format!("{IP_BINDING}/add"))
                .attr("mac-address", mac.canonical())
                .attr("type", kind.as_str())
                .attr("server", server)
                .attr("comment", comment.as_str()),
            Change::SetBinding { id, kind } => Command::new(format!("{IP_BINDING}/set"))
                .attr(".id", id.as_str())
                .attr("type", kind.as_str())
                .idempotent(true),
            Change::AddListEntry { list, address, comment } => Command::new(format!("{ADDRESS_LIST}/add"))
                .attr("list", list.as_str())
                .attr("address", address.as_str())
                .attr("comment", comment.as_str()),
            Change::SetUserProfile { id, profile } => Command::new(format!("{HOTSPOT_USER}/set"))
                .attr(".id", id.as_str())
                .attr("profile", profile.as_str())
                .idempotent(true),
            Change::AddLease { mac, address, server, comment } => Command::new(format!("{DHCP_LEASE}/add"))
                .attr("mac-address", mac.canonical())
                .attr("address", address.to_string())
                .attr("server", server.as_str())
                .attr("comment", comment.as_str()),
            Change::SetLeaseAddress { id, address } => Command::new(format!("{DHCP_LEASE}/set"))
                .attr(".id", id.as_str())
                .attr("address", address.to_string())
                .idempotent(true),
            Change::Remove { menu, id } => Command::new(format!("{menu}/remove")).attr(".id", id.as_str()),
        }
    }
}
