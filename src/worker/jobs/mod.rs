//! Every job the worker runs, one type each, registered here in one line.

pub mod backup;
pub mod debt_rules;
pub mod expiry_warnings;
pub mod gateway_watch;
pub mod housekeeping;
pub mod manual_sync;
pub mod notify;
pub mod payment_reconcile;
pub mod quota_sync;
pub mod reconcile;
pub mod router_retry;
pub mod router_watch;
pub mod stale_devices;
pub mod walled_garden;

use hotspot_jobs::{BoxError, Done, JobFuture, Worker};

pub use housekeeping::Housekeeping;
pub use quota_sync::QuotaSync;

use super::Ctx;

/// The worker with every job: a new job is its own file and one line here.
pub fn register(w: Worker<Ctx>) -> Worker<Ctx> {
    w.scheduled::<QuotaSync>()
        .queued::<hotspot_jobs::ManualSync>()
        .scheduled::<Housekeeping>()
        .scheduled::<stale_devices::StaleDevices>()
        .queued::<hotspot_jobs::RouterRetry>()
        .queued::<hotspot_jobs::Reconcile>()
        .scheduled::<payment_reconcile::PaymentReconcile>()
        .queued::<hotspot_jobs::Notify>()
        .scheduled::<expiry_warnings::ExpiryWarnings>()
        .scheduled::<gateway_watch::GatewayWatch>()
        .scheduled::<router_watch::RouterWatch>()
        .scheduled::<walled_garden::WalledGarden>()
        .scheduled::<backup::Backup>()
        .scheduled::<debt_rules::DebtRules>()
}

/// A job's future, counted in `hotspot_job_failures_total` when it fails.
fn counted(
    job: &'static str,
    fut: impl std::future::Future<Output = Result<Done, BoxError>> + Send + 'static,
) -> JobFuture {
    Box::pin(async move {
        let r = fut.await;
        if r.is_err() {
            crate::metrics::job_failed(job);
        }
        r
    })
}

/// A room's error as a job's.
fn boxed<E: std::error::Error + Send + Sync + 'static>(e: E) -> BoxError {
    Box::new(e)
}
