//! The settings room: the runtime settings every process reads, a cached copy of the
//! `runtime_settings` rows over the start-up defaults, and the router policy built from them.
//! A change (`store`, the only writer of the table) is announced on a Redis channel and every
//! process reloads at once; a periodic reload covers a missed announcement (Redis pub/sub does
//! not keep messages for a listener that was reconnecting).

pub mod promos;
mod update;

pub use update::{Ignored, SettingEntry, SettingsError, Updated, entries};

use std::sync::{Arc, RwLock};
use std::time::Duration;

use diesel::prelude::*;

use crate::config::{RuntimeSettings, Settings};
use crate::db::schema::runtime_settings;
use crate::db::{Db, DbError};
use crate::domain::policy::RouterPolicy;
use crate::kv::Kv;

/// How often a process reloads even without an announcement.
pub const RELOAD_EVERY: Duration = Duration::from_secs(30);

struct Current {
    settings: Arc<RuntimeSettings>,
    policy: Arc<RouterPolicy>,
}

struct Inner {
    defaults: RuntimeSettings,
    base_policy: RouterPolicy,
    current: RwLock<Current>,
    db: Db,
    kv: Kv,
    /// The Redis channel changes are announced on (inside the deployment's namespace).
    channel: String,
    listening: std::sync::atomic::AtomicBool,
}

#[derive(Clone)]
pub struct Runtime(Arc<Inner>);

fn build(base: &RouterPolicy, s: RuntimeSettings) -> Current {
    let policy = RouterPolicy { fup_threshold: s.fup_threshold_bytes, ..base.clone() };
    Current { settings: Arc::new(s), policy: Arc::new(policy) }
}

impl Runtime {
    /// The start-up defaults until [`Runtime::reload`] reads the stored rows.
    pub fn new(settings: &Settings, db: Db, kv: Kv) -> Self {
        let defaults = RuntimeSettings::defaults(settings);
        let current = RwLock::new(build(&settings.policy, defaults.clone()));
        Self(Arc::new(Inner {
            defaults,
            base_policy: settings.policy.clone(),
            current,
            db,
            kv,
            channel: format!("{}runtime-settings", settings.redis_prefix),
            listening: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    pub fn get(&self) -> Arc<RuntimeSettings> {
        match self.0.current.read() {
            Ok(c) => c.settings.clone(),
            Err(poisoned) => poisoned.into_inner().settings.clone(),
        }
    }

    /// The one router policy, with the current FUP threshold.
    pub fn policy(&self) -> Arc<RouterPolicy> {
        match self.0.current.read() {
            Ok(c) => c.policy.clone(),
            Err(poisoned) => poisoned.into_inner().policy.clone(),
        }
    }

    pub fn defaults(&self) -> &RuntimeSettings {
        &self.0.defaults
    }

    pub fn channel(&self) -> &str {
        &self.0.channel
    }

    /// Installs settings just written (the writer's own process does not wait for the echo).
    pub fn install(&self, s: RuntimeSettings) {
        let next = build(&self.0.base_policy, s);
        match self.0.current.write() {
            Ok(mut c) => *c = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    /// The defaults overlaid with the stored rows. A row that no longer validates (a range
    /// narrowed in a new release) is skipped with a warning, its default holds.
    pub fn overlay(&self, rows: &[(String, serde_json::Value)]) -> RuntimeSettings {
        let mut s = self.0.defaults.clone();
        for (k, v) in rows {
            if let Err(e) = s.apply_stored(k, v) {
                tracing::warn!(key = %k, error = %e, "stored runtime setting ignored");
            }
        }
        s
    }

    /// Reads the stored rows (a failure keeps the defaults and is logged), then keeps them
    /// current.
    /// Never holds up the caller: a database that is down at start-up must not delay the
    /// server's health answers (the listener reloads as soon as it can).
    pub async fn start(&self, redis_url: &str) {
        self.spawn_listener(redis_url);
    }

    /// Reads the stored rows and installs them.
    pub async fn reload(&self) -> Result<(), DbError> {
        let rows = self.0.db.run(load_rows).await?;
        self.install(self.overlay(&rows));
        Ok(())
    }

    /// Keeps this process's copy current until the process ends: reloads on every
    /// announcement and every [`RELOAD_EVERY`].
    /// Once per process (the demo runs the server and the worker in one).
    pub fn spawn_listener(&self, redis_url: &str) {
        if self.0.listening.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let (me, url) = (self.clone(), redis_url.to_owned());
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.listen(&url).await {
                    tracing::warn!(error = %e, "runtime settings listener lost Redis; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
                me.reload_logged().await;
            }
        });
    }

    async fn reload_logged(&self) {
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "runtime settings could not be reloaded; keeping the last ones");
        }
    }

    async fn listen(&self, url: &str) -> Result<(), redis::RedisError> {
        use futures_util::StreamExt;
        let client = redis::Client::open(url)?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(self.channel()).await?;
        // Subscribed: anything changed while we were away is read now.
        self.reload_logged().await;
        let mut messages = pubsub.on_message();
        let mut tick = tokio::time::interval(RELOAD_EVERY);
        tick.tick().await;
        loop {
            tokio::select! {
                m = messages.next() => match m {
                    Some(_) => self.reload_logged().await,
                    None => return Ok(()),
                },
                _ = tick.tick() => self.reload_logged().await,
            }
        }
    }
}

/// Every stored row, key and value.
pub fn load_rows(conn: &mut PgConnection) -> Result<Vec<(String, serde_json::Value)>, DbError> {
    Ok(runtime_settings::table
        .select((runtime_settings::key, runtime_settings::value))
        .order(runtime_settings::key)
        .load(conn)?)
}
