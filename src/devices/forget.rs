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

    /// Removes the entries of the given devices at the site each is bound at: the environment's
    /// (and devices bound before sites) through [`Devices::forget_on_router`], with its retries;
    /// another site's directly, what its router cannot take now left to that site's next cycle,
    /// which removes what no device wants. Only that site's entries: sites reuse addresses.
    pub async fn forget_keys(&self, keys: &[super::DeviceKeys]) {
        // An address another signed-in phone holds now at the same site (or at one that cannot
        // be told apart) keeps its entries: they are that phone's.
        let ips: Vec<ClientIp> = keys.iter().filter_map(|k| k.1).collect();
        let in_use = match ips.is_empty() {
            true => Vec::new(),
            false => match self.authorized_among(Vec::new(), ips).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "could not tell which addresses are in use; their entries wait for the next cycle");
                    keys.iter().map(|k| (k.0, k.1, None)).collect()
                }
            },
        };
        let held = |ip: &ClientIp, site: Option<i32>| {
            in_use.iter().any(|(_, i, s)| i.as_ref() == Some(ip) && (s.is_none() || site.is_none() || *s == site))
        };
        let mut by_site: std::collections::BTreeMap<Option<i32>, (Vec<MacAddress>, Vec<ClientIp>)> = Default::default();
        for (m, i, site) in keys {
            let entry = by_site.entry(*site).or_default();
            entry.0.push(*m);
            entry.1.extend(i.filter(|ip| !held(ip, *site)));
        }
        let sites = match (&self.fleet, by_site.keys().any(Option::is_some)) {
            (Some(fleet), true) => fleet.enabled_cached().await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the sites are not readable; their next cycles remove the entries");
                Vec::new()
            }),
            _ => Vec::new(),
        };
        for (site, (macs, ips)) in by_site {
            match site.and_then(|id| sites.iter().find(|s| s.id == id)) {
                Some(s) if !s.row.from_env => forget_at(&s.ops, &s.name, &macs, &ips).await,
                // The environment's site, devices bound before sites, or no sites at all.
                Some(_) => self.forget_on_router(&macs, &ips).await,
                None if site.is_none() || self.fleet.is_none() => self.forget_on_router(&macs, &ips).await,
                // A site not enabled now (or the sites unreadable): never another site's router,
                // which may use the same addresses; the site's next cycle removes the entries.
                None => {
                    tracing::info!("a removed device's site is not reachable now; its next cycle removes the entries")
                }
            }
        }
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
            if in_use.iter().any(|(mac, _, _)| mac == m) {
                continue;
            }
            bindings += ops.remove_binding(m).await?;
        }
        for ip in &ips {
            if in_use.iter().any(|(_, i, _)| i.as_ref() == Some(ip)) {
                continue;
            }
            ops.remove_from_status_lists(ip).await?;
            entries += 1;
        }
        Ok((bindings, entries))
    }
}

/// A site's entries for these devices; failures are left to the site's next cycle.
async fn forget_at(ops: &crate::router::ops::Ops, site: &str, macs: &[MacAddress], ips: &[ClientIp]) {
    for m in macs {
        if let Err(e) = ops.remove_binding(m).await {
            tracing::warn!(site, mac = %m, error = %e, "could not remove a binding; the site's next cycle removes it");
        }
    }
    for ip in ips {
        if let Err(e) = ops.remove_from_status_lists(ip).await {
            tracing::warn!(site, ip = %ip, error = %e, "could not remove status-list entries; the site's next cycle does");
        }
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
