//! What a cycle works with and what it ends with: the context (handles, the one policy, the
//! writers' count), its stages as it runs, its errors, its summary.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::db::{Db, DbError};
use crate::domain::RunStatus;
use crate::router::RouterError;
use crate::router::ops::Ops;

/// A stage of a cycle, reported as it starts (`hotspot sync --now` shows them on a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The router snapshot and the database load run side by side.
    Reading,
    Charging {
        hosts: usize,
        users: usize,
        devices: usize,
    },
    /// Reported as the writes start (`done` 0), then as they go on.
    WritingRouter {
        done: usize,
        changes: usize,
    },
}

impl Stage {
    /// A stage beginning, not a progress report within one.
    pub fn is_start(&self) -> bool {
        !matches!(self, Stage::WritingRouter { done, .. } if *done > 0)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Reading => write!(f, "reading the router and loading users and devices"),
            Stage::Charging { hosts, users, devices } => {
                write!(f, "{hosts} hosts, {users} users, {devices} devices planned; charging usage")
            }
            Stage::WritingRouter { done: 0, changes } => write!(f, "usage committed; writing {changes} router changes"),
            Stage::WritingRouter { done, changes } => {
                write!(f, "usage committed; writing {changes} router changes, {done} done")
            }
        }
    }
}

pub type Progress = std::sync::Arc<dyn Fn(Stage) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("router: {0}")]
    Router(#[from] RouterError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("fault injected: {0}")]
    Injected(&'static str),
}

impl From<diesel::result::Error> for SyncError {
    fn from(e: diesel::result::Error) -> Self {
        SyncError::Db(e.into())
    }
}

/// Where to stop on purpose (tests of crash safety): the cycle fails at that point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailPoint {
    #[default]
    None,
    /// Inside the usage transaction, after the writes, before COMMIT.
    BeforeCommit,
    /// After the usage commit, before the router diff.
    AfterCommit,
}

#[derive(Clone)]
pub struct SyncContext {
    pub db: Db,
    pub router: Ops,
    /// The site this context syncs.
    pub site: SiteScope,
    /// Runtime settings: what each status means on the router (the one policy sign-in uses
    /// too), read afresh by each cycle.
    pub runtime: crate::settings::Runtime,
    /// Marks the router entries we own.
    pub comment_prefix: String,
    pub timezone: chrono_tz::Tz,
    /// Usage transactions of one cycle run side by side on this many connections, each for its
    /// share of the users (a user's devices, ledger row and totals always in one transaction).
    pub writers: usize,
    /// Told of each stage as it starts, and of the router writes' progress.
    pub progress: Option<Progress>,
    /// How often a long write-out reports its progress (the callback and the cycle's row).
    pub progress_every: Duration,
    /// How long the cycle lock lasts without renewal: longer than a cycle may take.
    pub lock_ttl: Duration,
    /// Tests only: stop between planning and charging until told to go on (an overlap).
    pub pause: Option<Arc<Pause>>,
    /// Where the users' messages go (status changes, quota running low); none: nobody is told.
    pub notify: Option<hotspot_jobs::Queues>,
}

/// What every site's sync context shares.
#[derive(Clone)]
pub struct SyncTemplate {
    pub db: Db,
    pub runtime: crate::settings::Runtime,
    pub timezone: chrono_tz::Tz,
    pub writers: usize,
    pub notify: Option<hotspot_jobs::Queues>,
}

impl SyncTemplate {
    /// A site's context: its router, its names, the comment prefix of its entries.
    pub fn context(&self, router: Ops, site: SiteScope, comment_prefix: String) -> SyncContext {
        SyncContext {
            db: self.db.clone(),
            router,
            site,
            runtime: self.runtime.clone(),
            comment_prefix,
            timezone: self.timezone,
            writers: self.writers,
            progress: None,
            progress_every: Duration::from_secs(1),
            lock_ttl: super::LOCK_LEASE,
            pause: None,
            notify: self.notify.clone(),
        }
    }
}

/// The site a cycle syncs: its row found by name (the environment's made on first sight), its
/// own lists and profiles over the backend's policy.
#[derive(Debug, Clone)]
pub struct SiteScope {
    pub name: String,
    pub host: String,
    /// The environment's site: its devices include those no site claims (bound before sites
    /// existed), and its cycle keeps every user's stored status current.
    pub default: bool,
    pub lists: Option<crate::domain::policy::PerStatus>,
    pub profiles: Option<crate::domain::policy::PerStatus>,
    /// The router housekeeping its cycles do, and the client ranges it applies to.
    pub housekeeping: crate::domain::housekeeping::Housekeeping,
    pub clients: Vec<crate::domain::Cidr>,
}

impl SiteScope {
    /// The environment's router as the default site.
    pub fn default_site(host: &str) -> Self {
        Self {
            name: "main".into(),
            host: host.to_owned(),
            default: true,
            lists: None,
            profiles: None,
            housekeeping: Default::default(),
            clients: Vec::new(),
        }
    }

    /// The backend's policy with this site's names.
    pub fn policy(&self, base: &crate::domain::policy::RouterPolicy) -> crate::domain::policy::RouterPolicy {
        crate::domain::policy::RouterPolicy {
            lists: self.lists.clone().unwrap_or_else(|| base.lists.clone()),
            profiles: self.profiles.clone().unwrap_or_else(|| base.profiles.clone()),
            ..base.clone()
        }
    }

    /// What a snapshot reads beyond every cycle's, for the site's housekeeping.
    pub fn snapshot_wants(&self) -> crate::router::ops::SnapshotWants {
        let h = &self.housekeeping;
        crate::router::ops::SnapshotWants {
            host_state: h.reads_host_state(),
            leases: h.dhcp_lease_server.is_some(),
            lists: h.unauthorized_list.iter().cloned().collect(),
        }
    }

    /// What the site's lock and throttle keys end with (the default site keeps the keys of the
    /// single-router backend, so an upgrade overlaps nothing).
    pub fn key_suffix(&self) -> String {
        if self.default { String::new() } else { format!(":{}", self.name) }
    }
}

/// A place a cycle waits at (tests of overlapping cycles).
#[derive(Default)]
pub struct Pause {
    pub reached: tokio::sync::Notify,
    pub resume: tokio::sync::Notify,
}

impl SyncContext {
    /// Tells the progress callback and records the stage on the cycle's row (the admin's sync
    /// status shows it); a failure to record it is only logged.
    pub(crate) async fn report(&self, run_id: i64, stage: Stage) {
        if let Some(p) = &self.progress {
            p(stage);
        }
        let text = stage.to_string();
        let recorded = self.db.run(move |conn| crate::sites::runs::stage(conn, run_id, &text)).await;
        if let Err(e) = recorded {
            tracing::debug!(error = %e, run_id, "sync stage not recorded");
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_id: i64,
    pub status: RunStatus,
    pub users: usize,
    pub devices: usize,
    pub hosts: usize,
    /// Our devices among the router's hosts (online this cycle).
    pub online: usize,
    pub bytes_charged: u64,
    pub users_charged: usize,
    pub router_commands: usize,
    pub router_writes: usize,
    pub status_changes: usize,
    pub errors: Vec<String>,
    pub millis: u128,
}

impl Summary {
    /// A cycle that has not got anywhere yet (failed unless it finishes).
    pub fn new(run_id: i64) -> Self {
        Self {
            run_id,
            status: RunStatus::Failed,
            users: 0,
            devices: 0,
            hosts: 0,
            online: 0,
            bytes_charged: 0,
            users_charged: 0,
            router_commands: 0,
            router_writes: 0,
            status_changes: 0,
            errors: vec![],
            millis: 0,
        }
    }

    /// What the cycle's row keeps.
    pub fn finished(&self) -> crate::sites::runs::Finished {
        crate::sites::runs::Finished {
            status: self.status,
            users: self.users,
            devices: self.devices,
            online: self.online,
            bytes_charged: self.bytes_charged,
            router_commands: self.router_commands,
            router_writes: self.router_writes,
            errors: self.errors.clone(),
        }
    }
}

impl PartialEq for Summary {
    fn eq(&self, other: &Self) -> bool {
        self.run_id == other.run_id
    }
}

impl Eq for Summary {}
