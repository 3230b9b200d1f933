//! The sync's Redis lock and throttle. Every process fires the cron tick (apalis-cron has no
//! leader), so a tick runs only when the last run is old enough and this process holds the lock.
//! The lock carries an owner token and is released with compare-and-delete: never a plain DEL of
//! somebody else's lock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::Script;

use crate::crypto::random_token;
use crate::kv::{Kv, KvError};

const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

const RENEW: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"#;

pub struct SyncLock {
    kv: Kv,
    key: String,
    token: String,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl SyncLock {
    /// Takes the lock for at most `ttl` (a crashed holder frees it then). `None`: held elsewhere.
    /// A site's lock: `site` is its key suffix ([`super::SiteScope::key_suffix`]).
    pub async fn acquire(kv: &Kv, site: &str, ttl: Duration) -> Result<Option<SyncLock>, KvError> {
        let key = kv.key(&format!("sync:lock{site}"));
        let token = random_token(16);
        let ms = ttl.as_millis().max(1) as u64;
        let got: Option<String> = kv
            .with_timeout(async {
                let mut c = kv.conn();
                Ok(redis::cmd("SET").arg(&key).arg(&token).arg("NX").arg("PX").arg(ms).query_async(&mut c).await?)
            })
            .await?;
        Ok(got.map(|_| SyncLock { kv: kv.clone(), key, token }))
    }

    /// Extends the lock by `ttl` if it is still ours; false when it is not (any more).
    pub async fn renew(&self, ttl: Duration) -> Result<bool, KvError> {
        let ms = ttl.as_millis().max(1) as u64;
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let n: i64 = Script::new(RENEW).key(&self.key).arg(&self.token).arg(ms).invoke_async(&mut c).await?;
                Ok(n == 1)
            })
            .await
    }

    /// A copy for the renewing task (same key and token).
    fn handle(&self) -> SyncLock {
        SyncLock { kv: self.kv.clone(), key: self.key.clone(), token: self.token.clone() }
    }

    /// Keeps the lock alive while a cycle runs: renewed every third of `ttl`. Abort the task
    /// when the cycle ends.
    pub fn keep_alive(&self, ttl: Duration) -> tokio::task::JoinHandle<()> {
        let lock = self.handle();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(ttl / 3);
            every.tick().await;
            loop {
                every.tick().await;
                match lock.renew(ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::error!("the sync lock was lost while a cycle ran");
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew the sync lock; trying again"),
                }
            }
        })
    }

    /// Releases the lock if it is still ours.
    pub async fn release(self) -> Result<bool, KvError> {
        let (key, token) = (self.key.clone(), self.token.clone());
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let n: i64 = Script::new(RELEASE).key(&key).arg(&token).invoke_async(&mut c).await?;
                Ok(n == 1)
            })
            .await
    }
}

/// Seconds since the last completed run, if any.
pub async fn since_last_run(kv: &Kv, site: &str) -> Result<Option<u64>, KvError> {
    let key = kv.key(&format!("sync:last_run_ts{site}"));
    let last: Option<u64> = kv
        .with_timeout(async {
            let mut c = kv.conn();
            Ok(redis::cmd("GET").arg(&key).query_async(&mut c).await?)
        })
        .await?;
    Ok(last.map(|t| now_secs().saturating_sub(t)))
}

pub async fn mark_run(kv: &Kv, site: &str) -> Result<(), KvError> {
    let key = kv.key(&format!("sync:last_run_ts{site}"));
    kv.with_timeout(async {
        let mut c = kv.conn();
        let _: () = redis::cmd("SET").arg(&key).arg(now_secs()).query_async(&mut c).await?;
        Ok(())
    })
    .await
}
