//! The scheduled quota sync: each tick fires in every worker process and goes through the
//! enabled sites one by one; each site's throttle and lock make one process run its cycle, so
//! two workers take different sites at once and a site is never synced by two. A site that is
//! down fails alone (its cycle recorded as failed); the others are synced.

use hotspot_jobs::{Done, JobFuture, Rule, Schedule, Scheduled};

use super::{Ctx, boxed, counted};
use crate::domain::SyncTrigger;
use crate::domain::housekeeping::Housekeeping;
use crate::sites::cidrs;
use crate::sites::fleet::{SiteOps, per_status};
use crate::sync::{SiteScope, Summary, SyncContext, SyncError, SyncTemplate, TickOutcome, tick};

pub struct QuotaSync;

impl Scheduled<Ctx> for QuotaSync {
    const NAME: &'static str = "quota-sync";
    const RULE: Rule = Rule::Sync;
    const ONCE_PER_TICK: bool = false;

    fn schedule(ctx: &Ctx) -> Schedule {
        Schedule::every(ctx.settings.jobs.sync_interval)
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (env, template, fleet) = (ctx.sync.clone(), ctx.sync_template.clone(), ctx.fleet.clone());
        let (kv, every) = (ctx.kv.clone(), ctx.settings.jobs.sync_interval);
        counted(Self::NAME, async move {
            let mut sites = fleet.enabled().await.map_err(boxed)?;
            // A site in RADIUS mode is charged from its accounting, never from its host table.
            sites.retain(|s| !s.row.mode.radius());
            if sites.is_empty() {
                return Ok(Done::new("no site in API mode; nothing to sync"));
            }
            let (mut said, mut failed, mut failures) = (Vec::new(), None, 0);
            let outcomes = tick_sites(&sites, env.as_ref(), &template, &kv, every).await;
            let count = outcomes.len();
            for (name, outcome) in outcomes {
                match outcome {
                    Ok(TickOutcome::Ran(s)) => said.push(format!("{name}: {}", describe(&s))),
                    Ok(TickOutcome::Locked) => said.push(format!("{name}: another worker is syncing it")),
                    Ok(TickOutcome::Throttled) => said.push(format!("{name}: synced this tick already")),
                    Err(e) => {
                        said.push(format!("{name}: failed: {e}"));
                        failures += 1;
                        failed.get_or_insert(e);
                    }
                }
            }
            // Retried only when every site failed (the database or Redis, not one router).
            match failed {
                Some(e) if failures == count => Err(boxed(e)),
                _ => Ok(Done::new(said.join("; "))),
            }
        })
    }
}

/// One scheduled tick over the given sites, one after another, each site's outcome by name
/// (what a worker process does each tick; `bench sync --sites` runs it in its worker processes).
pub async fn tick_sites(
    sites: &[SiteOps],
    env: Option<&SyncContext>,
    template: &SyncTemplate,
    kv: &crate::kv::Kv,
    every: std::time::Duration,
) -> Vec<(String, Result<TickOutcome, SyncError>)> {
    let mut outcomes = Vec::with_capacity(sites.len());
    for site in sites {
        let sync = site_context(site, env, template);
        outcomes.push((site.name.clone(), tick(&sync, kv, every, SyncTrigger::Schedule, None).await));
    }
    outcomes
}

/// A site's sync context: the environment's own for its site, else one made for the site.
pub fn site_context(site: &SiteOps, env: Option<&SyncContext>, template: &SyncTemplate) -> SyncContext {
    let housekeeping = Housekeeping::from_stored(&site.row.housekeeping);
    let clients = cidrs(&site.row.client_ranges);
    if let (true, Some(env)) = (site.row.from_env, env) {
        let mut ctx = env.clone();
        (ctx.site.housekeeping, ctx.site.clients) = (housekeeping, clients);
        return ctx;
    }
    let scope = SiteScope {
        name: site.row.name.clone(),
        host: site.row.host.clone(),
        default: site.row.from_env,
        lists: per_status(&site.row.status_lists),
        profiles: per_status(&site.row.status_profiles),
        housekeeping,
        clients,
    };
    template.context(site.ops.clone(), scope, site.row.comment_prefix.clone())
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
