//! The RADIUS room: what FreeRADIUS asks the backend (through its `rest` module) for a site in
//! RADIUS mode. A login gets the one policy's decision (the reply attributes of the user's status,
//! or a reject with the reason); an accounting report is charged exactly once per (site, session)
//! into the same ledger and daily usage as the API mode. FreeRADIUS keeps the protocol
//! (retransmissions, the MikroTik dictionary, Message-Authenticator); this room keeps the
//! decisions. The only writer of `radius_sessions`.

pub mod sessions;

use chrono::Utc;
use uuid::Uuid;

use crate::config::radius::RadiusSettings;
use crate::db::{Db, DbError};
use crate::devices::Devices;
use crate::domain::policy::RouterPolicy;
use crate::domain::radius::{AcctKind, Decision, RadiusError, RestAttrs, decide};
use crate::settings::Runtime;
use crate::sites::StoreError;
use crate::sites::fleet::{Fleet, SiteOps};

#[derive(Debug, thiserror::Error)]
pub enum RadiusFailure {
    /// No enabled site of this name is in RADIUS mode.
    #[error("no site in RADIUS mode has this name")]
    UnknownSite,
    #[error(transparent)]
    Bad(#[from] RadiusError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Sites(#[from] StoreError),
}

/// The room's handles; cheap to clone.
#[derive(Clone)]
pub struct Radius {
    db: Db,
    fleet: Fleet,
    devices: Devices,
    runtime: Runtime,
    settings: RadiusSettings,
    timezone: chrono_tz::Tz,
}

/// What an accounting report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accounted {
    pub user: Option<Uuid>,
    pub bytes: u64,
}

impl Radius {
    pub fn new(
        db: Db,
        fleet: Fleet,
        devices: Devices,
        runtime: Runtime,
        settings: RadiusSettings,
        timezone: chrono_tz::Tz,
    ) -> Self {
        Self { db, fleet, devices, runtime, settings, timezone }
    }

    pub fn settings(&self) -> &RadiusSettings {
        &self.settings
    }

    /// The enabled site of this name, when it is in RADIUS mode (FreeRADIUS names the client
    /// whose secret the packet was checked with: the site).
    async fn site(&self, name: &str) -> Result<SiteOps, RadiusFailure> {
        let sites = self.fleet.enabled_cached().await?;
        sites.into_iter().find(|s| s.name == name && s.row.mode.radius()).ok_or(RadiusFailure::UnknownSite)
    }

    /// The backend's policy with the site's names.
    fn policy(&self, site: &SiteOps) -> RouterPolicy {
        let base = self.runtime.policy();
        RouterPolicy {
            lists: site.lists().unwrap_or_else(|| base.lists.clone()),
            profiles: site.profiles().unwrap_or_else(|| base.profiles.clone()),
            ..(*base).clone()
        }
    }

    /// A login (MAC login: the phone's MAC is the user name): the one policy's decision for the
    /// account whose authorized device has the MAC.
    pub async fn authorize(&self, site: &str, attrs: &RestAttrs) -> Result<Decision, RadiusFailure> {
        let site = self.site(site).await?;
        let mac = attrs.mac()?;
        let owner = self.devices.owner_of_authorized(mac).await?;
        let facts = owner.map(|(u, _)| u.facts());
        Ok(decide(facts.as_ref(), &self.policy(&site), Utc::now(), self.settings.interim_secs))
    }

    /// An accounting report, charged exactly once per (site, session).
    pub async fn account(&self, site: &str, attrs: &RestAttrs) -> Result<Accounted, RadiusFailure> {
        let site = self.site(site).await?;
        let report = attrs.report()?;
        let (Some(session), Some(mac)) = (report.session.clone(), report.mac) else {
            // Accounting-On/Off: the router's sessions are all over.
            let id = site.id;
            self.db.run(move |c| sessions::close_site(c, id)).await?;
            return Ok(Accounted { user: None, bytes: 0 });
        };
        debug_assert!(!matches!(report.kind, AcctKind::On | AcctKind::Off));
        let owner = self.devices.owner_of_authorized(mac).await?.map(|(u, _)| u.id);
        let apply = sessions::Apply {
            site: site.id,
            session,
            mac,
            ip: report.ip,
            kind: report.kind,
            total: report.total,
            owner,
            day: Utc::now().with_timezone(&self.timezone).date_naive(),
        };
        let applied = self.db.run(move |c| sessions::apply(c, apply)).await?;
        if applied.bytes > 0 {
            crate::metrics::with(|m| m.radius_bytes_charged.inc_by(applied.bytes));
        }
        Ok(Accounted { user: applied.user, bytes: applied.bytes })
    }

    /// Closes sessions whose reports stopped (the worker's housekeeping).
    pub async fn close_quiet(&self) -> Result<usize, DbError> {
        let secs = self.settings.quiet_close_secs;
        self.db.run(move |c| sessions::close_quiet(c, secs)).await
    }
}
