//! `hotspot healthcheck` and `hotspot sync --now`.

use anyhow::{Context, bail};

use crate::app::App;
use crate::config::Settings;

pub(super) async fn healthcheck(url: Option<String>, settings: &Settings) -> anyhow::Result<()> {
    let url = url.unwrap_or_else(|| {
        // A wildcard listen address is reached on loopback.
        let port = settings.listen.port();
        let host = if settings.listen.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            settings.listen.ip().to_string()
        };
        format!("http://{host}:{port}/api/health")
    });
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(4)).build()?;
    let res = client.get(&url).send().await.with_context(|| format!("no answer from {url}"))?;
    if !res.status().is_success() {
        bail!("{url} answered {}", res.status());
    }
    println!("healthy");
    Ok(())
}

pub(super) async fn worker_healthcheck(settings: Settings) -> anyhow::Result<()> {
    let app = App::connect(settings)?;
    let host = crate::worker::host_name();
    // Heartbeats come every 5 s from each queue's consumer; three missed ones on any queue
    // (its consumer stopped and has not come back) make the worker unhealthy.
    match app.queues.silent_queues(&format!("{host}-"), std::time::Duration::from_secs(15)).await {
        Ok(silent) if silent.is_empty() => {
            println!("healthy");
            Ok(())
        }
        Ok(silent) => bail!("no heartbeat in the last 15 s from this host's consumer of: {}", silent.join(", ")),
        Err(e) => bail!("cannot read worker heartbeats: {e}"),
    }
}

/// `hotspot sync --now`: a cycle at every enabled site, one after the other, each summed up.
pub(super) async fn sync_now(now: bool, settings: Settings) -> anyhow::Result<()> {
    if !now {
        bail!("use --now to run a cycle now (the worker runs them on its schedule)");
    }
    let app = App::connect(settings)?;
    let env = app.sync_context().ok();
    let all = app.fleet.enabled().await?;
    let contexts: Vec<(String, crate::sync::SyncContext)> = if all.is_empty() {
        vec![("main".into(), app.sync_context()?)]
    } else {
        let template = app.sync_template();
        // A site in RADIUS mode is charged from its accounting, never from its host table.
        all.iter()
            .filter(|s| !s.row.mode.radius())
            .map(|s| (s.name.clone(), crate::worker::jobs::quota_sync::site_context(s, env.as_ref(), &template)))
            .collect()
    };
    let mut failed = Vec::new();
    for (name, ctx) in contexts {
        if let Err(e) = sync_site(&app, &name, ctx).await {
            eprintln!("{name}: {e}");
            failed.push(name);
        }
    }
    if !failed.is_empty() {
        bail!("the sync failed at {}", failed.join(", "));
    }
    Ok(())
}

async fn sync_site(app: &App, name: &str, mut ctx: crate::sync::SyncContext) -> anyhow::Result<()> {
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if interactive {
        let started = std::time::Instant::now();
        let site = name.to_owned();
        ctx.progress = Some(std::sync::Arc::new(move |stage| {
            // One line rewritten in place: the stages follow each other quickly.
            eprint!("\r\x1b[2Ksync {site} [{:>6.1} s] {stage}", started.elapsed().as_secs_f64());
        }));
    }
    let every = std::time::Duration::from_secs(300);
    match crate::sync::tick(&ctx, &app.kv, every, crate::domain::SyncTrigger::Cli, None).await? {
        crate::sync::TickOutcome::Ran(s) => {
            if interactive {
                eprintln!("\r\x1b[2Ksync {name} done");
            }
            println!(
                "{name}: sync run {}: {} in {} ms — {} users, {} devices, {} hosts; {} bytes charged to {} users; {} status changes; {} router commands, {} writes; {} errors",
                s.run_id,
                s.status,
                s.millis,
                s.users,
                s.devices,
                s.hosts,
                s.bytes_charged,
                s.users_charged,
                s.status_changes,
                s.router_commands,
                s.router_writes,
                s.errors.len()
            );
            for e in s.errors.iter().take(10) {
                println!("  error: {e}");
            }
            if s.status == crate::domain::RunStatus::Failed {
                bail!("the sync failed");
            }
            Ok(())
        }
        crate::sync::TickOutcome::Locked => bail!("another sync is running; try again when it finishes"),
        crate::sync::TickOutcome::Throttled => bail!("a sync ran moments ago"),
    }
}
