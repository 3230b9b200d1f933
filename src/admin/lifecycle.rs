//! A user's lifecycle at an operator's hand: approve, reject, block, unblock, deactivate,
//! reactivate; and the one mechanism every admin change goes through (`change`): one
//! transaction holding the user's row lock, the rights check, the change (written by the
//! accounts room), the stored status and its audit row; what follows the commit (tokens ended,
//! router entries removed, the reconcile queued, the user told) happens after. Quota and time
//! are in `quota`, role, profile, creation and devices in `account`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Admin, AdminError, invalid};
use crate::accounts::grant::{self, Grant};
use crate::accounts::{self, may_act_on, write};
use crate::audit::{self, Actor, Target, user_view};
use crate::auth::refresh;
use crate::db::models::User;
use crate::devices::{DeviceKeys, deauthorize_in};
use crate::domain::{ApprovalStatus, AuditAction, LedgerSource};
use crate::notify::Event;

/// Longest reason kept for a block or rejection.
pub const REASON_MAX: usize = 500;

/// What a mutation did.
#[derive(Debug, Clone)]
pub struct Changed {
    pub user: User,
    /// False when the user was already in the asked-for state (nothing written).
    pub changed: bool,
    /// For a quota grant: whether this key was granted before.
    pub replayed: bool,
}

/// How an expiry changes.
#[derive(Debug, Clone, Copy)]
pub enum Expiry {
    Set(DateTime<Utc>),
    Extend(u32),
}

/// The fields an admin may change on a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub full_name: Option<String>,
    pub is_unlimited_user: Option<bool>,
    /// `Some(None)` clears the override.
    pub device_limit_override: Option<Option<i32>>,
    /// Profile attributes; an empty value removes the attribute.
    pub profile: Vec<(&'static str, String)>,
}

pub fn reason(raw: &str) -> Result<String, AdminError> {
    let r = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if r.is_empty() || r.chars().count() > REASON_MAX || r.chars().any(char::is_control) {
        return Err(invalid("reason", format!("1 to {REASON_MAX} printable characters")));
    }
    Ok(r)
}

pub(super) fn not_self(actor: &Actor, target: &User, what: &'static str) -> Result<(), AdminError> {
    if actor.user_id == Some(target.id) { Err(AdminError::forbidden(what)) } else { Ok(()) }
}

/// One change of a locked user: the user after it and what the audit row adds, or `None` when
/// the user is already as asked.
pub(super) type Step = Box<dyn FnOnce(&mut PgConnection, &User) -> Result<Option<(User, Value)>, AdminError> + Send>;

impl Admin {
    /// Runs `f` in one transaction with the user's row locked and the rights checked, writes
    /// the audit row when `f` changed something, and queues the reconcile after commit.
    pub(super) async fn change(
        &self,
        actor: &Actor,
        id: Uuid,
        action: AuditAction,
        reconcile: bool,
        f: Step,
    ) -> Result<(User, Option<User>), AdminError> {
        let (a, policy) = (actor.clone(), self.runtime.policy());
        let (before, after) = self
            .db
            .run(move |conn| {
                Ok(conn.transaction::<_, AdminError, _>(|tx| {
                    let before = accounts::lock(tx, id)?;
                    may_act_on(&a, &before)?;
                    let Some((after, extra)) = f(tx, &before)? else { return Ok((before, None)) };
                    let after = accounts::status::store(tx, after, &policy)?;
                    let mut details = Map::new();
                    details.insert("before".into(), user_view(&before));
                    details.insert("after".into(), user_view(&after));
                    if let Value::Object(extra) = extra {
                        details.extend(extra);
                    }
                    audit::record(tx, &a, action, Some(Target::user(id)), Value::Object(details))?;
                    Ok((before, Some(after)))
                }))
            })
            .await??;
        if after.is_some() && reconcile {
            self.reconcile_later(id, action.as_str()).await;
        }
        // Approval and rejection have their own messages.
        if let Some(a) = &after
            && a.access_status != before.access_status
            && !matches!(action, AuditAction::UserApprove | AuditAction::UserReject)
            && Event::worth_telling(a.access_status)
        {
            let event = Event::Status {
                to: a.access_status,
                cause: Uuid::new_v4().to_string(),
                reason: a.blocked_reason.clone(),
            };
            self.tell(id, event).await;
        }
        Ok((before, after))
    }

    pub(super) fn done((before, after): (User, Option<User>)) -> Changed {
        match after {
            Some(user) => Changed { user, changed: true, replayed: false },
            None => Changed { user: before, changed: false, replayed: false },
        }
    }

    /// Ends every session of the user at once (blocked, demoted, deactivated).
    pub(super) async fn end_sessions(&self, id: Uuid) {
        if let Err(e) = crate::auth::tokens::revoke_before_now(&self.kv, id, None, self.tokens.ttl()).await {
            tracing::error!(error = %e, "could not end the user's access tokens; they expire by themselves");
        }
    }

    pub async fn approve(&self, actor: &Actor, id: Uuid) -> Result<Changed, AdminError> {
        let defaults = self.runtime.get();
        let (bytes, days) = (defaults.default_quota_bytes, defaults.default_validity_days);
        let by = actor.user_id;
        let step: Step = Box::new(move |tx, u| {
            if u.approval_status == ApprovalStatus::Approved {
                return Ok(None);
            }
            let mut after = write::approve(tx, u)?;
            // The operator's starting package, once per user whatever happens later.
            if bytes > 0 || days > 0 {
                let g = Grant {
                    user: u.id,
                    bytes,
                    extend_days: days,
                    unlimited: None,
                    key: format!("approve:{}", u.id),
                    source: LedgerSource::Purchase,
                    details: json!({ "origin": "default package on approval" }),
                    by,
                };
                after = grant::grant(tx, &g)?.1;
            }
            // The registration bonus running at approval, once per user and promotion.
            let bonus = match crate::settings::promos::bonus_now(tx)? {
                Some(p) if u.role == crate::domain::Role::User => {
                    let g = Grant {
                        user: u.id,
                        bytes: p.fields.bonus_value_mb.unwrap_or(0).saturating_mul(crate::domain::MIB),
                        extend_days: u32::try_from(p.fields.bonus_duration_days.unwrap_or(0)).unwrap_or(0),
                        unlimited: None,
                        key: format!("promo:{}:{}", p.id, u.id),
                        source: LedgerSource::AdminAdjust,
                        details: json!({ "promo": p.id, "reason": p.fields.name }),
                        by,
                    };
                    after = grant::grant(tx, &g)?.1;
                    Some(p.id)
                }
                _ => None,
            };
            let extra = json!({ "default_quota_bytes": bytes, "default_validity_days": days, "bonus_promo": bonus });
            Ok(Some((after, extra)))
        });
        let c = Self::done(self.change(actor, id, AuditAction::UserApprove, true, step).await?);
        if c.changed {
            self.tell(c.user.id, Event::Approved).await;
        }
        Ok(c)
    }

    pub async fn reject(&self, actor: &Actor, id: Uuid, why: &str) -> Result<Changed, AdminError> {
        let why = reason(why)?;
        let r = why.clone();
        let step: Step = Box::new(move |tx, u| {
            if u.approval_status != ApprovalStatus::Pending {
                return Err(AdminError::InvalidState(
                    "only a waiting registration can be rejected; block a user instead",
                ));
            }
            refresh::revoke_all(tx, u.id, "rejected")?;
            Ok(Some((write::reject(tx, u.id, &r)?, json!({ "reason": r }))))
        });
        let c = Self::done(self.change(actor, id, AuditAction::UserReject, true, step).await?);
        self.end_sessions(id).await;
        // A registration nobody proved may hold a stranger's number and a name chosen to be
        // sent to it: it is rejected silently.
        if c.user.phone_verified_at.is_some() {
            let cause = Uuid::new_v4().to_string();
            self.tell(c.user.id, Event::Rejected { reason: why, cause }).await;
        }
        Ok(c)
    }

    pub async fn block(&self, actor: &Actor, id: Uuid, why: &str) -> Result<Changed, AdminError> {
        let why = reason(why)?;
        let a = actor.clone();
        let step: Step = Box::new(move |tx, u| {
            not_self(&a, u, "you cannot block your own account")?;
            if u.is_blocked && u.blocked_reason.as_deref() == Some(why.as_str()) {
                return Ok(None);
            }
            refresh::revoke_all(tx, u.id, "blocked")?;
            Ok(Some((write::block(tx, u.id, &why)?, json!({ "reason": why }))))
        });
        let c = Self::done(self.change(actor, id, AuditAction::UserBlock, true, step).await?);
        if c.changed {
            self.end_sessions(id).await;
        }
        Ok(c)
    }

    pub async fn unblock(&self, actor: &Actor, id: Uuid) -> Result<Changed, AdminError> {
        let step: Step = Box::new(move |tx, u| {
            if !u.is_blocked {
                return Ok(None);
            }
            Ok(Some((write::unblock(tx, u.id)?, json!({}))))
        });
        Ok(Self::done(self.change(actor, id, AuditAction::UserUnblock, true, step).await?))
    }

    /// Deactivates the account: sessions ended, devices deauthorized, router entries removed.
    pub async fn deactivate(&self, actor: &Actor, id: Uuid) -> Result<Changed, AdminError> {
        let a = actor.clone();
        let keys = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let out = keys.clone();
        let step: Step = Box::new(move |tx, u| {
            not_self(&a, u, "you cannot deactivate your own account")?;
            if !u.is_active {
                return Ok(None);
            }
            refresh::revoke_all(tx, u.id, "deactivated")?;
            let removed = deauthorize_in(tx, u.id, None)?;
            if let Ok(mut k) = out.lock() {
                *k = removed;
            }
            Ok(Some((write::deactivate(tx, u.id)?, json!({}))))
        });
        let c = Self::done(self.change(actor, id, AuditAction::UserDeactivate, true, step).await?);
        if c.changed {
            self.end_sessions(id).await;
            let keys: Vec<DeviceKeys> = keys.lock().map(|k| k.clone()).unwrap_or_default();
            self.devices.forget_keys(&keys).await;
        }
        Ok(c)
    }

    /// Reactivates a deactivated account (its devices sign in again from scratch).
    pub async fn reactivate(&self, actor: &Actor, id: Uuid) -> Result<Changed, AdminError> {
        let step: Step = Box::new(move |tx, u| {
            if u.is_active {
                return Ok(None);
            }
            Ok(Some((write::reactivate(tx, u.id)?, json!({}))))
        });
        Ok(Self::done(self.change(actor, id, AuditAction::UserReactivate, true, step).await?))
    }

    pub async fn user(&self, id: Uuid) -> Result<User, AdminError> {
        Ok(self.accounts.get(id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(reason("  too   many  devices ").unwrap(), "too many devices");
        assert!(reason("   ").is_err());
        assert!(reason(&"x".repeat(REASON_MAX + 1)).is_err());
        assert!(reason("a\u{0000}b").is_err());
    }
}
