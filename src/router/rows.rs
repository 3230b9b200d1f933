//! Typed rows parsed from RouterOS replies.

use std::collections::HashMap;
use std::net::IpAddr;

use super::values::{parse_bool, parse_duration_secs};
use crate::domain::MacAddress;

/// One `!re` sentence as mikrotik-rs hands it over: property → value (`None` for an empty
/// value). Kept as is: copying 50,000 host rows into another map costs more than parsing them.
pub type Row = HashMap<String, Option<String>>;

/// A property's value; an empty value reads as `""`, a missing property as `None`.
pub fn field<'a>(row: &'a Row, k: &str) -> Option<&'a str> {
    row.get(k).map(|v| v.as_deref().unwrap_or(""))
}

fn get<'a>(row: &'a Row, k: &str) -> Option<&'a str> {
    field(row, k)
}

fn flag(row: &Row, k: &str) -> bool {
    get(row, k).and_then(parse_bool).unwrap_or(false)
}

fn counter(row: &Row, k: &str) -> u64 {
    get(row, k).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn mac(row: &Row) -> Option<MacAddress> {
    get(row, "mac-address").and_then(|m| MacAddress::parse(m).ok())
}

fn ip(row: &Row, k: &str) -> Option<IpAddr> {
    get(row, k).and_then(|a| a.parse().ok()).filter(|a: &IpAddr| !a.is_unspecified())
}

/// The ip-binding types are the policy's words (the domain owns the status → binding rule).
pub use crate::domain::policy::BindingType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRow {
    pub id: String,
    pub mac: MacAddress,
    pub address: Option<IpAddr>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// `None` when the router gave none that parses: such a row charges nothing (an uptime
    /// read as 0 would look like a restart and charge the whole counter again).
    pub uptime_secs: Option<u64>,
    /// Read only with [`HOST_STATE_PROPLIST`] (a site's housekeeping needs them).
    pub authorized: bool,
    pub bypassed: bool,
    pub idle_secs: Option<u64>,
}

/// The properties the sync reads from hosts; nothing else is asked for.
pub const HOST_PROPLIST: &[&str] = &[".id", "mac-address", "address", "bytes-in", "bytes-out", "uptime"];
/// With the flags and idle time housekeeping reads.
pub const HOST_STATE_PROPLIST: &[&str] =
    &[".id", "mac-address", "address", "bytes-in", "bytes-out", "uptime", "authorized", "bypassed", "idle-time"];

impl HostRow {
    pub fn parse(row: &Row) -> Option<Self> {
        Some(Self {
            id: get(row, ".id")?.to_owned(),
            mac: mac(row)?,
            address: ip(row, "address"),
            bytes_in: counter(row, "bytes-in"),
            bytes_out: counter(row, "bytes-out"),
            uptime_secs: get(row, "uptime").and_then(parse_duration_secs),
            authorized: flag(row, "authorized"),
            bypassed: flag(row, "bypassed"),
            idle_secs: get(row, "idle-time").and_then(parse_duration_secs),
        })
    }

    pub fn total_bytes(&self) -> u64 {
        self.bytes_in.saturating_add(self.bytes_out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRow {
    pub id: String,
    pub mac: Option<MacAddress>,
    pub kind: BindingType,
    pub server: Option<String>,
    pub comment: Option<String>,
    pub disabled: bool,
}

pub const BINDING_PROPLIST: &[&str] = &[".id", "mac-address", "type", "server", "comment", "disabled"];

impl BindingRow {
    pub fn parse(row: &Row) -> Option<Self> {
        Some(Self {
            id: get(row, ".id")?.to_owned(),
            mac: mac(row),
            // Omitted type is regular; 6.x prints flags instead of `type`.
            kind: get(row, "type").and_then(BindingType::parse).unwrap_or(if flag(row, "bypassed") {
                BindingType::Bypassed
            } else if flag(row, "blocked") {
                BindingType::Blocked
            } else {
                BindingType::Regular
            }),
            server: get(row, "server").map(str::to_owned),
            comment: get(row, "comment").filter(|c| !c.is_empty()).map(str::to_owned),
            disabled: flag(row, "disabled"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressListRow {
    pub id: String,
    pub list: String,
    pub address: String,
    pub comment: Option<String>,
    pub dynamic: bool,
}

pub const ADDRESS_LIST_PROPLIST: &[&str] = &[".id", "list", "address", "comment", "dynamic"];

impl AddressListRow {
    pub fn parse(row: &Row) -> Option<Self> {
        Some(Self {
            id: get(row, ".id")?.to_owned(),
            list: get(row, "list")?.to_owned(),
            address: get(row, "address")?.to_owned(),
            comment: get(row, "comment").filter(|c| !c.is_empty()).map(str::to_owned),
            dynamic: flag(row, "dynamic"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotspotUserRow {
    pub id: String,
    pub name: String,
    pub profile: Option<String>,
    pub comment: Option<String>,
}

pub const HOTSPOT_USER_PROPLIST: &[&str] = &[".id", "name", "profile", "comment"];

impl HotspotUserRow {
    pub fn parse(row: &Row) -> Option<Self> {
        Some(Self {
            id: get(row, ".id")?.to_owned(),
            name: get(row, "name")?.to_owned(),
            profile: get(row, "profile").map(str::to_owned),
            comment: get(row, "comment").filter(|c| !c.is_empty()).map(str::to_owned),
        })
    }
}

/// A DHCP lease (`/ip/dhcp-server/lease`), as housekeeping reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub id: String,
    pub mac: Option<MacAddress>,
    pub address: Option<IpAddr>,
    pub server: String,
    pub dynamic: bool,
    pub comment: Option<String>,
}

pub const LEASE_PROPLIST: &[&str] = &[".id", "mac-address", "address", "server", "dynamic", "comment"];

impl LeaseRow {
    pub fn parse(row: &Row) -> Option<Self> {
        Some(Self {
            id: get(row, ".id")?.to_owned(),
            mac: mac(row),
            address: ip(row, "address"),
            server: get(row, "server").unwrap_or("").to_owned(),
            dynamic: flag(row, "dynamic"),
            comment: get(row, "comment").filter(|c| !c.is_empty()).map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned()))).collect()
    }

    #[test]
    fn host_rows_parse_64_bit_counters_and_durations() {
        let r = row(&[
            (".id", "*80000001"),
            ("mac-address", "34:12:F9:8A:21:4C"),
            ("address", "10.5.50.10"),
            ("bytes-in", "8589934592"),
            ("bytes-out", "4096"),
            ("uptime", "1d2h3m4s"),
            ("bypassed", "true"),
        ]);
        let h = HostRow::parse(&r).unwrap();
        assert_eq!(h.bytes_in, 8_589_934_592);
        assert_eq!(h.total_bytes(), 8_589_938_688);
        assert_eq!(h.uptime_secs, Some(93_784));
        assert!(HostRow::parse(&row(&[(".id", "*1")])).is_none(), "a host without a MAC is useless");
    }

    #[test]
    fn binding_type_from_type_or_flags() {
        let cases = [
            (row(&[(".id", "*1"), ("type", "bypassed")]), BindingType::Bypassed),
            (row(&[(".id", "*1")]), BindingType::Regular),
            (row(&[(".id", "*1"), ("blocked", "true")]), BindingType::Blocked),
            (row(&[(".id", "*1"), ("bypassed", "yes")]), BindingType::Bypassed),
        ];
        for (r, want) in cases {
            assert_eq!(BindingRow::parse(&r).unwrap().kind, want);
        }
    }
}
