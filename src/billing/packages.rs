//! Packages on sale: what each gives (quota bytes or unlimited, days), its price in whole
//! rupiah, whether it is offered. An admin creates, edits and withdraws them (audited); a
//! withdrawn package stays for the sales that name it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Billing, BillingError, invalid};
use crate::audit::{self, Actor, Target};
use crate::config::runtime::MAX_QUOTA_BYTES;
use crate::db::schema::packages;
use crate::domain::spellings::Spellings;
use crate::domain::{AuditAction, AuditTarget};

pub const MAX_PRICE_IDR: i64 = 100_000_000;
pub const MAX_VALIDITY_DAYS: i32 = 3_650;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = packages)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Package {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Whole rupiah.
    pub price_idr: i64,
    /// 0 for an unlimited package.
    pub quota_bytes: i64,
    pub is_unlimited: bool,
    pub validity_days: i32,
    pub is_active: bool,
    pub sort_order: i32,
    #[serde(skip)]
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The sites it is sold at (by id); empty: every site.
    pub site_ids: Vec<i32>,
}

/// A package's fields, each optional (a create needs name, price, quota or unlimited, days).
#[derive(Debug, Clone, Default)]
pub struct PackageFields {
    pub name: Option<String>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
    pub price_idr: Option<i64>,
    pub quota_bytes: Option<i64>,
    pub is_unlimited: Option<bool>,
    pub validity_days: Option<i32>,
    pub is_active: Option<bool>,
    pub sort_order: Option<i32>,
    /// The sites it is sold at; empty: every site.
    pub site_ids: Option<Vec<i32>>,
    /// The existing frontend's spellings of the same fields (`price`, `data_quota_gb` with 0
    /// meaning unlimited, `duration_days`): its editor sends ours back beside them, stale, so
    /// the one that was edited wins (`domain::spellings`).
    pub frontend: FrontendSpellings,
}

#[derive(Debug, Clone, Default)]
pub struct FrontendSpellings {
    pub price: Option<i64>,
    pub quota: Option<PackageQuota>,
    pub duration_days: Option<i32>,
}

/// What a package gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageQuota {
    Bytes(i64),
    Unlimited,
}

impl PackageQuota {
    fn of(p: &Package) -> Self {
        if p.is_unlimited { PackageQuota::Unlimited } else { PackageQuota::Bytes(p.quota_bytes) }
    }
}

fn printable(field: &str, v: &str, max: usize, multiline: bool) -> Result<String, BillingError> {
    let t = v.trim();
    let bad = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t'));
    if t.is_empty() || t.chars().count() > max || t.chars().any(bad) {
        return Err(invalid(field, format!("1 to {max} printable characters")));
    }
    Ok(t.to_owned())
}

/// The package after `f` is applied to `base` (or to nothing, for a create), checked whole.
fn merged(base: Option<&Package>, f: &PackageFields) -> Result<Package, BillingError> {
    let now = Utc::now();
    let name = match (&f.name, base) {
        (Some(n), _) => printable("name", n, 100, false)?,
        (None, Some(b)) => b.name.clone(),
        (None, None) => return Err(invalid("name", "required")),
    };
    let description = match (&f.description, base) {
        (Some(Some(d)), _) if !d.trim().is_empty() => Some(printable("description", d, 1000, true)?),
        (Some(_), _) => None,
        (None, b) => b.and_then(|b| b.description.clone()),
    };
    let price_idr = Spellings::new(f.price_idr, f.frontend.price)
        .pick(base.map(|b| b.price_idr))
        .or(base.map(|b| b.price_idr))
        .ok_or_else(|| invalid("price_idr", "required"))?;
    if !(0..=MAX_PRICE_IDR).contains(&price_idr) {
        return Err(invalid("price_idr", format!("whole rupiah, 0 to {MAX_PRICE_IDR}")));
    }
    let stored = base.map(PackageQuota::of);
    // Ours: `is_unlimited` over `quota_bytes`; `is_unlimited: false` alone keeps the bytes.
    let ours = match (f.is_unlimited, f.quota_bytes) {
        (Some(true), _) => Some(PackageQuota::Unlimited),
        (_, Some(b)) => Some(PackageQuota::Bytes(b)),
        (Some(false), None) => Some(PackageQuota::Bytes(base.map(|b| b.quota_bytes).unwrap_or(0))),
        (None, None) => None,
    };
    let quota = Spellings::new(ours, f.frontend.quota).pick(stored).or(stored).unwrap_or(PackageQuota::Bytes(0));
    let (quota_bytes, is_unlimited) = match quota {
        PackageQuota::Unlimited => (0, true),
        PackageQuota::Bytes(b) => (b, false),
    };
    if !(0..=MAX_QUOTA_BYTES).contains(&quota_bytes) {
        return Err(invalid("quota_bytes", format!("0 to {MAX_QUOTA_BYTES} bytes")));
    }
    if !is_unlimited && quota_bytes == 0 {
        return Err(invalid("quota_bytes", "a package gives quota (bytes above 0) or is unlimited"));
    }
    let validity_days = Spellings::new(f.validity_days, f.frontend.duration_days)
        .pick(base.map(|b| b.validity_days))
        .or(base.map(|b| b.validity_days))
        .ok_or_else(|| invalid("validity_days", "required"))?;
    if !(1..=MAX_VALIDITY_DAYS).contains(&validity_days) {
        return Err(invalid("validity_days", format!("1 to {MAX_VALIDITY_DAYS}")));
    }
    let sort_order = f.sort_order.or(base.map(|b| b.sort_order)).unwrap_or(0);
    if !(-10_000..=10_000).contains(&sort_order) {
        return Err(invalid("sort_order", "-10000 to 10000"));
    }
    Ok(Package {
        id: base.map(|b| b.id).unwrap_or_else(Uuid::new_v4),
        name,
        description,
        price_idr,
        quota_bytes,
        is_unlimited,
        validity_days,
        is_active: f.is_active.or(base.map(|b| b.is_active)).unwrap_or(true),
        sort_order,
        deleted_at: None,
        created_at: base.map(|b| b.created_at).unwrap_or(now),
        updated_at: now,
        site_ids: super::offers::sites(f.site_ids.clone(), base.map(|b| b.site_ids.clone()))?,
    })
}

fn view(p: &Package) -> Value {
    json!({ "name": p.name, "price_idr": p.price_idr, "quota_bytes": p.quota_bytes, "is_unlimited": p.is_unlimited,
        "validity_days": p.validity_days, "is_active": p.is_active, "sort_order": p.sort_order, "site_ids": p.site_ids })
}

fn name_taken(e: diesel::result::Error) -> BillingError {
    match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            BillingError::Conflict("a package with this name exists")
        }
        other => other.into(),
    }
}

/// A live (not withdrawn) package, locked when `lock`.
pub(crate) fn live(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Package, BillingError> {
    let q = packages::table.find(id).filter(packages::deleted_at.is_null()).select(Package::as_select());
    let found = if lock { q.for_update().first(conn).optional()? } else { q.first(conn).optional()? };
    found.ok_or(BillingError::PackageNotFound)
}

/// The columns an admin writes, for the insert and the update alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = packages)]
#[diesel(treat_none_as_null = true)]
struct PackageRow<'a> {
    name: &'a str,
    description: Option<&'a str>,
    price_idr: i64,
    quota_bytes: i64,
    is_unlimited: bool,
    validity_days: i32,
    is_active: bool,
    sort_order: i32,
    updated_at: DateTime<Utc>,
    site_ids: &'a [i32],
}

fn write(conn: &mut PgConnection, p: &Package) -> Result<Package, BillingError> {
    let row = PackageRow {
        name: &p.name,
        description: p.description.as_deref(),
        price_idr: p.price_idr,
        quota_bytes: p.quota_bytes,
        is_unlimited: p.is_unlimited,
        validity_days: p.validity_days,
        is_active: p.is_active,
        sort_order: p.sort_order,
        updated_at: p.updated_at,
        site_ids: &p.site_ids,
    };
    super::offers::check_sites(conn, &p.site_ids)?;
    diesel::insert_into(packages::table)
        .values((packages::id.eq(p.id), packages::created_at.eq(p.created_at), &row))
        .on_conflict(packages::id)
        .do_update()
        .set(&row)
        .returning(Package::as_returning())
        .get_result(conn)
        .map_err(name_taken)
}

impl Billing {
    /// What the shop offers, cheapest first within the operator's order: at a site (`here`), the
    /// packages sold there; elsewhere every one (a purchase then checks the buyer's sites).
    pub async fn packages_on_sale(&self, here: Option<i32>) -> Result<Vec<Package>, BillingError> {
        Ok(self
            .db()
            .run(move |conn| {
                let mut q = packages::table.into_boxed();
                if let Some(site) = here {
                    q = q.filter(packages::site_ids.eq(Vec::<i32>::new()).or(packages::site_ids.contains(vec![site])));
                }
                Ok(q.filter(packages::deleted_at.is_null())
                    .filter(packages::is_active.eq(true))
                    .order((packages::sort_order.asc(), packages::price_idr.asc(), packages::name.asc()))
                    .select(Package::as_select())
                    .load(conn)?)
            })
            .await?)
    }

    /// The shop as a buyer asking from `at` sees it.
    pub async fn shop(&self, at: super::At<'_>) -> Result<Vec<Package>, BillingError> {
        let here = self.fleet.site_id_at(at.0, at.1).await;
        self.packages_on_sale(here).await
    }

    /// Every live package (offered or not), paged; `sort` is `price`, `name` or the shop's order.
    pub async fn packages_admin(
        &self,
        page: i64,
        per_page: i64,
        sort: PackageSort,
    ) -> Result<(Vec<Package>, i64), BillingError> {
        Ok(self
            .db()
            .run(move |conn| {
                let total: i64 = packages::table.filter(packages::deleted_at.is_null()).count().get_result(conn)?;
                let mut q = packages::table.filter(packages::deleted_at.is_null()).into_boxed();
                q = match sort {
                    PackageSort::Shop => q.order((packages::sort_order.asc(), packages::price_idr.asc())),
                    PackageSort::PriceAsc => q.order((packages::price_idr.asc(), packages::name.asc())),
                    PackageSort::PriceDesc => q.order((packages::price_idr.desc(), packages::name.asc())),
                    PackageSort::Name => q.order(packages::name.asc()),
                };
                let items = q.offset((page - 1) * per_page).limit(per_page).select(Package::as_select()).load(conn)?;
                Ok((items, total))
            })
            .await?)
    }

    pub async fn package(&self, id: Uuid) -> Result<Package, BillingError> {
        self.db().run(move |conn| Ok(live(conn, id, false))).await?
    }

    pub async fn create_package(&self, actor: &Actor, f: PackageFields) -> Result<Package, BillingError> {
        let p = merged(None, &f)?;
        let a = actor.clone();
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let p = write(tx, &p)?;
                    audit::record(
                        tx,
                        &a,
                        AuditAction::PackageCreate,
                        Some(package_target(p.id)),
                        json!({ "after": view(&p) }),
                    )?;
                    Ok(p)
                }))
            })
            .await?
    }

    /// Applies the fields that are given; returns the package and whether anything changed.
    pub async fn update_package(
        &self,
        actor: &Actor,
        id: Uuid,
        f: PackageFields,
    ) -> Result<(Package, bool), BillingError> {
        let a = actor.clone();
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let before = live(tx, id, true)?;
                    let after = merged(Some(&before), &f)?;
                    if view(&after) == view(&before) && after.description == before.description {
                        return Ok((before, false));
                    }
                    let after = write(tx, &after)?;
                    audit::record(
                        tx,
                        &a,
                        AuditAction::PackageUpdate,
                        Some(package_target(id)),
                        json!({ "before": view(&before), "after": view(&after) }),
                    )?;
                    Ok((after, true))
                }))
            })
            .await?
    }

    /// Withdraws a package: off sale and out of the lists; its sales and vouchers keep it.
    pub async fn delete_package(&self, actor: &Actor, id: Uuid) -> Result<Package, BillingError> {
        let a = actor.clone();
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let before = live(tx, id, true)?;
                    let gone: Package = diesel::update(packages::table.find(id))
                        .set((
                            packages::deleted_at.eq(Some(Utc::now())),
                            packages::is_active.eq(false),
                            packages::updated_at.eq(Utc::now()),
                        ))
                        .returning(Package::as_returning())
                        .get_result(tx)?;
                    audit::record(
                        tx,
                        &a,
                        AuditAction::PackageDelete,
                        Some(package_target(id)),
                        json!({ "before": view(&before) }),
                    )?;
                    Ok(gone)
                }))
            })
            .await?
    }
}

pub fn package_target(id: Uuid) -> Target {
    Target::new(AuditTarget::Package, id)
}

#[derive(Debug, Clone, Copy)]
pub enum PackageSort {
    Shop,
    PriceAsc,
    PriceDesc,
    Name,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, price: i64, bytes: i64, unlimited: bool, days: i32) -> PackageFields {
        PackageFields {
            name: Some(name.into()),
            price_idr: Some(price),
            quota_bytes: Some(bytes),
            is_unlimited: Some(unlimited),
            validity_days: Some(days),
            ..Default::default()
        }
    }

    #[test]
    fn packages_are_checked_whole() {
        let g = crate::domain::GIB;
        let ok = [fields("5 GB", 15_000, 5 * g, false, 30), fields("Unlimited", 100_000, 0, true, 30)];
        for f in ok {
            assert!(merged(None, &f).is_ok(), "{f:?}");
        }
        let bad = [
            (fields("", 15_000, g, false, 30), "name"),
            (fields("x", -1, g, false, 30), "price_idr"),
            (fields("x", MAX_PRICE_IDR + 1, g, false, 30), "price_idr"),
            (fields("x", 1, 0, false, 30), "quota_bytes"),
            (fields("x", 1, -5, false, 30), "quota_bytes"),
            (fields("x", 1, g, false, 0), "validity_days"),
            (fields("x", 1, g, false, 3_651), "validity_days"),
            (fields("a\u{0}b", 1, g, false, 30), "name"),
        ];
        for (f, field) in bad {
            match merged(None, &f) {
                Err(BillingError::Invalid { field: got, .. }) => assert_eq!(got, field, "{f:?}"),
                other => panic!("{f:?}: {other:?}"),
            }
        }
        // An unlimited package keeps no byte count.
        assert_eq!(merged(None, &fields("u", 1, 7, true, 1)).unwrap().quota_bytes, 0);
        // A patch keeps what it does not name.
        let base = merged(None, &fields("5 GB", 15_000, 5 * g, false, 30)).unwrap();
        let p = merged(Some(&base), &PackageFields { price_idr: Some(20_000), ..Default::default() }).unwrap();
        assert_eq!((p.name.as_str(), p.price_idr, p.quota_bytes, p.validity_days), ("5 GB", 20_000, 5 * g, 30));
    }
}
