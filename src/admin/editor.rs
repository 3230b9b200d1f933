//! The user editor's tools: a super admin's direct quota correction, reset-login (sessions and
//! devices cleared, their router entries removed), a console password reset delivered over
//! WhatsApp, and the detail dialog's summary. The router view is in `router_view`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::lifecycle::{Changed, Step, not_self, reason};
use super::{Admin, AdminError, invalid, refused};
use crate::accounts::grant::{self, Grant, Outcome};
use crate::accounts::{self, may_act_on, write};
use crate::audit::{self, Actor, Target};
use crate::auth::refresh;
use crate::db::schema::{transactions, user_devices};
use crate::devices::DeviceKeys;
use crate::domain::{AuditAction, LedgerSource, Role, SaleChannel, TxState};

/// The most one correction may set, in bytes (1 PiB, as a grant).
const MAX_SET: i64 = crate::config::runtime::MAX_QUOTA_BYTES;

/// What a reset-login cleared.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResetSummary {
    pub tokens_deleted: usize,
    pub devices_deleted: usize,
    pub mac_count: usize,
    pub ip_count: usize,
}

/// A purchase in the detail dialog.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct Purchase {
    pub order_id: String,
    pub package_name: String,
    pub amount: i64,
    /// Midtrans's payment type (`qris`, `bank_transfer`, …); none for a cash sale.
    pub payment_type: Option<String>,
    pub channel: SaleChannel,
    pub paid_at: Option<DateTime<Utc>>,
}

/// The detail dialog's figures.
#[derive(Debug, Clone)]
pub struct Summary {
    pub device_count: i64,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Paid purchases of the last year, newest first (at most 24).
    pub purchases: Vec<Purchase>,
}

fn password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..14).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

impl Admin {
    /// Sets a user's purchased and/or used totals (super admin only), each change a keyed ledger
    /// row with the reason, in one transaction with the audit row.
    pub async fn set_quota_totals(
        &self,
        actor: &Actor,
        id: Uuid,
        purchased: Option<i64>,
        used: Option<i64>,
        why: &str,
    ) -> Result<Changed, AdminError> {
        if actor.role != Role::SuperAdmin {
            return Err(AdminError::forbidden("only a super admin corrects quota totals"));
        }
        let why = reason(why)?;
        if purchased.is_none() && used.is_none() {
            return Err(invalid("set_purchased_mb", "give set_purchased_mb, set_used_mb or both"));
        }
        for (field, v) in [("set_purchased_mb", purchased), ("set_used_mb", used)] {
            if v.is_some_and(|b| !(0..=MAX_SET).contains(&b)) {
                return Err(invalid(field, "0 to 1073741824 MB"));
            }
        }
        let (key, by) = (Uuid::new_v4(), actor.user_id);
        let step: Step = Box::new(move |tx, u| {
            let cause = json!({ "reason": why, "correction": true });
            let mut after = None;
            if let Some(p) = purchased.filter(|p| *p != u.quota_purchased_bytes) {
                let g = Grant {
                    user: u.id,
                    bytes: p - u.quota_purchased_bytes,
                    extend_days: 0,
                    unlimited: None,
                    key: format!("admin:{}:set-purchased:{key}", u.id),
                    source: LedgerSource::AdminAdjust,
                    details: cause.clone(),
                    by,
                };
                if let (Outcome::Granted { .. }, a) = grant::grant(tx, &g)? {
                    after = Some(a);
                }
            }
            if let Some(u2) = used {
                let k = format!("admin:{}:set-used:{key}", u.id);
                if let Some(a) = grant::correct_used(tx, u.id, u2, &k, cause.clone(), by)? {
                    after = Some(a);
                }
            }
            Ok(after.map(|a| (a, json!({ "reason": cause["reason"], "set_purchased": purchased, "set_used": used }))))
        });
        Ok(Self::done(self.change(actor, id, AuditAction::UserQuota, true, step).await?))
    }

    /// Ends every session and removes every device of the user (their router entries go, or
    /// are retried by the worker); quota and package untouched. Audited.
    pub async fn reset_login(&self, actor: &Actor, id: Uuid) -> Result<ResetSummary, AdminError> {
        let a = actor.clone();
        let (tokens, keys): (usize, Vec<DeviceKeys>) = self
            .db
            .run(move |conn| {
                Ok(conn.transaction::<_, AdminError, _>(|tx| {
                    let u = accounts::lock(tx, id)?;
                    may_act_on(&a, &u)?;
                    let tokens = refresh::revoke_all(tx, id, "reset_login")?;
                    let keys = crate::devices::remove_all_in(tx, id)?;
                    let details = json!({ "tokens": tokens, "devices": keys.len() });
                    audit::record(tx, &a, AuditAction::UserResetLogin, Some(Target::user(id)), details)?;
                    Ok((tokens, keys))
                }))
            })
            .await??;
        self.end_sessions(id).await;
        self.devices.forget_keys(&keys).await;
        self.reconcile_later(id, "reset_login").await;
        Ok(ResetSummary {
            tokens_deleted: tokens,
            devices_deleted: keys.len(),
            mac_count: keys.len(),
            ip_count: keys.iter().filter(|(_, ip, _)| ip.is_some()).count(),
        })
    }

    /// A new console password for an admin account, sent to its WhatsApp. It takes effect only
    /// if the message went: a failed send puts the old password back, so nobody is locked out by
    /// a password no one received. The admin's other sessions end.
    pub async fn reset_password(&self, actor: &Actor, id: Uuid) -> Result<(), AdminError> {
        let target = self.user(id).await?;
        may_act_on(actor, &target)?;
        if !target.role.is_admin() {
            return Err(refused(
                "Reset kata sandi hanya untuk akun admin; pengguna masuk dengan kode WhatsApp.",
                "Password resets are for admin accounts; users sign in with a WhatsApp code.",
            ));
        }
        let Some(messenger) = self.messenger.clone() else {
            return Err(refused("WhatsApp belum dikonfigurasi.", "WhatsApp is not configured."));
        };
        let fresh = password();
        let (p, old) = (fresh.clone(), target.password_hash.clone());
        let hash = tokio::task::spawn_blocking(move || accounts::password::hash_password(&p))
            .await
            .map_err(|e| AdminError::from(crate::db::DbError::Task(e.to_string())))??;
        let a = actor.clone();
        let step: Step = Box::new(move |tx, u| {
            not_self(&a, u, "change your own password on the Account page")?;
            refresh::revoke_all(tx, u.id, "password_reset")?;
            Ok(Some((write::set_password(tx, u.id, hash)?, json!({ "reset": true }))))
        });
        self.change(actor, id, AuditAction::UserPassword, false, step).await?;
        let vars = [("name", target.full_name.as_str()), ("password", fresh.as_str())];
        if let Err(e) = messenger.send(Some(id), &target.phone_number, "password_reset", &vars).await {
            tracing::warn!(error = %e, "password reset not delivered; the old password is restored");
            let restore: Step = Box::new(move |tx, u| match old {
                Some(h) => Ok(Some((write::set_password(tx, u.id, h)?, json!({ "restored": true })))),
                None => Ok(None),
            });
            self.change(actor, id, AuditAction::UserPassword, false, restore).await?;
            return Err(refused(
                "Pesan WhatsApp tidak terkirim; kata sandi tidak diubah. Coba lagi nanti.",
                "The WhatsApp message was not delivered; the password was not changed. Try again later.",
            ));
        }
        self.end_sessions(id).await;
        Ok(())
    }

    /// The detail dialog's figures: devices, last sign-in, the year's paid purchases.
    pub async fn summary(&self, actor: &Actor, id: Uuid) -> Result<Summary, AdminError> {
        let u = self.user(id).await?;
        may_act_on(actor, &u)?;
        let since = Utc::now() - chrono::Duration::days(365);
        let (device_count, purchases) = self
            .db
            .run(move |c| {
                let n = user_devices::table.filter(user_devices::user_id.eq(id)).count().get_result(c)?;
                let p = transactions::table
                    .filter(transactions::user_id.eq(id))
                    .filter(transactions::state.eq(TxState::Paid))
                    .filter(transactions::paid_at.ge(since))
                    .order(transactions::paid_at.desc())
                    .limit(24)
                    .select((
                        transactions::order_id,
                        transactions::package_name,
                        transactions::amount_idr,
                        transactions::payment_type.nullable(),
                        transactions::channel,
                        transactions::paid_at,
                    ))
                    .load::<Purchase>(c)?;
                Ok((n, p))
            })
            .await?;
        Ok(Summary { device_count, last_login_at: u.last_login_at, purchases })
    }
}
