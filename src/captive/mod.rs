//! The sign-in room: one-time codes, the one device sign-in (router's word on the MAC, pure
//! device plan, router entries by the one policy, one-statement record, session), sessions,
//! logout, the user's devices.
//!
//! - `codes`: who gets a code and how often; checking one.
//! - `plan`: the device plan (pure).
//! - `router`: the router side (MAC authority, entries, removals and their retries).
//! - `record`: what a sign-in writes (the one-statement device sign-in, the session records).
//! - `signin`: the one sign-in function and the three doors into it.
//! - `session`: tokens, rotation, logout.
//! - `devices`: a user's devices, deauthorization, reset, hotspot status.
//! - `register`: a pending account from the captive page.
//! - `witness`: one-time hotspot credentials and the router's witness of the device's login.

pub mod codes;
pub mod devices;
pub mod error;
pub mod password;
pub mod plan;
pub mod record;
pub mod register;
pub mod router;
pub mod session;
pub mod signin;
pub mod submission;
pub mod witness;

use std::sync::Arc;

pub use error::CaptiveError;
pub use record::{ClientInfo, register_device};
pub use router::{RouterOutcome, label};
pub use signin::{Account, SessionRequest, SignIn, SignedIn, VerifyOtp};
pub use witness::Handover;

use crate::accounts::Accounts;
use crate::auth::otp::OtpStore;
use crate::auth::ratelimit::Limiter;
use crate::auth::tokens::AccessTokens;
use crate::config::Settings;
use crate::db::Db;
use crate::devices::Devices;
use crate::domain::ClientIp;
use crate::domain::network::HotspotNetworks;
use crate::domain::policy::{PerStatus, RouterPolicy};
use crate::kv::Kv;
use crate::notify::Messenger;
use crate::router::ops::Ops;
use crate::settings::Runtime;
use crate::sites::fleet::Fleet;

/// The room's handles and the core rooms it works with; cheap to clone.
#[derive(Clone)]
pub struct Captive {
    pub db: Db,
    pub kv: Kv,
    pub router: Option<Ops>,
    pub settings: Arc<Settings>,
    /// Runtime settings and the one router policy.
    pub runtime: Runtime,
    pub accounts: Accounts,
    pub devices: Devices,
    /// Sends the codes.
    pub messenger: Option<Messenger>,
    pub otp: OtpStore,
    pub tokens: AccessTokens,
    pub limiter: Limiter,
    /// The sites, to find the one a request is at.
    pub fleet: Option<Fleet>,
    /// The site this room works at (see [`Captive::here`]); `None`: the environment's router
    /// and networks, as before sites existed.
    pub site: Option<Arc<Here>>,
}

/// The site a request is at, as the sign-in works with it.
#[derive(Debug, Clone, Default)]
pub struct Here {
    /// `None`: at no site (the request's address belongs to none): hints are not believed.
    pub id: Option<i32>,
    pub networks: HotspotNetworks,
    pub lists: Option<PerStatus>,
    pub profiles: Option<PerStatus>,
    /// The site lets phones in over RADIUS: no binding or hotspot user of ours is written there
    /// (they would pass the phone without its accounting); the router logs it in by MAC.
    pub radius: bool,
}

impl Captive {
    /// The one router policy as it stands now (its FUP threshold is a runtime setting), with
    /// the site's own list and profile names.
    pub fn policy(&self) -> Arc<RouterPolicy> {
        let base = self.runtime.policy();
        match self.site.as_deref() {
            Some(Here { lists: None, profiles: None, .. }) | None => base,
            Some(h) => Arc::new(RouterPolicy {
                lists: h.lists.clone().unwrap_or_else(|| base.lists.clone()),
                profiles: h.profiles.clone().unwrap_or_else(|| base.profiles.clone()),
                ..(*base).clone()
            }),
        }
    }

    /// The networks requests are located in: the site's, else the environment's.
    pub fn networks(&self) -> &HotspotNetworks {
        self.site.as_deref().map_or(&self.settings.hotspot.networks, |h| &h.networks)
    }

    /// Whether an address is one of any site's (the environment's networks, else each enabled
    /// site's): what the per-address limits weigh.
    pub async fn on_hotspot(&self, ip: &ClientIp) -> bool {
        if self.settings.hotspot.networks.on_hotspot(Some(ip)) {
            return true;
        }
        let Some(fleet) = &self.fleet else { return false };
        let sites = fleet.enabled_cached().await.unwrap_or_default();
        sites.iter().any(|s| s.networks().networks.on_hotspot(Some(ip)))
    }

    pub(crate) fn site_id(&self) -> Option<i32> {
        self.site.as_deref().and_then(|h| h.id)
    }

    /// This room at the site the request is at: decided by the address it arrives from (and the
    /// token it names among the sites that address allows) before any hint is believed; its
    /// router, networks and names then. Without sites in the database (a backend just started),
    /// the environment's router and networks.
    pub async fn here(&self, client: &ClientInfo) -> Captive {
        let Some(fleet) = &self.fleet else { return self.clone() };
        let found = match fleet.locate(client.ip.as_ref(), client.site.as_ref()).await {
            Ok(Some(found)) => found,
            Ok(None) => return self.clone(),
            Err(e) => {
                tracing::warn!(error = %e, "the sites are not readable; signing in at the environment's router");
                return self.clone();
            }
        };
        let mut at = self.clone();
        at.site = Some(Arc::new(match found {
            Some(s) => {
                at.router = Some(s.ops.clone());
                let radius = s.row.mode.radius();
                Here {
                    id: Some(s.id),
                    networks: s.networks().networks,
                    lists: s.lists(),
                    profiles: s.profiles(),
                    radius,
                }
            }
            None => Here::default(),
        }));
        at
    }
}
