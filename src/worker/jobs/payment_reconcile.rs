//! Payments still pending after a while are asked about (missed notifications); ones the
//! provider does not know past their window are expired.

use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};

pub struct PaymentReconcile;

impl Scheduled<Ctx> for PaymentReconcile {
    const NAME: &'static str = "payment-reconcile";

    fn schedule(ctx: &Ctx) -> Schedule {
        Schedule::every(ctx.settings.payments.reconcile_every)
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (billing, after) = (ctx.billing.clone(), ctx.settings.payments.reconcile_after);
        counted(Self::NAME, async move {
            let r = billing.reconcile_pending(after).await.map_err(boxed)?;
            Ok(Done::new(format!(
                "{} pending payments checked: {} moved, {} expired, {} could not be checked",
                r.checked, r.moved, r.expired, r.errors
            )))
        })
    }
}
