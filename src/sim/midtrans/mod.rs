//! A Midtrans simulator speaking the parts of its protocol we use: Snap (`POST
//! /snap/v1/transactions`, HTTP Basic with the server key; `/snap/snap.js` for the browser),
//! the Core API's charges and cancel (`core.rs`), the status API (`GET /v2/{order_id}/status`), and signed HTTP notifications sent to the
//! merchant (each sent twice, as Midtrans resends; retried on a non-2xx answer). A control API
//! (`/_sim/…`) pays, expires, denies, cancels or refunds a transaction, and sets faults: down
//! (503), slow, or notifications signed with a wrong key.

mod control;
mod core;
mod pages;

use control::{Notifier, action_status, control, deliveries, list, pay_token, resend, set_mode};

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::midtrans::signature;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Ok,
    /// Every API call answers 503.
    Down,
    /// API calls answer after the configured delay.
    Slow,
    /// Notifications carry a signature made with another key.
    BadSignature,
}

/// One transaction as Midtrans holds it.
#[derive(Debug, Clone, Serialize)]
pub struct SimTx {
    pub order_id: String,
    pub gross_amount: i64,
    pub token: String,
    /// `None` until the buyer picks a payment method (the status API answers 404 meanwhile).
    pub status: Option<String>,
    pub fraud_status: Option<String>,
    pub transaction_id: String,
    pub payment_type: String,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    pub notify_url: Option<String>,
    pub customer: Value,
    /// A Core API charge's own fields (VA numbers, bill key, QR string, actions), echoed in
    /// its notifications and status.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, Value>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One notification delivery attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub order_id: String,
    pub transaction_status: String,
    /// The merchant's HTTP status, or 0 when it could not be reached.
    pub http_status: u16,
    pub at: DateTime<Utc>,
}

struct State {
    server_key: String,
    mode: Mode,
    delay: Duration,
    txs: HashMap<String, SimTx>,
    tokens: HashMap<String, String>,
    notify_url: Option<String>,
    /// How many times each notification is sent.
    sends: u32,
    deliveries: Vec<Delivery>,
    calls: u64,
}

type Shared = web::Data<Arc<Mutex<State>>>;

fn lock(s: &Arc<Mutex<State>>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct MidtransSim {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    http: reqwest::Client,
}

/// Applies the fault mode and the server key; `Err` is the answer to give instead.
async fn gate(s: &Shared, req: &HttpRequest) -> Result<(), HttpResponse> {
    let (mode, delay, key) = {
        let mut st = lock(s);
        st.calls += 1;
        (st.mode, st.delay, st.server_key.clone())
    };
    match mode {
        Mode::Down => {
            return Err(HttpResponse::ServiceUnavailable()
                .json(json!({ "status_code": "503", "status_message": "Midtrans is down (simulated)" })));
        }
        Mode::Slow => tokio::time::sleep(delay).await,
        Mode::Ok | Mode::BadSignature => {}
    }
    let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:")));
    if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
        return Err(HttpResponse::Unauthorized().json(json!({
            "status_code": "401",
            "error_messages": ["Access denied due to unauthorized transaction, please check client or server key"],
        })));
    }
    Ok(())
}

/// The order id and amount Snap and the Core API both check the same way.
fn details(body: &Value) -> Result<(&str, i64), &'static str> {
    let d = &body["transaction_details"];
    let order_id = d["order_id"].as_str().filter(|o| !o.is_empty() && o.len() <= 50);
    let order_id = order_id.ok_or("transaction_details.order_id is required")?;
    let amount = d["gross_amount"].as_i64().filter(|a| *a >= 1);
    let amount = amount.ok_or("transaction_details.gross_amount must be a whole number of at least 1")?;
    if let Some(items) = body["item_details"].as_array() {
        let sum: i64 =
            items.iter().map(|i| i["price"].as_i64().unwrap_or(0) * i["quantity"].as_i64().unwrap_or(0)).sum();
        if sum != amount {
            return Err("transaction_details.gross_amount is not equal to the sum of item_details");
        }
    }
    Ok((order_id, amount))
}

fn bad_request(msg: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error_messages": [msg] }))
}

async fn snap_create(s: Shared, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    if let Err(r) = gate(&s, &req).await {
        return r;
    }
    let (order_id, amount) = match details(&body) {
        Ok(d) => d,
        Err(why) => return bad_request(why),
    };
    let override_url = req.headers().get("X-Override-Notification").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let base = format!("http://{}", req.connection_info().host());
    let mut st = lock(&s);
    if st.txs.contains_key(order_id) {
        return bad_request("transaction_details.order_id has already been taken");
    }
    let token = uuid::Uuid::new_v4().to_string();
    let tx = SimTx {
        order_id: order_id.to_owned(),
        gross_amount: amount,
        token: token.clone(),
        status: None,
        fraud_status: None,
        transaction_id: uuid::Uuid::new_v4().to_string(),
        payment_type: "qris".into(),
        created_at: Utc::now(),
        settled_at: None,
        notify_url: override_url.or_else(|| st.notify_url.clone()),
        customer: body["customer_details"].clone(),
        extra: serde_json::Map::new(),
        expires_at: None,
    };
    st.tokens.insert(token.clone(), order_id.to_owned());
    st.txs.insert(order_id.to_owned(), tx);
    HttpResponse::Created().json(json!({ "token": token, "redirect_url": format!("{base}/snap/v2/vtweb/{token}") }))
}

fn status_code_of(status: &str, fraud: Option<&str>) -> &'static str {
    match status {
        "settlement" | "refund" | "partial_refund" | "chargeback" => "200",
        "capture" if fraud == Some("challenge") => "201",
        "capture" => "200",
        "pending" | "authorize" => "201",
        "deny" | "cancel" | "expire" | "failure" => "202",
        _ => "200",
    }
}

/// The body Midtrans sends and its status API answers, signed with `key`.
fn word(t: &SimTx, key: &str) -> Value {
    let status = t.status.clone().unwrap_or_else(|| "pending".into());
    let code = status_code_of(&status, t.fraud_status.as_deref());
    let gross = format!("{}.00", t.gross_amount);
    let mut v = json!({
        "transaction_time": t.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        "transaction_status": status,
        "transaction_id": t.transaction_id,
        "status_message": "midtrans payment notification",
        "status_code": code,
        "signature_key": signature(&t.order_id, code, &gross, key),
        "payment_type": t.payment_type,
        "order_id": t.order_id,
        "merchant_id": "SIM-MERCHANT",
        "gross_amount": gross,
        "currency": "IDR",
    });
    if let Some(f) = &t.fraud_status {
        v["fraud_status"] = json!(f);
    }
    if let Some(at) = t.settled_at {
        v["settlement_time"] = json!(at.format("%Y-%m-%d %H:%M:%S").to_string());
    }
    if status.contains("refund") {
        v["refund_amount"] = json!(gross);
    }
    if let Some(at) = t.expires_at {
        v["expiry_time"] = json!(core::wib(at));
    }
    if let Value::Object(m) = &mut v {
        for (k, x) in &t.extra {
            m.entry(k.clone()).or_insert_with(|| x.clone());
        }
    }
    v
}

async fn status(s: Shared, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Err(r) = gate(&s, &req).await {
        return r;
    }
    let st = lock(&s);
    match st.txs.get(path.as_str()).filter(|t| t.status.is_some()) {
        Some(t) => HttpResponse::Ok().json(word(t, &st.server_key)),
        None => HttpResponse::NotFound()
            .json(json!({ "status_code": "404", "status_message": "Transaction doesn't exist." })),
    }
}

impl MidtransSim {
    /// Starts on `listen` with `server_key`; notifications go to `notify_url` unless a Snap
    /// call names another (`X-Override-Notification`).
    pub async fn start(listen: SocketAddr, server_key: &str, notify_url: Option<String>) -> std::io::Result<Self> {
        crate::ensure_crypto_provider();
        let state = Arc::new(Mutex::new(State {
            server_key: server_key.to_owned(),
            mode: Mode::Ok,
            delay: Duration::from_millis(3_000),
            txs: HashMap::new(),
            tokens: HashMap::new(),
            notify_url,
            sends: 2,
            deliveries: Vec::new(),
            calls: 0,
        }));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let data = web::Data::new(state.clone());
        let notifier = web::Data::new(Notifier { state: state.clone(), http: http.clone() });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(notifier.clone())
                .route("/snap/v1/transactions", web::post().to(snap_create))
                .route("/snap/snap.js", web::get().to(pages::snap_js))
                .route("/snap/v2/vtweb/{token}", web::get().to(pages::vtweb))
                .route("/v2/{order_id}/status", web::get().to(status))
                .route("/v2/charge", web::post().to(core::charge))
                .route("/v2/{order_id}/cancel", web::post().to(core::cancel))
                .route("/v2/{kind}/{transaction_id}/qr-code", web::get().to(core::qr_image))
                .route("/_sim/deeplink/{wallet}/{order_id}", web::get().to(core::deeplink))
                .route("/_sim/pay-token/{token}", web::post().to(pay_token))
                .route("/_sim/transactions", web::get().to(list))
                .route("/_sim/transactions/{order_id}/notify", web::post().to(resend))
                .route("/_sim/transactions/{order_id}/{action}", web::post().to(control))
                .route("/_sim/deliveries", web::get().to(deliveries))
                .route("/_sim/mode", web::post().to(set_mode))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { state, addr, handle, http })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        lock(&self.state).mode = mode;
    }

    pub fn set_delay(&self, delay: Duration) {
        lock(&self.state).delay = delay;
    }

    /// How many times each notification is sent (2 by default).
    pub fn set_sends(&self, n: u32) {
        lock(&self.state).sends = n.max(1);
    }

    pub fn set_notify_url(&self, url: Option<String>) {
        lock(&self.state).notify_url = url;
    }

    pub fn transaction(&self, order_id: &str) -> Option<SimTx> {
        lock(&self.state).txs.get(order_id).cloned()
    }

    pub fn calls(&self) -> u64 {
        lock(&self.state).calls
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.state).deliveries.clone()
    }

    /// Moves a transaction (`pay`, `expire`, `deny`, `cancel`, `refund`, …) and, unless
    /// `notify` is false, sends its notification.
    pub async fn act(&self, order_id: &str, action: &str, notify: bool) -> Result<Vec<Delivery>, String> {
        let (status, fraud) = action_status(action, None).ok_or_else(|| format!("unknown action {action}"))?;
        {
            let mut st = lock(&self.state);
            let t = st.txs.get_mut(order_id).ok_or("no such order")?;
            if status == "settlement" || status == "capture" {
                t.settled_at = Some(Utc::now());
            }
            t.status = Some(status);
            t.fraud_status = fraud;
        }
        if !notify {
            return Ok(Vec::new());
        }
        Ok(Notifier { state: self.state.clone(), http: self.http.clone() }.notify(order_id).await)
    }

    /// The notification body Midtrans would send now for `order_id`, signed with `key`.
    pub fn notification_body(&self, order_id: &str, key: &str) -> Option<Value> {
        lock(&self.state).txs.get(order_id).map(|t| word(t, key))
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}
