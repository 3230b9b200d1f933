//! Quota sync: snapshot → plan (pure) → apply (Postgres in one transaction, then the router).

pub mod lock;
pub mod plan;
pub mod run;

pub use run::{FailPoint, Summary, SyncContext, run_cycle};
