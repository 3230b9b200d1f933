//! The routers' clients, one per enabled site, kept between uses: a client holds its connection
//! and its breaker, so it is built once and rebuilt only when its site's row changes. The
//! environment's site uses the process's one client (sign-in and the sync share it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{SiteRow, Sites, StoreError};
use crate::domain::ClientIp;
use crate::domain::network::HotspotNetworks;
use crate::domain::policy::{PerStatus, RouterPolicy};
use crate::domain::site::{SiteNetworks, SiteToken, site_for};
use crate::router::RouterClient;
use crate::router::ops::{Managed, Ops};

/// A site's name and its router's operations.
#[derive(Clone)]
pub struct SiteOps {
    pub id: i32,
    pub name: String,
    pub ops: Ops,
    pub row: SiteRow,
}

type Built = HashMap<i32, (DateTime<Utc>, Ops)>;
/// The enabled sites as last read, and when.
type Recent = Option<(Instant, Vec<SiteOps>)>;

/// How long the sign-in door trusts its list of sites: a site an admin changes is seen within
/// this, and a sign-in costs no extra database round trip.
const FRESH_FOR: Duration = Duration::from_secs(5);

impl SiteOps {
    /// The site's networks and token, as the captive door weighs them.
    pub fn networks(&self) -> SiteNetworks {
        SiteNetworks {
            token: self.row.site_token.as_deref().and_then(|t| SiteToken::parse(t).ok()),
            networks: HotspotNetworks {
                clients: super::cidrs(&self.row.client_ranges),
                egress: super::cidrs(&self.row.egress_addresses),
            },
        }
    }

    pub fn lists(&self) -> Option<PerStatus> {
        per_status(&self.row.status_lists)
    }

    pub fn profiles(&self) -> Option<PerStatus> {
        per_status(&self.row.status_profiles)
    }
}

#[derive(Clone)]
pub struct Fleet {
    sites: Sites,
    /// The backend's policy: its lists stand for a site's that names none.
    policy: RouterPolicy,
    /// The environment's router's operations, when one is configured.
    env: Option<Ops>,
    built: Arc<Mutex<Built>>,
    recent: Arc<Mutex<Recent>>,
}

/// A stored per-status set of names.
pub fn per_status(v: &Option<serde_json::Value>) -> Option<PerStatus> {
    serde_json::from_value(v.clone()?).ok()
}

/// What a site's entries are marked with and which lists it manages.
pub fn managed(r: &SiteRow, policy: &RouterPolicy) -> Managed {
    let lists = per_status(&r.status_lists);
    let policy = RouterPolicy { lists: lists.unwrap_or_else(|| policy.lists.clone()), ..policy.clone() };
    Managed {
        comment_prefix: r.comment_prefix.clone(),
        status_lists: policy.managed_lists(),
        server: r.hotspot_server.clone(),
    }
}

impl Fleet {
    pub fn new(sites: Sites, policy: RouterPolicy, env: Option<Ops>) -> Self {
        Self { sites, policy, env, built: Arc::default(), recent: Arc::default() }
    }

    /// [`Fleet::enabled`], as read at most [`FRESH_FOR`] ago.
    pub async fn enabled_cached(&self) -> Result<Vec<SiteOps>, StoreError> {
        let lock = |m: &Mutex<Recent>| match m.lock() {
            Ok(g) => g.as_ref().filter(|(at, _)| at.elapsed() < FRESH_FOR).map(|(_, s)| s.clone()),
            Err(p) => p.into_inner().as_ref().filter(|(at, _)| at.elapsed() < FRESH_FOR).map(|(_, s)| s.clone()),
        };
        if let Some(sites) = lock(&self.recent) {
            return Ok(sites);
        }
        let sites = self.enabled().await?;
        if let Ok(mut g) = self.recent.lock() {
            *g = Some((Instant::now(), sites.clone()));
        }
        Ok(sites)
    }

    /// The site a request comes from (by its address, then a token among the sites that
    /// address allows): `Ok(None)` when there are no sites at all, `Some(None)` off-site.
    pub async fn locate(
        &self,
        ip: Option<&ClientIp>,
        token: Option<&SiteToken>,
    ) -> Result<Option<Option<SiteOps>>, StoreError> {
        let sites = self.enabled_cached().await?;
        if sites.is_empty() {
            return Ok(None);
        }
        let nets: Vec<SiteNetworks> = sites.iter().map(SiteOps::networks).collect();
        Ok(Some(site_for(&nets, ip, token).map(|i| sites[i].clone())))
    }

    /// The id of the site a request comes from; none off-site, and none when the sites cannot
    /// be read.
    pub async fn site_id_at(&self, ip: Option<&ClientIp>, token: Option<&SiteToken>) -> Option<i32> {
        self.locate(ip, token).await.ok().flatten().flatten().map(|s| s.id)
    }

    /// Every enabled site with its router's operations. A site whose password does not open with
    /// this backend's key is left out, with a warning (the admin's test says why).
    pub async fn enabled(&self) -> Result<Vec<SiteOps>, StoreError> {
        let rows = self.sites.rows().await?;
        let mut built = match self.built.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        built.retain(|id, _| rows.iter().any(|r| r.id == *id && r.is_enabled));
        let mut out = Vec::new();
        for r in rows.iter().filter(|r| r.is_enabled) {
            match self.ops_for(r, &mut built) {
                Some(ops) => out.push(SiteOps { id: r.id, name: r.name.clone(), ops, row: r.clone() }),
                None => {
                    tracing::warn!(site = %r.name, "the site's router password does not open with HOTSPOT_SITE_KEY")
                }
            }
        }
        Ok(out)
    }

    fn ops_for(&self, r: &SiteRow, built: &mut Built) -> Option<Ops> {
        if let (true, Some(env)) = (r.from_env, &self.env) {
            return Some(env.clone());
        }
        if let Some((at, ops)) = built.get(&r.id)
            && *at == r.updated_at
        {
            return Some(ops.clone());
        }
        let client = RouterClient::new(self.sites.client_config(r).ok()?);
        let ops = Ops::new(client, managed(r, &self.policy));
        built.insert(r.id, (r.updated_at, ops.clone()));
        Some(ops)
    }
}
