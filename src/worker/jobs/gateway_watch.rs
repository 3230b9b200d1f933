//! The WhatsApp gateway's session checked every minute; a drop is logged and told to the
//! operators through the secondary provider.

use std::time::Duration;

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct GatewayWatch;

impl Scheduled<Ctx> for GatewayWatch {
    const NAME: &'static str = "gateway-watch";

    fn schedule(_ctx: &Ctx) -> Schedule {
        Schedule::every(Duration::from_secs(60))
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let notify = ctx.notify.clone();
        counted(Self::NAME, async move {
            let w = notify.check_gateway().await.map_err(boxed)?;
            Ok(Done::new(format!("{w:?}")))
        })
    }
}
