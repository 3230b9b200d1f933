//! Komandans' quota requests: a komandan files one (within the operator's limits, the admins
//! who subscribed are told); an admin approves it, approves part of it or rejects it. The grant
//! goes through the one grant path keyed by the request, in the transaction that closes it, so
//! a request never grants twice; the komandan is told the decision.

use serde_json::json;
use uuid::Uuid;

use super::lifecycle::{Step, reason};
use super::{Admin, AdminError, invalid, refused};
use crate::accounts::grant::{self, Grant};
use crate::accounts::requests::{self, FileError, Listed, QuotaRequest, RequestSort};
use crate::audit::Actor;
use crate::db::models::User;
use crate::domain::{AlertEvent, AuditAction, LedgerSource, MIB, RequestKind, RequestStatus, Role};
use crate::notify::Event;

/// An admin's decision.
#[derive(Debug, Clone)]
pub enum Decision {
    /// As asked; an unlimited request for this many days.
    Approve {
        unlimited_days: Option<u32>,
    },
    /// Less than asked (MB and days, at least one above zero), with the admin's note.
    Partial {
        mb: i64,
        days: u32,
        note: String,
    },
    Reject {
        reason: String,
    },
}

/// How a request reads in messages: `10 GB / 30 hari`, or unlimited.
fn asked(kind: RequestKind, mb: Option<i64>, days: Option<i32>) -> String {
    match kind {
        RequestKind::Unlimited => "akses unlimited".into(),
        RequestKind::Quota => format!("{} MB / {} hari", mb.unwrap_or(0), days.unwrap_or(0)),
    }
}

impl Admin {
    /// A komandan files a request.
    pub async fn file_request(
        &self,
        komandan: &User,
        kind: RequestKind,
        mb: Option<i64>,
        days: Option<i32>,
    ) -> Result<QuotaRequest, AdminError> {
        if komandan.role != Role::Komandan {
            return Err(AdminError::forbidden("only a komandan files quota requests"));
        }
        // A blocked or deactivated komandan holds a session that only shows its state.
        if komandan.is_blocked || !komandan.is_active {
            return Err(AdminError::forbidden("a blocked or inactive account files no requests"));
        }
        let r = self.runtime.get();
        let (mb, days) = match kind {
            RequestKind::Unlimited if !r.komandan_allow_unlimited => {
                return Err(refused("Permintaan unlimited tidak dibuka.", "Unlimited requests are not open."));
            }
            RequestKind::Unlimited => (None, None),
            RequestKind::Quota => {
                let mb = mb.filter(|m| (1..=r.komandan_max_quota_mb).contains(m));
                let mb = mb.ok_or_else(|| invalid("requested_mb", format!("1 to {} MB", r.komandan_max_quota_mb)))?;
                let days = days.filter(|d| *d >= 1 && (*d as u32) <= r.komandan_max_days);
                let days = days
                    .ok_or_else(|| invalid("requested_duration_days", format!("1 to {} days", r.komandan_max_days)))?;
                (Some(mb), Some(days))
            }
        };
        let (id, cooldown) = (komandan.id, chrono::Duration::hours(i64::from(r.komandan_cooldown_hours)));
        let filed = self.db.run(move |c| Ok(requests::file(c, id, kind, mb, days, cooldown))).await?;
        let filed = match filed {
            Ok(f) => f,
            Err(FileError::Pending) => {
                return Err(refused(
                    "Anda sudah memiliki permintaan yang sedang diproses.",
                    "You already have a request waiting.",
                ));
            }
            Err(FileError::Cooldown { retry_after_secs, retry_at }) => {
                return Err(AdminError::TooSoon { retry_after_secs, retry_at });
            }
            Err(FileError::Db(e)) => return Err(e.into()),
        };
        let alert = Event::Alert {
            template: "alert_quota_request".into(),
            subject: komandan.full_name.clone(),
            detail: asked(kind, mb, days),
            cause: format!("request:{}", filed.id),
        };
        crate::notify::recipients::alert(&self.db, &self.accounts.queues, AlertEvent::QuotaRequest, alert).await;
        Ok(filed)
    }

    pub async fn requests(
        &self,
        requester: Option<Uuid>,
        status: Option<RequestStatus>,
        sort: (RequestSort, bool),
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Listed>, i64), AdminError> {
        let offset = (page - 1) * per_page;
        Ok(self.db.run(move |c| requests::page(c, requester, status, sort, offset, per_page)).await?)
    }

    /// Decides a pending request (any admin): the grant, the request closed and the audit row in
    /// one transaction; then the komandan is told.
    pub async fn decide_request(&self, actor: &Actor, id: Uuid, d: Decision) -> Result<QuotaRequest, AdminError> {
        let req = self.db.run(move |c| requests::find(c, id)).await?.ok_or(AdminError::NotFound("request"))?;
        let r = self.runtime.get();
        let d = match d {
            Decision::Reject { reason: why } => Decision::Reject { reason: reason(&why)? },
            Decision::Partial { mb, days, note } => {
                if mb < 0 || mb > r.komandan_max_quota_mb || days > r.komandan_max_days || (mb == 0 && days == 0) {
                    return Err(invalid("granted_quota_mb", "some quota or days, within the komandan limits"));
                }
                Decision::Partial { mb, days, note: reason(&note)? }
            }
            Decision::Approve { unlimited_days } => {
                if req.request_type == RequestKind::Unlimited
                    && !unlimited_days.is_some_and(|n| (1..=r.komandan_max_unlimited_days).contains(&n))
                {
                    let max = r.komandan_max_unlimited_days;
                    return Err(invalid("unlimited_duration_days", format!("1 to {max} days")));
                }
                Decision::Approve { unlimited_days }
            }
        };
        let (by, slot) = (actor.user_id, std::sync::Arc::new(std::sync::Mutex::new(None)));
        let out = slot.clone();
        let step: Step = Box::new(move |tx, u| {
            let q = requests::lock(tx, id)?.ok_or(AdminError::NotFound("request"))?;
            if q.status != RequestStatus::Pending {
                return Err(refused("Permintaan ini sudah diproses.", "This request was already processed."));
            }
            let mut g = Grant {
                user: u.id,
                bytes: 0,
                extend_days: 0,
                unlimited: None,
                key: format!("request:{id}"),
                source: LedgerSource::AdminAdjust,
                details: json!({ "request": id, "reason": "permintaan komandan" }),
                by,
            };
            let (status, granted, note) = match &d {
                Decision::Reject { reason } => (RequestStatus::Rejected, (None, None), Some(reason.clone())),
                Decision::Partial { mb, days, note } => {
                    (g.bytes, g.extend_days) = (mb * MIB, *days);
                    (RequestStatus::Partial, (Some(*mb), Some(*days as i32)), Some(note.clone()))
                }
                Decision::Approve { unlimited_days: Some(n) } if q.request_type == RequestKind::Unlimited => {
                    (g.unlimited, g.extend_days) = (Some(true), *n);
                    (RequestStatus::Approved, (None, Some(*n as i32)), None)
                }
                Decision::Approve { .. } => {
                    (g.bytes, g.extend_days) =
                        (q.requested_mb.unwrap_or(0) * MIB, q.requested_days.unwrap_or(0) as u32);
                    (RequestStatus::Approved, (q.requested_mb, q.requested_days), None)
                }
            };
            if status != RequestStatus::Rejected && u.role != Role::Komandan {
                return Err(refused(
                    "Peminta bukan komandan lagi; tolak permintaan ini.",
                    "The requester is no longer a komandan; reject it.",
                ));
            }
            let after = if status == RequestStatus::Rejected { u.clone() } else { grant::grant(tx, &g)?.1 };
            let closed = requests::decide(tx, id, status, granted, note.as_deref(), by)?;
            if let Ok(mut s) = out.lock() {
                *s = Some(closed);
            }
            Ok(Some((after, json!({ "request": id, "decision": status }))))
        });
        self.change(actor, req.requester_id, AuditAction::RequestProcess, true, step).await?;
        let closed = slot.lock().ok().and_then(|mut s| s.take()).ok_or(AdminError::NotFound("request"))?;
        self.tell_decision(&closed).await;
        Ok(closed)
    }

    async fn tell_decision(&self, q: &QuotaRequest) {
        let (template, detail) = match q.status {
            RequestStatus::Approved => ("request_approved", asked(q.request_type, q.requested_mb, q.requested_days)),
            RequestStatus::Partial => ("request_partial", asked(RequestKind::Quota, q.granted_mb, q.granted_days)),
            _ => ("request_rejected", asked(q.request_type, q.requested_mb, q.requested_days)),
        };
        let event = Event::RequestDecided {
            template: template.into(),
            detail,
            reason: q.rejection_reason.clone().unwrap_or_else(|| "-".into()),
            request: q.id,
        };
        self.tell(q.requester_id, event).await;
    }
}
