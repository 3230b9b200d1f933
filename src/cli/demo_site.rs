//! The demo's second site, "gedung-b": its own simulated router (API 127.0.0.1:18733, control
//! port 18734, each movable) handing out the same client range as the first, with Sari's second
//! phone at the very address of her first; its own public address, 127.0.0.3 (the demo treats
//! 127.0.0.1 as the first site's and 127.0.0.2 as the internet).

use std::sync::Arc;

use anyhow::Context;

use crate::admin::Actor;
use crate::app::App;
use crate::sim::router::{SimConfig, SimRouter, control};
use crate::sites::patch::SiteInput;

pub const SECOND_SITE: &str = "gedung-b";
/// Sari's second phone, at gedung-b: the address her first phone has at the first site.
pub const SECOND_PHONE: (&str, &str) = ("02:DE:00:00:0B:02", "10.5.50.12");
const SECOND_EGRESS: &str = "127.0.0.3/32";

pub struct SecondSite {
    pub sim: Arc<SimRouter>,
    pub control: std::net::SocketAddr,
    _control: tokio::task::JoinHandle<()>,
    _ticker: tokio::task::JoinHandle<()>,
}

fn addr(var: &str, default: &str) -> anyhow::Result<std::net::SocketAddr> {
    std::env::var(var).unwrap_or_else(|_| default.into()).parse().with_context(|| format!("{var} must be host:port"))
}

/// Starts gedung-b's router simulator (seed 2: its strangers are not the first site's); its
/// clock runs at one simulated second per second.
pub async fn start() -> anyhow::Result<SecondSite> {
    let listen = addr("HOTSPOT_DEMO_ROUTER2_LISTEN", "127.0.0.1:18733")?;
    let control_at = addr("HOTSPOT_DEMO_ROUTER2_CONTROL", "127.0.0.1:18734")?;
    let sim =
        Arc::new(SimRouter::start(listen, SimConfig { seed: 2, ..SimConfig::default() }).await.with_context(|| {
            format!("cannot start gedung-b's router simulator on {listen} (HOTSPOT_DEMO_ROUTER2_LISTEN)")
        })?);
    sim.with_state(|s| {
        s.seed_hosts(0, 20);
        if let (Ok(m), Ok(a)) = (crate::domain::MacAddress::parse(SECOND_PHONE.0), SECOND_PHONE.1.parse()) {
            s.add_host(m, a);
        }
    });
    let control = control::serve(control_at, sim.clone()).await.with_context(|| {
        format!("cannot start gedung-b's control port on {control_at} (HOTSPOT_DEMO_ROUTER2_CONTROL)")
    })?;
    let ticker = ticking(sim.clone());
    Ok(SecondSite { sim, control: control_at, _control: control, _ticker: ticker })
}

/// A simulator's clock at one simulated second per second.
pub fn ticking(sim: Arc<SimRouter>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            every.tick().await;
            sim.advance(1);
        }
    })
}

/// Adds gedung-b as a site, or points it at this run's simulator (its port may have moved).
pub async fn register(app: &App, sim: &SimRouter) -> anyhow::Result<()> {
    // The first site written before the second, so the door never sees the second alone.
    if let Some(r) = &app.settings.router {
        let s = &app.settings;
        app.sites().describe_env(r, &s.hotspot.networks, &s.policy.profiles).await.context("the first site")?;
    }
    let admin = app.admin();
    let actor = Actor { label: "demo-seed".into(), ..Actor::cli() };
    let input = SiteInput {
        address: Some(sim.addr().to_string()),
        password: Some(sim.config().password.clone()),
        ..SiteInput::default()
    };
    let fail = |e: crate::admin::sites::SiteAdminError| anyhow::anyhow!("demo site {SECOND_SITE}: {e}");
    let refused = |r: crate::sites::patch::Refusal| anyhow::anyhow!("demo site {SECOND_SITE}: {}: {}", r.field, r.why);
    match admin.sites().await.map_err(fail)?.into_iter().find(|s| s.name == SECOND_SITE) {
        Some(s) => {
            admin.update_site(&actor, s.id, input.parse().map_err(refused)?).await.map_err(fail)?;
        }
        None => {
            let clients = app.settings.hotspot.networks.clients.iter().map(ToString::to_string).collect();
            let new = SiteInput {
                name: Some(SECOND_SITE.into()),
                client_ranges: Some(clients),
                egress_addresses: Some(vec![SECOND_EGRESS.into()]),
                site_token: Some(Some(SECOND_SITE.into())),
                ..input
            };
            admin.add_site(&actor, new.parse().map_err(refused)?).await.map_err(fail)?;
        }
    }
    Ok(())
}
