//! Documents sent over WhatsApp from the user editor: the debt ledger, the detail report (to the
//! user or to admins), the quota history; each message carries a link signed for that document,
//! good for a day.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::billing::doc_sends::{Recipients, history_period};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::{PathId, UserPath, uuid_field};
use crate::http::input::Input;

type Data = web::Data<AppState>;

#[derive(Serialize, ToSchema)]
pub struct Queued {
    message: &'static str,
    queued: bool,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/debts/send-whatsapp", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Queued, description = "The debt ledger's link is on its way to the user"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR: no open debt")))]
pub async fn ledger(state: Data, a: AdminActor, id: PathId<UserPath>) -> Result<HttpResponse, ApiError> {
    state.billing.send_ledger(&a.0, id.0).await?;
    Ok(HttpResponse::Ok().json(Queued { message: "Buku tunggakan dikirim lewat WhatsApp.", queued: true }))
}

#[derive(Deserialize, ToSchema)]
pub struct DetailSend {
    /// `user` (the default) or `internal` (the admins named).
    #[schema(pattern = "^(user|internal)?$")]
    recipient_mode: Option<String>,
    #[schema(max_items = 50)]
    recipient_user_ids: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportRecipient {
    user_id: Uuid,
    full_name: String,
    role: String,
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$", example = "+6281234567001")]
    phone_number: crate::domain::Msisdn,
}

#[derive(Serialize, ToSchema)]
pub struct DetailQueued {
    message: String,
    queued: bool,
    queued_count: usize,
    recipient_mode: &'static str,
    recipients: Vec<ReportRecipient>,
}

#[utoipa::path(post, path = "/api/admin/users/{id}/detail-report/send-whatsapp", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((DetailSend = "application/json"))),
    responses((status = 200, body = DetailQueued, description = "The detail report's link is on its way to each recipient"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn detail(
    state: Data,
    a: AdminActor,
    id: PathId<UserPath>,
    body: Input<DetailSend>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let (mode, to) = match b.recipient_mode.as_deref().unwrap_or("user") {
        "" | "user" => ("user", Recipients::User),
        "internal" => {
            let ids = b.recipient_user_ids.unwrap_or_default();
            let ids =
                ids.iter().map(|r| uuid_field("recipient_user_ids", r, "admin ids")).collect::<Result<Vec<_>, _>>()?;
            ("internal", Recipients::Internal(ids))
        }
        _ => return Err(ApiError::validation("recipient_mode", "user or internal")),
    };
    let sent = state.billing.send_detail(&a.0, id.0, to).await?;
    let names: Vec<&str> = sent.iter().map(|u| u.full_name.as_str()).collect();
    Ok(HttpResponse::Ok().json(DetailQueued {
        message: format!("Laporan dikirim lewat WhatsApp. Penerima: {}.", names.join(", ")),
        queued: true,
        queued_count: sent.len(),
        recipient_mode: mode,
        recipients: sent
            .into_iter()
            .map(|u| ReportRecipient {
                user_id: u.id,
                role: u.role.to_string(),
                phone_number: u.phone_number,
                full_name: u.full_name,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct HistorySend {
    /// `YYYY-MM-DD` (90 days before the end when none).
    #[serde(alias = "start_date")]
    #[schema(max_length = 10)]
    #[serde(rename = "startDate")]
    start: Option<String>,
    #[serde(alias = "end_date")]
    #[schema(max_length = 10)]
    #[serde(rename = "endDate")]
    end: Option<String>,
    #[schema(max_length = 100)]
    search: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HistorySent {
    message: &'static str,
    whatsapp_sent: bool,
}

fn date(field: &str, raw: Option<&str>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::validation(field, "YYYY-MM-DD")),
        None => Ok(None),
    }
}

#[utoipa::path(post, path = "/api/admin/users/{id}/quota-history/send-wa", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((HistorySend = "application/json"))),
    responses((status = 200, body = HistorySent, description = "The quota history's link is on its way to the user"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn history(
    state: Data,
    a: AdminActor,
    id: PathId<UserPath>,
    body: Input<HistorySend>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let _ = &b.search;
    let today = crate::domain::days::today(state.settings.timezone);
    let (first, last) =
        history_period(today, date("startDate", b.start.as_deref())?, date("endDate", b.end.as_deref())?);
    state.billing.send_history(&a.0, id.0, first, last).await?;
    Ok(HttpResponse::Ok().json(HistorySent { message: "Riwayat kuota dikirim lewat WhatsApp.", whatsapp_sent: true }))
}
