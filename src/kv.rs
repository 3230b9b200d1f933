//! Redis: the deadpool pool with timeouts and the key namespace every key goes through (tests
//! get their own namespace so they can share one server).

use std::time::Duration;

use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("redis command failed: {0}")]
    Command(String),
}

impl From<deadpool_redis::PoolError> for KvError {
    fn from(e: deadpool_redis::PoolError) -> Self {
        KvError::Unavailable(e.to_string())
    }
}

impl From<deadpool_redis::redis::RedisError> for KvError {
    fn from(e: deadpool_redis::redis::RedisError) -> Self {
        if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout() {
            KvError::Unavailable(e.to_string())
        } else {
            KvError::Command(e.to_string())
        }
    }
}

#[derive(Clone)]
pub struct Kv {
    pool: Pool,
    prefix: String,
    timeout: Duration,
}

impl Kv {
    pub fn new(url: &str, prefix: &str, max_size: usize, timeout: Duration) -> Result<Self, KvError> {
        let mut cfg = Config::from_url(url);
        let mut pool_cfg = PoolConfig::new(max_size);
        pool_cfg.timeouts = Timeouts { wait: Some(timeout), create: Some(timeout), recycle: Some(timeout) };
        cfg.pool = Some(pool_cfg);
        let pool = cfg.create_pool(Some(Runtime::Tokio1)).map_err(|e| KvError::Unavailable(e.to_string()))?;
        Ok(Self { pool, prefix: prefix.to_owned(), timeout })
    }

    /// A key inside this deployment's namespace.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub async fn conn(&self) -> Result<deadpool_redis::Connection, KvError> {
        Ok(self.pool.get().await?)
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

    pub async fn ping(&self) -> Result<(), KvError> {
        self.with_timeout(async {
            let mut conn = self.conn().await?;
            let pong: String = deadpool_redis::redis::cmd("PING").query_async(&mut conn).await?;
            if pong == "PONG" { Ok(()) } else { Err(KvError::Command(format!("unexpected PING answer {pong:?}"))) }
        })
        .await
    }

    pub fn state(&self) -> (usize, usize, usize) {
        let s = self.pool.status();
        (s.max_size, s.size, s.available)
    }
}
