//! The simulated router's state: generic menus (rows of attributes), the hotspot host population
//! with counters that grow over simulated time, and reboots.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use crate::domain::MacAddress;
use crate::router::values::format_duration;

/// Static description of a generic menu.
pub struct MenuSpec {
    pub path: &'static str,
    pub settable: &'static [&'static str],
    pub required: &'static [&'static str],
    pub defaults: &'static [(&'static str, &'static str)],
    /// Attributes whose combination must be unique, and the trap message when it is not.
    pub unique: Option<(&'static [&'static str], &'static str)>,
    /// Commands besides print/add/set/remove/enable/disable/comment.
    pub extra: &'static [&'static str],
    pub can_add: bool,
}

pub const IP_BINDING: &str = "/ip/hotspot/ip-binding";
pub const ADDRESS_LIST: &str = "/ip/firewall/address-list";
pub const HOTSPOT_USER: &str = "/ip/hotspot/user";
pub const USER_PROFILE: &str = "/ip/hotspot/user/profile";
pub const ACTIVE: &str = "/ip/hotspot/active";
pub const ARP: &str = "/ip/arp";
pub const DHCP_LEASE: &str = "/ip/dhcp-server/lease";
pub const WALLED_GARDEN_IP: &str = "/ip/hotspot/walled-garden/ip";
pub const HOST: &str = "/ip/hotspot/host";

pub const MENUS: &[MenuSpec] = &[
    MenuSpec {
        path: IP_BINDING,
        settable: &["mac-address", "address", "to-address", "server", "type", "comment", "disabled"],
        required: &[],
        defaults: &[("server", "all"), ("type", "regular"), ("disabled", "false")],
        unique: None,
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: ADDRESS_LIST,
        settable: &["list", "address", "timeout", "comment", "disabled", "dynamic"],
        required: &["list", "address"],
        defaults: &[("disabled", "false"), ("dynamic", "false")],
        unique: Some((&["list", "address"], "failure: already have such entry")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: HOTSPOT_USER,
        settable: &[
            "server",
            "name",
            "password",
            "otp-secret",
            "address",
            "mac-address",
            "profile",
            "routes",
            "email",
            "limit-uptime",
            "limit-bytes-in",
            "limit-bytes-out",
            "limit-bytes-total",
            "comment",
            "disabled",
        ],
        required: &["name"],
        defaults: &[
            ("server", "all"),
            ("profile", "default"),
            ("disabled", "false"),
            ("uptime", "0s"),
            ("bytes-in", "0"),
            ("bytes-out", "0"),
            ("packets-in", "0"),
            ("packets-out", "0"),
            ("dynamic", "false"),
            ("default", "false"),
        ],
        unique: Some((&["name"], "failure: already have user with this name")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: USER_PROFILE,
        settable: &[
            "name",
            "rate-limit",
            "shared-users",
            "address-list",
            "address-pool",
            "session-timeout",
            "idle-timeout",
            "keepalive-timeout",
            "status-autorefresh",
            "add-mac-cookie",
            "mac-cookie-timeout",
            "parent-queue",
            "queue-type",
            "incoming-filter",
            "outgoing-filter",
            "on-login",
            "on-logout",
            "transparent-proxy",
            "open-status-page",
        ],
        required: &["name"],
        defaults: &[
            ("shared-users", "1"),
            ("idle-timeout", "none"),
            ("keepalive-timeout", "2m"),
            ("status-autorefresh", "1m"),
            ("add-mac-cookie", "true"),
            ("mac-cookie-timeout", "3d"),
            ("transparent-proxy", "false"),
            ("open-status-page", "always"),
            ("default", "false"),
        ],
        unique: Some((&["name"], "failure: already have profile with this name")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: ACTIVE,
        settable: &[],
        required: &[],
        defaults: &[],
        unique: None,
        extra: &["login"],
        can_add: false,
    },
    MenuSpec {
        path: ARP,
        settable: &["address", "mac-address", "interface", "published", "comment", "disabled"],
        required: &["address", "interface"],
        defaults: &[
            ("published", "false"),
            ("disabled", "false"),
            ("dynamic", "false"),
            ("dhcp", "false"),
            ("invalid", "false"),
            ("complete", "true"),
            ("status", "permanent"),
        ],
        unique: None,
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: DHCP_LEASE,
        settable: &[
            "address",
            "mac-address",
            "client-id",
            "server",
            "lease-time",
            "block-access",
            "rate-limit",
            "address-lists",
            "comment",
            "disabled",
        ],
        required: &["address"],
        defaults: &[
            ("disabled", "false"),
            ("dynamic", "false"),
            ("blocked", "false"),
            ("radius", "false"),
            ("status", "waiting"),
            ("last-seen", "never"),
        ],
        unique: None,
        extra: &["make-static", "check-status"],
        can_add: true,
    },
    MenuSpec {
        path: WALLED_GARDEN_IP,
        settable: &[
            "server",
            "src-address",
            "dst-address",
            "dst-host",
            "protocol",
            "dst-port",
            "src-address-list",
            "dst-address-list",
            "action",
            "comment",
            "disabled",
        ],
        required: &[],
        defaults: &[("action", "accept"), ("disabled", "false"), ("invalid", "false")],
        unique: None,
        extra: &[],
        can_add: true,
    },
];

pub fn menu(path: &str) -> Option<&'static MenuSpec> {
    MENUS.iter().find(|m| m.path == path)
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: u32,
    pub attrs: BTreeMap<String, String>,
}

#[derive(Debug, Default, Clone)]
pub struct Table {
    pub next_id: u32,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn find(&self, id: u32) -> Option<usize> {
        self.rows.iter().position(|r| r.id == id)
    }

    pub fn insert(&mut self, attrs: BTreeMap<String, String>) -> u32 {
        self.next_id += 1;
        let id = self.next_id;
        self.rows.push(Row { id, attrs });
        id
    }
}

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

/// Host ids live in RouterOS's runtime range (`*80000001`…), renumbered on reboot.
const HOST_ID_BASE: u32 = 0x8000_0000;

pub struct RouterState {
    pub tables: HashMap<&'static str, Table>,
    pub hosts: Vec<Host>,
    host_by_mac: HashMap<MacAddress, usize>,
    next_host_id: u32,
    pub identity: String,
    /// Simulated seconds since the last boot.
    pub uptime: u64,
    pub boots: u32,
    seed: u64,
    /// Every byte each MAC ever moved, across reboots: the ground truth for quota tests.
    pub lifetime_bytes: HashMap<MacAddress, u64>,
}

/// splitmix64: deterministic per-host rates from the seed.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl RouterState {
    pub fn new(seed: u64) -> Self {
        let mut tables: HashMap<&'static str, Table> = MENUS.iter().map(|m| (m.path, Table::default())).collect();
        if let Some(profiles) = tables.get_mut(USER_PROFILE) {
            let mut attrs = BTreeMap::new();
            for (k, v) in menu(USER_PROFILE).map(|m| m.defaults).unwrap_or(&[]) {
                attrs.insert((*k).to_owned(), (*v).to_owned());
            }
            attrs.insert("name".into(), "default".into());
            attrs.insert("default".into(), "true".into());
            profiles.insert(attrs);
        }
        Self {
            tables,
            hosts: Vec::new(),
            host_by_mac: HashMap::new(),
            next_host_id: HOST_ID_BASE,
            identity: "MikroTik".into(),
            uptime: 0,
            boots: 1,
            seed,
            lifetime_bytes: HashMap::new(),
        }
    }

    pub fn table(&self, path: &str) -> Option<&Table> {
        self.tables.get(path)
    }

    pub fn table_mut(&mut self, path: &str) -> Option<&mut Table> {
        self.tables.get_mut(path)
    }

    /// Adds (or refreshes the address of) a host.
    pub fn add_host(&mut self, mac: MacAddress, address: Ipv4Addr) {
        if let Some(&i) = self.host_by_mac.get(&mac) {
            self.hosts[i].address = address;
            return;
        }
        let r = mix(self.seed
            ^ u64::from_be_bytes([
                0,
                0,
                mac.octets()[0],
                mac.octets()[1],
                mac.octets()[2],
                mac.octets()[3],
                mac.octets()[4],
                mac.octets()[5],
            ]));
        self.next_host_id += 1;
        let host = Host {
            id: self.next_host_id,
            mac,
            address,
            server: "hotspot1".into(),
            uptime: 0,
            bytes_in: 0,
            bytes_out: 0,
            packets_in: 0,
            packets_out: 0,
            // 1 KB/s .. ~64 KB/s down, a quarter of that up.
            rate_in: 1_000 + (r % 63_000),
            rate_out: 250 + ((r >> 20) % 15_750),
            found_by: "DHCP",
        };
        self.host_by_mac.insert(mac, self.hosts.len());
        self.hosts.push(host);
    }

    /// The host leaves: its row disappears (a later return gets a new row id).
    pub fn remove_host(&mut self, mac: &MacAddress) -> bool {
        let Some(i) = self.host_by_mac.remove(mac) else {
            return false;
        };
        self.hosts.swap_remove(i);
        if i < self.hosts.len() {
            let moved = self.hosts[i].mac;
            self.host_by_mac.insert(moved, i);
        }
        true
    }

    pub fn remove_host_by_id(&mut self, id: u32) -> bool {
        match self.hosts.iter().find(|h| h.id == id).map(|h| h.mac) {
            Some(mac) => self.remove_host(&mac),
            None => false,
        }
    }

    pub fn host(&self, mac: &MacAddress) -> Option<&Host> {
        self.host_by_mac.get(mac).map(|&i| &self.hosts[i])
    }

    /// Seeds `n` hosts with deterministic MACs (locally administered) and IPs in 10.5.0.0/16+.
    pub fn seed_hosts(&mut self, n: usize) {
        for i in 0..n {
            let i32 = i as u32;
            let mac = MacAddress::from_octets([
                0x02,
                0x5E,
                (i32 >> 24) as u8,
                (i32 >> 16) as u8,
                (i32 >> 8) as u8,
                i32 as u8,
            ]);
            let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 5, 0, 10)) + i32);
            self.add_host(mac, ip);
        }
    }

    /// Simulated time passes: every host moves its bytes.
    pub fn advance(&mut self, secs: u64) {
        self.uptime += secs;
        for h in &mut self.hosts {
            let din = h.rate_in * secs;
            let dout = h.rate_out * secs;
            h.bytes_in += din;
            h.bytes_out += dout;
            h.packets_in += din / 1_000 + u64::from(din > 0);
            h.packets_out += dout / 1_000 + u64::from(dout > 0);
            h.uptime += secs;
            *self.lifetime_bytes.entry(h.mac).or_insert(0) += din + dout;
        }
    }

    /// A reboot: counters and uptimes restart at zero, host rows get new ids, dynamic entries
    /// and sessions are gone; static configuration stays.
    pub fn reboot(&mut self) {
        self.uptime = 0;
        self.boots += 1;
        // Jump the id space so no id from before the reboot is reused.
        self.next_host_id = HOST_ID_BASE + (self.boots << 20);
        for h in &mut self.hosts {
            self.next_host_id += 1;
            h.id = self.next_host_id;
            h.uptime = 0;
            h.bytes_in = 0;
            h.bytes_out = 0;
            h.packets_in = 0;
            h.packets_out = 0;
        }
        if let Some(t) = self.tables.get_mut(ADDRESS_LIST) {
            t.rows.retain(|r| r.attrs.get("dynamic").map(String::as_str) != Some("true"));
        }
        if let Some(t) = self.tables.get_mut(ACTIVE) {
            t.rows.clear();
        }
    }

    /// The binding type for each MAC (first binding wins, as on RouterOS).
    pub fn binding_types(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        if let Some(t) = self.tables.get(IP_BINDING) {
            for r in &t.rows {
                if r.attrs.get("disabled").map(String::as_str) == Some("true") {
                    continue;
                }
                if let Some(mac) = r.attrs.get("mac-address") {
                    out.entry(mac.clone())
                        .or_insert_with(|| r.attrs.get("type").cloned().unwrap_or_else(|| "regular".into()));
                }
            }
        }
        out
    }

    pub fn active_macs(&self) -> std::collections::HashSet<String> {
        self.tables
            .get(ACTIVE)
            .map(|t| t.rows.iter().filter_map(|r| r.attrs.get("mac-address").cloned()).collect())
            .unwrap_or_default()
    }
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
            "idle-time" => Cow::Borrowed("0s"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_grow_and_reboot_resets_with_new_ids() {
        let mut s = RouterState::new(7);
        s.seed_hosts(3);
        let mac = s.hosts[0].mac;
        let id_before = s.hosts[0].id;
        s.advance(10);
        let h = s.host(&mac).unwrap().clone();
        assert_eq!(h.bytes_in, h.rate_in * 10);
        assert_eq!(h.uptime, 10);
        s.reboot();
        let h2 = s.host(&mac).unwrap();
        assert_eq!((h2.bytes_in, h2.bytes_out, h2.uptime), (0, 0, 0));
        assert_ne!(h2.id, id_before);
        s.advance(5);
        assert_eq!(s.lifetime_bytes[&mac], (h.rate_in + h.rate_out) * 15);
    }

    #[test]
    fn same_seed_same_rates() {
        let mut a = RouterState::new(42);
        let mut b = RouterState::new(42);
        a.seed_hosts(10);
        b.seed_hosts(10);
        assert!(a.hosts.iter().zip(&b.hosts).all(|(x, y)| x.rate_in == y.rate_in && x.rate_out == y.rate_out));
    }

    #[test]
    fn ids_round_trip() {
        for id in [1u32, 0x1A, 0xC69D, 0x8000_0001] {
            assert_eq!(parse_id(&format_id(id)), Some(id));
        }
        assert_eq!(format_id(0x1A), "*1A");
        assert_eq!(parse_id("1A"), None);
    }
}
