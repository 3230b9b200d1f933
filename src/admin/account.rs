//! An account's standing: its role, its profile and limits, its creation by an operator, a device
//! revoked.

use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::lifecycle::{Changed, Step, UserPatch, not_self};
use super::{Admin, AdminError, invalid};
use crate::accounts::create::{CreateUser, PROFILE_FIELDS, normalize_name, profile_from};
use crate::accounts::{self, may_act_on, write};
use crate::audit::{self, Actor, Target};
use crate::auth::refresh;
use crate::db::models::User;
use crate::devices::{owner_of, remove_device_in};
use crate::domain::{AuditAction, AuditTarget, Role};

impl Admin {
    /// A new role (super admin only); an admin role needs a password, other roles lose theirs.
    pub async fn set_role(
        &self,
        actor: &Actor,
        id: Uuid,
        role: Role,
        password: Option<String>,
    ) -> Result<Changed, AdminError> {
        if actor.role != Role::SuperAdmin {
            return Err(AdminError::forbidden("only a super admin changes roles"));
        }
        let hash = match (role.is_admin(), password) {
            (true, Some(p)) => Some(
                tokio::task::spawn_blocking(move || accounts::password::hash_password(&p))
                    .await
                    .map_err(|e| AdminError::from(crate::db::DbError::Task(e.to_string())))??,
            ),
            (true, None) => None,
            (false, Some(_)) => return Err(invalid("password", "only admin roles sign in with a password")),
            (false, None) => None,
        };
        let a = actor.clone();
        let step: Step = Box::new(move |tx, u| {
            not_self(&a, u, "you cannot change your own role")?;
            if u.role == role {
                return Ok(None);
            }
            let hash = match (role.is_admin(), hash, &u.password_hash) {
                (true, Some(h), _) => Some(h),
                (true, None, Some(existing)) => Some(existing.clone()),
                (true, None, None) => {
                    return Err(invalid("password", "an admin role needs a password (10+ characters)"));
                }
                (false, _, _) => None,
            };
            refresh::revoke_all(tx, u.id, "role_changed")?;
            Ok(Some((write::set_role(tx, u.id, role, hash)?, json!({ "role": role }))))
        });
        let c = Self::done(self.change(actor, id, AuditAction::UserRole, true, step).await?);
        if c.changed {
            self.end_sessions(id).await;
        }
        Ok(c)
    }

    pub async fn update(&self, actor: &Actor, id: Uuid, patch: UserPatch) -> Result<Changed, AdminError> {
        let name = patch.full_name.as_deref().map(normalize_name).transpose()?;
        if let Some(Some(n)) = patch.device_limit_override
            && !(1..=100).contains(&n)
        {
            return Err(invalid("device_limit_override", "1 to 100, or null to use the setting"));
        }
        let given: Vec<(&'static str, Option<&str>)> =
            patch.profile.iter().map(|(k, v)| (*k, Some(v.as_str()))).collect();
        let set = profile_from(&given)?;
        let cleared: Vec<&'static str> =
            patch.profile.iter().filter(|(_, v)| v.trim().is_empty()).map(|(k, _)| *k).collect();
        let access = patch.is_unlimited_user.is_some();
        let step: Step = Box::new(move |tx, u| {
            let mut profile = u.profile.as_object().cloned().unwrap_or_default();
            for k in &cleared {
                profile.remove(*k);
            }
            profile.extend(set);
            let profile = Value::Object(profile);
            let full_name = name.unwrap_or_else(|| u.full_name.clone());
            let unlimited = patch.is_unlimited_user.unwrap_or(u.is_unlimited_user);
            let limit = patch.device_limit_override.unwrap_or(u.device_limit_override);
            let same = full_name == u.full_name
                && unlimited == u.is_unlimited_user
                && limit == u.device_limit_override
                && profile == u.profile;
            if same {
                return Ok(None);
            }
            let fields =
                write::Fields { full_name, is_unlimited_user: unlimited, device_limit_override: limit, profile };
            Ok(Some((write::set_fields(tx, u.id, fields)?, json!({ "profile": u.profile.clone() }))))
        });
        Ok(Self::done(self.change(actor, id, AuditAction::UserUpdate, access, step).await?))
    }

    /// An account made by an operator: approved, with its starting quota and expiry.
    pub async fn create(&self, actor: &Actor, input: CreateUser) -> Result<User, AdminError> {
        Ok(self.accounts.create(actor, input, self.runtime.policy()).await?)
    }

    /// Revokes one device of any user: its row deleted, its router entries removed.
    pub async fn revoke_device(&self, actor: &Actor, device: i64) -> Result<(), AdminError> {
        let a = actor.clone();
        let keys = self
            .db
            .run(move |conn| {
                Ok(conn.transaction::<_, AdminError, _>(|tx| {
                    let owner = owner_of(tx, device)?.ok_or(AdminError::DeviceNotFound)?;
                    let user = accounts::lock(tx, owner)?;
                    may_act_on(&a, &user)?;
                    let keys = remove_device_in(tx, owner, device)?.ok_or(AdminError::DeviceNotFound)?;
                    let mac = keys.0;
                    let target = Target::new(AuditTarget::Device, device);
                    let details = json!({ "user_id": owner, "mac_address": mac.masked() });
                    audit::record(tx, &a, AuditAction::DeviceRevoke, Some(target), details)?;
                    Ok(keys)
                }))
            })
            .await??;
        self.devices.forget_keys(&[keys]).await;
        Ok(())
    }
}

/// The profile attribute names an admin may set.
pub fn profile_field(name: &str) -> Option<&'static str> {
    PROFILE_FIELDS.iter().map(|(k, _)| *k).find(|k| *k == name)
}
