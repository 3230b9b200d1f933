//! Quota on credit's rules applied (blocks, lifts, due-date reminders): see `admin::debt_rules`.

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct DebtRules;

impl Scheduled<Ctx> for DebtRules {
    const NAME: &'static str = "debt-rules";

    fn schedule(ctx: &Ctx) -> Schedule {
        Schedule::cron(ctx.settings.jobs.debt_rules_cron.clone())
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let admin = ctx.admin.clone();
        counted(Self::NAME, async move {
            let r = admin.apply_debt_rules(chrono::Utc::now()).await.map_err(boxed)?;
            Ok(Done::new(format!("{} blocked, {} lifted, {} reminded", r.blocked, r.lifted, r.reminded)))
        })
    }
}
