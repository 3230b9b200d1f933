//! Devices unseen for the operator's days removed, with their router entries.

use std::time::Duration;

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct StaleDevices;

impl Scheduled<Ctx> for StaleDevices {
    const NAME: &'static str = "device-cleanup";

    fn schedule(ctx: &Ctx) -> Schedule {
        Schedule::cron(ctx.settings.jobs.device_cleanup_cron.clone())
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let devices = ctx.devices.clone();
        let after = Duration::from_secs(u64::from(ctx.runtime.get().device_stale_days) * 86_400);
        counted(Self::NAME, async move {
            let n = devices.cleanup_stale(after).await.map_err(boxed)?;
            Ok(Done::new(format!("{n} stale devices removed")))
        })
    }
}
