//! Typed handler parameters for who is asking: the signed-in user and the admin. A handler that
//! takes one of these is refused (401/403 in the envelope) before it runs.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use actix_web::HttpMessage;

use super::AppState;
use super::client_meta::RequestMeta;
use super::context::Deadline;
use super::cookies::{Authed, authenticate};
use super::error::{ApiError, refuse};
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

/// A signed-in admin or super admin, as the database says now (a role taken away or an account
/// blocked ends admin access at once, whatever the token says), in a session started with the
/// admin's password: a WhatsApp code alone never opens the console.
#[derive(Debug, Clone)]
pub struct AdminUser(pub Authed, pub Box<crate::db::models::User>);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        let state = state_of(req);
        Box::pin(async move {
            let CurrentUser(a) = user.await?;
            if !a.claims.adm {
                return Err(refuse::admin_password_required());
            }
            let state = state?;
            let row = state.captive.user_by_id(a.claims.sub).await?.ok_or_else(refuse::auth_required)?;
            if !row.role.is_admin() || row.is_blocked || !row.is_active {
                return Err(refuse::forbidden());
            }
            Ok(AdminUser(a, Box::new(row)))
        })
    }
}

/// The site a request names: `?site=` or the `X-Hotspot-Site` header (what is not a token is
/// ignored: it only chooses among the sites the address allows).
fn site_token(req: &HttpRequest) -> Option<crate::domain::site::SiteToken> {
    let header = req.headers().get("x-hotspot-site").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let query = || {
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "site")
            .map(|(_, v)| v.into_owned())
    };
    header.or_else(query).and_then(|t| crate::domain::site::SiteToken::parse(&t).ok())
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
            let deadline = req.extensions().get::<Deadline>().map(|d| d.0);
            Client(ClientInfo { ip: m.client_ip, user_agent: m.user_agent, deadline, site: site_token(req) })
        }))
    }
}

/// The admin as the audit trail names them: who, the request's id, the client's address.
pub struct AdminActor(pub crate::admin::Actor, pub AdminUser);

impl FromRequest for AdminActor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let admin = AdminUser::from_request(req, payload);
        let client = Client::from_request(req, payload);
        let request_id = super::context::request_id(req);
        Box::pin(async move {
            let admin = admin.await?;
            let Client(c) = client.await?;
            Ok(AdminActor(crate::admin::Actor::admin(&admin.1, request_id, c.ip), admin))
        })
    }
}
