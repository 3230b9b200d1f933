//! The seed gateway's delivery receipts, read from its real-time events (Socket.IO, through the
//! `rust_socketio` client) and applied to the message log, forward only.
//!
//! The gateway pushes `message-sent` when a message leaves it and `message-ack` as WhatsApp
//! acknowledges it (levels -1 error, 1 server, 2 delivered, 3 read, 4 played); some builds send
//! `message-status` `{messageId, status}` instead. Events pushed while no listener is connected
//! are lost (Socket.IO does not replay): the message stays at its last state.

use std::time::Duration;

use futures_util::FutureExt;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::{ProviderKind, ProviderSettings};
use crate::db::Db;
use crate::shutdown::Shutdown;
use crate::whatsapp::messenger::record_delivery;

/// The provider name the seed gateway's messages carry in `message_log`.
const PROVIDER: &str = "seed";
/// A receipt can overtake the send's answer (the row has no provider id yet): tried again once.
const RETRY_AFTER: Duration = Duration::from_secs(2);
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// A receipt read from one event: the gateway's message id and the state it reached.
#[derive(Debug, PartialEq, Eq)]
pub struct Receipt {
    pub message_id: String,
    pub status: &'static str,
}

/// The gateway's message id as it appears in events: a string, a number, or whatsapp-web.js's
/// `{_serialized: …}`.
fn id_of(v: &Value) -> Option<String> {
    let id = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => return o.get("_serialized").and_then(id_of),
        _ => return None,
    };
    (!id.is_empty() && id.len() <= 200).then_some(id)
}

fn status_word(word: &str) -> Option<&'static str> {
    match word.to_ascii_lowercase().as_str() {
        "sent" | "server" => Some("sent"),
        "delivered" | "device" => Some("delivered"),
        "read" | "played" => Some("read"),
        "failed" | "error" => Some("failed"),
        _ => None,
    }
}

fn ack_level(ack: i64) -> Option<&'static str> {
    match ack {
        -1 => Some("failed"),
        1 => Some("sent"),
        2 => Some("delivered"),
        3 | 4 => Some("read"),
        _ => None,
    }
}

/// One event → the receipt it carries; `None` for events that are not about a message's delivery
/// or that move nothing (ack 0: still pending).
pub fn receipt_of(event: &str, payload: &Value) -> Option<Receipt> {
    // Socket.IO hands the event's arguments as a list; the receipt is the first.
    let body = match payload {
        Value::Array(args) => args.first()?,
        other => other,
    };
    let message_id = ["messageId", "message_id", "id"].iter().find_map(|k| body.get(*k).and_then(id_of))?;
    let status = match event {
        "message-sent" => match body.get("success") {
            Some(Value::Bool(false)) => Some("failed"),
            _ => body.get("status").and_then(Value::as_str).map_or(Some("sent"), status_word),
        },
        "message-ack" | "message_ack" => match body.get("ack") {
            Some(ack) => ack.as_i64().and_then(ack_level),
            None => body.get("status").and_then(Value::as_str).and_then(status_word),
        },
        "message-status" => body.get("status").and_then(Value::as_str).and_then(status_word),
        "message-failed" => Some("failed"),
        _ => None,
    }?;
    Some(Receipt { message_id, status })
}

fn socket_url(base: &str) -> String {
    format!("{}/socket.io/", base.trim_end_matches('/'))
}

/// One listener per configured seed gateway (primary and secondary), until shutdown.
pub fn spawn_listeners(db: &Db, providers: &[&ProviderSettings], shutdown: &Shutdown) {
    for p in providers.iter().filter(|p| p.kind == ProviderKind::Seed) {
        tokio::spawn(listen(db.clone(), (*p).clone(), shutdown.clone()));
    }
}

/// Connects, applies what arrives, connects again after a failure (doubling waits up to a
/// minute); the client library reconnects a dropped connection itself.
pub async fn listen(db: Db, provider: ProviderSettings, shutdown: Shutdown) {
    let (tx, mut rx) = mpsc::channel::<(String, Value)>(4096);
    let mut backoff = BACKOFF_MIN;
    let client = loop {
        if shutdown.is_triggered() {
            return;
        }
        match connect(&provider, tx.clone()).await {
            Ok(c) => {
                tracing::info!("listening to the seed gateway's events");
                break c;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_s = backoff.as_secs(), "cannot reach the seed gateway's events");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.clone().wait() => return,
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    };
    loop {
        tokio::select! {
            got = rx.recv() => {
                let Some((event, payload)) = got else { break };
                if let Some(r) = receipt_of(&event, &payload) {
                    apply(&db, r).await;
                }
            }
            _ = shutdown.clone().wait() => break,
        }
    }
    let _ = client.disconnect().await;
}

async fn apply(db: &Db, r: Receipt) {
    match record_delivery(db, PROVIDER.into(), r.message_id.clone(), r.status).await {
        Ok(true) => {}
        // Not moved: already further along, or the send's answer is not recorded yet.
        Ok(false) => {
            let db = db.clone();
            tokio::spawn(async move {
                tokio::time::sleep(RETRY_AFTER).await;
                if let Err(e) = record_delivery(&db, PROVIDER.into(), r.message_id, r.status).await {
                    tracing::warn!(error = %e, "a seed delivery receipt could not be recorded");
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "a seed delivery receipt could not be recorded"),
    }
}

async fn connect(p: &ProviderSettings, tx: mpsc::Sender<(String, Value)>) -> Result<Client, rust_socketio::Error> {
    let mut builder = ClientBuilder::new(socket_url(&p.base_url))
        .transport_type(TransportType::Websocket)
        .reconnect(true)
        .reconnect_on_disconnect(true)
        .reconnect_delay(BACKOFF_MIN.as_millis() as u64, BACKOFF_MAX.as_millis() as u64)
        .on_any(move |event, payload, _| {
            let tx = tx.clone();
            async move {
                if let (Event::Custom(name), Payload::Text(args)) = (event, payload) {
                    // A full queue means the database is far behind: drop rather than grow.
                    if tx.try_send((name, Value::Array(args))).is_err() {
                        tracing::warn!("seed gateway events arrive faster than they are recorded; one dropped");
                    }
                }
            }
            .boxed()
        })
        .on(Event::Error, |err, _| {
            async move {
                if let Payload::Text(args) = err {
                    tracing::debug!(error = ?args, "seed gateway events");
                }
            }
            .boxed()
        });
    if let Some(token) = &p.token {
        builder = builder
            .opening_header("Authorization", format!("Bearer {token}"))
            .auth(serde_json::json!({ "token": token }));
    }
    builder.connect().await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn receipts_from_events() {
        let r = |id: &str, status: &'static str| Some(Receipt { message_id: id.into(), status });
        let cases = [
            ("message-sent", json!([{ "messageId": "m1", "to": "628", "status": "sent" }]), r("m1", "sent")),
            ("message-sent", json!([{ "messageId": "m1" }]), r("m1", "sent")),
            ("message-sent", json!([{ "messageId": "m1", "success": false }]), r("m1", "failed")),
            ("message-ack", json!([{ "messageId": "m1", "ack": 2 }]), r("m1", "delivered")),
            ("message-ack", json!([{ "messageId": "m1", "ack": 3 }]), r("m1", "read")),
            ("message-ack", json!([{ "messageId": "m1", "ack": 4 }]), r("m1", "read")),
            ("message-ack", json!([{ "messageId": "m1", "ack": -1 }]), r("m1", "failed")),
            ("message-ack", json!([{ "messageId": "m1", "ack": 0 }]), None),
            (
                "message_ack",
                json!([{ "id": { "_serialized": "true_628@c.us_AB" }, "ack": 1 }]),
                r("true_628@c.us_AB", "sent"),
            ),
            ("message-ack", json!([{ "messageId": 42, "status": "delivered" }]), r("42", "delivered")),
            ("message-status", json!([{ "messageId": "m1", "status": "READ" }]), r("m1", "read")),
            ("message-status", json!([{ "messageId": "m1", "status": "pending" }]), None),
            ("message-failed", json!([{ "messageId": "m1", "error": "not on WhatsApp" }]), r("m1", "failed")),
            ("message-ack", json!([{ "ack": 2 }]), None),
            ("message-ack", json!([{ "messageId": "", "ack": 2 }]), None),
            ("message-ack", json!([]), None),
            ("qr", json!([{ "qr": "2@abc" }]), None),
            ("ready", json!([{}]), None),
        ];
        for (event, payload, want) in cases {
            assert_eq!(receipt_of(event, &payload), want, "{event} {payload}");
        }
    }

    #[test]
    fn the_socket_path_follows_the_base() {
        assert_eq!(socket_url("http://gw:3000"), "http://gw:3000/socket.io/");
        assert_eq!(socket_url("http://gw:3000/"), "http://gw:3000/socket.io/");
    }
}
