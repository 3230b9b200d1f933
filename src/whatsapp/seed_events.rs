//! The seed gateway's delivery receipts, read from its real-time events (Socket.IO, through the
//! `rust_socketio` client) and handed to a sink (the notify room moves its message log forward).
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
use crate::domain::MessageStatus;
use crate::shutdown::Shutdown;

const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// A receipt read from one event: the gateway's message id and the state it reached.
#[derive(Debug, PartialEq, Eq)]
pub struct Receipt {
    pub message_id: String,
    pub status: MessageStatus,
}

/// Where receipts go, one at a time, in the order they arrive.
/// Where receipts go, a batch at a time (whatever arrived while the last batch was recorded).
pub type Sink = std::sync::Arc<dyn Fn(Vec<Receipt>) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

/// At most this many receipts are recorded in one go.
const BATCH: usize = 512;
/// Events waiting to be recorded. The socket's callback must never wait (it would stop the
/// client answering the gateway's pings, and the gateway would hang up), so the queue is deep
/// instead: with receipts recorded in batches, only a database stalled for long fills it.
const QUEUE: usize = 65_536;

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

fn status_word(word: &str) -> Option<MessageStatus> {
    match word.to_ascii_lowercase().as_str() {
        "sent" | "server" => Some(MessageStatus::Sent),
        "delivered" | "device" => Some(MessageStatus::Delivered),
        "read" | "played" => Some(MessageStatus::Read),
        "failed" | "error" => Some(MessageStatus::Failed),
        _ => None,
    }
}

fn ack_level(ack: i64) -> Option<MessageStatus> {
    match ack {
        -1 => Some(MessageStatus::Failed),
        1 => Some(MessageStatus::Sent),
        2 => Some(MessageStatus::Delivered),
        3 | 4 => Some(MessageStatus::Read),
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
            Some(Value::Bool(false)) => Some(MessageStatus::Failed),
            _ => body.get("status").and_then(Value::as_str).map_or(Some(MessageStatus::Sent), status_word),
        },
        "message-ack" | "message_ack" => match body.get("ack") {
            Some(ack) => ack.as_i64().and_then(ack_level),
            None => body.get("status").and_then(Value::as_str).and_then(status_word),
        },
        "message-status" => body.get("status").and_then(Value::as_str).and_then(status_word),
        "message-failed" => Some(MessageStatus::Failed),
        _ => None,
    }?;
    Some(Receipt { message_id, status })
}

fn socket_url(base: &str) -> String {
    format!("{}/socket.io/", base.trim_end_matches('/'))
}

/// One listener per configured seed gateway (primary and secondary), until shutdown.
pub fn spawn_listeners(providers: &[&ProviderSettings], sink: Sink, shutdown: &Shutdown) {
    for p in providers.iter().filter(|p| p.kind == ProviderKind::Seed) {
        tokio::spawn(listen((*p).clone(), sink.clone(), shutdown.clone()));
    }
}

/// Connects, applies what arrives, connects again after a failure (doubling waits up to a
/// minute); the client library reconnects a dropped connection itself.
pub async fn listen(provider: ProviderSettings, sink: Sink, shutdown: Shutdown) {
    let (tx, mut rx) = mpsc::channel::<(String, Value)>(QUEUE);
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
                let Some(first) = got else { break };
                // Everything that arrived meanwhile goes with it: one database round per batch,
                // not per receipt, so receipts keep up with a burst of sends.
                let mut batch: Vec<Receipt> = receipt_of(&first.0, &first.1).into_iter().collect();
                while batch.len() < BATCH {
                    let Ok((event, payload)) = rx.try_recv() else { break };
                    batch.extend(receipt_of(&event, &payload));
                }
                if !batch.is_empty() {
                    sink(batch).await;
                }
            }
            _ = shutdown.clone().wait() => break,
        }
    }
    let _ = client.disconnect().await;
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
                if let (Event::Custom(name), Payload::Text(args)) = (event, payload)
                    && tx.try_send((name, Value::Array(args))).is_err()
                {
                    tracing::warn!("seed gateway events arrive faster than they are recorded; one dropped");
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
        let token = secrecy::ExposeSecret::expose_secret(token);
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
        let r = |id: &str, status: &str| Some(Receipt { message_id: id.into(), status: status.parse().unwrap() });
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
