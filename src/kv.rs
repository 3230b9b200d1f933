//! Redis: one shared, self-reconnecting connection with timeouts, and the key namespace every key
//! goes through (tests get their own namespace so they can share one server).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("redis command failed: {0}")]
    Command(String),
}

impl From<redis::RedisError> for KvError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout() {
            KvError::Unavailable(e.to_string())
        } else {
            KvError::Command(e.to_string())
        }
    }
}

/// Not a pool: one multiplexed connection carries every concurrent command of the process
/// (pipelined on one socket) and reconnects by itself. A pool would add nothing but its
/// checkout cost (deadpool-redis sends UNWATCH+PING on every checkout, a second round trip per
/// command).
#[derive(Clone)]
pub struct Kv {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl Kv {
    /// Connects on first use, so a Redis that is down at start-up is an error on use, not a
    /// failed start. Needs a Tokio runtime.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, KvError> {
        let client = redis::Client::open(url).map_err(|e| KvError::Unavailable(e.to_string()))?;
        // One quick reconnect attempt per failure: callers are bounded by `timeout` anyway, and
        // the next command starts a fresh attempt.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self { conn, prefix: prefix.to_owned(), timeout })
    }

    /// A key inside this deployment's namespace.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A handle on the shared connection (cheap to clone; commands from many tasks pipeline).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Runs one command batch with the configured timeout: a hung server is an error, not a hang.
    pub async fn with_timeout<T, F>(&self, fut: F) -> Result<T, KvError>
    where
        F: std::future::Future<Output = Result<T, KvError>>,
    {
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| KvError::Unavailable(format!("no answer within {} ms", self.timeout.as_millis())))?
    }

    /// PINGs every second until `stop`: after Redis went away and came back, the shared
    /// connection reconnects on the next command that fails, so without this the first real
    /// command after the outage (a sign-in's token check) would be the one to fail.
    pub fn keep_fresh(&self, stop: impl std::future::Future<Output = ()> + Send + 'static) {
        let kv = self.clone();
        tokio::spawn(async move {
            tokio::pin!(stop);
            let mut down = false;
            loop {
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                match kv.ping().await {
                    Ok(()) if down => {
                        tracing::info!("redis answers again");
                        down = false;
                    }
                    Ok(()) => {}
                    Err(e) if !down => {
                        tracing::warn!(error = %e, "redis does not answer");
                        down = true;
                    }
                    Err(_) => {}
                }
            }
        });
    }

    pub async fn ping(&self) -> Result<(), KvError> {
        self.with_timeout(async {
            let mut conn = self.conn();
            let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
            if pong == "PONG" { Ok(()) } else { Err(KvError::Command(format!("unexpected PING answer {pong:?}"))) }
        })
        .await
    }
}
