//! A Telegram Bot API simulator speaking the parts we use: `POST /bot{token}/sendMessage`
//! (JSON `{chat_id, text}`, answered `{ok, result}` or `{ok: false, error_code, description}` as
//! the Bot API does: 401 for a wrong token, 400 for a chat the bot cannot reach) and
//! `getMe`; and, as Telegram does, updates POSTed to the bot's webhook with the
//! `X-Telegram-Bot-Api-Secret-Token` header (`press_start`: a person opening the bot's deep link).
//! Faults: down (502, as Telegram's edge answers), chats that blocked the bot.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One message the bot sent.
#[derive(Debug, Clone, Serialize)]
pub struct SentMessage {
    pub chat_id: i64,
    pub text: String,
}

struct State {
    token: String,
    username: String,
    down: bool,
    blocked: HashSet<i64>,
    outbox: Vec<SentMessage>,
    next_id: i64,
}

type Shared = Arc<Mutex<State>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct TelegramSim {
    state: Shared,
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct SendMessage {
    chat_id: Value,
    text: String,
}

fn refused(code: u16, description: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(json!({ "ok": false, "error_code": code, "description": description }))
}

async fn method(state: web::Data<Shared>, path: web::Path<(String, String)>, body: web::Bytes) -> HttpResponse {
    let (token, name) = path.into_inner();
    let mut st = lock(&state);
    if st.down {
        return HttpResponse::BadGateway().body("Bad Gateway");
    }
    if token != st.token {
        return refused(401, "Unauthorized");
    }
    match name.as_str() {
        "getMe" => HttpResponse::Ok().json(json!({ "ok": true, "result": {
            "id": 7_000_000_001_i64, "is_bot": true, "first_name": "Hotspot", "username": st.username } })),
        "sendMessage" => {
            let Ok(m) = serde_json::from_slice::<SendMessage>(&body) else {
                return refused(400, "Bad Request: message text is empty");
            };
            let chat = m.chat_id.as_i64().or_else(|| m.chat_id.as_str().and_then(|s| s.parse().ok()));
            let Some(chat) = chat else { return refused(400, "Bad Request: chat not found") };
            if m.text.is_empty() || m.text.chars().count() > 4096 {
                return refused(400, "Bad Request: message text is empty or too long");
            }
            if st.blocked.contains(&chat) {
                return refused(403, "Forbidden: bot was blocked by the user");
            }
            st.next_id += 1;
            let id = st.next_id;
            st.outbox.push(SentMessage { chat_id: chat, text: m.text.clone() });
            HttpResponse::Ok().json(json!({ "ok": true, "result": {
                "message_id": id, "date": Utc::now().timestamp(), "chat": { "id": chat, "type": "private" }, "text": m.text } }))
        }
        _ => refused(404, "Not Found"),
    }
}

async fn outbox(state: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&lock(&state).outbox)
}

impl TelegramSim {
    pub async fn start(listen: SocketAddr, token: &str, username: &str) -> std::io::Result<Self> {
        crate::ensure_crypto_provider();
        let state: Shared = Arc::new(Mutex::new(State {
            token: token.to_owned(),
            username: username.to_owned(),
            down: false,
            blocked: HashSet::new(),
            outbox: Vec::new(),
            next_id: 0,
        }));
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/bot{token}/{method}", web::post().to(method))
                .route("/_sim/outbox", web::get().to(outbox))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { state, addr, handle, http })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_down(&self, down: bool) {
        lock(&self.state).down = down;
    }

    /// The chat blocked the bot: messages to it are refused (403).
    pub fn block_chat(&self, chat: i64) {
        lock(&self.state).blocked.insert(chat);
    }

    pub fn outbox(&self) -> Vec<SentMessage> {
        lock(&self.state).outbox.clone()
    }

    /// A person opens the bot's deep link and presses Start: Telegram POSTs the `/start <payload>`
    /// update to the webhook with the secret header. Returns the webhook's HTTP status.
    pub async fn press_start(&self, webhook: &str, secret: &str, chat: i64, username: &str, payload: &str) -> u16 {
        let update = json!({
            "update_id": Utc::now().timestamp_millis(),
            "message": {
                "message_id": 1,
                "date": Utc::now().timestamp(),
                "chat": { "id": chat, "type": "private", "username": username },
                "from": { "id": chat, "is_bot": false, "first_name": "Pengguna", "username": username },
                "text": format!("/start {payload}"),
                "entities": [{ "offset": 0, "length": 6, "type": "bot_command" }]
            }
        });
        match self.http.post(webhook).header("X-Telegram-Bot-Api-Secret-Token", secret).json(&update).send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        }
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}
