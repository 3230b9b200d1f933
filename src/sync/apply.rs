//! What a cycle writes to Postgres: per batch of users, the baselines (this room's own
//! `device_counters`), the charge of what moved them (the accounts room's one statement) and the
//! devices seen, in one transaction.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int4, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::context::{FailPoint, SyncError};
use super::plan::{self, Baseline, Map, Plan};
use crate::accounts::charge;
use crate::db::DbError;
use crate::domain::{ClientIp, MacAddress};

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

#[derive(QueryableByName)]
struct UserCharge {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
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
    fn push(&mut self, mac: MacAddress, b: Baseline) {
        self.macs.push(mac);
        self.hosts.push(b.host_id);
        self.bytes.push(clamp(b.bytes));
        self.uptimes.push(clamp(b.uptime_secs));
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
    fn push(&mut self, b: plan::NewBaseline, from: Baseline, charge: u64) {
        self.users.push(b.user_id);
        self.next.push(b.mac, b.baseline);
        self.old_hosts.push(from.host_id);
        self.old_bytes.push(clamp(from.bytes));
        self.old_uptimes.push(clamp(from.uptime_secs));
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
    seen_ids: Vec<i64>,
    seen_ips: Vec<Option<ClientIp>>,
}

/// Splits a plan's writes into `n` batches by user. Takes the plan's baselines and the stored
/// ones by value: at 250,000 devices their strings move into the batches instead of being
/// copied while the plan still holds them (the cycle's peak memory).
pub(super) fn batches(plan: &mut Plan, mut baselines: Map<MacAddress, Baseline>, n: usize) -> Vec<Batch> {
    let n = n.max(1);
    let of = |user: &Uuid| (user.as_u128() % n as u128) as usize;
    let mut out: Vec<Batch> = (0..n).map(|_| Batch::default()).collect();
    let charge_of: Map<MacAddress, u64> =
        std::mem::take(&mut plan.charges).into_iter().map(|c| (c.mac, c.bytes)).collect();
    for b in std::mem::take(&mut plan.baselines) {
        let batch = &mut out[of(&b.user_id)];
        let from = if b.stored { baselines.remove(&b.mac) } else { None };
        match from {
            Some(from) => {
                let charge = charge_of.get(&b.mac).copied().unwrap_or(0);
                batch.stored.push(b, from, charge);
            }
            None => batch.new.push(b.mac, b.baseline),
        }
    }
    drop(baselines);
    for s in std::mem::take(&mut plan.seen) {
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
        let (users, deltas): (Vec<Uuid>, Vec<i64>) =
            moved.into_iter().filter(|c| c.bytes > 0).map(|c| (c.user_id, c.bytes)).unzip();
        let usage = charge::Usage { users, bytes: deltas, day, shard, last: format!("run-{run_id}") };
        let charged = charge::charge(tx, usage)?;
        crate::devices::mark_seen(tx, std::mem::take(&mut batch.seen_ids), std::mem::take(&mut batch.seen_ips))?;
        if fail == FailPoint::BeforeCommit {
            return Err(SyncError::Injected("before commit"));
        }
        Ok((charged.users, charged.bytes))
    })
}
