//! Reading a user's usage: the daily series the sync writes (`usage_daily`, days in the
//! operator's timezone), zero-filled, per day or per month.

use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::usage_daily;
use crate::db::{Db, DbError};

/// Today in the operator's timezone.
pub fn today(tz: chrono_tz::Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// The user's recorded days between `first` and `last`.
async fn days_between(
    db: &Db,
    user: Uuid,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, DbError> {
    db.run(move |conn| {
        Ok(usage_daily::table
            .filter(usage_daily::user_id.eq(user))
            .filter(usage_daily::day.between(first, last))
            .select((usage_daily::day, usage_daily::bytes))
            .load(conn)?)
    })
    .await
}

/// Bytes per day for the `days` days ending with `last`, oldest first, zero-filled.
pub async fn daily(db: &Db, user: Uuid, last: NaiveDate, days: u32) -> Result<Vec<(NaiveDate, i64)>, DbError> {
    let first = last - chrono::Duration::days(i64::from(days.max(1)) - 1);
    let rows = days_between(db, user, first, last).await?;
    Ok(first
        .iter_days()
        .take(days.max(1) as usize)
        .map(|d| (d, rows.iter().find(|r| r.0 == d).map_or(0, |r| r.1)))
        .collect())
}

/// Bytes per calendar month for the `months` months ending with the month of `last`, oldest
/// first, zero-filled: (year, month, bytes).
pub async fn monthly(db: &Db, user: Uuid, last: NaiveDate, months: u32) -> Result<Vec<(i32, u32, i64)>, DbError> {
    let months = months.max(1);
    let mut starts = Vec::with_capacity(months as usize);
    let (mut y, mut m) = (last.year(), last.month());
    for _ in 0..months {
        starts.push((y, m));
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    starts.reverse();
    let (fy, fm) = starts[0];
    let first = NaiveDate::from_ymd_opt(fy, fm, 1).unwrap_or(last);
    let rows = days_between(db, user, first, last).await?;
    Ok(starts
        .into_iter()
        .map(|(y, m)| {
            let bytes = rows.iter().filter(|(d, _)| d.year() == y && d.month() == m).map(|(_, b)| *b).sum();
            (y, m, bytes)
        })
        .collect())
}
