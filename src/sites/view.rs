//! A site as the admin API and the command line show it: its settings, whether a password is
//! set (never the password), and what was last seen of its router.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::store::SiteRow;
use crate::db::models::SyncRun;
use crate::domain::housekeeping::Housekeeping;
use crate::domain::policy::PerStatus;

/// A site: one router this backend drives.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Site {
    pub id: i32,
    pub name: String,
    /// The router API's host and port.
    pub host: String,
    pub port: i32,
    /// API-SSL.
    pub use_tls: bool,
    /// The router certificate's SHA-256 (hex) the backend pins.
    pub tls_fingerprint: Option<String>,
    /// The router user the backend logs in as.
    pub api_user: String,
    /// Whether a password is kept (sealed; never shown).
    pub has_password: bool,
    /// The hotspot server bindings and users are written for (`all`: every one).
    pub hotspot_server: String,
    /// What the router's DHCP hands to phones.
    pub client_ranges: Vec<String>,
    /// The public addresses this site's traffic reaches the backend from.
    pub egress_addresses: Vec<String>,
    /// The word the router's login page passes to name this site.
    pub site_token: Option<String>,
    /// Address-list per status; null: the backend's.
    pub status_lists: Option<PerStatus>,
    /// Hotspot user profile per status; null: the backend's.
    pub status_profiles: Option<PerStatus>,
    /// Marks the router entries the backend owns.
    pub comment_prefix: String,
    /// The write budget: commands in flight to this router at once.
    pub max_in_flight: i32,
    pub is_enabled: bool,
    /// Router housekeeping the site's sync does (each part off until set).
    pub housekeeping: Housekeeping,
    /// Described by `HOTSPOT_ROUTER_*`: those fields are changed there, not here.
    pub from_env: bool,
    /// Online: its router answered at the last contact.
    pub online: Option<bool>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub ros_version: Option<String>,
    pub identity: Option<String>,
    /// Its latest sync cycle and its figures (devices seen: `hosts_count`).
    pub last_cycle: Option<SyncRun>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn per_status(v: &Option<serde_json::Value>) -> Option<PerStatus> {
    serde_json::from_value(v.clone()?).ok()
}

impl From<&SiteRow> for Site {
    fn from(r: &SiteRow) -> Self {
        // Never contacted: unknown. Otherwise online unless the last attempt failed.
        let online = match (&r.last_error, r.last_contact_at) {
            (Some(_), _) => Some(false),
            (None, Some(_)) => Some(true),
            (None, None) => None,
        };
        Site {
            id: r.id,
            name: r.name.clone(),
            host: r.host.clone(),
            port: r.port,
            use_tls: r.use_tls,
            tls_fingerprint: r.tls_fingerprint.clone(),
            api_user: r.username.clone(),
            has_password: r.password_sealed.is_some(),
            hotspot_server: r.hotspot_server.clone(),
            client_ranges: r.client_ranges.clone(),
            egress_addresses: r.egress_addresses.clone(),
            site_token: r.site_token.clone(),
            status_lists: per_status(&r.status_lists),
            status_profiles: per_status(&r.status_profiles),
            comment_prefix: r.comment_prefix.clone(),
            max_in_flight: r.max_in_flight,
            is_enabled: r.is_enabled,
            housekeeping: Housekeeping::from_stored(&r.housekeeping),
            from_env: r.from_env,
            online,
            last_contact_at: r.last_contact_at,
            last_error: r.last_error.clone(),
            ros_version: r.ros_version.clone(),
            identity: r.identity.clone(),
            last_cycle: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
