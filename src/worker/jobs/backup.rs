//! The worker's own database backup when `HOTSPOT_CRON_BACKUP` names a schedule (off by default:
//! the compose stack's `backups` service makes the scheduled dumps): pg_dump into the backup
//! folder, the oldest beyond the kept number removed.

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct Backup;

impl Scheduled<Ctx> for Backup {
    const NAME: &'static str = "backup";

    fn schedule(ctx: &Ctx) -> Schedule {
        let daily = || hotspot_jobs::parse_cron("0 0 2 * * *").ok();
        match ctx.settings.backups.cron.clone().or_else(daily) {
            Some(c) => Schedule::cron(c),
            None => Schedule::every(std::time::Duration::from_secs(86_400)),
        }
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (admin, on) = (ctx.admin.clone(), ctx.settings.backups.cron.is_some());
        counted(Self::NAME, async move {
            if !on {
                return Ok(Done::new("the worker makes no scheduled backups (HOTSPOT_CRON_BACKUP is off)"));
            }
            let f = admin.create_backup(None, "scheduled").await.map_err(boxed)?;
            Ok(Done::new(format!("backup {} ({} bytes)", f.name, f.size_bytes)))
        })
    }
}
