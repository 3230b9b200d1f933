//! The expiry warnings due today queued (7, 3 and 1 days before), at a sane local hour.

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct ExpiryWarnings;

impl Scheduled<Ctx> for ExpiryWarnings {
    const NAME: &'static str = "expiry-warnings";

    fn schedule(ctx: &Ctx) -> Schedule {
        Schedule::cron(ctx.settings.notify.expiry_warnings_cron.clone())
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let notify = ctx.notify.clone();
        counted(Self::NAME, async move {
            let n = notify.queue_expiry_warnings().await.map_err(boxed)?;
            Ok(Done::new(format!("{n} expiry warnings queued")))
        })
    }
}
