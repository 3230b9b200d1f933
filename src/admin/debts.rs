//! Quota on credit given by an admin: a package lent to a user now, to be paid by the month's
//! end (or the date the admin chose) — in the user editor's save (`debt_package_id`,
//! `debt_date`, `debt_note`). The quota goes through the grant path keyed by the debt; the
//! debt, its grant and the audit row are one transaction; the user hears it.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::lifecycle::{Changed, Step};
use super::{Actor, Admin, AdminError, invalid};
use crate::accounts::debts::{self, Lend};
use crate::db::schema::packages;
use crate::domain::{AuditAction, Role};
use crate::notify::Event;

/// A lend as the editor asks for it.
#[derive(Debug, Clone)]
pub struct LendRequest {
    pub package_id: Uuid,
    /// The debt's day (today when none); due at the end of its month.
    pub debt_date: Option<NaiveDate>,
    pub note: Option<String>,
    /// Makes a retried save lend once (a fresh one otherwise).
    pub key: Option<String>,
}

/// The last day of `d`'s month.
pub fn month_end(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|first| first.pred_opt()).unwrap_or(d)
}

impl Admin {
    /// Lends a package on sale (or not: an admin may lend any active one) to a user.
    pub async fn lend(&self, actor: &Actor, id: Uuid, r: LendRequest) -> Result<Changed, AdminError> {
        let today = crate::domain::days::today(self.settings.timezone);
        let day = r.debt_date.unwrap_or(today);
        if day > today || (today - day).num_days() > 366 {
            return Err(invalid("debt_date", "today or a day within the last year"));
        }
        let note = r.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let key = super::quota::cause_key(r.key.as_deref())?;
        let by = actor.user_id;
        let lent = std::sync::Arc::new(std::sync::Mutex::new(None));
        let out = lent.clone();
        let step: Step = Box::new(move |tx, u| {
            if u.role != Role::User {
                return Err(invalid("debt_package_id", "quota on credit is for USER accounts"));
            }
            let p: (String, i64, bool, i32, i64, bool) = packages::table
                .find(r.package_id)
                .filter(packages::deleted_at.is_null())
                .select((
                    packages::name,
                    packages::quota_bytes,
                    packages::is_unlimited,
                    packages::validity_days,
                    packages::price_idr,
                    packages::is_active,
                ))
                .first(tx)
                .optional()?
                .filter(|p: &(String, i64, bool, i32, i64, bool)| p.5)
                .ok_or_else(|| invalid("debt_package_id", "an active package"))?;
            let l = Lend {
                user: u.id,
                package_id: r.package_id,
                package_name: p.0,
                quota_bytes: p.1,
                is_unlimited: p.2,
                validity_days: p.3,
                price_idr: p.4,
                debt_date: day,
                due_date: month_end(day),
                note,
                key: format!("admin:{}:lend:{key}", u.id),
                by,
            };
            let (debt, after, new) = debts::lend(tx, &l)?;
            if !new {
                return Ok(None);
            }
            let extra = json!({ "debt_id": debt.id, "package": debt.package_name, "price_idr": debt.price_idr,
                "amount_bytes": debt.amount_bytes, "due_date": debt.due_date });
            if let Ok(mut slot) = out.lock() {
                *slot = Some(debt);
            }
            Ok(Some((after, extra)))
        });
        let c = Self::done(self.change(actor, id, AuditAction::DebtLend, true, step).await?);
        let debt = lent.lock().ok().and_then(|mut s| s.take());
        if let Some(d) = debt {
            let quota =
                if d.is_unlimited { "unlimited".to_owned() } else { crate::domain::Bytes(d.amount_bytes).to_string() };
            let event = Event::Debt {
                template: "debt_lent".into(),
                reference: d.id.to_string(),
                amount_idr: d.price_idr,
                detail: format!("{} ({quota})", d.package_name),
                due: d.due_date.format("%d-%m-%Y").to_string(),
            };
            self.tell(id, event).await;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debts_fall_due_at_the_end_of_their_month() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(month_end(d(2026, 12, 7)), d(2026, 12, 31));
        assert_eq!(month_end(d(2026, 2, 1)), d(2026, 2, 28));
        assert_eq!(month_end(d(2028, 2, 29)), d(2028, 2, 29));
        assert_eq!(month_end(d(2026, 4, 30)), d(2026, 4, 30));
    }
}
