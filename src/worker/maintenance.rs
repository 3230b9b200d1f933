//! Housekeeping the worker runs on its schedule: dead refresh tokens, registrations nobody
//! proved, stale devices. Each
//! room does its own deleting; this is only the schedule's side.

use std::time::Duration;

use crate::captive::{Captive, CaptiveError};
use crate::db::{Db, DbError};

/// Revoked tokens are kept this long after revocation (an attacker replaying one in that window
/// still meets a revoked family rather than an unknown token), then deleted.
pub const REVOKED_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Deletes expired refresh tokens and long-revoked ones; returns how many.
pub async fn cleanup_refresh_tokens(db: &Db) -> Result<usize, DbError> {
    db.run(|conn| crate::auth::refresh::delete_dead(conn, REVOKED_RETENTION)).await
}

/// Deletes registrations no code proved within a day (they block nobody meanwhile).
pub async fn cleanup_unproven_registrations(db: &Db) -> Result<usize, DbError> {
    db.run(crate::users::delete_unproven).await
}

/// Deletes devices not seen for `after`, and their router entries; returns how many.
pub async fn cleanup_stale_devices(captive: &Captive, after: Duration) -> Result<usize, CaptiveError> {
    captive.cleanup_stale_devices(after).await
}
