//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::OpenApi;

use super::routes::{health, meta};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hotspot API",
        description = "Captive WhatsApp-OTP login, device authorization on MikroTik routers, quota sync. \
                       Every error (status >= 400) is the envelope `{success:false, error, message, status_code, code, request_id, details?}`.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(health::health, meta::openapi),
    components(schemas(health::Health, health::Checks, health::CheckResult)),
    tags((name = "operations", description = "Health, metrics, this document"))
)]
pub struct ApiDoc;
