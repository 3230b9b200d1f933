//! The Redis queues (apalis-redis) and the producer side the HTTP server uses.

use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskId, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use redis::aio::ConnectionManagerConfig;

use serde_json::Value;

use crate::payload::{ManualSync, Payload, QUEUES};

/// Every queue's jobs are stored as JSON values: one storage type for all queues keeps the
/// worker's wiring free of per-payload generics (the bytes in Redis are the payload's JSON).
pub(crate) type Storage = RedisStorage<Value>;

/// One queue's jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub pending: i64,
    pub running: i64,
    pub scheduled: i64,
    pub dead: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("the queue refused the job: {0}")]
    Push(String),
    #[error("the job could not be encoded: {0}")]
    Encode(String),
}

impl From<redis::RedisError> for QueueError {
    fn from(e: redis::RedisError) -> Self {
        QueueError::Unavailable(e.to_string())
    }
}

/// How the queues are named and kept.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// The deployment's Redis key prefix (`HOTSPOT_REDIS_PREFIX`); tests use their own.
    pub namespace: String,
    /// How often an idle worker looks for new jobs.
    pub poll_interval: Duration,
    /// How long an idempotency key lives at most. It is deleted when its job ends; the TTL only
    /// bounds a key whose worker died (apalis-redis deletes keys at once when this is unset).
    pub idempotency_ttl: Duration,
    /// Per-command timeout towards Redis.
    pub timeout: Duration,
}

impl QueueSettings {
    /// The Redis name of queue `queue` (a payload's `QUEUE`).
    pub fn queue_name(&self, queue: &str) -> String {
        format!("{}queue:{}", self.namespace, queue)
    }

    /// The apalis-redis configuration of one queue: explicit name, idempotency TTL, and a short
    /// heartbeat: a worker registers (and starts fetching) on its first heartbeat, and a killed
    /// worker's jobs are picked up by another after six missed ones (30 s).
    pub fn redis_config(&self, queue: &str) -> apalis_redis::Config {
        apalis_redis::Config::default()
            .queue(self.queue_name(queue))
            .idempotency_ttl(Some(self.idempotency_ttl))
            .heartbeat_interval(Duration::from_secs(5))
            .missed_heartbeats(6)
            .batch_size(4)
    }

    /// The Redis key holding the task id of the unique job queued or running, if any.
    pub(crate) fn unique_key(&self, queue: &str, key: &str) -> String {
        format!("{}:{key}", self.redis_config(queue).idempotency_key_set())
    }

    pub(crate) fn storage(&self, conn: ConnectionManager, queue: &str) -> Storage {
        Storage::new(conn).with_config(self.redis_config(queue))
    }
}

/// A connection manager that connects on first use and reconnects by itself, with timeouts, so a
/// Redis that is down at start-up is an error on use, not a failed start. Needs a Tokio runtime.
pub fn connection(redis_url: &str, timeout: Duration) -> Result<ConnectionManager, QueueError> {
    let client = redis::Client::open(redis_url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2));
    Ok(ConnectionManager::new_lazy_with_config(client, config)?)
}

/// The outcome of asking for a manual sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub job_id: String,
    /// False when a manual sync was already queued or running and this is its id.
    pub created: bool,
}

/// The producer side: what the HTTP server (and the CLI) push.
#[derive(Clone)]
pub struct Queues {
    conn: ConnectionManager,
    settings: QueueSettings,
}

impl Queues {
    pub fn new(conn: ConnectionManager, settings: QueueSettings) -> Self {
        Self { conn, settings }
    }

    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    async fn bounded<T>(&self, fut: impl std::future::Future<Output = Result<T, QueueError>>) -> Result<T, QueueError> {
        let limit = self.settings.timeout * 3;
        tokio::time::timeout(limit, fut)
            .await
            .map_err(|_| QueueError::Unavailable(format!("no answer within {} ms", limit.as_millis())))?
    }

    /// Queues `job`; returns its job id. Not deduplicated: a change made while an earlier job
    /// of the same user runs must be applied by a later one, and messages are sent once per key
    /// by the message log.
    pub async fn push<J: Payload>(&self, job: J) -> Result<String, QueueError> {
        self.push_task(job, None).await
    }

    /// Queues `job` to run at `run_at` (Unix seconds); returns its job id.
    pub async fn push_at<J: Payload>(&self, job: J, run_at: u64) -> Result<String, QueueError> {
        self.push_task(job, Some(run_at)).await
    }

    async fn push_task<J: Payload>(&self, job: J, run_at: Option<u64>) -> Result<String, QueueError> {
        let value = serde_json::to_value(&job).map_err(|e| QueueError::Encode(e.to_string()))?;
        self.bounded(async {
            let mut storage = self.settings.storage(self.conn.clone(), J::QUEUE);
            let id = ulid::Ulid::generate().to_string();
            let mut task = TaskBuilder::new(value).task_id(TaskId::from_string(id.clone()));
            if let Some(at) = run_at {
                task = task.run_at_timestamp(at);
            }
            storage.push_task(task.build()).await.map_err(|e| QueueError::Push(e.to_string()))?;
            Ok(id)
        })
        .await
    }

    /// Queues a job of a unique queue unless one is queued or running; either way returns its
    /// job id. A queue without a unique key is pushed as usual.
    pub async fn push_unique<J: Payload + Clone>(&self, job: J) -> Result<Enqueued, QueueError> {
        let Some(unique) = J::UNIQUE else {
            return Ok(Enqueued { job_id: self.push(job).await?, created: true });
        };
        let value = serde_json::to_value(&job).map_err(|e| QueueError::Encode(e.to_string()))?;
        // After Redis came back, the shared connection's first command fails on the dead socket
        // and reconnects; one more try then succeeds. Pushing a unique job twice is harmless:
        // the second push finds the first one's key.
        match self.push_unique_once::<J>(&value, unique).await {
            Err(QueueError::Encode(e)) => Err(QueueError::Encode(e)),
            Err(e) => {
                tracing::debug!(error = %e, "unique push failed; trying once more");
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.push_unique_once::<J>(&value, unique).await
            }
            ok => ok,
        }
    }

    async fn push_unique_once<J: Payload>(
        &self,
        value: &serde_json::Value,
        unique: &str,
    ) -> Result<Enqueued, QueueError> {
        self.bounded(async {
            let key = self.settings.unique_key(J::QUEUE, unique);
            let mut storage = self.settings.storage(self.conn.clone(), J::QUEUE);
            // The key can vanish between our push being refused and our read (the job just
            // ended); then a new job is due, so try again.
            for _ in 0..3 {
                let id = ulid::Ulid::generate().to_string();
                let task = TaskBuilder::new(value.clone())
                    .task_id(TaskId::from_string(id.clone()))
                    .idempotency_key(unique)
                    .build();
                storage.push_task(task).await.map_err(|e| QueueError::Push(e.to_string()))?;
                let mut conn = self.conn.clone();
                let holder: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
                match holder {
                    Some(h) => return Ok(Enqueued { created: h == id, job_id: h }),
                    None => continue,
                }
            }
            Err(QueueError::Push("the unique job's key kept changing; try again".into()))
        })
        .await
    }

    /// Queues a manual sync unless one is queued or running; either way returns its job id.
    pub async fn enqueue_manual_sync(&self, job: ManualSync) -> Result<Enqueued, QueueError> {
        self.push_unique(job).await
    }

    /// The unique job of `J`'s queue queued or running, if any.
    pub async fn unique_pending<J: Payload>(&self) -> Result<Option<String>, QueueError> {
        let Some(unique) = J::UNIQUE else { return Ok(None) };
        self.bounded(async {
            let mut conn = self.conn.clone();
            Ok(redis::cmd("GET").arg(self.settings.unique_key(J::QUEUE, unique)).query_async(&mut conn).await?)
        })
        .await
    }

    /// The manual sync queued or running, if any.
    pub async fn manual_sync_pending(&self) -> Result<Option<String>, QueueError> {
        self.unique_pending::<ManualSync>().await
    }

    /// The queues none of whose consumers named `prefix…` sent a heartbeat within `within`
    /// (each queue's apalis-redis workers set; every worker consumes every queue): empty when
    /// the worker is whole, a queue's name while its consumer is down.
    pub async fn silent_queues(&self, prefix: &str, within: Duration) -> Result<Vec<&'static str>, QueueError> {
        self.bounded(async {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let since = now.saturating_sub(within.as_secs());
            let mut conn = self.conn.clone();
            let mut pipe = redis::pipe();
            for q in QUEUES {
                pipe.cmd("ZRANGEBYSCORE").arg(self.settings.redis_config(q).workers_set()).arg(since).arg("+inf");
            }
            let names: Vec<Vec<String>> = pipe.query_async(&mut conn).await?;
            Ok(QUEUES
                .iter()
                .zip(names)
                .filter(|(_, alive)| !alive.iter().any(|n| n.starts_with(prefix)))
                .map(|(q, _)| *q)
                .collect())
        })
        .await
    }

    /// Jobs in each Redis queue (its short name) by state: pending (waiting to be fetched),
    /// running (held by a worker), scheduled (waiting for their time: retries, quiet hours) and
    /// dead (out of retries). One pipelined round trip.
    pub async fn counts(&self) -> Result<Vec<(&'static str, QueueCounts)>, QueueError> {
        self.bounded(async {
            let mut conn = self.conn.clone();
            let mut pipe = redis::pipe();
            for q in QUEUES {
                let c = self.settings.redis_config(q);
                pipe.cmd("LLEN").arg(c.active_jobs_list());
                pipe.cmd("ZCARD").arg(c.scheduled_jobs_set());
                pipe.cmd("SCARD").arg(c.dead_jobs_set());
                pipe.cmd("ZRANGE").arg(c.workers_set()).arg(0).arg(-1);
            }
            type Row = (i64, i64, i64, Vec<String>);
            let rows: Vec<Row> = pipe.query_async(&mut conn).await?;
            // Running: what each registered worker holds (its own in-flight set).
            let mut running = redis::pipe();
            for (q, (_, _, _, workers)) in QUEUES.iter().zip(&rows) {
                let inflight = self.settings.redis_config(q).inflight_jobs_set();
                for w in workers {
                    running.cmd("SCARD").arg(format!("{inflight}:{w}"));
                }
            }
            let held: Vec<i64> = running.query_async(&mut conn).await?;
            let mut held = held.into_iter();
            Ok(QUEUES
                .iter()
                .zip(rows)
                .map(|(q, (pending, scheduled, dead, workers))| {
                    let running = held.by_ref().take(workers.len()).sum();
                    (*q, QueueCounts { pending, running, scheduled, dead })
                })
                .collect())
        })
        .await
    }
}

/// Releases a unique job's key if it still names `job_id` (compare-and-delete: never a plain
/// DEL, which could drop a newer job's key).
pub(crate) async fn release_unique(
    conn: &mut ConnectionManager,
    settings: &QueueSettings,
    queue: &str,
    unique: &str,
    job_id: &str,
) -> Result<bool, QueueError> {
    let script = redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
    );
    let n: i64 = script.key(settings.unique_key(queue, unique)).arg(job_id).invoke_async(conn).await?;
    Ok(n == 1)
}

/// Claims one fire time of a scheduled job for this process: with several worker processes each
/// cron tick fires in every one of them, and only the first claim runs.
pub(crate) async fn claim_tick(
    conn: &mut ConnectionManager,
    settings: &QueueSettings,
    job: &str,
    tick: u64,
    keep: Duration,
) -> Result<bool, QueueError> {
    let key = format!("{}cron:{job}:{tick}", settings.namespace);
    let set: Option<String> =
        redis::cmd("SET").arg(&key).arg("1").arg("NX").arg("EX").arg(keep.as_secs().max(1)).query_async(conn).await?;
    Ok(set.is_some())
}
