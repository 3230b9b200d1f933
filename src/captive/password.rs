//! An account's own password (the console's accounts sign in with one): changed with the
//! current one, every other session of the account ended, audited.

use diesel::Connection;
use serde_json::json;

use super::{Captive, CaptiveError};
use crate::accounts::password::{Busy, MIN_PASSWORD_LEN, check_bounded, hash_password};
use crate::audit::{self, Actor, Target};
use crate::auth::refresh;
use crate::auth::tokens::{self, Claims};
use crate::domain::{AuditAction, ClientIp};

/// Wrong current passwords allowed per account in a window of seconds.
const FAILS: u32 = 5;
const WINDOW: u64 = 900;

impl Captive {
    /// Changes the signed-in account's password. The current password is checked like a
    /// sign-in (counted before the hash, given back unless wrong); the new one is at least
    /// [`MIN_PASSWORD_LEN`] characters and not the current one. This session stays; every
    /// other one of the account ends at once.
    pub async fn change_password(
        &self,
        claims: &Claims,
        current: String,
        new: String,
        request_id: Option<String>,
        ip: Option<ClientIp>,
    ) -> Result<(), CaptiveError> {
        let user = self.user_by_id(claims.sub).await?.ok_or(CaptiveError::AuthRequired)?;
        let Some(stored) = user.password_hash.clone() else {
            return Err(CaptiveError::Invalid {
                field: "current_password",
                reason: "this account signs in with WhatsApp codes; it has no password".into(),
            });
        };
        if new.chars().count() < MIN_PASSWORD_LEN {
            return Err(CaptiveError::Invalid {
                field: "new_password",
                reason: format!("at least {MIN_PASSWORD_LEN} characters"),
            });
        }
        if new == current {
            return Err(CaptiveError::Invalid { field: "new_password", reason: "the same as the current one".into() });
        }
        let who = user.id.to_string();
        let counted = match self.limiter.count_all(&[("password-change-fail", &who, FAILS)], WINDOW).await? {
            Ok(counted) => counted,
            Err(secs) => return Err(CaptiveError::RateLimited { retry_after: secs, reason: "password-change" }),
        };
        let ok = match check_bounded(current, Some(stored)).await {
            Ok(ok) => ok,
            Err(e) => {
                self.limiter.give_back_all(&counted).await;
                return Err(match e {
                    Busy::Queue => CaptiveError::RateLimited { retry_after: 5, reason: "password-busy" },
                    Busy::Task(t) => CaptiveError::Internal(t),
                });
            }
        };
        if !ok {
            return Err(CaptiveError::Invalid { field: "current_password", reason: "not the current password".into() });
        }
        self.limiter.give_back_all(&counted).await;
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|e| CaptiveError::Internal(e.to_string()))?
            .map_err(|e| CaptiveError::Invalid { field: "new_password", reason: e.to_string() })?;
        let actor = Actor::admin(&user, request_id, ip);
        let (id, keep) = (user.id, claims.fam);
        let ended = self
            .db
            .run(move |conn| {
                conn.transaction(|tx| {
                    crate::accounts::write::set_password(tx, id, hash)?;
                    let ended = refresh::revoke_others(tx, id, keep, "password_changed")?;
                    let target = Target::user(id);
                    audit::record(
                        tx,
                        &actor,
                        AuditAction::UserPassword,
                        Some(target),
                        json!({ "sessions_ended": ended.len() }),
                    )?;
                    Ok(ended)
                })
            })
            .await?;
        for family in ended {
            tokens::revoke_before_now(&self.kv, id, Some(family), self.settings.auth.access_ttl).await?;
        }
        tracing::info!("an account changed its password; its other sessions ended");
        Ok(())
    }
}
