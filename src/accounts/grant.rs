//! The one grant path: everything that gives (or, for an admin's adjustment, takes) quota or
//! time goes through [`grant`], inside the caller's transaction: the ledger row first, keyed by
//! its cause, so a resent, raced or retried cause grants once; then the user's totals and
//! expiry. The caller stores the status (`status::store`) and queues the router reconcile after
//! commit (`Accounts::reconcile_later`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{AccountError, invalid};
use crate::config::runtime::MAX_QUOTA_BYTES;
use crate::db::models::User;
use crate::db::schema::{quota_ledger, users};
use crate::domain::LedgerSource;

/// A user's purchased total never exceeds this (sums stay far from overflow).
const MAX_TOTAL_BYTES: i64 = 1 << 56;

/// Longest validity one grant may add.
pub const MAX_EXTEND_DAYS: u32 = 3_650;

#[derive(Debug, Clone)]
pub struct Grant {
    pub user: Uuid,
    /// Bytes added (negative: an adjustment down; never below zero purchased).
    pub bytes: i64,
    /// Days added to the later of now and the current expiry.
    pub extend_days: u32,
    /// Sets (or clears) the unlimited flag when given.
    pub unlimited: Option<bool>,
    /// Names the cause: `admin:{user}:{key}`, an order id, a voucher id, …
    pub key: String,
    pub source: LedgerSource,
    /// Kept on the ledger row; compared when the key comes again.
    pub details: Value,
    pub by: Option<Uuid>,
}

impl Grant {
    /// What a package gives (as listed or as sold): its days, its bytes (none counted when
    /// unlimited: the flag carries it) and the unlimited flag when set. `details` and `by` are
    /// the caller's to fill.
    pub fn package(
        user: Uuid,
        quota_bytes: i64,
        validity_days: i32,
        unlimited: bool,
        key: String,
        source: LedgerSource,
    ) -> Self {
        Grant {
            user,
            bytes: if unlimited { 0 } else { quota_bytes },
            // The column's CHECK keeps it in 1..=3650.
            extend_days: u32::try_from(validity_days).unwrap_or(0),
            unlimited: unlimited.then_some(true),
            key,
            source,
            details: Value::Null,
            by: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Granted {
        ledger_id: i64,
    },
    /// This cause was granted before; nothing changed.
    Replayed {
        ledger_id: i64,
    },
}

/// The new expiry: `days` after the later of now and `current`.
pub fn extended(current: Option<DateTime<Utc>>, now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let from = current.filter(|c| *c > now).unwrap_or(now);
    from + chrono::Duration::days(i64::from(days))
}

fn check(g: &Grant) -> Result<(), AccountError> {
    if g.bytes.unsigned_abs() > MAX_QUOTA_BYTES as u64 {
        return Err(invalid("bytes", "at most 1 PiB either way"));
    }
    if g.extend_days > MAX_EXTEND_DAYS {
        return Err(invalid("extend_days", format!("at most {MAX_EXTEND_DAYS}")));
    }
    if g.bytes == 0 && g.extend_days == 0 && g.unlimited.is_none() {
        return Err(invalid("bytes", "a grant must add quota, time or the unlimited flag"));
    }
    if g.key.is_empty() || g.key.chars().count() > 200 {
        return Err(invalid("idempotency_key", "1 to 200 characters"));
    }
    Ok(())
}

/// Applies the grant inside the caller's transaction (the user's row is locked here, so
/// concurrent grants of one user serialize). Returns the outcome and the user after it.
pub fn grant(conn: &mut PgConnection, g: &Grant) -> Result<(Outcome, User), AccountError> {
    check(g)?;
    let user = super::lock(conn, g.user)?;
    let details = json!({ "cause": g.details, "extend_days": g.extend_days, "unlimited": g.unlimited });
    // Every grant has its ledger row, a time-only one too (0 bytes): the row is the key.
    let inserted: Option<i64> = diesel::insert_into(quota_ledger::table)
        .values((
            quota_ledger::user_id.eq(g.user),
            quota_ledger::delta_bytes.eq(g.bytes),
            quota_ledger::source.eq(g.source),
            quota_ledger::idempotency_key.eq(&g.key),
            quota_ledger::details.eq(&details),
            quota_ledger::created_by.eq(g.by),
        ))
        .on_conflict(quota_ledger::idempotency_key)
        .do_nothing()
        .returning(quota_ledger::id)
        .get_result(conn)
        .optional()?;
    let Some(ledger_id) = inserted else {
        let (id, user_id, delta, stored): (i64, Uuid, i64, Value) = quota_ledger::table
            .filter(quota_ledger::idempotency_key.eq(&g.key))
            .select((quota_ledger::id, quota_ledger::user_id, quota_ledger::delta_bytes, quota_ledger::details))
            .first(conn)?;
        if user_id != g.user || delta != g.bytes || stored != details {
            return Err(AccountError::IdempotencyConflict);
        }
        return Ok((Outcome::Replayed { ledger_id: id }, user));
    };
    let purchased = user.quota_purchased_bytes.saturating_add(g.bytes);
    if purchased < 0 {
        return Err(invalid("bytes", format!("the user has {} bytes purchased", user.quota_purchased_bytes)));
    }
    if purchased > MAX_TOTAL_BYTES {
        return Err(invalid("bytes", "the user's total would exceed 64 PiB"));
    }
    let now = Utc::now();
    let expiry = if g.extend_days > 0 {
        Some(extended(user.quota_expiry_date, now, g.extend_days))
    } else {
        user.quota_expiry_date
    };
    let after: User = diesel::update(users::table.find(g.user))
        .set((
            users::quota_purchased_bytes.eq(purchased),
            users::quota_expiry_date.eq(expiry),
            users::is_unlimited_user.eq(g.unlimited.unwrap_or(user.is_unlimited_user)),
            users::updated_at.eq(now),
        ))
        .returning(User::as_returning())
        .get_result(conn)?;
    Ok((Outcome::Granted { ledger_id }, after))
}

/// Sets the user's used total (a super admin's correction), inside the caller's transaction:
/// the ledger row first, keyed, holding the change as used bytes (negative gives quota back),
/// then the total. The sync's charges add to whatever total is there when they commit.
pub fn correct_used(
    conn: &mut PgConnection,
    user: Uuid,
    used: i64,
    key: &str,
    cause: Value,
    by: Option<Uuid>,
) -> Result<Option<User>, AccountError> {
    if !(0..=MAX_TOTAL_BYTES).contains(&used) {
        return Err(invalid("set_used_mb", "0 or more"));
    }
    let before = super::lock(conn, user)?;
    let delta = used - before.quota_used_bytes;
    if delta == 0 {
        return Ok(None);
    }
    let details = json!({ "cause": cause, "used_before": before.quota_used_bytes, "used_after": used });
    let inserted = diesel::insert_into(quota_ledger::table)
        .values((
            quota_ledger::user_id.eq(user),
            quota_ledger::delta_bytes.eq(delta),
            quota_ledger::source.eq(LedgerSource::Reset),
            quota_ledger::idempotency_key.eq(key),
            quota_ledger::details.eq(&details),
            quota_ledger::created_by.eq(by),
        ))
        .on_conflict(quota_ledger::idempotency_key)
        .do_nothing()
        .execute(conn)?;
    if inserted == 0 {
        return Err(AccountError::IdempotencyConflict);
    }
    Ok(Some(
        diesel::update(users::table.find(user))
            .set((users::quota_used_bytes.eq(used), users::updated_at.eq(Utc::now())))
            .returning(User::as_returning())
            .get_result(conn)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn expiry_extends_from_the_later_of_now_and_the_current() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 12, 10, 0, 0, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let cases = [
            (None, 30, now + chrono::Duration::days(30)),
            (Some(earlier), 7, now + chrono::Duration::days(7)),
            (Some(later), 7, later + chrono::Duration::days(7)),
            (Some(now), 1, now + chrono::Duration::days(1)),
        ];
        for (current, days, want) in cases {
            assert_eq!(extended(current, now, days), want, "{current:?} + {days}");
        }
    }

    #[test]
    fn grants_are_checked_before_anything_is_written() {
        let base = Grant {
            user: Uuid::nil(),
            bytes: 1,
            extend_days: 0,
            unlimited: None,
            key: "k".into(),
            source: LedgerSource::AdminAdjust,
            details: Value::Null,
            by: None,
        };
        assert!(check(&base).is_ok());
        assert!(check(&Grant { bytes: 0, ..base.clone() }).is_err());
        assert!(check(&Grant { bytes: 0, extend_days: 1, ..base.clone() }).is_ok());
        assert!(check(&Grant { bytes: -(MAX_QUOTA_BYTES + 1), ..base.clone() }).is_err());
        assert!(check(&Grant { extend_days: MAX_EXTEND_DAYS + 1, ..base.clone() }).is_err());
        assert!(check(&Grant { key: String::new(), ..base.clone() }).is_err());
        assert!(check(&Grant { key: "x".repeat(201), ..base }).is_err());
    }
}
