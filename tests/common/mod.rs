//! Test harness: every test gets its own Postgres database (cloned from a migrated template) and
//! its own Redis key namespace, and the app listens on port 0.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use hotspot::app::App;
use hotspot::config::{Settings, Source};
use hotspot::shutdown::{Shutdown, ShutdownTrigger};

/// Server URL without a database; override with HOTSPOT_TEST_PG_URL.
pub fn pg_server_url() -> String {
    std::env::var("HOTSPOT_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn redis_url() -> String {
    std::env::var("HOTSPOT_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

fn admin_conn() -> PgConnection {
    PgConnection::establish(&format!("{}/postgres", pg_server_url())).expect("test Postgres must be reachable")
}

/// FNV-1a over the migration files: a changed migration gets a fresh template.
fn migrations_fingerprint() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    let mut h: u64 = 0xcbf29ce484222325;
    for path in entries {
        for b in path.to_string_lossy().bytes().chain(std::fs::read(&path).unwrap_or_default()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
        }
    }
    out
}

/// Creates (once per migrations fingerprint, across processes) the migrated template database.
pub fn template_db() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    static GUARD: Mutex<()> = Mutex::new(());
    TEMPLATE.get_or_init(|| {
        let _g = GUARD.lock().unwrap_or_else(|e| e.into_inner());
        let name = format!("hotspot_tpl_{}", migrations_fingerprint());
        let mut admin = admin_conn();
        // Test binaries may run in parallel processes (nextest): serialize template creation.
        admin.batch_execute("SELECT pg_advisory_lock(727001)").expect("advisory lock");
        let exists = db_exists(&mut admin, &name);
        if !exists {
            let building = format!("{name}_building");
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)")).expect("drop stale");
            admin.batch_execute(&format!("CREATE DATABASE \"{building}\"")).expect("create template");
            {
                let mut conn =
                    PgConnection::establish(&format!("{}/{building}", pg_server_url())).expect("connect template");
                hotspot::db::migrate(&mut conn).expect("migrate template");
            }
            admin
                .batch_execute(&format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\""))
                .expect("rename template");
        }
        admin.batch_execute("SELECT pg_advisory_unlock(727001)").expect("advisory unlock");
        name
    })
}

fn db_exists(conn: &mut PgConnection, name: &str) -> bool {
    #[derive(QueryableByName)]
    struct E {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        e: bool,
    }
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS e")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<E>(conn)
        .map(|r| r.e)
        .unwrap_or(false)
}

/// A database of its own for one test, dropped (forcefully) when the value is dropped.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn create() -> Self {
        let template = template_db();
        let name = format!("hotspot_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_conn();
        let mut tries = 0;
        loop {
            match admin.batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")) {
                Ok(()) => break,
                // Another session is cloning the same template at this instant.
                Err(e) if e.to_string().contains("being accessed by other users") && tries < 50 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("cannot clone the template database: {e}"),
            }
        }
        let url = format!("{}/{name}", pg_server_url());
        Self { name, url }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect test db")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let mut admin = admin_conn();
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
    }
}

/// Deletes every key of a test namespace.
pub fn clear_redis_prefix(prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url()) else {
        return;
    };
    let Ok(mut conn) = client.get_connection() else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query(&mut conn).unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut conn);
    }
}

/// The settings a test app runs with; `overrides` replace or add variables.
pub fn test_vars(db: &TestDb, prefix: &str, overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = [
        ("HOTSPOT_ENV", "test"),
        ("HOTSPOT_HTTP_WORKERS", "1"),
        ("HOTSPOT_DB_POOL_SIZE", "4"),
        ("HOTSPOT_SHUTDOWN_TIMEOUT_SECS", "1"),
        // The test client talks from 127.0.0.1, the hotspot's egress; the simulated phones sit in
        // 10.5.0.0/16. Redirect mode unless a test asks for router-login.
        ("HOTSPOT_EGRESS_ADDRESSES", "127.0.0.1/32"),
        ("HOTSPOT_CLIENT_CIDRS", "10.5.0.0/16"),
        ("HOTSPOT_BINDING_MODE", "redirect"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    // Quiet by default (tests provoke failures on purpose); HOTSPOT_TEST_LOG=debug to see them.
    vars.insert("HOTSPOT_LOG".into(), std::env::var("HOTSPOT_TEST_LOG").unwrap_or_else(|_| "off".into()));
    vars.insert("DATABASE_URL".into(), db.url.clone());
    vars.insert("REDIS_URL".into(), redis_url());
    vars.insert("HOTSPOT_REDIS_PREFIX".into(), prefix.to_owned());
    // Each test's archives in a folder of its own, outside the repository.
    let backups = std::env::temp_dir().join(format!("hotspot-test-backups-{}", db.name));
    vars.insert("HOTSPOT_BACKUP_DIR".into(), backups.to_string_lossy().into_owned());
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    vars
}

/// The server key the billing tests' Midtrans simulator and server share.
pub const MIDTRANS_KEY: &str = "SB-Mid-server-test-key";

pub struct TestApp {
    pub base: String,
    /// The simulated WhatsApp gateway, when started with one.
    pub whatsapp: Option<hotspot::sim::whatsapp::WhatsAppSim>,
    /// The simulated router, when the app was started with one.
    pub router: Option<hotspot::sim::router::SimRouter>,
    /// The simulated Midtrans, when started with one.
    pub midtrans: Option<hotspot::sim::midtrans::MidtransSim>,
    pub client: reqwest::Client,
    /// The backend as the assembler built it (pools, clients, rooms).
    pub backend: App,
    pub redis_prefix: String,
    trigger: ShutdownTrigger,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Dropped last: the server must stop before its database goes.
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// With a RouterOS simulator of its own, configured as the managed router.
    pub async fn spawn_with_router(overrides: &[(&str, &str)]) -> Self {
        let sim = hotspot::sim::router::SimRouter::start("127.0.0.1:0".parse().expect("addr"), Default::default())
            .await
            .expect("start router simulator");
        let addr = sim.addr().to_string();
        let mut all: Vec<(&str, &str)> = vec![
            ("HOTSPOT_ROUTER_ADDR", &addr),
            ("HOTSPOT_ROUTER_PASSWORD", "sim-password"),
            ("HOTSPOT_ROUTER_CONNECT_TIMEOUT_MS", "1000"),
            ("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", "1000"),
        ];
        all.extend_from_slice(overrides);
        let mut app = Self::spawn_with(&all).await;
        app.router = Some(sim);
        app
    }

    /// Router and WhatsApp gateway simulators, both configured: the whole captive flow.
    pub async fn spawn_captive(overrides: &[(&str, &str)]) -> Self {
        let wa = hotspot::sim::whatsapp::WhatsAppSim::start("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("start gateway sim");
        let base = wa.base_url();
        let mut all: Vec<(&str, &str)> =
            vec![("HOTSPOT_WA_BASE_URL", &base), ("HOTSPOT_WA_TIMEOUT_MS", "1000"), ("HOTSPOT_WA_RETRIES", "1")];
        all.extend_from_slice(overrides);
        let mut app = Self::spawn_with_router(&all).await;
        app.whatsapp = Some(wa);
        app
    }

    /// The whole captive flow plus a Midtrans simulator configured as the payment provider,
    /// notifying this server.
    pub async fn spawn_billing(overrides: &[(&str, &str)]) -> Self {
        let mt = hotspot::sim::midtrans::MidtransSim::start("127.0.0.1:0".parse().expect("addr"), MIDTRANS_KEY, None)
            .await
            .expect("start midtrans sim");
        let base = mt.base_url();
        let mut all: Vec<(&str, &str)> = vec![
            ("HOTSPOT_MIDTRANS_SERVER_KEY", MIDTRANS_KEY),
            ("HOTSPOT_MIDTRANS_BASE_URL", &base),
            ("HOTSPOT_MIDTRANS_SNAP_URL", &base),
            ("HOTSPOT_MIDTRANS_TIMEOUT_MS", "1000"),
        ];
        all.extend_from_slice(overrides);
        let mut app = Self::spawn_captive(&all).await;
        mt.set_notify_url(Some(app.url("/api/transactions/notification")));
        app.midtrans = Some(mt);
        app
    }

    pub fn mt(&self) -> &hotspot::sim::midtrans::MidtransSim {
        self.midtrans.as_ref().expect("app started with spawn_billing")
    }

    pub fn wa(&self) -> &hotspot::sim::whatsapp::WhatsAppSim {
        self.whatsapp.as_ref().expect("app started with spawn_captive")
    }

    /// An approved, active user with quota.
    pub async fn user(&self, phone: &str, name: &str, quota_gib: i64) -> hotspot::db::models::User {
        self.user_with(phone, name, quota_gib, |_| {}).await
    }

    pub async fn user_with(
        &self,
        phone: &str,
        name: &str,
        quota_gib: i64,
        tweak: impl FnOnce(&mut hotspot::accounts::CreateUser) + Send + 'static,
    ) -> hotspot::db::models::User {
        let mut input = hotspot::accounts::CreateUser {
            phone: hotspot::domain::Msisdn::parse(phone).expect("phone"),
            full_name: name.into(),
            role: hotspot::domain::Role::User,
            approval: hotspot::domain::ApprovalStatus::Approved,
            password: None,
            quota_bytes: quota_gib * hotspot::domain::GIB,
            expires_at: None,
            unlimited: false,
            created_by: None,
            origin: "test",
            profile: Default::default(),
        };
        tweak(&mut input);
        self.backend
            .db
            .run(move |conn| Ok(hotspot::accounts::create::create_user(conn, input)))
            .await
            .expect("db")
            .expect("create user")
    }

    /// Marks a user's phone as proven by a code (what verify-otp does for a registration).
    pub async fn prove_phone(&self, id: uuid::Uuid) {
        self.backend
            .db
            .run(move |conn| hotspot::accounts::create::mark_phone_proven(conn, id))
            .await
            .expect("prove phone");
    }

    /// A client that talks from 127.0.0.2: the internet, as far as the hotspot is concerned.
    pub fn internet(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", reqwest::header::HeaderValue::from_static("http://localhost:3000"));
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("internet client")
    }

    /// Puts a device on the simulated hotspot.
    pub fn device(&self, mac: &str, ip: &str) {
        let m = hotspot::domain::MacAddress::parse(mac).expect("mac");
        let a: std::net::Ipv4Addr = ip.parse().expect("ip");
        self.sim().with_state(|s| s.add_host(m, a));
    }

    /// A device on the hotspot (`device`) already registered to `user`, as a sign-in leaves it.
    pub async fn owned_device(&self, user: uuid::Uuid, mac: &str, ip: &str) {
        self.device(mac, ip);
        let m = hotspot::domain::MacAddress::parse(mac).expect("mac");
        let i = hotspot::domain::ClientIp::parse(ip).expect("ip");
        self.backend
            .db
            .run(move |c| hotspot::captive::register_device(c, user, &m, &i, vec![]))
            .await
            .expect("register");
    }

    /// A browser: its own cookie jar, the trusted Origin on every request.
    pub fn browser(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", reqwest::header::HeaderValue::from_static("http://localhost:3000"));
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("browser")
    }

    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = client.post(self.url(path)).json(&body).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// request-otp then read the code from the simulated gateway's outbox.
    pub async fn code_for(&self, client: &reqwest::Client, phone: &str) -> String {
        let (status, body) =
            self.post(client, "/api/auth/request-otp", serde_json::json!({ "phone_number": phone })).await;
        assert_eq!(status, 200, "request-otp: {body}");
        self.wa().last_code(phone).expect("a code in the outbox")
    }

    pub fn sim(&self) -> &hotspot::sim::router::SimRouter {
        self.router.as_ref().expect("app started with spawn_with_router")
    }

    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        hotspot::ensure_crypto_provider();
        let db = tokio::task::spawn_blocking(TestDb::create).await.expect("create db");
        let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
        let vars = test_vars(&db, &prefix, overrides);
        let settings = Settings::from_source(&Source::new(&vars)).expect("test settings");
        hotspot::telemetry::init(&settings.log_filter, settings.log_format);
        let backend = App::connect(settings).expect("backend");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (trigger, shutdown) = Shutdown::new();
        let server = tokio::spawn(hotspot::app::run_http(backend.clone(), listener, shutdown));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
        Self {
            base,
            router: None,
            whatsapp: None,
            midtrans: None,
            client,
            backend,
            redis_prefix: prefix,
            trigger,
            server: Some(server),
            db,
        }
    }

    /// Another server process over this app's database and Redis namespace (its own pools,
    /// caches and runtime settings); its base URL. It runs until the test ends.
    pub async fn second_server(&self) -> String {
        let vars = test_vars(&self.db, &self.redis_prefix, &[]);
        let settings = Settings::from_source(&Source::new(&vars)).expect("test settings");
        let backend = App::connect(settings).expect("backend");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (trigger, shutdown) = Shutdown::new();
        tokio::spawn(hotspot::app::run_http(backend, listener, shutdown));
        // Kept for the test's lifetime: dropping the trigger would not stop the server anyway.
        std::mem::forget(trigger);
        let c = reqwest::Client::new();
        for _ in 0..100 {
            if c.get(format!("{base}/api/health")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        base
    }

    /// Starts a worker (scheduled jobs and queue consumers) over this app's backend; it stops
    /// when the returned trigger fires or the app is dropped.
    pub fn start_worker(&self) -> (ShutdownTrigger, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let (trigger, shutdown) = Shutdown::new();
        let handle = tokio::spawn(hotspot::app::run_worker(self.backend.clone(), shutdown));
        (trigger, handle)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn stop(mut self) {
        self.trigger.trigger();
        if let Some(h) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), h).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.trigger.trigger();
        if let Some(h) = self.server.take() {
            h.abort();
        }
        clear_redis_prefix(&self.redis_prefix);
    }
}

/// A TCP port that accepts connections and never answers: a hung dependency.
pub fn black_hole() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind black hole");
    let addr = listener.local_addr().expect("addr").to_string();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(64) {
            match stream {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
    });
    (addr, handle)
}

/// A port nothing listens on: a dependency that is down.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A TCP relay in front of a real server, for a dependency that drops its connections or goes
/// away and comes back.
pub struct Relay {
    pub addr: std::net::SocketAddr,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
    /// Connections being relayed now (a cut waits until they are closed).
    live: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Relay {
    pub async fn start(target: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().expect("relay addr");
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let live = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (flag, cuts, count) = (up.clone(), cut.clone(), live.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                // Down: connections are accepted and closed at once, as a restarting server does.
                if !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let mut severed = cuts.subscribe();
                let count = count.clone();
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = severed.changed() => {}
                        }
                    }
                    // Both sockets close here, before the count says so.
                    drop(client);
                    count.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
        });
        Relay { addr, up, cut, live }
    }

    /// Closes every relayed connection; with `up == false` new ones are refused until `set_up`.
    /// Closes every relayed connection (and, with `up` false, refuses new ones); returns once
    /// they are closed, so what the test does next meets the cut.
    pub async fn sever(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.live.load(std::sync::atomic::Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub fn set_up(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The password of the accounts `staff` makes.
pub const STAFF_PASSWORD: &str = "a-long-admin-password";

/// An admin account of `role`, signed in from a browser (cookies, the trusted Origin).
pub async fn staff(app: &TestApp, phone: &str, role: hotspot::domain::Role) -> (uuid::Uuid, reqwest::Client) {
    let u = app
        .user_with(phone, "Staff", 0, move |u| {
            u.role = role;
            u.password = Some(STAFF_PASSWORD.into());
        })
        .await;
    let b = app.browser();
    let (status, body) = app
        .post(&b, "/api/auth/admin/login", serde_json::json!({ "username": phone, "password": STAFF_PASSWORD }))
        .await;
    assert_eq!(status, 200, "admin login: {body}");
    (u.id, b)
}

/// How many audit entries of this action there are.
pub async fn audit_count(app: &TestApp, action: &'static str) -> i64 {
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::audit_log;
            Ok(audit_log::table.filter(audit_log::action.eq(action)).count().get_result(c)?)
        })
        .await
        .unwrap()
}

/// One request; its status and JSON body (`Null` when the body is not JSON).
pub async fn call(
    app: &TestApp,
    c: &reqwest::Client,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = c.request(m, app.url(path));
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let res = rb.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A Redis server of the test's own (a real `redis-server` on a free port, nothing saved), to
/// stop and start again under a running app.
pub struct OwnRedis {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    pub fn start() -> Self {
        let mut r = OwnRedis { port: closed_port(), child: None };
        r.up();
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on its port and waits until it answers.
    pub fn up(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/services.sh installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on {}", self.port);
    }

    /// Kills it: every connection breaks at once.
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.down();
    }
}
