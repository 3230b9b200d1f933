//! The RouterOS simulator over real sockets, driven by a bare wire client (our codec), so what is
//! checked is bytes on the wire: login, tags, interleaving, queries, `!empty`, `/cancel`, `/quit`.

use std::time::Duration;

use hotspot::router::wire::{Decoder, encode_sentence};
use hotspot::sim::router::{SimConfig, SimRouter, TagPosition};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Raw {
    stream: TcpStream,
    decoder: Decoder,
}

impl Raw {
    pub async fn connect(sim: &SimRouter) -> Self {
        let stream = TcpStream::connect(sim.addr()).await.unwrap();
        Raw { stream, decoder: Decoder::new() }
    }

    pub async fn send(&mut self, words: &[&str]) {
        let mut out = Vec::new();
        encode_sentence(words, &mut out);
        self.stream.write_all(&out).await.unwrap();
    }

    /// The next sentence as text words; `None` when the router closed the connection.
    pub async fn recv(&mut self) -> Option<Vec<String>> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(s) = self.decoder.next_sentence().unwrap() {
                return Some(s.into_iter().map(|w| String::from_utf8(w).unwrap()).collect());
            }
            let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut buf))
                .await
                .expect("router answered")
                .ok()?;
            if n == 0 {
                return None;
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    /// Sentences up to and including the first `!done` (or `!fatal`).
    pub async fn until_done(&mut self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        while let Some(s) = self.recv().await {
            let end = s[0] == "!done" || s[0] == "!fatal";
            out.push(s);
            if end {
                break;
            }
        }
        out
    }

    pub async fn login(&mut self, sim: &SimRouter) {
        let name = format!("=name={}", sim.config().username);
        let pass = format!("=password={}", sim.config().password);
        self.send(&["/login", &name, &pass]).await;
        assert_eq!(self.until_done().await, vec![vec!["!done".to_string()]]);
    }
}

pub async fn sim() -> SimRouter {
    SimRouter::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await.unwrap()
}

#[tokio::test]
async fn login_is_required_and_checked() {
    let sim = sim().await;
    let mut c = Raw::connect(&sim).await;
    c.send(&["/system/identity/print"]).await;
    let r = c.until_done().await;
    assert_eq!(r[0][0], "!trap");
    c.send(&["/login", "=name=admin", "=password=wrong"]).await;
    let r = c.until_done().await;
    assert_eq!(r[0], vec!["!trap", "=message=invalid user name or password (6)"]);
    assert_eq!(r[1], vec!["!done"]);
    c.login(&sim).await;
    c.send(&["/system/identity/print", ".tag=x1"]).await;
    assert_eq!(c.until_done().await, vec![vec!["!re", ".tag=x1", "=name=MikroTik"], vec!["!done", ".tag=x1"]]);
    c.send(&["/quit"]).await;
    assert_eq!(c.recv().await.unwrap(), vec!["!fatal", "session terminated on request"]);
    assert_eq!(c.recv().await, None);
}

#[tokio::test]
async fn legacy_md5_login() {
    let sim = sim().await;
    sim.set_faults(|f| f.legacy_login = true);
    let mut c = Raw::connect(&sim).await;
    c.send(&["/login"]).await;
    let r = c.until_done().await;
    let challenge = r[0][1].strip_prefix("=ret=").unwrap().to_owned();
    assert_eq!(challenge.len(), 32);
    let response = hotspot::sim::router::legacy_response(&sim.config().password, &hex::decode(&challenge).unwrap());
    c.send(&["/login", "=name=admin", &format!("=response={response}")]).await;
    assert_eq!(c.until_done().await, vec![vec!["!done".to_string()]]);
    c.send(&["/system/identity/print"]).await;
    assert_eq!(c.until_done().await[0][0], "!re");
}

#[tokio::test]
async fn add_returns_ret_after_the_tag_and_count_only_returns_ret() {
    let sim = sim().await;
    let mut c = Raw::connect(&sim).await;
    c.login(&sim).await;
    c.send(&[
        "/ip/firewall/address-list/add",
        ".tag=7",
        "=list=hs-active",
        "=address=10.5.50.10",
        "=comment=hotspot:u1",
    ])
    .await;
    assert_eq!(c.until_done().await, vec![vec!["!done", ".tag=7", "=ret=*1"]]);
    c.send(&["/ip/firewall/address-list/add", ".tag=8", "=list=hs-active", "=address=10.5.50.10"]).await;
    let dup = c.until_done().await;
    assert_eq!(dup[0], vec!["!trap", ".tag=8", "=message=failure: already have such entry"]);
    assert_eq!(dup[1], vec!["!done", ".tag=8"]);
    c.send(&["/ip/firewall/address-list/print", "=count-only=", ".tag=9"]).await;
    assert_eq!(c.until_done().await, vec![vec!["!done", ".tag=9", "=ret=1"]]);
    // Tag last, as the manual prints it.
    sim.set_faults(|f| f.tag_position = TagPosition::Last);
    c.send(&["/ip/firewall/address-list/print", "=count-only=", ".tag=10"]).await;
    assert_eq!(c.until_done().await, vec![vec!["!done", "=ret=1", ".tag=10"]]);
}

#[tokio::test]
async fn query_forms_of_every_client_family() {
    let sim = sim().await;
    let mut c = Raw::connect(&sim).await;
    c.login(&sim).await;
    for (list, addr) in [("a", "10.0.0.1"), ("b", "10.0.0.2"), ("c", "10.0.0.3")] {
        c.send(&["/ip/firewall/address-list/add", &format!("=list={list}"), &format!("=address={addr}")]).await;
        c.until_done().await;
    }
    let cases: &[(&[&str], usize)] = &[
        (&["?list=a"], 1),                               // routeros-api, mikrotik-rs
        (&["?=list=a"], 1),                              // librouteros
        (&["?list=a", "?list=b", "?#|"], 2),             // OR
        (&["?list=a", "?list=b", "?list=c", "?#||"], 3), // multi-op word
        (&["?list=a", "?#!"], 2),                        // NOT
        (&["?comment"], 0),
        (&["?-comment"], 3),
        (&["?>address=10.0.0.1"], 2),
    ];
    for (queries, want) in cases {
        let mut words = vec!["/ip/firewall/address-list/print", "=.proplist=.id,list"];
        words.extend_from_slice(queries);
        c.send(&words).await;
        let rows = c.until_done().await.into_iter().filter(|s| s[0] == "!re").count();
        assert_eq!(rows, *want, "{queries:?}");
    }
}

#[tokio::test]
async fn empty_mode_and_unknown_paths() {
    let sim = sim().await;
    let mut c = Raw::connect(&sim).await;
    c.login(&sim).await;
    c.send(&["/ip/hotspot/ip-binding/print", ".tag=1"]).await;
    assert_eq!(c.until_done().await, vec![vec!["!done", ".tag=1"]]);
    sim.set_faults(|f| f.empty_replies = true);
    c.send(&["/ip/hotspot/ip-binding/print", ".tag=2"]).await;
    assert_eq!(c.until_done().await, vec![vec!["!empty", ".tag=2"], vec!["!done", ".tag=2"]]);
    c.send(&["/ip/adress/print"]).await;
    let r = c.until_done().await;
    assert_eq!(r.len(), 3);
    assert_eq!(r[0], vec!["!trap", "=category=0", "=message=no such command or directory (print)"]);
    assert_eq!(r[1], vec!["!trap", "=message=no such command prefix"]);
}

#[tokio::test]
async fn tagged_replies_interleave_and_cancel_interrupts() {
    let sim = sim().await;
    let mut c = Raw::connect(&sim).await;
    c.login(&sim).await;
    sim.set_faults(|f| f.stall = Some("/ip/hotspot/host/print".into()));
    c.send(&["/ip/hotspot/host/print", ".tag=slow"]).await;
    c.send(&["/system/identity/print", ".tag=fast"]).await;
    // The later command answers while the first is still running.
    assert_eq!(c.until_done().await, vec![vec!["!re", ".tag=fast", "=name=MikroTik"], vec!["!done", ".tag=fast"]]);
    c.send(&["/cancel", "=tag=slow", ".tag=c1"]).await;
    assert_eq!(c.recv().await.unwrap(), vec!["!trap", ".tag=slow", "=category=2", "=message=interrupted"]);
    assert_eq!(c.recv().await.unwrap(), vec!["!done", ".tag=c1"]);
    assert_eq!(c.recv().await.unwrap(), vec!["!done", ".tag=slow"]);
}

#[tokio::test]
async fn words_split_across_reads_and_zero_bytes_in_prefixes() {
    let sim = sim().await;
    let mut c = Raw::connect(&sim).await;
    c.login(&sim).await;
    // A comment of 256 bytes has the length prefix 81 00; deliver the sentence a byte at a time.
    let comment = format!("=comment={}", "x".repeat(256 - "=comment=".len()));
    let mut out = Vec::new();
    encode_sentence(&["/ip/hotspot/ip-binding/add", "=mac-address=AA:BB:CC:DD:EE:F0", &comment, ".tag=5"], &mut out);
    assert!(out.windows(2).any(|w| w == [0x81, 0x00]));
    for b in out {
        c.stream.write_all(&[b]).await.unwrap();
        c.stream.flush().await.unwrap();
    }
    assert_eq!(c.until_done().await, vec![vec!["!done", ".tag=5", "=ret=*1"]]);
    c.send(&["/ip/hotspot/ip-binding/print", "=.proplist=comment"]).await;
    let r = c.until_done().await;
    assert_eq!(r[0][1].len(), 256);
}

#[tokio::test]
async fn max_sessions_and_down() {
    let sim = sim().await;
    sim.set_faults(|f| f.max_sessions = 1);
    let mut first = Raw::connect(&sim).await;
    first.login(&sim).await;
    let mut second = Raw::connect(&sim).await;
    assert_eq!(second.recv().await.unwrap()[0], "!fatal");
    assert_eq!(second.recv().await, None);
    sim.set_faults(|f| f.down = true);
    sim.drop_connections();
    assert_eq!(first.recv().await, None);
    let mut third = Raw::connect(&sim).await;
    assert_eq!(third.recv().await, None);
}

/// Third-party clients (librouteros, routeros-api in plaintext and legacy-login modes) drive the
/// simulator end to end; scripts/test.sh installs them from tests/peers/requirements.txt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_python_clients_work_against_the_simulator() {
    let sim = sim().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/routeros_clients.py");
    for mode in ["librouteros", "routeros-api", "routeros-api-legacy"] {
        sim.set_faults(|f| f.legacy_login = mode == "routeros-api-legacy");
        let addr = sim.addr();
        let cfg = sim.config().clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("python3")
                .args([script, &addr.ip().to_string(), &addr.port().to_string(), &cfg.username, &cfg.password, mode])
                .output()
                .expect("python3 runs")
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.trim_end().ends_with("done"),
            "{mode}: {stdout}\n{}\n(install the clients with: pip install -r tests/peers/requirements.txt)",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_port_speaks_lines_and_http() {
    // Its HTTP client may be the first of the run: rustls needs its provider chosen first.
    hotspot::ensure_crypto_provider();
    let sim = std::sync::Arc::new(sim().await);
    let port = crate::common::closed_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let _task = hotspot::sim::router::control::serve(addr, sim.clone()).await.unwrap();
    let http = reqwest::Client::new();
    let v: serde_json::Value = http.get(format!("http://{addr}/seed/3")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["result"]["hosts"], 3);
    http.get(format!("http://{addr}/advance/10")).send().await.unwrap();
    let mac = sim.with_state(|s| s.hosts[0].mac.canonical());
    let url = format!("http://{addr}/truth/{}", mac.replace(':', "%3A"));
    let v: serde_json::Value = http.get(url).send().await.unwrap().json().await.unwrap();
    assert!(v["result"]["lifetime_bytes"].as_u64().unwrap() > 0);
    let res = http.get(format!("http://{addr}/fault/bogus")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    // The line protocol on the same port.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"fault latency 5\nshow stats\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = String::new();
    while got.matches('\n').count() < 2 {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0);
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.lines().all(|l| l.starts_with("{\"ok\":true")), "{got}");
}
