//! The users page's "Buat Tagihan": an admin bills a user for a package.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::billing::charges::Charge;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::uuid_field;
use crate::http::input::Input;
use crate::http::routes::billing::MethodFields;

#[derive(Deserialize, ToSchema)]
pub struct BillBody {
    #[schema(format = Uuid)]
    user_id: String,
    #[schema(format = Uuid)]
    package_id: String,
    /// Among the methods the operator offers (the first offered when none).
    #[serde(flatten)]
    method: MethodFields,
}

#[derive(Serialize, ToSchema)]
pub struct BillSent {
    message: &'static str,
    order_id: String,
    /// `PENDING`.
    status: &'static str,
    /// As the frontend names it: `qris`, `gopay`, `shopeepay`, `echannel`, `<bank>_va`.
    payment_method: Option<String>,
    qr_code_url: Option<String>,
    va_number: Option<String>,
    payment_code: Option<String>,
    biller_code: Option<String>,
    /// The payment page with its signed link, as sent to the user.
    status_url: String,
    /// The WhatsApp message is queued (sent by the worker, retried).
    whatsapp_sent: bool,
    amount_idr: i64,
}

#[utoipa::path(post, path = "/api/admin/transactions/bill", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((BillBody = "application/json"))),
    responses((status = 201, body = BillSent, description = "The charge is open and the bill queued to the user's WhatsApp"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN, PURCHASE_NOT_ALLOWED: the account may not buy"),
        (status = 404, description = "USER_NOT_FOUND, PACKAGE_NOT_FOUND"),
        (status = 422, description = "VALIDATION_ERROR: a method or bank the operator does not offer, a package not sold for money"),
        (status = 429, description = "RATE_LIMITED"), (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE")))]
pub async fn bill(state: web::Data<AppState>, a: AdminActor, body: Input<BillBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let user = uuid_field("user_id", &b.user_id, "a user id")?;
    let package = uuid_field("package_id", &b.package_id, "a package id")?;
    let choice = b.method.choice()?;
    let billed = state.billing.bill(&a.0, user, package, choice).await?;
    let (t, c) = (billed.started.transaction, billed.started.charge);
    Ok(HttpResponse::Created().json(BillSent {
        message: "Tagihan dibuat dan dikirim ke WhatsApp pengguna.",
        status: "PENDING",
        payment_method: c.as_ref().map(Charge::frontend_method),
        qr_code_url: c.as_ref().filter(|c| c.has_qr()).map(|_| format!("/api/transactions/{}/qr", t.order_id)),
        va_number: c.as_ref().and_then(|c| c.va_number.clone()),
        payment_code: c.as_ref().and_then(|c| c.bill_key.clone()),
        biller_code: c.as_ref().and_then(|c| c.biller_code.clone()),
        status_url: billed.link,
        whatsapp_sent: true,
        amount_idr: t.amount_idr,
        order_id: t.order_id,
    }))
}
