//! `/api/users/me/devices…`: the signed-in user's devices.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::captive::devices::LABEL_MAX;
use crate::db::models::Device;
use crate::domain::text::flexible_bool;
use crate::domain::{ClientIp, MacAddress};
use crate::http::AppState;
use crate::http::cookies::set_device_cookie;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::extract::{Client, CurrentUser};
use crate::http::ids::{OwnDevicePath, PathId};
use crate::http::input::Input;

type Data = web::Data<AppState>;

#[derive(Serialize, ToSchema)]
pub struct DeviceList {
    devices: Vec<Device>,
}

#[utoipa::path(get, path = "/api/users/me/devices", tag = "devices", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DeviceList), (status = 401, description = "AUTH_REQUIRED")))]
pub async fn list(state: Data, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let devices = state.captive.devices(user.id()).await?;
    Ok(HttpResponse::Ok().json(DeviceList { devices }))
}

#[derive(Deserialize, ToSchema)]
pub struct BindBody {
    #[schema(value_type = String, required = false, nullable = false, pattern = r"^(?:[1-9]|[1-9][0-9]|1[0-9]{2}|2[01][0-9]|22[0-3])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$", example = "10.5.50.11")]
    client_ip: Option<ClientIp>,
    #[schema(value_type = String, required = false, nullable = false, pattern = r"^(?:0[2468ACEace]|[1-9A-Fa-f][02468ACEace])(?:(?::[0-9A-Fa-f]{2}){5}|(?:-[0-9A-Fa-f]{2}){5})$")]
    client_mac: Option<MacAddress>,
    /// Accepted and ignored: a device moves to another account only when the router witnesses
    /// the device's own hotspot login.
    #[serde(default, deserialize_with = "flexible_bool")]
    #[allow(dead_code)]
    confirm_device_takeover: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BestEffort {
    /// Answer 200 `{success:false, bound:false}` instead of an error the page did not ask to see.
    #[serde(default, deserialize_with = "flexible_bool")]
    #[param(value_type = Option<bool>)]
    best_effort: bool,
}

#[derive(Serialize, ToSchema)]
pub struct BindAnswer {
    success: bool,
    bound: bool,
    message: String,
    /// Not bound yet (router-login mode): the page posts these one-time credentials to the
    /// router's login form from the device; the router's witness binds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    hotspot_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hotspot_password: Option<String>,
}

#[utoipa::path(post, path = "/api/users/me/devices/bind-current", tag = "devices", security(("bearer" = []), ("cookie" = [])), params(BestEffort),
    request_body(content((BindBody = "application/json"), (BindBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = BindAnswer), (status = 401, description = "AUTH_REQUIRED, DEVICE_NOT_FOUND"),
        (status = 403, description = "ORIGIN_INVALID, OUTSIDE_HOTSPOT, DEVICE_MISMATCH, DEVICE_LIMIT"),
        (status = 422, description = "VALIDATION_ERROR: client_ip unknown"), (status = 429, description = "RATE_LIMITED"),
        (status = 409, description = "DEVICE_TAKEOVER_REQUIRED"), (status = 502, description = "ROUTER_ERROR"),
        (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn bind_current(
    state: Data,
    client: Client,
    q: web::Query<BestEffort>,
    user: Result<CurrentUser, ApiError>,
    input: Input<BindBody>,
) -> Result<HttpResponse, ApiError> {
    let b = input.0;
    let bound = match user {
        Ok(u) => {
            state.captive.bind_current(&u.0.claims, b.client_ip, b.client_mac, client.0).await.map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match bound {
        Ok(signed) => {
            let bound = signed.device_id.is_some();
            let mut res = HttpResponse::Ok();
            if let Some(proof) = &signed.device_proof {
                set_device_cookie(&mut res, &state, proof);
            }
            let message = if bound { "Perangkat terhubung." } else { "Masuk ke hotspot dari perangkat ini." };
            Ok(res.json(BindAnswer {
                success: true,
                bound,
                message: message.into(),
                hotspot_username: signed.router.hotspot_username.filter(|_| !bound),
                hotspot_password: signed.router.hotspot_password.filter(|_| !bound),
            }))
        }
        // The frontend calls this opportunistically; it asked not to be shown an error. Not being
        // signed in is still an error: the page must sign in first.
        Err(e) if q.best_effort && !e.code.is_unauthenticated() && e.code != ErrorCode::OriginInvalid => {
            Ok(HttpResponse::Ok().json(BindAnswer {
                success: false,
                bound: false,
                message: e.code.as_str().to_owned(),
                hotspot_username: None,
                hotspot_password: None,
            }))
        }
        Err(e) => Err(e),
    }
}

#[utoipa::path(delete, path = "/api/users/me/devices/{id}", tag = "devices", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i64, Path, description = "The device's id", minimum = 1)),
    responses((status = 200, body = super::auth::MessageBody), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "ORIGIN_INVALID"), (status = 404, description = "DEVICE_NOT_FOUND")))]
pub async fn remove(state: Data, user: CurrentUser, path: PathId<OwnDevicePath>) -> Result<HttpResponse, ApiError> {
    state.captive.remove_device(user.id(), path.0).await?;
    Ok(HttpResponse::Ok().json(json!({ "message": "Perangkat dihapus." })))
}

#[derive(Deserialize, ToSchema)]
pub struct LabelBody {
    /// Empty clears the label.
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    label: String,
}

#[utoipa::path(put, path = "/api/users/me/devices/{id}/label", tag = "devices", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i64, Path, description = "The device's id", minimum = 1)),
    request_body(content((LabelBody = "application/json"), (LabelBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = Device), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "ORIGIN_INVALID"), (status = 404, description = "DEVICE_NOT_FOUND")))]
pub async fn label(
    state: Data,
    user: CurrentUser,
    path: PathId<OwnDevicePath>,
    input: Input<LabelBody>,
) -> Result<HttpResponse, ApiError> {
    let label = input.label.trim().to_owned();
    if label.chars().count() > LABEL_MAX || label.chars().any(char::is_control) {
        return Err(ApiError::validation("label", format!("at most {LABEL_MAX} printable characters")));
    }
    let label = (!label.is_empty()).then_some(label);
    let device = state.captive.label_device(user.id(), path.0, label).await?;
    Ok(HttpResponse::Ok().json(device))
}
