//! The dashboard's sales figures, read from the billing room's transactions: revenue (whole
//! rupiah, paid sales only) and quota sold today, this week, the week before and this month,
//! per day, the latest sales and the best-selling packages. Days are the operator's.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::schema::{transactions, users};
use crate::domain::{TxPurpose, TxState};

const MIB: i64 = 1024 * 1024;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecentSale {
    pub id: Uuid,
    pub order_id: String,
    pub amount: i64,
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub package: serde_json::Value,
    #[schema(value_type = Object)]
    pub user: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopPackage {
    pub name: String,
    pub count: i64,
}

/// Ours, nested under `sales`.
#[derive(Debug, Clone, Serialize, ToSchema, Default)]
pub struct Sales {
    pub revenue_today_idr: i64,
    pub revenue_yesterday_idr: i64,
    pub revenue_last_7_days_idr: i64,
    pub revenue_previous_7_days_idr: i64,
    pub revenue_this_month_idr: i64,
    pub sales_today: i64,
    pub sales_last_7_days: i64,
    pub sales_previous_7_days: i64,
    pub bytes_sold_this_month: i64,
    pub bytes_sold_last_7_days: i64,
    pub bytes_sold_previous_7_days: i64,
    /// Rupiah per day, the last 30 days, oldest first.
    pub revenue_per_day: Vec<i64>,
    /// Bytes sold per day, the last 7 days, oldest first.
    pub bytes_per_day: Vec<i64>,
}

/// The existing frontend's names for the same figures (MB for quota).
#[derive(Debug, Clone, Serialize, ToSchema, Default)]
pub struct FrontendSales {
    #[serde(rename = "pendapatanHariIni")]
    pub today: i64,
    #[serde(rename = "pendapatanKemarin")]
    pub yesterday: i64,
    #[serde(rename = "pendapatanBulanIni")]
    pub month: i64,
    #[serde(rename = "pendapatanMingguIni")]
    pub week: i64,
    #[serde(rename = "pendapatanMingguLalu")]
    pub previous_week: i64,
    #[serde(rename = "transaksiHariIni")]
    pub sales_today: i64,
    #[serde(rename = "transaksiMingguIni")]
    pub sales_week: i64,
    #[serde(rename = "transaksiMingguLalu")]
    pub sales_previous_week: i64,
    #[serde(rename = "kuotaTerjualMb")]
    pub mb_month: i64,
    #[serde(rename = "kuotaTerjual7HariMb")]
    pub mb_week: i64,
    #[serde(rename = "kuotaTerjualMingguLaluMb")]
    pub mb_previous_week: i64,
    #[serde(rename = "kuotaPerHari")]
    pub mb_per_day: Vec<i64>,
    #[serde(rename = "pendapatanPerHari")]
    pub revenue_per_day: Vec<i64>,
    #[serde(rename = "transaksiTerakhir")]
    pub recent: Vec<RecentSale>,
    #[serde(rename = "paketTerlaris")]
    pub top_packages: Vec<TopPackage>,
}

/// A paid transaction as the figures read it: when paid, rupiah, bytes, package, purpose.
type PaidRow = (Option<DateTime<Utc>>, i64, i64, String, TxPurpose);

/// A paid transaction on its local day. A debt paid is money in, not a package sold: it counts
/// in revenue, never among the packages (its name is left empty).
fn row_of((at, rp, bytes, name, purpose): PaidRow, tz: chrono_tz::Tz) -> Option<Row> {
    let name = if purpose == TxPurpose::Debt { String::new() } else { name };
    at.map(|t| (t.with_timezone(&tz).date_naive(), rp, bytes, name))
}
/// A latest sale: id, order, rupiah, when, package, buyer's name and phone.
type RecentRow = (Uuid, String, i64, DateTime<Utc>, String, String, crate::domain::Msisdn);

/// One paid sale as the figures need it: its local day, rupiah, bytes, package.
type Row = (NaiveDate, i64, i64, String);

/// The figures from the paid sales of the last 30 days and this month (pure).
pub fn summarize(rows: &[Row], today: NaiveDate, month_start: NaiveDate) -> Sales {
    let within = |from: i64, to: i64| {
        let (a, b) = (today - chrono::Duration::days(from), today - chrono::Duration::days(to));
        rows.iter().filter(move |(d, ..)| *d <= a && *d >= b)
    };
    let sum_rp = |from, to| within(from, to).map(|r| r.1).sum::<i64>();
    let sum_bytes = |from, to| within(from, to).map(|r| r.2).sum::<i64>();
    let count = |from, to| within(from, to).count() as i64;
    let mut per_day: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for (d, rp, b, _) in rows {
        let e = per_day.entry(*d).or_default();
        e.0 += rp;
        e.1 += b;
    }
    let day = |back: i64| per_day.get(&(today - chrono::Duration::days(back))).copied().unwrap_or_default();
    let month = rows.iter().filter(|(d, ..)| *d >= month_start);
    Sales {
        revenue_today_idr: sum_rp(0, 0),
        revenue_yesterday_idr: sum_rp(1, 1),
        revenue_last_7_days_idr: sum_rp(0, 6),
        revenue_previous_7_days_idr: sum_rp(7, 13),
        revenue_this_month_idr: month.clone().map(|r| r.1).sum(),
        sales_today: count(0, 0),
        sales_last_7_days: count(0, 6),
        sales_previous_7_days: count(7, 13),
        bytes_sold_this_month: month.map(|r| r.2).sum(),
        bytes_sold_last_7_days: sum_bytes(0, 6),
        bytes_sold_previous_7_days: sum_bytes(7, 13),
        revenue_per_day: (0..30).rev().map(|b| day(b).0).collect(),
        bytes_per_day: (0..7).rev().map(|b| day(b).1).collect(),
    }
}

/// Reads the paid sales since `from` (30 days back or the month's start, the earlier) and the
/// latest five, in one unit of work.
pub fn load(
    conn: &mut PgConnection,
    tz: chrono_tz::Tz,
    today: NaiveDate,
    from: DateTime<Utc>,
    month_start: NaiveDate,
) -> Result<(Sales, FrontendSales), diesel::result::Error> {
    let paid: Vec<PaidRow> = transactions::table
        .filter(transactions::state.eq(TxState::Paid))
        .filter(transactions::paid_at.ge(from))
        .select((
            transactions::paid_at,
            transactions::amount_idr,
            transactions::quota_bytes,
            transactions::package_name,
            transactions::purpose,
        ))
        .load(conn)?;
    let rows: Vec<Row> = paid.into_iter().filter_map(|p| row_of(p, tz)).collect();
    let s = summarize(&rows, today, month_start);
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for (d, _, _, name) in &rows {
        if *d >= today - chrono::Duration::days(29) && !name.is_empty() {
            *counts.entry(name.as_str()).or_default() += 1;
        }
    }
    let mut top: Vec<TopPackage> =
        counts.into_iter().map(|(n, c)| TopPackage { name: n.to_owned(), count: c }).collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    top.truncate(5);
    let recent: Vec<RecentRow> = transactions::table
        .inner_join(users::table.on(users::id.eq(transactions::user_id)))
        .filter(transactions::state.eq(TxState::Paid))
        .order(transactions::paid_at.desc())
        .limit(5)
        .select((
            transactions::id,
            transactions::order_id,
            transactions::amount_idr,
            transactions::created_at,
            transactions::package_name,
            users::full_name,
            users::phone_number,
        ))
        .load(conn)?;
    let f = FrontendSales {
        today: s.revenue_today_idr,
        yesterday: s.revenue_yesterday_idr,
        month: s.revenue_this_month_idr,
        week: s.revenue_last_7_days_idr,
        previous_week: s.revenue_previous_7_days_idr,
        sales_today: s.sales_today,
        sales_week: s.sales_last_7_days,
        sales_previous_week: s.sales_previous_7_days,
        mb_month: s.bytes_sold_this_month / MIB,
        mb_week: s.bytes_sold_last_7_days / MIB,
        mb_previous_week: s.bytes_sold_previous_7_days / MIB,
        mb_per_day: s.bytes_per_day.iter().map(|b| b / MIB).collect(),
        revenue_per_day: s.revenue_per_day.clone(),
        recent: recent
            .into_iter()
            .map(|(id, order_id, amount, created_at, package, name, phone)| RecentSale {
                id,
                order_id,
                amount,
                created_at,
                package: serde_json::json!({ "name": package }),
                user: serde_json::json!({ "full_name": name, "phone_number": phone.masked() }),
            })
            .collect(),
        top_packages: top,
    };
    Ok((s, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_fall_on_their_local_days() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let d = |back: i64| today - chrono::Duration::days(back);
        let rows: Vec<Row> = vec![
            (d(0), 15_000, 5 * MIB, "A".into()),
            (d(0), 5_000, MIB, "B".into()),
            (d(1), 50_000, 20 * MIB, "C".into()),
            (d(6), 1_000, MIB, "B".into()),
            (d(7), 2_000, MIB, "B".into()),
            (d(13), 3_000, MIB, "B".into()),
            (d(14), 4_000, MIB, "B".into()),
        ];
        let s = summarize(&rows, today, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!((s.revenue_today_idr, s.sales_today), (20_000, 2));
        assert_eq!(s.revenue_yesterday_idr, 50_000);
        assert_eq!((s.revenue_last_7_days_idr, s.sales_last_7_days), (71_000, 4));
        assert_eq!((s.revenue_previous_7_days_idr, s.sales_previous_7_days), (5_000, 2));
        assert_eq!(s.revenue_this_month_idr, 70_000, "Dec 1–3 only");
        assert_eq!(s.bytes_sold_last_7_days, 27 * MIB);
        assert_eq!(s.revenue_per_day.len(), 30);
        assert_eq!(s.revenue_per_day[29], 20_000);
        assert_eq!(s.revenue_per_day[28], 50_000);
        assert_eq!(s.bytes_per_day, vec![MIB, 0, 0, 0, 0, 20 * MIB, 6 * MIB]);
    }
}
