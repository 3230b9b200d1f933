//! Every route the server answers, in one table: method, path, handler. The server registers
//! this table and a test checks it against the OpenAPI document, so a route cannot exist
//! without its contract.

pub mod account;
pub mod admin;
pub mod auth;
pub mod billing;
pub mod billing_views;
pub mod debts;
pub mod devices;
pub mod documents;
pub mod forms;
pub mod health;
pub mod me;
pub mod operations;
pub mod patterns;
pub mod payment_pages;
pub mod public;
pub mod radius;
pub mod register;
pub mod selfservice;
pub mod telegram;
pub mod webhooks;

use actix_web::http::Method;
use actix_web::{Route, web};

pub struct RouteSpec {
    pub method: Method,
    /// The full path, with `{name}` for path parameters.
    pub path: &'static str,
    pub route: fn() -> Route,
}

macro_rules! routes {
    ($($method:ident $path:literal => $handler:path),+ $(,)?) => {
        vec![$(RouteSpec {
            method: Method::$method,
            path: $path,
            route: || web::route().method(Method::$method).to($handler),
        }),+]
    };
}

/// The table. A literal path comes before a parameter at the same place (`bind-current` before
/// `{id}`).
pub fn table() -> Vec<RouteSpec> {
    let groups = [
        operations_routes(),
        sign_in_routes(),
        self_service_routes(),
        billing_routes(),
        admin_routes(),
        console_routes(),
    ];
    groups.into_iter().flatten().collect()
}

/// Health, metrics and the contract.
fn operations_routes() -> Vec<RouteSpec> {
    routes![
        GET "/metrics" => operations::metrics,
        GET "/api/health" => health::health,
        GET "/api/openapi.json" => operations::openapi,
    ]
}

/// The captive door: codes, sessions, registration, devices, the public settings.
fn sign_in_routes() -> Vec<RouteSpec> {
    routes![
        POST "/api/auth/request-otp" => auth::request_otp,
        POST "/api/auth/verify-otp" => auth::verify_otp,
        POST "/api/auth/auto-login" => auth::auto_login,
        POST "/api/auth/session/consume" => auth::session_consume,
        POST "/api/auth/refresh" => auth::refresh_session,
        GET "/api/auth/me" => auth::me,
        GET "/api/auth/hotspot-session-status" => auth::hotspot_session_status,
        POST "/api/auth/logout" => auth::logout,
        POST "/api/auth/reset-login" => auth::reset_login,
        POST "/api/auth/register" => register::register,
        POST "/api/auth/admin/login" => auth::admin_login,
        POST "/api/auth/status-token/verify" => auth::status_token_verify,
        GET "/api/users/me/devices" => devices::list,
        POST "/api/users/me/devices/bind-current" => devices::bind_current,
        DELETE "/api/users/me/devices/{id}" => devices::remove,
        PUT "/api/users/me/devices/{id}/label" => devices::label,
        GET "/api/settings/public" => public::settings_public,
        GET "/api/public/promos/active" => public::promos_active,
        POST "/api/users/validate-whatsapp" => public::validate_whatsapp,
        POST "/api/users/check-or-register" => public::check_or_register,
        POST "/api/users/database-update-submissions" => forms::submit,
        GET "/api/users/database-update-submissions/status" => forms::status,
    ]
}

/// A signed-in user's own records.
fn self_service_routes() -> Vec<RouteSpec> {
    routes![
        GET "/api/auth/me/telegram/status" => telegram::status,
        POST "/api/auth/me/telegram/link-token" => telegram::link_token,
        POST "/api/auth/me/telegram/unlink" => telegram::unlink,
        GET "/api/users/me/quota" => selfservice::quota,
        GET "/api/users/me/weekly-usage" => selfservice::weekly_usage,
        GET "/api/users/me/monthly-usage" => selfservice::monthly_usage,
        GET "/api/users/me/weekly-spending" => selfservice::weekly_spending,
        GET "/api/users/me/quota-debts" => debts::quota_debts,
        GET "/api/users/me/usage" => account::usage,
        GET "/api/users/me/quota-history" => account::quota_history,
        GET "/api/users/me/quota-history/export" => documents::my_history,
        GET "/api/users/me/login-history" => account::login_history,
        PUT "/api/auth/me/profile" => account::profile,
        PUT "/api/admin/users/me" => account::console_profile,
        POST "/api/auth/me/change-password" => account::change_password,
        POST "/api/komandan/requests" => admin::requests::file,
        GET "/api/komandan/requests/history" => admin::requests::history,
    ]
}

/// The shop, payments, vouchers and the providers' webhooks.
fn billing_routes() -> Vec<RouteSpec> {
    routes![
        GET "/api/packages" => billing::packages,
        GET "/api/settings/payment-availability" => billing::payment_availability,
        POST "/api/transactions" => billing::start,
        POST "/api/transactions/initiate" => billing::initiate,
        POST "/api/transactions/debt/initiate" => debts::initiate,
        POST "/api/transactions/notification" => billing::notification,
        GET "/api/transactions/by-order-id/{order_id}" => billing::by_order_id,
        GET "/api/transactions/public/by-order-id/{order_id}" => payment_pages::public_by_order_id,
        GET "/api/transactions/public/{order_id}/qr" => payment_pages::public_qr,
        POST "/api/transactions/public/{order_id}/cancel" => payment_pages::public_cancel,
        GET "/api/transactions/{order_id}" => billing::get,
        GET "/api/transactions/{order_id}/qr" => payment_pages::qr,
        POST "/api/transactions/{order_id}/cancel" => billing::cancel,
        GET "/api/transactions/{order_id}/invoice" => documents::invoice,
        GET "/api/documents/{token}" => documents::linked,
        GET "/api/users/me/transactions" => billing::mine,
        POST "/api/vouchers/redeem" => billing::redeem,
        POST "/api/webhooks/fonnte/status/{secret}" => webhooks::fonnte_status,
        POST "/api/webhooks/whatsapp/{provider}" => webhooks::whatsapp,
        POST "/api/webhooks/telegram/{secret}" => telegram::webhook,
        POST "/api/radius/authorize" => radius::authorize,
        POST "/api/radius/accounting" => radius::accounting,
    ]
}

/// The operator's console.
fn admin_routes() -> Vec<RouteSpec> {
    routes![
        GET "/api/admin/sync/status" => admin::sync_status,
        POST "/api/admin/sync" => admin::sync_now,
        GET "/api/admin/update-submissions" => admin::submissions::list,
        POST "/api/admin/update-submissions/{id}/approve" => admin::submissions::approve,
        POST "/api/admin/update-submissions/{id}/reject" => admin::submissions::reject,
        GET "/api/admin/users" => admin::users::list,
        GET "/api/admin/users/inactive-cleanup-preview" => admin::submissions::cleanup_preview,
        POST "/api/admin/users" => admin::users::create,
        GET "/api/admin/users/{id}" => admin::users::detail,
        PATCH "/api/admin/users/{id}" => admin::users::patch,
        PUT "/api/admin/users/{id}" => admin::users::put,
        DELETE "/api/admin/users/{id}" => admin::actions::deactivate,
        POST "/api/admin/users/{id}/approve" => admin::actions::approve,
        PATCH "/api/admin/users/{id}/approve" => admin::actions::approve_patch,
        POST "/api/admin/users/{id}/reject" => admin::actions::reject,
        POST "/api/admin/users/{id}/block" => admin::actions::block,
        POST "/api/admin/users/{id}/unblock" => admin::actions::unblock,
        POST "/api/admin/users/{id}/quota" => admin::actions::quota,
        POST "/api/admin/users/{id}/expiry" => admin::actions::expiry,
        POST "/api/admin/users/{id}/role" => admin::actions::role,
        GET "/api/admin/users/{id}/devices" => admin::actions::user_devices,
        GET "/api/admin/users/{id}/mikrotik-status" => admin::editor::mikrotik_status,
        POST "/api/admin/users/{id}/quota-adjust" => admin::editor::quota_adjust,
        POST "/api/admin/users/{id}/reset-login" => admin::editor::reset_login,
        POST "/api/admin/users/{id}/reset-password" => admin::editor::reset_password,
        GET "/api/admin/users/{id}/detail-summary" => admin::editor::detail_summary,
        GET "/api/admin/users/{id}/quota-history" => admin::editor::quota_history,
        GET "/api/admin/users/{id}/quota-history/export" => documents::user_history,
        GET "/api/admin/users/{id}/debts/export" => documents::ledger,
        POST "/api/admin/users/{id}/debts/send-whatsapp" => admin::sends::ledger,
        POST "/api/admin/users/{id}/detail-report/send-whatsapp" => admin::sends::detail,
        POST "/api/admin/users/{id}/quota-history/send-wa" => admin::sends::history,
        GET "/api/admin/users/{id}/detail-report/export" => documents::detail,
        GET "/api/admin/users/export/users-list" => documents::users_list,
        GET "/api/admin/users/export/debt-list" => documents::debt_list,
        GET "/api/admin/devices" => admin::manage::devices_seen,
        DELETE "/api/admin/devices/{id}" => admin::actions::revoke_device,
        GET "/api/admin/audit" => admin::manage::audit,
        GET "/api/admin/messages" => admin::manage::messages,
        GET "/api/admin/stats" => admin::manage::stats,
        GET "/api/admin/dashboard/stats" => admin::manage::dashboard_stats,
        GET "/api/admin/settings" => admin::manage::settings_get,
        PUT "/api/admin/settings" => admin::manage::settings_put,
        GET "/api/admin/form-options/alamat" => admin::manage::address_options,
        GET "/api/admin/form-options/mikrotik" => admin::manage::router_options,
        GET "/api/admin/whatsapp/status" => admin::whatsapp::status,
        GET "/api/admin/whatsapp/qr" => admin::whatsapp::qr,
        POST "/api/admin/whatsapp/clear-session" => admin::whatsapp::clear_session,
        POST "/api/admin/whatsapp/test-send" => admin::whatsapp::test_send,
        POST "/api/admin/whatsapp/broadcast" => admin::whatsapp::broadcast,
        GET "/api/admin/whatsapp/broadcast/{id}" => admin::whatsapp::broadcast_progress,
        POST "/api/admin/telegram/test-send" => telegram::test_send,
        GET "/api/admin/packages" => admin::packages::packages,
        POST "/api/admin/packages" => admin::packages::create_package,
        PATCH "/api/admin/packages/{id}" => admin::packages::update_package,
        PUT "/api/admin/packages/{id}" => admin::packages::put_package,
        DELETE "/api/admin/packages/{id}" => admin::packages::delete_package,
        GET "/api/admin/vouchers" => admin::billing::batches,
        POST "/api/admin/vouchers" => admin::billing::create_batch,
        GET "/api/admin/vouchers/{batch}.csv" => admin::billing::batch_csv,
        GET "/api/admin/vouchers/{batch}" => admin::billing::batch,
        POST "/api/admin/vouchers/{batch}/revoke" => admin::billing::revoke_batch,
        POST "/api/admin/users/{id}/sales" => admin::billing::cash_sale,
        GET "/api/admin/transactions" => admin::billing::transactions,
        POST "/api/admin/transactions/bill" => admin::bills::bill,
        GET "/api/admin/users/{id}/debts" => admin::debts::ledger,
        POST "/api/admin/users/{id}/debts/settle-all" => admin::debts::settle_all,
        POST "/api/admin/users/{id}/debts/{debt_id}/settle" => admin::debts::settle_one,
        GET "/api/admin/transactions/export" => documents::export,
        GET "/api/admin/transactions/{order_id}/report.pdf" => documents::report,
        GET "/api/admin/transactions/{order_id}" => admin::billing::transaction,
        GET "/api/admin/transactions/{order_id}/detail" => admin::billing::transaction_detail,
        POST "/api/admin/transactions/{order_id}/reconcile" => admin::billing::reconcile,
    ]
}

/// The console's other pages: promotions, komandans' requests, who hears which event, backups,
/// the action logs, the operations figures and the router check.
fn console_routes() -> Vec<RouteSpec> {
    routes![
        GET "/api/admin/routers" => admin::routers::list,
        POST "/api/admin/routers" => admin::routers::create,
        GET "/api/admin/routers/{id}" => admin::routers::get,
        PATCH "/api/admin/routers/{id}" => admin::routers::update,
        POST "/api/admin/routers/{id}/disable" => admin::routers::disable,
        POST "/api/admin/routers/{id}/enable" => admin::routers::enable,
        POST "/api/admin/routers/{id}/test" => admin::routers::test,
        GET "/api/admin/promos" => admin::promos::list,
        POST "/api/admin/promos" => admin::promos::create,
        PUT "/api/admin/promos/{id}" => admin::promos::update,
        DELETE "/api/admin/promos/{id}" => admin::promos::delete,
        GET "/api/admin/quota-requests" => admin::requests::list,
        POST "/api/admin/quota-requests/{id}/process" => admin::requests::process,
        GET "/api/admin/notification-recipients" => admin::requests::recipients,
        POST "/api/admin/notification-recipients" => admin::requests::save_recipients,
        GET "/api/admin/backups" => admin::backups::list,
        POST "/api/admin/backups" => admin::backups::create,
        POST "/api/admin/backups/upload" => admin::backups::upload,
        POST "/api/admin/backups/restore" => admin::backups::restore,
        GET "/api/admin/backups/{name}" => admin::backups::download,
        GET "/api/admin/action-logs" => admin::logs::list,
        GET "/api/admin/action-logs/export" => admin::logs::export,
        DELETE "/api/admin/action-logs" => admin::logs::purge,
        GET "/api/admin/metrics" => admin::ops::metrics,
        GET "/api/admin/metrics/access-parity" => admin::ops::access_parity,
        POST "/api/admin/metrics/access-parity/fix" => admin::ops::parity_fix,
        GET "/api/admin/mikrotik/verify-rules" => admin::ops::verify_rules,
    ]
}

/// Registers the table: one resource per path, in table order, with its methods.
pub fn register_all(cfg: &mut web::ServiceConfig) {
    let table = table();
    let mut paths: Vec<&'static str> = Vec::new();
    for r in &table {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    for path in paths {
        let mut resource = web::resource(path).wrap(actix_web::middleware::from_fn(crate::http::context::deadline));
        for r in table.iter().filter(|r| r.path == path) {
            resource = resource.route((r.route)());
        }
        cfg.service(resource);
    }
}
