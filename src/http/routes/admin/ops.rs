//! The operations pages: the day's reliability figures (`/api/admin/metrics`), the access
//! parity report and its fix, the router check (`/api/admin/mikrotik/verify-rules`).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::admin::parity::{ParityError, ParityReport};
use crate::admin::router_check::Check;
use crate::http::AppState;
use crate::http::error::{ApiError, refuse};
use crate::http::extract::AdminActor;
use crate::http::ids::uuid_field;
use crate::http::input::Input;

type Data = web::Data<AppState>;

#[derive(Serialize, ToSchema)]
pub struct MetricsAnswer {
    /// The last day's figures by the existing frontend's names.
    #[schema(value_type = Object)]
    metrics: BTreeMap<&'static str, i64>,
    #[schema(value_type = Object)]
    reliability_signals: BTreeMap<&'static str, bool>,
}

#[utoipa::path(get, path = "/api/admin/metrics", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MetricsAnswer, description = "The last day's figures from the records (codes, payments, sync cycles, messages, console sign-ins) and the last parity count"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn metrics(state: Data, _a: AdminActor) -> Result<HttpResponse, ApiError> {
    let r = state.admin.reliability().await?;
    Ok(HttpResponse::Ok().json(MetricsAnswer { metrics: r.metrics, reliability_signals: r.signals }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParityQuery {
    /// Also list what does not change anyone's access (a user with no device signed in).
    #[param(pattern = "^(1|0|true|false|yes|no|on|off)$")]
    include_non_parity: Option<String>,
}

impl From<ParityError> for ApiError {
    fn from(e: ParityError) -> Self {
        match e {
            ParityError::NoRouter => refuse::router_unavailable(),
            ParityError::Router(r) => {
                tracing::warn!(error = %r, "access parity: the router did not answer");
                refuse::router_unavailable()
            }
            ParityError::Admin(a) => a.into(),
        }
    }
}

#[utoipa::path(get, path = "/api/admin/metrics/access-parity", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(ParityQuery),
    responses((status = 200, body = ParityReport, description = "Each active user's devices: the router's entries against the policy"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn access_parity(state: Data, _a: AdminActor, q: web::Query<ParityQuery>) -> Result<HttpResponse, ApiError> {
    let all = match q.include_non_parity.as_deref() {
        None => false,
        Some(v) => matches!(v, "1" | "true" | "yes" | "on"),
    };
    Ok(HttpResponse::Ok().json(state.admin.parity(all).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct FixBody {
    /// One user; none: every user the report finds out of step.
    #[schema(format = Uuid)]
    user_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FixAnswer {
    message: &'static str,
    /// Reconciles queued.
    queued: usize,
}

#[utoipa::path(post, path = "/api/admin/metrics/access-parity/fix", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((FixBody = "application/json"))),
    responses((status = 202, body = FixAnswer, description = "The reconcile queued for the user(s): the worker writes the router's entries"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "USER_NOT_FOUND"), (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn parity_fix(state: Data, _a: AdminActor, body: Option<Input<FixBody>>) -> Result<HttpResponse, ApiError> {
    let user: Option<Uuid> =
        body.and_then(|b| b.0.user_id).map(|s| uuid_field("user_id", &s, "a user id")).transpose()?;
    let queued = state.admin.fix_parity(user).await?;
    Ok(HttpResponse::Accepted().json(FixAnswer { message: "Sinkronisasi router diantrekan.", queued }))
}

#[derive(Serialize, ToSchema)]
pub struct RulesAnswer {
    /// `ok` when everything is present, else `error` (still 200: the check itself worked).
    status: &'static str,
    all_found: bool,
    total_filter_rules: usize,
    total_raw_rules: usize,
    checks: Vec<Check>,
}

#[utoipa::path(get, path = "/api/admin/mikrotik/verify-rules", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = RulesAnswer, description = "The setup the policy relies on, each present or missing with the line that adds it"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 503, description = "ROUTER_UNAVAILABLE")))]
pub async fn verify_rules(state: Data, _a: AdminActor) -> Result<HttpResponse, ApiError> {
    let r = match state.admin.router_check().await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(refuse::router_unavailable()),
        Err(e) => {
            tracing::warn!(error = %e, "router check: the router did not answer");
            return Err(refuse::router_unavailable());
        }
    };
    let all_found = r.all_found();
    Ok(HttpResponse::Ok().json(RulesAnswer {
        status: if all_found { "ok" } else { "error" },
        all_found,
        total_filter_rules: r.total_filter_rules,
        total_raw_rules: r.total_raw_rules,
        checks: r.checks,
    }))
}
