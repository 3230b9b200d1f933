//! A user's own history: their quota ledger as a reader wants it (each grant, purchase and
//! adjustment, usage summed per local day) and their sign-ins, newest first, paged; the
//! sign-ins recorded (the only writer of `login_history` beside the sign-in statement) and
//! pruned past retention.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::DbError;
use crate::db::schema::{login_history, user_devices};
use crate::domain::{ClientIp, LedgerSource, LoginMethod};

/// One line of the quota history.
#[derive(Debug, Clone, QueryableByName, Serialize, ToSchema)]
pub struct QuotaLine {
    /// A ledger row's id, or `usage-YYYY-MM-DD` for a day's usage.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// `usage` (bytes used that day) or `grant` (purchased quota added or taken: purchase,
    /// voucher, cash sale, admin adjustment).
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The ledger's source (`purchase`, `voucher`, `cash_sale`, `admin_adjust`, `sync_usage`, …).
    #[diesel(sql_type = Text)]
    #[schema(value_type = String)]
    pub source: LedgerSource,
    /// When (for a day's usage: its last charge).
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    /// Bytes: used (usage) or added to what was purchased (grants; negative for a take-back).
    #[diesel(sql_type = BigInt)]
    pub bytes: i64,
    /// What caused it (package, order, reason, days added).
    #[diesel(sql_type = Jsonb)]
    #[schema(value_type = Object)]
    pub details: Value,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Grants one by one and usage per local day, in `[from, to)`, newest first.
const LINES: &str = r#"
WITH h AS (
    SELECT id::text AS id, 'grant' AS kind, source, created_at AS at, delta_bytes AS bytes, details
      FROM quota_ledger
     WHERE user_id = $1 AND source <> 'sync_usage' AND created_at >= $2 AND created_at < $3
    UNION ALL
    SELECT 'usage-' || d::text, 'usage', 'sync_usage', max(created_at), sum(delta_bytes)::bigint, '{}'::jsonb
      FROM (SELECT (created_at AT TIME ZONE $4)::date AS d, created_at, delta_bytes
              FROM quota_ledger
             WHERE user_id = $1 AND source = 'sync_usage' AND created_at >= $2 AND created_at < $3) u
     GROUP BY d
)
"#;

/// How the pages file a line: its category, its title and which total it moved.
pub fn label(line: &QuotaLine) -> (&'static str, &'static str, &'static str) {
    match (line.kind.as_str(), line.source) {
        ("usage", _) => ("usage", "Pemakaian harian", "used"),
        (_, LedgerSource::Purchase) => ("purchase", "Pembelian paket", "purchased"),
        (_, LedgerSource::Voucher) => ("purchase", "Voucher", "purchased"),
        (_, LedgerSource::CashSale) => ("purchase", "Pembelian tunai", "purchased"),
        (_, LedgerSource::DebtLend) => ("debt", "Paket bayar nanti", "purchased"),
        (_, LedgerSource::DebtSettle) => ("debt", "Pelunasan pemakaian di luar kuota", "purchased"),
        (_, LedgerSource::Reset) => ("adjustment", "Koreksi pemakaian", "used"),
        (_, _) if line.details["cause"]["correction"] == true => ("adjustment", "Koreksi kuota", "purchased"),
        _ => ("policy", "Penyesuaian admin", "purchased"),
    }
}

/// What a line was: the package, the admin's reason, or its size.
pub fn description(line: &QuotaLine) -> String {
    let cause = &line.details["cause"];
    cause["package"]
        .as_str()
        .or_else(|| cause["reason"].as_str())
        .or_else(|| cause["receipt_no"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| crate::domain::Bytes(line.bytes).to_string())
}

pub struct HistoryQuery {
    pub user: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: chrono_tz::Tz,
    pub page: i64,
    pub per_page: i64,
}

impl super::Accounts {
    /// A page of the quota history and its total.
    pub async fn quota_history(&self, q: HistoryQuery) -> Result<(Vec<QuotaLine>, i64), DbError> {
        self.db
            .run(move |conn| {
                let tz = q.tz.name().to_owned();
                let total = diesel::sql_query(format!("{LINES} SELECT count(*) AS n FROM h"))
                    .bind::<SqlUuid, _>(q.user)
                    .bind::<Timestamptz, _>(q.from)
                    .bind::<Timestamptz, _>(q.to)
                    .bind::<Text, _>(&tz)
                    .get_result::<Count>(conn)?
                    .n;
                let lines =
                    diesel::sql_query(format!("{LINES} SELECT * FROM h ORDER BY at DESC, id DESC LIMIT $5 OFFSET $6"))
                        .bind::<SqlUuid, _>(q.user)
                        .bind::<Timestamptz, _>(q.from)
                        .bind::<Timestamptz, _>(q.to)
                        .bind::<Text, _>(&tz)
                        .bind::<BigInt, _>(q.per_page)
                        .bind::<BigInt, _>((q.page - 1) * q.per_page)
                        .load::<QuotaLine>(conn)?;
                Ok((lines, total))
            })
            .await
    }

    /// A page of the user's sign-ins, newest first, and the total.
    pub async fn sign_ins(&self, user: Uuid, page: i64, per_page: i64) -> Result<(Vec<SignIn>, i64), DbError> {
        self.db.run(move |conn| sign_ins_page(conn, user, page, per_page)).await
    }
}

/// One sign-in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignIn {
    pub id: i64,
    /// `otp`, `auto_login`, `password`, `session_token` or `router_login`.
    #[schema(value_type = String)]
    pub method: LoginMethod,
    pub at: DateTime<Utc>,
    /// The caller's own address and device, as recorded.
    pub ip_address: Option<String>,
    pub mac_address: Option<String>,
    pub device_label: Option<String>,
    pub user_agent: Option<String>,
}

type SignInRow = (i64, LoginMethod, DateTime<Utc>, Option<String>, Option<String>, Option<String>, Option<String>);

fn sign_ins_page(conn: &mut PgConnection, user: Uuid, page: i64, per_page: i64) -> Result<(Vec<SignIn>, i64), DbError> {
    let total: i64 = login_history::table.filter(login_history::user_id.eq(user)).count().get_result(conn)?;
    let rows: Vec<SignInRow> = login_history::table
        .left_join(user_devices::table.on(user_devices::id.nullable().eq(login_history::device_id)))
        .filter(login_history::user_id.eq(user))
        .order((login_history::created_at.desc(), login_history::id.desc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select((
            login_history::id,
            login_history::method,
            login_history::created_at,
            login_history::ip_address,
            login_history::mac_address,
            user_devices::label.nullable(),
            login_history::user_agent,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(id, method, at, ip_address, mac_address, device_label, user_agent)| SignIn {
            id,
            method,
            at,
            ip_address,
            mac_address,
            device_label,
            user_agent,
        })
        .collect();
    Ok((items, total))
}

/// One sign-in that is not a device sign-in (those are recorded by their one statement), or a
/// device the router witnessed.
pub fn record(
    conn: &mut PgConnection,
    user: Uuid,
    device: Option<i64>,
    method: LoginMethod,
    ip: Option<ClientIp>,
    user_agent: Option<&str>,
) -> Result<(), DbError> {
    diesel::insert_into(login_history::table)
        .values((
            login_history::user_id.eq(user),
            login_history::device_id.eq(device),
            login_history::method.eq(method),
            login_history::ip_address.eq(ip),
            login_history::user_agent.eq(user_agent),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes sign-ins older than `before`, chunk by chunk; how many.
pub fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<usize, DbError> {
    crate::db::delete_older(conn, crate::db::Aged { table: "login_history", at: "created_at", also: "" }, before)
}
