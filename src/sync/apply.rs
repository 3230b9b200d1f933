//! What a cycle writes to Postgres: per batch of users, usage, daily usage, ledger rows and
//! baselines in one transaction; the cycle's record in `sync_runs`.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Int4, Nullable, Text, Uuid as SqlUuid};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::plan::{self, Baseline, Map, Plan};
use super::run::{FailPoint, Summary, SyncError};
use crate::db::DbError;
use crate::db::schema::sync_runs;
use crate::domain::{AccessStatus, ClientIp, MacAddress};

/// The ledger keys of each user's charge in one cycle: a digest of the observations it comes
/// from, so the same observations can never be charged twice (e.g. two workers planning from one
/// baseline). One pass over the charges, whatever the number of users.
pub(super) fn idempotency_keys(
    router_id: i32,
    plan: &Plan,
    baselines: &Map<MacAddress, Baseline>,
) -> Map<Uuid, String> {
    let mut digests: Map<Uuid, Sha256> = Map::default();
    for c in plan.charges.iter().filter(|c| c.bytes > 0) {
        let from = baselines.get(&c.mac).map(|b| (b.host_id.as_str(), b.bytes)).unwrap_or(("", 0));
        let d = digests.entry(c.user_id).or_default();
        // Fixed-width fields and a length-prefixed host id: no two observations read alike.
        d.update(c.mac.octets());
        d.update((from.0.len() as u64).to_le_bytes());
        d.update(from.0.as_bytes());
        d.update(from.1.to_le_bytes());
        d.update(c.bytes.to_le_bytes());
        d.update(c.device_id.to_le_bytes());
    }
    digests
        .into_iter()
        .map(|(user, h)| (user, format!("sync:{router_id}:{}:{}", user.simple(), hex::encode(&h.finalize()[..12]))))
        .collect()
}

const CHARGE_SQL: &str = r#"
WITH c AS (
    SELECT * FROM unnest($1::uuid[], $2::int8[], $3::text[]) AS t(user_id, delta, key)
), ins AS (
    INSERT INTO quota_ledger (user_id, delta_bytes, source, idempotency_key, details)
    SELECT user_id, delta, 'sync_usage', key, jsonb_build_object('run', $4::bigint) FROM c
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING user_id, delta_bytes
), upd AS (
    UPDATE users u SET quota_used_bytes = u.quota_used_bytes + ins.delta_bytes, updated_at = now()
    FROM ins WHERE u.id = ins.user_id
), daily AS (
    INSERT INTO usage_daily (user_id, day, bytes)
    SELECT user_id, $5::date, delta_bytes FROM ins
    ON CONFLICT (user_id, day) DO UPDATE SET bytes = usage_daily.bytes + EXCLUDED.bytes, updated_at = now()
), totals AS (
    INSERT INTO usage_day_totals (day, shard, bytes)
    SELECT $5::date, $6::int4, sum(delta_bytes) FROM ins HAVING count(*) > 0
    ON CONFLICT (day, shard) DO UPDATE SET bytes = usage_day_totals.bytes + EXCLUDED.bytes, updated_at = now()
)
SELECT count(*)::bigint AS users, COALESCE(sum(delta_bytes), 0)::bigint AS bytes FROM ins
"#;

/// Baselines of MACs seen before, as a compare-and-set: a row moves only from the values this
/// cycle planned from (a plain update, HOT, no index touched). A cycle that overlapped another
/// finds the baseline moved and charges nothing for that device; the charge is the sum of what
/// moved, per user.
const BASELINE_CAS_SQL: &str = r#"
WITH t AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::int8[], $8::int8[],
                         $9::uuid[], $10::int8[]) AS t(m, h, b, u, oh, ob, ou, user_id, charge)
), cas AS (
    UPDATE device_counters d SET host_id = t.h, last_bytes = t.b, last_uptime_secs = t.u, updated_at = now()
    FROM t
    WHERE d.router_id = $1 AND d.mac_address = t.m
      AND d.host_id = t.oh AND d.last_bytes = t.ob AND d.last_uptime_secs = t.ou
    RETURNING t.user_id, t.charge
)
SELECT user_id, sum(charge)::bigint AS bytes FROM cas WHERE charge > 0 GROUP BY user_id
"#;

/// Baselines of MACs seen for the first time; one that another cycle stored meanwhile stands.
const BASELINE_INSERT_SQL: &str = r#"
INSERT INTO device_counters (router_id, mac_address, host_id, last_bytes, last_uptime_secs, updated_at)
SELECT $1, m, h, b, u, now() FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[]) AS t(m, h, b, u)
ON CONFLICT (router_id, mac_address) DO NOTHING
"#;

/// Devices seen: the planner picked those whose IP moved or whose `last_seen_at` is old.
const SEEN_SQL: &str = r#"
UPDATE user_devices d SET ip_address = COALESCE(t.ip, d.ip_address), last_seen_at = now()
FROM unnest($1::int8[], $2::text[]) AS t(id, ip)
WHERE d.id = t.id
"#;

/// Stores the statuses that changed, in one statement.
pub(super) fn write_statuses(conn: &mut PgConnection, updates: &[(Uuid, AccessStatus)]) -> Result<(), DbError> {
    let (ids, statuses): (Vec<Uuid>, Vec<&str>) = updates.iter().map(|(id, s)| (*id, s.as_str())).unzip();
    diesel::sql_query(
        "UPDATE users u SET access_status = t.s FROM unnest($1::uuid[], $2::text[]) AS t(id, s) \
         WHERE u.id = t.id AND u.access_status <> t.s",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Text>, _>(statuses)
    .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct UserCharge {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

#[derive(QueryableByName)]
struct Charged {
    #[diesel(sql_type = BigInt)]
    users: i64,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

pub(super) fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Baseline columns, as bound to one statement.
#[derive(Default)]
struct BaselineColumns {
    macs: Vec<MacAddress>,
    hosts: Vec<String>,
    bytes: Vec<i64>,
    uptimes: Vec<i64>,
}

impl BaselineColumns {
    fn push(&mut self, b: &plan::NewBaseline) {
        self.macs.push(b.mac);
        self.hosts.push(b.baseline.host_id.clone());
        self.bytes.push(clamp(b.baseline.bytes));
        self.uptimes.push(clamp(b.baseline.uptime_secs));
    }

    fn write(self, sql: &str, router_id: i32, conn: &mut PgConnection) -> Result<(), DbError> {
        if self.macs.is_empty() {
            return Ok(());
        }
        diesel::sql_query(sql)
            .bind::<Int4, _>(router_id)
            .bind::<Array<Text>, _>(self.macs)
            .bind::<Array<Text>, _>(self.hosts)
            .bind::<Array<BigInt>, _>(self.bytes)
            .bind::<Array<BigInt>, _>(self.uptimes)
            .execute(conn)?;
        Ok(())
    }
}

/// Stored baselines with the values each was planned from and the bytes it charges.
#[derive(Default)]
struct CasColumns {
    next: BaselineColumns,
    old_hosts: Vec<String>,
    old_bytes: Vec<i64>,
    old_uptimes: Vec<i64>,
    users: Vec<Uuid>,
    charges: Vec<i64>,
}

impl CasColumns {
    fn push(&mut self, b: &plan::NewBaseline, from: &Baseline, charge: u64) {
        self.next.push(b);
        self.old_hosts.push(from.host_id.clone());
        self.old_bytes.push(clamp(from.bytes));
        self.old_uptimes.push(clamp(from.uptime_secs));
        self.users.push(b.user_id);
        self.charges.push(clamp(charge));
    }

    /// Moves the baselines that still hold what was planned from; the bytes per user that moved.
    fn write(self, router_id: i32, conn: &mut PgConnection) -> Result<Vec<UserCharge>, DbError> {
        if self.next.macs.is_empty() {
            return Ok(vec![]);
        }
        Ok(diesel::sql_query(BASELINE_CAS_SQL)
            .bind::<Int4, _>(router_id)
            .bind::<Array<Text>, _>(self.next.macs)
            .bind::<Array<Text>, _>(self.next.hosts)
            .bind::<Array<BigInt>, _>(self.next.bytes)
            .bind::<Array<BigInt>, _>(self.next.uptimes)
            .bind::<Array<Text>, _>(self.old_hosts)
            .bind::<Array<BigInt>, _>(self.old_bytes)
            .bind::<Array<BigInt>, _>(self.old_uptimes)
            .bind::<Array<SqlUuid>, _>(self.users)
            .bind::<Array<BigInt>, _>(self.charges)
            .load(conn)?)
    }
}

/// One usage transaction's share of a cycle: a subset of the users with all of their devices,
/// so each user's charge, ledger row and baselines commit together.
#[derive(Default)]
pub(super) struct Batch {
    stored: CasColumns,
    new: BaselineColumns,
    /// The ledger key of each user this batch may charge.
    keys: Map<Uuid, String>,
    seen_ids: Vec<i64>,
    seen_ips: Vec<Option<ClientIp>>,
}

/// Splits a plan's writes into `n` batches by user.
pub(super) fn batches(router_id: i32, plan: &Plan, baselines: &Map<MacAddress, Baseline>, n: usize) -> Vec<Batch> {
    let n = n.max(1);
    let of = |user: &Uuid| (user.as_u128() % n as u128) as usize;
    let mut out: Vec<Batch> = (0..n).map(|_| Batch::default()).collect();
    let charge_of: Map<MacAddress, u64> = plan.charges.iter().map(|c| (c.mac, c.bytes)).collect();
    for b in &plan.baselines {
        let batch = &mut out[of(&b.user_id)];
        match baselines.get(&b.mac).filter(|_| b.stored) {
            Some(from) => batch.stored.push(b, from, charge_of.get(&b.mac).copied().unwrap_or(0)),
            None => batch.new.push(b),
        }
    }
    for (user, key) in idempotency_keys(router_id, plan, baselines) {
        out[of(&user)].keys.insert(user, key);
    }
    for s in &plan.seen {
        let batch = &mut out[of(&s.user_id)];
        batch.seen_ids.push(s.device_id);
        batch.seen_ips.push(s.ip);
    }
    out.retain(|b| !(b.stored.next.macs.is_empty() && b.new.macs.is_empty() && b.seen_ids.is_empty()));
    out
}

/// Usage, daily usage, ledger rows and baselines of one batch in one transaction: all of it
/// lands, or none of it does.
pub(super) fn apply_batch(
    conn: &mut PgConnection,
    run_id: i64,
    router_id: i32,
    day: chrono::NaiveDate,
    shard: i32,
    mut batch: Batch,
    fail: FailPoint,
) -> Result<(i64, i64), SyncError> {
    conn.transaction::<_, SyncError, _>(|tx| {
        batch.new.write(BASELINE_INSERT_SQL, router_id, tx)?;
        let moved = std::mem::take(&mut batch.stored).write(router_id, tx)?;
        let (mut users, mut deltas, mut keys) = (Vec::new(), Vec::new(), Vec::new());
        for c in moved.into_iter().filter(|c| c.bytes > 0) {
            // Every user with charged bytes was planned with a key.
            let Some(key) = batch.keys.remove(&c.user_id) else { continue };
            users.push(c.user_id);
            deltas.push(c.bytes);
            keys.push(key);
        }
        let mut charged = Charged { users: 0, bytes: 0 };
        if !users.is_empty() {
            charged = diesel::sql_query(CHARGE_SQL)
                .bind::<Array<SqlUuid>, _>(users)
                .bind::<Array<BigInt>, _>(deltas)
                .bind::<Array<Text>, _>(keys)
                .bind::<BigInt, _>(run_id)
                .bind::<Date, _>(day)
                .bind::<Int4, _>(shard)
                .get_result(tx)
                .map_err(DbError::from)?;
        }
        if !batch.seen_ids.is_empty() {
            diesel::sql_query(SEEN_SQL)
                .bind::<Array<BigInt>, _>(std::mem::take(&mut batch.seen_ids))
                .bind::<Array<Nullable<Text>>, _>(std::mem::take(&mut batch.seen_ips))
                .execute(tx)
                .map_err(DbError::from)?;
        }
        if fail == FailPoint::BeforeCommit {
            return Err(SyncError::Injected("before commit"));
        }
        Ok((charged.users, charged.bytes))
    })
}

pub(super) fn finish(conn: &mut PgConnection, run_id: i64, s: &Summary, router_commands: usize) -> Result<(), DbError> {
    diesel::update(sync_runs::table.find(run_id))
        .set((
            sync_runs::status.eq(s.status),
            sync_runs::finished_at.eq(Utc::now()),
            sync_runs::users_count.eq(s.users as i32),
            sync_runs::devices_count.eq(s.devices as i32),
            sync_runs::bytes_charged.eq(clamp(s.bytes_charged)),
            sync_runs::router_commands.eq(router_commands as i32),
            sync_runs::router_writes.eq(s.router_writes as i32),
            sync_runs::error_count.eq(s.errors.len() as i32),
            sync_runs::hosts_count.eq(s.online as i32),
            sync_runs::errors.eq(serde_json::json!(s.errors.iter().take(100).collect::<Vec<_>>())),
        ))
        .execute(conn)?;
    Ok(())
}
