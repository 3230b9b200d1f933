//! The server side of `hotspot bench auth`: a scratch database, the simulated router and gateway,
//! the real HTTP server, and on demand fresh users (a device each on the simulated hotspot) with
//! codes issued straight into the store the server reads. Run in the bench's own process, or on
//! its own (`--serve`) with a small control listener the load process (`--external`) asks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::super::machine;
use crate::accounts::create::{self as users, CreateUser};
use crate::app::App as Services;
use crate::auth::otp::OtpStore;
use crate::db;
use crate::domain::{ApprovalStatus, GIB, MacAddress, Msisdn, Role};
use crate::shutdown::{Shutdown, ShutdownTrigger};
use crate::sim::router::{SimConfig, SimRouter};
use crate::sim::whatsapp::WhatsAppSim;

/// One sign-in's inputs: a user's phone, a code issued for it, and the address of the user's
/// device on the hotspot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Login {
    pub phone: String,
    pub code: String,
    pub ip: String,
}

/// The server side's counters, read before and after a phase.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct ServerStats {
    /// SQL statements sent through the server's pool.
    pub statements: u64,
    /// Commands the simulated router answered.
    pub router_commands: u64,
    /// CPU ticks of the serving process (server and simulators), where `/proc` is readable.
    pub process_ticks: Option<u64>,
    /// The serving process, so a load in the same process does not count it twice.
    pub pid: u32,
}

pub struct Setup {
    pub http_workers: Option<usize>,
    pub db_pool: Option<u32>,
    pub redis_url: String,
}

impl Setup {
    pub fn of(opts: &super::Options) -> Self {
        Self { http_workers: opts.http_workers, db_pool: opts.db_pool, redis_url: opts.redis_url.clone() }
    }
}

/// A running server under test.
pub struct Served {
    services: Services,
    router: SimRouter,
    wa: WhatsAppSim,
    otp: OtpStore,
    prefix: String,
    next_user: AtomicUsize,
    /// The API's address.
    pub addr: SocketAddr,
    trigger: ShutdownTrigger,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Served {
    pub async fn start(database_url: &str, setup: &Setup, listener: std::net::TcpListener) -> anyhow::Result<Self> {
        let router = SimRouter::start("127.0.0.1:0".parse()?, SimConfig::default()).await?;
        let wa = WhatsAppSim::start("127.0.0.1:0".parse()?).await?;
        let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
        let mut vars = vec![
            ("DATABASE_URL", database_url.to_owned()),
            ("REDIS_URL", setup.redis_url.clone()),
            ("HOTSPOT_REDIS_PREFIX", prefix.clone()),
            ("HOTSPOT_LOG", "warn".to_owned()),
            ("HOTSPOT_ROUTER_ADDR", router.addr().to_string()),
            ("HOTSPOT_WA_BASE_URL", wa.base_url()),
            ("HOTSPOT_OTP_PER_IP_PER_HOUR", "1000000".to_owned()),
            ("HOTSPOT_ROUTER_KEEPALIVE_SECS", "0".to_owned()),
            // The bench's phones are on the hotspot (their addresses in its client range, the
            // load from its egress address) and bound at sign-in: the full path, router included.
            ("HOTSPOT_CLIENT_CIDRS", "10.0.0.0/8".to_owned()),
            ("HOTSPOT_EGRESS_ADDRESSES", "127.0.0.1/32".to_owned()),
            ("HOTSPOT_BINDING_MODE", "redirect".to_owned()),
        ];
        if let Some(w) = setup.http_workers {
            vars.push(("HOTSPOT_HTTP_WORKERS", w.to_string()));
        }
        if let Some(p) = setup.db_pool {
            vars.push(("HOTSPOT_DB_POOL_SIZE", p.to_string()));
        }
        let services = super::super::services(&vars).await?;
        // Redis's multiplexed connection is driven by a task on the runtime that first uses it:
        // connect from this one, not from the control listener's, which ends before the cleanup.
        services.kv.ping().await?;
        let a = &services.settings.auth;
        let otp = OtpStore::new(
            services.kv.clone(),
            secrecy::ExposeSecret::expose_secret(&services.settings.otp_secret).as_bytes(),
            a.otp_ttl,
            a.otp_cooldown,
            a.otp_max_attempts,
        );
        let addr = listener.local_addr()?;
        let (trigger, shutdown) = Shutdown::new();
        let server = tokio::spawn(crate::app::run_http(services.clone(), listener, shutdown));
        Ok(Self { services, router, wa, otp, prefix, next_user: AtomicUsize::new(0), addr, trigger, server })
    }

    /// "N HTTP workers, database pool M".
    pub fn describe(&self) -> String {
        format!(
            "{} HTTP workers, database pool {}",
            self.services.settings.http_workers, self.services.settings.db_pool_size
        )
    }

    /// `n` new users with quota, a device each on the simulated hotspot, and a fresh code each.
    pub async fn logins(&self, n: usize) -> anyhow::Result<Vec<Login>> {
        let first = self.next_user.fetch_add(n, Ordering::Relaxed);
        let indices: Vec<usize> = (first..first + n).collect();
        let phones: Vec<Msisdn> =
            indices.iter().map(|i| Msisdn::parse(&format!("0813{:08}", i))).collect::<Result<_, _>>()?;
        let seed = phones.clone();
        self.services
            .db
            .transaction(move |conn| {
                for p in seed {
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
        let ips: Vec<String> = indices.iter().map(|i| client_address(*i)).collect();
        self.router.with_state(|s| {
            for (i, ip) in indices.iter().zip(&ips) {
                let i = *i as u32;
                if let Ok(addr) = ip.parse() {
                    s.add_host(
                        MacAddress::from_octets([0x02, 0xBE, 0x00, (i >> 16) as u8, (i >> 8) as u8, i as u8]),
                        addr,
                    );
                }
            }
        });
        let codes: Vec<Result<String, crate::kv::KvError>> =
            futures_util::stream::iter(&phones).map(|p| self.otp.issue(p)).buffered(64).collect().await;
        let mut out = Vec::with_capacity(n);
        for ((p, code), ip) in phones.iter().zip(codes).zip(ips) {
            out.push(Login { phone: p.as_e164().to_owned(), code: code?, ip });
        }
        Ok(out)
    }

    /// What autovacuum does within a minute on a server that has been up: statistics for the
    /// tables the warm-up filled, so the plans the pool's connections cache fit their size.
    pub async fn settle(&self) -> anyhow::Result<()> {
        self.services
            .db
            .run(|conn| Ok(diesel::RunQueryDsl::execute(diesel::sql_query("VACUUM ANALYZE"), conn)?))
            .await?;
        Ok(())
    }

    pub fn stats(&self) -> ServerStats {
        ServerStats {
            statements: self.services.db.statements(),
            router_commands: self.router.stats().commands,
            process_ticks: machine::process_ticks(),
            pid: std::process::id(),
        }
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.trigger();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.server).await;
        self.wa.stop().await;
        clear_prefix(&self.services, &self.prefix).await
    }
}

async fn clear_prefix(services: &Services, prefix: &str) -> anyhow::Result<()> {
    let mut conn = services.kv.conn();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await?;
    for chunk in keys.chunks(500) {
        let _: i64 = redis::cmd("DEL").arg(chunk).query_async(&mut conn).await?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct LoginsQuery {
    n: usize,
}

/// Most logins one control request hands out (a bench asks for its users in one or two calls).
const MAX_LOGINS: usize = 1_000_000;

async fn logins(served: web::Data<Served>, q: web::Query<LoginsQuery>) -> HttpResponse {
    if q.n == 0 || q.n > MAX_LOGINS {
        return HttpResponse::BadRequest().body(format!("n must be 1..={MAX_LOGINS}"));
    }
    match served.logins(q.n).await {
        Ok(l) => HttpResponse::Ok().json(l),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn settle(served: web::Data<Served>) -> HttpResponse {
    match served.settle().await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn stats(served: web::Data<Served>) -> HttpResponse {
    HttpResponse::Ok().json(served.stats())
}

async fn describe(served: web::Data<Served>) -> HttpResponse {
    HttpResponse::Ok().body(served.describe())
}

/// `hotspot bench auth --serve`: serves the API on `api` and the bench's control on `control`
/// until `stop` completes, then drops the scratch database and the Redis keys.
pub async fn serve<S>(
    opts: super::Options,
    api: std::net::TcpListener,
    control: std::net::TcpListener,
    stop: S,
) -> anyhow::Result<()>
where
    S: std::future::Future<Output = ()>,
{
    let (database_url, setup) = (opts.database_url.clone(), Setup::of(&opts));
    super::super::with_scratch_database(&database_url, |url| async move {
        let served = web::Data::new(Served::start(&url, &setup, api).await?);
        let control_addr = control.local_addr()?;
        let data = served.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/logins", web::post().to(logins))
                .route("/settle", web::post().to(settle))
                .route("/stats", web::get().to(stats))
                .route("/describe", web::get().to(describe))
        })
        .workers(1)
        .disable_signals()
        .listen(control)?
        .run();
        let handle = server.handle();
        let running = tokio::spawn(server);
        println!("hotspot bench auth --serve: the API on http://{}, {}", served.addr, served.describe());
        println!(
            "drive it from another process:\n  hotspot bench auth --external http://{} --control http://{control_addr}",
            served.addr
        );
        stop.await;
        handle.stop(true).await;
        let _ = running.await;
        match Arc::try_unwrap(served.into_inner()) {
            Ok(s) => s.stop().await,
            Err(_) => Ok(()),
        }
    })
    .await
}

/// User `i`'s phone address on the simulated hotspot: 250 per /24, 62,500 per /16, from
/// 10.60.0.2 (a valid address for every user up to a million; `/24`s of 260 once gave
/// `10.60.256.2` to users past 64,000).
fn client_address(i: usize) -> String {
    format!("10.{}.{}.{}", 60 + i / 62_500, (i / 250) % 250, i % 250 + 2)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_users_address_is_an_address_and_its_own() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..130_000 {
            let a = super::client_address(i);
            assert!(a.parse::<std::net::Ipv4Addr>().is_ok(), "{i}: {a}");
            assert!(seen.insert(a), "{i}");
        }
    }
}
