//! One message to a user sent (or put off until the quiet hours end).

use hotspot_jobs::{Done, JobFuture, Notify, Payload, Queued, Rule};

use super::{Ctx, boxed, counted};

impl Queued<Ctx> for Notify {
    const RULE: Rule = Rule::Delivery;

    fn run(self, ctx: &Ctx, _job_id: String) -> JobFuture {
        let notify = ctx.notify.clone();
        counted(Self::QUEUE, async move {
            let outcome = notify.deliver(self).await.map_err(boxed)?;
            Ok(Done::new(format!("{outcome:?}")))
        })
    }
}
