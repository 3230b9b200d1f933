//! Every site's router looked at every minute, all at once: what it answered (identity, RouterOS
//! version) or why not is recorded on the site, and going down and coming back are told to the
//! admins who hear `ROUTER_DOWN`, once each per site. Down means two tries five seconds apart both
//! failed (one lost answer is not an outage).

use std::time::Duration;

use futures_util::future::join_all;
use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};
use crate::notify::Notify;
use crate::sites::fleet::SiteOps;
use crate::sites::{Contact, Sites};

pub struct RouterWatch;

impl Scheduled<Ctx> for RouterWatch {
    const NAME: &'static str = "router-watch";

    fn schedule(_ctx: &Ctx) -> Schedule {
        Schedule::every(Duration::from_secs(60))
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (fleet, sites, notify) = (ctx.fleet.clone(), ctx.sites.clone(), ctx.notify.clone());
        counted(Self::NAME, async move {
            let all = fleet.enabled().await.map_err(boxed)?;
            if all.is_empty() {
                return Ok(Done::new("no site"));
            }
            let seen = join_all(all.into_iter().map(|s| watch(s, &sites, &notify))).await;
            let down: Vec<String> = seen.into_iter().filter_map(|r| r.err()).collect();
            Ok(Done::new(if down.is_empty() {
                "every site answers".to_owned()
            } else {
                format!("down: {}", down.join(", "))
            }))
        })
    }
}

/// One site: asked twice at most; the contact recorded, a change told. `Err(name)` when down.
async fn watch(site: SiteOps, sites: &Sites, notify: &Notify) -> Result<(), String> {
    let mut answer = site.ops.about().await;
    if answer.is_err() {
        tokio::time::sleep(Duration::from_secs(5)).await;
        answer = site.ops.about().await;
    }
    let up = answer.is_ok();
    let contact = match answer {
        Ok(a) => Contact { ros_version: a.version, identity: a.identity, error: None },
        Err(e) => Contact { error: Some(e.to_string()), ..Default::default() },
    };
    if let Err(e) = sites.record_contact(site.id, contact).await {
        tracing::warn!(site = %site.name, error = %e, "the site's contact is not recorded");
    }
    if let Err(e) = notify.router_seen(&site.name, up).await {
        tracing::warn!(site = %site.name, error = %e, "the site's outage watch failed");
    }
    if up { Ok(()) } else { Err(site.name) }
}
