//! What the existing frontend's pages read without a session: its public settings, the active
//! promotions, the register tab's number check.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Msisdn;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::Client;
use crate::http::input::Input;

#[derive(Serialize, ToSchema)]
pub struct PublicSetting {
    setting_key: String,
    setting_value: String,
}

#[utoipa::path(get, path = "/api/settings/public", tag = "public",
    responses((status = 200, body = Vec<PublicSetting>, description = "The non-secret settings, as `{setting_key, setting_value}`")))]
pub async fn settings_public(state: web::Data<AppState>) -> HttpResponse {
    let r = state.admin.runtime.get();
    let yes_no = |b: bool| if b { "True" } else { "False" }.to_owned();
    let mut list = vec![
        PublicSetting { setting_key: "APP_NAME".into(), setting_value: r.app_name.clone() },
        PublicSetting { setting_key: "MAINTENANCE_MODE_ACTIVE".into(), setting_value: yes_no(r.maintenance_mode) },
        PublicSetting {
            setting_key: "MAINTENANCE_MODE_MESSAGE".into(),
            setting_value: if r.maintenance_mode { r.maintenance_message.clone() } else { String::new() },
        },
        PublicSetting { setting_key: "REGISTRATION_OPEN".into(), setting_value: yes_no(r.registration_open) },
        PublicSetting { setting_key: "DEVICE_LIMIT".into(), setting_value: r.device_limit.to_string() },
        PublicSetting { setting_key: "TIMEZONE".into(), setting_value: state.settings.timezone.name().into() },
        // What the komandan's request form offers.
        PublicSetting {
            setting_key: "KOMANDAN_MAX_QUOTA_MB".into(),
            setting_value: r.komandan_max_quota_mb.to_string(),
        },
        PublicSetting { setting_key: "KOMANDAN_MAX_QUOTA_DAYS".into(), setting_value: r.komandan_max_days.to_string() },
        PublicSetting {
            setting_key: "KOMANDAN_ALLOW_UNLIMITED_REQUEST".into(),
            setting_value: yes_no(r.komandan_allow_unlimited),
        },
        PublicSetting {
            setting_key: "KOMANDAN_MAX_UNLIMITED_DAYS".into(),
            setting_value: r.komandan_max_unlimited_days.to_string(),
        },
    ];
    // How /beli pays: Snap, or the Core API's methods and banks the operator offers (the page
    // opens its method picker only when it reads core_api here).
    for key in ["payment_provider_mode", "core_api_payment_methods", "core_api_va_banks"] {
        if let Some((_, Some(alias), _)) = crate::config::runtime::KEYS.iter().find(|(k, _, _)| *k == key) {
            let value = crate::config::RuntimeSettings::text_of(&r.value_of(key));
            list.push(PublicSetting { setting_key: (*alias).to_owned(), setting_value: value });
        }
    }
    // The frontend's own presentation settings (theme, layout, …) as an operator stored them.
    list.extend(r.ui.iter().map(|(k, v)| PublicSetting { setting_key: k.clone(), setting_value: v.clone() }));
    HttpResponse::Ok().json(list)
}

#[utoipa::path(get, path = "/api/public/promos/active", tag = "public",
    responses((status = 200, body = Vec<crate::settings::promos::Promo>, description = "The promotions running now (ACTIVE and within their dates), newest first")))]
pub async fn promos_active(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admin.promos.running().await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PhoneBody {
    #[schema(value_type = String, min_length = 1, max_length = 30)]
    phone_number: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Validity {
    is_valid: bool,
    message: String,
}

#[utoipa::path(post, path = "/api/users/validate-whatsapp", tag = "public",
    request_body(content((PhoneBody = "application/json"), (PhoneBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = Validity, description = "`isValid` false with the reason: the form, or already registered"),
        (status = 429, description = "RATE_LIMITED")))]
pub async fn validate_whatsapp(
    state: web::Data<AppState>,
    client: Client,
    input: Input<PhoneBody>,
) -> Result<HttpResponse, ApiError> {
    let answer = match Msisdn::parse(&input.phone_number) {
        Err(e) => Validity { is_valid: false, message: format!("Nomor tidak valid: {e}") },
        Ok(phone) => {
            if state.captive.phone_taken(&phone, client.0.ip.as_ref()).await? {
                Validity { is_valid: false, message: "Nomor sudah terdaftar di sistem.".into() }
            } else {
                Validity { is_valid: true, message: "Nomor dapat dipakai.".into() }
            }
        }
    };
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Deserialize, ToSchema)]
pub struct ContactBody {
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$", example = "081234567890")]
    phone_number: Msisdn,
    /// What the visitor typed; not stored (registering is the register page's).
    #[schema(max_length = 100)]
    full_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactAnswer {
    user_exists: bool,
    message: &'static str,
}

#[utoipa::path(post, path = "/api/users/check-or-register", tag = "public",
    request_body(content((ContactBody = "application/json"))),
    responses((status = 200, body = ContactAnswer, description = "Whether the number holds an account: the shop's contact form then sends the visitor to sign in or to register (nothing is created here)"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 429, description = "RATE_LIMITED")))]
pub async fn check_or_register(
    state: web::Data<AppState>,
    client: Client,
    input: Input<ContactBody>,
) -> Result<HttpResponse, ApiError> {
    if input.full_name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return Err(ApiError::validation("full_name", "at most 100 characters"));
    }
    // The same answer, under the same limits, as validate-whatsapp's.
    let user_exists = state.captive.phone_taken(&input.phone_number, client.0.ip.as_ref()).await?;
    let message = if user_exists {
        "Nomor Anda sudah terdaftar. Silakan login."
    } else {
        "Nomor Anda belum terdaftar. Silakan registrasi."
    };
    Ok(HttpResponse::Ok().json(ContactAnswer { user_exists, message }))
}
