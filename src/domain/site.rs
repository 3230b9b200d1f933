//! A site: one router this backend drives. Its name and token, and the address of its API, as
//! an operator types them.

use std::fmt;

/// A site's name (`gedung-a`, `dusun_2`): what operators and logs call it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct SiteName(String);

/// The word a router's login page passes to say which site a phone is at (its identity or
/// hotspot server name, unique across sites).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SiteToken(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error("1 to 64 letters, digits, '.', '_' or '-'")]
    BadWord,
    #[error("expected host or host:port (a port from 1 to 65535)")]
    BadAddress,
}

fn word(input: &str) -> Result<String, SiteError> {
    let t = input.trim();
    let ok = (1..=64).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok { Ok(t.to_owned()) } else { Err(SiteError::BadWord) }
}

impl SiteName {
    pub fn parse(input: &str) -> Result<Self, SiteError> {
        word(input).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl SiteToken {
    /// Tokens compare without case: RouterOS identities are typed by hand.
    pub fn parse(input: &str) -> Result<Self, SiteError> {
        word(input).map(|w| Self(w.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a router's API listens: a host name or address and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAddress {
    pub host: String,
    pub port: u16,
}

impl ApiAddress {
    /// `host`, `host:port`, `[v6]:port` or a bare IPv6 address; without a port, the API's
    /// (8729 over TLS, else 8728).
    pub fn parse(input: &str, tls: bool) -> Result<Self, SiteError> {
        let t = input.trim();
        let default = if tls { 8729 } else { 8728 };
        let (host, port) = match t.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
                let port = p.parse::<u16>().ok().filter(|p| *p > 0).ok_or(SiteError::BadAddress)?;
                (h.trim_start_matches('[').trim_end_matches(']'), port)
            }
            _ => (t.trim_start_matches('[').trim_end_matches(']'), default),
        };
        let host_ok = (1..=253).contains(&host.len())
            && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:_".contains(c))
            && !host.starts_with('-');
        if host_ok { Ok(Self { host: host.to_ascii_lowercase(), port }) } else { Err(SiteError::BadAddress) }
    }

    /// `host:port`, bracketing an IPv6 host, as a socket connects to it.
    pub fn connect_to(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A site's networks as the captive door weighs them.
#[derive(Debug, Clone)]
pub struct SiteNetworks {
    pub token: Option<SiteToken>,
    pub networks: super::network::HotspotNetworks,
}

/// Which site a request is at, decided before any hint is believed, never by a client address
/// alone where sites share ranges: among the sites whose egress the request arrives from (else,
/// for a backend on the venue's own network, whose client ranges it comes from), the one its
/// token names, or the only one. `None`: at no site (hints are then not believed).
pub fn site_for(sites: &[SiteNetworks], real: Option<&super::ClientIp>, token: Option<&SiteToken>) -> Option<usize> {
    let real = real?;
    let pick = |found: Vec<usize>| -> Option<usize> {
        match (found.len(), token) {
            (0, _) => None,
            (_, Some(t)) => found.iter().copied().find(|i| sites[*i].token.as_ref() == Some(t)),
            (1, None) => Some(found[0]),
            _ => None,
        }
    };
    let by_egress: Vec<usize> = (0..sites.len()).filter(|i| sites[*i].networks.is_egress(real)).collect();
    if !by_egress.is_empty() {
        return pick(by_egress);
    }
    pick((0..sites.len()).filter(|i| sites[*i].networks.is_client(real)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::network::HotspotNetworks;
    use crate::domain::{Cidr, ClientIp};

    fn site(token: Option<&str>, clients: &str, egress: &[&str]) -> SiteNetworks {
        SiteNetworks {
            token: token.map(|t| SiteToken::parse(t).unwrap()),
            networks: HotspotNetworks {
                clients: vec![Cidr::parse(clients).unwrap()],
                egress: egress.iter().map(|e| Cidr::parse(e).unwrap()).collect(),
            },
        }
    }

    #[test]
    fn the_site_is_decided_by_egress_or_token_never_by_a_shared_client_range_alone() {
        let ip = |s: &str| ClientIp::parse(s).unwrap();
        let tok = |s: &str| SiteToken::parse(s).unwrap();
        let sites = vec![
            site(Some("gedung-a"), "10.5.50.0/24", &["203.0.113.1/32"]),
            site(Some("gedung-b"), "10.5.50.0/24", &["203.0.113.2/32"]),
            site(Some("dusun-3"), "10.5.50.0/24", &["198.51.100.9/32"]),
            site(Some("dusun-4"), "10.5.50.0/24", &["198.51.100.9/32"]),
        ];
        assert_eq!(site_for(&sites, Some(&ip("203.0.113.2")), None), Some(1));
        assert_eq!(
            site_for(&sites, Some(&ip("203.0.113.2")), Some(&tok("gedung-a"))),
            None,
            "a token outside its egress"
        );
        assert_eq!(
            site_for(&sites, Some(&ip("198.51.100.9")), None),
            None,
            "two sites behind one address need a token"
        );
        assert_eq!(site_for(&sites, Some(&ip("198.51.100.9")), Some(&tok("Dusun-4"))), Some(3));
        assert_eq!(site_for(&sites, Some(&ip("10.5.50.7")), None), None, "a shared client range alone decides nothing");
        assert_eq!(site_for(&sites, Some(&ip("10.5.50.7")), Some(&tok("gedung-b"))), Some(1));
        assert_eq!(site_for(&sites, Some(&ip("192.0.2.1")), Some(&tok("gedung-b"))), None, "from the internet");
        assert_eq!(site_for(&sites, None, Some(&tok("gedung-b"))), None);
        let one = vec![site(None, "10.5.50.0/24", &[])];
        assert_eq!(site_for(&one, Some(&ip("10.5.50.7")), None), Some(0), "one site: its range is its own");
    }

    #[test]
    fn names_tokens_and_addresses_parse_as_operators_type_them() {
        assert_eq!(SiteName::parse(" gedung-a ").unwrap().as_str(), "gedung-a");
        assert!(
            SiteName::parse("").is_err()
                && SiteName::parse("a b").is_err()
                && SiteName::parse(&"x".repeat(65)).is_err()
        );
        assert_eq!(SiteToken::parse("Dusun_2").unwrap().as_str(), "dusun_2");
        let a = ApiAddress::parse("10.0.0.1", false).unwrap();
        assert_eq!((a.host.as_str(), a.port, a.connect_to()), ("10.0.0.1", 8728, "10.0.0.1:8728".to_owned()));
        assert_eq!(ApiAddress::parse("Router.lan", true).unwrap().connect_to(), "router.lan:8729");
        assert_eq!(ApiAddress::parse("10.0.0.1:18728", true).unwrap().port, 18728);
        assert_eq!(ApiAddress::parse("[fe80::1]:8728", false).unwrap().connect_to(), "[fe80::1]:8728");
        assert_eq!(ApiAddress::parse("fe80::1", false).unwrap().connect_to(), "[fe80::1]:8728");
        for bad in ["", "host:0", "host:99999", "host:x", "a b", "-x", "h/t"] {
            assert!(ApiAddress::parse(bad, false).is_err(), "{bad}");
        }
    }
}
