//! The RouterOS router the backend manages: connection, the status lists, our comment prefix.

use std::collections::HashMap;
use std::time::Duration;

use super::{ConfigError, Environment, Source, err};
use crate::crypto::SealKey;
use crate::domain::policy::PerStatus;
use crate::domain::site::ApiAddress;
use crate::router::RouterConfig;
use crate::router::tls::Fingerprint;

/// The RouterOS router the backend manages (`HOTSPOT_ROUTER_ADDR` empty: none).
#[derive(Clone)]
pub struct RouterSettings {
    /// Connection, timeouts, breaker: what the client needs.
    pub client: RouterConfig,
    pub comment_prefix: String,
    pub hotspot_server: String,
    /// Address-list per status (unlimited users share the active list).
    pub lists: PerStatus,
}

pub const DEV_ROUTER_PASSWORD: &str = "sim-password";

/// The key the sites' router passwords are sealed with. Without `HOTSPOT_SITE_KEY` it is derived
/// from `HOTSPOT_JWT_SECRET`, so an existing deployment starts unchanged (`derived` says so; a
/// new JWT secret then leaves the added sites' passwords to be entered again).
#[derive(Clone)]
pub struct SiteKey {
    pub key: SealKey,
    pub derived: bool,
}

pub(super) fn site_key(src: &Source<'_>, jwt_secret: &str) -> Result<SiteKey, ConfigError> {
    let raw = src.string("HOTSPOT_SITE_KEY", "");
    if raw.is_empty() {
        return Ok(SiteKey { key: SealKey::derived(jwt_secret.as_bytes(), "sites"), derived: true });
    }
    let bytes = hex::decode(raw.trim()).ok().or_else(|| crate::crypto::b64url_decode(raw.trim()));
    let key: [u8; 32] = bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
        err("HOTSPOT_SITE_KEY", "expected 32 random bytes as 64 hex digits or base64url (openssl rand -hex 32)")
    })?;
    Ok(SiteKey { key: SealKey::new(key), derived: false })
}

impl RouterSettings {
    /// Defaults for a router at `addr` (the demo's simulator).
    pub fn with_defaults(addr: &str) -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = [("HOTSPOT_ROUTER_ADDR".to_owned(), addr.to_owned())].into_iter().collect();
        router_settings(&Source::new(&vars), Environment::Development)?
            .ok_or_else(|| err("HOTSPOT_ROUTER_ADDR", "empty"))
    }
}

pub(super) fn router_settings(src: &Source<'_>, env: Environment) -> Result<Option<RouterSettings>, ConfigError> {
    let addr = src.string("HOTSPOT_ROUTER_ADDR", "");
    if addr.is_empty() {
        return Ok(None);
    }
    // Production talks API-SSL unless told otherwise, and only to the pinned certificate.
    let tls: bool = src.parse("HOTSPOT_ROUTER_TLS", env == Environment::Production)?;
    let fingerprint = match src.raw("HOTSPOT_ROUTER_TLS_FINGERPRINT") {
        None => None,
        Some(f) => Some(Fingerprint::parse(f).ok_or_else(|| {
            err("HOTSPOT_ROUTER_TLS_FINGERPRINT", "expected the certificate's SHA-256: 64 hex digits, ':' allowed")
        })?),
    };
    if tls && fingerprint.is_none() && env == Environment::Production {
        return Err(err(
            "HOTSPOT_ROUTER_TLS_FINGERPRINT",
            "production verifies the router's certificate: set its SHA-256 (or HOTSPOT_ROUTER_TLS=false on a private link)",
        ));
    }
    // host:port, with the API's default port when none is given. A port that is not one
    // (`:99999`) is refused here, not found later as a DNS failure.
    let addr = ApiAddress::parse(&addr, tls).map_err(|e| err("HOTSPOT_ROUTER_ADDR", e.to_string()))?.connect_to();
    let list = |var: &'static str, default: &str| -> Result<String, ConfigError> {
        let v = src.string(var, default);
        if v.is_empty() || v.contains(char::is_whitespace) || v.contains(',') {
            return Err(err(var, "must be one address-list name without spaces or commas"));
        }
        Ok(v)
    };
    let active = list("HOTSPOT_ROUTER_LIST_ACTIVE", "hs_active")?;
    let lists = PerStatus {
        unlimited: active.clone(),
        active,
        fup: list("HOTSPOT_ROUTER_LIST_FUP", "hs_fup")?,
        habis: list("HOTSPOT_ROUTER_LIST_HABIS", "hs_habis")?,
        expired: list("HOTSPOT_ROUTER_LIST_EXPIRED", "hs_expired")?,
        blocked: list("HOTSPOT_ROUTER_LIST_BLOCKED", "hs_blocked")?,
        inactive: list("HOTSPOT_ROUTER_LIST_INACTIVE", "hs_inactive")?,
    };
    let mut names: Vec<&String> =
        vec![&lists.active, &lists.fup, &lists.habis, &lists.expired, &lists.blocked, &lists.inactive];
    names.sort();
    names.dedup();
    if names.len() != 6 {
        return Err(err("HOTSPOT_ROUTER_LIST_ACTIVE", "the six status lists must have six different names"));
    }
    let comment_prefix = src.string("HOTSPOT_ROUTER_COMMENT_PREFIX", "hotspot:");
    if comment_prefix.len() < 3 {
        return Err(err(
            "HOTSPOT_ROUTER_COMMENT_PREFIX",
            "must be at least 3 characters (it marks the entries we own)",
        ));
    }
    let mut client = RouterConfig::new(
        "main",
        &addr,
        &src.string("HOTSPOT_ROUTER_USERNAME", "admin"),
        &src.string("HOTSPOT_ROUTER_PASSWORD", DEV_ROUTER_PASSWORD),
    );
    client.tls = tls;
    client.tls_fingerprint = fingerprint;
    client.connect_timeout = src.millis("HOTSPOT_ROUTER_CONNECT_TIMEOUT_MS", 3_000, 100, 60_000)?;
    client.command_timeout = src.millis("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", 10_000, 100, 600_000)?;
    client.keepalive = Duration::from_secs(src.ranged("HOTSPOT_ROUTER_KEEPALIVE_SECS", 30, 0, 3_600)?);
    client.max_in_flight = src.ranged("HOTSPOT_ROUTER_MAX_IN_FLIGHT", 64, 1, 1_024)?;
    client.breaker_threshold = src.ranged("HOTSPOT_ROUTER_BREAKER_THRESHOLD", 5, 1, 1_000)?;
    client.breaker_open_for = Duration::from_secs(src.ranged("HOTSPOT_ROUTER_BREAKER_OPEN_SECS", 15, 1, 3_600)?);
    Ok(Some(RouterSettings {
        client,
        comment_prefix,
        hotspot_server: src.string("HOTSPOT_ROUTER_HOTSPOT_SERVER", "all"),
        lists,
    }))
}
