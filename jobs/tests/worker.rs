//! The apalis wiring against the real Redis: manual-sync de-duplication, bounded retries with the
//! job filed as dead at the end, panics caught, router retries consumed, once-per-tick claims.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hotspot_jobs::{
    BoxError, Done, JobFuture, ManualSync, QueueSettings, Queued, Queues, Reconcile, RetryRule, RouterRetry, Rule,
    Schedule, Scheduled, Worker, WorkerConfig,
};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    Succeed,
    Fail,
    Panic,
}

struct Recorder {
    behaviour: Behaviour,
    manual: AtomicUsize,
    retries: AtomicUsize,
    reconciled: std::sync::Mutex<Vec<String>>,
    ticks: AtomicUsize,
    last_job: std::sync::Mutex<Option<String>>,
    /// Holds manual syncs this long (to observe "running").
    hold: Duration,
}

impl Recorder {
    fn new(behaviour: Behaviour, hold: Duration) -> Arc<Self> {
        Arc::new(Self {
            behaviour,
            manual: AtomicUsize::new(0),
            retries: AtomicUsize::new(0),
            reconciled: std::sync::Mutex::new(Vec::new()),
            ticks: AtomicUsize::new(0),
            last_job: std::sync::Mutex::new(None),
            hold,
        })
    }
}

struct Shared(Arc<Recorder>);

impl Queued<Shared> for ManualSync {
    const RULE: Rule = Rule::Sync;

    fn run(self, ctx: &Shared, job_id: String) -> JobFuture {
        let r = ctx.0.clone();
        Box::pin(async move {
            r.manual.fetch_add(1, Ordering::SeqCst);
            *r.last_job.lock().unwrap() = Some(job_id);
            tokio::time::sleep(r.hold).await;
            match r.behaviour {
                Behaviour::Succeed => Ok(Done::new("synced")),
                Behaviour::Fail => Err::<Done, BoxError>("router unreachable".into()),
                Behaviour::Panic => panic!("bug in the handler"),
            }
        })
    }
}

impl Queued<Shared> for Reconcile {
    const RULE: Rule = Rule::Delivery;

    fn run(self, ctx: &Shared, _job_id: String) -> JobFuture {
        let r = ctx.0.clone();
        Box::pin(async move {
            r.reconciled.lock().unwrap().push(self.user_id.clone());
            Ok(Done::new(self.reason))
        })
    }
}

impl Queued<Shared> for RouterRetry {
    const RULE: Rule = Rule::Delivery;

    fn run(self, ctx: &Shared, _job_id: String) -> JobFuture {
        let r = ctx.0.clone();
        Box::pin(async move {
            let n = r.retries.fetch_add(1, Ordering::SeqCst);
            // Fails once, then succeeds: the retry must come.
            if n == 0 { Err("router down".into()) } else { Ok(Done::new(self.reason)) }
        })
    }
}

/// A scheduled job that counts its runs (every second; claimed once per tick).
struct Ticker;

impl Scheduled<Shared> for Ticker {
    const NAME: &'static str = "ticker";

    fn schedule(_ctx: &Shared) -> Schedule {
        Schedule::every(Duration::from_secs(1))
    }

    fn run(ctx: &Shared, _tick: u64) -> JobFuture {
        let r = ctx.0.clone();
        Box::pin(async move {
            r.ticks.fetch_add(1, Ordering::SeqCst);
            Ok(Done::new("tick"))
        })
    }
}

fn settings(ns: &str) -> QueueSettings {
    QueueSettings {
        namespace: ns.to_owned(),
        poll_interval: Duration::from_millis(100),
        idempotency_ttl: Duration::from_secs(120),
        timeout: Duration::from_secs(2),
    }
}

fn rule(retries: usize) -> RetryRule {
    RetryRule {
        retries,
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        timeout: Duration::from_secs(10),
    }
}

fn config(ns: &str) -> WorkerConfig {
    WorkerConfig {
        name: format!("test-{}", ulid::Ulid::generate()),
        queues: settings(ns),
        timezone: chrono_tz::Asia::Makassar,
        sync: rule(2),
        maintenance: rule(1),
        delivery: rule(3),
        shutdown_timeout: Duration::from_secs(2),
        keep_finished: Duration::from_secs(3_600),
    }
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), hotspot_jobs::WorkerError>>,
    ns: String,
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.handle).await;
        cleanup(&self.ns);
    }
}

fn cleanup(ns: &str) {
    if let Ok(client) = redis::Client::open(redis_url())
        && let Ok(mut c) = client.get_connection()
    {
        let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{ns}*")).query(&mut c).unwrap_or_default();
        for k in keys {
            let _: Result<(), _> = redis::cmd("DEL").arg(k).query(&mut c);
        }
    }
}

fn worker(ns: &str, recorder: Arc<Recorder>) -> Worker<Shared> {
    let conn = hotspot_jobs::queue::connection(&redis_url(), Duration::from_secs(2)).unwrap();
    Worker::new(config(ns), conn, Shared(recorder))
        .queued::<ManualSync>()
        .queued::<RouterRetry>()
        .queued::<Reconcile>()
        .scheduled::<Ticker>()
}

fn start(ns: &str, recorder: Arc<Recorder>) -> Running {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(worker(ns, recorder).run(async {
        let _ = rx.await;
    }));
    Running { stop: tx, handle, ns: ns.to_owned() }
}

fn queues(ns: &str) -> Queues {
    Queues::new(hotspot_jobs::queue::connection(&redis_url(), Duration::from_secs(2)).unwrap(), settings(ns))
}

async fn wait_until(what: &str, limit: Duration, mut f: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ns() -> String {
    format!("jobtest:{}:", ulid::Ulid::generate())
}

fn job() -> ManualSync {
    ManualSync { requested_by: None, request_id: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_manual_sync_while_one_is_queued_or_running_is_the_same_job() {
    let ns = ns();
    let q = queues(&ns);
    // Queued (no worker yet): the same job comes back.
    let first = q.enqueue_manual_sync(job()).await.unwrap();
    assert!(first.created);
    let again = q.enqueue_manual_sync(job()).await.unwrap();
    assert_eq!(again, hotspot_jobs::Enqueued { job_id: first.job_id.clone(), created: false });

    // Running: still the same job.
    let rec = Recorder::new(Behaviour::Succeed, Duration::from_millis(1_500));
    let w = start(&ns, rec.clone());
    wait_until("the job to start", Duration::from_secs(20), async || rec.manual.load(Ordering::SeqCst) == 1).await;
    assert_eq!(rec.last_job.lock().unwrap().as_deref(), Some(first.job_id.as_str()), "the handler got the job id");
    assert_eq!(q.enqueue_manual_sync(job()).await.unwrap().job_id, first.job_id);

    // Finished: the key is released and a new request is a new job, which runs too.
    wait_until("the key release", Duration::from_secs(10), async || q.manual_sync_pending().await.unwrap().is_none())
        .await;
    let next = q.enqueue_manual_sync(job()).await.unwrap();
    assert!(next.created);
    assert_ne!(next.job_id, first.job_id);
    wait_until("the second job", Duration::from_secs(10), async || rec.manual.load(Ordering::SeqCst) == 2).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_is_retried_with_backoff_then_given_up_and_released() {
    let ns = ns();
    let q = queues(&ns);
    let rec = Recorder::new(Behaviour::Fail, Duration::ZERO);
    let w = start(&ns, rec.clone());
    let first = q.enqueue_manual_sync(job()).await.unwrap();
    wait_until("the give-up", Duration::from_secs(20), async || q.manual_sync_pending().await.unwrap().is_none()).await;
    // 1 attempt + 2 retries (the sync rule), never more: apalis-redis would otherwise reschedule.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(rec.manual.load(Ordering::SeqCst), 3);
    let mut conn = hotspot_jobs::queue::connection(&redis_url(), Duration::from_secs(2)).unwrap();
    let dead: bool = redis::cmd("SISMEMBER")
        .arg(format!("{ns}queue:manual-sync:dead"))
        .arg(&first.job_id)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(dead, "the job is filed as dead after its last attempt");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_job_is_caught_not_retried_and_the_worker_goes_on() {
    let ns = ns();
    let q = queues(&ns);
    let rec = Recorder::new(Behaviour::Panic, Duration::ZERO);
    let w = start(&ns, rec.clone());
    q.enqueue_manual_sync(job()).await.unwrap();
    wait_until("the panic", Duration::from_secs(20), async || q.manual_sync_pending().await.unwrap().is_none()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rec.manual.load(Ordering::SeqCst), 1, "a panic is a bug: no retry");
    // The worker survived and takes the next job.
    q.enqueue_manual_sync(job()).await.unwrap();
    wait_until("the next job", Duration::from_secs(10), async || rec.manual.load(Ordering::SeqCst) == 2).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_retries_are_consumed_and_retried() {
    let ns = ns();
    let q = queues(&ns);
    let rec = Recorder::new(Behaviour::Succeed, Duration::ZERO);
    let w = start(&ns, rec.clone());
    let job =
        RouterRetry { forget_macs: vec!["02:00:00:00:00:01".into()], forget_ips: vec![], reason: "logout".into() };
    q.push(job).await.unwrap();
    wait_until("the retry to succeed", Duration::from_secs(20), async || rec.retries.load(Ordering::SeqCst) == 2).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciles_are_never_merged() {
    let ns = ns();
    let q = queues(&ns);
    let rec = Recorder::new(Behaviour::Succeed, Duration::ZERO);
    let w = start(&ns, rec.clone());
    // Two changes of one user: both run (the second may carry a change the first did not see).
    for reason in ["block", "quota"] {
        q.push(Reconcile { user_id: "u1".into(), reason: reason.into() }).await.unwrap();
    }
    wait_until("both reconciles", Duration::from_secs(20), async || rec.reconciled.lock().unwrap().len() == 2).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_each_tick_of_a_scheduled_job_once() {
    let ns = ns();
    let rec = Recorder::new(Behaviour::Succeed, Duration::ZERO);
    let (a, b) = (start(&ns, rec.clone()), start(&ns, rec.clone()));
    // Both processes fire every second; the claim lets one of them run each tick.
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let ticks = rec.ticks.load(Ordering::SeqCst);
    assert!((3..=5).contains(&ticks), "{ticks} runs in 4.5 s of 1-second ticks from two workers");
    b.stop().await;
    a.stop().await;
}

#[test]
fn a_worker_previews_its_schedules() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    let w = worker(&ns(), Recorder::new(Behaviour::Succeed, Duration::ZERO));
    let preview = w.preview(2);
    assert_eq!(preview.len(), 1);
    assert_eq!(preview[0].0, "ticker");
    assert_eq!(preview[0].1.len(), 2);
}
