//! Reading a user's usage: the daily series the sync writes (`usage_daily`, days in the
//! operator's timezone), zero-filled, per day or per month.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::usage_daily;
use crate::db::{Db, DbError};
pub use crate::domain::days::{local_midnight, today};

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

impl super::Accounts {
    /// Bytes per day for the `days` days ending with `last`, oldest first, zero-filled.
    pub async fn daily(&self, user: Uuid, last: NaiveDate, days: u32) -> Result<Vec<(NaiveDate, i64)>, DbError> {
        let first = last - chrono::Duration::days(i64::from(days.max(1)) - 1);
        let rows = days_between(&self.db, user, first, last).await?;
        Ok(first
            .iter_days()
            .take(days.max(1) as usize)
            .map(|d| (d, rows.iter().find(|r| r.0 == d).map_or(0, |r| r.1)))
            .collect())
    }

    /// Bytes per calendar month for the `months` months ending with the month of `last`, oldest
    /// first, zero-filled: (year, month, bytes).
    pub async fn monthly(&self, user: Uuid, last: NaiveDate, months: u32) -> Result<Vec<(i32, u32, i64)>, DbError> {
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
        let rows = days_between(&self.db, user, first, last).await?;
        Ok(starts
            .into_iter()
            .map(|(y, m)| {
                let bytes = rows.iter().filter(|(d, _)| d.year() == y && d.month() == m).map(|(_, b)| *b).sum();
                (y, m, bytes)
            })
            .collect())
    }

    /// The user's usage by `period` up to `today` (operator's timezone), zero-filled.
    pub async fn series(&self, user: Uuid, period: Period, today: NaiveDate) -> Result<Vec<(NaiveDate, i64)>, DbError> {
        let starts = starts(period, today);
        let first = starts.first().copied().unwrap_or(today);
        let days = days_between(&self.db, user, first, today).await?;
        Ok(bucket(&starts, today, &days))
    }
}

/// How a usage series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The last 30 days, one point a day.
    Day,
    /// The last 12 weeks (Monday to Sunday), one point a week.
    Week,
    /// The last 12 calendar months, one point a month.
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// The first day of each point of `period` ending with the one holding `today`, oldest first.
pub fn starts(period: Period, today: NaiveDate) -> Vec<NaiveDate> {
    match period {
        Period::Day => (0..30).rev().map(|b| today - chrono::Duration::days(b)).collect(),
        Period::Week => {
            let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
            (0..12).rev().map(|b| monday - chrono::Duration::weeks(b)).collect()
        }
        Period::Month => {
            let mut out = Vec::with_capacity(12);
            let (mut y, mut m) = (today.year(), today.month());
            for _ in 0..12 {
                out.push(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today));
                (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
            }
            out.reverse();
            out
        }
    }
}

/// Sums recorded days into the points that start at `starts` (each point runs to the next
/// start; the last to `today`), zero-filled.
pub fn bucket(starts: &[NaiveDate], today: NaiveDate, days: &[(NaiveDate, i64)]) -> Vec<(NaiveDate, i64)> {
    starts
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let end = starts.get(i + 1).copied().unwrap_or(today + chrono::Duration::days(1));
            (*s, days.iter().filter(|(d, _)| d >= s && *d < end).map(|(_, b)| *b).sum())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn series_are_zero_filled_across_month_and_year_boundaries() {
        let today = d(2027, 1, 2); // a Saturday
        let days = [(d(2026, 12, 31), 5), (d(2027, 1, 1), 7), (d(2027, 1, 2), 1), (d(2026, 12, 1), 100)];
        let by_day = bucket(&starts(Period::Day, today), today, &days);
        assert_eq!(by_day.len(), 30);
        assert_eq!(by_day.first().unwrap().0, d(2026, 12, 4));
        assert_eq!(&by_day[27..], &[(d(2026, 12, 31), 5), (d(2027, 1, 1), 7), (d(2027, 1, 2), 1)]);
        assert_eq!(by_day.iter().map(|p| p.1).sum::<i64>(), 13, "Dec 1 is outside the 30 days");
        let by_week = bucket(&starts(Period::Week, today), today, &days);
        assert_eq!(by_week.len(), 12);
        assert_eq!(by_week.last().unwrap(), &(d(2026, 12, 28), 13), "Mon Dec 28 to Sat Jan 2");
        let by_month = bucket(&starts(Period::Month, today), today, &days);
        assert_eq!(by_month.len(), 12);
        assert_eq!(by_month[0].0, d(2026, 2, 1));
        assert_eq!(&by_month[10..], &[(d(2026, 12, 1), 105), (d(2027, 1, 1), 8)]);
        assert_eq!(Period::parse("week"), Some(Period::Week));
        assert_eq!(Period::parse("year"), None);
    }
}
