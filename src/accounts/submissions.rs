//! Database-update submissions (`update_submissions`): what a resident says about themselves on
//! the public form, kept until an admin approves it (the account takes the stated values, in
//! the same transaction) or rejects it. One pending submission per number; a new one replaces it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::DbError;
use crate::db::schema::update_submissions;
use crate::domain::{Msisdn, SubmissionRole, SubmissionStatus};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = update_submissions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Submission {
    pub id: Uuid,
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    pub phone_number: Msisdn,
    pub full_name: String,
    pub role: SubmissionRole,
    pub blok: Option<String>,
    pub kamar: Option<String>,
    pub tamping_type: Option<String>,
    #[serde(rename = "approval_status")]
    pub status: SubmissionStatus,
    pub rejection_reason: Option<String>,
    pub processed_by: Option<Uuid>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A submission as the form sends it, already checked (`Stated::new`).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = update_submissions)]
#[diesel(treat_none_as_null = true)]
pub struct Stated {
    phone_number: Msisdn,
    full_name: String,
    role: SubmissionRole,
    blok: Option<String>,
    kamar: Option<String>,
    tamping_type: Option<String>,
}

/// Why a stated submission is refused: the field and the reason.
pub type Refusal = (&'static str, String);

impl Stated {
    /// A user names a block and a room, tamping staff a duty; the other fields are dropped so an
    /// approval never writes what the role does not use.
    pub fn new(
        phone: Msisdn,
        full_name: String,
        role: SubmissionRole,
        blok: Option<String>,
        kamar: Option<String>,
        tamping_type: Option<String>,
    ) -> Result<Self, Refusal> {
        let name =
            super::create::normalize_name(&full_name).map_err(|_| ("full_name", "1 to 100 characters".into()))?;
        let field = |k: &'static str, v: Option<String>| -> Result<Option<String>, Refusal> {
            let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            match v {
                Some(s) if s.chars().count() > 50 || s.chars().any(char::is_control) => {
                    Err((k, "at most 50 printable characters".into()))
                }
                other => Ok(other),
            }
        };
        let (blok, kamar, tamping) =
            (field("blok", blok)?, field("kamar", kamar)?, field("tamping_type", tamping_type)?);
        let (blok, kamar, tamping_type) = match role {
            SubmissionRole::User => {
                let b = blok.ok_or(("blok", "required for a user".to_owned()))?;
                let k = kamar.ok_or(("kamar", "required for a user".to_owned()))?;
                (Some(b), Some(k), None)
            }
            SubmissionRole::Tamping => {
                (None, None, Some(tamping.ok_or(("tamping_type", "required for tamping".to_owned()))?))
            }
            SubmissionRole::Komandan => (blok, kamar, None),
        };
        Ok(Self { phone_number: phone, full_name: name, role, blok, kamar, tamping_type })
    }
}

/// Files a submission: the number's pending one is replaced, else a new one is made.
pub fn submit(conn: &mut PgConnection, s: &Stated) -> Result<Uuid, DbError> {
    conn.transaction(|tx| {
        let pending: Option<Uuid> = update_submissions::table
            .filter(update_submissions::phone_number.eq(&s.phone_number))
            .filter(update_submissions::status.eq(SubmissionStatus::Pending))
            .select(update_submissions::id)
            .for_update()
            .first(tx)
            .optional()?;
        let id = match pending {
            Some(id) => diesel::update(update_submissions::table.find(id))
                .set((
                    s,
                    update_submissions::updated_at.eq(diesel::dsl::now),
                    update_submissions::created_at.eq(diesel::dsl::now),
                ))
                .returning(update_submissions::id)
                .get_result(tx)?,
            None => diesel::insert_into(update_submissions::table)
                .values(s)
                .returning(update_submissions::id)
                .get_result(tx)?,
        };
        Ok(id)
    })
}

/// Where the number's latest submission stands, if it made one.
pub fn latest_status(conn: &mut PgConnection, phone: &Msisdn) -> Result<Option<SubmissionStatus>, DbError> {
    Ok(update_submissions::table
        .filter(update_submissions::phone_number.eq(phone))
        .order(update_submissions::created_at.desc())
        .select(update_submissions::status)
        .first(conn)
        .optional()?)
}

/// One page of submissions in a status, newest first; `search` matches the name or the number.
pub fn page(
    conn: &mut PgConnection,
    status: SubmissionStatus,
    search: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Submission>, i64), DbError> {
    let filtered = || {
        let mut q = update_submissions::table.filter(update_submissions::status.eq(status)).into_boxed();
        if let Some(s) = search {
            q = match Msisdn::parse(s) {
                Ok(phone) => q.filter(update_submissions::phone_number.eq(phone)),
                Err(_) => q.filter(update_submissions::full_name.ilike(format!("%{}%", crate::db::like_escape(s)))),
            };
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order(update_submissions::created_at.desc())
        .offset(offset)
        .limit(limit)
        .select(Submission::as_select())
        .load(conn)?;
    Ok((items, total))
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Submission>, DbError> {
    Ok(update_submissions::table.find(id).select(Submission::as_select()).first(conn).optional()?)
}

/// The submission, locked for the caller's transaction.
pub fn lock(tx: &mut PgConnection, id: Uuid) -> Result<Option<Submission>, DbError> {
    Ok(update_submissions::table.find(id).select(Submission::as_select()).for_update().first(tx).optional()?)
}

/// Marks a locked pending submission processed.
pub fn close(
    tx: &mut PgConnection,
    id: Uuid,
    to: SubmissionStatus,
    by: Option<Uuid>,
    reason: Option<&str>,
) -> Result<Submission, DbError> {
    Ok(diesel::update(update_submissions::table.find(id))
        .set((
            update_submissions::status.eq(to),
            update_submissions::processed_by.eq(by),
            update_submissions::processed_at.eq(diesel::dsl::now),
            update_submissions::rejection_reason.eq(reason),
            update_submissions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Submission::as_returning())
        .get_result(tx)?)
}
