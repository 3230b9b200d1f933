//! The `hotspot` binary: user management, clear one-line errors, SIGTERM shutdown, the demo.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestDb, closed_port, redis_url};

fn hotspot(db: &TestDb) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hotspot"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", redis_url())
        .env("HOTSPOT_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .current_dir(std::env::temp_dir());
    c
}

fn run(mut c: Command, stdin: Option<&str>) -> (i32, String, String) {
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn user_add_and_list() {
    let db = TestDb::create();
    let mut add = hotspot(&db);
    add.args([
        "user",
        "add",
        "--phone",
        "0812-3456-7890",
        "--name",
        "Budi Santoso",
        "--quota-gib",
        "10",
        "--expires",
        "2030-01-31",
    ]);
    let (code, out, err) = run(add, None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("+6281234567890"), "{out}");

    let mut admin = hotspot(&db);
    admin.args(["user", "add", "--phone", "+6281200000009", "--name", "Admin", "--role", "admin", "--password-stdin"]);
    let (code, _, err) = run(admin, Some("a-long-admin-password\n"));
    assert_eq!(code, 0, "{err}");

    let mut list = hotspot(&db);
    list.args(["user", "list"]);
    let (code, out, _) = run(list, None);
    assert_eq!(code, 0);
    assert!(out.contains("Budi Santoso") && out.contains("10.00") && out.contains("ADMIN"), "{out}");

    // The grant went to the ledger, in bytes.
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        s: i64,
    }
    let s: S = diesel::sql_query("SELECT COALESCE(SUM(delta_bytes), 0)::bigint AS s FROM quota_ledger")
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(s.s, 10 * 1024 * 1024 * 1024);
}

#[test]
fn operator_lifecycle_from_the_command_line_is_audited() {
    use diesel::prelude::*;
    let db = TestDb::create();
    let mut add = hotspot(&db);
    add.args(["user", "add", "--phone", "081234567011", "--name", "Ani"]);
    assert_eq!(run(add, None).0, 0);
    // A waiting registration, as the captive page leaves it.
    diesel::sql_query("UPDATE users SET approval_status = 'PENDING_APPROVAL', approved_at = NULL")
        .execute(&mut db.conn())
        .unwrap();
    let step = |args: &[&str]| {
        let mut c = hotspot(&db);
        c.arg("user").args(args);
        run(c, None)
    };
    let (code, out, err) = step(&["approve", "+6281234567011"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("approve: done") && out.contains("status:     inactive -> habis"), "{out}");
    let (code, out, err) = step(&["grant", "0812-3456-7011", "--gib", "2", "--reason", "counter sale", "--key", "r1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("habis -> active") && out.contains("2.00 GiB purchased"), "{out}");
    let (_, out, _) = step(&["grant", "081234567011", "--gib", "2", "--reason", "counter sale", "--key", "r1"]);
    assert!(out.contains("already done with this key"), "{out}");
    let (code, out, _) = step(&["block", "081234567011", "--reason", "abuse"]);
    assert_eq!(code, 0);
    assert!(out.contains("active -> blocked"), "{out}");
    let (code, _, err) = step(&["reject", "081234567011", "--reason", "x"]);
    assert_eq!(code, 1, "rejecting an approved user is refused");
    assert!(err.contains("waiting registration"), "{err}");
    let (code, _, err) = step(&["show", "089999999999"]);
    assert_ne!(code, 0);
    assert!(!err.is_empty());

    #[derive(QueryableByName)]
    struct A {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        actor: String,
    }
    let rows: Vec<A> =
        diesel::sql_query("SELECT action, actor FROM audit_log ORDER BY id").load(&mut db.conn()).unwrap();
    let got: Vec<(&str, &str)> = rows.iter().map(|r| (r.action.as_str(), r.actor.as_str())).collect();
    assert_eq!(got, [("user.approve", "cli"), ("user.quota", "cli"), ("user.block", "cli")]);
}

#[test]
fn user_add_errors_are_one_clear_line() {
    let db = TestDb::create();
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (&["user", "add", "--phone", "12", "--name", "X"], None, "--phone"),
        (&["user", "add", "--phone", "081234567890", "--name", "X", "--role", "boss"], None, "--role"),
        (&["user", "add", "--phone", "081234567890", "--name", "X", "--role", "admin"], None, "--password-stdin"),
        (&["user", "add", "--phone", "081234567890", "--name", "X", "--expires", "31-01-2030"], None, "--expires"),
        (
            &["user", "add", "--phone", "081234567890", "--name", "X", "--role", "admin", "--password-stdin"],
            Some("short\n"),
            "password",
        ),
        (&["user", "add", "--phone", "081234567890", "--name", "   "], None, "full name"),
    ];
    for (args, stdin, needle) in cases {
        let mut c = hotspot(&db);
        c.args(*args);
        let (code, _, err) = run(c, *stdin);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
    let mut first = hotspot(&db);
    first.args(["user", "add", "--phone", "081234567890", "--name", "A"]);
    assert_eq!(run(first, None).0, 0);
    let mut again = hotspot(&db);
    again.args(["user", "add", "--phone", "+6281234567890", "--name", "B"]);
    let (code, _, err) = run(again, None);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn bad_settings_name_the_variable_and_exit_2() {
    let db = TestDb::create();
    let mut c = hotspot(&db);
    c.env("HOTSPOT_DB_POOL_SIZE", "zero").args(["migrate"]);
    let (code, _, err) = run(c, None);
    assert_eq!(code, 2);
    assert!(err.contains("HOTSPOT_DB_POOL_SIZE"), "{err}");

    let mut prod = hotspot(&db);
    prod.env("HOTSPOT_ENV", "production").args(["migrate"]);
    let (code, _, err) = run(prod, None);
    assert_eq!(code, 2);
    assert!(err.contains("HOTSPOT_JWT_SECRET"), "{err}");
}

fn wait_healthy(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
            let _ = s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") && !buf.contains("\"degraded\"") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn sigterm_and_wait(child: &mut std::process::Child, within: Duration) -> Option<std::process::ExitStatus> {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let db = TestDb::create();
    let port = closed_port();
    let mut c = hotspot(&db);
    c.env("HOTSPOT_LISTEN", format!("127.0.0.1:{port}")).arg("serve").stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    assert!(wait_healthy(port, Duration::from_secs(20)), "server did not become healthy");
    let status = sigterm_and_wait(&mut child, Duration::from_secs(10)).expect("did not stop within 10 s");
    assert!(status.success(), "{status:?}");
}

#[test]
fn demo_creates_migrates_seeds_and_serves() {
    // The demo must create its database itself: point it at a name that does not exist yet.
    let holder = TestDb::create();
    let fresh = format!("{}_demo", holder.name);
    let url = format!("{}/{fresh}", crate::common::pg_server_url());
    let port = closed_port();
    let mut c = hotspot(&holder);
    c.env("DATABASE_URL", &url)
        .env("HOTSPOT_LISTEN", format!("127.0.0.1:{port}"))
        .env("HOTSPOT_DEMO_ROUTER_LISTEN", format!("127.0.0.1:{}", closed_port()))
        .env("HOTSPOT_DEMO_ROUTER_CONTROL", format!("127.0.0.1:{}", closed_port()))
        .env("HOTSPOT_DEMO_WHATSAPP_LISTEN", format!("127.0.0.1:{}", closed_port()))
        .env("HOTSPOT_DEMO_MIDTRANS_LISTEN", format!("127.0.0.1:{}", closed_port()))
        .env("HOTSPOT_REDIS_PREFIX", format!("test:{fresh}:"))
        .arg("demo")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let healthy = wait_healthy(port, Duration::from_secs(30));
    let status = sigterm_and_wait(&mut child, Duration::from_secs(10));
    let seeded = {
        use diesel::prelude::*;
        let mut conn = PgConnection::establish(&url).expect("demo database exists");
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut count = |sql: &str| diesel::sql_query(sql).get_result::<N>(&mut conn).map(|r| r.n).unwrap_or(0);
        (count("SELECT count(*) AS n FROM users"), count("SELECT count(*) AS n FROM packages WHERE is_active"))
    };
    {
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        let mut admin = PgConnection::establish(&format!("{}/postgres", crate::common::pg_server_url())).unwrap();
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{fresh}\" WITH (FORCE)"));
    }
    assert!(healthy, "demo did not become healthy");
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    assert!(seeded.0 >= 5, "seeded {seeded:?}");
    assert!(seeded.1 >= 1, "packages on sale: {seeded:?}");
}

/// `hotspot demo` seeds known passwords: it refuses a production environment.
#[test]
fn the_demo_refuses_production() {
    let db = TestDb::create();
    let mut demo = hotspot(&db);
    demo.arg("demo")
        .env("HOTSPOT_ENV", "production")
        .env("HOTSPOT_JWT_SECRET", "j".repeat(40))
        .env("HOTSPOT_OTP_SECRET", "o".repeat(40));
    let (code, _, err) = run(demo, None);
    assert_ne!(code, 0);
    assert!(err.contains("refuses HOTSPOT_ENV=production"), "{err}");
}

/// Issue 30, item 6: the request log names the route, never the path (the Fonnte callback's
/// path carries its secret).
#[test]
fn the_request_log_names_routes_not_paths() {
    let db = TestDb::create();
    let port = closed_port();
    let dir = std::env::temp_dir().join(format!("hotspot-log-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (out, err) = (dir.join("out.log"), dir.join("err.log"));
    let mut c = hotspot(&db);
    c.env("HOTSPOT_LISTEN", format!("127.0.0.1:{port}"))
        .env("HOTSPOT_LOG", "info")
        .env("HOTSPOT_WA_FONNTE_CALLBACK_SECRET", "callback-secret-0123456789")
        .arg("serve")
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = c.spawn().unwrap();
    assert!(wait_healthy(port, Duration::from_secs(20)), "server did not become healthy");
    for secret in ["callback-secret-0123456789", "guessed-secret-abcdef"] {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::io::{Read, Write};
        let body = "{}";
        let req = format!(
            "POST /api/webhooks/fonnte/status/{secret} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        assert!(buf.starts_with("HTTP/1.1 "), "{buf}");
    }
    sigterm_and_wait(&mut child, Duration::from_secs(10)).expect("stopped");
    let logs = std::fs::read_to_string(&out).unwrap() + &std::fs::read_to_string(&err).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(logs.contains("/api/webhooks/fonnte/status/{secret}"), "the route is logged: {logs}");
    assert!(!logs.contains("callback-secret-0123456789") && !logs.contains("guessed-secret"), "{logs}");
}

/// Issue 30, item 16: a worker whose router refuses its login says so when it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_says_at_start_that_the_router_refused_its_login() {
    let sim = hotspot::sim::router::SimRouter::start("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
    let db = TestDb::create();
    let dir = std::env::temp_dir().join(format!("hotspot-worker-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (out, err) = (dir.join("out.log"), dir.join("err.log"));
    let mut c = hotspot(&db);
    c.env("HOTSPOT_LOG", "info")
        .env("HOTSPOT_REDIS_PREFIX", format!("test:{}:", uuid::Uuid::new_v4().simple()))
        .env("HOTSPOT_ROUTER_ADDR", sim.addr().to_string())
        .env("HOTSPOT_ROUTER_PASSWORD", "not-the-password")
        .arg("worker")
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = c.spawn().unwrap();
    let read =
        || std::fs::read_to_string(&out).unwrap_or_default() + &std::fs::read_to_string(&err).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !read().contains("refused the API login") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sigterm_and_wait(&mut child, Duration::from_secs(10));
    let logs = read();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(logs.contains("refused the API login") && logs.contains("HOTSPOT_ROUTER_PASSWORD"), "{logs}");
    assert!(!logs.contains("not-the-password"), "{logs}");
}

/// `hotspot router …` (issue 33): a site added with its password from standard input (never a
/// flag), listed, tested against a router simulator, disabled; audited as `cli`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_add_list_test_and_disable_from_the_command_line() {
    let db = TestDb::create();
    let sim = hotspot::sim::router::SimRouter::start(
        "127.0.0.1:0".parse().unwrap(),
        hotspot::sim::router::SimConfig { username: "api".into(), password: "kunci-rahasia".into(), seed: 3 },
    )
    .await
    .unwrap();
    let addr = sim.addr().to_string();
    let cli = |args: &[&str], stdin: Option<&str>| {
        let mut c = hotspot(&db);
        c.args(args);
        run(c, stdin)
    };
    let add = ["router", "add", "--name", "gedung-b", "--address", &addr, "--api-user", "api", "--password-stdin"];
    let (code, out, err) = tokio::task::block_in_place(|| cli(&add, Some("kunci-rahasia\n")));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("gedung-b") && !out.contains("kunci"), "{out}");
    let (code, _, err) = tokio::task::block_in_place(|| cli(&["router", "add", "--name", "x"], None));
    assert!(code != 0 && err.contains("--address"), "{err}");
    let (code, out, err) = tokio::task::block_in_place(|| cli(&["router", "test", "gedung-b"], None));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("identity MikroTik") && out.contains("RouterOS 7"), "{out}");
    // `sync --now` runs a cycle at every enabled site (here the one site, no HOTSPOT_ROUTER_ADDR).
    let (code, out, err) = tokio::task::block_in_place(|| cli(&["sync", "--now"], None));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("gedung-b: sync run") && out.contains("succeeded"), "{out}");
    let (code, out, _) = tokio::task::block_in_place(|| cli(&["router", "disable", "gedung-b"], None));
    assert!(code == 0 && out.contains("disabled"), "{out}");
    let (code, out, _) = tokio::task::block_in_place(|| cli(&["router", "list"], None));
    assert!(code == 0 && out.contains("gedung-b") && out.contains("disabled"), "{out}");
    let (_, _, err) = tokio::task::block_in_place(|| cli(&["router", "test", "nowhere"], None));
    assert!(err.contains("no site"), "{err}");
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT count(*) AS n FROM audit_log WHERE actor = 'cli' AND action IN ('site.add', 'site.disable') \
         AND details::text NOT LIKE '%kunci%'",
    )
    .get_result(&mut db.conn())
    .unwrap();
    assert_eq!(n.n, 2);
}
