//! One user's router entries brought in line with their access status now, at every site where
//! the user has a device (at the environment's site also for devices no site claims, and for a
//! user with none: their hotspot user lives there).

use hotspot_jobs::{Done, JobFuture, Payload, Queued, Reconcile, Rule};

use super::quota_sync::site_context;
use super::{Ctx, boxed, counted};
use crate::sync::reconcile::{DevicesAt, reconcile_user, sites_of};

impl Queued<Ctx> for Reconcile {
    const RULE: Rule = Rule::Delivery;

    fn run(self, ctx: &Ctx, _job_id: String) -> JobFuture {
        let (env, template, fleet) = (ctx.sync.clone(), ctx.sync_template.clone(), ctx.fleet.clone());
        let radius = ctx.radius.clone();
        counted(Self::QUEUE, async move {
            // Parsed at the edge; a payload that is not a user id can never succeed.
            let Ok(id) = uuid::Uuid::parse_str(&self.user_id) else {
                return Err(hotspot_jobs::give_up(format!("reconcile of a non-id {:?}", self.user_id)));
            };
            // RADIUS sessions of a user who may not log in now end at their routers.
            if let Some(r) = &radius {
                for e in r.review(id, &self.reason).await.map_err(boxed)? {
                    tracing::info!(site = e.site, outcome = %e.outcome, "RADIUS session ended");
                }
            }
            let all = fleet.enabled().await.map_err(boxed)?;
            // Only a site in API mode has bindings of ours to bring in line (a bypass binding at a
            // RADIUS site would let a phone past its accounting).
            let sites: Vec<_> = all.iter().filter(|s| s.row.mode == crate::domain::radius::SiteMode::Api).collect();
            if all.is_empty() {
                // No site written yet (a backend just started): the environment's router, as before.
                let Some(sync) = env else { return Ok(Done::new("no router configured; nothing to reconcile")) };
                return Ok(match reconcile_user(&sync, id, DevicesAt::All).await.map_err(boxed)? {
                    Some(r) => {
                        Done::new(format!("{}: user now {}, {} router changes", self.reason, r.status, r.changes))
                    }
                    None => Done::new(format!("{}: the user no longer exists", self.reason)),
                });
            }
            let at = sites_of(&template.db, id).await.map_err(boxed)?;
            let mut said = Vec::new();
            for site in &sites {
                let default = site.row.from_env;
                let here = at.contains(&Some(site.id)) || (default && (at.is_empty() || at.contains(&None)));
                if !here {
                    continue;
                }
                let sync = site_context(site, env.as_ref(), &template);
                // A site that fails is retried with the whole job (each site's writes are idempotent).
                match reconcile_user(&sync, id, DevicesAt::Site { id: site.id, default }).await.map_err(boxed)? {
                    Some(r) => said.push(format!("{}: user now {}, {} router changes", site.name, r.status, r.changes)),
                    None => return Ok(Done::new(format!("{}: the user no longer exists", self.reason))),
                }
            }
            Ok(Done::new(format!(
                "{}: {}",
                self.reason,
                if said.is_empty() { "no site holds a device".into() } else { said.join("; ") }
            )))
        })
    }
}
