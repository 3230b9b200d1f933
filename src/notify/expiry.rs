//! Expiry warnings: users whose package ends 7, 3 or 1 local days from today are told, each
//! keyed by its expiry, so a second run the same day sends nothing twice.

use chrono::Utc;

use super::events::{self, Event};
use super::{Notify, NotifyError};

impl Notify {
    /// Queues today's expiry warnings; how many.
    pub async fn queue_expiry_warnings(&self) -> Result<usize, NotifyError> {
        let tz = self.timezone;
        let now = Utc::now();
        let today = now.with_timezone(&tz).date_naive();
        let horizon = now + chrono::Duration::days(9);
        let due = self.db.run(move |c| crate::accounts::expiring_between(c, now, horizon)).await?;
        let mut n = 0;
        for (id, at) in due {
            if let Some(days) = events::expiry_warning_due(at.with_timezone(&tz).date_naive(), today) {
                self.tell(id, Event::ExpirySoon { days, expires_at: at }).await;
                n += 1;
            }
        }
        Ok(n)
    }
}
