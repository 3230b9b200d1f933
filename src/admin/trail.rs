//! The audit entries an admin's own actions leave that no change carries: a password sign-in
//! (or a failed one) and a manual sync asked for.

use serde_json::json;

use super::{Admin, AdminError};
use crate::audit::{self, Actor, Target};
use crate::domain::{AuditAction, AuditTarget, ClientIp, Msisdn};

impl Admin {
    /// A manual sync asked for (the job id names it in `sync_runs`).
    pub async fn record_manual_sync(&self, actor: &Actor, job_id: &str) -> Result<(), AdminError> {
        let (a, job) = (actor.clone(), job_id.to_owned());
        let target = Target::new(AuditTarget::Sync, &job);
        let details = json!({ "job_id": job });
        Ok(self.db.run(move |conn| audit::record(conn, &a, AuditAction::SyncManual, Some(target), details)).await?)
    }

    /// An admin's password sign-in, successful or not (a failure names the phone tried, masked).
    pub async fn record_login(
        &self,
        phone: &Msisdn,
        ok: bool,
        request_id: Option<String>,
        client_ip: Option<ClientIp>,
    ) -> Result<(), AdminError> {
        let user = if ok { self.accounts.find_by_phone(phone).await.ok().flatten() } else { None };
        let phone = phone.clone();
        Ok(self
            .db
            .run(move |conn| match user {
                Some(u) => {
                    let a = Actor::admin(&u, request_id, client_ip);
                    audit::record(conn, &a, AuditAction::AdminLogin, Some(Target::user(u.id)), json!({}))
                }
                None => audit::login_failed(conn, &Actor::anonymous(request_id, client_ip), &phone),
            })
            .await?)
    }
}
