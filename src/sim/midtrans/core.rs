//! The simulator's Core API: `POST /v2/charge` for QRIS, GoPay, ShopeePay, bank-transfer
//! virtual accounts (BCA, BNI, BRI, CIMB, Permata) and Mandiri bill payment (`echannel`), each
//! answered with its own fields (a QR string, actions with the QR image and deep link, a VA
//! number, a bill key); `POST /v2/{order_id}/cancel`; the QR images the actions point at. A
//! charge is pending at once (the status API knows it); the control API pays, expires or
//! cancels it like a Snap payment, and its notifications carry the charge's fields.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::control::Notifier;
use super::{SimTx, bad_request, gate, lock, word};

const BANKS: &[&str] = &["bca", "bni", "bri", "cimb", "permata"];

/// Midtrans's local time (Jakarta) as it writes it.
pub(super) fn wib(t: chrono::DateTime<Utc>) -> String {
    (t + chrono::Duration::hours(7)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A number of `len` digits derived from the order (stable for one order).
fn digits(order_id: &str, len: usize) -> String {
    let mut n: u64 = 1469598103934665603;
    for b in order_id.bytes() {
        n = (n ^ u64::from(b)).wrapping_mul(1099511628211);
    }
    let s = format!("{n:020}");
    s[s.len() - len..].to_owned()
}

/// The charge's own fields for `payment_type`, or the refusal Midtrans gives.
fn fields(body: &Value, base: &str, tx_id: &str, order_id: &str) -> Result<Map<String, Value>, String> {
    let mut f = Map::new();
    let qr = |kind: &str| json!({ "name": "generate-qr-code", "method": "GET", "url": format!("{base}/v2/{kind}/{tx_id}/qr-code") });
    match body["payment_type"].as_str().unwrap_or_default() {
        "qris" => {
            f.insert("actions".into(), json!([qr("qris")]));
            f.insert(
                "qr_string".into(),
                json!(format!("00020101021226620014COM.GO-JEK.WWW0118SIM{order_id}5204481253033605802ID6304SIM0")),
            );
            f.insert("acquirer".into(), json!(body["qris"]["acquirer"].as_str().unwrap_or("gopay")));
        }
        "gopay" => {
            f.insert(
                "actions".into(),
                json!([qr("gopay"),
                    { "name": "deeplink-redirect", "method": "GET", "url": format!("{base}/_sim/deeplink/gopay/{order_id}") },
                    { "name": "get-status", "method": "GET", "url": format!("{base}/v2/{tx_id}/status") },
                    { "name": "cancel", "method": "POST", "url": format!("{base}/v2/{tx_id}/cancel") }]),
            );
        }
        "shopeepay" => {
            f.insert(
                "actions".into(),
                json!([{ "name": "deeplink-redirect", "method": "GET", "url": format!("{base}/_sim/deeplink/shopeepay/{order_id}") }]),
            );
        }
        "bank_transfer" => {
            let bank = body["bank_transfer"]["bank"].as_str().unwrap_or_default();
            if !BANKS.contains(&bank) {
                return Err("bank_transfer.bank must be one of bca, bni, bri, cimb, permata".into());
            }
            let number = format!("{}{}", digits(bank, 3), digits(order_id, 8));
            if bank == "permata" {
                f.insert("permata_va_number".into(), json!(number));
            } else {
                f.insert("va_numbers".into(), json!([{ "bank": bank, "va_number": number }]));
            }
        }
        "echannel" => {
            let e = &body["echannel"];
            if e["bill_info1"].as_str().is_none() || e["bill_info2"].as_str().is_none() {
                return Err("echannel.bill_info1 and echannel.bill_info2 are required".into());
            }
            f.insert("bill_key".into(), json!(digits(order_id, 12)));
            f.insert("biller_code".into(), json!("70012"));
        }
        other => return Err(format!("payment_type {other:?} is not supported")),
    }
    Ok(f)
}

pub(super) async fn charge(s: super::Shared, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    if let Err(r) = gate(&s, &req).await {
        return r;
    }
    let (order_id, amount) = match super::details(&body) {
        Ok(d) => d,
        Err(why) => return bad_request(why),
    };
    let minutes = body["custom_expiry"]["expiry_duration"].as_i64().unwrap_or(24 * 60).clamp(1, 7 * 24 * 60);
    let base = format!("http://{}", req.connection_info().host());
    let tx_id = uuid::Uuid::new_v4().to_string();
    let extra = match fields(&body, &base, &tx_id, order_id) {
        Ok(f) => f,
        Err(why) => return bad_request(&why),
    };
    let override_url = req.headers().get("X-Override-Notification").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let now = Utc::now();
    let mut st = lock(&s);
    if st.txs.contains_key(order_id) {
        return HttpResponse::Ok().json(json!({ "status_code": "406", "status_message": "The request could not be completed due to a conflict with the current state of the target resource, please try again" }));
    }
    let tx = SimTx {
        order_id: order_id.to_owned(),
        gross_amount: amount,
        token: String::new(),
        status: Some("pending".into()),
        fraud_status: Some("accept".into()),
        transaction_id: tx_id,
        payment_type: body["payment_type"].as_str().unwrap_or_default().to_owned(),
        created_at: now,
        settled_at: None,
        notify_url: override_url.or_else(|| st.notify_url.clone()),
        customer: body["customer_details"].clone(),
        extra,
        expires_at: Some(now + chrono::Duration::minutes(minutes)),
    };
    let mut answer = word(&tx, &st.server_key);
    if let Value::Object(m) = &mut answer {
        m.remove("signature_key");
        m.insert("status_code".into(), json!("201"));
        m.insert("status_message".into(), json!("Success, transaction is created"));
    }
    st.txs.insert(order_id.to_owned(), tx);
    HttpResponse::Ok().json(answer)
}

pub(super) async fn cancel(
    s: super::Shared,
    sim: web::Data<Notifier>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Err(r) = gate(&s, &req).await {
        return r;
    }
    let order_id = path.into_inner();
    let answer = {
        let mut st = lock(&s);
        let key = st.server_key.clone();
        let Some(t) = st.txs.get_mut(&order_id).filter(|t| t.status.is_some()) else {
            return HttpResponse::Ok()
                .json(json!({ "status_code": "404", "status_message": "Transaction doesn't exist." }));
        };
        match t.status.as_deref() {
            Some("pending") => {
                t.status = Some("cancel".into());
                let mut a = word(t, &key);
                a["status_code"] = json!("200");
                a["status_message"] = json!("Success, transaction is canceled");
                a
            }
            _ => return HttpResponse::Ok().json(json!({ "status_code": "412", "status_message": "Merchant cannot modify the status of the transaction" })),
        }
    };
    sim.notify(&order_id).await;
    HttpResponse::Ok().json(answer)
}

/// The QR image a charge's `generate-qr-code` action points at.
pub(super) async fn qr_image(s: super::Shared, req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    if let Err(r) = gate(&s, &req).await {
        return r;
    }
    let (_, tx_id) = path.into_inner();
    let text = {
        let st = lock(&s);
        st.txs.values().find(|t| t.transaction_id == tx_id).map(|t| {
            t.extra
                .get("qr_string")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("SIM-GOPAY-{}", t.order_id))
        })
    };
    match text.map(|t| crate::whatsapp::qr::png_of(&t)) {
        Some(Ok(png)) => HttpResponse::Ok().content_type("image/png").body(png),
        _ => HttpResponse::NotFound().json(json!({ "status_code": "404", "status_message": "QR not found" })),
    }
}

/// An e-wallet's deep link, as a page (the real one opens the app).
pub(super) async fn deeplink(path: web::Path<(String, String)>) -> HttpResponse {
    let (wallet, order_id) = path.into_inner();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!("<!doctype html><title>{wallet}</title><p>Simulated {wallet} app: order {order_id}</p>"))
}
