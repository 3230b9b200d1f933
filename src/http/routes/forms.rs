//! The public database-update form (`/update`): a resident states name, role and room; an admin
//! decides (`/api/admin/update-submissions`). Open only while the operator's setting says so.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::submissions::Stated;
use crate::domain::{Msisdn, SubmissionRole};
use crate::http::AppState;
use crate::http::error::{ApiError, Lang};
use crate::http::extract::Client;
use crate::http::input::Input;

#[derive(Deserialize, ToSchema)]
pub struct SubmissionBody {
    #[serde(alias = "phoneNumber")]
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$", example = "+6281234567890")]
    phone_number: Msisdn,
    #[serde(alias = "fullName")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    full_name: String,
    role: SubmissionRole,
    /// Required for `USER`.
    #[schema(max_length = 50, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    blok: Option<String>,
    /// Required for `USER`.
    #[schema(max_length = 50, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    kamar: Option<String>,
    /// Required for `TAMPING`.
    #[schema(max_length = 50, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    tamping_type: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FormAnswer {
    success: bool,
    message: String,
}

#[utoipa::path(post, path = "/api/users/database-update-submissions", tag = "public",
    request_body(content((SubmissionBody = "application/json"))),
    responses((status = 201, body = FormAnswer, description = "Filed (a pending one of the number replaced)"),
        (status = 403, description = "FEATURE_DISABLED"), (status = 422, description = "VALIDATION_ERROR"),
        (status = 429, description = "RATE_LIMITED")))]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Client,
    input: Input<SubmissionBody>,
) -> Result<HttpResponse, ApiError> {
    let b = input.0;
    let stated = Stated::new(b.phone_number, b.full_name, b.role, b.blok, b.kamar, b.tamping_type)
        .map_err(|(field, reason)| ApiError::validation(field, reason))?;
    state.captive.submit_update(stated, client.0.ip.as_ref()).await?;
    let message = Lang::of(&req).pick(
        "Data pemutakhiran berhasil dikirim. Admin akan meninjaunya.",
        "Your update was sent. An admin will review it.",
    );
    Ok(HttpResponse::Created().json(FormAnswer { success: true, message }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// The number the form's link carries.
    #[param(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    phone: Msisdn,
}

#[derive(Serialize, ToSchema)]
pub struct FormStatusAnswer {
    success: bool,
    /// `none`, `reviewing` or `approved`: the number's latest submission, never whether it holds
    /// an account.
    #[schema(pattern = "^(none|reviewing|approved)$")]
    status: &'static str,
}

#[utoipa::path(get, path = "/api/users/database-update-submissions/status", tag = "public", params(StatusQuery),
    responses((status = 200, body = FormStatusAnswer), (status = 403, description = "FEATURE_DISABLED"),
        (status = 422, description = "VALIDATION_ERROR"), (status = 429, description = "RATE_LIMITED")))]
pub async fn status(
    state: web::Data<AppState>,
    client: Client,
    q: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let s = state.captive.update_status(q.into_inner().phone, client.0.ip.as_ref()).await?;
    Ok(HttpResponse::Ok().json(FormStatusAnswer { success: true, status: s.as_str() }))
}
