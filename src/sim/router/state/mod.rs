//! The simulated router's state: generic menus (rows of attributes), the hotspot host population
//! with counters that grow over simulated time, and reboots.

mod hosts;
mod menus;
mod table;

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

pub use hosts::{HOST_PROPS, Host, HostView, format_id, parse_id, seeded_host};
pub use menus::*;
pub use table::{Row, Table};

use crate::domain::MacAddress;

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

/// A row the router has from the start: the menu's defaults and `attrs`.
fn seed_row(tables: &mut HashMap<&'static str, Table>, path: &str, attrs: &[(&str, &str)]) {
    let Some(table) = tables.get_mut(path) else { return };
    let mut row = BTreeMap::new();
    for (k, v) in menu(path).map(|m| m.defaults).unwrap_or(&[]).iter().chain(attrs) {
        row.insert((*k).to_owned(), (*v).to_owned());
    }
    table.insert(row);
}

impl RouterState {
    pub fn new(seed: u64) -> Self {
        let mut tables: HashMap<&'static str, Table> = MENUS.iter().map(|m| (m.path, Table::new(m.indexed))).collect();
        seed_row(&mut tables, USER_PROFILE, &[("name", "default"), ("default", "true")]);
        // The DHCP server that hands the hotspot's phones their addresses (its leases' server).
        let server = [("name", "dhcp-hotspot"), ("interface", "bridge-hotspot"), ("address-pool", "hs-pool")];
        seed_row(&mut tables, DHCP_SERVER, &server);
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
            idle: 0,
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
    pub fn seed_hosts(&mut self, from: usize, n: usize) {
        for i in from..from + n {
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
            h.idle = if din + dout == 0 { h.idle + secs } else { 0 };
            *self.lifetime_bytes.entry(h.mac).or_insert(0) += din + dout;
        }
    }

    /// A burst of traffic on one host (a phone downloading): `bytes` more downloaded. False when
    /// no host has that MAC.
    /// The host stops moving bytes and has been idle `secs` already (`host idle MAC SECS`).
    pub fn set_idle(&mut self, mac: &MacAddress, secs: u64) -> bool {
        let Some(h) = self.hosts.iter_mut().find(|h| h.mac == *mac) else { return false };
        (h.rate_in, h.rate_out, h.idle) = (0, 0, secs);
        true
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_grow_and_reboot_resets_with_new_ids() {
        let mut s = RouterState::new(7);
        s.seed_hosts(0, 3);
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
        a.seed_hosts(0, 10);
        b.seed_hosts(0, 10);
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
