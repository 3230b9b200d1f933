//! A gone device's router entries: its binding and its address on the status lists. What the
//! router cannot take now goes on the router-retry queue; the sync repairs whatever is still
//! left after that.

use super::Devices;
use crate::domain::{ClientIp, MacAddress};
use crate::router::RouterError;

impl Devices {
    /// Removes the entries of devices that were evicted, removed or deauthorized.
    pub async fn forget_on_router(&self, macs: &[MacAddress], ips: &[ClientIp]) {
        let Some(ops) = &self.router else { return };
        let (mut failed_macs, mut failed_ips) = (Vec::new(), Vec::new());
        for m in macs {
            if let Err(e) = ops.remove_binding(m).await {
                tracing::warn!(mac = %m, error = %e, "could not remove a binding; queued for retry");
                failed_macs.push(m.canonical());
            }
        }
        for ip in ips {
            if let Err(e) = ops.remove_from_status_lists(ip).await {
                tracing::warn!(ip = %ip, error = %e, "could not remove status-list entries; queued for retry");
                failed_ips.push(ip.as_text());
            }
        }
        if failed_macs.is_empty() && failed_ips.is_empty() {
            return;
        }
        let Some(queues) = &self.queues else { return };
        let job =
            hotspot_jobs::RouterRetry { forget_macs: failed_macs, forget_ips: failed_ips, reason: "forget".into() };
        if let Err(e) = queues.push(job).await {
            tracing::error!(error = %e, "could not queue the router retry; the next sync removes the entries");
        }
    }

    /// [`Devices::forget_on_router`] of the given keys.
    pub async fn forget_keys(&self, keys: &[super::DeviceKeys]) {
        let macs: Vec<MacAddress> = keys.iter().map(|(m, _)| *m).collect();
        let ips: Vec<ClientIp> = keys.iter().filter_map(|(_, i)| *i).collect();
        self.forget_on_router(&macs, &ips).await;
    }

    /// [`Devices::forget_on_router`] in the background: the answer does not wait for it.
    pub fn forget_later(&self, macs: Vec<MacAddress>, ips: Vec<ClientIp>) {
        if macs.is_empty() && ips.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move { me.forget_on_router(&macs, &ips).await });
    }

    /// Replays removals queued by [`Devices::forget_on_router`]. Entries whose MAC or IP belongs
    /// to an authorized device again (the user logged back in meanwhile) are left alone. Any
    /// router error fails the whole job so the queue retries it.
    pub async fn retry_forget(&self, macs: Vec<MacAddress>, ips: Vec<ClientIp>) -> Result<(usize, usize), RetryError> {
        let ops = self.router.as_ref().ok_or(RetryError::NoRouter)?;
        let in_use = self.authorized_among(macs.clone(), ips.clone()).await?;
        let (mut bindings, mut entries) = (0, 0);
        for m in &macs {
            if in_use.iter().any(|(mac, _)| mac == m) {
                continue;
            }
            bindings += ops.remove_binding(m).await?;
        }
        for ip in &ips {
            if in_use.iter().any(|(_, i)| i.as_ref() == Some(ip)) {
                continue;
            }
            ops.remove_from_status_lists(ip).await?;
            entries += 1;
        }
        Ok((bindings, entries))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no router is configured")]
    NoRouter,
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}
