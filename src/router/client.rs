//! The resilient RouterOS client over mikrotik-rs 0.10.
//!
//! mikrotik-rs gives one actor per connection that multiplexes tagged commands, and nothing else:
//! no timeouts, no reconnect, no keepalive. This wrapper owns those: every connect+login and
//! every command has a deadline, a lost connection is replaced (with backoff) on the next call,
//! idempotent commands are re-sent once after a reconnect, a keepalive probes idle connections,
//! repeated transport failures open a circuit breaker, and a semaphore bounds the commands in
//! flight.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use mikrotik_rs::{Event, MikrotikDevice};
use tokio::sync::Semaphore;

use super::breaker::Breaker;
use super::command::Command;
use super::error::RouterError;
use secrecy::{ExposeSecret, SecretString};

use super::rows::Row;

#[derive(Clone)]
pub struct RouterConfig {
    pub name: String,
    /// `host:port`.
    pub addr: String,
    pub username: String,
    pub password: SecretString,
    /// API-SSL (8729).
    pub tls: bool,
    /// The router's certificate, pinned (routers carry self-signed ones); without it a TLS link
    /// is not verified, which only development allows.
    pub tls_fingerprint: Option<super::tls::Fingerprint>,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    pub keepalive: Duration,
    pub max_in_flight: usize,
    pub breaker_threshold: u32,
    pub breaker_open_for: Duration,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
}

impl std::fmt::Debug for RouterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterConfig").field("name", &self.name).field("tls", &self.tls).finish_non_exhaustive()
    }
}

impl RouterConfig {
    pub fn new(name: &str, addr: &str, username: &str, password: &str) -> Self {
        Self {
            name: name.to_owned(),
            addr: addr.to_owned(),
            username: username.to_owned(),
            password: SecretString::from(password),
            tls: false,
            tls_fingerprint: None,
            connect_timeout: Duration::from_secs(3),
            command_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(30),
            max_in_flight: 64,
            breaker_threshold: 5,
            breaker_open_for: Duration::from_secs(15),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
        }
    }
}

struct Conn {
    device: Option<MikrotikDevice>,
    /// Bumped on every new connection so a stale failure report cannot drop a fresh connection.
    generation: u64,
    /// Earliest moment of the next connect attempt after a failed one.
    next_attempt: Option<Instant>,
    backoff: Duration,
}

struct Inner {
    config: RouterConfig,
    conn: tokio::sync::Mutex<Conn>,
    breaker: Mutex<Breaker>,
    permits: Semaphore,
    started: Instant,
    last_used_ms: AtomicU64,
    commands: AtomicU64,
    connects: AtomicU64,
}

/// One long-lived connection per router; cheap to clone.
#[derive(Clone)]
pub struct RouterClient {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ClientStats {
    pub commands: u64,
    pub connects: u64,
    pub breaker_open: bool,
}

impl RouterClient {
    /// Creates the client; the connection is made on first use. A keepalive task lives as long
    /// as the client does.
    pub fn new(config: RouterConfig) -> Self {
        let keepalive = config.keepalive;
        let inner = Arc::new(Inner {
            breaker: Mutex::new(Breaker::new(config.breaker_threshold, config.breaker_open_for)),
            permits: Semaphore::new(config.max_in_flight.max(1)),
            conn: tokio::sync::Mutex::new(Conn {
                device: None,
                generation: 0,
                next_attempt: None,
                backoff: config.backoff_initial,
            }),
            config,
            started: Instant::now(),
            last_used_ms: AtomicU64::new(0),
            commands: AtomicU64::new(0),
            connects: AtomicU64::new(0),
        });
        if !keepalive.is_zero() {
            tokio::spawn(keepalive_loop(Arc::downgrade(&inner), keepalive));
        }
        Self { inner }
    }

    pub fn name(&self) -> &str {
        &self.inner.config.name
    }

    pub fn config(&self) -> &RouterConfig {
        &self.inner.config
    }

    pub fn stats(&self) -> ClientStats {
        ClientStats {
            commands: self.inner.commands.load(Ordering::Relaxed),
            connects: self.inner.connects.load(Ordering::Relaxed),
            breaker_open: self.breaker().is_open(),
        }
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.inner.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a command and returns its `!re` rows. A `!trap` is `Err(Trap)`.
    pub async fn run(&self, cmd: &Command) -> Result<Vec<Row>, RouterError> {
        self.run_map(cmd, Some).await
    }

    /// Like [`RouterClient::run`], turning each reply into `T` as it arrives (replies that `map`
    /// rejects are dropped): a 50,000-row print never holds all its raw rows at once.
    pub async fn run_map<T>(&self, cmd: &Command, map: impl Fn(Row) -> Option<T>) -> Result<Vec<T>, RouterError> {
        self.run_map_sized(cmd, 0, map).await
    }

    /// Like [`RouterClient::run_map`] with room for `expected` rows reserved up front: a print the
    /// size of the hotspot then never grows by doubling, which holds the old and new buffers at once.
    pub async fn run_map_sized<T>(
        &self,
        cmd: &Command,
        expected: usize,
        map: impl Fn(Row) -> Option<T>,
    ) -> Result<Vec<T>, RouterError> {
        if let Err(wait) = self.breaker().allow(Instant::now()) {
            return Err(RouterError::CircuitOpen(wait));
        }
        // The wait for a slot is bounded like the command itself: a burst never queues for ever.
        let wait = self.inner.config.command_timeout;
        let _permit = match tokio::time::timeout(wait, self.inner.permits.acquire()).await {
            Ok(p) => p.map_err(|_| RouterError::ConnectionLost)?,
            Err(_) => return Err(RouterError::Timeout(wait)),
        };
        let started = Instant::now();
        let mut result = self.run_once(cmd, expected, &map).await;
        if matches!(result, Err(RouterError::ConnectionLost)) && cmd.idempotent {
            // The connection died under us; a fresh one gets one more try.
            result = self.run_once(cmd, expected, &map).await;
        }
        let open = {
            let mut breaker = self.breaker();
            match &result {
                Err(e) if e.is_unavailable() => breaker.record_failure(Instant::now()),
                _ => breaker.record_success(),
            }
            breaker.is_open()
        };
        crate::metrics::with(|m| {
            // Command paths are ours (a closed set), never input.
            m.router_latency.with_label_values(&[cmd.path.as_str()]).observe(started.elapsed().as_secs_f64());
            if let Err(e) = &result {
                m.router_errors.with_label_values(&[cmd.path.as_str(), e.kind()]).inc();
            }
            m.router_breaker_open.set(i64::from(open));
        });
        result
    }

    async fn run_once<T>(
        &self,
        cmd: &Command,
        expected: usize,
        map: &impl Fn(Row) -> Option<T>,
    ) -> Result<Vec<T>, RouterError> {
        let (device, generation) = self.device().await?;
        self.inner.commands.fetch_add(1, Ordering::Relaxed);
        self.touch();
        let timeout = self.inner.config.command_timeout;
        let mut rx = match device.send_command(cmd.build()).await {
            Ok(rx) => rx,
            Err(_) => {
                self.invalidate(generation).await;
                return Err(RouterError::ConnectionLost);
            }
        };
        let collect = async {
            let mut rows = Vec::with_capacity(expected);
            loop {
                match rx.recv().await {
                    Some(Event::Reply { response, .. }) => {
                        if let Some(row) = map(response.attributes) {
                            rows.push(row);
                        }
                    }
                    Some(Event::Done { .. } | Event::Empty { .. }) => return Ok(rows),
                    Some(Event::Trap { response, .. }) => {
                        return Err(RouterError::Trap {
                            category: response.category.map(|c| c as u8),
                            message: response.message,
                        });
                    }
                    Some(Event::Fatal { reason }) => {
                        tracing::warn!(router = %self.inner.config.name, %reason, "router closed the session");
                        return Err(RouterError::ConnectionLost);
                    }
                    // The actor exited: EOF or an I/O error on the socket.
                    None => return Err(RouterError::ConnectionLost),
                }
            }
        };
        let result = match tokio::time::timeout(timeout, collect).await {
            Ok(r) => r,
            // Dropping `rx` makes mikrotik-rs send /cancel for the command.
            Err(_) => Err(RouterError::Timeout(timeout)),
        };
        if matches!(result, Err(RouterError::ConnectionLost | RouterError::Timeout(_))) {
            // A silent router may have a half-dead socket: start afresh next time.
            self.invalidate(generation).await;
        }
        self.touch();
        result
    }

    fn touch(&self) {
        self.inner.last_used_ms.store(self.inner.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// The live connection, connecting (with deadline and backoff) when there is none.
    async fn device(&self) -> Result<(MikrotikDevice, u64), RouterError> {
        let mut conn = self.inner.conn.lock().await;
        if let Some(d) = &conn.device {
            return Ok((d.clone(), conn.generation));
        }
        if let Some(at) = conn.next_attempt {
            let now = Instant::now();
            if now < at {
                return Err(RouterError::Unreachable(format!("reconnecting in {:?}", at - now)));
            }
        }
        let cfg = &self.inner.config;
        self.inner.connects.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(cfg.connect_timeout, connect(cfg)).await {
            Ok(Ok(device)) => {
                conn.generation += 1;
                conn.device = Some(device.clone());
                crate::metrics::with(|m| m.router_connected.set(1));
                conn.next_attempt = None;
                conn.backoff = cfg.backoff_initial;
                tracing::info!(router = %cfg.name, "router connected");
                Ok((device, conn.generation))
            }
            Ok(Err(e)) => {
                conn.next_attempt = Some(Instant::now() + conn.backoff);
                conn.backoff = (conn.backoff * 2).min(cfg.backoff_max);
                tracing::warn!(router = %cfg.name, error = %e, "router connect failed");
                Err(e)
            }
            Err(_) => {
                conn.next_attempt = Some(Instant::now() + conn.backoff);
                conn.backoff = (conn.backoff * 2).min(cfg.backoff_max);
                tracing::warn!(router = %cfg.name, "router connect timed out");
                Err(RouterError::Unreachable(format!("no login within {:?}", cfg.connect_timeout)))
            }
        }
    }

    async fn invalidate(&self, generation: u64) {
        let mut conn = self.inner.conn.lock().await;
        if conn.generation == generation && conn.device.take().is_some() {
            crate::metrics::with(|m| m.router_connected.set(0));
            tracing::info!(router = %self.inner.config.name, "router connection dropped; reconnecting on next use");
        }
    }

    /// Drops the connection now (tests, shutdown).
    pub async fn disconnect(&self) {
        let mut conn = self.inner.conn.lock().await;
        conn.device = None;
        crate::metrics::with(|m| m.router_connected.set(0));
        conn.next_attempt = None;
    }
}

async fn connect(cfg: &RouterConfig) -> Result<MikrotikDevice, RouterError> {
    crate::ensure_crypto_provider();
    let builder =
        MikrotikDevice::builder(cfg.addr.as_str()).credentials(&cfg.username, Some(cfg.password.expose_secret()));
    let result = match (cfg.tls, cfg.tls_fingerprint) {
        (false, _) => builder.connect().await,
        (true, Some(pin)) => {
            let config = super::tls::pinned_config(pin).map_err(|e| RouterError::Unreachable(e.to_string()))?;
            // Routers ignore SNI; the pinned certificate is what is checked.
            let name = rustls::pki_types::ServerName::try_from("router")
                .map_err(|e| RouterError::Unreachable(e.to_string()))?;
            builder.tls_config(config, name).connect().await
        }
        // Development only: production refuses TLS without a pinned certificate.
        (true, None) => builder.tls_insecure().connect().await,
    };
    result.map_err(|e| match e {
        mikrotik_rs::tokio_client::error::DeviceError::Authentication { .. }
        | mikrotik_rs::tokio_client::error::DeviceError::Login(_) => RouterError::LoginRefused,
        other => RouterError::Unreachable(other.to_string()),
    })
}

/// Probes an idle connection so a router that vanished is noticed before a user waits on it.
async fn keepalive_loop(inner: Weak<Inner>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let client = RouterClient { inner };
        // Another task may have used the connection since `elapsed` was read: saturate, not wrap.
        let idle_ms = (client.inner.started.elapsed().as_millis() as u64)
            .saturating_sub(client.inner.last_used_ms.load(Ordering::Relaxed));
        let connected = client.inner.conn.lock().await.device.is_some();
        if !connected || idle_ms < every.as_millis() as u64 {
            continue;
        }
        if let Err(e) = client.run(&Command::new("/system/identity/print")).await {
            tracing::warn!(router = %client.inner.config.name, error = %e, "router keepalive failed");
        }
    }
}
