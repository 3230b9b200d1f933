//! One user's router entries brought in line with their access status now.

use hotspot_jobs::{Done, JobFuture, Payload, Queued, Reconcile, Rule};

use super::{Ctx, boxed, counted};

impl Queued<Ctx> for Reconcile {
    const RULE: Rule = Rule::Delivery;

    fn run(self, ctx: &Ctx, _job_id: String) -> JobFuture {
        let sync = ctx.sync.clone();
        counted(Self::QUEUE, async move {
            let Some(sync) = sync else { return Ok(Done::new("no router configured; nothing to reconcile")) };
            // Parsed at the edge; a payload that is not a user id can never succeed.
            let Ok(id) = uuid::Uuid::parse_str(&self.user_id) else {
                return Err(hotspot_jobs::give_up(format!("reconcile of a non-id {:?}", self.user_id)));
            };
            Ok(match crate::sync::reconcile::reconcile_user(&sync, id).await.map_err(boxed)? {
                Some(r) => Done::new(format!("{}: user now {}, {} router changes", self.reason, r.status, r.changes)),
                None => Done::new(format!("{}: the user no longer exists", self.reason)),
            })
        })
    }
}
