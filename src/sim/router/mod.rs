//! A RouterOS 7 API simulator: the wire protocol, login, tags, the print query language and the
//! hotspot menus, over a real TCP socket, with faults and a control surface for tests, the demo
//! and the benchmarks.

pub mod control;
pub mod exec;
pub mod query;
mod server;
pub use server::legacy_response;
pub mod state;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use state::RouterState;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub username: String,
    pub password: String,
    /// Seed of the deterministic host rates.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { username: "admin".into(), password: "sim-password".into(), seed: 1 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagPosition {
    /// Second word, as captures of real routers show.
    Second,
    /// Last word, as the manual's examples print it.
    Last,
}

/// Misbehaviour to inject. Changes apply to commands that arrive afterwards.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Delay before each command's replies are written.
    pub latency: Duration,
    /// Commands whose word contains this text never get a reply ("" stalls everything).
    pub stall: Option<String>,
    /// The next N commands get half a reply sentence, then the connection is dropped.
    pub drop_mid_sentence: u32,
    /// Every login is refused as with a wrong password.
    pub refuse_login: bool,
    /// API sessions allowed at once (RouterOS default 20).
    pub max_sessions: usize,
    /// RouterOS 7.18+: `!empty` before `!done` for empty prints.
    pub empty_replies: bool,
    pub tag_position: TagPosition,
    /// Pre-6.43 MD5 challenge login.
    pub legacy_login: bool,
    /// The router is unreachable: connections are closed at once.
    pub down: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            stall: None,
            drop_mid_sentence: 0,
            refuse_login: false,
            max_sessions: 20,
            empty_replies: false,
            tag_position: TagPosition::Second,
            legacy_login: false,
            down: false,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct SimStats {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub commands: u64,
    pub sessions: usize,
    pub logins: u64,
}

pub(crate) struct Inner {
    config: SimConfig,
    state: Mutex<RouterState>,
    faults: Mutex<Faults>,
    sessions: AtomicUsize,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    commands: AtomicU64,
    logins: AtomicU64,
    /// Bumped to close every open connection (reboot, drop).
    kill: watch::Sender<u64>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, RouterState> {
        // A panic while holding the lock cannot leave half-applied state worth refusing.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> Faults {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A running simulator. Dropping it stops accepting; [`SimRouter::shutdown`] also closes sessions.
pub struct SimRouter {
    inner: Arc<Inner>,
    addr: SocketAddr,
    accept: tokio::task::JoinHandle<()>,
}

impl SimRouter {
    pub async fn start(listen: SocketAddr, config: SimConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (kill, _) = watch::channel(0);
        let inner = Arc::new(Inner {
            state: Mutex::new(RouterState::new(config.seed)),
            config,
            faults: Mutex::new(Faults::default()),
            sessions: AtomicUsize::new(0),
            bytes_sent: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
            commands: AtomicU64::new(0),
            logins: AtomicU64::new(0),
            kill,
        });
        let accept = tokio::spawn(server::accept_loop(listener, inner.clone()));
        Ok(Self { inner, addr, accept })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Reads or changes the router state directly (seeding, assertions).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut RouterState) -> R) -> R {
        f(&mut self.inner.state())
    }

    pub fn set_faults(&self, f: impl FnOnce(&mut Faults)) {
        let mut faults = self.inner.faults.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut faults);
    }

    pub fn clear_faults(&self) {
        self.set_faults(|f| *f = Faults::default());
    }

    pub fn seed_hosts(&self, n: usize) {
        self.seed_hosts_from(0, n);
    }

    /// Hosts `from..from + n` of the seeded sequence.
    pub fn seed_hosts_from(&self, from: usize, n: usize) {
        self.with_state(|s| s.seed_hosts(from, n));
    }

    pub fn advance(&self, secs: u64) {
        self.with_state(|s| s.advance(secs));
    }

    /// Reboot: counters reset, host rows renumbered, every API session closed.
    pub fn reboot(&self) {
        self.with_state(|s| s.reboot());
        self.drop_connections();
    }

    pub fn drop_connections(&self) {
        self.inner.kill.send_modify(|n| *n += 1);
    }

    /// Drops every session and waits (up to 2 s) until they are gone.
    pub async fn drop_connections_and_wait(&self) {
        self.drop_connections();
        for _ in 0..200 {
            if self.inner.sessions.load(Ordering::Relaxed) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn stats(&self) -> SimStats {
        SimStats {
            bytes_sent: self.inner.bytes_sent.load(Ordering::Relaxed),
            bytes_received: self.inner.bytes_received.load(Ordering::Relaxed),
            commands: self.inner.commands.load(Ordering::Relaxed),
            sessions: self.inner.sessions.load(Ordering::Relaxed),
            logins: self.inner.logins.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting and closes every session.
    pub fn shutdown(&self) {
        self.accept.abort();
        self.drop_connections();
    }
}

impl Drop for SimRouter {
    fn drop(&mut self) {
        self.shutdown();
    }
}
