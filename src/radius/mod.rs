//! The RADIUS room: what FreeRADIUS asks the backend (through its `rest` module) for a site in
//! RADIUS mode. A login gets the one policy's decision (the reply attributes of the user's status,
//! or a reject with the reason); an accounting report is charged exactly once per (site, session)
//! into the same ledger and daily usage as the API mode. FreeRADIUS keeps the protocol
//! (retransmissions, the MikroTik dictionary, Message-Authenticator); this room keeps the
//! decisions. The only writer of `radius_sessions`.

pub mod end;
pub mod sessions;

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use crate::config::radius::RadiusSettings;
use crate::db::{Db, DbError};
use crate::devices::Devices;
use crate::domain::policy::RouterPolicy;
use crate::domain::radius::{AcctKind, Decision, RadiusError, RestAttrs, decide};
use crate::settings::Runtime;
use crate::sites::fleet::{Fleet, SiteOps};
use crate::sites::{Sites, StoreError};

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
    sites: Sites,
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
        sites: Sites,
        runtime: Runtime,
        s: &crate::config::Settings,
    ) -> Option<Self> {
        let (settings, timezone) = (s.radius.clone()?, s.timezone);
        Some(Self { db, fleet, devices, sites, runtime, settings, timezone })
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
        let mac = match attrs.login_mac() {
            Ok(mac) => mac,
            // A typed login (someone else's MAC as the user name): refused as unknown.
            Err(RadiusError::NotMacLogin) => return Ok(Decision::Reject(crate::domain::radius::RejectReason::Unknown)),
            Err(e) => return Err(e.into()),
        };
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
        if let (Some(user), true) = (applied.user, applied.bytes > 0) {
            crate::metrics::with(|m| m.radius_bytes_charged.inc_by(applied.bytes));
            self.after_charge(&site, user, applied.bytes).await?;
        }
        Ok(Accounted { user: applied.user, bytes: applied.bytes })
    }

    /// When a charge moves the user's status (fair use reached, quota gone), the status is
    /// stored and the user's sessions are ended now, in the background (the router logs the
    /// phone in again by MAC and the next Accept carries the new status), not at the next cycle.
    async fn after_charge(&self, site: &SiteOps, user: Uuid, bytes: u64) -> Result<(), RadiusFailure> {
        let policy = self.policy(site);
        let moved = self
            .db
            .run(move |c| {
                let u: crate::db::models::User =
                    crate::db::schema::users::table.find(user).select(crate::db::models::User::as_select()).first(c)?;
                let now = Utc::now();
                let mut before = u.facts();
                before.used_bytes = before.used_bytes.saturating_sub(i64::try_from(bytes).unwrap_or(i64::MAX));
                let (was, is) = (policy.status(&before, now), policy.status(&u.facts(), now));
                crate::accounts::status::store(c, u, &policy)?;
                Ok((was != is).then_some(is))
            })
            .await?;
        if let Some(status) = moved {
            let room = self.clone();
            tokio::spawn(async move {
                if let Err(e) = room.end_sessions(user, &format!("status now {status}")).await {
                    tracing::warn!(error = %e, "RADIUS sessions not ended after a status change");
                }
            });
        }
        Ok(())
    }

    /// After an admin's change (the worker's reconcile): a user who may not log in now has
    /// every open session ended.
    pub async fn review(&self, user: Uuid, why: &str) -> Result<Vec<end::Ended>, DbError> {
        let policy = self.runtime.policy();
        let refused = self
            .db
            .run(move |c| {
                let u: Option<crate::db::models::User> = crate::db::schema::users::table
                    .find(user)
                    .select(crate::db::models::User::as_select())
                    .first(c)
                    .optional()?;
                Ok(u.is_none_or(|u| !crate::domain::policy::bypasses_login(policy.status(&u.facts(), Utc::now()))))
            })
            .await?;
        if refused { self.end_sessions(user, why).await } else { Ok(vec![]) }
    }

    /// Closes sessions whose reports stopped (the worker's housekeeping).
    pub async fn close_quiet(&self) -> Result<usize, DbError> {
        let secs = self.settings.quiet_close_secs;
        self.db.run(move |c| sessions::close_quiet(c, secs)).await
    }
}
