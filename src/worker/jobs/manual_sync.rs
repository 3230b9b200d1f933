//! A manual sync asked for through the queue ("sync now"): a cycle at every enabled site, each
//! waiting for a running cycle of its site rather than skipping the tick.

use std::time::Duration;

use hotspot_jobs::{Done, JobFuture, ManualSync, Payload, Queued, Rule};

use super::quota_sync::{describe, site_context};
use super::{Ctx, boxed, counted};
use crate::domain::SyncTrigger;
use crate::sync::{SyncContext, TickOutcome, tick};

/// How long a manual sync waits between tries while a scheduled cycle holds the lock.
const LOCK_WAIT: Duration = Duration::from_millis(500);

impl Queued<Ctx> for ManualSync {
    const RULE: Rule = Rule::Sync;

    fn run(self, ctx: &Ctx, job_id: String) -> JobFuture {
        let (env, template, fleet) = (ctx.sync.clone(), ctx.sync_template.clone(), ctx.fleet.clone());
        let (kv, every) = (ctx.kv.clone(), ctx.settings.jobs.sync_interval);
        counted(Self::QUEUE, async move {
            let all = fleet.enabled().await.map_err(boxed)?;
            // A site in RADIUS mode is charged from its accounting, never from its host table.
            let sites: Vec<_> = all.iter().filter(|s| !s.row.mode.radius()).collect();
            let contexts: Vec<(String, SyncContext)> = if all.is_empty() {
                let Some(sync) = env else { return Err("no router is configured (HOTSPOT_ROUTER_ADDR)".into()) };
                vec![("main".into(), sync)]
            } else {
                sites.iter().map(|s| (s.name.clone(), site_context(s, env.as_ref(), &template))).collect()
            };
            let mut said = Vec::new();
            for (name, sync) in contexts {
                loop {
                    match tick(&sync, &kv, every, SyncTrigger::Manual, Some(job_id.clone())).await {
                        Ok(TickOutcome::Ran(s)) => break said.push(format!("{name}: {}", describe(&s))),
                        Ok(TickOutcome::Locked | TickOutcome::Throttled) => tokio::time::sleep(LOCK_WAIT).await,
                        // One site down does not keep the others from their cycle.
                        Err(e) => break said.push(format!("{name}: failed: {e}")),
                    }
                }
            }
            Ok(Done::new(said.join("; ")))
        })
    }
}
