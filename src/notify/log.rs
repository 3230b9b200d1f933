//! `message_log`, the paper trail of every outbound message (this room is its only writer):
//! a row queued before the send, marked sent or failed after it, moved forward by the
//! providers' delivery receipts, counted for the daily cap, pruned past retention. The text
//! itself is never stored (it may hold a code).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::message_log;
use crate::db::{Db, DbError};
use crate::domain::{MessageStatus, Msisdn};

/// A keyed message's log row: new, or a failed one queued again; nothing when the key's message
/// was sent or is being sent.
const KEYED_ROW: &str = "INSERT INTO message_log (user_id, to_msisdn, template, provider, status, idempotency_key) \
    VALUES ($1, $2, $3, $4, 'queued', $5) \
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL \
    DO UPDATE SET status = 'queued', error = NULL, failed_at = NULL, updated_at = now() \
    WHERE message_log.status = 'failed' \
    RETURNING id";

/// A message about to go out.
pub struct NewRow {
    pub user_id: Option<Uuid>,
    pub to: Msisdn,
    pub template: String,
    pub provider: &'static str,
    /// Sends the message once per key.
    pub key: Option<String>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The row, queued; `None` when its key's message was sent (or is being sent) before.
pub fn queue(conn: &mut PgConnection, r: &NewRow) -> Result<Option<i64>, DbError> {
    if r.key.is_none() {
        return Ok(Some(
            diesel::insert_into(message_log::table)
                .values((
                    message_log::user_id.eq(r.user_id),
                    message_log::to_msisdn.eq(&r.to),
                    message_log::template.eq(&r.template),
                    message_log::provider.eq(r.provider),
                    message_log::status.eq(MessageStatus::Queued),
                ))
                .returning(message_log::id)
                .get_result(conn)?,
        ));
    }
    Ok(diesel::sql_query(KEYED_ROW)
        .bind::<Nullable<SqlUuid>, _>(r.user_id)
        .bind::<Text, _>(&r.to)
        .bind::<Text, _>(&r.template)
        .bind::<Text, _>(r.provider)
        .bind::<Nullable<Text>, _>(&r.key)
        .get_result::<Id>(conn)
        .optional()?
        .map(|r| r.id))
}

/// Sent. `note`: why it is only as far as we know (the gateway took the request and did not
/// answer in time: no provider id, so no receipt can reach the row).
pub fn mark_sent(
    conn: &mut PgConnection,
    id: i64,
    provider: &str,
    message_id: Option<String>,
    attempts: u32,
    note: Option<String>,
) -> Result<(), DbError> {
    diesel::update(message_log::table.find(id))
        .set((
            message_log::status.eq(MessageStatus::Sent),
            message_log::provider.eq(provider),
            message_log::provider_message_id.eq(message_id),
            message_log::error.eq(note),
            message_log::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
            message_log::sent_at.eq(Utc::now()),
            message_log::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the newest `template` message to `to` since `since` is `failed`.
pub fn last_failed(
    conn: &mut PgConnection,
    to: &Msisdn,
    template: &str,
    since: DateTime<Utc>,
) -> Result<bool, DbError> {
    let newest: Option<MessageStatus> = message_log::table
        .filter(message_log::to_msisdn.eq(to))
        .filter(message_log::template.eq(template))
        .filter(message_log::created_at.ge(since))
        .order(message_log::id.desc())
        .select(message_log::status)
        .first(conn)
        .optional()?;
    Ok(newest == Some(MessageStatus::Failed))
}

pub fn mark_failed(conn: &mut PgConnection, id: i64, error: String, attempts: u32) -> Result<(), DbError> {
    diesel::update(message_log::table.find(id))
        .set((
            message_log::status.eq(MessageStatus::Failed),
            message_log::error.eq(error),
            message_log::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
            message_log::failed_at.eq(Utc::now()),
            message_log::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Applies a provider's delivery report; returns whether a row changed. States only move
/// forward: a late "sent" never undoes "read", a failure report never undoes a delivery.
pub fn apply_delivery_status(
    conn: &mut PgConnection,
    provider: &str,
    message_id: &str,
    status: MessageStatus,
) -> Result<bool, DbError> {
    let now = Utc::now();
    let lower: Vec<MessageStatus> = if status == MessageStatus::Failed {
        vec![MessageStatus::Queued, MessageStatus::Sent]
    } else {
        MessageStatus::ALL.iter().copied().filter(|s| *s != MessageStatus::Failed && s.rank() < status.rank()).collect()
    };
    // Providers number their messages again after a restart: the report is about the newest one.
    let newest: Option<i64> = message_log::table
        .filter(message_log::provider.eq(provider))
        .filter(message_log::provider_message_id.eq(message_id))
        .order(message_log::id.desc())
        .select(message_log::id)
        .first(conn)
        .optional()?;
    let Some(row) = newest else { return Ok(false) };
    let target = message_log::table.find(row).filter(message_log::status.eq_any(lower));
    let stamp = (message_log::status.eq(status), message_log::updated_at.eq(now));
    let n = match status {
        MessageStatus::Delivered => {
            diesel::update(target).set((stamp, message_log::delivered_at.eq(now))).execute(conn)?
        }
        MessageStatus::Read => diesel::update(target).set((stamp, message_log::read_at.eq(now))).execute(conn)?,
        MessageStatus::Failed => diesel::update(target).set((stamp, message_log::failed_at.eq(now))).execute(conn)?,
        _ => diesel::update(target).set(stamp).execute(conn)?,
    };
    Ok(n > 0)
}

/// Many reports in one transaction; returns those that moved nothing.
pub fn apply_deliveries(
    conn: &mut PgConnection,
    provider: &str,
    mut reports: Vec<(String, MessageStatus)>,
) -> Result<Vec<(String, MessageStatus)>, DbError> {
    // Rows taken in one order by every batch: two batches (a retry beside new receipts) never
    // wait on each other in opposite orders.
    reports.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.rank().cmp(&b.1.rank())));
    conn.transaction(|tx| {
        let mut rest = Vec::new();
        for (id, status) in reports {
            if !apply_delivery_status(tx, provider, &id, status)? {
                rest.push((id, status));
            }
        }
        Ok(rest)
    })
}

/// [`apply_delivery_status`] on the blocking pool.
pub async fn record_delivery(
    db: &Db,
    provider: String,
    message_id: String,
    status: MessageStatus,
) -> Result<bool, DbError> {
    db.run(move |conn| apply_delivery_status(conn, &provider, &message_id, status)).await
}

/// The keys of the user's messages since `since` that did not fail (the daily cap counts the
/// reminders among them).
pub fn keys_since(conn: &mut PgConnection, user: Uuid, since: DateTime<Utc>) -> Result<Vec<Option<String>>, DbError> {
    Ok(message_log::table
        .filter(message_log::user_id.eq(user))
        .filter(message_log::created_at.ge(since))
        .filter(message_log::status.ne(MessageStatus::Failed))
        .select(message_log::idempotency_key)
        .load(conn)?)
}

/// Deletes messages older than `before`, chunk by chunk; how many.
pub fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<usize, DbError> {
    crate::db::delete_older(conn, crate::db::Aged { table: "message_log", at: "created_at", also: "" }, before)
}
