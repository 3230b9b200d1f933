//! `hotspot bench auth`: verify-otp (full path: Redis code check, the simulated router, Postgres)
//! and `GET /api/auth/me`, at a fixed concurrency. Prints throughput, p50/p99 latency, SQL
//! statements and router commands per request, and how the machine's CPU went.
//!
//! By default the server, the simulators and the load share one process. `--serve` runs the
//! server side alone and `--external URL --control URL` drives it from another process, so the
//! CPU the load generator takes is measured apart from the server's.

pub mod serve;

pub use serve::serve;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use serde_json::json;

use super::load::{self, Call};
use super::machine::{self, CpuTicks};
use super::percentile;
use serve::{Login, Served, ServerStats, Setup};

pub struct Options {
    pub users: usize,
    pub concurrency: usize,
    pub me_requests: usize,
    pub http_workers: Option<usize>,
    pub db_pool: Option<u32>,
    pub database_url: String,
    pub redis_url: String,
}

pub(super) struct Run {
    pub(super) ok: usize,
    pub(super) failed: usize,
    wall: Duration,
    latencies_ms: Vec<f64>,
}

impl Run {
    pub(super) fn print(&self, name: &str) {
        let mut l = self.latencies_ms.clone();
        l.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{name:<12} {:>7} ok {:>5} failed  {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            self.ok,
            self.failed,
            self.ok as f64 / self.wall.as_secs_f64(),
            percentile(&l, 0.50),
            percentile(&l, 0.99),
            l.last().copied().unwrap_or(0.0)
        );
    }
}

/// `n` futures, `concurrency` at a time (the admin bench's requests).
pub(super) async fn drive<F, Fut>(n: usize, concurrency: usize, f: F) -> Run
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    let results: Vec<(bool, f64)> = futures_util::stream::iter(0..n)
        .map(|i| {
            let fut = f(i);
            async move {
                let t = Instant::now();
                let ok = fut.await;
                (ok, t.elapsed().as_secs_f64() * 1e3)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed();
    let ok = results.iter().filter(|r| r.0).count();
    Run { ok, failed: results.len() - ok, wall, latencies_ms: results.into_iter().map(|r| r.1).collect() }
}

/// Where the server under test is, and how to ask it for users and counters.
enum Target {
    Local(Box<Served>),
    Remote { control: String, http: reqwest::Client },
}

impl Target {
    async fn logins(&self, n: usize) -> anyhow::Result<Vec<Login>> {
        match self {
            Target::Local(s) => s.logins(n).await,
            Target::Remote { control, http } => {
                let res = http.post(format!("{control}/logins")).query(&[("n", n)]).send().await?;
                anyhow::ensure!(res.status().is_success(), "control /logins: {}", res.status());
                Ok(res.json().await?)
            }
        }
    }

    async fn settle(&self) -> anyhow::Result<()> {
        match self {
            Target::Local(s) => s.settle().await,
            Target::Remote { control, http } => {
                let res = http.post(format!("{control}/settle")).send().await?;
                anyhow::ensure!(res.status().is_success(), "control /settle: {}", res.status());
                Ok(())
            }
        }
    }

    async fn stats(&self) -> anyhow::Result<ServerStats> {
        match self {
            Target::Local(s) => Ok(s.stats()),
            Target::Remote { control, http } => Ok(http.get(format!("{control}/stats")).send().await?.json().await?),
        }
    }

    async fn describe(&self) -> anyhow::Result<String> {
        match self {
            Target::Local(s) => Ok(s.describe()),
            Target::Remote { control, http } => {
                Ok(http.get(format!("{control}/describe")).send().await?.text().await?)
            }
        }
    }
}

/// The server, simulators and load in this process.
pub async fn run(opts: Options) -> anyhow::Result<()> {
    let database_url = opts.database_url.clone();
    super::with_scratch_database(&database_url, |url| async move {
        let served = Served::start(&url, &Setup::of(&opts), std::net::TcpListener::bind("127.0.0.1:0")?).await?;
        let addr = served.addr;
        let target = Target::Local(Box::new(served));
        let result = measure(&target, addr, &opts, "server + simulators + load in one process").await;
        if let Target::Local(s) = target {
            s.stop().await.context("stopping the server under test")?;
        }
        result
    })
    .await
}

/// The load alone, against a server started with `--serve`.
pub async fn external(opts: Options, url: &str, control: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("--external {url}"))?;
    anyhow::ensure!(parsed.scheme() == "http", "--external takes an http:// address");
    let addr = parsed
        .socket_addrs(|| Some(80))?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("--external {url}: no address"))?;
    crate::ensure_crypto_provider();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let target = Target::Remote { control: control.trim_end_matches('/').to_owned(), http };
    measure(&target, addr, &opts, "load from this process, server and simulators in another").await
}

/// CPU readings at the start of a phase: the machine's, this process's, the server's.
struct Clock {
    machine: Option<CpuTicks>,
    own: Option<u64>,
    stats: ServerStats,
}

impl Clock {
    async fn now(target: &Target) -> anyhow::Result<Self> {
        let stats = target.stats().await?;
        Ok(Self { machine: CpuTicks::now(), own: machine::process_ticks(), stats })
    }
}

/// Prints what a phase cost: per request, and the machine's CPU (split between the load and the
/// server when they are separate processes).
async fn report(target: &Target, start: &Clock, ok: usize, name: &str) -> anyhow::Result<()> {
    let end = Clock::now(target).await?;
    let per = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / ok.max(1) as f64;
    println!(
        "             {:.2} SQL statements, {:.2} router commands per {name}",
        per(start.stats.statements, end.stats.statements),
        per(start.stats.router_commands, end.stats.router_commands)
    );
    println!("             {}", machine::describe(start.machine, end.machine));
    if end.stats.pid != std::process::id() {
        let share = |a: Option<u64>, b: Option<u64>| machine::process_share(start.machine, end.machine, a, b);
        if let (Some(load), Some(server)) =
            (share(start.own, end.own), share(start.stats.process_ticks, end.stats.process_ticks))
        {
            println!(
                "             of the machine: load generator {load:.0}%, server + simulators {server:.0}%, the rest (Postgres, Redis, …) {:.0}%",
                machine::busy_share(start.machine, end.machine).unwrap_or(0.0) - load - server
            );
        }
    }
    Ok(())
}

async fn measure(target: &Target, addr: SocketAddr, opts: &Options, layout: &str) -> anyhow::Result<()> {
    let host = addr.to_string();
    // The first tenth (at least 200) sign in before the measured run (connections open, the
    // pool filled, caches warm), as on a server that has been up for a while.
    let measured = opts.users.max(1);
    let warm = (measured / 10).max(200);
    println!(
        "hotspot bench auth — {measured} users (after {warm} warm-up sign-ins), {} connections, {layout}",
        opts.concurrency
    );
    println!("             {}; {}", target.describe().await?, machine::cpu_model());

    let tokens: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::with_capacity(warm + measured)));
    let warm_logins = target.logins(warm).await?;
    let warm_up = verify(addr, &host, warm_logins, opts.concurrency, tokens.clone()).await;
    anyhow::ensure!(
        warm_up.failed == 0,
        "{} warm-up sign-ins failed: {}",
        warm_up.failed,
        warm_up.first_error.as_deref().unwrap_or("")
    );
    target.settle().await?;
    let logins = target.logins(measured).await?;
    let start = Clock::now(target).await?;
    let run = verify(addr, &host, logins, opts.concurrency, tokens.clone()).await;
    run.print("verify-otp");
    report(target, &start, run.ok, "verify-otp").await?;

    let tokens: Arc<Vec<String>> = Arc::new(tokens.lock().unwrap_or_else(|e| e.into_inner()).clone());
    anyhow::ensure!(!tokens.is_empty(), "no verify-otp succeeded; nothing to call /me with");
    me(addr, &host, opts.me_requests / 10 + 1, opts.concurrency, tokens.clone()).await;
    let start = Clock::now(target).await?;
    let run = me(addr, &host, opts.me_requests.max(1), opts.concurrency, tokens).await;
    run.print("GET me");
    report(target, &start, run.ok, "/me").await?;
    Ok(())
}

/// One verify-otp per login; the access tokens answered are kept for `/me`.
async fn verify(
    addr: SocketAddr,
    host: &str,
    logins: Vec<Login>,
    connections: usize,
    tokens: Arc<Mutex<Vec<String>>>,
) -> load::Run {
    let bodies: Vec<Vec<u8>> = logins
        .iter()
        .map(|l| json!({ "phone_number": l.phone, "otp": l.code, "client_ip": l.ip }).to_string().into_bytes())
        .collect();
    let n = bodies.len();
    load::run(
        addr,
        host,
        n,
        connections,
        move |i| Call {
            method: hyper::Method::POST,
            path: "/api/auth/verify-otp".into(),
            bearer: None,
            json: Some(bodies[i].clone()),
        },
        move |_, status, body| {
            if !status.is_success() {
                return Err(format!("{status}: {}", String::from_utf8_lossy(body)));
            }
            let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
            // A sign-in that did not bind its device took a shorter path than the one measured.
            if v["hotspot_binding_active"].as_bool() != Some(true) {
                return Err("answered without binding the device".into());
            }
            let t = v["access_token"].as_str().ok_or("no access token")?;
            tokens.lock().unwrap_or_else(|e| e.into_inner()).push(t.to_owned());
            Ok(())
        },
    )
    .await
}

async fn me(addr: SocketAddr, host: &str, n: usize, connections: usize, tokens: Arc<Vec<String>>) -> load::Run {
    load::run(
        addr,
        host,
        n,
        connections,
        move |i| Call {
            method: hyper::Method::GET,
            path: "/api/auth/me".into(),
            bearer: Some(tokens[i % tokens.len()].clone()),
            json: None,
        },
        |_, status, body| {
            if status.is_success() { Ok(()) } else { Err(format!("{status}: {}", String::from_utf8_lossy(body))) }
        },
    )
    .await
}
