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
    /// Attributes with a hash index (lookups by them are not scans).
    pub indexed: &'static [&'static str],
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
        indexed: &["mac-address"],
        settable: &["mac-address", "address", "to-address", "server", "type", "comment", "disabled"],
        required: &[],
        defaults: &[("server", "all"), ("type", "regular"), ("disabled", "false")],
        unique: None,
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: ADDRESS_LIST,
        indexed: &["address"],
        settable: &["list", "address", "timeout", "comment", "disabled", "dynamic"],
        required: &["list", "address"],
        defaults: &[("disabled", "false"), ("dynamic", "false")],
        unique: Some((&["list", "address"], "failure: already have such entry")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: HOTSPOT_USER,
        indexed: &["name"],
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
        indexed: &["name"],
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
        indexed: &["mac-address", "address"],
        settable: &[],
        required: &[],
        defaults: &[],
        unique: None,
        extra: &["login"],
        can_add: false,
    },
    MenuSpec {
        path: ARP,
        indexed: &["address"],
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
        indexed: &["address"],
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
        indexed: &[],
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

/// A menu's rows in id (= insertion) order, with hash indexes on the attributes lookups use
/// (MAC, address, name), so a `print ?mac-address=…` does not scan thousands of rows.
#[derive(Debug, Default, Clone)]
pub struct Table {
    next_id: u32,
    rows: BTreeMap<u32, Row>,
    indexed: &'static [&'static str],
    index: HashMap<&'static str, HashMap<String, std::collections::BTreeSet<u32>>>,
}

impl Table {
    pub fn new(indexed: &'static [&'static str]) -> Self {
        Self { indexed, ..Self::default() }
    }

    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.values()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, id: u32) -> Option<&Row> {
        self.rows.get(&id)
    }

    fn index_row(&mut self, id: u32, attrs: &BTreeMap<String, String>, add: bool) {
        for &k in self.indexed {
            if let Some(v) = attrs.get(k) {
                let by_value = self.index.entry(k).or_default();
                if add {
                    by_value.entry(v.clone()).or_default().insert(id);
                } else if let Some(ids) = by_value.get_mut(v) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        by_value.remove(v);
                    }
                }
            }
        }
    }

    pub fn insert(&mut self, attrs: BTreeMap<String, String>) -> u32 {
        self.next_id += 1;
        let id = self.next_id;
        self.index_row(id, &attrs, true);
        self.rows.insert(id, Row { id, attrs });
        id
    }

    /// Replaces a row's attributes; false when there is no such row.
    pub fn replace(&mut self, id: u32, attrs: BTreeMap<String, String>) -> bool {
        let Some(old) = self.rows.get(&id).map(|r| r.attrs.clone()) else { return false };
        self.index_row(id, &old, false);
        self.index_row(id, &attrs, true);
        if let Some(r) = self.rows.get_mut(&id) {
            r.attrs = attrs;
        }
        true
    }

    pub fn remove(&mut self, id: u32) -> bool {
        match self.rows.remove(&id) {
            Some(r) => {
                self.index_row(id, &r.attrs, false);
                true
            }
            None => false,
        }
    }

    pub fn retain(&mut self, keep: impl Fn(&Row) -> bool) {
        let gone: Vec<u32> = self.rows.values().filter(|r| !keep(r)).map(|r| r.id).collect();
        for id in gone {
            self.remove(id);
        }
    }

    /// Ids whose `attr` equals `value`, when `attr` is indexed.
    pub fn lookup(&self, attr: &str, value: &str) -> Option<Vec<u32>> {
        if !self.indexed.contains(&attr) {
            return None;
        }
        Some(
            self.index
                .get(attr)
                .and_then(|m| m.get(value))
                .map(|ids| ids.iter().copied().collect())
                .unwrap_or_default(),
        )
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
    host_by_ip: HashMap<Ipv4Addr, MacAddress>,
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
        let mut tables: HashMap<&'static str, Table> = MENUS.iter().map(|m| (m.path, Table::new(m.indexed))).collect();
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
            host_by_ip: HashMap::new(),
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
            let old = std::mem::replace(&mut self.hosts[i].address, address);
            self.host_by_ip.remove(&old);
            self.host_by_ip.insert(address, mac);
            return;
        }
        self.host_by_ip.insert(address, mac);
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

    pub fn host_index_by_ip(&self, ip: &Ipv4Addr) -> Option<usize> {
        self.host_by_ip.get(ip).and_then(|m| self.host_by_mac.get(m)).copied()
    }

    pub fn host_index_by_mac(&self, mac: &MacAddress) -> Option<usize> {
        self.host_by_mac.get(mac).copied()
    }

    /// The type of the first enabled binding of a MAC (what RouterOS applies).
    pub fn binding_type_of(&self, mac: &str) -> Option<String> {
        let t = self.tables.get(IP_BINDING)?;
        t.lookup("mac-address", mac)?
            .into_iter()
            .filter_map(|id| t.get(id))
            .find(|r| r.attrs.get("disabled").map(String::as_str) != Some("true"))
            .map(|r| r.attrs.get("type").cloned().unwrap_or_else(|| "regular".into()))
    }

    /// A hotspot login (`/ip/hotspot/active/login`, or the phone's browser posting the login
    /// page): the user's password must match; the host becomes active as that user.
    pub fn hotspot_login(
        &mut self,
        user: &str,
        password: &str,
        ip: Option<&str>,
        mac: Option<MacAddress>,
        login_by: &str,
    ) -> Result<(), String> {
        let ok = self.table(HOTSPOT_USER).is_some_and(|t| {
            t.rows().any(|r| {
                r.attrs.get("name").map(String::as_str) == Some(user)
                    && r.attrs.get("password").map(String::as_str).unwrap_or("") == password
                    && r.attrs.get("disabled").map(String::as_str) != Some("true")
            })
        });
        if !ok {
            return Err("invalid username or password".into());
        }
        let mut row = BTreeMap::new();
        row.insert("server".to_owned(), "hotspot1".to_owned());
        row.insert("user".to_owned(), user.to_owned());
        if let Some(ip) = ip {
            row.insert("address".to_owned(), ip.to_owned());
        }
        if let Some(mac) = mac {
            row.insert("mac-address".to_owned(), mac.canonical());
        }
        for (k, v) in [
            ("login-by", login_by),
            ("uptime", "0s"),
            ("idle-time", "0s"),
            ("bytes-in", "0"),
            ("bytes-out", "0"),
            ("packets-in", "0"),
            ("packets-out", "0"),
            ("radius", "false"),
            ("blocked", "false"),
        ] {
            row.insert(k.to_owned(), v.to_owned());
        }
        if let Some(t) = self.table_mut(ACTIVE) {
            t.insert(row);
        }
        Ok(())
    }

    /// What the phone's browser does on the hotspot's login page: the host at `mac` logs in.
    pub fn host_login(&mut self, mac: &MacAddress, user: &str, password: &str) -> Result<(), String> {
        let address = self.host(mac).map(|h| h.address.to_string()).ok_or("no such host on the hotspot")?;
        self.hotspot_login(user, password, Some(&address), Some(*mac), "http-chap")
    }

    pub fn is_active(&self, mac: &str) -> bool {
        self.tables.get(ACTIVE).and_then(|t| t.lookup("mac-address", mac)).is_some_and(|ids| !ids.is_empty())
    }

    pub fn host(&self, mac: &MacAddress) -> Option<&Host> {
        self.host_by_mac.get(mac).map(|&i| &self.hosts[i])
    }

    /// Seeds `n` hosts with deterministic MACs (locally administered) and IPs in 10.5.0.0/16+.
    pub fn seed_hosts(&mut self, n: usize) {
        for i in 0..n {
            let (mac, ip) = seeded_host(i);
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

    /// A burst of traffic on one host (a phone downloading): `bytes` more downloaded. False when
    /// no host has that MAC.
    pub fn add_traffic(&mut self, mac: &MacAddress, bytes: u64) -> bool {
        let Some(h) = self.hosts.iter_mut().find(|h| h.mac == *mac) else { return false };
        h.bytes_out += bytes;
        h.packets_out += bytes / 1_000 + u64::from(bytes > 0);
        *self.lifetime_bytes.entry(h.mac).or_insert(0) += bytes;
        true
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
            t.retain(|r| r.attrs.get("dynamic").map(String::as_str) != Some("true"));
        }
        if let Some(t) = self.tables.get_mut(ACTIVE) {
            t.retain(|_| false);
        }
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

/// The MAC and IP of the `i`-th seeded host (`seed N`, `--seed-hosts N`): deterministic, so a
/// benchmark can put the same devices in its database.
pub fn seeded_host(i: usize) -> (MacAddress, Ipv4Addr) {
    let n = i as u32;
    let mac = MacAddress::from_octets([0x02, 0x5E, (n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    (mac, Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 5, 0, 10)).wrapping_add(n)))
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
