//! The user editor's save (the existing frontend's edit dialog sends the whole user): each field
//! that differs from the user's state becomes the lifecycle action it means, in a fixed order
//! (role, profile, quota, time, a lend, block, activation), each one atomic and audited on its own.
//! Fields equal to the current state change nothing.

use uuid::Uuid;

use super::lifecycle::{Changed, Expiry, UserPatch};
use super::{Actor, Admin, AdminError};
use crate::accounts::may_act_on;
use crate::domain::Role;

/// What the reason of a block from the editor is when the admin gave none.
pub const DEFAULT_BLOCK_REASON: &str = "Diblokir oleh admin";

#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub patch: UserPatch,
    pub role: Option<Role>,
    /// Bytes and days to add (0: none).
    pub add_bytes: i64,
    pub add_days: u32,
    pub blocked: Option<bool>,
    pub blocked_reason: Option<String>,
    pub active: Option<bool>,
    /// A package lent on credit.
    pub lend: Option<super::debts::LendRequest>,
    /// Makes a retried save grant its quota and days once.
    pub key: Option<String>,
}

impl Admin {
    pub async fn edit(&self, actor: &Actor, id: Uuid, e: Edit) -> Result<Changed, AdminError> {
        let current = self.user(id).await?;
        may_act_on(actor, &current)?;
        let mut out = Changed { user: current.clone(), changed: false, replayed: false };
        let mut fold = |c: Changed| {
            out.changed |= c.changed;
            out.replayed |= c.replayed;
            out.user = c.user;
        };
        if let Some(role) = e.role.filter(|r| *r != current.role) {
            fold(self.set_role(actor, id, role, None).await?);
        }
        fold(self.update(actor, id, e.patch).await?);
        if e.add_bytes != 0 {
            fold(self.adjust_quota(actor, id, e.add_bytes, "added in the user editor", e.key.as_deref()).await?);
        }
        if e.add_days > 0 {
            fold(self.set_expiry(actor, id, Expiry::Extend(e.add_days), e.key.as_deref()).await?);
        }
        if let Some(mut l) = e.lend {
            l.key = l.key.or(e.key.clone());
            fold(self.lend(actor, id, l).await?);
        }
        match (e.blocked, current.is_blocked) {
            (Some(true), _) => {
                let reason = e.blocked_reason.filter(|r| !r.trim().is_empty());
                let reason = reason.or(current.blocked_reason.clone()).unwrap_or_else(|| DEFAULT_BLOCK_REASON.into());
                fold(self.block(actor, id, &reason).await?);
            }
            (Some(false), true) => fold(self.unblock(actor, id).await?),
            _ => {}
        }
        match (e.active, current.is_active) {
            (Some(false), true) => fold(self.deactivate(actor, id).await?),
            (Some(true), false) => fold(self.reactivate(actor, id).await?),
            _ => {}
        }
        Ok(out)
    }
}
