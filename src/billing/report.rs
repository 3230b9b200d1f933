//! What a user spent: their paid sales per local day, for the dashboard's spending chart.

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use super::{Billing, BillingError};
use crate::db::schema::transactions;
use crate::domain::TxState;

impl Billing {
    /// Rupiah the user paid on each of the `days` local days ending `today`, oldest first.
    pub async fn spending_per_day(&self, user: Uuid, today: NaiveDate, days: u32) -> Result<Vec<i64>, BillingError> {
        let tz = self.settings().timezone;
        let first = today - chrono::Duration::days(i64::from(days.max(1)) - 1);
        let from = crate::domain::days::local_midnight(first, tz);
        let rows: Vec<(Option<chrono::DateTime<chrono::Utc>>, i64)> = self
            .db()
            .run(move |conn| {
                Ok(transactions::table
                    .filter(transactions::user_id.eq(user))
                    .filter(transactions::state.eq_any([TxState::Paid, TxState::Refunded]))
                    .filter(transactions::paid_at.ge(from))
                    .select((transactions::paid_at, transactions::amount_idr))
                    .load(conn)?)
            })
            .await?;
        let mut out = vec![0i64; days.max(1) as usize];
        for (at, amount) in rows {
            let Some(at) = at else { continue };
            let day = at.with_timezone(&tz).date_naive();
            let i = (day - first).num_days();
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                *slot += amount;
            }
        }
        Ok(out)
    }
}
