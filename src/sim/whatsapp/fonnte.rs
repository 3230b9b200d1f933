//! Fonnte's API as the simulator serves it: send, device status, disconnect, and its status
//! callbacks.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::*;

/// Fonnte's `/disconnect`.
pub(super) async fn fonnte_disconnect(s: Shared, req: HttpRequest) -> HttpResponse {
    if let Err(r) = gate(&s).await {
        return r;
    }
    if !fonnte_authorized(&s, &req) {
        return HttpResponse::Ok().json(json!({ "status": false, "reason": "invalid token" }));
    }
    lock(&s).set_session(SimSession::Disconnected);
    HttpResponse::Ok().json(json!({ "status": true, "detail": "device disconnected" }))
}

#[derive(Deserialize)]
pub(super) struct FonnteSend {
    target: String,
    message: String,
    #[serde(rename = "countryCode", default)]
    _country_code: Option<String>,
}

pub(super) fn fonnte_authorized(s: &Shared, req: &HttpRequest) -> bool {
    let token = lock(s).fonnte_token.clone();
    req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(token.as_str())
}

pub(super) async fn fonnte_send(s: Shared, req: HttpRequest, form: web::Form<FonnteSend>) -> HttpResponse {
    if let Err(r) = gate(&s).await {
        return r;
    }
    if !fonnte_authorized(&s, &req) {
        return HttpResponse::Ok().json(json!({ "status": false, "reason": "invalid token" }));
    }
    match record(&s, "fonnte", &form.target, &form.message) {
        Some(id) => {
            let (url, deliverable) = {
                let st = lock(&s);
                (st.fonnte_status_url.clone(), st.mode != Mode::Undeliverable)
            };
            if let Some(url) = url {
                tokio::spawn(fonnte_callbacks(url, id.clone(), deliverable));
            }
            HttpResponse::Ok().json(json!({
            "status": true, "detail": "success! message in queue", "id": [id], "process": "pending", "target": [form.target]
            }))
        }
        None => HttpResponse::Ok().json(json!({ "status": false, "reason": "device disconnected" })),
    }
}

pub(super) async fn fonnte_device(s: Shared, req: HttpRequest) -> HttpResponse {
    if let Err(r) = gate(&s).await {
        return r;
    }
    if !fonnte_authorized(&s, &req) {
        return HttpResponse::Ok().json(json!({ "status": false, "reason": "invalid token" }));
    }
    let st = lock(&s);
    let up = st.mode != Mode::Refusing && st.session == SimSession::Authenticated;
    let device_status = if up { "connect" } else { "disconnect" };
    HttpResponse::Ok().json(json!({ "status": true, "device_status": device_status }))
}

/// What Fonnte reports of a sent message, in order: sent, then delivered and read by the
/// recipient's phone (a little later each); or that the number is not on WhatsApp.
pub(super) async fn fonnte_callbacks(url: String, id: String, deliverable: bool) {
    let Ok(http) = reqwest::Client::builder().timeout(Duration::from_secs(5)).build() else { return };
    let reports = if deliverable {
        vec![
            json!({ "device": "6280000000000", "id": id, "status": "sent" }),
            json!({ "device": "6280000000000", "id": id, "stateid": format!("{id}-d"), "state": "delivered" }),
            json!({ "device": "6280000000000", "id": id, "stateid": format!("{id}-r"), "state": "read" }),
        ]
    } else {
        vec![json!({ "device": "6280000000000", "id": id, "status": "invalid" })]
    };
    for r in reports {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Err(e) = http.post(&url).json(&r).send().await {
            tracing::debug!(error = %e, "fonnte status callback not delivered");
        }
    }
}
