//! The seed gateway's real-time side: Socket.IO (protocol 5) over Engine.IO 4's websocket
//! transport at `/socket.io/`, pushing the gateway's events to every connected client.
//!
//! Events (each `42["name", {…}]` on the wire):
//! - `message-sent` `{messageId, to, status: "sent", timestamp}` once a message left the gateway;
//! - `message-ack` `{messageId, ack}` with WhatsApp's acknowledgement levels (-1 error, 1 server,
//!   2 delivered to the phone, 3 read, 4 played);
//! - `qr` `{qr}`, `ready` `{}`, `disconnected` `{reason}` as the WhatsApp session changes.
//!
//! Only the websocket transport is served (a client asking for long-polling gets Engine.IO's
//! "Transport unknown"), which is what a websocket-only client opens.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::Message;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::{Shared, gate, lock};

/// What the gateway pushes to its Socket.IO clients.
#[derive(Debug, Clone)]
pub enum Push {
    Event(String, Value),
    /// Closes every connection (a gateway restart, a proxy dropping idle sockets).
    Kick,
}

pub type Pushes = broadcast::Sender<Push>;

pub fn channel() -> Pushes {
    // A real gateway buffers what it has to emit; the simulator keeps a burst of this many
    // events for a slow listener before it would drop any.
    broadcast::channel(65_536).0
}

/// Engine.IO's heartbeat: the server pings, the client must answer within the timeout.
const PING_INTERVAL: Duration = Duration::from_secs(25);
const PING_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Deserialize)]
pub(super) struct Handshake {
    #[serde(rename = "EIO")]
    eio: Option<String>,
    transport: Option<String>,
}

fn engine_error(code: u8, message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "code": code, "message": message }))
}

pub(super) async fn endpoint(
    s: Shared,
    req: HttpRequest,
    body: web::Payload,
    q: web::Query<Handshake>,
) -> Result<HttpResponse, actix_web::Error> {
    if let Err(r) = gate(&s).await {
        return Ok(r);
    }
    if q.eio.as_deref() != Some("4") {
        return Ok(engine_error(5, "Unsupported protocol version"));
    }
    if q.transport.as_deref() != Some("websocket") {
        return Ok(engine_error(0, "Transport unknown"));
    }
    let (res, session, stream) = actix_ws::handle(&req, body)?;
    let rx = {
        let mut st = lock(&s);
        st.socket_clients += 1;
        st.pushes.subscribe()
    };
    let counter = s.clone();
    actix_web::rt::spawn(async move {
        serve(session, stream, rx).await;
        lock(&counter).socket_clients -= 1;
    });
    Ok(res)
}

fn sid() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..20].to_owned()
}

/// One client's connection until either side closes it or the heartbeat fails.
async fn serve(mut session: actix_ws::Session, mut stream: actix_ws::MessageStream, mut rx: broadcast::Receiver<Push>) {
    let open = json!({
        "sid": sid(), "upgrades": [], "pingInterval": PING_INTERVAL.as_millis() as u64,
        "pingTimeout": PING_TIMEOUT.as_millis() as u64, "maxPayload": 1_000_000,
    });
    if session.text(format!("0{open}")).await.is_err() {
        return;
    }
    let mut joined = false;
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut awaiting_pong: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            msg = stream.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Ping(b))) => {
                        if session.pong(&b).await.is_err() { return; }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                match engine_reply(&text, &mut joined) {
                    Reply::Send(out) => if session.text(out).await.is_err() { return },
                    Reply::Pong => awaiting_pong = None,
                    Reply::Nothing => {}
                    Reply::Close => break,
                }
            }
            push = rx.recv() => match push {
                Ok(Push::Event(name, payload)) if joined => {
                    if session.text(format!("42{}", json!([name, payload]))).await.is_err() { return; }
                }
                Ok(Push::Event(..)) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Ok(Push::Kick) | Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = ping.tick() => {
                if awaiting_pong.is_some_and(|since| since.elapsed() > PING_TIMEOUT) {
                    break;
                }
                if session.text("2").await.is_err() { return; }
                awaiting_pong.get_or_insert_with(tokio::time::Instant::now);
            }
        }
    }
    let _ = session.close(None).await;
}

#[derive(Debug, PartialEq)]
enum Reply {
    Send(String),
    Pong,
    Nothing,
    Close,
}

/// The server's answer to one Engine.IO packet from the client.
fn engine_reply(text: &str, joined: &mut bool) -> Reply {
    match text.as_bytes().first() {
        Some(b'3') => Reply::Pong,
        // Engine.IO 3 clients ping; answer in kind.
        Some(b'2') => Reply::Send(format!("3{}", &text[1..])),
        Some(b'1') => Reply::Close,
        Some(b'4') => match text.as_bytes().get(1) {
            // CONNECT to the main namespace (an auth object may follow).
            Some(b'0') if text[2..].is_empty() || text[2..].starts_with('{') => {
                *joined = true;
                Reply::Send(format!("40{}", json!({ "sid": sid() })))
            }
            Some(b'0') => Reply::Send(format!("44{}", json!({ "message": "Invalid namespace" }))),
            Some(b'1') => Reply::Close,
            _ => Reply::Nothing,
        },
        _ => Reply::Nothing,
    }
}

/// What a seed send reports afterwards: sent, then delivered and read — or an error ack when the
/// gateway is in its undeliverable mode.
pub(super) async fn receipts(pushes: Pushes, id: String, to: String, deliverable: bool) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let now = chrono::Utc::now().timestamp_millis();
    let _ = pushes.send(Push::Event(
        "message-sent".into(),
        json!({ "messageId": id, "to": to, "status": "sent", "timestamp": now }),
    ));
    let acks: &[i64] = if deliverable { &[2, 3] } else { &[-1] };
    for ack in acks {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = pushes.send(Push::Event("message-ack".into(), json!({ "messageId": id, "ack": ack })));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_packets() {
        // (packet in, joined before, the reply's kind or the prefix of what is sent, joined after)
        let cases: &[(&str, bool, &str, bool)] = &[
            ("3", false, "pong", false),
            ("2probe", false, "3probe", false),
            ("40", false, "40{\"sid\":", true),
            ("40{\"token\":\"t\"}", false, "40{\"sid\":", true),
            ("40/admin,", false, "44{", false),
            ("41", true, "close", true),
            ("1", true, "close", true),
            ("6", false, "nothing", false),
            ("", false, "nothing", false),
        ];
        for (input, before, want, after) in cases {
            let mut joined = *before;
            let got = match engine_reply(input, &mut joined) {
                // The ids are random: a sent packet is checked by its start.
                Reply::Send(out) if out.starts_with(want) => *want,
                Reply::Send(_) => "something else sent",
                Reply::Pong => "pong",
                Reply::Nothing => "nothing",
                Reply::Close => "close",
            };
            assert_eq!((got, joined), (*want, *after), "{input}");
        }
    }
}
