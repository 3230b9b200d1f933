//! The router looked at every minute: going down and coming back are told to the admins who hear
//! `ROUTER_DOWN`, once each. Down means two pings five seconds apart both failed (one lost
//! answer is not an outage).

use std::time::Duration;

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct RouterWatch;

impl Scheduled<Ctx> for RouterWatch {
    const NAME: &'static str = "router-watch";

    fn schedule(_ctx: &Ctx) -> Schedule {
        Schedule::every(Duration::from_secs(60))
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (router, notify) = (ctx.devices.router.clone(), ctx.notify.clone());
        let name = ctx.sync.as_ref().map_or_else(|| "main".to_owned(), |s| s.router_name.clone());
        counted(Self::NAME, async move {
            let Some(ops) = router else { return Ok(Done::new("no router configured")) };
            let mut up = ops.ping().await.is_ok();
            if !up {
                tokio::time::sleep(Duration::from_secs(5)).await;
                up = ops.ping().await.is_ok();
            }
            let w = notify.router_seen(&name, up).await.map_err(boxed)?;
            Ok(Done::new(format!("{w:?}")))
        })
    }
}
