//! The scheduled quota sync: each tick fires in every worker process; the throttle and the
//! sync lock make one of them run the cycle.

use hotspot_jobs::{Done, JobFuture, Rule, Schedule, Scheduled};

use super::{Ctx, boxed, counted};
use crate::domain::SyncTrigger;
use crate::sync::{Summary, TickOutcome, tick};

pub struct QuotaSync;

impl Scheduled<Ctx> for QuotaSync {
    const NAME: &'static str = "quota-sync";
    const RULE: Rule = Rule::Sync;
    const ONCE_PER_TICK: bool = false;

    fn schedule(ctx: &Ctx) -> Schedule {
        Schedule::every(ctx.settings.jobs.sync_interval)
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (sync, kv, every) = (ctx.sync.clone(), ctx.kv.clone(), ctx.settings.jobs.sync_interval);
        counted(Self::NAME, async move {
            let Some(sync) = sync else { return Ok(Done::new("no router configured; nothing to sync")) };
            Ok(match tick(&sync, &kv, every, SyncTrigger::Schedule, None).await.map_err(boxed)? {
                TickOutcome::Ran(s) => Done::new(describe(&s)),
                TickOutcome::Locked => Done::new("another worker is syncing this tick"),
                TickOutcome::Throttled => Done::new("this tick was synced by another worker"),
            })
        })
    }
}

pub(super) fn describe(s: &Summary) -> String {
    format!(
        "run {} {}: {} users, {} bytes charged to {} users, {} status changes, {} router writes, {} errors, {} ms",
        s.run_id,
        s.status,
        s.users,
        s.bytes_charged,
        s.users_charged,
        s.status_changes,
        s.router_writes,
        s.errors.len(),
        s.millis
    )
}
