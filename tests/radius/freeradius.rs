//! Debian's FreeRADIUS, started with the project's own configuration (`deploy/freeradius/`) and
//! the clients `hotspot router radius-clients` writes, in front of the backend; `radclient` is the
//! router. A login is accepted with the policy's attributes or rejected with the reason, every
//! reply is signed, accounting reaches the ledger once, a wrong secret gets no answer, and a
//! backend that is down rejects logins and leaves accounting unanswered (the router retries).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::endpoints::{SECRET, TOKEN, radius_app, used};

/// A FreeRADIUS process of its own, stopped when dropped.
struct FreeRadius {
    child: Child,
    auth: u16,
    acct: u16,
    dir: PathBuf,
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn freeradius_binary() -> PathBuf {
    ["/usr/sbin/freeradius", "/usr/sbin/radiusd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("FreeRADIUS is installed by scripts/test.sh (apt-get install freeradius freeradius-rest)")
}

impl FreeRadius {
    fn start(backend: &str, clients: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hotspot-freeradius-{}", uuid::Uuid::new_v4()));
        let conf = dir.join("raddb");
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/freeradius"), &conf);
        std::fs::write(conf.join("clients.conf"), clients).unwrap();
        let run = dir.join("run");
        std::fs::create_dir_all(&run).unwrap();
        let (auth, acct) = (free_udp_port(), free_udp_port());
        let child = Command::new(freeradius_binary())
            .args(["-f", "-l", "stdout", "-d"])
            .arg(&conf)
            .env("HOTSPOT_RADIUS_BACKEND", backend)
            .env("HOTSPOT_RADIUS_API_TOKEN", TOKEN)
            .env("RADIUS_AUTH_PORT", auth.to_string())
            .env("RADIUS_ACCT_PORT", acct.to_string())
            .env("RADIUS_LISTEN", "127.0.0.1")
            .env("RADIUS_RUN_DIR", &run)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start freeradius");
        let mut fr = FreeRadius { child, auth, acct, dir };
        fr.wait_ready();
        fr
    }

    /// Until FreeRADIUS answers a Status-Server on its auth port (or it exits).
    fn wait_ready(&mut self) {
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("freeradius exited: {status}");
            }
            let (ok, _) = radclient(self.auth, "status", SECRET, "Message-Authenticator = 0x00\n");
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("freeradius did not answer");
    }
}

/// Sends one packet with radclient; whether the expected answer came, and what it printed.
fn radclient(port: u16, kind: &str, secret: &str, packet: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new("radclient")
        .args(["-x", "-r", "1", "-t", "2"])
        .arg(format!("127.0.0.1:{port}"))
        .args([kind, secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient (freeradius-utils)");
    child.stdin.take().unwrap().write_all(packet.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

async fn radclient_async(port: u16, kind: &'static str, secret: &'static str, packet: String) -> (bool, String) {
    tokio::task::spawn_blocking(move || radclient(port, kind, secret, &packet)).await.unwrap()
}

fn login(mac: &str) -> String {
    format!(
        "User-Name = \"{mac}\"\nCalling-Station-Id = \"{mac}\"\nFramed-IP-Address = 10.5.50.31\n\
         Called-Station-Id = \"hotspot1\"\nNAS-Identifier = \"MikroTik\"\nMessage-Authenticator = 0x00\n"
    )
}

fn acct(kind: &str, session: &str, mac: &str, input: u64, output: u64) -> String {
    format!(
        "Acct-Status-Type = {kind}\nAcct-Session-Id = \"{session}\"\nUser-Name = \"{mac}\"\n\
         Calling-Station-Id = \"{mac}\"\nFramed-IP-Address = 10.5.50.31\n\
         Acct-Input-Octets = {}\nAcct-Input-Gigawords = {}\nAcct-Output-Octets = {output}\n",
        input & 0xffff_ffff,
        input >> 32
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeradius_in_front_accepts_rejects_and_charges_once() {
    let (app, _site) = radius_app().await;
    let user = app.user("+6281200000103", "Radius", 5).await;
    app.owned_device(user.id, "AA:BB:CC:00:03:01", "10.5.50.31").await;
    let (clients, skipped) = app.backend.sites().radius_clients().await.unwrap();
    assert!(skipped.is_empty());
    assert!(clients.contains(SECRET) && clients.contains("require_message_authenticator = yes"));
    let fr = FreeRadius::start(&app.base, &clients);

    let (ok, out) = radclient_async(fr.auth, "auth", SECRET, login("AA:BB:CC:00:03:01")).await;
    assert!(ok && out.contains("Access-Accept"), "{out}");
    assert!(out.contains("Mikrotik-Group = \"default\"") && out.contains("Acct-Interim-Interval = 30"), "{out}");
    assert!(out.contains("Message-Authenticator"), "replies are signed: {out}");

    let (ok, out) = radclient_async(fr.auth, "auth", SECRET, login("AA:BB:CC:00:03:99")).await;
    assert!(!ok && out.contains("Access-Reject") && out.contains("belum terdaftar"), "{out}");

    // The wrong secret: FreeRADIUS drops the packet (its Message-Authenticator does not check).
    let (ok, out) = radclient_async(fr.auth, "auth", "not-the-secret-000000", login("AA:BB:CC:00:03:01")).await;
    assert!(!ok && !out.contains("Access-Accept"), "{out}");

    // Accounting: a retransmitted interim and a late older one charge nothing more.
    let mac = "AA:BB:CC:00:03:01";
    for (kind, input, output) in [
        ("Start", 0, 0),
        ("Interim-Update", 3_000, 1_000),
        ("Interim-Update", 3_000, 1_000),
        ("Interim-Update", 1_000, 0),
    ] {
        let (ok, out) = radclient_async(fr.acct, "acct", SECRET, acct(kind, "fr-1", mac, input, output)).await;
        assert!(ok && out.contains("Accounting-Response"), "{out}");
    }
    let (ok, out) = radclient_async(fr.acct, "acct", SECRET, acct("Stop", "fr-1", mac, 5_000, 1_000)).await;
    assert!(ok, "{out}");
    assert_eq!(used(&app, user.id), (6_000, 6_000, 6_000));

    // The backend down: a login is rejected, an accounting report is not answered.
    let down = FreeRadius::start(&format!("http://127.0.0.1:{}", crate::common::closed_port()), &clients);
    let (ok, out) = radclient_async(down.auth, "auth", SECRET, login("AA:BB:CC:00:03:01")).await;
    assert!(!ok && out.contains("Access-Reject"), "{out}");
    let (ok, out) = radclient_async(down.acct, "acct", SECRET, acct("Interim-Update", "fr-1", mac, 9_000, 0)).await;
    assert!(!ok && !out.contains("Accounting-Response"), "{out}");
    assert_eq!(used(&app, user.id).0, 6_000);
    drop((fr, down));
    app.stop().await;
}
