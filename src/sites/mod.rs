//! The sites room: the routers this backend drives (`routers`: each a site with its own address,
//! sealed credentials, networks and names) and the record of their sync cycles (`sync_runs`, the
//! router's health as the sync saw it). The only writer of both.

pub mod fleet;
pub mod patch;
pub mod radius;
pub mod runs;
pub mod store;
pub mod view;

use diesel::prelude::*;
use secrecy::ExposeSecret;

use crate::config::RouterSettings;
use crate::crypto::{SealError, SealKey};
use crate::db::schema::routers;
use crate::db::{Db, DbError};
use crate::domain::Cidr;
use crate::domain::network::HotspotNetworks;
use crate::domain::policy::PerStatus;
use crate::domain::site::{ApiAddress, SiteName, SiteToken};
use crate::router::RouterConfig;
use crate::router::tls::Fingerprint;
pub use store::{Contact, SiteRow, SiteSpec, StoreError};
pub use view::Site;

/// What a sealed router password is bound to: it opens as nothing else.
const PASSWORD_CONTEXT: &[u8] = b"hotspot:router-password";

/// A site's id by its name, its row made on first sight (the environment's router before it is
/// described). A read when it exists: its `updated_at` says when its settings changed, and a
/// site's router client is rebuilt only then.
pub fn register(conn: &mut PgConnection, name: &str, host: &str) -> Result<i32, DbError> {
    if let Some(id) = routers::table.filter(routers::name.eq(name)).select(routers::id).first(conn).optional()? {
        return Ok(id);
    }
    Ok(diesel::insert_into(routers::table)
        .values((routers::name.eq(name), routers::host.eq(host), routers::username.eq("api")))
        .on_conflict(routers::name)
        .do_update()
        .set(routers::name.eq(diesel::upsert::excluded(routers::name)))
        .returning(routers::id)
        .get_result(conn)?)
}

/// The sites: their rows, their sealed passwords, the client settings of each router.
#[derive(Clone)]
pub struct Sites {
    pub db: Db,
    key: SealKey,
    /// Timeouts, keepalive and breaker every router's client shares (`HOTSPOT_ROUTER_*`).
    tuning: RouterConfig,
}

impl Sites {
    pub fn new(db: Db, key: SealKey, tuning: RouterConfig) -> Self {
        Self { db, key, tuning }
    }

    pub fn seal_password(&self, password: &str) -> Vec<u8> {
        self.key.seal(PASSWORD_CONTEXT, password.as_bytes())
    }

    /// Every site with its latest cycle.
    pub async fn list(&self) -> Result<Vec<Site>, StoreError> {
        let (rows, mut last) = self
            .db
            .run(|c| {
                let last = runs::latest_per_site(c)?;
                Ok(store::list(c).map(|rows| (rows, last)))
            })
            .await??;
        Ok(rows
            .iter()
            .map(|r| {
                let mut s = Site::from(r);
                s.last_cycle = last.iter().position(|c| c.router_id == Some(r.id)).map(|i| last.swap_remove(i));
                s
            })
            .collect())
    }

    pub async fn rows(&self) -> Result<Vec<SiteRow>, StoreError> {
        self.db.run(|c| Ok(store::list(c))).await?
    }

    pub async fn row(&self, id: i32) -> Result<SiteRow, StoreError> {
        self.db.run(move |c| Ok(store::get(c, id))).await?
    }

    /// The client settings for a site's router; its password unsealed. A site without one
    /// logs in with an empty password (RouterOS allows it; the router refuses when it is wrong).
    pub fn client_config(&self, row: &SiteRow) -> Result<RouterConfig, SealError> {
        let password = match &row.password_sealed {
            Some(sealed) => String::from_utf8(self.key.open(PASSWORD_CONTEXT, sealed)?).map_err(|_| SealError)?,
            None => String::new(),
        };
        let addr = ApiAddress { host: row.host.clone(), port: u16::try_from(row.port).unwrap_or(8728) };
        let mut c = self.tuning.clone();
        c.name = row.name.clone();
        c.addr = addr.connect_to();
        c.username = row.username.clone();
        c.password = password.into();
        c.tls = row.use_tls;
        c.tls_fingerprint = row.tls_fingerprint.as_deref().and_then(Fingerprint::parse);
        c.max_in_flight = usize::try_from(row.max_in_flight).unwrap_or(1).max(1);
        Ok(c)
    }

    /// Writes the site `HOTSPOT_ROUTER_*` describes (with the backend's networks, lists and
    /// profiles), as it says; its id. At every start, so an existing `.env` is the first site.
    pub async fn describe_env(
        &self,
        r: &RouterSettings,
        networks: &HotspotNetworks,
        profiles: &PerStatus,
    ) -> Result<i32, StoreError> {
        let spec = env_spec(r, networks, profiles)?;
        let sealed = self.seal_password(r.client.password.expose_secret());
        self.db.run(move |c| Ok(store::describe_env(c, &spec, sealed))).await?
    }

    pub async fn record_contact(&self, id: i32, contact: Contact) -> Result<(), StoreError> {
        self.db.run(move |c| Ok(store::record_contact(c, id, &contact))).await?
    }
}

/// The environment's router as a site's settings.
fn env_spec(r: &RouterSettings, networks: &HotspotNetworks, profiles: &PerStatus) -> Result<SiteSpec, StoreError> {
    let bad = |what: &str| StoreError::Invalid(format!("HOTSPOT_ROUTER_*: the {what} is not a site's"));
    Ok(SiteSpec {
        name: SiteName::parse(&r.client.name).map_err(|_| bad("name"))?,
        address: ApiAddress::parse(&r.client.addr, r.client.tls).map_err(|_| bad("address"))?,
        tls: r.client.tls,
        fingerprint: r.client.tls_fingerprint.map(|f| hex::encode(f.0)),
        username: r.client.username.clone(),
        hotspot_server: r.hotspot_server.clone(),
        client_ranges: networks.clients.clone(),
        egress: networks.egress.clone(),
        token: None::<SiteToken>,
        lists: Some(r.lists.clone()),
        profiles: Some(profiles.clone()),
        comment_prefix: r.comment_prefix.clone(),
        max_in_flight: i32::try_from(r.client.max_in_flight).unwrap_or(1024),
        enabled: true,
        housekeeping: Default::default(),
    })
}

/// Parses stored CIDR texts (the column's CHECK keeps them valid).
pub fn cidrs(texts: &[String]) -> Vec<Cidr> {
    texts.iter().filter_map(|t| Cidr::parse(t).ok()).collect()
}
