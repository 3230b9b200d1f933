//! `/api/admin/routers`: the sites (one router each). Admins read them; super admins add,
//! change, disable, enable and test them. A password goes in and never comes out.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::admin::sites::{SiteAdminError, SiteTest};
use crate::domain::housekeeping::Housekeeping;
use crate::domain::policy::PerStatus;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode, refuse};
use crate::http::extract::AdminActor;
use crate::http::ids::{PathId, SitePath};
use crate::http::input::Input;
use crate::sites::Site;
use crate::sites::patch::{SiteInput, SitePatch};

type Data = web::Data<AppState>;

impl From<SiteAdminError> for ApiError {
    fn from(e: SiteAdminError) -> Self {
        use actix_web::http::StatusCode;
        match e {
            SiteAdminError::Forbidden => refuse::forbidden(),
            SiteAdminError::NotFound => ApiError::not_found(),
            SiteAdminError::Invalid(r) => ApiError::validation(r.field, r.why),
            SiteAdminError::Taken(what) => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                format!("Situs lain sudah memakai {what} ini."),
                format!("Another site has this {what}."),
            ),
            SiteAdminError::FromEnv(fields) => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                format!(
                    "Situs ini diatur lewat HOTSPOT_ROUTER_* di lingkungan server; ubah di sana: {}.",
                    fields.join(", ")
                ),
                format!(
                    "This site is described by HOTSPOT_ROUTER_* in the environment; change it there: {}.",
                    fields.join(", ")
                ),
            ),
            SiteAdminError::Sealed => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::InvalidState,
                "Kata sandi router situs ini tidak terbuka dengan HOTSPOT_SITE_KEY; masukkan lagi.",
                "This site's router password does not open with HOTSPOT_SITE_KEY; enter it again.",
            ),
            SiteAdminError::Store(crate::sites::StoreError::Db(db)) => db.into(),
            SiteAdminError::Store(other) => {
                tracing::error!(error = %other, "sites");
                ApiError::internal()
            }
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SiteList {
    items: Vec<Site>,
}

/// Names per access status.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PerStatusBody {
    #[schema(min_length = 1, max_length = 64)]
    active: String,
    #[schema(min_length = 1, max_length = 64)]
    fup: String,
    #[schema(min_length = 1, max_length = 64)]
    habis: String,
    #[schema(min_length = 1, max_length = 64)]
    expired: String,
    #[schema(min_length = 1, max_length = 64)]
    blocked: String,
    #[schema(min_length = 1, max_length = 64)]
    inactive: String,
    /// Default: the active one.
    #[schema(max_length = 64)]
    unlimited: Option<String>,
}

impl From<PerStatusBody> for PerStatus {
    fn from(b: PerStatusBody) -> Self {
        PerStatus {
            unlimited: b.unlimited.unwrap_or_else(|| b.active.clone()),
            active: b.active,
            fup: b.fup,
            habis: b.habis,
            expired: b.expired,
            blocked: b.blocked,
            inactive: b.inactive,
        }
    }
}

/// A present field set to null clears it; an absent one is kept.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A site's settings; on a change, only the fields sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    #[schema(pattern = r"^[A-Za-z0-9_.-]{1,64}$")]
    name: Option<String>,
    /// The router API's host, or host:port (default 8728, or 8729 with TLS).
    #[schema(min_length = 1, max_length = 260)]
    address: Option<String>,
    use_tls: Option<bool>,
    /// The router certificate's SHA-256: 64 hex digits, ':' allowed.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 95)]
    tls_fingerprint: Option<Option<String>>,
    #[schema(min_length = 1, max_length = 64)]
    api_user: Option<String>,
    /// Sealed at rest; never returned.
    #[schema(max_length = 256)]
    password: Option<String>,
    #[schema(min_length = 1, max_length = 64)]
    hotspot_server: Option<String>,
    #[schema(max_items = 64)]
    client_ranges: Option<Vec<String>>,
    #[schema(max_items = 64)]
    egress_addresses: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = r"^[A-Za-z0-9_.-]{1,64}$")]
    site_token: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<PerStatusBody>)]
    status_lists: Option<Option<PerStatusBody>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<PerStatusBody>)]
    status_profiles: Option<Option<PerStatusBody>>,
    #[schema(min_length = 3, max_length = 32)]
    comment_prefix: Option<String>,
    #[schema(minimum = 1, maximum = 1024)]
    max_in_flight: Option<i32>,
    is_enabled: Option<bool>,
    /// Replaces the site's housekeeping whole (parts left out are off).
    housekeeping: Option<Housekeeping>,
}

impl SiteBody {
    fn parse(self) -> Result<SitePatch, ApiError> {
        let input = SiteInput {
            name: self.name,
            address: self.address,
            use_tls: self.use_tls,
            tls_fingerprint: self.tls_fingerprint,
            api_user: self.api_user,
            password: self.password,
            hotspot_server: self.hotspot_server,
            client_ranges: self.client_ranges,
            egress_addresses: self.egress_addresses,
            site_token: self.site_token,
            status_lists: self.status_lists.map(|l| l.map(PerStatus::from)),
            status_profiles: self.status_profiles.map(|l| l.map(PerStatus::from)),
            comment_prefix: self.comment_prefix,
            max_in_flight: self.max_in_flight,
            is_enabled: self.is_enabled,
            housekeeping: self.housekeeping,
        };
        input.parse().map_err(|r| ApiError::validation(r.field, r.why))
    }
}

#[utoipa::path(get, path = "/api/admin/routers", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SiteList, description = "Every site, with what was last seen of its router"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn list(state: Data, _a: AdminActor) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(SiteList { items: state.admin.sites().await? }))
}

#[utoipa::path(get, path = "/api/admin/routers/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses((status = 200, body = Site), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "NOT_FOUND")))]
pub async fn get(state: Data, _a: AdminActor, id: PathId<SitePath>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admin.site(id.0).await?))
}

#[utoipa::path(post, path = "/api/admin/routers", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((SiteBody = "application/json"))),
    responses((status = 201, body = Site, description = "Added"), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: super admin only"), (status = 409, description = "CONFLICT: the name or token is taken"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn create(state: Data, a: AdminActor, body: Input<SiteBody>) -> Result<HttpResponse, ApiError> {
    let patch = body.0.parse()?;
    Ok(HttpResponse::Created().json(state.admin.add_site(&a.0, patch).await?))
}

#[utoipa::path(patch, path = "/api/admin/routers/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i32, Path, minimum = 1)), request_body(content((SiteBody = "application/json"))),
    responses((status = 200, body = Site, description = "Changed"), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: super admin only"), (status = 404, description = "NOT_FOUND"),
        (status = 409, description = "CONFLICT: the name or token is taken, or the field is the environment's"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update(
    state: Data,
    a: AdminActor,
    id: PathId<SitePath>,
    body: Input<SiteBody>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.0.parse()?;
    Ok(HttpResponse::Ok().json(state.admin.update_site(&a.0, id.0, patch).await?))
}

async fn set_enabled(state: Data, a: AdminActor, id: i32, enabled: bool) -> Result<HttpResponse, ApiError> {
    let patch = SitePatch { enabled: Some(enabled), ..Default::default() };
    Ok(HttpResponse::Ok().json(state.admin.update_site(&a.0, id, patch).await?))
}

#[utoipa::path(post, path = "/api/admin/routers/{id}/disable", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses((status = 200, body = Site, description = "Disabled: no sync, no sign-in at it"), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: super admin only"), (status = 404, description = "NOT_FOUND")))]
pub async fn disable(state: Data, a: AdminActor, id: PathId<SitePath>) -> Result<HttpResponse, ApiError> {
    set_enabled(state, a, id.0, false).await
}

#[utoipa::path(post, path = "/api/admin/routers/{id}/enable", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses((status = 200, body = Site, description = "Enabled"), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: super admin only"), (status = 404, description = "NOT_FOUND")))]
pub async fn enable(state: Data, a: AdminActor, id: PathId<SitePath>) -> Result<HttpResponse, ApiError> {
    set_enabled(state, a, id.0, true).await
}

#[utoipa::path(post, path = "/api/admin/routers/{id}/test", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses((status = 200, body = SiteTest, description = "What the router said (ok false: why it did not)"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 404, description = "NOT_FOUND"), (status = 409, description = "INVALID_STATE: the password does not open")))]
pub async fn test(state: Data, a: AdminActor, id: PathId<SitePath>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admin.test_site(&a.0, id.0).await?))
}
