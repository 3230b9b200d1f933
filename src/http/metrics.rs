//! Prometheus metrics: requests by route and status, latency, pool gauges; rendered together
//! with the process's own (`crate::metrics`).

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    db_pool: IntGaugeVec,
    peer_up: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("hotspot".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by method, route pattern and status"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by method and route pattern")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["method", "route"],
        )?;
        let db_pool =
            IntGaugeVec::new(Opts::new("db_pool_connections", "Postgres pool connections by state"), &["state"])?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        let peer_up = IntGaugeVec::new(
            Opts::new("peer_up", "Peers as the last health check saw them: 1 up, 0 down (whatsapp: its session)"),
            &["peer"],
        )?;
        registry.register(Box::new(db_pool.clone()))?;
        registry.register(Box::new(peer_up.clone()))?;
        Ok(Self { registry, requests, latency, db_pool, peer_up })
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // Label values from a closed set: a client inventing methods cannot grow the series.
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
            _ => "OTHER",
        };
        let status = status.to_string();
        self.requests.with_label_values(&[method, route, status.as_str()]).inc();
        self.latency.with_label_values(&[method, route]).observe(seconds);
    }

    pub fn set_db_pool(&self, (max, open, idle): (u32, u32, u32)) {
        self.db_pool.with_label_values(&["max"]).set(i64::from(max));
        self.db_pool.with_label_values(&["open"]).set(i64::from(open));
        self.db_pool.with_label_values(&["idle"]).set(i64::from(idle));
    }

    /// `peer` is `router` or `whatsapp`; a peer that is not configured is not exported.
    pub fn set_peer_up(&self, peer: &'static str, up: bool) {
        self.peer_up.with_label_values(&[peer]).set(i64::from(up));
    }

    pub fn render(&self) -> Result<String, prometheus::Error> {
        crate::metrics::render(self.registry.gather())
    }
}
