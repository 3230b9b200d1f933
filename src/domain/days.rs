//! The operator's days: usage, sales and reminders count by local day in the operator's
//! timezone.

use chrono::{NaiveDate, Utc};

/// Today in the operator's timezone.
pub fn today(tz: chrono_tz::Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// An instant as messages write it, in the operator's timezone (`07-12-2026 14:05`).
pub fn local_time_text(t: chrono::DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string()
}

/// The start of local day `d` in UTC (the earlier instant when a clock change repeats it).
pub fn local_midnight(d: NaiveDate, tz: chrono_tz::Tz) -> chrono::DateTime<Utc> {
    use chrono::TimeZone;
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}
