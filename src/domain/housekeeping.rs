//! Router housekeeping a site opts into, each part repaired by the site's sync: static DHCP
//! leases that pin a signed-in device's address, an address list of hosts on the hotspot that
//! have not signed in, and hotspot hosts left over from an address outside the client ranges.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const DEFAULT_UNAUTHORIZED_AFTER_MINS: u32 = 10;

fn default_after() -> u32 {
    DEFAULT_UNAUTHORIZED_AFTER_MINS
}

/// A site's housekeeping; every part is off until it is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Housekeeping {
    /// The DHCP server (its name on the router) on which each signed-in device gets a static
    /// lease for the address it has, so its status list entry stays right between cycles;
    /// null: off.
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9_.-]{1,63}$")]
    pub dhcp_lease_server: Option<String>,
    /// The address list that holds hosts on the hotspot that have not signed in (for the
    /// operator's firewall rules); null: off.
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9_.-]{1,63}$")]
    pub unauthorized_list: Option<String>,
    /// Minutes a host is on the hotspot before it goes on that list (a phone still signing in
    /// is not listed).
    #[serde(default = "default_after")]
    #[schema(minimum = 0, maximum = 1440)]
    pub unauthorized_after_mins: u32,
    /// Hotspot hosts idle this many minutes whose address is outside the site's client ranges
    /// (a device that once had a foreign address) are removed; null: off.
    #[serde(default)]
    #[schema(minimum = 5, maximum = 10080)]
    pub stale_host_idle_mins: Option<u32>,
}

impl Default for Housekeeping {
    fn default() -> Self {
        Self {
            dhcp_lease_server: None,
            unauthorized_list: None,
            unauthorized_after_mins: DEFAULT_UNAUTHORIZED_AFTER_MINS,
            stale_host_idle_mins: None,
        }
    }
}

fn router_word(s: &str) -> bool {
    (1..=63).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

impl Housekeeping {
    /// The first part that is not right, and why.
    pub fn check(&self) -> Result<(), String> {
        for (what, v) in
            [("dhcp_lease_server", &self.dhcp_lease_server), ("unauthorized_list", &self.unauthorized_list)]
        {
            if v.as_deref().is_some_and(|s| !router_word(s)) {
                return Err(format!("{what}: 1 to 63 letters, digits, '.', '_' or '-'"));
            }
        }
        if self.unauthorized_after_mins > 1440 {
            return Err("unauthorized_after_mins: 0 to 1440".into());
        }
        if self.stale_host_idle_mins.is_some_and(|m| !(5..=10080).contains(&m)) {
            return Err("stale_host_idle_mins: 5 to 10080".into());
        }
        Ok(())
    }

    /// Whether the sync reads each host's flags and idle time (only then: they cost bytes per
    /// host per cycle).
    pub fn reads_host_state(&self) -> bool {
        self.unauthorized_list.is_some() || self.stale_host_idle_mins.is_some()
    }

    /// As stored; what does not read as one (a hand-edited row) is all off.
    pub fn from_stored(v: &serde_json::Value) -> Self {
        serde_json::from_value::<Self>(v.clone()).ok().filter(|h| h.check().is_ok()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_checked() {
        let h = Housekeeping::from_stored(&serde_json::json!({}));
        assert_eq!(h, Housekeeping::default());
        assert!(!h.reads_host_state());
        let on: Housekeeping =
            serde_json::from_value(serde_json::json!({"unauthorized_list": "unauthorized"})).unwrap();
        assert!(on.reads_host_state() && on.check().is_ok());
        let bad = Housekeeping { dhcp_lease_server: Some("dhcp 1".into()), ..Housekeeping::default() };
        assert!(bad.check().unwrap_err().starts_with("dhcp_lease_server"));
        let short = Housekeeping { stale_host_idle_mins: Some(1), ..Housekeeping::default() };
        assert!(short.check().is_err());
        assert!(serde_json::from_value::<Housekeeping>(serde_json::json!({"leases": "x"})).is_err());
        // A stored value that does not check is all off, never half-applied.
        assert_eq!(Housekeeping::from_stored(&serde_json::json!({"unauthorized_list": ""})), Housekeeping::default());
    }
}
