//! Housekeeping the worker runs on its schedule: dead refresh tokens and stale devices.

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;

use crate::captive::Captive;
use crate::db::schema::{refresh_tokens, user_devices};
use crate::db::{Db, DbError};
use crate::domain::{ClientIp, MacAddress};

/// Revoked tokens are kept this long after revocation (an attacker replaying one in that window
/// still meets a revoked family rather than an unknown token), then deleted.
pub const REVOKED_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Deletes expired refresh tokens and long-revoked ones; returns how many.
pub async fn cleanup_refresh_tokens(db: &Db) -> Result<usize, DbError> {
    db.run(|conn| {
        let now = Utc::now();
        let revoked_before = now - chrono::Duration::from_std(REVOKED_RETENTION).unwrap_or_default();
        Ok(diesel::delete(
            refresh_tokens::table
                .filter(refresh_tokens::expires_at.lt(now).or(refresh_tokens::revoked_at.lt(revoked_before))),
        )
        .execute(conn)?)
    })
    .await
}

/// Deletes devices not seen for `after`, and their router entries; returns how many.
pub async fn cleanup_stale_devices(db: &Db, captive: &Captive, after: Duration) -> Result<usize, DbError> {
    let cutoff = Utc::now() - chrono::Duration::from_std(after).unwrap_or_default();
    let gone: Vec<(String, Option<String>)> = db
        .run(move |conn| {
            Ok(diesel::delete(user_devices::table.filter(user_devices::last_seen_at.lt(cutoff)))
                .returning((user_devices::mac_address, user_devices::ip_address))
                .get_results(conn)?)
        })
        .await?;
    let macs: Vec<MacAddress> = gone.iter().filter_map(|(m, _)| MacAddress::parse(m).ok()).collect();
    let ips: Vec<ClientIp> =
        gone.iter().filter_map(|(_, ip)| ip.as_deref().and_then(|i| ClientIp::parse(i).ok())).collect();
    captive.forget_on_router(&macs, &ips).await;
    Ok(gone.len())
}
