//! The process's own Prometheus metrics, beside the HTTP ones (`http::metrics`): the sync, the
//! router client, codes, WhatsApp and the job queues. One registry per process, written from
//! wherever the work happens; `/metrics` (the server) and the worker's metrics listener render it.
//!
//! Every label takes values from a closed set (command paths we build, provider names, outcome
//! words), so no input can grow the number of series.

use std::sync::LazyLock;

use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

pub struct Families {
    pub registry: Registry,
    pub sync_duration: HistogramVec,
    pub sync_bytes_charged: IntCounter,
    pub sync_devices_seen: IntGauge,
    pub sync_router_writes: IntCounter,
    pub sync_failures: IntCounter,
    pub sync_last_success: IntGauge,
    pub router_latency: HistogramVec,
    pub router_errors: IntCounterVec,
    pub router_breaker_open: IntGauge,
    pub router_connected: IntGauge,
    pub otp: IntCounterVec,
    pub whatsapp_sends: IntCounterVec,
    pub whatsapp_session_up: IntGaugeVec,
    pub queue_jobs: IntGaugeVec,
    pub job_failures: IntCounterVec,
}

/// Code outcomes counted by `hotspot_otp_codes_total`.
pub const OTP_OUTCOMES: &[&str] = &["sent", "verified", "failed", "locked"];
/// The job queues (the jobs crate's Redis queues).
pub const QUEUES: &[&str] = &["manual-sync", "router-retry", "reconcile", "notify"];
/// Scheduled jobs, counted in `hotspot_job_failures_total` beside the queues.
pub const SCHEDULED_JOBS: &[&str] =
    &["quota-sync", "payment-reconcile", "expiry-warnings", "gateway-watch", "housekeeping", "device-cleanup"];
/// What `hotspot_queue_jobs` counts per queue.
pub const QUEUE_STATES: &[&str] = &["pending", "running", "scheduled", "dead"];

fn build() -> Result<Families, prometheus::Error> {
    let registry = Registry::new_custom(Some("hotspot".into()), None)?;
    let secs = |name: &str, help: &str, buckets: Vec<f64>| HistogramOpts::new(name, help).buckets(buckets);
    let sync_duration = HistogramVec::new(
        secs(
            "sync_cycle_duration_seconds",
            "Quota sync cycles by outcome (succeeded, partial, failed)",
            vec![0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0],
        ),
        &["status"],
    )?;
    let sync_bytes_charged = IntCounter::new("sync_bytes_charged_total", "Bytes charged to users by the sync")?;
    let sync_devices_seen = IntGauge::new("sync_devices_seen", "Our devices online at the last sync cycle")?;
    let sync_router_writes = IntCounter::new("sync_router_writes_total", "Router changes the sync applied")?;
    let sync_failures = IntCounter::new("sync_failures_total", "Sync cycles that failed")?;
    let sync_last_success = IntGauge::new(
        "sync_last_success_timestamp_seconds",
        "Unix time of the last sync cycle that charged usage (succeeded or partial)",
    )?;
    let router_latency = HistogramVec::new(
        secs(
            "router_command_duration_seconds",
            "RouterOS API commands by command path",
            vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
        ),
        &["command"],
    )?;
    let router_errors = IntCounterVec::new(
        Opts::new("router_command_errors_total", "RouterOS API commands that failed, by command path and kind"),
        &["command", "kind"],
    )?;
    let router_breaker_open =
        IntGauge::new("router_breaker_open", "1 while the router client's circuit breaker is open")?;
    let router_connected = IntGauge::new("router_connected", "1 while the router client holds a logged-in connection")?;
    let otp = IntCounterVec::new(
        Opts::new("otp_codes_total", "Sign-in codes by outcome: sent, verified, failed (wrong code), locked"),
        &["outcome"],
    )?;
    let whatsapp_sends = IntCounterVec::new(
        Opts::new("whatsapp_sends_total", "WhatsApp send attempts by provider and outcome (sent, failed)"),
        &["provider", "outcome"],
    )?;
    let whatsapp_session_up = IntGaugeVec::new(
        Opts::new("whatsapp_session_up", "1 while the provider's WhatsApp session is paired"),
        &["provider"],
    )?;
    let queue_jobs = IntGaugeVec::new(
        Opts::new("queue_jobs", "Jobs in each queue by state (pending, running, scheduled, dead), at the last look"),
        &["queue", "state"],
    )?;
    let job_failures =
        IntCounterVec::new(Opts::new("job_failures_total", "Job runs that failed, by queue"), &["queue"])?;
    let f = Families {
        registry,
        sync_duration,
        sync_bytes_charged,
        sync_devices_seen,
        sync_router_writes,
        sync_failures,
        sync_last_success,
        router_latency,
        router_errors,
        router_breaker_open,
        router_connected,
        otp,
        whatsapp_sends,
        whatsapp_session_up,
        queue_jobs,
        job_failures,
    };
    let r = &f.registry;
    r.register(Box::new(f.sync_duration.clone()))?;
    r.register(Box::new(f.sync_bytes_charged.clone()))?;
    r.register(Box::new(f.sync_devices_seen.clone()))?;
    r.register(Box::new(f.sync_router_writes.clone()))?;
    r.register(Box::new(f.sync_failures.clone()))?;
    r.register(Box::new(f.sync_last_success.clone()))?;
    r.register(Box::new(f.router_latency.clone()))?;
    r.register(Box::new(f.router_errors.clone()))?;
    r.register(Box::new(f.router_breaker_open.clone()))?;
    r.register(Box::new(f.router_connected.clone()))?;
    r.register(Box::new(f.otp.clone()))?;
    r.register(Box::new(f.whatsapp_sends.clone()))?;
    r.register(Box::new(f.whatsapp_session_up.clone()))?;
    r.register(Box::new(f.queue_jobs.clone()))?;
    r.register(Box::new(f.job_failures.clone()))?;
    // Series that alerts and panels read exist from the start, at zero.
    for o in OTP_OUTCOMES {
        f.otp.with_label_values(&[o]);
    }
    for j in SCHEDULED_JOBS {
        f.job_failures.with_label_values(&[j]);
    }
    for q in QUEUES {
        f.job_failures.with_label_values(&[q]);
        for s in QUEUE_STATES {
            f.queue_jobs.with_label_values(&[q, s]);
        }
    }
    for s in ["succeeded", "partial", "failed"] {
        f.sync_duration.with_label_values(&[s]);
    }
    Ok(f)
}

static FAMILIES: LazyLock<Option<Families>> = LazyLock::new(|| match build() {
    Ok(f) => Some(f),
    Err(e) => {
        tracing::error!(error = %e, "metrics could not be set up; none are exported");
        None
    }
});

/// The process's metrics (`None` only if they could not be set up, which the log says).
pub fn get() -> Option<&'static Families> {
    FAMILIES.as_ref()
}

/// Runs `f` on the metrics, if there are any.
pub fn with(f: impl FnOnce(&Families)) {
    if let Some(m) = get() {
        f(m);
    }
}

/// Looks at the job queues and sets `hotspot_queue_jobs` (left as it was when Redis does not
/// answer: the scrape still succeeds).
pub async fn refresh_queues(queues: &hotspot_jobs::Queues) {
    match queues.counts().await {
        Ok(counts) => with(|m| {
            for (q, c) in counts {
                for (state, n) in
                    [("pending", c.pending), ("running", c.running), ("scheduled", c.scheduled), ("dead", c.dead)]
                {
                    m.queue_jobs.with_label_values(&[q, state]).set(n);
                }
            }
        }),
        Err(e) => tracing::debug!(error = %e, "queue counts not read"),
    }
}

/// Counts a failed job run of `queue`.
pub fn job_failed(queue: &str) {
    with(|m| m.job_failures.with_label_values(&[queue]).inc());
}

/// The Prometheus text of `extra` (another registry's families) and this process's metrics.
pub fn render(mut extra: Vec<prometheus::proto::MetricFamily>) -> Result<String, prometheus::Error> {
    use prometheus::Encoder;
    extra.extend(get().map(|m| m.registry.gather()).unwrap_or_default());
    let mut out = Vec::with_capacity(8 * 1024);
    prometheus::TextEncoder::new().encode(&extra, &mut out)?;
    String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
}
