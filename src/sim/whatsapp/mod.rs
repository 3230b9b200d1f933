//! A WhatsApp gateway simulator serving both provider APIs (the seed gateway's and Fonnte's),
//! recording every message in an outbox, with fault modes (down, slow, refusing, undeliverable),
//! the WhatsApp session's pairing states, and both providers' delivery reports: the seed
//! gateway's Socket.IO events ([`socketio`]) and Fonnte's status callback.

mod control;
mod fonnte;
mod socketio;

use control::{kick_sockets, last_code, outbox, set_fonnte_webhook, set_mode, set_session};
use fonnte::{fonnte_device, fonnte_disconnect, fonnte_send};

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Ok,
    /// Every call answers 503.
    Down,
    /// Answers after a delay.
    Slow,
    /// The gateway answers but refuses to send (its WhatsApp session is logged out).
    Refusing,
    /// The gateway accepts messages, then reports that they could not be delivered.
    Undeliverable,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutMessage {
    pub id: String,
    pub api: &'static str,
    pub to: String,
    pub message: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

struct State {
    outbox: Vec<OutMessage>,
    mode: Mode,
    delay: Duration,
    next_id: u64,
    fonnte_token: String,
    calls: u64,
    /// Fonnte's `webhookstatus`: where status callbacks go after each Fonnte send.
    fonnte_status_url: Option<String>,
    /// The gateway's WhatsApp session.
    session: SimSession,
    /// The seed gateway's Socket.IO events, to every connected client.
    pushes: socketio::Pushes,
    socket_clients: usize,
}

impl State {
    /// A new session state, told to Socket.IO clients as the seed gateway does.
    fn set_session(&mut self, next: SimSession) {
        let event = match &next {
            SimSession::Authenticated => ("ready", json!({})),
            SimSession::Pairing { qr } => ("qr", json!({ "qr": qr })),
            SimSession::Disconnected => ("disconnected", json!({ "reason": "LOGOUT" })),
        };
        self.session = next;
        let _ = self.pushes.send(socketio::Push::Event(event.0.into(), event.1));
    }
}

/// The simulated gateway's WhatsApp session: paired, waiting for its QR to be scanned, or
/// dropped (logged out from the phone, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum SimSession {
    Authenticated,
    Pairing { qr: String },
    Disconnected,
}

/// A running gateway simulator.
pub struct WhatsAppSim {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
}

pub const SIM_FONNTE_TOKEN: &str = "sim-fonnte-token";
/// The outbox keeps this many messages.
const OUTBOX_LIMIT: usize = 10_000;

type Shared = web::Data<Arc<Mutex<State>>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Applies the fault mode; `Err` is the response to give instead.
async fn gate(s: &Shared) -> Result<(), HttpResponse> {
    let (mode, delay) = {
        let mut st = lock(s);
        st.calls += 1;
        (st.mode, st.delay)
    };
    match mode {
        Mode::Down => {
            Err(HttpResponse::ServiceUnavailable().json(json!({ "success": false, "message": "gateway down" })))
        }
        Mode::Slow => {
            tokio::time::sleep(delay).await;
            Ok(())
        }
        Mode::Ok | Mode::Refusing | Mode::Undeliverable => Ok(()),
    }
}

fn record(s: &Shared, api: &'static str, to: &str, message: &str) -> Option<String> {
    let mut st = lock(s);
    if st.mode == Mode::Refusing || st.session != SimSession::Authenticated {
        return None;
    }
    st.next_id += 1;
    let id = format!("sim-{}", st.next_id);
    st.outbox.push(OutMessage {
        id: id.clone(),
        api,
        to: to.to_owned(),
        message: message.to_owned(),
        at: chrono::Utc::now(),
    });
    if st.outbox.len() > OUTBOX_LIMIT {
        st.outbox.remove(0);
    }
    Some(id)
}

#[derive(Deserialize)]
struct SeedSend {
    to: String,
    message: String,
    #[serde(rename = "type", default)]
    _kind: Option<String>,
}

async fn seed_send(s: Shared, body: web::Json<SeedSend>) -> HttpResponse {
    if let Err(r) = gate(&s).await {
        return r;
    }
    if !body.to.chars().all(|c| c.is_ascii_digit()) || body.to.len() < 8 {
        return HttpResponse::BadRequest().json(json!({ "success": false, "message": "invalid recipient" }));
    }
    match record(&s, "seed", &body.to, &body.message) {
        Some(id) => {
            let (pushes, deliverable) = {
                let st = lock(&s);
                (st.pushes.clone(), st.mode != Mode::Undeliverable)
            };
            tokio::spawn(socketio::receipts(pushes, id.clone(), body.to.clone(), deliverable));
            HttpResponse::Ok()
                .json(json!({ "success": true, "messageId": id, "timestamp": chrono::Utc::now().timestamp_millis() }))
        }
        None => HttpResponse::Ok().json(json!({ "success": false, "message": "WhatsApp session is not connected" })),
    }
}

async fn seed_qr(s: Shared) -> HttpResponse {
    if let Err(r) = gate(&s).await {
        return r;
    }
    let st = lock(&s);
    if st.mode == Mode::Refusing {
        return HttpResponse::Ok().json(json!({ "status": "disconnected" }));
    }
    match &st.session {
        SimSession::Authenticated => HttpResponse::Ok().json(json!({ "status": "authenticated" })),
        SimSession::Pairing { qr } => HttpResponse::Ok().json(json!({ "status": "loading", "qrCode": qr })),
        SimSession::Disconnected => HttpResponse::Ok().json(json!({ "status": "disconnected" })),
    }
}

fn new_qr() -> String {
    format!("2@sim-{}", uuid::Uuid::new_v4().simple())
}

/// The seed gateway's session reset: logged out, a new QR to scan.
async fn seed_clear(s: Shared) -> HttpResponse {
    if let Err(r) = gate(&s).await {
        return r;
    }
    lock(&s).set_session(SimSession::Pairing { qr: new_qr() });
    HttpResponse::Ok().json(json!({ "success": true, "message": "session cleared; scan the new QR" }))
}

/// `0812…`, `+62812…` or `62812…` → `62812…` (how the gateways receive numbers).
fn digits_of(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    match d.strip_prefix('0') {
        Some(rest) => format!("62{rest}"),
        None => d,
    }
}

pub fn extract_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let w = &bytes[i..i + 6];
        let before = i.checked_sub(1).map(|j| bytes[j].is_ascii_digit()).unwrap_or(false);
        let after = bytes.get(i + 6).is_some_and(u8::is_ascii_digit);
        (w.iter().all(u8::is_ascii_digit) && !before && !after).then(|| String::from_utf8_lossy(w).into_owned())
    })
}

/// The code in the newest message to `to` that carries one: a notice the worker delivers after
/// the code (an approval, a receipt) does not hide it.
fn newest_code(outbox: &[OutMessage], to: &str) -> Option<String> {
    outbox.iter().rev().filter(|m| m.to == to).find_map(|m| extract_code(&m.message))
}

impl WhatsAppSim {
    pub async fn start(listen: SocketAddr) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State {
            outbox: Vec::new(),
            mode: Mode::Ok,
            delay: Duration::from_millis(2_000),
            next_id: 0,
            fonnte_token: SIM_FONNTE_TOKEN.to_owned(),
            calls: 0,
            fonnte_status_url: None,
            session: SimSession::Authenticated,
            pushes: socketio::channel(),
            socket_clients: 0,
        }));
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/api/whatsapp/send-message", web::post().to(seed_send))
                .route("/api/whatsapp/qr-code", web::get().to(seed_qr))
                .route("/api/whatsapp/clear-session", web::post().to(seed_clear))
                .route("/disconnect", web::post().to(fonnte_disconnect))
                .route("/_sim/session", web::post().to(set_session))
                .route("/send", web::post().to(fonnte_send))
                .route("/device", web::post().to(fonnte_device))
                .route("/_sim/outbox", web::get().to(outbox))
                .route("/_sim/last-code", web::get().to(last_code))
                .route("/_sim/mode", web::post().to(set_mode))
                .route("/_sim/fonnte-webhook", web::post().to(set_fonnte_webhook))
                .route("/_sim/kick-sockets", web::post().to(kick_sockets))
                .route("/socket.io/", web::get().to(socketio::endpoint))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { state, addr, handle })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).mode = mode;
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).delay = delay;
    }

    /// The WhatsApp session: paired, pairing (a new QR) or dropped.
    pub fn set_session(&self, session: SimSession) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).set_session(session);
    }

    /// How many Socket.IO clients are connected.
    pub fn socket_clients(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).socket_clients
    }

    /// Pushes one event to every Socket.IO client, as the gateway would (a late or odd report).
    pub fn push_event(&self, name: &str, payload: serde_json::Value) {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let _ = st.pushes.send(socketio::Push::Event(name.into(), payload));
    }

    /// Drops every Socket.IO connection (a gateway restart).
    pub fn kick_sockets(&self) {
        let _ = self.state.lock().unwrap_or_else(|e| e.into_inner()).pushes.send(socketio::Push::Kick);
    }

    pub fn session(&self) -> SimSession {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).session.clone()
    }

    /// Fonnte's device setting `webhookstatus`: where status callbacks go.
    pub fn set_fonnte_status_url(&self, url: Option<String>) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).fonnte_status_url = url;
    }

    pub fn outbox(&self) -> Vec<OutMessage> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).outbox.clone()
    }

    pub fn calls(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).calls
    }

    /// The newest code sent to `to` (any phone form).
    pub fn last_code(&self, to: &str) -> Option<String> {
        newest_code(&self.outbox(), &digits_of(to))
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_only_as_whole_six_digit_runs() {
        assert_eq!(extract_code("Kode verifikasi hotspot Anda: 123456\n\nBerlaku 5 menit"), Some("123456".into()));
        assert_eq!(extract_code("call 08123456789 now"), None);
        assert_eq!(extract_code("no code"), None);
        assert_eq!(extract_code("654321"), Some("654321".into()));
    }

    #[test]
    fn a_later_notice_does_not_hide_the_code() {
        let at = chrono::Utc::now();
        let m = |to: &str, message: &str| OutMessage {
            id: "x".into(),
            api: "seed",
            to: to.into(),
            message: message.into(),
            at,
        };
        let outbox = vec![
            m("628111", "Kode verifikasi hotspot Anda: 111111"),
            m("628222", "Kode verifikasi hotspot Anda: 222222"),
            m("628111", "Akun hotspot Anda sudah aktif."),
        ];
        assert_eq!(newest_code(&outbox, "628111").as_deref(), Some("111111"));
        assert_eq!(newest_code(&outbox, "628333"), None);
    }

    #[test]
    fn recipient_forms() {
        assert_eq!(digits_of("081234567890"), "6281234567890");
        assert_eq!(digits_of("+6281234567890"), "6281234567890");
        assert_eq!(digits_of("6281234567890"), "6281234567890");
    }
}
