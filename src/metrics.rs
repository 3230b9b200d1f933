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
    /// Per site (`router`: the site's name; as many series as sites).
    pub site_up: IntGaugeVec,
    pub site_last_contact: IntGaugeVec,
    pub site_devices_seen: IntGaugeVec,
    pub site_last_cycle: IntGaugeVec,
    pub otp: IntCounterVec,
    /// RADIUS mode: bytes charged from accounting, and the answers given (`kind`: authorize or
    /// accounting; `outcome`: accept, reject, charged, unknown_site, bad, error).
    pub radius_bytes_charged: IntCounter,
    pub radius_requests: IntCounterVec,
    pub whatsapp_sends: IntCounterVec,
    pub whatsapp_session_up: IntGaugeVec,
    pub queue_jobs: IntGaugeVec,
    pub job_failures: IntCounterVec,
    pub consumer_up: IntGaugeVec,
    pub consumer_restarts: IntCounterVec,
}

/// Code outcomes counted by `hotspot_otp_codes_total`.
pub const OTP_OUTCOMES: &[&str] = &["sent", "verified", "failed", "locked"];
/// The job queues (the jobs crate's Redis queues).
pub const QUEUES: &[&str] = hotspot_jobs::QUEUES;
/// What `hotspot_queue_jobs` counts per queue.
pub const QUEUE_STATES: &[&str] = &["pending", "running", "scheduled", "dead"];

/// Registers `m` and hands it back.
fn reg<M: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: M) -> Result<M, prometheus::Error> {
    r.register(Box::new(m.clone()))?;
    Ok(m)
}

fn counter(r: &Registry, name: &str, help: &str) -> Result<IntCounter, prometheus::Error> {
    reg(r, IntCounter::new(name, help)?)
}

fn gauge(r: &Registry, name: &str, help: &str) -> Result<IntGauge, prometheus::Error> {
    reg(r, IntGauge::new(name, help)?)
}

fn counters(r: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, prometheus::Error> {
    reg(r, IntCounterVec::new(Opts::new(name, help), labels)?)
}

fn gauges(r: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntGaugeVec, prometheus::Error> {
    reg(r, IntGaugeVec::new(Opts::new(name, help), labels)?)
}

fn seconds(
    r: &Registry,
    name: &str,
    help: &str,
    buckets: &[f64],
    label: &str,
) -> Result<HistogramVec, prometheus::Error> {
    reg(r, HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets.to_vec()), &[label])?)
}

fn build() -> Result<Families, prometheus::Error> {
    let registry = Registry::new_custom(Some("hotspot".into()), None)?;
    let r = &registry;
    let f = Families {
        sync_duration: seconds(
            r,
            "sync_cycle_duration_seconds",
            "Quota sync cycles by outcome (succeeded, partial, failed)",
            &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0],
            "status",
        )?,
        sync_bytes_charged: counter(r, "sync_bytes_charged_total", "Bytes charged to users by the sync")?,
        sync_devices_seen: gauge(r, "sync_devices_seen", "Our devices online at the last sync cycle")?,
        sync_router_writes: counter(r, "sync_router_writes_total", "Router changes the sync applied")?,
        sync_failures: counter(r, "sync_failures_total", "Sync cycles that failed")?,
        sync_last_success: gauge(
            r,
            "sync_last_success_timestamp_seconds",
            "Unix time of the last sync cycle that charged usage (succeeded or partial)",
        )?,
        router_latency: seconds(
            r,
            "router_command_duration_seconds",
            "RouterOS API commands by command path",
            &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
            "command",
        )?,
        router_errors: counters(
            r,
            "router_command_errors_total",
            "RouterOS API commands that failed, by command path and kind",
            &["command", "kind"],
        )?,
        router_breaker_open: gauge(r, "router_breaker_open", "1 while the router client's circuit breaker is open")?,
        router_connected: gauge(r, "router_connected", "1 while the router client holds a logged-in connection")?,
        site_up: gauges(r, "site_up", "1 while the site's router answered its last watch", &["router"])?,
        site_last_contact: gauges(r, "site_last_contact_timestamp_seconds", "Last answer (Unix s)", &["router"])?,
        site_devices_seen: gauges(r, "site_devices_seen", "Our devices online at its last cycle", &["router"])?,
        site_last_cycle: gauges(r, "site_last_cycle_timestamp_seconds", "End of its last cycle (Unix s)", &["router"])?,
        radius_bytes_charged: counter(r, "radius_bytes_charged_total", "Bytes charged from RADIUS accounting")?,
        radius_requests: counters(r, "radius_requests_total", "RADIUS calls by kind, outcome", &["kind", "outcome"])?,
        otp: counters(
            r,
            "otp_codes_total",
            "Sign-in codes by outcome: sent, verified, failed (wrong code), locked",
            &["outcome"],
        )?,
        whatsapp_sends: counters(
            r,
            "whatsapp_sends_total",
            "WhatsApp send attempts by provider and outcome (sent, failed)",
            &["provider", "outcome"],
        )?,
        whatsapp_session_up: gauges(r, "whatsapp_session_up", "1 while its WhatsApp session is paired", &["provider"])?,
        queue_jobs: gauges(
            r,
            "queue_jobs",
            "Jobs in each queue by state (pending, running, scheduled, dead), at the last look",
            &["queue", "state"],
        )?,
        job_failures: counters(r, "job_failures_total", "Job runs that failed, by queue", &["queue"])?,
        consumer_up: gauges(
            r,
            "worker_consumer_up",
            "1 while this worker's consumer of the queue runs; 0 while it waits to start again",
            &["queue"],
        )?,
        consumer_restarts: counters(
            r,
            "worker_consumer_restarts_total",
            "Times this worker's consumer of the queue stopped (Redis lost) and was started again",
            &["queue"],
        )?,
        registry,
    };
    zero_series(&f);
    Ok(f)
}

/// Series that alerts and panels read exist from the start, at zero.
fn zero_series(f: &Families) {
    for o in OTP_OUTCOMES {
        f.otp.with_label_values(&[o]);
    }
    for q in QUEUES {
        for s in QUEUE_STATES {
            f.queue_jobs.with_label_values(&[q, s]);
        }
    }
    for s in ["succeeded", "partial", "failed"] {
        f.sync_duration.with_label_values(&[s]);
    }
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

/// What `/metrics` shows of one enabled site.
#[derive(Debug, Clone, Default)]
pub struct SiteSeen {
    pub name: String,
    pub up: Option<bool>,
    pub last_contact: Option<i64>,
    /// Our devices online at its last cycle, and when that cycle ended.
    pub devices_seen: Option<i64>,
    pub last_cycle: Option<i64>,
}

/// Sets each site's series from what the sites room recorded (any process's watch and cycles),
/// dropping sites that are gone or disabled.
pub fn sites(seen: &[SiteSeen]) {
    with(|m| {
        let families = [&m.site_up, &m.site_last_contact, &m.site_devices_seen, &m.site_last_cycle];
        families.iter().for_each(|f| f.reset());
        for s in seen {
            let values = [
                (&m.site_up, s.up.map(i64::from)),
                (&m.site_last_contact, s.last_contact),
                (&m.site_devices_seen, s.devices_seen),
                (&m.site_last_cycle, s.last_cycle),
            ];
            for (family, value) in values {
                if let Some(v) = value {
                    family.with_label_values(&[s.name.as_str()]).set(v);
                }
            }
        }
    });
}

/// Shows `job`'s failure series at zero (the worker does so for each job it registers).
pub fn job_failed_series(job: &str) {
    with(|m| {
        m.job_failures.with_label_values(&[job]);
    });
}

/// A queue's consumer in this worker stopped (`false`) or runs (`true`).
pub fn consumer(queue: &str, up: bool) {
    with(|m| {
        m.consumer_up.with_label_values(&[queue]).set(i64::from(up));
        if !up {
            m.consumer_restarts.with_label_values(&[queue]).inc();
        }
    });
}

/// Shows a queue's consumer as running, its restarts at zero (the worker does so at start).
pub fn consumer_series(queue: &str) {
    with(|m| {
        m.consumer_up.with_label_values(&[queue]).set(1);
        m.consumer_restarts.with_label_values(&[queue]);
    });
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
