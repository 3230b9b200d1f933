//! The resilient client and the hotspot operations against the simulator over sockets, one test
//! per fault: router down, connection dropped mid-command, stall, breaker, login refused, reboot;
//! and operator-owned entries left alone.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use hotspot::domain::{ClientIp, MacAddress};
use hotspot::router::command::Command;
use hotspot::router::ops::{Change, MacSource, Managed, Ops, Upsert};
use hotspot::router::rows::BindingType;
use hotspot::router::{RouterClient, RouterConfig, RouterError};
use hotspot::sim::router::SimRouter;
use hotspot::sim::router::state::{ADDRESS_LIST, IP_BINDING};

use crate::common::closed_port;
use crate::router::simulator::{Raw, sim};

fn config(addr: &str) -> RouterConfig {
    let mut c = RouterConfig::new("test", addr, "admin", "sim-password");
    c.connect_timeout = Duration::from_millis(800);
    c.command_timeout = Duration::from_millis(800);
    c.keepalive = Duration::ZERO;
    c.breaker_threshold = 3;
    c.breaker_open_for = Duration::from_millis(600);
    c.backoff_initial = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(50);
    c
}

fn ops_for(sim: &SimRouter) -> Ops {
    let managed = Managed {
        comment_prefix: "hotspot:".into(),
        status_lists: vec!["hs-active".into(), "hs-fup".into(), "hs-habis".into(), "hs-blocked".into()],
        server: "all".into(),
    };
    Ops::new(RouterClient::new(config(&sim.addr().to_string())), managed)
}

fn identity() -> Command {
    Command::new("/system/identity/print")
}

fn mac(s: &str) -> MacAddress {
    MacAddress::parse(s).unwrap()
}

#[tokio::test]
async fn router_down_at_start_is_a_typed_error_within_the_timeout() {
    let client = RouterClient::new(config(&format!("127.0.0.1:{}", closed_port())));
    let t = Instant::now();
    let err = client.run(&identity()).await.unwrap_err();
    assert!(matches!(err, RouterError::Unreachable(_)), "{err:?}");
    assert!(err.is_unavailable());
    assert!(t.elapsed() < Duration::from_secs(1));

    // A router that accepts TCP but never answers the login: the connect deadline holds.
    let (addr, _hole) = crate::common::black_hole();
    let client = RouterClient::new(config(&addr));
    let t = Instant::now();
    let err = client.run(&identity()).await.unwrap_err();
    assert!(matches!(err, RouterError::Unreachable(_)), "{err:?}");
    assert!(t.elapsed() < Duration::from_millis(1_500), "{:?}", t.elapsed());
}

#[tokio::test]
async fn login_refused_is_its_own_error() {
    let sim = sim().await;
    sim.set_faults(|f| f.refuse_login = true);
    let ops = ops_for(&sim);
    assert!(matches!(ops.client.run(&identity()).await, Err(RouterError::LoginRefused)));
}

#[tokio::test]
async fn dropped_connection_mid_command_reconnects() {
    let sim = sim().await;
    let ops = ops_for(&sim);
    ops.client.run(&identity()).await.unwrap();
    // A non-idempotent add loses its answer: the caller hears about it…
    sim.set_faults(|f| f.drop_mid_sentence = 1);
    let add = Command::new("/ip/firewall/address-list/add").attr("list", "x").attr("address", "10.1.1.1");
    assert!(matches!(ops.client.run(&add).await, Err(RouterError::ConnectionLost)));
    // …and the next call goes through on a new connection.
    ops.client.run(&identity()).await.unwrap();
    // An idempotent print is re-sent once on a fresh connection, transparently.
    sim.set_faults(|f| f.drop_mid_sentence = 1);
    let rows = ops.client.run(&Command::new("/ip/firewall/address-list/print")).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(ops.client.stats().connects, 3);
}

#[tokio::test]
async fn stalled_command_times_out_without_hanging() {
    let sim = sim().await;
    let ops = ops_for(&sim);
    sim.set_faults(|f| f.stall = Some("/ip/hotspot/host/print".into()));
    let t = Instant::now();
    let err = ops.client.run(&Command::new("/ip/hotspot/host/print")).await.unwrap_err();
    assert!(matches!(err, RouterError::Timeout(_)), "{err:?}");
    assert!(t.elapsed() < Duration::from_millis(1_500));
    sim.clear_faults();
    ops.client.run(&Command::new("/ip/hotspot/host/print")).await.unwrap();
}

#[tokio::test]
async fn breaker_opens_after_repeated_failures_and_recovers() {
    let sim = sim().await;
    let ops = ops_for(&sim);
    ops.client.run(&identity()).await.unwrap();
    sim.set_faults(|f| f.down = true);
    sim.drop_connections_and_wait().await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(60)).await; // past the reconnect backoff
        assert!(ops.client.run(&identity()).await.unwrap_err().is_unavailable());
    }
    assert!(ops.client.stats().breaker_open);
    let connects = ops.client.stats().connects;
    let err = ops.client.run(&identity()).await.unwrap_err();
    assert!(matches!(err, RouterError::CircuitOpen(_)), "{err:?}");
    assert_eq!(ops.client.stats().connects, connects, "an open breaker does not touch the router");
    sim.set_faults(|f| f.down = false);
    tokio::time::sleep(Duration::from_millis(700)).await;
    ops.client.run(&identity()).await.unwrap();
    assert!(!ops.client.stats().breaker_open);
}

#[tokio::test]
async fn reboot_drops_sessions_and_the_client_carries_on() {
    let sim = sim().await;
    sim.seed_hosts(5);
    sim.advance(100);
    let ops = ops_for(&sim);
    let before = ops.snapshot().await.unwrap();
    sim.reboot();
    let after = ops.snapshot().await.unwrap();
    assert_eq!(after.hosts.len(), 5);
    assert!(after.hosts.iter().all(|h| h.total_bytes() == 0 && h.uptime_secs == Some(0)));
    assert!(before.hosts.iter().all(|b| after.hosts.iter().all(|a| a.id != b.id)), "host rows renumbered");
}

#[tokio::test]
async fn binding_upsert_is_idempotent_and_leaves_operator_entries_alone() {
    let sim = sim().await;
    let ops = ops_for(&sim);
    let m = mac("aa:bb:cc:dd:ee:01");
    let created = ops.upsert_binding(&m, BindingType::Bypassed, "u1").await.unwrap();
    assert_eq!(created, Upsert::Created);
    assert!(matches!(ops.upsert_binding(&m, BindingType::Bypassed, "u1").await.unwrap(), Upsert::Unchanged { .. }));
    assert!(matches!(ops.upsert_binding(&m, BindingType::Regular, "u1").await.unwrap(), Upsert::Updated { .. }));
    let rows = ops.bindings_for(&m).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, BindingType::Regular);
    assert_eq!(rows[0].comment.as_deref(), Some("hotspot:u1"));

    // A duplicate of ours (say, from a crash between add and bookkeeping) is cleaned up.
    let mut raw = Raw::connect(&sim).await;
    raw.login(&sim).await;
    raw.send(&["/ip/hotspot/ip-binding/add", "=mac-address=AA:BB:CC:DD:EE:01", "=type=regular", "=comment=hotspot:u1"])
        .await;
    raw.until_done().await;
    ops.upsert_binding(&m, BindingType::Bypassed, "u1").await.unwrap();
    assert_eq!(ops.bindings_for(&m).await.unwrap().len(), 1);

    // The operator's own binding for another MAC: never changed, never removed.
    raw.send(&[
        "/ip/hotspot/ip-binding/add",
        "=mac-address=AA:BB:CC:DD:EE:02",
        "=type=blocked",
        "=comment=operator: printer",
    ])
    .await;
    raw.until_done().await;
    let op_mac = mac("aa:bb:cc:dd:ee:02");
    assert_eq!(ops.upsert_binding(&op_mac, BindingType::Bypassed, "u2").await.unwrap(), Upsert::OperatorOwned);
    assert_eq!(ops.remove_binding(&op_mac).await.unwrap(), 0);
    let op_rows = ops.bindings_for(&op_mac).await.unwrap();
    assert_eq!((op_rows.len(), op_rows[0].kind), (1, BindingType::Blocked));

    assert_eq!(ops.remove_binding(&m).await.unwrap(), 1);
    assert!(ops.bindings_for(&m).await.unwrap().is_empty());
}

#[tokio::test]
async fn status_list_placement_moves_only_our_entries() {
    let sim = sim().await;
    let ops = ops_for(&sim);
    let ip = ClientIp::parse("10.5.50.10").unwrap();
    ops.place_in_status_list(&ip, Some("hs-active"), "u1").await.unwrap();
    ops.place_in_status_list(&ip, Some("hs-active"), "u1").await.unwrap();
    let lists = |sim: &SimRouter| {
        sim.with_state(|s| {
            let mut v: Vec<(String, String)> = s
                .table(ADDRESS_LIST)
                .unwrap()
                .rows()
                .map(|r| (r.attrs["list"].clone(), r.attrs.get("comment").cloned().unwrap_or_default()))
                .collect();
            v.sort();
            v
        })
    };
    assert_eq!(lists(&sim), vec![("hs-active".into(), "hotspot:u1".into())]);

    // The operator put the same IP on hs-blocked by hand: our move to hs-fup leaves it there.
    let mut raw = Raw::connect(&sim).await;
    raw.login(&sim).await;
    raw.send(&["/ip/firewall/address-list/add", "=list=hs-blocked", "=address=10.5.50.10", "=comment=manual"]).await;
    raw.until_done().await;
    ops.place_in_status_list(&ip, Some("hs-fup"), "u1").await.unwrap();
    assert_eq!(lists(&sim), vec![("hs-blocked".into(), "manual".into()), ("hs-fup".into(), "hotspot:u1".into())]);
    ops.remove_from_status_lists(&ip).await.unwrap();
    assert_eq!(lists(&sim), vec![("hs-blocked".into(), "manual".into())]);
}

#[tokio::test]
async fn mac_for_ip_asks_host_then_arp_then_dhcp() {
    let sim = sim().await;
    let ops = ops_for(&sim);
    sim.with_state(|s| s.add_host(mac("02:00:00:00:00:01"), Ipv4Addr::new(10, 5, 50, 1)));
    let ctl = |line: &str| hotspot::sim::router::control::run(&sim, line).unwrap();
    ctl("arp add 10.5.50.2 02:00:00:00:00:02");
    ctl("lease add 10.5.50.3 02:00:00:00:00:03");
    let cases = [
        ("10.5.50.1", Some(("02:00:00:00:00:01", MacSource::Host))),
        ("10.5.50.2", Some(("02:00:00:00:00:02", MacSource::Arp))),
        ("10.5.50.3", Some(("02:00:00:00:00:03", MacSource::Dhcp))),
        ("10.5.50.4", None),
    ];
    for (ip, want) in cases {
        let got = ops.mac_for_ip(&ClientIp::parse(ip).unwrap()).await.unwrap();
        assert_eq!(got.map(|(m, s)| (m.canonical(), s)), want.map(|(m, s)| (m.to_owned(), s)), "{ip}");
    }
    assert_eq!(ops.ip_for_mac(&mac("02:00:00:00:00:01")).await.unwrap(), Some("10.5.50.1".parse().unwrap()));
}

#[tokio::test]
async fn snapshot_and_pipelined_apply() {
    let sim = sim().await;
    sim.seed_hosts(200);
    sim.advance(30);
    let ops = ops_for(&sim);
    let snap = ops.snapshot().await.unwrap();
    assert_eq!(snap.hosts.len(), 200);
    let truth: u64 = sim.with_state(|s| s.hosts.iter().map(|h| h.total()).sum());
    assert_eq!(snap.hosts.iter().map(|h| h.total_bytes()).sum::<u64>(), truth);

    let changes: Vec<Change> = snap
        .hosts
        .iter()
        .take(100)
        .map(|h| Change::AddBinding { mac: h.mac, kind: BindingType::Bypassed, comment: "hotspot:bulk".into() })
        .chain(snap.hosts.iter().take(50).map(|h| Change::AddListEntry {
            list: "hs-active".into(),
            address: h.address.unwrap().to_string(),
            comment: "hotspot:bulk".into(),
        }))
        .collect();
    let report = ops.apply(changes.clone()).await;
    assert_eq!((report.applied, report.failed.len()), (150, 0));
    // Re-applying: the list adds are duplicates (counted as applied), bindings get added again
    // (RouterOS allows that; the sync never plans it).
    let lists_again: Vec<Change> = changes.into_iter().filter(|c| matches!(c, Change::AddListEntry { .. })).collect();
    let report = ops.apply(lists_again).await;
    assert_eq!((report.applied, report.failed.len()), (50, 0));
    let (bindings, entries) =
        sim.with_state(|s| (s.table(IP_BINDING).unwrap().len(), s.table(ADDRESS_LIST).unwrap().len()));
    assert_eq!((bindings, entries), (100, 50));
}

/// API-SSL in front of the simulator: a TLS terminator with a self-signed certificate (made by
/// openssl), relaying to the plaintext API. Returns its address and the certificate's DER.
async fn tls_router(sim: &SimRouter) -> (String, Vec<u8>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = std::env::temp_dir().join(format!("hotspot-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=router"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cert_der = CertificateDer::from_pem_file(&cert).unwrap();
    let key_der = PrivateKeyDer::from_pem_file(&key).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let config =
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.clone()], key_der)
            .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let target = sim.addr();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut plain) = tokio::net::TcpStream::connect(target).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, cert_der.as_ref().to_vec())
}

/// API-SSL verified by the pinned certificate: the right fingerprint talks, any other
/// certificate is refused before the login (the password never goes to an impostor).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_ssl_talks_only_to_the_pinned_certificate() {
    hotspot::ensure_crypto_provider();
    let s = sim().await;
    let (addr, der) = tls_router(&s).await;
    let mut good = config(&addr);
    good.tls = true;
    good.tls_fingerprint = Some(hotspot::router::tls::Fingerprint::of(&der));
    let rows = RouterClient::new(good).run(&identity()).await.unwrap();
    assert_eq!(rows.len(), 1);
    let logins = s.stats().logins;
    let mut wrong = config(&addr);
    wrong.tls = true;
    wrong.tls_fingerprint = hotspot::router::tls::Fingerprint::parse(&"00".repeat(32));
    let err = RouterClient::new(wrong).run(&identity()).await.unwrap_err();
    assert!(matches!(err, RouterError::Unreachable(_)), "{err:?}");
    assert_eq!(s.stats().logins, logins, "no login reached the router through an unpinned certificate");
}
