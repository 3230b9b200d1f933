//! Komandans' quota requests (`quota_requests`): filed by a komandan (one pending at a time, a
//! cooldown after each), decided by an admin in the transaction that grants through the one
//! grant path (`admin::requests`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::DbError;
use crate::db::schema::{quota_requests, users};
use crate::domain::{Msisdn, RequestKind, RequestStatus};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = quota_requests)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct QuotaRequest {
    pub id: Uuid,
    pub requester_id: Uuid,
    pub request_type: RequestKind,
    pub status: RequestStatus,
    pub requested_mb: Option<i64>,
    #[serde(rename = "requested_duration_days")]
    pub requested_days: Option<i32>,
    pub granted_mb: Option<i64>,
    #[serde(rename = "granted_duration_days")]
    pub granted_days: Option<i32>,
    pub rejection_reason: Option<String>,
    pub processed_by: Option<Uuid>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A request with who asked and who decided, as the pages list them.
#[derive(Debug, Clone)]
pub struct Listed {
    pub request: QuotaRequest,
    pub requester_name: String,
    pub requester_phone: Msisdn,
    pub processed_by_name: Option<String>,
}

/// Why a komandan may not file now.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("a request is still waiting")]
    Pending,
    #[error("wait {retry_after_secs} s before the next request")]
    Cooldown { retry_after_secs: u64, retry_at: DateTime<Utc> },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for FileError {
    fn from(e: diesel::result::Error) -> Self {
        match &e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                FileError::Pending
            }
            _ => FileError::Db(e.into()),
        }
    }
}

/// Files a request for `requester` (whose row is locked, so two at once file one), unless one
/// waits or the last was filed within `cooldown`.
pub fn file(
    conn: &mut PgConnection,
    requester: Uuid,
    kind: RequestKind,
    mb: Option<i64>,
    days: Option<i32>,
    cooldown: chrono::Duration,
) -> Result<QuotaRequest, FileError> {
    conn.transaction(|tx| {
        users::table.find(requester).select(users::id).for_update().first::<Uuid>(tx)?;
        let last: Option<(RequestStatus, DateTime<Utc>)> = quota_requests::table
            .filter(quota_requests::requester_id.eq(requester))
            .order(quota_requests::created_at.desc())
            .select((quota_requests::status, quota_requests::created_at))
            .first(tx)
            .optional()?;
        if let Some((status, at)) = last {
            if status == RequestStatus::Pending {
                return Err(FileError::Pending);
            }
            let retry_at = at + cooldown;
            let left = (retry_at - Utc::now()).num_seconds();
            if left > 0 {
                return Err(FileError::Cooldown { retry_after_secs: left as u64, retry_at });
            }
        }
        Ok(diesel::insert_into(quota_requests::table)
            .values((
                quota_requests::requester_id.eq(requester),
                quota_requests::request_type.eq(kind),
                quota_requests::requested_mb.eq(mb),
                quota_requests::requested_days.eq(days),
            ))
            .returning(QuotaRequest::as_returning())
            .get_result(tx)?)
    })
}

/// What the request lists sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSort {
    Created,
    Status,
    Kind,
    Name,
}

impl RequestSort {
    /// The pages' column names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "created_at" | "processed_at" => Some(RequestSort::Created),
            "status" => Some(RequestSort::Status),
            "request_type" => Some(RequestSort::Kind),
            "requester.full_name" => Some(RequestSort::Name),
            _ => None,
        }
    }
}

/// One page of requests (of one komandan, or all; in one status or all), newest first.
pub fn page(
    conn: &mut PgConnection,
    requester: Option<Uuid>,
    status: Option<RequestStatus>,
    sort: (RequestSort, bool),
    offset: i64,
    limit: i64,
) -> Result<(Vec<Listed>, i64), DbError> {
    let (asker, decider) = diesel::alias!(users as asker, users as decider);
    let filtered = || {
        let mut q = quota_requests::table.into_boxed();
        if let Some(r) = requester {
            q = q.filter(quota_requests::requester_id.eq(r));
        }
        if let Some(s) = status {
            q = q.filter(quota_requests::status.eq(s));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let mut q = quota_requests::table
        .inner_join(asker.on(asker.field(users::id).eq(quota_requests::requester_id)))
        .left_join(decider.on(decider.field(users::id).nullable().eq(quota_requests::processed_by)))
        .into_boxed();
    if let Some(r) = requester {
        q = q.filter(quota_requests::requester_id.eq(r));
    }
    if let Some(s) = status {
        q = q.filter(quota_requests::status.eq(s));
    }
    q = match sort {
        (RequestSort::Status, false) => q.order((quota_requests::status.asc(), quota_requests::created_at.desc())),
        (RequestSort::Status, true) => q.order((quota_requests::status.desc(), quota_requests::created_at.desc())),
        (RequestSort::Kind, false) => q.order((quota_requests::request_type.asc(), quota_requests::created_at.desc())),
        (RequestSort::Kind, true) => q.order((quota_requests::request_type.desc(), quota_requests::created_at.desc())),
        (RequestSort::Name, false) => q.order((asker.field(users::full_name).asc(), quota_requests::created_at.desc())),
        (RequestSort::Name, true) => q.order((asker.field(users::full_name).desc(), quota_requests::created_at.desc())),
        (RequestSort::Created, false) => q.order((quota_requests::created_at.asc(), quota_requests::id)),
        (RequestSort::Created, true) => q.order((quota_requests::created_at.desc(), quota_requests::id)),
    };
    let rows: Vec<(QuotaRequest, String, Msisdn, Option<String>)> = q
        .offset(offset)
        .limit(limit)
        .select((
            QuotaRequest::as_select(),
            asker.field(users::full_name),
            asker.field(users::phone_number),
            decider.field(users::full_name).nullable(),
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(request, requester_name, requester_phone, processed_by_name)| Listed {
            request,
            requester_name,
            requester_phone,
            processed_by_name,
        })
        .collect();
    Ok((items, total))
}

/// The request, locked for the caller's transaction.
pub fn lock(tx: &mut PgConnection, id: Uuid) -> Result<Option<QuotaRequest>, DbError> {
    Ok(quota_requests::table.find(id).select(QuotaRequest::as_select()).for_update().first(tx).optional()?)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<QuotaRequest>, DbError> {
    Ok(quota_requests::table.find(id).select(QuotaRequest::as_select()).first(conn).optional()?)
}

/// Closes a locked pending request with the decision.
pub fn decide(
    tx: &mut PgConnection,
    id: Uuid,
    status: RequestStatus,
    granted: (Option<i64>, Option<i32>),
    reason: Option<&str>,
    by: Option<Uuid>,
) -> Result<QuotaRequest, DbError> {
    Ok(diesel::update(quota_requests::table.find(id))
        .set((
            quota_requests::status.eq(status),
            quota_requests::granted_mb.eq(granted.0),
            quota_requests::granted_days.eq(granted.1),
            quota_requests::rejection_reason.eq(reason),
            quota_requests::processed_by.eq(by),
            quota_requests::processed_at.eq(diesel::dsl::now),
        ))
        .returning(QuotaRequest::as_returning())
        .get_result(tx)?)
}
