//! The router's walled garden kept in step every ten minutes: the portal's and the payment
//! provider's hosts, so a phone that may not browse (not signed in, quota used up) still reaches
//! the sign-in page and the shop.

use std::time::Duration;

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct WalledGarden;

impl Scheduled<Ctx> for WalledGarden {
    const NAME: &'static str = "walled-garden";

    fn schedule(_ctx: &Ctx) -> Schedule {
        Schedule::every(Duration::from_secs(600))
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (router, hosts) = (ctx.devices.router.clone(), ctx.settings.walled_garden_hosts());
        counted(Self::NAME, async move {
            let Some(ops) = router else { return Ok(Done::new("no router configured")) };
            let r = ops.ensure_walled_garden(&hosts).await.map_err(boxed)?;
            Ok(Done::new(format!("walled garden: {} hosts, {} added, {} removed", hosts.len(), r.added, r.removed)))
        })
    }
}
