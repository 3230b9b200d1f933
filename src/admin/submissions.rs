//! Database-update submissions at an operator's hand: the waiting list, an approval (the account
//! takes the stated name, role and room, in the transaction that closes the submission, audited)
//! and a rejection.

use serde_json::{Value, json};
use uuid::Uuid;

use super::lifecycle::{Changed, Step, reason};
use super::{Admin, AdminError, refused};
use crate::accounts::submissions::{self, Submission};
use crate::accounts::write;
use crate::audit::{self, Actor, Target};
use crate::auth::refresh;
use crate::db::models::User;
use crate::domain::{AuditAction, AuditTarget, Role, SubmissionRole, SubmissionStatus};
use diesel::Connection;

fn already() -> AdminError {
    refused("Pengajuan sudah diproses sebelumnya.", "This submission was already processed.")
}

/// The role an approved submission gives, and the profile it leaves.
fn stated_profile(u: &User, s: &Submission) -> (Role, Value) {
    let mut profile = u.profile.as_object().cloned().unwrap_or_default();
    let mut put = |k: &str, v: &Option<String>| match v {
        Some(v) => {
            profile.insert(k.to_owned(), json!(v));
        }
        None => {
            profile.remove(k);
        }
    };
    let role = match s.role {
        SubmissionRole::User => {
            put("blok", &s.blok);
            put("kamar", &s.kamar);
            put("tamping_type", &None);
            Role::User
        }
        SubmissionRole::Tamping => {
            put("blok", &None);
            put("kamar", &None);
            put("tamping_type", &s.tamping_type);
            Role::User
        }
        SubmissionRole::Komandan => {
            // A komandan keeps the room they had unless they stated one.
            if s.blok.is_some() {
                put("blok", &s.blok);
            }
            if s.kamar.is_some() {
                put("kamar", &s.kamar);
            }
            put("tamping_type", &None);
            Role::Komandan
        }
    };
    if s.role == SubmissionRole::Tamping {
        profile.insert("is_tamping".into(), json!(true));
    } else {
        profile.remove("is_tamping");
    }
    (role, Value::Object(profile))
}

impl Admin {
    /// One page of submissions in a status, newest first.
    pub async fn submissions(
        &self,
        status: SubmissionStatus,
        search: Option<String>,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Submission>, i64), AdminError> {
        let offset = (page - 1) * per_page;
        Ok(self.db.run(move |c| submissions::page(c, status, search.as_deref(), offset, per_page)).await?)
    }

    /// Approves a pending submission: the account holding its number takes the stated values.
    /// A role change is a super admin's; an admin account is never changed by a form.
    pub async fn approve_submission(&self, actor: &Actor, id: Uuid) -> Result<(Submission, Changed), AdminError> {
        let sub = self.db.run(move |c| submissions::find(c, id)).await?.ok_or(AdminError::NotFound("submission"))?;
        if sub.status != SubmissionStatus::Pending {
            return Err(already());
        }
        let user = self.accounts.find_by_phone(&sub.phone_number).await?.ok_or_else(|| {
            refused("Tidak ada akun dengan nomor pengajuan ini.", "No account holds this submission's number.")
        })?;
        let (a, by) = (actor.clone(), actor.user_id);
        let closed = std::sync::Arc::new(std::sync::Mutex::new(None));
        let out = closed.clone();
        let step: Step = Box::new(move |tx, u| {
            let s = submissions::lock(tx, id)?.ok_or(AdminError::NotFound("submission"))?;
            if s.status != SubmissionStatus::Pending {
                return Err(already());
            }
            if u.role.is_admin() {
                return Err(refused(
                    "Nomor ini milik akun admin; ubah lewat editor pengguna.",
                    "This number is an admin account's; change it in the user editor.",
                ));
            }
            let (role, profile) = stated_profile(u, &s);
            if role != u.role {
                if a.role != Role::SuperAdmin {
                    return Err(AdminError::forbidden("only a super admin changes roles"));
                }
                refresh::revoke_all(tx, u.id, "role_changed")?;
                write::set_role(tx, u.id, role, None)?;
            }
            let fields = write::Fields {
                full_name: s.full_name.clone(),
                is_unlimited_user: u.is_unlimited_user,
                device_limit_override: u.device_limit_override,
                profile,
            };
            let after = write::set_fields(tx, u.id, fields)?;
            let done = submissions::close(tx, id, SubmissionStatus::Approved, by, None)?;
            if let Ok(mut slot) = out.lock() {
                *slot = Some(done);
            }
            Ok(Some((after, json!({ "submission_id": id, "role": role }))))
        });
        let (before, after) = self.change(actor, user.id, AuditAction::SubmissionApprove, true, step).await?;
        if after.as_ref().is_some_and(|a| a.role != before.role) {
            self.end_sessions(user.id).await;
        }
        let done = closed.lock().ok().and_then(|mut s| s.take()).ok_or(already())?;
        Ok((done, Self::done((before, after))))
    }

    /// Rejects a pending submission (the reason is optional), audited.
    pub async fn reject_submission(
        &self,
        actor: &Actor,
        id: Uuid,
        why: Option<String>,
    ) -> Result<Submission, AdminError> {
        let why = why.filter(|r| !r.trim().is_empty()).map(|r| reason(&r)).transpose()?;
        let a = actor.clone();
        self.db
            .run(move |conn| {
                Ok(conn.transaction::<_, AdminError, _>(|tx| {
                    let s = submissions::lock(tx, id)?.ok_or(AdminError::NotFound("submission"))?;
                    if s.status != SubmissionStatus::Pending {
                        return Err(already());
                    }
                    let done = submissions::close(tx, id, SubmissionStatus::Rejected, a.user_id, why.as_deref())?;
                    let details = json!({ "reason": why });
                    audit::record(
                        tx,
                        &a,
                        AuditAction::SubmissionReject,
                        Some(Target::new(AuditTarget::Submission, id)),
                        details,
                    )?;
                    Ok(done)
                }))
            })
            .await?
    }
}
