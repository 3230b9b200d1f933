//! The simulator's control API (`/_sim/…`): paying, expiring, denying, cancelling or refunding
//! a transaction, resending its notification, faults; and the notifier that signs and sends
//! the notifications.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::*;

#[derive(Deserialize)]
pub(super) struct ActionQuery {
    /// `payment_type` to record (`qris`, `bank_transfer`, `credit_card`…).
    payment_type: Option<String>,
    fraud_status: Option<String>,
    /// Change the state without notifying (a missed notification).
    silent: Option<bool>,
}

/// What an action does to a transaction: its new status and fraud verdict.
pub(super) fn action_status(action: &str, fraud: Option<String>) -> Option<(String, Option<String>)> {
    Some(match action {
        "pay" | "settle" => ("settlement".into(), fraud.or(Some("accept".into()))),
        "capture" => ("capture".into(), fraud.or(Some("accept".into()))),
        "challenge" => ("capture".into(), Some("challenge".into())),
        "pending" => ("pending".into(), None),
        "expire" => ("expire".into(), None),
        "deny" => ("deny".into(), fraud.or(Some("deny".into()))),
        "cancel" => ("cancel".into(), None),
        "failure" => ("failure".into(), None),
        "refund" => ("refund".into(), None),
        _ => return None,
    })
}

pub(super) async fn control(
    s: Shared,
    sim: web::Data<Notifier>,
    path: web::Path<(String, String)>,
    q: web::Query<ActionQuery>,
) -> HttpResponse {
    let (order_id, action) = path.into_inner();
    let Some((status, fraud)) = action_status(&action, q.fraud_status.clone()) else {
        return HttpResponse::NotFound().json(
            json!({ "error": "actions: pay, capture, challenge, pending, expire, deny, cancel, failure, refund" }),
        );
    };
    {
        let mut st = lock(&s);
        let Some(t) = st.txs.get_mut(&order_id) else {
            return HttpResponse::NotFound().json(json!({ "error": "no such order" }));
        };
        if let Some(p) = &q.payment_type {
            t.payment_type = p.clone();
        }
        if status == "settlement" || status == "capture" {
            t.settled_at = Some(Utc::now());
        }
        t.status = Some(status.clone());
        t.fraud_status = fraud;
    }
    let deliveries = if q.silent.unwrap_or(false) { Vec::new() } else { sim.notify(&order_id).await };
    HttpResponse::Ok().json(json!({ "order_id": order_id, "transaction_status": status, "deliveries": deliveries }))
}

/// The browser's payment: the Snap page's button pays by token.
pub(super) async fn pay_token(s: Shared, sim: web::Data<Notifier>, path: web::Path<String>) -> HttpResponse {
    let order_id = {
        let mut st = lock(&s);
        let Some(order_id) = st.tokens.get(path.as_str()).cloned() else {
            return HttpResponse::NotFound().insert_header(cors()).json(json!({ "error": "no such token" }));
        };
        if let Some(t) = st.txs.get_mut(&order_id) {
            t.status = Some("settlement".into());
            t.fraud_status = Some("accept".into());
            t.settled_at = Some(Utc::now());
        }
        order_id
    };
    let deliveries = sim.notify(&order_id).await;
    HttpResponse::Ok()
        .insert_header(cors())
        .json(json!({ "order_id": order_id, "transaction_status": "settlement", "deliveries": deliveries }))
}

pub(super) fn cors() -> (&'static str, &'static str) {
    ("Access-Control-Allow-Origin", "*")
}

pub(super) async fn resend(sim: web::Data<Notifier>, path: web::Path<String>) -> HttpResponse {
    let deliveries = sim.notify(&path).await;
    HttpResponse::Ok().json(json!({ "deliveries": deliveries }))
}

pub(super) async fn list(s: Shared) -> HttpResponse {
    let st = lock(&s);
    let mut txs: Vec<&SimTx> = st.txs.values().collect();
    txs.sort_by_key(|t| std::cmp::Reverse(t.created_at));
    HttpResponse::Ok().json(txs)
}

pub(super) async fn deliveries(s: Shared) -> HttpResponse {
    HttpResponse::Ok().json(lock(&s).deliveries.iter().rev().take(200).collect::<Vec<_>>())
}

#[derive(Deserialize)]
pub(super) struct ModeBody {
    mode: Mode,
    delay_ms: Option<u64>,
}

pub(super) async fn set_mode(s: Shared, body: web::Json<ModeBody>) -> HttpResponse {
    let mut st = lock(&s);
    st.mode = body.mode;
    if let Some(d) = body.delay_ms {
        st.delay = Duration::from_millis(d.min(120_000));
    }
    HttpResponse::Ok().json(json!({ "mode": st.mode }))
}

/// Sends notifications to the merchant.
#[derive(Clone)]
pub(super) struct Notifier {
    pub(super) state: Arc<Mutex<State>>,
    pub(super) http: reqwest::Client,
}

impl Notifier {
    /// Sends the transaction's current word `sends` times; each send retries a non-2xx answer
    /// up to three times, as Midtrans does (sooner here).
    pub(super) async fn notify(&self, order_id: &str) -> Vec<Delivery> {
        let (url, body, sends) = {
            let st = lock(&self.state);
            let Some(t) = st.txs.get(order_id) else { return Vec::new() };
            let key = if st.mode == Mode::BadSignature { "not-the-server-key" } else { st.server_key.as_str() };
            (t.notify_url.clone(), word(t, key), st.sends)
        };
        let Some(url) = url else { return Vec::new() };
        let mut out = Vec::new();
        for _ in 0..sends {
            for attempt in 0..3u64 {
                let code = match self.http.post(&url).json(&body).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                out.push(Delivery {
                    order_id: order_id.to_owned(),
                    transaction_status: body["transaction_status"].as_str().unwrap_or_default().to_owned(),
                    http_status: code,
                    at: Utc::now(),
                });
                if (200..300).contains(&code) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
            }
        }
        let mut st = lock(&self.state);
        st.deliveries.extend(out.iter().cloned());
        let excess = st.deliveries.len().saturating_sub(10_000);
        st.deliveries.drain(..excess);
        out
    }
}
