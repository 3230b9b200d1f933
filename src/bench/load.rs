//! A lean closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each sending
//! its next request as soon as the previous answer is read (the model `wrk` uses). It goes through
//! hyper's connection API directly, with no client pool, URL parsing or redirect logic, so the
//! load costs the machine little beside the server it measures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

/// One request of a run.
pub struct Call {
    pub method: hyper::Method,
    pub path: String,
    pub bearer: Option<String>,
    /// A JSON body (POST).
    pub json: Option<Vec<u8>>,
}

/// What a run measured.
pub struct Run {
    pub ok: usize,
    pub failed: usize,
    pub wall: Duration,
    /// Sorted, milliseconds.
    latencies_ms: Vec<f64>,
    /// The first failure, for the operator to see why.
    pub first_error: Option<String>,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    pub fn percentile(&self, p: f64) -> f64 {
        super::percentile(&self.latencies_ms, p)
    }

    pub fn print(&self, name: &str) {
        println!(
            "{name:<12} {:>7} ok {:>5} failed  {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            self.ok,
            self.failed,
            self.per_second(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.latencies_ms.last().copied().unwrap_or(0.0)
        );
        if let Some(e) = &self.first_error {
            println!("             first failure: {e}");
        }
    }
}

/// Sends `n` requests over `connections` connections to `addr`; `call(i)` builds request `i`,
/// `check(i, status, body)` says whether its answer is the one expected.
pub async fn run<C, K>(addr: SocketAddr, host: &str, n: usize, connections: usize, call: C, check: K) -> Run
where
    C: Fn(usize) -> Call + Send + Sync + 'static,
    K: Fn(usize, hyper::StatusCode, &Bytes) -> Result<(), String> + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let (call, check) = (Arc::new(call), Arc::new(check));
    let host: Arc<str> = Arc::from(host);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections.max(1) {
        let (next, call, check, host) = (next.clone(), call.clone(), check.clone(), host.clone());
        tasks.push(tokio::spawn(async move { connection(addr, &host, n, &next, &*call, &*check).await }));
    }
    let (mut latencies_ms, mut failed, mut first_error) = (Vec::with_capacity(n), 0, None);
    for t in tasks {
        match t.await {
            Ok(part) => {
                latencies_ms.extend(part.latencies_ms);
                failed += part.failed;
                first_error = first_error.or(part.first_error);
            }
            Err(e) => first_error = first_error.or(Some(format!("load task: {e}"))),
        }
    }
    let wall = started.elapsed();
    latencies_ms.sort_by(|a, b| a.total_cmp(b));
    Run { ok: latencies_ms.len(), failed, wall, latencies_ms, first_error }
}

struct Part {
    latencies_ms: Vec<f64>,
    failed: usize,
    first_error: Option<String>,
}

type Sender = http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn connection<C, K>(addr: SocketAddr, host: &str, n: usize, next: &AtomicUsize, call: &C, check: &K) -> Part
where
    C: Fn(usize) -> Call,
    K: Fn(usize, hyper::StatusCode, &Bytes) -> Result<(), String>,
{
    let mut part = Part { latencies_ms: Vec::new(), failed: 0, first_error: None };
    let mut sender: Option<Sender> = None;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n {
            return part;
        }
        let started = Instant::now();
        let outcome = async {
            let s = match sender.as_mut() {
                Some(s) => s,
                None => sender.insert(connect(addr).await?),
            };
            s.ready().await.map_err(|e| format!("connection: {e}"))?;
            let res = s.send_request(request(host, call(i))?).await.map_err(|e| format!("request: {e}"))?;
            let status = res.status();
            let body = res.into_body().collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
            check(i, status, &body)
        }
        .await;
        match outcome {
            Ok(()) => part.latencies_ms.push(started.elapsed().as_secs_f64() * 1e3),
            Err(e) => {
                // A broken connection is opened again for the next request.
                if sender.as_ref().is_some_and(|s| s.is_closed()) {
                    sender = None;
                }
                part.failed += 1;
                part.first_error.get_or_insert(e);
            }
        }
    }
}

fn request(host: &str, c: Call) -> Result<hyper::Request<Full<Bytes>>, String> {
    let mut b = hyper::Request::builder().method(c.method).uri(c.path).header(hyper::header::HOST, host);
    if let Some(t) = c.bearer {
        b = b.header(hyper::header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match c.json {
        Some(j) => {
            b = b.header(hyper::header::CONTENT_TYPE, "application/json");
            Full::new(Bytes::from(j))
        }
        None => Full::new(Bytes::new()),
    };
    b.body(body).map_err(|e| format!("request: {e}"))
}
