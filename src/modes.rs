//! The run modes: the HTTP server, the worker, or both in one process under one shutdown signal.

use std::net::TcpListener;

use anyhow::Context;

use crate::config::Settings;
use crate::http;
use crate::services::Services;
use crate::shutdown::{self, Shutdown};

pub fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
    TcpListener::bind(settings.listen).with_context(|| format!("cannot listen on {} (HOTSPOT_LISTEN)", settings.listen))
}

/// `hotspot serve`: the HTTP server until SIGTERM/Ctrl-C.
pub async fn serve(services: Services) -> anyhow::Result<()> {
    let listener = bind(&services.settings)?;
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger);
    run_http(services, listener, shutdown).await
}

/// `hotspot worker`: the scheduled jobs and queue consumers until SIGTERM/Ctrl-C.
pub async fn worker(services: Services) -> anyhow::Result<()> {
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger);
    crate::worker::run(services, shutdown).await
}

/// The HTTP server and the worker in one process under one shutdown signal; if either stops
/// on its own (an error), the other is stopped too.
pub async fn serve_and_work(services: Services, listener: TcpListener) -> anyhow::Result<()> {
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger.clone());
    let (t1, t2) = (trigger.clone(), trigger);
    let http = async {
        let r = run_http(services.clone(), listener, shutdown.clone()).await;
        t1.trigger();
        r
    };
    let work = async {
        let r = crate::worker::run(services.clone(), shutdown.clone()).await;
        t2.trigger();
        r
    };
    let (h, w) = tokio::join!(http, work);
    h.and(w)
}

pub async fn run_http(services: Services, listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    services.runtime.start(&services.settings.redis_url).await;
    let state = http::build_state(&services)?;
    tracing::info!(%addr, env = ?services.settings.env, "HTTP server listening");
    http::serve(state, listener, shutdown).await
}
