//! `POST /api/auth/register`: a new account waits for an operator's approval.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::UserError;
use crate::captive::register::{RegisterError, Registration};
use crate::domain::Msisdn;
use crate::domain::text::flexible_bool;
use crate::http::AppState;
use crate::http::error::{ApiError, Lang, refuse};
use crate::http::extract::Client;
use crate::http::input::Input;

#[derive(Deserialize, ToSchema)]
pub struct RegisterBody {
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$", example = "081234567890")]
    phone_number: Msisdn,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$",
        example = "Budi Santoso"
    )]
    full_name: String,
    #[schema(
        max_length = 200,
        nullable = false,
        pattern = r"^[^\s\x00-\x1F\x7F-\x9F@]+@[^\s\x00-\x1F\x7F-\x9F@]+\.[^\s\x00-\x1F\x7F-\x9F@]+$",
        example = "budi@example.id"
    )]
    email: Option<String>,
    #[schema(max_length = 300, nullable = false, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    address: Option<String>,
    #[schema(max_length = 500, nullable = false, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    notes: Option<String>,
    #[schema(max_length = 50, nullable = false, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    blok: Option<String>,
    #[schema(max_length = 50, nullable = false, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    kamar: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    is_tamping: bool,
    #[schema(max_length = 50, nullable = false, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    tamping_type: Option<String>,
    /// Asks to be a komandan (the operator decides).
    #[serde(default, deserialize_with = "flexible_bool")]
    register_as_komandan: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RegisterAnswer {
    message: String,
    user_id: Uuid,
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Captive(c) => c.into(),
            RegisterError::Closed => refuse::registration_closed(),
            RegisterError::User(UserError::PhoneTaken) => refuse::phone_taken(),
            RegisterError::User(UserError::InvalidName) => ApiError::validation("full_name", "1 to 100 characters"),
            RegisterError::User(UserError::InvalidField { field, reason }) => ApiError::validation(field, reason),
            RegisterError::User(UserError::Db(e)) => e.into(),
            RegisterError::User(other) => {
                tracing::error!(error = %other, "register failed");
                ApiError::internal()
            }
        }
    }
}

#[utoipa::path(post, path = "/api/auth/register", tag = "auth",
    request_body(content((RegisterBody = "application/json"), (RegisterBody = "application/x-www-form-urlencoded"))),
    responses((status = 201, body = RegisterAnswer), (status = 409, description = "PHONE_TAKEN"),
        (status = 429, description = "RATE_LIMITED")))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Client,
    input: Input<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    let b = input.0;
    let r = Registration {
        phone: b.phone_number,
        full_name: b.full_name,
        email: b.email,
        address: b.address,
        notes: b.notes,
        blok: b.blok,
        kamar: b.kamar,
        is_tamping: b.is_tamping,
        tamping_type: b.tamping_type,
        register_as_komandan: b.register_as_komandan,
    };
    let user_id = state.captive.register(r, client.0.ip.as_ref()).await?;
    let message = Lang::of(&req).pick(
        "Pendaftaran diterima. Tunggu persetujuan admin.",
        "Registration received. Wait for an admin to approve it.",
    );
    Ok(HttpResponse::Created().json(RegisterAnswer { message, user_id }))
}
