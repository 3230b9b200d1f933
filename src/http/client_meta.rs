//! Who is asking: the client IP (believing `CF-Connecting-IP` / `X-Forwarded-For` only from a
//! trusted proxy) and the User-Agent.

use actix_web::HttpRequest;

use crate::domain::{Cidr, ClientIp};

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub client_ip: Option<ClientIp>,
    pub user_agent: Option<String>,
}

pub fn client_ip(req: &HttpRequest, trusted: &[Cidr]) -> Option<ClientIp> {
    let peer = req.peer_addr().and_then(|a| ClientIp::new(a.ip()).ok())?;
    let is_trusted = |ip: &ClientIp| trusted.iter().any(|c| c.contains(ip.addr()));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(ip) = header("cf-connecting-ip").and_then(|v| ClientIp::parse(v).ok()) {
        return Some(ip);
    }
    // The rightmost address not added by one of our own proxies is the client.
    if let Some(xff) = header("x-forwarded-for") {
        let hops: Vec<ClientIp> = xff.split(',').filter_map(|h| ClientIp::parse(h).ok()).collect();
        if let Some(ip) = hops.iter().rev().find(|ip| !is_trusted(ip)).or(hops.first()) {
            return Some(*ip);
        }
    }
    Some(peer)
}

impl RequestMeta {
    pub fn of(req: &HttpRequest, trusted: &[Cidr]) -> Self {
        let user_agent =
            req.headers().get("user-agent").and_then(|v| v.to_str().ok()).map(|s| s.chars().take(512).collect());
        Self { client_ip: client_ip(req, trusted), user_agent }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn trusted() -> Vec<Cidr> {
        vec![Cidr::parse("10.0.0.0/8").unwrap()]
    }

    #[test]
    fn proxy_headers_only_from_trusted_peers() {
        // (peer, headers, client IP we believe)
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            ("203.0.113.5:1000", &[("cf-connecting-ip", "198.51.100.1")], "203.0.113.5"),
            ("10.0.0.2:1000", &[("cf-connecting-ip", "198.51.100.1")], "198.51.100.1"),
            ("10.0.0.2:1000", &[("x-forwarded-for", "198.51.100.7, 10.0.0.9")], "198.51.100.7"),
            ("10.0.0.2:1000", &[("x-forwarded-for", "1.2.3.4, 198.51.100.7")], "198.51.100.7"),
            ("10.0.0.2:1000", &[("x-forwarded-for", "garbage")], "10.0.0.2"),
            ("10.0.0.2:1000", &[], "10.0.0.2"),
        ];
        for (peer, headers, want) in cases {
            let mut r = TestRequest::default().peer_addr(peer.parse().unwrap());
            for (k, v) in *headers {
                r = r.insert_header((*k, *v));
            }
            let req = r.to_http_request();
            assert_eq!(client_ip(&req, &trusted()).map(|i| i.as_text()).as_deref(), Some(*want), "{peer} {headers:?}");
        }
    }
}
