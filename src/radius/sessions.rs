//! `radius_sessions`: each accounting session's running total already charged. A report is
//! applied with the session's row locked: what it adds past the stored total is charged (through
//! the accounts room's one charge statement, in the same transaction), so a repeated, reordered
//! or retransmitted report charges nothing twice.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Int4, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::accounts::charge::{self, Usage};
use crate::db::DbError;
use crate::domain::radius::{AcctKind, SessionId};
use crate::domain::{ClientIp, MacAddress};

/// One report of one session, as parsed, with the account the phone belongs to now (`None`:
/// no authorized device has the MAC; a session already open keeps its account).
pub struct Apply {
    pub site: i32,
    pub session: SessionId,
    pub mac: MacAddress,
    pub ip: Option<ClientIp>,
    pub kind: AcctKind,
    pub total: u64,
    pub owner: Option<Uuid>,
    pub day: NaiveDate,
}

/// What a report charged, and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub user: Option<Uuid>,
    pub bytes: u64,
}

/// The usage-day total row a session's charges add to: spread, so sessions charged at once do
/// not queue on one row (the sync's batches use the low shards).
fn shard(site: i32, session: &SessionId) -> i32 {
    let h = session.as_str().bytes().fold(site as u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    1_000 + (h % 64) as i32
}

/// The session's row as a report finds it, locked.
#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = BigInt)]
    charged_bytes: i64,
    #[diesel(sql_type = Text)]
    mac_address: String,
    #[diesel(sql_type = Nullable<Text>)]
    stop_cause: Option<String>,
}

fn insert(tx: &mut PgConnection, a: &Apply, owner: Uuid) -> Result<bool, DbError> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = Bool)]
        #[allow(dead_code)]
        inserted: bool,
    }
    let row: Option<Inserted> = diesel::sql_query(
        "INSERT INTO radius_sessions (router_id, session_id, user_id, mac_address, framed_ip) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (router_id, session_id) DO NOTHING RETURNING true AS inserted",
    )
    .bind::<Int4, _>(a.site)
    .bind::<Text, _>(a.session.as_str())
    .bind::<SqlUuid, _>(owner)
    .bind::<Text, _>(a.mac)
    .bind::<Nullable<Text>, _>(a.ip)
    .get_result(tx)
    .optional()?;
    Ok(row.is_some())
}

/// A Start naming a session that is over (the router restarted and its counter came round, or
/// another phone has the id now) begins a new session under the same id: the phone's account,
/// nothing charged yet.
fn restart(tx: &mut PgConnection, a: &Apply, owner: Uuid) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE radius_sessions SET user_id = $3, mac_address = $4, framed_ip = $5, charged_bytes = 0, \
             started_at = now(), updated_at = now(), stopped_at = NULL, stop_cause = NULL \
         WHERE router_id = $1 AND session_id = $2",
    )
    .bind::<Int4, _>(a.site)
    .bind::<Text, _>(a.session.as_str())
    .bind::<SqlUuid, _>(owner)
    .bind::<Text, _>(a.mac)
    .bind::<Nullable<Text>, _>(a.ip)
    .execute(tx)?;
    Ok(())
}

/// A new session of the phone at this site ends any it left open (its Stop was lost).
fn supersede(tx: &mut PgConnection, a: &Apply) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE radius_sessions SET stopped_at = now(), stop_cause = 'superseded', updated_at = now() \
         WHERE router_id = $1 AND mac_address = $2 AND stopped_at IS NULL AND session_id <> $3",
    )
    .bind::<Int4, _>(a.site)
    .bind::<Text, _>(a.mac)
    .bind::<Text, _>(a.session.as_str())
    .execute(tx)?;
    Ok(())
}

fn lock(tx: &mut PgConnection, a: &Apply) -> Result<Option<Held>, DbError> {
    Ok(diesel::sql_query(
        "SELECT user_id, charged_bytes, mac_address, stop_cause FROM radius_sessions \
         WHERE router_id = $1 AND session_id = $2 FOR UPDATE",
    )
    .bind::<Int4, _>(a.site)
    .bind::<Text, _>(a.session.as_str())
    .get_result(tx)
    .optional()?)
}

/// Applies one report in one transaction; see the module's note.
pub fn apply(conn: &mut PgConnection, a: Apply) -> Result<Applied, DbError> {
    conn.transaction(|tx| {
        let inserted = match a.owner {
            Some(owner) => insert(tx, &a, owner)?,
            None => false,
        };
        let Some(mut held) = lock(tx, &a)? else { return Ok(Applied { user: None, bytes: 0 }) };
        let over = held.stop_cause.as_deref() == Some("stop") || held.mac_address != a.mac.canonical();
        let restarted = match a.owner {
            Some(owner) if a.kind == AcctKind::Start && !inserted && over => {
                restart(tx, &a, owner)?;
                held.user_id = owner;
                held.charged_bytes = 0;
                true
            }
            _ => false,
        };
        // Only a session seen for the first time supersedes others: a late copy of an old
        // session's Start must not end the phone's current one.
        if a.kind == AcctKind::Start && (inserted || restarted) {
            supersede(tx, &a)?;
        }
        let total = i64::try_from(a.total).unwrap_or(i64::MAX);
        let delta = total.saturating_sub(held.charged_bytes).max(0);
        // An interim report of a session closed as superseded or quiet shows it is alive: open
        // again (a late copy of its Start does not).
        diesel::sql_query(
            "UPDATE radius_sessions SET charged_bytes = GREATEST(charged_bytes, $3), \
                 framed_ip = COALESCE($4, framed_ip), updated_at = now(), \
                 stopped_at = CASE WHEN $5 THEN COALESCE(stopped_at, now()) \
                                   WHEN $6 AND stop_cause IN ('superseded', 'timeout') THEN NULL ELSE stopped_at END, \
                 stop_cause = CASE WHEN $5 THEN 'stop' \
                                   WHEN $6 AND stop_cause IN ('superseded', 'timeout') THEN NULL ELSE stop_cause END \
             WHERE router_id = $1 AND session_id = $2",
        )
        .bind::<Int4, _>(a.site)
        .bind::<Text, _>(a.session.as_str())
        .bind::<BigInt, _>(total)
        .bind::<Nullable<Text>, _>(a.ip)
        .bind::<Bool, _>(a.kind == AcctKind::Stop)
        .bind::<Bool, _>(a.kind == AcctKind::Interim)
        .execute(tx)?;
        if delta > 0 {
            let last = format!("radius:{}:{}", a.site, a.session.as_str());
            let usage = Usage {
                users: vec![held.user_id],
                bytes: vec![delta],
                day: a.day,
                shard: shard(a.site, &a.session),
                last,
            };
            charge::charge(tx, usage)?;
        }
        Ok(Applied { user: Some(held.user_id), bytes: delta as u64 })
    })
}

/// Closes every open session of a site (its router restarted or stopped accounting).
pub fn close_site(conn: &mut PgConnection, site: i32) -> Result<usize, DbError> {
    Ok(diesel::sql_query(
        "UPDATE radius_sessions SET stopped_at = now(), stop_cause = 'stop', updated_at = now() \
         WHERE router_id = $1 AND stopped_at IS NULL",
    )
    .bind::<Int4, _>(site)
    .execute(conn)?)
}

/// Closes the open sessions no report has touched for `quiet_secs` (their Stop was lost).
pub fn close_quiet(conn: &mut PgConnection, quiet_secs: u32) -> Result<usize, DbError> {
    Ok(diesel::sql_query(
        "UPDATE radius_sessions SET stopped_at = now(), stop_cause = 'timeout' \
         WHERE stopped_at IS NULL AND updated_at < now() - make_interval(secs => $1)",
    )
    .bind::<Int4, _>(quiet_secs as i32)
    .execute(conn)?)
}

/// Closes one session (its router said it is gone).
pub fn close(conn: &mut PgConnection, site: i32, session: &str) -> Result<usize, DbError> {
    Ok(diesel::sql_query(
        "UPDATE radius_sessions SET stopped_at = COALESCE(stopped_at, now()), stop_cause = COALESCE(stop_cause, 'stop') \
         WHERE router_id = $1 AND session_id = $2",
    )
    .bind::<Int4, _>(site)
    .bind::<Text, _>(session)
    .execute(conn)?)
}
