//! `/api/users/me/devices…`: the signed-in user's devices.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::captive;
use crate::db::schema::{user_devices, users};
use crate::domain::text::flexible_bool;
use crate::domain::{ClientIp, MacAddress, Msisdn};
use crate::http::AppState;
use crate::http::error::{ApiError, refuse};
use crate::http::input::Input;
use crate::http::session::authenticate;

type Data = web::Data<AppState>;

#[derive(Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = user_devices)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Device {
    id: i64,
    mac_address: String,
    ip_address: Option<String>,
    label: Option<String>,
    is_authorized: bool,
    first_seen_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    authorized_at: Option<DateTime<Utc>>,
}

#[utoipa::path(get, path = "/api/users/me/devices", tag = "devices", responses((status = 200, description = "`{devices:[…]}`"), (status = 401)))]
pub async fn list(state: Data, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let user = authenticate(&req, &state).await?.claims.sub;
    let devices: Vec<Device> = state
        .db
        .run(move |conn| {
            Ok(user_devices::table
                .filter(user_devices::user_id.eq(user))
                .order(user_devices::last_seen_at.desc())
                .select(Device::as_select())
                .load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "devices": devices })))
}

#[derive(Deserialize, ToSchema)]
pub struct BindBody {
    #[schema(value_type = Option<String>)]
    client_ip: Option<ClientIp>,
    #[schema(value_type = Option<String>)]
    client_mac: Option<MacAddress>,
    #[serde(default, deserialize_with = "flexible_bool")]
    confirm_device_takeover: bool,
}

#[derive(Deserialize)]
pub struct BestEffort {
    #[serde(default, deserialize_with = "flexible_bool")]
    best_effort: bool,
}

#[utoipa::path(post, path = "/api/users/me/devices/bind-current", tag = "devices", request_body = BindBody,
    params(("best_effort" = Option<bool>, Query)),
    responses((status = 200, description = "`{success, bound, message}`"), (status = 401), (status = 403), (status = 503)))]
pub async fn bind_current(
    state: Data,
    req: HttpRequest,
    q: web::Query<BestEffort>,
    input: Input<BindBody>,
) -> Result<HttpResponse, ApiError> {
    let best_effort = q.best_effort;
    match bind(&state, &req, input.0).await {
        Ok(()) => {
            Ok(HttpResponse::Ok().json(json!({ "success": true, "bound": true, "message": "Perangkat terhubung." })))
        }
        // The frontend calls this opportunistically; it asked not to be shown an error.
        Err(e)
            if best_effort
                && e.code != "AUTH_REQUIRED"
                && e.code != "AUTH_TOKEN_EXPIRED"
                && e.code != "ORIGIN_INVALID" =>
        {
            Ok(HttpResponse::Ok().json(json!({ "success": false, "bound": false, "message": e.code })))
        }
        Err(e) => Err(e),
    }
}

async fn bind(state: &AppState, req: &HttpRequest, body: BindBody) -> Result<(), ApiError> {
    let a = authenticate(req, state).await?;
    let uid = a.claims.sub;
    let user = state
        .db
        .run(move |conn| {
            Ok(users::table.find(uid).select(crate::db::models::User::as_select()).first(conn).optional()?)
        })
        .await?
        .ok_or_else(refuse::auth_required)?;
    let ip = body
        .client_ip
        .or(crate::http::meta::RequestMeta::of(req, &state.settings.trusted_proxies).client_ip)
        .ok_or_else(|| ApiError::validation("client_ip", "the client IP is unknown"))?;
    let mac = state.captive.resolve_mac(&ip, body.client_mac.as_ref()).await?;
    let rows = state.captive.device_rows(uid, &mac).await?;
    let plan = state.captive.plan(uid, &mac, &rows, body.confirm_device_takeover)?;
    let phone = Msisdn::parse(&user.phone_number).map_err(|_| ApiError::internal())?;
    state.captive.apply_router(&user, &phone, &mac, &ip).await?;
    let evict: Vec<i64> = plan.evict.iter().map(|(id, _)| *id).collect();
    state.db.run(move |conn| captive::register_device(conn, uid, &mac, &ip, evict)).await?;
    let macs: Vec<MacAddress> = plan.evict.iter().filter_map(|(_, m)| MacAddress::parse(m).ok()).collect();
    state.captive.forget_on_router(&macs, &[]).await;
    Ok(())
}

#[utoipa::path(delete, path = "/api/users/me/devices/{id}", tag = "devices", responses((status = 200), (status = 404)))]
pub async fn remove(state: Data, req: HttpRequest, path: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let user = authenticate(&req, &state).await?.claims.sub;
    let id = path.into_inner();
    let row: Option<(String, Option<String>)> = state
        .db
        .run(move |conn| {
            Ok(diesel::delete(
                user_devices::table.filter(user_devices::id.eq(id)).filter(user_devices::user_id.eq(user)),
            )
            .returning((user_devices::mac_address, user_devices::ip_address))
            .get_result(conn)
            .optional()?)
        })
        .await?;
    let (mac, ip) = row.ok_or_else(refuse::device_gone)?;
    let macs: Vec<MacAddress> = MacAddress::parse(&mac).into_iter().collect();
    let ips: Vec<ClientIp> = ip.and_then(|i| ClientIp::parse(&i).ok()).into_iter().collect();
    state.captive.forget_on_router(&macs, &ips).await;
    Ok(HttpResponse::Ok().json(json!({ "message": "Perangkat dihapus." })))
}

#[derive(Deserialize, ToSchema)]
pub struct LabelBody {
    label: String,
}

#[utoipa::path(put, path = "/api/users/me/devices/{id}/label", tag = "devices", request_body = LabelBody,
    responses((status = 200, body = Device), (status = 404), (status = 422)))]
pub async fn label(
    state: Data,
    req: HttpRequest,
    path: web::Path<i64>,
    input: Input<LabelBody>,
) -> Result<HttpResponse, ApiError> {
    let user = authenticate(&req, &state).await?.claims.sub;
    let id = path.into_inner();
    let label = input.label.trim().to_owned();
    if label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(ApiError::validation("label", "at most 100 printable characters"));
    }
    let label = (!label.is_empty()).then_some(label);
    let device: Option<Device> = state
        .db
        .run(move |conn| {
            Ok(diesel::update(
                user_devices::table.filter(user_devices::id.eq(id)).filter(user_devices::user_id.eq(user)),
            )
            .set((user_devices::label.eq(label), user_devices::updated_at.eq(Utc::now())))
            .returning(Device::as_returning())
            .get_result(conn)
            .optional()?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(device.ok_or_else(refuse::device_gone)?))
}
