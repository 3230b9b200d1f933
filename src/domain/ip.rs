//! Client IP addresses and CIDR blocks (trusted proxies, hotspot subnets).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Deserializer};

#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
/// Stored as text (its canonical form); the conversions are in `db::types`.
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct ClientIp(IpAddr);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    #[error("IP address is empty")]
    Empty,
    #[error("not an IPv4 or IPv6 address")]
    Malformed,
    #[error("unspecified, broadcast or multicast address is not a client")]
    NotUnicast,
    #[error("CIDR must look like 10.5.50.0/24 or fd00::/8")]
    MalformedCidr,
    #[error("CIDR prefix length is out of range for the address family")]
    PrefixOutOfRange,
}

impl ClientIp {
    pub fn parse(input: &str) -> Result<Self, IpError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IpError::Empty);
        }
        // Bracketed IPv6 as found in some headers: "[fd00::1]".
        let bare = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(trimmed);
        let ip: IpAddr = bare.parse().map_err(|_| IpError::Malformed)?;
        Self::new(ip)
    }

    pub fn new(ip: IpAddr) -> Result<Self, IpError> {
        let ip = canonical(ip);
        let bad = match ip {
            IpAddr::V4(v4) => v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast(),
            IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
        };
        if bad {
            return Err(IpError::NotUnicast);
        }
        Ok(Self(ip))
    }

    pub fn addr(&self) -> IpAddr {
        self.0
    }

    /// The plain text form for storage and the router.
    pub fn as_text(&self) -> String {
        self.0.to_string()
    }

    /// A form safe for logs: the network part only.
    pub fn masked(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                format!("{}.{}.x.x", o[0], o[1])
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:…", s[0], s[1])
            }
        }
    }
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what dual-stack sockets report) means the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

impl<'de> Deserialize<'de> for ClientIp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<str>::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A network block such as `10.5.50.0/24`; a bare address means a single host.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(input: &str) -> Result<Self, IpError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IpError::Empty);
        }
        let (addr, prefix) = match trimmed.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (trimmed, None),
        };
        let ip = canonical(addr.parse::<IpAddr>().map_err(|_| IpError::MalformedCidr)?);
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| IpError::MalformedCidr)?,
            None => max,
        };
        if prefix > max {
            return Err(IpError::PrefixOutOfRange);
        }
        Ok(Self { network: mask(ip, prefix), prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// A /32 (IPv4) or /128 (IPv6): one host.
    pub fn is_single_address(&self) -> bool {
        self.prefix == if self.network.is_ipv4() { 32 } else { 128 }
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cidr({self})")
    }
}

impl std::str::FromStr for Cidr {
    type Err = IpError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

crate::domain::masked_text_type!(ClientIp, IpError, as_text);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_table() {
        let cases = [
            ("10.5.50.10", Some("10.5.50.10")),
            (" 192.168.88.254 ", Some("192.168.88.254")),
            ("::ffff:10.5.50.10", Some("10.5.50.10")),
            ("[fd00::1]", Some("fd00::1")),
            ("fd00::1", Some("fd00::1")),
            ("0.0.0.0", None),
            ("255.255.255.255", None),
            ("224.0.0.1", None),
            ("::", None),
            ("10.5.50", None),
            ("10.5.50.256", None),
            ("10.5.50.10/24", None),
            ("host.local", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = ClientIp::parse(input).ok().map(|ip| ip.as_text());
            assert_eq!(got.as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn cidr_membership_table() {
        let cases = [
            ("10.5.50.0/24", "10.5.50.1", true),
            ("10.5.50.0/24", "10.5.51.1", false),
            ("10.5.50.77/24", "10.5.50.200", true), // host bits are masked like RouterOS does
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "fd00::1", false), // families never match each other
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("172.16.0.0/12", "172.31.255.255", true),
            ("172.16.0.0/12", "172.32.0.0", false),
            ("fd00::/8", "fd12:3456::1", true),
            ("fd00::/8", "fe80::1", false),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true), // mapped addresses count as IPv4
        ];
        for (cidr, ip, want) in cases {
            let c = Cidr::parse(cidr).unwrap();
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(c.contains(ip), want, "{cidr} ∋ {ip}");
        }
    }

    #[test]
    fn cidr_errors() {
        assert_eq!(Cidr::parse("10.0.0.0/33"), Err(IpError::PrefixOutOfRange));
        assert_eq!(Cidr::parse("fd00::/129"), Err(IpError::PrefixOutOfRange));
        assert_eq!(Cidr::parse("10.0.0.0/x"), Err(IpError::MalformedCidr));
        assert_eq!(Cidr::parse("nope/8"), Err(IpError::MalformedCidr));
        assert_eq!(Cidr::parse(" "), Err(IpError::Empty));
    }

    #[test]
    fn masked() {
        let ip = ClientIp::parse("10.5.50.10").unwrap();
        assert_eq!(ip.to_string(), "10.5.x.x");
        assert!(!format!("{ip:?}").contains("50.10"));
    }
}
