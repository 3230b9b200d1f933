//! The production edge on this machine: the real nginx config (rendered like the nginx image
//! renders it, upstream names mapped to loopback) in front of `hotspot serve` and a stand-in
//! frontend; the compose file parsed by docker-compose.

use std::net::{IpAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::common::TestApp;

const NGINX: &str = "/usr/sbin/nginx";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// envsubst for our variables only (nginx's own `$vars` stay), as NGINX_ENVSUBST_FILTER does.
fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out
}

struct Nginx {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Nginx {
    /// SIGTERM to the master, which stops its workers; SIGKILL would orphan them, still
    /// listening on the port (issue 30, item 16). SIGKILL only if it does not stop in 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Writes a main nginx.conf that includes the rendered app.prod.conf (listening on `port`).
fn prepare(backend: &str, frontend: &str, port: u16) -> PathBuf {
    assert!(Path::new(NGINX).exists(), "nginx is not installed (scripts/test.sh installs the Debian package)");
    let dir = std::env::temp_dir().join(format!("hotspot-nginx-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let template = std::fs::read_to_string(repo("nginx/app.prod.conf")).unwrap();
    let vars = [
        ("APP_HOST", "localhost".to_owned()),
        ("BACKEND_UPSTREAM", backend.to_owned()),
        ("FRONTEND_UPSTREAM", frontend.to_owned()),
        // On this machine the "cloudflared" peer is 127.0.0.1; other loopback addresses are not it.
        ("CLOUDFLARED_IP", "127.0.0.1".to_owned()),
        ("EXTRA_HOST", "extra.test".to_owned()),
        ("EXTRA_UPSTREAM", format!("http://{frontend}")),
        ("DNS_RESOLVER", "127.0.0.1".to_owned()),
        // On this machine 127.0.0.1 is also the hotspot's egress.
        ("EGRESS_FILE", dir.join("egress.conf").to_string_lossy().into_owned()),
    ];
    std::fs::write(dir.join("egress.conf"), "127.0.0.1/32 1;\n").unwrap();
    let site = render(&template, &vars)
        .replace("listen 80 default_server;", &format!("listen 127.0.0.1:{port} default_server;"))
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace("/var/log/nginx/access.log", &dir.join("logs/access.log").to_string_lossy());
    assert!(!site.contains("${"), "unrendered variable left in the config");
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let main = format!(
        "worker_processes 1;\nerror_log {d}/logs/error.log warn;\npid {d}/nginx.pid;\n{user}events {{ worker_connections 256; }}\n\
         http {{\n  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;\n  \
         uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n  include {d}/site.conf;\n}}\n",
        d = dir.display(),
        user = if is_root() { "user root;\n" } else { "" },
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    dir
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn nginx_test(dir: &Path) -> (bool, String) {
    let out = Command::new(NGINX).arg("-t").arg("-p").arg(dir).arg("-c").arg(dir.join("nginx.conf")).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

async fn start_nginx(backend: &str, frontend: &str) -> Nginx {
    let port = free_port();
    let dir = prepare(backend, frontend, port);
    let (ok, log) = nginx_test(&dir);
    assert!(ok, "nginx -t: {log}");
    let child = Command::new(NGINX)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-g")
        .arg("daemon off;")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Nginx { child, dir, port }
}

async fn echo(req: HttpRequest) -> HttpResponse {
    let headers: serde_json::Map<String, Value> =
        req.headers().iter().map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or("")))).collect();
    HttpResponse::Ok().json(json!({ "frontend": true, "path": req.path(), "headers": headers }))
}

/// A stand-in for the Nuxt frontend that echoes what reached it.
fn start_frontend() -> (String, actix_web::dev::ServerHandle) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let server = HttpServer::new(|| App::new().default_service(web::to(echo)))
        .workers(1)
        .disable_signals()
        .listen(l)
        .unwrap()
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    (addr, handle)
}

fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().ok())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_routes_headers_trust_limits_and_hides_metrics() {
    let app = TestApp::spawn().await;
    let backend = app.base.trim_start_matches("http://").to_owned();
    let (frontend, fe) = start_frontend();
    let nginx = start_nginx(&backend, &frontend).await;
    let edge = format!("http://127.0.0.1:{}", nginx.port);
    let c = client_from("127.0.0.1");

    // /api/ goes to the backend, with a request id generated by nginx and echoed by both.
    let res = c.get(format!("{edge}/api/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(rid.len(), 32, "nginx's \\$request_id");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    // / and /_nuxt/ go to the frontend, with the forwarding headers.
    for path in ["/", "/captive/login", "/_nuxt/entry.js"] {
        let v: Value = c
            .get(format!("{edge}{path}"))
            .header("x-request-id", "from-client-1")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["frontend"], true, "{path}");
        assert_eq!(v["path"], path);
        let h = &v["headers"];
        assert_eq!(h["host"], "127.0.0.1");
        assert_eq!(h["x-real-ip"], "127.0.0.1");
        assert_eq!(h["x-forwarded-for"], "127.0.0.1");
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["x-request-id"], "from-client-1");
    }

    // CF-Connecting-IP counts only from the tunnel's address.
    let v: Value =
        c.get(format!("{edge}/")).header("cf-connecting-ip", "203.0.113.7").send().await.unwrap().json().await.unwrap();
    assert_eq!(v["headers"]["x-real-ip"], "203.0.113.7");
    assert_eq!(v["headers"]["cf-connecting-ip"], "203.0.113.7");
    let stranger = client_from("127.0.0.2");
    let v: Value = stranger
        .get(format!("{edge}/"))
        .header("cf-connecting-ip", "203.0.113.7")
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["headers"]["x-real-ip"], "127.0.0.2");
    assert_eq!(v["headers"]["cf-connecting-ip"], "127.0.0.2", "a forged header is replaced");
    assert_eq!(v["headers"]["x-forwarded-for"], "127.0.0.2");

    // /metrics is not reachable through the edge (the backend serves it).
    assert_eq!(c.get(format!("{edge}/metrics")).send().await.unwrap().status(), 404);
    assert_eq!(reqwest::get(format!("{}/metrics", app.base)).await.unwrap().status(), 200);

    // The extra virtual host proxies to its upstream.
    let v: Value =
        c.get(format!("{edge}/anything")).header("host", "extra.test").send().await.unwrap().json().await.unwrap();
    assert_eq!(v["path"], "/anything");

    // Sign-in endpoints are rate limited per address: a burst gets 429 in the envelope's shape…
    let mut limited = 0;
    for _ in 0..40 {
        let res =
            stranger.post(format!("{edge}/api/auth/request-otp")).json(&serde_json::json!({})).send().await.unwrap();
        if res.status() == 429 {
            limited += 1;
            assert!(res.headers().contains_key("retry-after"));
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["code"], "RATE_LIMITED");
        }
    }
    assert!(limited > 0, "no request was rate limited");
    // …but not from the hotspot's egress (a venue shares it), and `/me` polling never is.
    for _ in 0..40 {
        let res = c.post(format!("{edge}/api/auth/request-otp")).json(&serde_json::json!({})).send().await.unwrap();
        assert_ne!(res.status(), 429, "the egress address was limited by nginx");
        assert_ne!(stranger.get(format!("{edge}/api/auth/me")).send().await.unwrap().status(), 429);
    }
    // Other paths are not.
    assert_eq!(c.get(format!("{edge}/api/health")).send().await.unwrap().status(), 200);
    // Security headers on every answer.
    for path in ["/api/health", "/", "/_nuxt/entry.js"] {
        let res = c.get(format!("{edge}{path}")).send().await.unwrap();
        let h = res.headers();
        assert!(h["strict-transport-security"].to_str().unwrap().contains("max-age="), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
    }

    // The access log never holds the Fonnte callback's secret (issue 30, item 6).
    let _ = c.post(format!("{edge}/api/webhooks/fonnte/status/callback-secret-0123456789")).send().await.unwrap();
    // nginx writes the line once the answer is out: it may trail the client a little.
    let read_log = || std::fs::read_to_string(nginx.dir.join("logs/access.log")).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !read_log().contains("/api/webhooks/fonnte/") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = read_log();
    assert!(log.contains("/api/webhooks/fonnte/status/[secret]"), "{log}");
    assert!(!log.contains("callback-secret"), "{log}");

    // Stopped, nothing of it listens any more (issue 30, item 16: a SIGKILLed master left a
    // worker serving the port).
    let port = nginx.port;
    drop(nginx);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "an nginx worker still listens");
    fe.stop(false).await;
    app.stop().await;
}

#[test]
fn nginx_accepts_the_config_with_upstreams_mapped_to_loopback() {
    // nginx -t resolves upstream host names at load time; backend:8080 and frontend:3000 exist
    // only on the compose network, so they are mapped to loopback ports here.
    let dir = prepare("127.0.0.1:8080", "127.0.0.1:3000", free_port());
    let (ok, log) = nginx_test(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{log}");
}

#[test]
fn compose_file_is_valid_and_publishes_nothing() {
    // An operator's checkout: the compose file next to a .env.prod made from the example.
    let dir = std::env::temp_dir().join(format!("hotspot-compose-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(repo("docker-compose.prod.yml"), dir.join("docker-compose.prod.yml")).unwrap();
    std::fs::copy(repo(".env.prod.example"), dir.join(".env.prod")).unwrap();
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(dir.join("docker-compose.prod.yml"))
        .arg("--env-file")
        .arg(dir.join(".env.prod"))
        .arg("config")
        .current_dir(&dir)
        .env("COMPOSE_PROJECT_NAME", "hotspot")
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("docker-compose is not installed ({e}); scripts/test.sh installs the Debian package"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{}", stdout, String::from_utf8_lossy(&out.stderr));
    for service in
        ["db:", "redis:", "migrate:", "backend:", "worker:", "frontend:", "nginx:", "cloudflared:", "backups:"]
    {
        assert!(stdout.contains(&format!("\n  {service}")), "service {service} missing");
    }
    assert!(!stdout.contains("ports:") && !stdout.contains("published"), "nothing may be published on the host");
    assert!(stdout.contains("service_completed_successfully"));
}

#[test]
fn backup_script_dumps_restores_and_prunes() {
    // Against the machine's Postgres: one dump, restorable; old dumps pruned.
    let db = crate::common::TestDb::create();
    let dir = std::env::temp_dir().join(format!("hotspot-backups-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let old = dir.join("hotspot-20000101T000000Z.dump");
    std::fs::write(&old, b"old").unwrap();
    let _ = Command::new("touch").args(["-d", "30 days ago"]).arg(&old).status();
    let out = Command::new("sh")
        .arg(repo("deploy/backup.sh"))
        .arg("--once")
        .env("PGHOST", "127.0.0.1")
        .env("PGUSER", "postgres")
        .env("PGDATABASE", &db.name)
        .env("BACKUP_DIR", &dir)
        .env("BACKUP_RETENTION_DAYS", "14")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dumps: Vec<_> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(dumps.len(), 1, "{dumps:?}");
    assert!(dumps[0].starts_with("hotspot-") && dumps[0].ends_with(".dump") && !dumps[0].starts_with("hotspot-2000"));
    let list = Command::new("pg_restore").arg("--list").arg(dir.join(&dumps[0])).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("TABLE public users"));
    let _ = std::fs::remove_dir_all(&dir);
}
