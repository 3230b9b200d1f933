//! WhatsApp from the console: a test message sent at once (audited), and a broadcast to every
//! approved, active, unblocked user of a role — queued one message per user through the message
//! queue, so each goes once (keyed by the broadcast), within the quiet hours and the daily cap
//! like any reminder, and its progress is read from the message log.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Admin, AdminError, invalid, refused};
use crate::audit::{self, Actor, Target};
use crate::db::schema::{message_log, users};
use crate::domain::{ApprovalStatus, AuditAction, AuditTarget, Msisdn, Role};
use crate::notify::Event;

/// The longest message the console sends.
pub const MAX_TEXT: usize = 1000;

/// Where a broadcast stands.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Progress {
    pub broadcast_id: Uuid,
    pub total_recipients: i64,
    /// Not yet tried (held for the quiet hours, or waiting in the queue).
    pub pending: i64,
    /// Not sent: the user opted out of such messages, or had today's allowance.
    pub skipped_count: i64,
    pub sent_count: i64,
    pub delivered_count: i64,
    pub failed_count: i64,
}

fn text(raw: &str) -> Result<String, AdminError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid("message", format!("1 to {MAX_TEXT} characters")));
    }
    Ok(t.to_owned())
}

impl Admin {
    /// Sends `message` to `to` now (the gateway's answer is the answer), audited.
    pub async fn test_send(&self, actor: &Actor, to: &Msisdn, message: &str) -> Result<(), AdminError> {
        let body = text(message)?;
        let Some(m) = self.messenger.clone() else {
            return Err(refused("WhatsApp belum dikonfigurasi.", "WhatsApp is not configured."));
        };
        let sent = m.send(None, to, "broadcast", &[("message", body.as_str())]).await;
        let a = actor.clone();
        // The logs page reads `success`, `template` and `recipient`.
        let details = json!({ "success": sent.is_ok(), "template": "test", "recipient": to.masked() });
        self.db
            .run(move |c| {
                audit::record(
                    c,
                    &a,
                    AuditAction::WhatsAppTest,
                    Some(Target::new(AuditTarget::WhatsApp, "test")),
                    details,
                )
            })
            .await?;
        sent.map(|_| ()).map_err(|e| {
            tracing::warn!(error = %e, "test message not sent");
            refused(
                "Pesan uji tidak terkirim; periksa gateway WhatsApp.",
                "The test message was not sent; check the WhatsApp gateway.",
            )
        })
    }

    /// Queues `message` to every approved, active, unblocked account of `role`; audited with its
    /// count. Returns the broadcast's progress (all pending).
    pub async fn broadcast(&self, actor: &Actor, role: Role, message: &str) -> Result<Progress, AdminError> {
        if role.is_admin() {
            return Err(invalid("target_role", "USER or KOMANDAN"));
        }
        let body = text(message)?;
        let (id, a) = (Uuid::new_v4(), actor.clone());
        let chars = body.chars().count();
        let to: Vec<Uuid> = self
            .db
            .run(move |c| {
                let to: Vec<Uuid> = users::table
                    .filter(users::role.eq(role))
                    .filter(users::approval_status.eq(ApprovalStatus::Approved))
                    .filter(users::is_active.eq(true))
                    .filter(users::is_blocked.eq(false))
                    .select(users::id)
                    .load(c)?;
                let recipient = format!("{} {} akun", role.as_str(), to.len());
                let details = json!({ "success": true, "template": "broadcast", "recipient": recipient, "role": role, "total": to.len(), "chars": chars });
                audit::record(
                    c,
                    &a,
                    AuditAction::WhatsAppBroadcast,
                    Some(Target::new(AuditTarget::WhatsApp, id)),
                    details,
                )?;
                Ok(to)
            })
            .await?;
        for user in &to {
            self.tell(*user, Event::Broadcast { broadcast: id, message: body.clone() }).await;
        }
        Ok(Progress {
            broadcast_id: id,
            total_recipients: to.len() as i64,
            pending: to.len() as i64,
            ..Default::default()
        })
    }

    /// A broadcast's progress: its recipients (from its audit row) and its messages' states.
    pub async fn broadcast_progress(&self, id: Uuid) -> Result<Progress, AdminError> {
        let prefix = format!("broadcast:{id}:%");
        let (total, states) = self
            .db
            .run(move |c| {
                use crate::db::schema::audit_log;
                let details: Option<serde_json::Value> = audit_log::table
                    .filter(audit_log::action.eq(AuditAction::WhatsAppBroadcast))
                    .filter(audit_log::target_id.eq(id.to_string()))
                    .select(audit_log::details)
                    .first(c)
                    .optional()?;
                let states: Vec<(String, i64)> = message_log::table
                    .filter(message_log::idempotency_key.like(prefix))
                    .group_by(message_log::status)
                    .select((message_log::status, diesel::dsl::count_star()))
                    .load(c)?;
                Ok((details.map(|d| d["total"].as_i64().unwrap_or(0)), states))
            })
            .await?;
        let total = total.ok_or(AdminError::NotFound("broadcast"))?;
        let key = self.kv.key(&format!("broadcast:{id}:skipped"));
        let skipped: i64 = self
            .kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let v: Option<i64> = redis::cmd("GET").arg(&key).query_async(&mut c).await?;
                Ok(v.unwrap_or(0))
            })
            .await?;
        let n = |s: &[&str]| states.iter().filter(|(k, _)| s.contains(&k.as_str())).map(|(_, n)| n).sum::<i64>();
        let (sent, delivered, failed) = (n(&["sent"]), n(&["delivered", "read"]), n(&["failed"]));
        let pending = (total - sent - delivered - failed - skipped).max(0);
        Ok(Progress {
            broadcast_id: id,
            total_recipients: total,
            pending,
            sent_count: sent,
            delivered_count: delivered,
            failed_count: failed,
            skipped_count: skipped,
        })
    }
}
