//! `hotspot bench router`: host snapshots of large populations (wall time, bytes on the wire with
//! and without `.proplist`) and ip-binding upserts pipelined versus one by one, against the
//! RouterOS simulator over loopback.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::median_ms;
use crate::domain::MacAddress;
use crate::router::command::Command;
use crate::router::ops::{Managed, Ops};
use crate::router::rows::{BindingType, HOST_PROPLIST, HostRow};
use crate::router::{RouterClient, RouterConfig};
use crate::sim::router::{SimConfig, SimRouter};

pub struct Options {
    pub host_counts: Vec<usize>,
    pub upserts: usize,
    pub rounds: usize,
    /// Per-command latency of the simulated router for the upsert comparison (a router on a LAN
    /// or VPN answers in milliseconds, not loopback microseconds).
    pub latency_ms: Vec<u64>,
}

async fn start_sim(hosts: usize) -> anyhow::Result<(SimRouter, Ops)> {
    let sim = SimRouter::start("127.0.0.1:0".parse()?, SimConfig::default()).await?;
    sim.seed_hosts(hosts);
    sim.advance(3_600);
    let mut cfg = RouterConfig::new("bench", &sim.addr().to_string(), &sim.config().username, &sim.config().password);
    cfg.command_timeout = Duration::from_secs(60);
    cfg.keepalive = Duration::ZERO;
    let managed =
        Managed { comment_prefix: "hotspot:".into(), status_lists: vec!["hs-active".into()], server: "all".into() };
    Ok((sim, Ops::new(RouterClient::new(cfg), managed)))
}

/// Prints through a bare socket with our own decoder: the simulator's share of the snapshot time.
async fn raw_print(sim: &SimRouter, words: &[&str]) -> anyhow::Result<(usize, f64)> {
    use crate::router::wire::{Decoder, encode_sentence};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(sim.addr()).await?;
    let mut out = Vec::new();
    let login = [
        "/login".to_owned(),
        format!("=name={}", sim.config().username),
        format!("=password={}", sim.config().password),
    ];
    encode_sentence(&login, &mut out);
    s.write_all(&out).await?;
    let mut d = Decoder::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = s.read(&mut buf).await?;
        anyhow::ensure!(n > 0, "simulator closed the login");
        d.feed(&buf[..n]);
        if d.next_sentence()?.is_some() {
            break;
        }
    }
    out.clear();
    encode_sentence(words, &mut out);
    let t = Instant::now();
    s.write_all(&out).await?;
    let mut rows = 0;
    loop {
        let n = s.read(&mut buf).await?;
        anyhow::ensure!(n > 0, "simulator closed the print");
        d.feed(&buf[..n]);
        while let Some(sentence) = d.next_sentence()? {
            match sentence.first().map(Vec::as_slice) {
                Some(b"!re") => rows += 1,
                Some(b"!done") => return Ok((rows, t.elapsed().as_secs_f64() * 1e3)),
                _ => anyhow::bail!("unexpected reply"),
            }
        }
    }
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    println!("hotspot bench router — simulator on loopback, {} round(s) each, median reported", opts.rounds);
    println!();
    println!(
        "{:>8}  {:>12}  {:>12}  {:>12}  {:>12}  {:>14}  {:>12}",
        "hosts", "proplist ms", "proplist MB", "full-row ms", "full-row MB", "sim-only ms", "rows/s"
    );
    for &n in &opts.host_counts {
        let (sim, ops) = start_sim(n).await?;
        // Connect and warm up outside the measurement.
        ops.client.run(&Command::new("/system/identity/print")).await?;
        let mut lean = Vec::new();
        let mut lean_bytes = 0;
        for _ in 0..opts.rounds {
            let before = sim.stats().bytes_sent;
            let t = Instant::now();
            let rows = ops.client.run(&Command::new("/ip/hotspot/host/print").proplist(HOST_PROPLIST)).await?;
            let parsed: Vec<HostRow> = rows.iter().filter_map(HostRow::parse).collect();
            lean.push(t.elapsed().as_secs_f64() * 1e3);
            lean_bytes = sim.stats().bytes_sent - before;
            anyhow::ensure!(parsed.len() == n, "snapshot returned {} of {n} hosts", parsed.len());
        }
        let mut full = Vec::new();
        let mut full_bytes = 0;
        for _ in 0..opts.rounds {
            let before = sim.stats().bytes_sent;
            let t = Instant::now();
            let rows = ops.client.run(&Command::new("/ip/hotspot/host/print")).await?;
            full.push(t.elapsed().as_secs_f64() * 1e3);
            full_bytes = sim.stats().bytes_sent - before;
            anyhow::ensure!(rows.len() == n, "full print returned {} of {n} hosts", rows.len());
        }
        let lean_ms = median_ms(lean);
        let proplist = format!("=.proplist={}", HOST_PROPLIST.join(","));
        let (raw_rows, raw_ms) = raw_print(&sim, &["/ip/hotspot/host/print", &proplist]).await?;
        anyhow::ensure!(raw_rows == n, "raw print returned {raw_rows} of {n}");
        println!(
            "{:>8}  {:>12.1}  {:>12.2}  {:>12.1}  {:>12.2}  {:>14.1}  {:>12.0}",
            n,
            lean_ms,
            lean_bytes as f64 / 1e6,
            median_ms(full),
            full_bytes as f64 / 1e6,
            raw_ms,
            n as f64 / (lean_ms / 1e3)
        );
    }

    let n = opts.upserts;
    let macs: Vec<MacAddress> = (0..n as u32)
        .map(|i| MacAddress::from_octets([0x02, 0xBE, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]))
        .collect();
    println!();
    println!("{n} ip-binding upserts (each: print by MAC, then add):");
    println!("{:>12}  {:>14}  {:>14}  {:>10}", "latency ms", "one-by-one ms", "pipelined ms", "speed-up");
    for &latency in &opts.latency_ms {
        let sequential = upserts(&macs, latency, 1).await?;
        let pipelined = upserts(&macs, latency, 64).await?;
        println!(
            "{:>12}  {:>14.1}  {:>14.1}  {:>9.1}x",
            latency,
            sequential.as_secs_f64() * 1e3,
            pipelined.as_secs_f64() * 1e3,
            sequential.as_secs_f64() / pipelined.as_secs_f64()
        );
    }
    println!("(pipelined: 64 upserts in flight as tagged commands on the one connection)");
    Ok(())
}

/// Upserts one binding per MAC with `parallel` in flight on a fresh simulator; returns the time.
async fn upserts(macs: &[MacAddress], latency_ms: u64, parallel: usize) -> anyhow::Result<Duration> {
    let (sim, ops) = start_sim(0).await?;
    ops.client.run(&Command::new("/system/identity/print")).await?;
    sim.set_faults(|f| f.latency = Duration::from_millis(latency_ms));
    let t = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(macs.iter())
        .map(|m| ops.upsert_binding(m, BindingType::Bypassed, "bench"))
        .buffer_unordered(parallel)
        .collect()
        .await;
    let took = t.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let rows = sim.with_state(|s| s.table(crate::sim::router::state::IP_BINDING).map(|t| t.len()).unwrap_or(0));
    anyhow::ensure!(failed == 0 && rows == macs.len(), "upserts: {failed} failed, {rows} rows for {} MACs", macs.len());
    Ok(took)
}
