//! Sites: the routers this backend drives. Every admin sees them (never a password); a super
//! admin adds, changes, disables and tests them, each change audited in its transaction. The
//! environment's site (`HOTSPOT_ROUTER_*`) takes only its token and enabled flag here.

use std::time::Instant;

use diesel::{Connection, PgConnection};

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{Actor, Admin};
use crate::audit::{self, Target};
use crate::domain::{AuditAction, AuditTarget, Role};
use crate::router::RouterClient;
use crate::router::ops::{Managed, Ops};
use crate::router::rows::field;
use crate::sites::patch::{Refusal, SiteDefaults, SitePatch, spec_of};
use crate::sites::store::{self, SiteRow, StoreError};
use crate::sites::{Contact, Site};

#[derive(Debug, thiserror::Error)]
pub enum SiteAdminError {
    #[error("super admins only")]
    Forbidden,
    #[error("no such site")]
    NotFound,
    #[error("{}: {}", .0.field, .0.why)]
    Invalid(Refusal),
    #[error("another site has this {0}")]
    Taken(&'static str),
    /// The environment's site: these fields are changed in `HOTSPOT_ROUTER_*`.
    #[error("set by the environment: {0:?}")]
    FromEnv(Vec<&'static str>),
    /// The kept password does not open with this backend's site key.
    #[error("the site's password does not open with HOTSPOT_SITE_KEY; enter it again")]
    Sealed,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SiteAdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => SiteAdminError::NotFound,
            StoreError::Taken(what) => SiteAdminError::Taken(what),
            StoreError::Invalid(why) => SiteAdminError::Invalid(Refusal { field: "site", why }),
            other => SiteAdminError::Store(other),
        }
    }
}

impl From<diesel::result::Error> for SiteAdminError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<crate::db::DbError> for SiteAdminError {
    fn from(e: crate::db::DbError) -> Self {
        SiteAdminError::Store(StoreError::Db(e))
    }
}

/// What a test of a site's router found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteTest {
    /// The router answered and took the credentials.
    pub ok: bool,
    pub identity: Option<String>,
    pub ros_version: Option<String>,
    pub board: Option<String>,
    /// The hotspot servers it runs.
    pub hotspot_servers: Vec<String>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

/// The editor's router choices (`/api/admin/form-options/mikrotik`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RouterChoices {
    /// The hotspot servers of the enabled sites.
    #[serde(rename = "serverOptions")]
    pub server_options: Vec<String>,
    /// The hotspot user profiles the policy and the sites use.
    #[serde(rename = "profileOptions")]
    pub profile_options: Vec<String>,
    /// Which profile each status means (`profile_active`, `profile_fup`, …) and the server.
    #[schema(value_type = Object)]
    pub defaults: serde_json::Map<String, serde_json::Value>,
    /// The sites, enabled or not.
    pub sites: Vec<SiteChoice>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteChoice {
    pub id: i32,
    pub name: String,
    pub hotspot_server: String,
    pub is_enabled: bool,
    pub online: Option<bool>,
}

fn push_new(list: &mut Vec<String>, v: &str) {
    if !v.is_empty() && !list.iter().any(|x| x == v) {
        list.push(v.to_owned());
    }
}

fn super_only(actor: &Actor) -> Result<(), SiteAdminError> {
    if actor.role == Role::SuperAdmin { Ok(()) } else { Err(SiteAdminError::Forbidden) }
}

impl Admin {
    pub async fn sites(&self) -> Result<Vec<Site>, SiteAdminError> {
        Ok(self.sites.list().await?)
    }

    pub async fn router_choices(&self) -> Result<RouterChoices, SiteAdminError> {
        use crate::domain::AccessStatus;
        let sites = self.sites.list().await?;
        let policy = self.runtime.policy();
        let mut servers = Vec::new();
        for s in sites.iter().filter(|s| s.is_enabled) {
            push_new(&mut servers, &s.hotspot_server);
        }
        if servers.is_empty() {
            servers.push("all".into());
        }
        let mut defaults = serde_json::Map::new();
        for key in ["server_user", "server_komandan", "server_admin", "server_support"] {
            defaults.insert(key.into(), json!(servers[0]));
        }
        let mut profiles = Vec::new();
        for s in AccessStatus::ALL {
            defaults.insert(format!("profile_{}", s.as_str()), json!(policy.profile(*s)));
            push_new(&mut profiles, policy.profile(*s));
        }
        for p in sites.iter().filter_map(|s| s.status_profiles.as_ref()) {
            for name in [&p.active, &p.fup, &p.habis, &p.expired, &p.blocked, &p.inactive, &p.unlimited] {
                push_new(&mut profiles, name);
            }
        }
        let active = policy.profile(AccessStatus::Active);
        for key in ["profile_user", "profile_komandan", "profile_default"] {
            defaults.insert(key.into(), json!(active));
        }
        let sites = sites
            .into_iter()
            .map(|s| SiteChoice {
                id: s.id,
                name: s.name,
                hotspot_server: s.hotspot_server,
                is_enabled: s.is_enabled,
                online: s.online,
            })
            .collect();
        Ok(RouterChoices { server_options: servers, profile_options: profiles, defaults, sites })
    }

    pub async fn site(&self, id: i32) -> Result<Site, SiteAdminError> {
        Ok(Site::from(&self.sites.row(id).await?))
    }

    /// Adds a site; its row and audit entry in one transaction.
    pub async fn add_site(&self, actor: &Actor, patch: SitePatch) -> Result<Site, SiteAdminError> {
        super_only(actor)?;
        let sealed = patch.password.as_deref().map(|p| self.sites.seal_password(p));
        let defaults = SiteDefaults {
            client_ranges: self.settings.hotspot.networks.clients.clone(),
            status_lists: Some(self.settings.policy.lists.clone()),
        };
        let spec = patch.apply(None, &defaults).map_err(SiteAdminError::Invalid)?;
        let actor = actor.clone();
        let row = self
            .db
            .run(move |c| {
                Ok(c.transaction::<_, StoreError, _>(|tx| {
                    let row = store::insert(tx, &spec, sealed)?;
                    let target = Some(Target::new(AuditTarget::Site, row.id));
                    audit::record(
                        tx,
                        &actor,
                        AuditAction::SiteAdd,
                        target,
                        json!({ "after": store::audit_view(&row) }),
                    )?;
                    Ok(row)
                }))
            })
            .await??;
        tracing::info!(site = %row.name, "site added");
        Ok(Site::from(&row))
    }

    /// One change to a site in one transaction: its row locked, `change` writes it and says what
    /// the audit entry records (its action and details), the entry written.
    async fn change_site<F>(&self, actor: &Actor, id: i32, change: F) -> Result<Site, SiteAdminError>
    where
        F: FnOnce(&mut PgConnection, &SiteRow) -> Result<(SiteRow, AuditAction, Value), SiteAdminError>
            + Send
            + 'static,
    {
        super_only(actor)?;
        let actor = actor.clone();
        let row = self
            .db
            .run(move |c| {
                Ok(c.transaction::<_, SiteAdminError, _>(|tx| {
                    let before = store::lock(tx, id)?;
                    let (after, action, details) = change(tx, &before)?;
                    audit::record(tx, &actor, action, Some(Target::new(AuditTarget::Site, id)), details)
                        .map_err(StoreError::Db)?;
                    Ok(after)
                }))
            })
            .await??;
        Ok(Site::from(&row))
    }

    /// Changes a site: the patch applied over it and checked whole, the audit entry with before
    /// and after.
    pub async fn update_site(&self, actor: &Actor, id: i32, patch: SitePatch) -> Result<Site, SiteAdminError> {
        super_only(actor)?;
        let sealed = patch.password.as_deref().map(|p| self.sites.seal_password(p));
        let defaults = SiteDefaults {
            client_ranges: self.settings.hotspot.networks.clients.clone(),
            status_lists: Some(self.settings.policy.lists.clone()),
        };
        self.change_site(actor, id, move |tx, before| {
            let owned = patch.env_fields();
            if before.from_env && !owned.is_empty() {
                return Err(SiteAdminError::FromEnv(owned));
            }
            let base = spec_of(before).map_err(SiteAdminError::Invalid)?;
            let spec = patch.apply(Some(base), &defaults).map_err(SiteAdminError::Invalid)?;
            let after = store::replace(tx, id, &spec, sealed)?;
            let action = match (before.is_enabled, after.is_enabled) {
                (true, false) => AuditAction::SiteDisable,
                (false, true) => AuditAction::SiteEnable,
                _ => AuditAction::SiteUpdate,
            };
            let details = json!({ "before": store::audit_view(before), "after": store::audit_view(&after) });
            Ok((after, action, details))
        })
        .await
    }

    /// Puts a site in a mode (`api`, `radius`, `both`) with its RADIUS secret (sealed; `None`
    /// keeps the stored one), address and CoA port; audited with the site, never the secret.
    pub async fn set_site_radius(
        &self,
        actor: &Actor,
        id: i32,
        spec: crate::sites::radius::RadiusSpec,
        secret: Option<String>,
    ) -> Result<Site, SiteAdminError> {
        super_only(actor)?;
        let sealed = secret.as_deref().map(|s| self.sites.seal_radius_secret(s)).transpose()?;
        self.change_site(actor, id, move |tx, before| {
            let secret_changed = sealed.is_some();
            let after = crate::sites::radius::write(tx, id, &spec, sealed)?;
            let view = |r: &SiteRow| {
                json!({ "mode": r.mode, "radius_address": r.radius_address, "radius_coa_port": r.radius_coa_port })
            };
            let details = json!({ "before": view(before), "after": view(&after), "secret_changed": secret_changed });
            Ok((after, AuditAction::SiteUpdate, details))
        })
        .await
    }

    /// Connects to a site's router with its kept settings and reports what it is; the contact
    /// (or its failure) is recorded on the site.
    pub async fn test_site(&self, actor: &Actor, id: i32) -> Result<SiteTest, SiteAdminError> {
        super_only(actor)?;
        let row = self.sites.row(id).await?;
        let config = self.sites.client_config(&row).map_err(|_| SiteAdminError::Sealed)?;
        let client = RouterClient::new(config);
        let started = Instant::now();
        let found = probe(&client).await;
        client.disconnect().await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let test = match found {
            Ok(mut t) => {
                t.elapsed_ms = elapsed_ms;
                t
            }
            Err(e) => SiteTest {
                ok: false,
                identity: None,
                ros_version: None,
                board: None,
                hotspot_servers: Vec::new(),
                error: Some(e.to_string()),
                elapsed_ms,
            },
        };
        let contact = Contact {
            ros_version: test.ros_version.clone(),
            identity: test.identity.clone(),
            error: test.error.clone(),
        };
        self.sites.record_contact(id, contact).await?;
        Ok(test)
    }
}

/// What the router says it is (the watch's `about`) and the hotspot servers it runs.
async fn probe(client: &RouterClient) -> Result<SiteTest, crate::router::RouterError> {
    let ops = Ops::new(client.clone(), Managed::default());
    let about = ops.about().await?;
    let servers = ops.rows_of("/ip/hotspot").await?;
    Ok(SiteTest {
        ok: true,
        identity: about.identity,
        ros_version: about.version,
        board: about.board,
        hotspot_servers: servers.iter().filter_map(|r| field(r, "name")).map(str::to_owned).collect(),
        error: None,
        elapsed_ms: 0,
    })
}
