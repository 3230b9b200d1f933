//! The hotspot's networks and how a device proves itself: the client ranges the router hands
//! out, the public addresses its NATed traffic arrives from, the binding mode.

use std::time::Duration;

use super::{ConfigError, Environment, Source, err};
use crate::domain::Cidr;
use crate::domain::network::{BindingMode, HotspotNetworks};

#[derive(Debug, Clone)]
pub struct HotspotSettings {
    pub networks: HotspotNetworks,
    pub binding_mode: BindingMode,
    /// How long one-time hotspot credentials (router-login) live.
    pub witness_ttl: Duration,
    /// How long a device's proof cookie lives.
    pub device_cookie_ttl: Duration,
}

fn cidrs(src: &Source<'_>, var: &'static str, default: &str) -> Result<Vec<Cidr>, ConfigError> {
    src.list(var, default).iter().map(|c| Cidr::parse(c).map_err(|e| err(var, format!("{c:?}: {e}")))).collect()
}

pub(super) fn hotspot_settings(src: &Source<'_>, env: Environment) -> Result<HotspotSettings, ConfigError> {
    let clients = cidrs(src, "HOTSPOT_CLIENT_CIDRS", "10.5.50.0/24")?;
    // Off production the machine itself stands in for the hotspot's egress (the demo and tests
    // talk to the server from 127.0.0.1; 127.0.0.2 is the internet).
    let egress_default = if env == Environment::Production { "" } else { "127.0.0.1/32" };
    let egress = cidrs(src, "HOTSPOT_EGRESS_ADDRESSES", egress_default)?;
    let mode = match src.string("HOTSPOT_BINDING_MODE", "router-login").as_str() {
        "router-login" => BindingMode::RouterLogin,
        "redirect" => BindingMode::Redirect,
        _ => return Err(err("HOTSPOT_BINDING_MODE", "expected router-login or redirect")),
    };
    let secs = |var, default, min, max| -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(src.ranged(var, default, min, max)?))
    };
    Ok(HotspotSettings {
        networks: HotspotNetworks { clients, egress },
        binding_mode: mode,
        witness_ttl: secs("HOTSPOT_WITNESS_TTL_SECS", 300, 30, 3_600)?,
        device_cookie_ttl: secs("HOTSPOT_DEVICE_COOKIE_DAYS", 365, 1, 3_650)?.saturating_mul(86_400),
    })
}
