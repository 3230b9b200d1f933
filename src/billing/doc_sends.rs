//! Documents sent over WhatsApp: the message carries a link signed for that one document, good
//! for a day, which opens it without signing in (every gateway delivers a link; not every one
//! delivers a file). Each send is its own message (an admin's action: sent at once, whatever the
//! hour), through the notify queue.

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use super::documents::Pdf;
use super::{Billing, BillingError, invalid};
use crate::audit::Actor;
use crate::db::models::User;
use crate::domain::Role;
use crate::notify::Event;

/// Who gets a detail report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// The user it is about.
    User,
    /// These admins (a super admin only when a super admin sends it).
    Internal(Vec<Uuid>),
}

impl Billing {
    /// The document a sent link names (`ledger`, `detail`, `history`), written now.
    pub(super) async fn user_document(&self, kind: &str, subject: &str) -> Result<Pdf, BillingError> {
        let mut parts = subject.split(':');
        let user = parts.next().and_then(|u| Uuid::parse_str(u).ok()).ok_or(BillingError::DocumentLinkInvalid)?;
        // The link was signed on an admin's request: the document is written with a super
        // admin's sight of that one user.
        let signer = Actor::cli();
        match kind {
            "ledger" => self.ledger_pdf(&signer, user).await,
            "detail" => self.detail_pdf(&signer, user).await,
            _ => {
                let day = |p: Option<&str>| p.and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
                let (first, last) = (day(parts.next()), day(parts.next()));
                let (Some(first), Some(last)) = (first, last) else { return Err(BillingError::DocumentLinkInvalid) };
                self.history_pdf(user, first, last).await
            }
        }
    }

    async fn send_link(&self, to: Uuid, title: &str, link: String) {
        let event = Event::Document { title: title.to_owned(), link, reference: Uuid::new_v4() };
        crate::notify::tell(&self.accounts.queues, to, event).await;
    }

    /// Sends the user their debt ledger; refused when they have no open debt.
    pub async fn send_ledger(&self, actor: &Actor, user: Uuid) -> Result<(), BillingError> {
        let o = self.owing_as(actor, user).await?;
        if o.manual.items == 0 {
            return Err(invalid("user", "no open debt to send"));
        }
        let link = self.sent_link("ledger", &user.to_string())?;
        self.send_link(user, "Buku tunggakan kuota Anda", link).await;
        Ok(())
    }

    /// Sends the user their quota history of `first..=last`.
    pub async fn send_history(
        &self,
        actor: &Actor,
        user: Uuid,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<(), BillingError> {
        self.owing_as(actor, user).await?;
        if last < first || (last - first).num_days() > 366 {
            return Err(invalid("endDate", "on or after startDate, at most a year later"));
        }
        let subject = format!("{user}:{}:{}", first.format("%Y%m%d"), last.format("%Y%m%d"));
        let link = self.sent_link("history", &subject)?;
        let title = format!("Riwayat kuota {} s/d {}", first.format("%d-%m-%Y"), last.format("%d-%m-%Y"));
        self.send_link(user, &title, link).await;
        Ok(())
    }

    /// Sends a user's detail report to the user or to admins; the recipients it went to.
    pub async fn send_detail(&self, actor: &Actor, user: Uuid, to: Recipients) -> Result<Vec<User>, BillingError> {
        let o = self.owing_as(actor, user).await?;
        let recipients = match to {
            Recipients::User => vec![o.user.clone()],
            Recipients::Internal(ids) => {
                if ids.is_empty() || ids.len() > 50 {
                    return Err(invalid("recipient_user_ids", "1 to 50 admins"));
                }
                let mut admins = Vec::new();
                for id in ids {
                    let a = self.accounts.find(id).await?.filter(|a| a.role.is_admin() && a.is_active);
                    let a = a.ok_or_else(|| invalid("recipient_user_ids", "active admin accounts"))?;
                    if a.role == Role::SuperAdmin && actor.role != Role::SuperAdmin {
                        return Err(invalid("recipient_user_ids", "a super admin is the super admin's to choose"));
                    }
                    admins.push(a);
                }
                admins
            }
        };
        let link = self.sent_link("detail", &user.to_string())?;
        let title = format!("Laporan pengguna {}", o.user.full_name);
        for r in &recipients {
            self.send_link(r.id, &title, link.clone()).await;
        }
        Ok(recipients)
    }
}

/// The history's period from the pages' dates (the last 90 days when none).
pub fn history_period(today: NaiveDate, start: Option<NaiveDate>, end: Option<NaiveDate>) -> (NaiveDate, NaiveDate) {
    let last = end.unwrap_or(today);
    (start.unwrap_or(last - Duration::days(89)), last)
}
