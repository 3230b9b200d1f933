//! `hotspot bench auth`: verify-otp (full path: Redis code check, the simulated router, Postgres)
//! and `GET /api/auth/me`, at a fixed concurrency, against a server on loopback. Prints
//! throughput, p50/p99 latency and SQL statements per verify-otp.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use serde_json::json;

use super::machine::{self, CpuTicks};
use crate::auth::otp::OtpStore;
use crate::db;
use crate::domain::{ApprovalStatus, GIB, MacAddress, Msisdn, Role};
use crate::services::Services;
use crate::shutdown::Shutdown;
use crate::sim::router::{SimConfig, SimRouter};
use crate::sim::whatsapp::WhatsAppSim;
use crate::users::{self, CreateUser};

pub struct Options {
    pub users: usize,
    pub concurrency: usize,
    pub me_requests: usize,
    pub http_workers: Option<usize>,
    pub db_pool: Option<u32>,
    pub database_url: String,
    pub redis_url: String,
}

pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
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

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let database_url = opts.database_url.clone();
    super::with_scratch_database(&database_url, |url| async move { bench(&opts, &url).await }).await
}

async fn bench(opts: &Options, url: &str) -> anyhow::Result<()> {
    let router = SimRouter::start("127.0.0.1:0".parse()?, SimConfig::default()).await?;
    let wa = WhatsAppSim::start("127.0.0.1:0".parse()?).await?;
    let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
    let mut vars = vec![
        ("DATABASE_URL", url.to_owned()),
        ("REDIS_URL", opts.redis_url.clone()),
        ("HOTSPOT_REDIS_PREFIX", prefix.clone()),
        ("HOTSPOT_LOG", "warn".to_owned()),
        ("HOTSPOT_ROUTER_ADDR", router.addr().to_string()),
        ("HOTSPOT_WA_BASE_URL", wa.base_url()),
        ("HOTSPOT_OTP_PER_IP_PER_HOUR", "1000000".to_owned()),
        ("HOTSPOT_ROUTER_KEEPALIVE_SECS", "0".to_owned()),
        // The bench's phones are on the hotspot (their addresses in its client range, the load
        // from its egress address) and bound at sign-in: the full path, router included.
        ("HOTSPOT_CLIENT_CIDRS", "10.0.0.0/8".to_owned()),
        ("HOTSPOT_EGRESS_ADDRESSES", "127.0.0.1/32".to_owned()),
        ("HOTSPOT_BINDING_MODE", "redirect".to_owned()),
    ];
    if let Some(w) = opts.http_workers {
        vars.push(("HOTSPOT_HTTP_WORKERS", w.to_string()));
    }
    if let Some(p) = opts.db_pool {
        vars.push(("HOTSPOT_DB_POOL_SIZE", p.to_string()));
    }
    let services = super::services(&vars).await?;

    // Users with quota and a device each on the simulated hotspot; the first `warm` of them sign
    // in before the measured run (HTTP connections open, the database pool filled, caches warm),
    // as on a server that has been up for a while.
    let measured = opts.users;
    let warm = (measured / 10).max(200);
    let n = warm + measured;
    let phones: Vec<Msisdn> = (0..n).map(|i| Msisdn::parse(&format!("0813{:08}", i))).collect::<Result<_, _>>()?;
    let seed_phones = phones.clone();
    services
        .db
        .run(move |conn| {
            for p in seed_phones {
                let input = CreateUser {
                    phone: p,
                    full_name: "Bench".into(),
                    role: Role::User,
                    approval: ApprovalStatus::Approved,
                    password: None,
                    quota_bytes: 10 * GIB,
                    expires_at: None,
                    unlimited: false,
                    created_by: None,
                    origin: "bench",
                    profile: Default::default(),
                };
                users::create_user(conn, input).map_err(|e| db::DbError::Task(e.to_string()))?;
            }
            Ok(())
        })
        .await?;
    let ips: Vec<String> =
        (0..n).map(|i| format!("10.{}.{}.{}", 60 + i / 65_000, (i / 250) % 260, i % 250 + 2)).collect();
    router.with_state(|s| {
        for (i, ip) in ips.iter().enumerate() {
            let i = i as u32;
            if let Ok(addr) = ip.parse() {
                s.add_host(MacAddress::from_octets([0x02, 0xBE, 0x00, (i >> 16) as u8, (i >> 8) as u8, i as u8]), addr);
            }
        }
    });

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let (trigger, shutdown) = Shutdown::new();
    let server = tokio::spawn(crate::modes::run_http(services.clone(), listener, shutdown));
    crate::ensure_crypto_provider();
    let http =
        reqwest::Client::builder().pool_max_idle_per_host(opts.concurrency).timeout(Duration::from_secs(30)).build()?;

    // Fresh codes, issued straight into the store the server reads (the gateway is not measured).
    let a = &services.settings.auth;
    let otp = OtpStore::new(
        services.kv.clone(),
        services.settings.otp_secret.as_bytes(),
        a.otp_ttl,
        a.otp_cooldown,
        a.otp_max_attempts,
    );
    let mut codes = Vec::with_capacity(n);
    for p in &phones {
        codes.push(otp.issue(p).await?);
    }

    println!(
        "hotspot bench auth — {measured} users (after {warm} warm-up sign-ins), concurrency {}, server + simulators + load in one process",
        opts.concurrency
    );
    println!(
        "             {} HTTP workers, database pool {}{}",
        services.settings.http_workers,
        services.settings.db_pool_size,
        if opts.http_workers.is_none() && opts.db_pool.is_none() { " (the defaults for this machine)" } else { "" }
    );
    let tokens: Arc<std::sync::Mutex<Vec<String>>> = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
    let verify_one = |i: usize| {
        let (http, base, tokens) = (http.clone(), base.clone(), tokens.clone());
        let body = json!({ "phone_number": phones[i].as_e164(), "otp": codes[i], "client_ip": ips[i] });
        async move {
            let Ok(res) = http.post(format!("{base}/api/auth/verify-otp")).json(&body).send().await else {
                return false;
            };
            if !res.status().is_success() {
                return false;
            }
            let Ok(v) = res.json::<serde_json::Value>().await else { return false };
            // A sign-in that did not bind its device took a shorter path than the one measured.
            if v["hotspot_binding_active"].as_bool() != Some(true) {
                return false;
            }
            if let Some(t) = v["access_token"].as_str() {
                tokens.lock().unwrap_or_else(|e| e.into_inner()).push(t.to_owned());
            }
            true
        }
    };
    let warm_up = drive(warm, opts.concurrency, &verify_one).await;
    anyhow::ensure!(warm_up.failed == 0, "{} warm-up sign-ins failed", warm_up.failed);
    let statements_before = services.db.statements();
    let commands_before = router.stats().commands;
    let cpu_before = CpuTicks::now();
    let verify = drive(measured, opts.concurrency, |i| verify_one(warm + i)).await;
    let cpu_after = CpuTicks::now();
    let statements = services.db.statements() - statements_before;
    verify.print("verify-otp");
    println!(
        "             {:.2} SQL statements per verify-otp ({} in all)",
        statements as f64 / verify.ok.max(1) as f64,
        statements
    );
    let commands = router.stats().commands - commands_before;
    println!("             {:.2} router commands per verify-otp", commands as f64 / verify.ok.max(1) as f64);
    println!("             {}", machine::describe(cpu_before, cpu_after));

    let tokens = tokens.lock().unwrap_or_else(|e| e.into_inner()).clone();
    anyhow::ensure!(!tokens.is_empty(), "no verify-otp succeeded; nothing to call /me with");
    let me_one = |i: usize| {
        let (http, base, token) = (http.clone(), base.clone(), tokens[i % tokens.len()].clone());
        async move {
            match http.get(format!("{base}/api/auth/me")).bearer_auth(token).send().await {
                Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    };
    drive(opts.me_requests / 10, opts.concurrency, &me_one).await;
    let statements_before = services.db.statements();
    let cpu_before = CpuTicks::now();
    let me = drive(opts.me_requests, opts.concurrency, &me_one).await;
    let cpu_after = CpuTicks::now();
    me.print("GET me");
    println!(
        "             {:.2} SQL statements per /me",
        (services.db.statements() - statements_before) as f64 / me.ok.max(1) as f64
    );
    println!("             {}", machine::describe(cpu_before, cpu_after));

    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    wa.stop().await;
    clear_prefix(&services, &prefix).await.context("cleaning the bench's Redis keys")?;
    Ok(())
}

async fn clear_prefix(services: &Services, prefix: &str) -> anyhow::Result<()> {
    let mut conn = services.kv.conn();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await?;
    for chunk in keys.chunks(500) {
        let _: i64 = redis::cmd("DEL").arg(chunk).query_async(&mut conn).await?;
    }
    Ok(())
}
