//! Quota and time by an admin's hand: grants and adjustments through the one grant path, the
//! expiry set or extended. A key names each so a retried request grants once.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::lifecycle::{Changed, Expiry, Step, reason};
use super::{Actor, Admin, AdminError, invalid};
use crate::accounts::grant::{self, Grant, Outcome};
use crate::accounts::{may_act_on, write};
use crate::domain::{AuditAction, LedgerSource};

/// An admin's Idempotency-Key as the cause of a grant or a lend (a fresh one when none is given).
pub(super) fn cause_key(key: Option<&str>) -> Result<String, AdminError> {
    match key {
        Some(k) if !k.is_empty() && k.len() <= 100 && k.chars().all(|c| c.is_ascii_graphic()) => Ok(k.to_owned()),
        Some(_) => Err(invalid("Idempotency-Key", "1 to 100 visible ASCII characters")),
        None => Ok(Uuid::new_v4().to_string()),
    }
}

impl Admin {
    /// Grants (positive) or takes back (negative) quota; `key` makes a retry grant once.
    pub async fn adjust_quota(
        &self,
        actor: &Actor,
        id: Uuid,
        bytes: i64,
        why: &str,
        key: Option<&str>,
    ) -> Result<Changed, AdminError> {
        if bytes == 0 {
            // Nothing to grant: nothing changes, no ledger row.
            let user = self.user(id).await?;
            may_act_on(actor, &user)?;
            return Ok(Changed { user, changed: false, replayed: false });
        }
        self.grant_by_admin(actor, id, bytes, 0, why, key, AuditAction::UserQuota).await
    }

    pub async fn set_expiry(
        &self,
        actor: &Actor,
        id: Uuid,
        e: Expiry,
        key: Option<&str>,
    ) -> Result<Changed, AdminError> {
        match e {
            Expiry::Extend(days) => {
                if !(1..=grant::MAX_EXTEND_DAYS).contains(&days) {
                    return Err(invalid("extend_days", format!("1 to {}", grant::MAX_EXTEND_DAYS)));
                }
                self.grant_by_admin(actor, id, 0, days, "expiry extended", key, AuditAction::UserExpiry).await
            }
            Expiry::Set(at) => {
                let earliest = Utc::now() - chrono::Duration::days(366);
                let latest = Utc::now() + chrono::Duration::days(i64::from(grant::MAX_EXTEND_DAYS));
                if at < earliest || at > latest {
                    return Err(invalid("expires_at", "within a year back and ten years ahead"));
                }
                let step: Step = Box::new(move |tx, u| {
                    if u.quota_expiry_date == Some(at) {
                        return Ok(None);
                    }
                    Ok(Some((write::set_expiry(tx, u.id, at)?, json!({ "expires_at": at }))))
                });
                Ok(Self::done(self.change(actor, id, AuditAction::UserExpiry, true, step).await?))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn grant_by_admin(
        &self,
        actor: &Actor,
        id: Uuid,
        bytes: i64,
        days: u32,
        why: &str,
        key: Option<&str>,
        action: AuditAction,
    ) -> Result<Changed, AdminError> {
        let why = reason(why)?;
        let key = cause_key(key)?;
        let g = Grant {
            user: id,
            bytes,
            extend_days: days,
            unlimited: None,
            key: format!("admin:{id}:{}:{key}", if days > 0 { "expiry" } else { "quota" }),
            source: LedgerSource::AdminAdjust,
            details: json!({ "reason": why }),
            by: actor.user_id,
        };
        let replayed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = replayed.clone();
        let step: Step = Box::new(move |tx, _u| match grant::grant(tx, &g)? {
            (Outcome::Replayed { .. }, _) => {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(None)
            }
            (Outcome::Granted { ledger_id }, after) => Ok(Some((
                after,
                json!({ "bytes": g.bytes, "extend_days": g.extend_days, "reason": why, "ledger_id": ledger_id }),
            ))),
        });
        let mut c = Self::done(self.change(actor, id, action, true, step).await?);
        c.replayed = replayed.load(std::sync::atomic::Ordering::SeqCst);
        Ok(c)
    }
}
