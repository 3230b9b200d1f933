//! The sync room: quota per cycle, snapshot → plan (pure) → apply (Postgres, one transaction
//! per batch, then the router), and one user's router entries brought in line between cycles
//! (`reconcile`). Its own table is `device_counters` (the baselines); the charge is the fused
//! write over the accounts room's tables named in docs/architecture.md.

mod apply;
pub mod context;
mod load;
pub mod lock;
pub mod plan;
mod progress;
pub mod reconcile;
pub mod run;
pub mod tick;

pub use context::{FailPoint, Pause, Progress, SiteScope, Stage, Summary, SyncContext, SyncError, SyncTemplate};
pub use run::run_cycle;
pub use tick::{LOCK_LEASE, POLL, TickOutcome, tick};
