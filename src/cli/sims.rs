//! `hotspot sim router|whatsapp`: the simulators on their own.

use anyhow::Context;

use super::SimRouterArgs;

pub(super) async fn sim_router(args: SimRouterArgs) -> anyhow::Result<()> {
    use crate::sim::router::{SimConfig, SimRouter, control};
    let config = SimConfig { username: args.username, password: args.password, ..SimConfig::default() };
    let sim = std::sync::Arc::new(
        SimRouter::start(args.listen, config)
            .await
            .with_context(|| format!("cannot listen on {} (--listen)", args.listen))?,
    );
    sim.seed_hosts_from(args.seed_from, args.seed_hosts);
    let _control = match args.control {
        Some(addr) => Some(
            control::serve(addr, sim.clone()).await.with_context(|| format!("cannot listen on {addr} (--control)"))?,
        ),
        None => None,
    };
    eprintln!(
        "RouterOS simulator on {} ({} hosts){}",
        sim.addr(),
        args.seed_hosts,
        args.control.map(|c| format!(", control on {c}")).unwrap_or_default()
    );
    let (trigger, shutdown) = crate::shutdown::Shutdown::new();
    crate::shutdown::on_signals(trigger);
    let ticker = {
        let sim = sim.clone();
        tokio::spawn(async move {
            if args.speed == 0 {
                return;
            }
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                every.tick().await;
                sim.advance(args.speed);
            }
        })
    };
    shutdown.wait().await;
    ticker.abort();
    sim.shutdown();
    Ok(())
}

pub(super) async fn sim_whatsapp(listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let sim = crate::sim::whatsapp::WhatsAppSim::start(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (--listen)"))?;
    eprintln!(
        "WhatsApp gateway simulator on {base}\n  seed API:   POST {base}/api/whatsapp/send-message, GET {base}/api/whatsapp/qr-code\n  Fonnte API: POST {base}/send, POST {base}/device (token {token})\n  outbox:     GET {base}/_sim/outbox?to=628…, GET {base}/_sim/last-code?to=0812…\n  faults:     POST {base}/_sim/mode {{\"mode\":\"ok|down|slow|refusing\",\"delay_ms\":2000}}",
        base = sim.base_url(),
        token = crate::sim::whatsapp::SIM_FONNTE_TOKEN
    );
    let (trigger, shutdown) = crate::shutdown::Shutdown::new();
    crate::shutdown::on_signals(trigger);
    shutdown.wait().await;
    sim.stop().await;
    Ok(())
}
