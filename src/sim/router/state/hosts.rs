//! The hotspot's hosts: a device the router sees, its counters, and its properties as
//! RouterOS prints them.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use crate::domain::MacAddress;
use crate::router::values::format_duration;

/// A device the hotspot sees. Counters are u64 and grow with simulated time.
#[derive(Debug, Clone)]
pub struct Host {
    pub id: u32,
    pub mac: MacAddress,
    pub address: Ipv4Addr,
    pub server: String,
    pub uptime: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub packets_in: u64,
    pub packets_out: u64,
    /// Bytes per simulated second, fixed per host (derived from the seed and the MAC).
    pub rate_in: u64,
    pub rate_out: u64,
    pub found_by: &'static str,
    /// Seconds since it last moved a byte.
    pub idle: u64,
}

impl Host {
    pub fn total(&self) -> u64 {
        self.bytes_in + self.bytes_out
    }
}

pub fn format_id(id: u32) -> String {
    format!("*{id:X}")
}

pub fn parse_id(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix('*')?, 16).ok()
}

/// Reads one property of a host as RouterOS prints it.
pub struct HostView<'a> {
    pub host: &'a Host,
    pub binding: Option<&'a str>,
    pub active: bool,
}

pub const HOST_PROPS: &[&str] = &[
    ".id",
    "mac-address",
    "address",
    "to-address",
    "server",
    "uptime",
    "idle-time",
    "idle-timeout",
    "keepalive-timeout",
    "host-dead-time",
    "bytes-in",
    "bytes-out",
    "packets-in",
    "packets-out",
    "found-by",
    "static",
    "DHCP",
    "dynamic",
    "authorized",
    "bypassed",
    "blocked",
];

impl HostView<'_> {
    pub fn get(&self, key: &str) -> Option<Cow<'_, str>> {
        let h = self.host;
        Some(match key {
            ".id" => Cow::Owned(format_id(h.id)),
            "mac-address" => Cow::Owned(h.mac.canonical()),
            "address" | "to-address" => Cow::Owned(h.address.to_string()),
            "server" => Cow::Borrowed(h.server.as_str()),
            "uptime" => Cow::Owned(format_duration(h.uptime)),
            "idle-time" => Cow::Owned(format_duration(h.idle)),
            "idle-timeout" => Cow::Borrowed("5m"),
            "keepalive-timeout" => Cow::Borrowed("none"),
            "host-dead-time" => Cow::Borrowed("0s"),
            "bytes-in" => Cow::Owned(h.bytes_in.to_string()),
            "bytes-out" => Cow::Owned(h.bytes_out.to_string()),
            "packets-in" => Cow::Owned(h.packets_in.to_string()),
            "packets-out" => Cow::Owned(h.packets_out.to_string()),
            "found-by" => Cow::Borrowed(h.found_by),
            "static" => Cow::Borrowed("false"),
            "DHCP" | "dynamic" => Cow::Borrowed("true"),
            "authorized" => {
                Cow::Borrowed(if self.active || self.binding == Some("bypassed") { "true" } else { "false" })
            }
            "bypassed" => Cow::Borrowed(if self.binding == Some("bypassed") { "true" } else { "false" }),
            "blocked" => Cow::Borrowed(if self.binding == Some("blocked") { "true" } else { "false" }),
            _ => return None,
        })
    }
}

/// The MAC and IP of the `i`-th seeded host (`seed N`, `--seed-hosts N`): deterministic, so a
/// benchmark can put the same devices in its database.
pub fn seeded_host(i: usize) -> (MacAddress, Ipv4Addr) {
    let n = i as u32;
    let mac = MacAddress::from_octets([0x02, 0x5E, (n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    (mac, Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 5, 0, 10)).wrapping_add(n)))
}
