//! The operations page's figures over the last day, read from the records every process writes
//! (the API and the worker are separate processes, so their in-memory counters are not one
//! picture; the database is): codes sent and failed, sign-ins, payments, repeated paid
//! notifications, sync cycles, failed messages, console sign-ins; and the last parity count.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{Admin, AdminError};

#[derive(QueryableByName)]
struct Figures {
    #[diesel(sql_type = BigInt)]
    otp_sent: i64,
    #[diesel(sql_type = BigInt)]
    otp_failed: i64,
    #[diesel(sql_type = BigInt)]
    otp_verified: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = BigInt)]
    unpaid: i64,
    #[diesel(sql_type = BigInt)]
    paid_again: i64,
    #[diesel(sql_type = BigInt)]
    runs_failed: i64,
    #[diesel(sql_type = BigInt)]
    runs_partial: i64,
    #[diesel(sql_type = BigInt)]
    runs_abandoned: i64,
    #[diesel(sql_type = BigInt)]
    messages_failed: i64,
    #[diesel(sql_type = BigInt)]
    admin_logins: i64,
    #[diesel(sql_type = BigInt)]
    admin_login_failures: i64,
}

const DAY: &str = r#"
SELECT
  (SELECT count(*) FROM message_log WHERE template IN ('otp', 'otp.en') AND created_at > now() - interval '1 day' AND status <> 'failed') AS otp_sent,
  (SELECT count(*) FROM message_log WHERE template IN ('otp', 'otp.en') AND created_at > now() - interval '1 day' AND status = 'failed') AS otp_failed,
  (SELECT count(*) FROM login_history WHERE method = 'otp' AND created_at > now() - interval '1 day') AS otp_verified,
  (SELECT count(*) FROM transactions WHERE state = 'paid' AND paid_at > now() - interval '1 day') AS paid,
  (SELECT count(*) FROM transactions WHERE state IN ('failed', 'expired') AND updated_at > now() - interval '1 day') AS unpaid,
  (SELECT count(*) - count(DISTINCT transaction_id) FROM transaction_events
     WHERE source = 'notification' AND state_after = 'paid' AND created_at > now() - interval '1 day') AS paid_again,
  (SELECT count(*) FROM sync_runs WHERE status = 'failed' AND started_at > now() - interval '1 day') AS runs_failed,
  (SELECT count(*) FROM sync_runs WHERE status = 'partial' AND started_at > now() - interval '1 day') AS runs_partial,
  (SELECT count(*) FROM sync_runs WHERE status = 'failed' AND started_at > now() - interval '1 day'
     AND errors::text LIKE '%abandoned%') AS runs_abandoned,
  (SELECT count(*) FROM message_log WHERE status = 'failed' AND created_at > now() - interval '1 day') AS messages_failed,
  (SELECT count(*) FROM audit_log WHERE action = 'admin.login' AND created_at > now() - interval '1 day') AS admin_logins,
  (SELECT count(*) FROM audit_log WHERE action = 'admin.login_failed' AND created_at > now() - interval '1 day') AS admin_login_failures
"#;

/// The figures by the existing frontend's names, and the signals it shows.
#[derive(Debug, Clone)]
pub struct Reliability {
    pub metrics: BTreeMap<&'static str, i64>,
    pub signals: BTreeMap<&'static str, bool>,
}

impl Admin {
    pub async fn reliability(&self) -> Result<Reliability, AdminError> {
        let f: Figures = self.db.run(|c| Ok(diesel::sql_query(DAY).get_result(c)?)).await?;
        let parity = self.last_parity().await;
        let mut m = BTreeMap::new();
        m.insert("otp.request.success", f.otp_sent);
        m.insert("otp.request.failed", f.otp_failed);
        m.insert("otp.verify.success", f.otp_verified);
        m.insert("payment.success", f.paid);
        m.insert("payment.failed", f.unpaid);
        m.insert("payment.webhook.duplicate", f.paid_again.max(0));
        // Payments are kept exactly once by Postgres (the order's row lock and the ledger's
        // key), not by Redis: nothing to degrade.
        m.insert("payment.idempotency.redis_unavailable", 0);
        m.insert("hotspot.sync.failed", f.runs_failed);
        m.insert("hotspot.sync.partial", f.runs_partial);
        m.insert("hotspot.sync.lock.degraded", f.runs_abandoned);
        m.insert("notification.whatsapp.send_failed", f.messages_failed);
        m.insert("admin.login.success", f.admin_logins);
        m.insert("admin.login.failed", f.admin_login_failures);
        if let Some(p) = parity {
            m.insert("policy.parity.latest_mismatches", p);
        }
        let mut s = BTreeMap::new();
        s.insert("payment_idempotency_degraded", false);
        s.insert("hotspot_sync_lock_degraded", f.runs_abandoned > 0 || f.runs_failed > 0);
        s.insert("notification_whatsapp_degraded", f.messages_failed > 0);
        s.insert("policy_parity_degraded", parity.is_some_and(|p| p > 0));
        Ok(Reliability { metrics: m, signals: s })
    }
}
