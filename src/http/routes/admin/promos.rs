//! `/api/admin/promos`: promotions (announcements and the registration bonus), listed for
//! admins, written by super admins.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Paging;
use crate::domain::{PromoKind, PromoStatus};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::{PathId, RecordPath};
use crate::http::input::Input;
use crate::settings::promos::{Promo, PromoInput, SORTS};

type Data = web::Data<AppState>;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PromoQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[serde(rename = "itemsPerPage")]
    #[param(minimum = 1, maximum = 100)]
    items_per_page: Option<i64>,
    #[serde(rename = "sortBy")]
    #[param(pattern = r"^(created_at|name|status|start_date|end_date|event_type)$")]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    #[param(pattern = r"^(asc|desc)$")]
    sort_order: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PromoPage {
    items: Vec<Promo>,
    #[serde(rename = "totalItems")]
    total_items: i64,
}

#[utoipa::path(get, path = "/api/admin/promos", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(PromoQuery),
    responses((status = 200, body = PromoPage), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn list(state: Data, _a: AdminActor, q: web::Query<PromoQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let sort = match q.sort_by.as_deref() {
        None => "created_at",
        Some(s) => {
            SORTS.iter().copied().find(|k| *k == s).ok_or_else(|| ApiError::validation("sortBy", SORTS.join(", ")))?
        }
    };
    let desc = match q.sort_order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(ApiError::validation("sortOrder", "asc or desc")),
    };
    let p = Paging::new(q.page, q.items_per_page, 100)?;
    let (items, total_items) = state.admin.promos.page(sort, desc, p.page, p.per_page).await?;
    Ok(HttpResponse::Ok().json(PromoPage { items, total_items }))
}

/// What the promotions page sends (the whole object; read-only fields it echoes are ignored).
#[derive(Deserialize, ToSchema)]
pub struct PromoBody {
    #[schema(min_length = 3, max_length = 150, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    name: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    event_type: PromoKind,
    status: PromoStatus,
    start_date: DateTime<Utc>,
    /// None: no end.
    end_date: Option<DateTime<Utc>>,
    /// A bonus's quota in MB (MiB); ignored for an announcement.
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1073741824)]
    bonus_value_mb: Option<i64>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 3650)]
    bonus_duration_days: Option<i32>,
}

impl From<PromoBody> for PromoInput {
    fn from(b: PromoBody) -> Self {
        PromoInput {
            name: b.name,
            description: b.description,
            event_type: b.event_type,
            status: b.status,
            start_date: b.start_date,
            end_date: b.end_date,
            bonus_value_mb: b.bonus_value_mb,
            bonus_duration_days: b.bonus_duration_days,
        }
    }
}

#[utoipa::path(post, path = "/api/admin/promos", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((PromoBody = "application/json"))),
    responses((status = 201, body = Promo), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: super admin only"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn create(state: Data, a: AdminActor, body: Input<PromoBody>) -> Result<HttpResponse, ApiError> {
    let p = state.admin.promos.create(&a.0, body.0.into()).await.map_err(crate::admin::AdminError::from)?;
    Ok(HttpResponse::Created().json(p))
}

#[utoipa::path(put, path = "/api/admin/promos/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((PromoBody = "application/json"))),
    responses((status = 200, body = Promo), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: super admin only"), (status = 404, description = "NOT_FOUND"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update(
    state: Data,
    a: AdminActor,
    id: PathId<RecordPath>,
    body: Input<PromoBody>,
) -> Result<HttpResponse, ApiError> {
    let p = state.admin.promos.update(&a.0, id.0, body.0.into()).await.map_err(crate::admin::AdminError::from)?;
    Ok(HttpResponse::Ok().json(p.ok_or_else(ApiError::not_found)?))
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    message: &'static str,
}

#[utoipa::path(delete, path = "/api/admin/promos/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Deleted), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN: super admin only"), (status = 404, description = "NOT_FOUND")))]
pub async fn delete(state: Data, a: AdminActor, id: PathId<RecordPath>) -> Result<HttpResponse, ApiError> {
    if !state.admin.promos.delete(&a.0, id.0).await.map_err(crate::admin::AdminError::from)? {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::Ok().json(Deleted { message: "Event berhasil dihapus." }))
}
