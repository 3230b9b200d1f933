//! The OpenAPI 3 document, generated from the handlers' annotations and completed by [`Contract`]:
//! every error response carries the envelope schema, and the statuses every operation of a kind
//! can answer (a body that does not parse, a database outage…) are declared once here instead of
//! on each handler.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, RefOr, Response};
use utoipa::{Modify, OpenApi, ToSchema};

use super::routes::{
    account, admin, auth, billing, debts, devices, documents, forms, health, operations, payment_pages, public, radius,
    register, selfservice, telegram, webhooks,
};

/// The error envelope of every response with status >= 400. Some refusals add fields:
/// `status` and `status_token` (ACCOUNT_STATUS), `checks` (the health report).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorEnvelope {
    /// Always false.
    success: bool,
    error: String,
    /// Human text, Indonesian unless `Accept-Language` prefers English.
    message: String,
    status_code: u16,
    /// A stable machine code, e.g. `VALIDATION_ERROR`, `OTP_INVALID`, `RATE_LIMITED`.
    code: String,
    request_id: Option<String>,
    /// What was wrong (a validation error names the `field`); never on a 5xx.
    #[schema(value_type = Option<Object>)]
    details: Option<serde_json::Value>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hotspot API",
        description = "Captive WhatsApp-OTP login, device authorization on MikroTik routers, quota sync. \
                       Every error (status >= 400) is the envelope `{success:false, error, message, status_code, code, request_id, details?}`.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        operations::metrics,
        health::health,
        operations::openapi,
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
        admin::sync_status,
        admin::sync_now,
        admin::users::list,
        admin::users::create,
        admin::users::detail,
        admin::users::patch,
        admin::users::put,
        admin::actions::deactivate,
        admin::actions::approve,
        admin::actions::approve_patch,
        admin::actions::reject,
        admin::actions::block,
        admin::actions::unblock,
        admin::actions::quota,
        admin::actions::expiry,
        admin::actions::role,
        admin::actions::user_devices,
        admin::manage::devices_seen,
        admin::actions::revoke_device,
        admin::manage::audit,
        admin::manage::messages,
        admin::manage::stats,
        admin::manage::dashboard_stats,
        admin::manage::settings_get,
        admin::manage::settings_put,
        admin::manage::address_options,
        admin::manage::router_options,
        admin::whatsapp::status,
        admin::whatsapp::qr,
        admin::whatsapp::clear_session,
        admin::packages::packages,
        admin::packages::create_package,
        admin::packages::update_package,
        admin::packages::put_package,
        admin::packages::delete_package,
        admin::billing::batches,
        admin::billing::create_batch,
        admin::billing::batch_csv,
        admin::billing::batch,
        admin::billing::revoke_batch,
        admin::billing::cash_sale,
        admin::billing::transactions,
        admin::bills::bill,
        admin::debts::ledger,
        admin::debts::settle_all,
        admin::debts::settle_one,
        admin::sends::ledger,
        admin::sends::detail,
        admin::sends::history,
        admin::billing::transaction,
        admin::billing::transaction_detail,
        admin::billing::reconcile,
        billing::packages,
        billing::payment_availability,
        billing::start,
        billing::initiate,
        debts::initiate,
        documents::invoice,
        documents::report,
        documents::export,
        documents::linked,
        documents::my_history,
        documents::user_history,
        documents::ledger,
        documents::detail,
        documents::users_list,
        documents::debt_list,
        billing::notification,
        billing::by_order_id,
        billing::get,
        payment_pages::qr,
        payment_pages::public_by_order_id,
        payment_pages::public_qr,
        payment_pages::public_cancel,
        billing::cancel,
        billing::mine,
        billing::redeem,
        webhooks::whatsapp,
        webhooks::fonnte_status,
        public::settings_public,
        public::promos_active,
        public::validate_whatsapp,
        public::check_or_register,
        telegram::status,
        telegram::link_token,
        telegram::unlink,
        telegram::webhook,
        radius::authorize,
        radius::accounting,
        telegram::test_send,
        selfservice::quota,
        selfservice::weekly_usage,
        selfservice::monthly_usage,
        selfservice::weekly_spending,
        debts::quota_debts,
        account::usage,
        account::quota_history,
        account::login_history,
        account::profile,
        account::console_profile,
        account::change_password,
        forms::submit,
        forms::status,
        admin::submissions::list,
        admin::submissions::approve,
        admin::submissions::reject,
        admin::submissions::cleanup_preview,
        admin::editor::mikrotik_status,
        admin::editor::quota_adjust,
        admin::editor::reset_login,
        admin::editor::reset_password,
        admin::editor::detail_summary,
        admin::editor::quota_history,
        admin::routers::list,
        admin::routers::create,
        admin::routers::get,
        admin::routers::update,
        admin::routers::disable,
        admin::routers::enable,
        admin::routers::test,
        admin::promos::list,
        admin::promos::create,
        admin::promos::update,
        admin::promos::delete,
        admin::requests::file,
        admin::requests::history,
        admin::requests::list,
        admin::requests::process,
        admin::requests::recipients,
        admin::requests::save_recipients,
        admin::ops::metrics,
        admin::ops::access_parity,
        admin::ops::parity_fix,
        admin::ops::verify_rules,
        admin::whatsapp::test_send,
        admin::backups::list,
        admin::backups::create,
        admin::backups::download,
        admin::backups::upload,
        admin::backups::restore,
        admin::logs::list,
        admin::logs::export,
        admin::logs::purge,
        admin::whatsapp::broadcast,
        admin::whatsapp::broadcast_progress,
    ),
    components(schemas(ErrorEnvelope, health::Health, health::Checks, health::CheckResult)),
    modifiers(&Contract),
    tags(
        (name = "operations", description = "Health, metrics, this document"),
        (name = "auth", description = "WhatsApp OTP captive login, sessions"),
        (name = "devices", description = "The signed-in user's devices"),
        (name = "webhooks", description = "Provider callbacks"),
        (name = "radius", description = "FreeRADIUS's rest module: logins and accounting of sites in RADIUS mode"),
        (name = "admin", description = "Operators: sync, users, audit"),
        (name = "public", description = "What the frontend's pages read"),
        (name = "self-service", description = "The signed-in user's own figures"),
        (name = "billing", description = "Packages, payments through Midtrans, vouchers"),
    )
)]
pub struct ApiDoc;

/// Completes every operation's responses (see the module's text).
pub struct Contract;

fn text_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new().schema(Object::with_type(Type::String)).description(Some(description)).build()
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorEnvelope"))))
                .build(),
        )
        .build()
}

/// Statuses an operation answers because of its shape, whatever the handler does.
fn shape_statuses(op: &Operation, path: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("500", "INTERNAL"), ("503", "DATABASE_UNAVAILABLE, REDIS_UNAVAILABLE: a dependency is down")];
    if op.request_body.is_some() {
        out.extend([
            ("400", "MALFORMED_BODY: the body is not JSON or form data"),
            ("413", "PAYLOAD_TOO_LARGE"),
            ("415", "UNSUPPORTED_MEDIA_TYPE"),
            ("422", "VALIDATION_ERROR: `details.field` names the field"),
        ]);
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
        out.push(("422", "VALIDATION_ERROR: a query parameter"));
    }
    if path.contains('{') {
        out.push(("404", "NOT_FOUND"));
        out.push(("422", "VALIDATION_ERROR: a path parameter"));
    }
    out
}

impl Modify for Contract {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("FreeRADIUS: user `freeradius`, password HOTSPOT_RADIUS_API_TOKEN"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "auth_token",
                "The session cookie; changes also need a trusted Origin",
            ))),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                for (status, description) in shape_statuses(op, path) {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(error_response(description)));
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(r) = response else { continue };
                    let is_error = status.as_str() >= "400";
                    if is_error && r.content.is_empty() {
                        *r = error_response(&r.description);
                    }
                    r.headers.insert("X-Request-ID".into(), text_header("The request's id (echoed or generated)"));
                    if status == "429" || status == "503" {
                        r.headers.insert("Retry-After".into(), text_header("Seconds to wait before trying again"));
                    }
                }
            }
        }
    }
}

/// The document as the server sends it, rendered once at start-up.
pub fn document() -> Result<bytes::Bytes, serde_json::Error> {
    Ok(bytes::Bytes::from(serde_json::to_vec(&ApiDoc::openapi())?))
}
