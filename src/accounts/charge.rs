//! Usage charged: per user, the user's total, the day's usage, the day's ledger row and the
//! day's total, each accumulated in place, in one statement. Its callers make it exactly once
//! (the sync's baseline compare-and-set, RADIUS accounting's session total), each in the same
//! transaction as this. The ledger holds one usage row per user and local day
//! (`usage:{user}:{day}`), whichever mode reported the bytes.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Int4, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::DbError;
use crate::domain::LedgerSource;

const CHARGE_SQL: &str = r#"
WITH c AS (
    SELECT * FROM unnest($1::uuid[], $2::int8[]) AS t(user_id, delta)
), led AS (
    INSERT INTO quota_ledger (user_id, delta_bytes, source, idempotency_key, details)
    SELECT user_id, delta, $6::text, 'usage:' || user_id::text || ':' || $4::date::text,
           jsonb_build_object('day', $4::date, 'last', $3::text) FROM c
    ON CONFLICT (idempotency_key) DO UPDATE
        SET delta_bytes = quota_ledger.delta_bytes + EXCLUDED.delta_bytes, details = EXCLUDED.details
), upd AS (
    UPDATE users u SET quota_used_bytes = u.quota_used_bytes + c.delta, updated_at = now()
    FROM c WHERE u.id = c.user_id
), daily AS (
    INSERT INTO usage_daily (user_id, day, bytes)
    SELECT user_id, $4::date, delta FROM c
    ON CONFLICT (user_id, day) DO UPDATE SET bytes = usage_daily.bytes + EXCLUDED.bytes, updated_at = now()
), totals AS (
    INSERT INTO usage_day_totals (day, shard, bytes)
    SELECT $4::date, $5::int4, sum(delta) FROM c HAVING count(*) > 0
    ON CONFLICT (day, shard) DO UPDATE SET bytes = usage_day_totals.bytes + EXCLUDED.bytes, updated_at = now()
)
SELECT count(*)::bigint AS users, COALESCE(sum(delta), 0)::bigint AS bytes FROM c
"#;

/// What one charge statement moved.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct Charged {
    #[diesel(sql_type = BigInt)]
    pub users: i64,
    #[diesel(sql_type = BigInt)]
    pub bytes: i64,
}

/// Bytes to charge, one entry per user (a user at most once), on a local day. `last` names the
/// latest cause in the day's ledger row (`run-17`, `radius:3:80f00003`); `shard` spreads the
/// day's total over rows so concurrent chargers do not queue on one.
pub struct Usage {
    pub users: Vec<Uuid>,
    pub bytes: Vec<i64>,
    pub day: chrono::NaiveDate,
    pub shard: i32,
    pub last: String,
}

/// Charges, in the caller's transaction.
pub fn charge(conn: &mut PgConnection, u: Usage) -> Result<Charged, DbError> {
    if u.users.is_empty() {
        return Ok(Charged::default());
    }
    Ok(diesel::sql_query(CHARGE_SQL)
        .bind::<Array<SqlUuid>, _>(u.users)
        .bind::<Array<BigInt>, _>(u.bytes)
        .bind::<Text, _>(u.last)
        .bind::<Date, _>(u.day)
        .bind::<Int4, _>(u.shard)
        .bind::<Text, _>(LedgerSource::SyncUsage)
        .get_result(conn)?)
}
