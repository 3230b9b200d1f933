//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::OpenApi;

use super::routes::{admin, auth, devices, health, meta, register, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hotspot API",
        description = "Captive WhatsApp-OTP login, device authorization on MikroTik routers, quota sync. \
                       Every error (status >= 400) is the envelope `{success:false, error, message, status_code, code, request_id, details?}`.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        health::health,
        meta::openapi,
        auth::request_otp,
        auth::verify_otp,
        auth::auto_login,
        auth::session_consume,
        auth::refresh_session,
        auth::me,
        auth::hotspot_session_status,
        auth::logout,
        auth::reset_login,
        register::register,
        auth::admin_login,
        auth::status_token_verify,
        devices::list,
        devices::bind_current,
        devices::remove,
        devices::label,
        webhooks::whatsapp,
        admin::sync_status,
        admin::sync_now,
    ),
    components(schemas(health::Health, health::Checks, health::CheckResult)),
    tags(
        (name = "operations", description = "Health, metrics, this document"),
        (name = "auth", description = "WhatsApp OTP captive login, sessions"),
        (name = "devices", description = "The signed-in user's devices"),
        (name = "webhooks", description = "Provider callbacks"),
        (name = "admin", description = "Operators: sync, users, audit"),
    )
)]
pub struct ApiDoc;
