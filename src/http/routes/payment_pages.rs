//! A payment's own pages: its QR for the signed-in buyer, and the public payment page for
//! whoever holds the order's signed link (status, QR, cancel; nothing of the account).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::billing::{Cancelled, cancelled};
use super::billing_views::{TxView, public_view};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Client, CurrentUser};
use crate::http::ids::{OrderPath, PathId};

type Data = web::Data<AppState>;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// `1`: as a file to save.
    #[param(pattern = "^(0|1|true|false)$")]
    download: Option<String>,
}

#[utoipa::path(get, path = "/api/transactions/{order_id}/qr", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(("order_id" = String, Path, max_length = 50), QrQuery),
    responses((status = 200, content_type = "image/png", description = "The payment's QR to scan (QRIS, GoPay)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 404, description = "TRANSACTION_NOT_FOUND, NOT_FOUND: no QR"),
        (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE: Midtrans's image could not be fetched")))]
pub async fn qr(
    state: Data,
    user: CurrentUser,
    order_id: PathId<OrderPath>,
    q: web::Query<QrQuery>,
) -> Result<HttpResponse, ApiError> {
    let bytes = state.billing.payment_qr(user.id(), &order_id.0).await?;
    Ok(png(&order_id.0, q.download.as_deref(), bytes))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// The payment link's token (`token` is read too).
    #[param(max_length = 200)]
    t: Option<String>,
    #[param(max_length = 200)]
    token: Option<String>,
    /// `1`: the QR as a file to save.
    #[param(pattern = "^(0|1|true|false)$")]
    download: Option<String>,
}

impl LinkQuery {
    fn token(&self) -> &str {
        self.t.as_deref().or(self.token.as_deref()).unwrap_or_default()
    }
}

fn png(order_id: &str, download: Option<&str>, png: Vec<u8>) -> HttpResponse {
    let how = if matches!(download, Some("1" | "true")) { "attachment" } else { "inline" };
    HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Disposition", format!("{how}; filename=\"{order_id}-qr.png\"")))
        .body(png)
}

#[utoipa::path(get, path = "/api/transactions/public/by-order-id/{order_id}", tag = "billing",
    params(("order_id" = String, Path, max_length = 50), LinkQuery),
    responses((status = 200, body = TxView, description = "The payment as its link shows it: nothing of the account"),
        (status = 403, description = "FORBIDDEN: the link is not this order's or has expired"),
        (status = 404, description = "TRANSACTION_NOT_FOUND"), (status = 429, description = "RATE_LIMITED")))]
pub async fn public_by_order_id(
    state: Data,
    client: Client,
    order_id: PathId<OrderPath>,
    q: web::Query<LinkQuery>,
) -> Result<HttpResponse, ApiError> {
    let (t, charge) = state.billing.public_transaction(&order_id.0, q.token(), client.0.ip.as_ref()).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(public_view(t, charge.as_ref())))
}

#[utoipa::path(get, path = "/api/transactions/public/{order_id}/qr", tag = "billing",
    params(("order_id" = String, Path, max_length = 50), LinkQuery),
    responses((status = 200, content_type = "image/png", description = "The payment's QR"),
        (status = 403, description = "FORBIDDEN: the link is not this order's or has expired"),
        (status = 404, description = "TRANSACTION_NOT_FOUND, NOT_FOUND: no QR"), (status = 429, description = "RATE_LIMITED"),
        (status = 503, description = "PAYMENT_GATEWAY_UNAVAILABLE")))]
pub async fn public_qr(
    state: Data,
    client: Client,
    order_id: PathId<OrderPath>,
    q: web::Query<LinkQuery>,
) -> Result<HttpResponse, ApiError> {
    let bytes = state.billing.public_qr(&order_id.0, q.token(), client.0.ip.as_ref()).await?;
    Ok(png(&order_id.0, q.download.as_deref(), bytes))
}

#[utoipa::path(post, path = "/api/transactions/public/{order_id}/cancel", tag = "billing",
    params(("order_id" = String, Path, max_length = 50), LinkQuery),
    responses((status = 200, body = Cancelled, description = "A pending payment is cancelled; any other is left as it is"),
        (status = 403, description = "FORBIDDEN: the link is not this order's or has expired"),
        (status = 404, description = "TRANSACTION_NOT_FOUND"), (status = 429, description = "RATE_LIMITED")))]
pub async fn public_cancel(
    state: Data,
    client: Client,
    order_id: PathId<OrderPath>,
    q: web::Query<LinkQuery>,
) -> Result<HttpResponse, ApiError> {
    let t = state.billing.public_cancel(&order_id.0, q.token(), client.0.ip.as_ref()).await?;
    Ok(HttpResponse::Ok().json(cancelled(&t)))
}
