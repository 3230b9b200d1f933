//! Typed handler parameters for who is asking: the signed-in user and the admin. A handler that
//! takes one of these is refused (401/403 in the envelope) before it runs.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use super::error::{ApiError, refuse};
use super::meta::RequestMeta;
use super::session::{Authed, authenticate};
use crate::captive::ClientInfo;

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| {
        tracing::error!("application state missing");
        ApiError::internal()
    })
}

/// The signed-in user: a valid, not revoked access token (bearer or cookie; cookie-authenticated
/// changes must come from a trusted origin).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authed);

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            authenticate(&req, &state).await.map(CurrentUser)
        })
    }
}

impl CurrentUser {
    pub fn id(&self) -> uuid::Uuid {
        self.0.claims.sub
    }
}

/// A signed-in admin or super admin.
#[derive(Debug, Clone)]
pub struct AdminUser(pub Authed);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let CurrentUser(a) = user.await?;
            if !a.claims.role.is_admin() {
                return Err(refuse::forbidden());
            }
            Ok(AdminUser(a))
        })
    }
}

/// The client's address (through trusted proxies) and User-Agent.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(state_of(req).map(|state| {
            let m = RequestMeta::of(req, &state.settings.trusted_proxies);
            Client(ClientInfo { ip: m.client_ip, user_agent: m.user_agent })
        }))
    }
}
