//! A line-based control port for the simulator: one command per line, one JSON object per
//! answer (`nc`), or one command per HTTP request with the words as path segments
//! (`curl http://127.0.0.1:18729/show/bindings`, `…/advance/60`, `…/fault/latency/200`).
//!
//! ```text
//! seed 100 | host add MAC IP | host remove MAC | host traffic MAC BYTES | host login MAC USER PASSWORD
//! host idle MAC SECS
//! arp add IP MAC | lease add IP MAC
//! advance SECS | reboot | drop
//! fault latency MS | fault stall TEXT|off | fault drop N | fault login refuse|accept
//! fault max-sessions N | fault empty on|off | fault tag second|last | fault legacy on|off
//! fault down on|off | fault clear
//! show stats | show hosts | show bindings | show address-list | show leases | show users | show active
//! truth MAC
//! ```

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::state::{self, RouterState};
use super::{SimRouter, TagPosition};
use crate::domain::MacAddress;

/// Serves the control port until the task is dropped.
pub async fn serve(listen: SocketAddr, sim: Arc<SimRouter>) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(listen).await?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let sim = sim.clone();
            tokio::spawn(async move {
                let (rd, mut wr) = stream.into_split();
                let mut lines = BufReader::new(rd).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    // `curl http://control/show/bindings`: the path's segments are the command.
                    if let Some(path) = line.strip_prefix("GET ").or_else(|| line.strip_prefix("POST ")) {
                        while let Ok(Some(h)) = lines.next_line().await {
                            if h.is_empty() {
                                break;
                            }
                        }
                        let target = path.split_whitespace().next().unwrap_or("/");
                        let command = percent_decode(target).trim_matches('/').replace('/', " ");
                        let (status, answer) = match run(&sim, &command) {
                            Ok(v) => ("200 OK", json!({ "ok": true, "result": v })),
                            Err(e) => ("400 Bad Request", json!({ "ok": false, "error": e })),
                        };
                        let body = format!("{answer}\n");
                        let head = format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = wr.write_all(head.as_bytes()).await;
                        let _ = wr.write_all(body.as_bytes()).await;
                        break;
                    }
                    let answer = match run(&sim, &line) {
                        Ok(v) => json!({ "ok": true, "result": v }),
                        Err(e) => json!({ "ok": false, "error": e }),
                    };
                    if wr.write_all(format!("{answer}\n").as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    }))
}

/// `%3A` → `:` and friends, for MACs in control URLs.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        if let (b'%', Some(h), Some(l)) = (b[i], hex(i + 1), hex(i + 2)) {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn on_off(v: Option<&str>) -> Result<bool, String> {
    match v {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => Err("expected on|off".into()),
    }
}

fn mac(v: Option<&str>) -> Result<MacAddress, String> {
    MacAddress::parse(v.unwrap_or("")).map_err(|e| e.to_string())
}

fn ipv4(v: Option<&str>) -> Result<Ipv4Addr, String> {
    v.unwrap_or("").parse().map_err(|_| "expected an IPv4 address".to_string())
}

fn num<T: std::str::FromStr>(v: Option<&str>) -> Result<T, String> {
    v.unwrap_or("").parse().map_err(|_| "expected a number".to_string())
}

fn rows(s: &RouterState, path: &str) -> Value {
    let Some(t) = s.table(path) else {
        return json!([]);
    };
    t.rows()
        .map(|r| {
            let mut m: BTreeMap<String, String> = r.attrs.clone();
            m.insert(".id".into(), state::format_id(r.id));
            json!(m)
        })
        .collect()
}

/// Runs one control command.
pub fn run(sim: &SimRouter, line: &str) -> Result<Value, String> {
    let mut it = line.split_whitespace();
    let cmd = it.next().unwrap_or("");
    let a = it.next();
    let b = it.next();
    let c = it.next();
    let d = it.next();
    match (cmd, a) {
        ("seed", _) => {
            let n: usize = num(a)?;
            sim.seed_hosts(n);
            Ok(json!({ "hosts": sim.with_state(|s| s.hosts.len()) }))
        }
        ("host", Some("add")) => {
            let (m, ip) = (mac(b)?, ipv4(c)?);
            sim.with_state(|s| s.add_host(m, ip));
            Ok(json!(null))
        }
        // The phone's browser posting the hotspot's login form.
        ("host", Some("login")) => {
            let m = mac(b)?;
            let (user, password) = (c.ok_or("expected USER")?, d.ok_or("expected PASSWORD")?);
            sim.with_state(|s| s.host_login(&m, user, password))?;
            Ok(json!(null))
        }
        // A burst of traffic: `host traffic MAC BYTES` (a download the next sync charges).
        ("host", Some("traffic")) => {
            let m = mac(b)?;
            let bytes: u64 = c.and_then(|v| v.parse().ok()).ok_or("expected BYTES")?;
            Ok(json!({ "added": sim.with_state(|s| s.add_traffic(&m, bytes)) }))
        }
        // The phone goes quiet: no more traffic, idle for SECS already.
        ("host", Some("idle")) => {
            let m = mac(b)?;
            let secs: u64 = c.and_then(|v| v.parse().ok()).ok_or("expected SECS")?;
            Ok(json!({ "idle": sim.with_state(|s| s.set_idle(&m, secs)) }))
        }
        ("host", Some("remove")) => {
            let m = mac(b)?;
            Ok(json!({ "removed": sim.with_state(|s| s.remove_host(&m)) }))
        }
        ("arp" | "lease", Some("add")) => {
            let (ip, m) = (ipv4(b)?, mac(c)?);
            add_neighbour(sim, cmd == "arp", ip, m);
            Ok(json!(null))
        }
        ("advance", _) => {
            let secs: u64 = num(a)?;
            sim.advance(secs);
            Ok(json!({ "uptime": sim.with_state(|s| s.uptime) }))
        }
        ("reboot", _) => {
            sim.reboot();
            Ok(json!(null))
        }
        ("drop", _) => {
            sim.drop_connections();
            Ok(json!(null))
        }
        ("fault", Some(kind)) => fault(sim, kind, b),
        ("show", Some(what)) => show(sim, what),
        ("truth", _) => {
            let m = mac(a)?;
            Ok(json!({ "lifetime_bytes": sim.with_state(|s| s.lifetime_bytes.get(&m).copied().unwrap_or(0)) }))
        }
        _ => Err(format!("unknown command {line:?}")),
    }
}

/// An ARP entry or a DHCP lease (`arp add IP MAC`, `lease add IP MAC`), as the router keeps them.
fn add_neighbour(sim: &SimRouter, arp: bool, ip: std::net::Ipv4Addr, m: crate::domain::MacAddress) {
    let path = if arp { state::ARP } else { state::DHCP_LEASE };
    sim.with_state(|s| {
        let mut attrs = BTreeMap::new();
        attrs.insert("address".to_owned(), ip.to_string());
        attrs.insert("mac-address".to_owned(), m.canonical());
        attrs.insert("dynamic".to_owned(), "true".to_owned());
        attrs.insert("disabled".to_owned(), "false".to_owned());
        if arp {
            attrs.insert("interface".to_owned(), "bridge-hotspot".to_owned());
            attrs.insert("status".to_owned(), "reachable".to_owned());
        } else {
            attrs.insert("status".to_owned(), "bound".to_owned());
            attrs.insert("server".to_owned(), "dhcp-hotspot".to_owned());
        }
        s.table_mut(path).map(|t| t.insert(attrs))
    });
}

/// `fault KIND VALUE`: latency, stalls, dropped sentences, refused logins, session limits,
/// `!empty` replies, the tag's position, the legacy login, down; `fault clear`.
fn fault(sim: &SimRouter, kind: &str, b: Option<&str>) -> Result<Value, String> {
    let mut err = None;
    sim.set_faults(|f| {
        let r: Result<(), String> = (|| {
            match kind {
                "latency" => f.latency = Duration::from_millis(num(b)?),
                "stall" => f.stall = if b == Some("off") { None } else { Some(b.unwrap_or("").to_owned()) },
                "drop" => f.drop_mid_sentence = num(b)?,
                "login" => f.refuse_login = b == Some("refuse"),
                "max-sessions" => f.max_sessions = num(b)?,
                "empty" => f.empty_replies = on_off(b)?,
                "tag" => f.tag_position = if b == Some("last") { TagPosition::Last } else { TagPosition::Second },
                "legacy" => f.legacy_login = on_off(b)?,
                "down" => f.down = on_off(b)?,
                "clear" => *f = super::Faults::default(),
                _ => return Err(format!("unknown fault {kind}")),
            }
            Ok(())
        })();
        err = r.err();
    });
    if kind == "down" && b == Some("on") {
        sim.drop_connections();
    }
    err.map_or(Ok(json!(null)), Err)
}

/// `show stats|hosts|bindings|address-list|users|active`.
fn show(sim: &SimRouter, what: &str) -> Result<Value, String> {
    sim.with_state(|s| {
        Ok(match what {
            "stats" => json!({ "sim": sim.stats(), "hosts": s.hosts.len(), "uptime": s.uptime, "boots": s.boots }),
            "hosts" => s
                .hosts
                .iter()
                .take(1000)
                .map(|h| json!({ ".id": state::format_id(h.id), "mac-address": h.mac.canonical(), "address": h.address.to_string(), "bytes-in": h.bytes_in, "bytes-out": h.bytes_out }))
                .collect(),
            "bindings" => rows(s, state::IP_BINDING),
            "address-list" => rows(s, state::ADDRESS_LIST),
            "leases" => rows(s, state::DHCP_LEASE),
            "users" => rows(s, state::HOTSPOT_USER),
            "active" => rows(s, state::ACTIVE),
            other => return Err(format!("unknown table {other}")),
        })
    })
}
