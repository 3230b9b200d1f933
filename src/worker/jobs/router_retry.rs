//! Router removals that failed earlier (the router was down), tried again.

use hotspot_jobs::{Done, JobFuture, Payload, Queued, RouterRetry, Rule};

use super::{Ctx, boxed, counted};
use crate::domain::{ClientIp, MacAddress};

impl Queued<Ctx> for RouterRetry {
    const RULE: Rule = Rule::Delivery;

    fn run(self, ctx: &Ctx, _job_id: String) -> JobFuture {
        let devices = ctx.devices.clone();
        counted(Self::QUEUE, async move {
            // Parsed at the edge like any input; a malformed entry is dropped, not retried forever.
            let macs: Vec<MacAddress> = self.forget_macs.iter().filter_map(|m| MacAddress::parse(m).ok()).collect();
            let ips: Vec<ClientIp> = self.forget_ips.iter().filter_map(|i| ClientIp::parse(i).ok()).collect();
            let dropped = self.forget_macs.len() + self.forget_ips.len() - macs.len() - ips.len();
            if dropped > 0 {
                tracing::warn!(dropped, "router retry carried unparsable entries; dropped");
            }
            let (bindings, entries) = devices.retry_forget(macs, ips).await.map_err(boxed)?;
            Ok(Done::new(format!("{}: {bindings} bindings, {entries} addresses removed", self.reason)))
        })
    }
}
