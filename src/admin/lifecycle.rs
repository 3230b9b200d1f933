//! A user's lifecycle at an operator's hand: approve, reject, block, unblock, deactivate,
//! reactivate; and the one mechanism every admin change goes through (`change`): one
//! transaction holding the user's row lock, the rights check, the change, the stored status and
//! its audit row; what follows the commit (tokens ended, router entries removed, the reconcile
//! queued, the user told) happens after. Quota and time are in `quota`, role, profile, creation
//! and devices in `account`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::audit::{self, Actor, Target, user_view};
use super::grant::{self, Grant};
use super::{Admin, AdminError, invalid, may_act_on};
use crate::auth::refresh;
use crate::captive::store::deauthorize_in;
use crate::db::models::User;
use crate::db::schema::users;
use crate::domain::{ApprovalStatus, ClientIp, MacAddress};

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

pub(crate) fn lock_user(tx: &mut PgConnection, id: Uuid) -> Result<User, AdminError> {
    users::table.find(id).select(User::as_select()).for_update().first(tx).optional()?.ok_or(AdminError::UserNotFound)
}

/// Stores the user's status by the one policy when the change moved it (filters and counts read
/// the stored one).
pub fn store_status(
    tx: &mut PgConnection,
    mut u: User,
    policy: &crate::domain::policy::RouterPolicy,
) -> Result<User, AdminError> {
    let status = policy.status(&u.facts(), Utc::now());
    if status != u.access_status {
        diesel::update(users::table.find(u.id)).set(users::access_status.eq(status)).execute(tx)?;
        u.access_status = status;
    }
    Ok(u)
}

pub(super) fn not_self(actor: &Actor, target: &User, what: &'static str) -> Result<(), AdminError> {
    if actor.user_id == Some(target.id) { Err(AdminError::Forbidden(what)) } else { Ok(()) }
}

pub(super) type Step = Box<dyn FnOnce(&mut PgConnection, &User) -> Result<Option<(User, Value)>, AdminError> + Send>;

impl Admin {
    /// Runs `f` in one transaction with the user's row locked and the rights checked, writes
    /// the audit row when `f` changed something, and queues the reconcile after commit.
    pub(super) async fn change(
        &self,
        actor: &Actor,
        id: Uuid,
        action: &'static str,
        reconcile: bool,
        f: Step,
    ) -> Result<(User, Option<User>), AdminError> {
        let (a, policy) = (actor.clone(), self.runtime.policy());
        let (before, after) = self
            .db()
            .run(move |conn| {
                Ok(conn.transaction::<_, AdminError, _>(|tx| {
                    let before = lock_user(tx, id)?;
                    may_act_on(&a, &before)?;
                    let Some((after, extra)) = f(tx, &before)? else { return Ok((before, None)) };
                    let after = store_status(tx, after, &policy)?;
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
            self.reconcile_later(id, action).await;
        }
        // Approval and rejection have their own messages.
        if let Some(a) = &after
            && a.access_status != before.access_status
            && !matches!(action, "user.approve" | "user.reject")
            && crate::notify::Event::worth_telling(a.access_status)
        {
            let event = crate::notify::Event::Status {
                to: a.access_status,
                cause: Uuid::new_v4().to_string(),
                reason: a.blocked_reason.clone(),
            };
            crate::notify::tell(&self.queues, id, event).await;
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
        if let Err(e) = self.captive.revoke_access(id, None).await {
            tracing::error!(error = %e, "could not end the user's access tokens; they expire by themselves");
        }
    }

    /// Queues a message to the user (the worker sends it).
    pub(super) async fn tell(&self, user: &User, event: crate::notify::Event) {
        crate::notify::tell(&self.queues, user.id, event).await;
    }

    pub async fn approve(&self, actor: &Actor, id: Uuid) -> Result<Changed, AdminError> {
        let defaults = self.runtime.get();
        let (bytes, days) = (defaults.default_quota_bytes, defaults.default_validity_days);
        let by = actor.user_id;
        let step: Step = Box::new(move |tx, u| {
            if u.approval_status == ApprovalStatus::Approved {
                return Ok(None);
            }
            let now = Utc::now();
            diesel::update(users::table.find(u.id))
                .set((
                    users::approval_status.eq(ApprovalStatus::Approved),
                    users::approved_at.eq(now),
                    users::rejected_reason.eq(None::<String>),
                    users::phone_verified_at.eq(u.phone_verified_at.unwrap_or(now)),
                    users::updated_at.eq(now),
                ))
                .execute(tx)?;
            // The operator's starting package, once per user whatever happens later.
            if bytes > 0 || days > 0 {
                let g = Grant {
                    user: u.id,
                    bytes,
                    extend_days: days,
                    unlimited: None,
                    key: format!("approve:{}", u.id),
                    source: "purchase",
                    details: json!({ "origin": "default package on approval" }),
                    by,
                };
                grant::grant(tx, &g)?;
            }
            Ok(Some((lock_user(tx, u.id)?, json!({ "default_quota_bytes": bytes, "default_validity_days": days }))))
        });
        let c = Self::done(self.change(actor, id, "user.approve", true, step).await?);
        if c.changed {
            self.tell(&c.user, crate::notify::Event::Approved).await;
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
            let after = diesel::update(users::table.find(u.id))
                .set((
                    users::approval_status.eq(ApprovalStatus::Rejected),
                    users::rejected_reason.eq(&r),
                    users::updated_at.eq(Utc::now()),
                ))
                .returning(User::as_returning())
                .get_result(tx)?;
            Ok(Some((after, json!({ "reason": r }))))
        });
        let c = Self::done(self.change(actor, id, "user.reject", true, step).await?);
        self.end_sessions(id).await;
        let cause = Uuid::new_v4().to_string();
        self.tell(&c.user, crate::notify::Event::Rejected { reason: why, cause }).await;
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
            let after = diesel::update(users::table.find(u.id))
                .set((
                    users::is_blocked.eq(true),
                    users::blocked_reason.eq(&why),
                    users::blocked_at.eq(Utc::now()),
                    users::updated_at.eq(Utc::now()),
                ))
                .returning(User::as_returning())
                .get_result(tx)?;
            Ok(Some((after, json!({ "reason": why }))))
        });
        let c = Self::done(self.change(actor, id, "user.block", true, step).await?);
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
            let after = diesel::update(users::table.find(u.id))
                .set((
                    users::is_blocked.eq(false),
                    users::blocked_reason.eq(None::<String>),
                    users::blocked_at.eq(None::<DateTime<Utc>>),
                    users::updated_at.eq(Utc::now()),
                ))
                .returning(User::as_returning())
                .get_result(tx)?;
            Ok(Some((after, json!({}))))
        });
        Ok(Self::done(self.change(actor, id, "user.unblock", true, step).await?))
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
            let after = diesel::update(users::table.find(u.id))
                .set((
                    users::is_active.eq(false),
                    users::deactivated_at.eq(Utc::now()),
                    users::updated_at.eq(Utc::now()),
                ))
                .returning(User::as_returning())
                .get_result(tx)?;
            Ok(Some((after, json!({}))))
        });
        let c = Self::done(self.change(actor, id, "user.deactivate", true, step).await?);
        if c.changed {
            self.end_sessions(id).await;
            let keys: Vec<(MacAddress, Option<ClientIp>)> = keys.lock().map(|k| k.clone()).unwrap_or_default();
            let macs: Vec<MacAddress> = keys.iter().map(|(m, _)| *m).collect();
            let ips: Vec<ClientIp> = keys.iter().filter_map(|(_, i)| *i).collect();
            self.captive.forget_on_router(&macs, &ips).await;
        }
        Ok(c)
    }

    /// Reactivates a deactivated account (its devices sign in again from scratch).
    pub async fn reactivate(&self, actor: &Actor, id: Uuid) -> Result<Changed, AdminError> {
        let step: Step = Box::new(move |tx, u| {
            if u.is_active {
                return Ok(None);
            }
            let after = diesel::update(users::table.find(u.id))
                .set((
                    users::is_active.eq(true),
                    users::deactivated_at.eq(None::<DateTime<Utc>>),
                    users::updated_at.eq(Utc::now()),
                ))
                .returning(User::as_returning())
                .get_result(tx)?;
            Ok(Some((after, json!({}))))
        });
        Ok(Self::done(self.change(actor, id, "user.reactivate", true, step).await?))
    }

    pub async fn user(&self, id: Uuid) -> Result<User, AdminError> {
        self.db().run(move |conn| crate::users::find(conn, id)).await?.ok_or(AdminError::UserNotFound)
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
