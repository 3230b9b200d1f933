//! Promotions (`promos`): announcements the captive pages show and a registration bonus granted
//! once when an account is approved. The operator sets a promotion's status; it shows while
//! `ACTIVE` and within its dates. Written here only, each change audited (super admin only).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::SettingsError;
use crate::audit::{self, Actor, Target};
use crate::db::schema::promos;
use crate::db::{Db, DbError};
use crate::domain::{AuditAction, AuditTarget, PromoKind, PromoStatus, Role};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = promos)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Promo {
    pub id: Uuid,
    #[diesel(embed)]
    #[serde(flatten)]
    pub fields: PromoInput,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A promotion as an operator writes it (checked by [`PromoInput::check`]).
#[derive(Debug, Clone, Insertable, AsChangeset, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = promos)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct PromoInput {
    pub name: String,
    pub description: Option<String>,
    pub event_type: PromoKind,
    pub status: PromoStatus,
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub bonus_value_mb: Option<i64>,
    pub bonus_duration_days: Option<i32>,
}

fn invalid(field: &'static str, reason: &str) -> SettingsError {
    SettingsError::Invalid { field: field.to_owned(), reason: reason.to_owned() }
}

impl PromoInput {
    /// Name 3–150 printable characters, description up to 2000, the end not before the start; a
    /// bonus needs quota (up to 1 PiB) and days (1–3650), an announcement carries none.
    pub fn check(mut self) -> Result<Self, SettingsError> {
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if !(3..=150).contains(&name.chars().count()) || name.chars().any(char::is_control) {
            return Err(invalid("name", "3 to 150 printable characters"));
        }
        self.name = name;
        self.description = self.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 2000 || d.chars().any(|c| c.is_control() && c != '\n'))
        {
            return Err(invalid("description", "at most 2000 characters"));
        }
        if self.end_date.is_some_and(|e| e < self.start_date) {
            return Err(invalid("end_date", "not before start_date"));
        }
        match self.event_type {
            PromoKind::Bonus => {
                if !self.bonus_value_mb.is_some_and(|m| (1..=1 << 30).contains(&m)) {
                    return Err(invalid("bonus_value_mb", "1 to 1073741824 MB for a bonus"));
                }
                if !self.bonus_duration_days.is_some_and(|d| (1..=3650).contains(&d)) {
                    return Err(invalid("bonus_duration_days", "1 to 3650 days for a bonus"));
                }
            }
            PromoKind::Announcement => {
                self.bonus_value_mb = None;
                self.bonus_duration_days = None;
            }
        }
        Ok(self)
    }
}

fn running(now: DateTime<Utc>) -> promos::BoxedQuery<'static, diesel::pg::Pg> {
    promos::table
        .filter(promos::status.eq(PromoStatus::Active))
        .filter(promos::start_date.le(now))
        .filter(promos::end_date.is_null().or(promos::end_date.ge(now)))
        .into_boxed()
}

/// The registration bonus running now (the newest), inside the caller's transaction.
pub fn bonus_now(conn: &mut PgConnection) -> Result<Option<Promo>, DbError> {
    Ok(running(Utc::now())
        .filter(promos::event_type.eq(PromoKind::Bonus))
        .order(promos::created_at.desc())
        .select(Promo::as_select())
        .first(conn)
        .optional()?)
}

/// The sort columns the console offers.
pub const SORTS: &[&str] = &["created_at", "name", "status", "start_date", "end_date", "event_type"];

/// The promotions room's handle.
#[derive(Clone)]
pub struct Promos {
    pub db: Db,
}

fn super_only(actor: &Actor) -> Result<(), SettingsError> {
    if actor.role == Role::SuperAdmin {
        Ok(())
    } else {
        Err(SettingsError::Forbidden("only a super admin manages promotions"))
    }
}

impl Promos {
    /// The promotions showing now, newest first.
    pub async fn running(&self) -> Result<Vec<Promo>, DbError> {
        self.db
            .run(|c| Ok(running(Utc::now()).order(promos::created_at.desc()).select(Promo::as_select()).load(c)?))
            .await
    }

    pub async fn page(
        &self,
        sort: &'static str,
        desc: bool,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Promo>, i64), DbError> {
        self.db
            .run(move |c| {
                let total = promos::table.count().get_result(c)?;
                let q = promos::table.select(Promo::as_select()).into_boxed();
                let q = match (sort, desc) {
                    ("name", false) => q.order((promos::name.asc(), promos::id)),
                    ("name", true) => q.order((promos::name.desc(), promos::id)),
                    ("status", false) => q.order((promos::status.asc(), promos::id)),
                    ("status", true) => q.order((promos::status.desc(), promos::id)),
                    ("event_type", false) => q.order((promos::event_type.asc(), promos::id)),
                    ("event_type", true) => q.order((promos::event_type.desc(), promos::id)),
                    ("start_date", false) => q.order((promos::start_date.asc(), promos::id)),
                    ("start_date", true) => q.order((promos::start_date.desc(), promos::id)),
                    ("end_date", false) => q.order((promos::end_date.asc(), promos::id)),
                    ("end_date", true) => q.order((promos::end_date.desc(), promos::id)),
                    (_, false) => q.order((promos::created_at.asc(), promos::id)),
                    (_, true) => q.order((promos::created_at.desc(), promos::id)),
                };
                Ok((q.offset((page - 1) * per_page).limit(per_page).load(c)?, total))
            })
            .await
    }

    pub async fn create(&self, actor: &Actor, input: PromoInput) -> Result<Promo, SettingsError> {
        super_only(actor)?;
        let input = input.check()?;
        let a = actor.clone();
        self.db
            .run(move |conn| {
                Ok(conn.transaction::<_, SettingsError, _>(|tx| {
                    let p: Promo = diesel::insert_into(promos::table)
                        .values((&input, promos::created_by.eq(a.user_id)))
                        .returning(Promo::as_returning())
                        .get_result(tx)?;
                    let details =
                        json!({ "name": p.fields.name, "event_type": p.fields.event_type, "status": p.fields.status });
                    audit::record(
                        tx,
                        &a,
                        AuditAction::PromoCreate,
                        Some(Target::new(AuditTarget::Promo, p.id)),
                        details,
                    )?;
                    Ok(p)
                }))
            })
            .await?
    }

    /// Replaces a promotion's fields; `None` when there is no such promotion.
    pub async fn update(&self, actor: &Actor, id: Uuid, input: PromoInput) -> Result<Option<Promo>, SettingsError> {
        super_only(actor)?;
        let input = input.check()?;
        let a = actor.clone();
        self.db
            .run(move |conn| {
                Ok(conn.transaction::<_, SettingsError, _>(|tx| {
                    let before: Option<Promo> =
                        promos::table.find(id).select(Promo::as_select()).for_update().first(tx).optional()?;
                    let Some(before) = before else { return Ok(None) };
                    let p: Promo = diesel::update(promos::table.find(id))
                        .set((&input, promos::updated_at.eq(diesel::dsl::now)))
                        .returning(Promo::as_returning())
                        .get_result(tx)?;
                    let (b, f) = (&before.fields, &p.fields);
                    let details = json!({ "before": { "name": b.name, "status": b.status }, "after": { "name": f.name, "status": f.status } });
                    audit::record(tx, &a, AuditAction::PromoUpdate, Some(Target::new(AuditTarget::Promo, id)), details)?;
                    Ok(Some(p))
                }))
            })
            .await?
    }

    /// Deletes a promotion; false when there was none.
    pub async fn delete(&self, actor: &Actor, id: Uuid) -> Result<bool, SettingsError> {
        super_only(actor)?;
        let a = actor.clone();
        self.db
            .run(move |conn| {
                Ok(conn.transaction::<_, SettingsError, _>(|tx| {
                    let gone: Option<String> =
                        diesel::delete(promos::table.find(id)).returning(promos::name).get_result(tx).optional()?;
                    let Some(name) = gone else { return Ok(false) };
                    audit::record(
                        tx,
                        &a,
                        AuditAction::PromoDelete,
                        Some(Target::new(AuditTarget::Promo, id)),
                        json!({ "name": name }),
                    )?;
                    Ok(true)
                }))
            })
            .await?
    }
}
