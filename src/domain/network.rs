//! Where a request comes from, as far as the hotspot is concerned. Behind the router's NAT every
//! phone shares the hotspot's public (egress) address, so the address alone cannot tell phones
//! apart; a client's hint of its own address is believed only when the request comes from the
//! hotspot, and only inside the client ranges the router hands out.

use super::{Cidr, ClientIp};

/// The hotspot's address ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HotspotNetworks {
    /// What the router's DHCP hands to phones (e.g. 10.5.50.0/24).
    pub clients: Vec<Cidr>,
    /// The public addresses the hotspot's traffic arrives from, after trusted proxies.
    pub egress: Vec<Cidr>,
}

/// How a device proves it is the one signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingMode {
    /// The router witnesses it: the phone logs in to the hotspot with one-time credentials.
    RouterLogin,
    /// The router's redirect names it: only a device bound to nobody is bound from a hint.
    Redirect,
}

/// Where a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// From the hotspot. `device`: the device's address, when known (the request's own address
    /// when it is a client address, else a hint inside the client ranges).
    Hotspot { device: Option<ClientIp> },
    /// From anywhere else: hints are not believed.
    Internet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocateError {
    /// The request comes from a client address and names another one.
    HintMismatch,
}

impl HotspotNetworks {
    pub fn is_client(&self, ip: &ClientIp) -> bool {
        self.clients.iter().any(|c| c.contains(ip.addr()))
    }

    pub fn is_egress(&self, ip: &ClientIp) -> bool {
        self.egress.iter().any(|c| c.contains(ip.addr()))
    }

    /// Whether the request's real address belongs to the hotspot (client or egress).
    pub fn on_hotspot(&self, real: Option<&ClientIp>) -> bool {
        real.is_some_and(|r| self.is_client(r) || self.is_egress(r))
    }

    /// Locates a request from its real address (through trusted proxies) and the client's hint.
    pub fn locate(&self, real: Option<ClientIp>, hint: Option<ClientIp>) -> Result<Location, LocateError> {
        let Some(real) = real else { return Ok(Location::Internet) };
        if self.is_client(&real) {
            return match hint {
                Some(h) if h != real => Err(LocateError::HintMismatch),
                _ => Ok(Location::Hotspot { device: Some(real) }),
            };
        }
        if self.is_egress(&real) {
            return Ok(Location::Hotspot { device: hint.filter(|h| self.is_client(h)) });
        }
        Ok(Location::Internet)
    }
}

/// One-time hotspot user names (router-login mode): `w-` + their expiry in base-36 seconds + a
/// random suffix, so a leftover is recognised and removed by the sync without any state.
pub fn witness_username(expires_unix: i64, random_suffix: &str) -> String {
    let mut n = expires_unix.max(0) as u64;
    let mut digits = Vec::new();
    loop {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    format!("w-{}-{}", String::from_utf8_lossy(&digits), random_suffix.to_ascii_lowercase())
}

/// The expiry encoded in a one-time user name; `None` for any other name.
pub fn witness_expiry(name: &str) -> Option<i64> {
    let rest = name.strip_prefix("w-")?;
    let (exp, _) = rest.split_once('-')?;
    i64::from_str_radix(exp, 36).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> ClientIp {
        ClientIp::parse(s).unwrap()
    }

    #[test]
    fn where_requests_come_from() {
        let nets = HotspotNetworks {
            clients: vec![Cidr::parse("10.5.50.0/24").unwrap()],
            egress: vec![Cidr::parse("203.0.113.7/32").unwrap()],
        };
        type Case = (&'static str, Option<&'static str>, Option<&'static str>, Result<Location, LocateError>);
        let hotspot = |d: Option<&str>| Ok(Location::Hotspot { device: d.map(ip) });
        let cases: Vec<Case> = vec![
            ("egress, hint in range", Some("203.0.113.7"), Some("10.5.50.11"), hotspot(Some("10.5.50.11"))),
            ("egress, no hint", Some("203.0.113.7"), None, hotspot(None)),
            ("egress, hint out of range", Some("203.0.113.7"), Some("192.168.1.5"), hotspot(None)),
            ("client itself", Some("10.5.50.12"), None, hotspot(Some("10.5.50.12"))),
            ("client naming itself", Some("10.5.50.12"), Some("10.5.50.12"), hotspot(Some("10.5.50.12"))),
            ("client naming another", Some("10.5.50.12"), Some("10.5.50.11"), Err(LocateError::HintMismatch)),
            ("internet, hint ignored", Some("198.51.100.9"), Some("10.5.50.11"), Ok(Location::Internet)),
            ("internet, no hint", Some("198.51.100.9"), None, Ok(Location::Internet)),
            ("no address at all", None, Some("10.5.50.11"), Ok(Location::Internet)),
        ];
        for (name, real, hint, want) in cases {
            assert_eq!(nets.locate(real.map(ip), hint.map(ip)), want, "{name}");
        }
        assert!(nets.on_hotspot(Some(&ip("10.5.50.1"))) && nets.on_hotspot(Some(&ip("203.0.113.7"))));
        assert!(!nets.on_hotspot(Some(&ip("198.51.100.9"))) && !nets.on_hotspot(None));
        let nowhere = HotspotNetworks::default();
        assert_eq!(nowhere.locate(Some(ip("10.5.50.11")), None), Ok(Location::Internet));
    }

    #[test]
    fn one_time_names_carry_their_expiry() {
        for exp in [0i64, 35, 36, 1_764_000_000, 4_102_444_800] {
            let n = witness_username(exp, "a1B2c3");
            assert!(n.starts_with("w-") && n.len() <= 24, "{n}");
            assert!(n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{n}");
            assert_eq!(witness_expiry(&n), Some(exp), "{n}");
        }
        assert_eq!(witness_expiry("081234567001"), None);
        assert_eq!(witness_expiry("w-zz"), None);
        assert_eq!(witness_expiry("w-!!-abc"), None);
    }
}
