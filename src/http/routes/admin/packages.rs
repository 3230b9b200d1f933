//! `/api/admin/packages`: what is on sale, its price and what it gives. The existing admin
//! page's spellings (`itemsPerPage`, `sortBy`, `totalItems`, PUT, `price`/`data_quota_gb` with
//! 0 meaning unlimited/`duration_days`) are read beside ours.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Paging;
use crate::billing::packages::{FrontendSpellings, PackageFields, PackageQuota, PackageSort};
use crate::domain::GIB;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{AdminActor, AdminUser};
use crate::http::ids::{PackagePath, PathId};
use crate::http::input::Input;
use crate::http::routes::billing_views::{PackageView, package_view};

type Data = web::Data<AppState>;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
    /// The frontend's name for `per_page`.
    #[serde(rename = "itemsPerPage")]
    #[param(rename = "itemsPerPage", minimum = 1, maximum = 100)]
    items_per_page: Option<i64>,
    /// `price`, `name` or `sort_order` (the shop's order, the default).
    #[serde(rename = "sortBy")]
    #[param(rename = "sortBy", pattern = "^(price|price_idr|name|sort_order)?$")]
    sort_by: Option<String>,
    /// `asc` or `desc`.
    #[serde(rename = "sortOrder")]
    #[param(rename = "sortOrder", pattern = "^(asc|desc|ASC|DESC)?$")]
    sort_order: Option<String>,
}

impl ListQuery {
    /// The page asked for, under either name of its size.
    pub fn paging(&self) -> Result<Paging, ApiError> {
        Paging::new(self.page, self.per_page.or(self.items_per_page), 100)
    }
}

#[derive(Serialize, ToSchema)]
pub struct PackagePage {
    items: Vec<PackageView>,
    total: i64,
    page: i64,
    per_page: i64,
    #[serde(rename = "totalItems")]
    total_items: i64,
}

#[utoipa::path(get, path = "/api/admin/packages", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(ListQuery),
    responses((status = 200, body = PackagePage, description = "Every package not withdrawn, offered or not"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn packages(state: Data, _a: AdminUser, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let p = q.paging()?;
    let desc = q.sort_order.as_deref().is_some_and(|o| o.eq_ignore_ascii_case("desc"));
    let sort = match q.sort_by.as_deref() {
        None | Some("" | "sort_order") => PackageSort::Shop,
        Some("price" | "price_idr") if desc => PackageSort::PriceDesc,
        Some("price" | "price_idr") => PackageSort::PriceAsc,
        Some("name") => PackageSort::Name,
        Some(_) => return Err(ApiError::validation("sortBy", "price, name or sort_order")),
    };
    let (items, total) = state.billing.packages_admin(p.page, p.per_page, sort).await?;
    Ok(HttpResponse::Ok().json(PackagePage {
        items: items.into_iter().map(package_view).collect(),
        total,
        page: p.page,
        per_page: p.per_page,
        total_items: total,
    }))
}

/// A package's fields; ours or the frontend's (`price`, `data_quota_gb` with 0 meaning
/// unlimited, `duration_days`).
#[derive(Deserialize, ToSchema)]
pub struct PackageBody {
    #[schema(min_length = 1, max_length = 100, pattern = r"^\s*[^\s\x00-\x1F\x7F-\x9F]")]
    name: Option<String>,
    #[schema(max_length = 1000)]
    description: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 0, maximum = 100000000)]
    price_idr: Option<i64>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 0, maximum = 100000000)]
    price: Option<i64>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 0, maximum = 1125899906842624_i64)]
    quota_bytes: Option<i64>,
    #[schema(minimum = 0, maximum = 1048576)]
    data_quota_gb: Option<f64>,
    is_unlimited: Option<bool>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 1, maximum = 3650)]
    validity_days: Option<i32>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = 1, maximum = 3650)]
    duration_days: Option<i32>,
    is_active: Option<bool>,
    #[serde(default, deserialize_with = "crate::domain::text::integral_opt")]
    #[schema(minimum = -10000, maximum = 10000)]
    sort_order: Option<i32>,
    /// The sites it is sold at (ids from /api/admin/routers); empty: every site.
    #[schema(max_items = 64)]
    site_ids: Option<Vec<i32>>,
}

impl PackageBody {
    /// Ours and the frontend's spellings side by side: the billing room decides which one was
    /// edited against the stored package.
    fn fields(self) -> Result<PackageFields, ApiError> {
        // The frontend's dialog: 0 GB means unlimited.
        let frontend_quota = match self.data_quota_gb {
            Some(gb) if gb.is_finite() && (0.0..=1_048_576.0).contains(&gb) => Some(if gb == 0.0 {
                PackageQuota::Unlimited
            } else {
                PackageQuota::Bytes((gb * GIB as f64).round() as i64)
            }),
            Some(_) => return Err(ApiError::validation("data_quota_gb", "0 to 1,048,576 GiB")),
            None => None,
        };
        Ok(PackageFields {
            name: self.name,
            description: self.description.map(Some),
            price_idr: self.price_idr,
            quota_bytes: self.quota_bytes,
            is_unlimited: self.is_unlimited,
            validity_days: self.validity_days,
            is_active: self.is_active,
            sort_order: self.sort_order,
            site_ids: self.site_ids,
            frontend: FrontendSpellings { price: self.price, quota: frontend_quota, duration_days: self.duration_days },
        })
    }
}

#[utoipa::path(post, path = "/api/admin/packages", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((PackageBody = "application/json"))),
    responses((status = 201, body = PackageView), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 409, description = "CONFLICT: the name is taken"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn create_package(state: Data, a: AdminActor, body: Input<PackageBody>) -> Result<HttpResponse, ApiError> {
    let p = state.billing.create_package(&a.0, body.0.fields()?).await?;
    Ok(HttpResponse::Created().json(package_view(p)))
}

#[utoipa::path(patch, path = "/api/admin/packages/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((PackageBody = "application/json"))),
    responses((status = 200, body = PackageView), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "PACKAGE_NOT_FOUND"),
        (status = 409, description = "CONFLICT: the name is taken"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_package(
    state: Data,
    a: AdminActor,
    id: PathId<PackagePath>,
    body: Input<PackageBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.0;
    let (p, _) = state.billing.update_package(&a.0, id, body.0.fields()?).await?;
    Ok(HttpResponse::Ok().json(package_view(p)))
}

/// The existing admin page saves with PUT.
#[utoipa::path(put, path = "/api/admin/packages/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((PackageBody = "application/json"))),
    responses((status = 200, body = PackageView), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN"), (status = 404, description = "PACKAGE_NOT_FOUND"),
        (status = 409, description = "CONFLICT: the name is taken"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn put_package(
    state: Data,
    a: AdminActor,
    id: PathId<PackagePath>,
    body: Input<PackageBody>,
) -> Result<HttpResponse, ApiError> {
    update_package(state, a, id, body).await
}

#[derive(Serialize, ToSchema)]
pub struct Withdrawn {
    message: &'static str,
    package: PackageView,
}

#[utoipa::path(delete, path = "/api/admin/packages/{id}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Withdrawn, description = "Off sale and out of the lists; its sales keep it"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "PACKAGE_NOT_FOUND")))]
pub async fn delete_package(state: Data, a: AdminActor, id: PathId<PackagePath>) -> Result<HttpResponse, ApiError> {
    let id = id.0;
    let p = state.billing.delete_package(&a.0, id).await?;
    Ok(HttpResponse::Ok().json(Withdrawn { message: "package withdrawn", package: package_view(p) }))
}
