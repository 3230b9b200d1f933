//! A manual sync asked for through the queue ("sync now"): waits for a running cycle rather
//! than skipping the tick.

use std::time::Duration;

use hotspot_jobs::{Done, JobFuture, ManualSync, Payload, Queued, Rule};

use super::quota_sync::describe;
use super::{Ctx, boxed, counted};
use crate::domain::SyncTrigger;
use crate::sync::{TickOutcome, tick};

/// How long a manual sync waits between tries while a scheduled cycle holds the lock.
const LOCK_WAIT: Duration = Duration::from_millis(500);

impl Queued<Ctx> for ManualSync {
    const RULE: Rule = Rule::Sync;

    fn run(self, ctx: &Ctx, job_id: String) -> JobFuture {
        let (sync, kv, every) = (ctx.sync.clone(), ctx.kv.clone(), ctx.settings.jobs.sync_interval);
        counted(Self::QUEUE, async move {
            let Some(sync) = sync else { return Err("no router is configured (HOTSPOT_ROUTER_ADDR)".into()) };
            loop {
                match tick(&sync, &kv, every, SyncTrigger::Manual, Some(job_id.clone())).await.map_err(boxed)? {
                    TickOutcome::Ran(s) => return Ok(Done::new(describe(&s))),
                    TickOutcome::Locked | TickOutcome::Throttled => tokio::time::sleep(LOCK_WAIT).await,
                }
            }
        })
    }
}
