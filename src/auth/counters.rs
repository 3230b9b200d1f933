//! The dashboard's "codes failed today": a counter per local day in Redis (its loss costs a
//! figure, nothing more), counted by the sign-in room and read by the admin's dashboard.

use chrono::NaiveDate;

use crate::kv::Kv;

/// The Redis key (inside the namespace) of a local day's failed-code count.
fn failed_codes_key(day: NaiveDate) -> String {
    format!("stats:codes-failed:{day}")
}

/// Counts one wrong code on `day`; a Redis that is down only loses the figure.
pub async fn count_failed_code(kv: &Kv, day: NaiveDate) {
    let key = kv.key(&failed_codes_key(day));
    let r = kv
        .with_timeout(async {
            let mut c = kv.conn();
            let _: () = redis::pipe().incr(&key, 1).expire(&key, 3 * 86_400).query_async(&mut c).await?;
            Ok(())
        })
        .await;
    if let Err(e) = r {
        tracing::debug!(error = %e, "failed-code counter not updated");
    }
}

/// The wrong codes counted on `day` (0 when Redis cannot say).
pub async fn failed_codes(kv: &Kv, day: NaiveDate) -> i64 {
    let key = kv.key(&failed_codes_key(day));
    kv.with_timeout(async {
        let mut c = kv.conn();
        let n: Option<i64> = redis::cmd("GET").arg(&key).query_async(&mut c).await?;
        Ok(n.unwrap_or(0))
    })
    .await
    .unwrap_or(0)
}
