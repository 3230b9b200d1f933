//! The documents about one user or the user list (PDF): the quota history (the user's own, or
//! an admin's view), the debt ledger, the detail report an admin hands out, and the lists of
//! users and of those who owe. Rights are the console's: a non-super admin never sees a super
//! admin's account.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::documents::Pdf;
use super::{Billing, BillingError, invalid};
use crate::accounts::history::{HistoryQuery, description, label};
use crate::audit::Actor;
use crate::db::models::{Device, User};
use crate::db::schema::{transactions, user_devices, users};
use crate::domain::days::local_midnight;
use crate::domain::{Bytes, Role, Rupiah, TxState};
use crate::pdf::{Column, Doc, cell};

/// Most rows one list or history document holds.
const MAX_ROWS: i64 = 5_000;

/// A paid sale as the detail report lists it: order, package, rupiah, when paid.
type Sale = (String, String, i64, Option<chrono::DateTime<Utc>>);

/// Which users a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOf {
    All(Option<Role>),
    /// Those who owe (use beyond the quota, or an open debt).
    Owing,
}

impl Billing {
    /// The quota history of `user` over local days `first..=last` (at most a year), every line.
    pub async fn history_pdf(&self, user: Uuid, first: NaiveDate, last: NaiveDate) -> Result<Pdf, BillingError> {
        if last < first || (last - first).num_days() > 366 {
            return Err(invalid("end_date", "on or after startDate, at most a year later"));
        }
        let u = self.accounts.get(user).await?;
        let tz = self.settings.timezone;
        let q = HistoryQuery {
            user,
            from: local_midnight(first, tz),
            to: local_midnight(last + Duration::days(1), tz),
            tz,
            page: 1,
            per_page: MAX_ROWS,
        };
        let (lines, total) = self.accounts.quota_history(q).await?;
        let rows: Vec<Vec<String>> = lines
            .iter()
            .map(|l| {
                let (_, title, key) = label(l);
                let sign = if key == "used" { "-" } else { "+" };
                vec![
                    self.local_text(l.at),
                    title.to_owned(),
                    cell(&description(l)),
                    format!("{sign}{}", Bytes(l.bytes.abs())),
                ]
            })
            .collect();
        let mut doc = Doc::new("Riwayat Kuota", &self.footer_text());
        doc.fields(vec![
            ("Pengguna".into(), cell(&u.full_name)),
            ("Nomor WhatsApp".into(), u.phone_number.local()),
            ("Periode".into(), format!("{} s/d {}", first.format("%d-%m-%Y"), last.format("%d-%m-%Y"))),
            ("Catatan".into(), total.to_string()),
            ("Dibeli / dipakai".into(), format!("{} / {}", Bytes(u.quota_purchased_bytes), Bytes(u.quota_used_bytes))),
        ])
        .table(
            vec![
                Column::new("Waktu", 1.3),
                Column::new("Jenis", 1.6),
                Column::new("Keterangan", 2.4),
                Column::figure("Kuota", 1.1),
            ],
            rows,
        );
        self.render_doc(&doc, format!("quota-history-{}.pdf", u.phone_number.local()))
    }

    /// A user's debt ledger, as an admin sees it.
    pub async fn ledger_pdf(&self, actor: &Actor, user: Uuid) -> Result<Pdf, BillingError> {
        let o = self.owing_as(actor, user).await?;
        let rows: Vec<Vec<String>> = o
            .debts
            .iter()
            .map(|l| {
                let d = &l.debt;
                let quota = if d.is_unlimited { "Unlimited".to_owned() } else { Bytes(d.amount_bytes).to_string() };
                let paid =
                    d.paid_at.map(|p| format!("LUNAS {}", self.local_text(p))).unwrap_or_else(|| "BELUM LUNAS".into());
                vec![
                    d.debt_date.format("%d-%m-%Y").to_string(),
                    cell(&d.package_name),
                    quota,
                    Rupiah(d.price_idr).to_string(),
                    d.due_date.format("%d-%m-%Y").to_string(),
                    paid,
                ]
            })
            .collect();
        let mut doc = Doc::new("Buku Tunggakan Kuota", &self.footer_text());
        doc.fields(vec![
            ("Pengguna".into(), cell(&o.user.full_name)),
            ("Nomor WhatsApp".into(), o.user.phone_number.local()),
            (
                "Tunggakan terbuka".into(),
                format!("{} ({}, {})", o.manual.items, Bytes(o.manual.bytes), Rupiah(o.manual.idr)),
            ),
            (
                "Pemakaian di luar kuota".into(),
                format!("{} (±{})", Bytes(o.auto_bytes), Rupiah(o.auto_idr.unwrap_or(0))),
            ),
            ("Total".into(), Rupiah(o.total_idr()).to_string()),
        ])
        .table(
            vec![
                Column::new("Tanggal", 1.0),
                Column::new("Paket", 2.0),
                Column::figure("Kuota", 1.0),
                Column::figure("Harga", 1.1),
                Column::new("Jatuh tempo", 1.0),
                Column::new("Status", 1.6),
            ],
            rows,
        );
        self.render_doc(&doc, format!("debt-{}-ledger.pdf", o.user.phone_number.local()))
    }

    /// What an admin hands out about a user: the account, its devices, the last 30 days'
    /// purchases and what it owes.
    pub async fn detail_pdf(&self, actor: &Actor, user: Uuid) -> Result<Pdf, BillingError> {
        let o = self.owing_as(actor, user).await?;
        let since = Utc::now() - Duration::days(30);
        let (devices, sales): (Vec<Device>, Vec<Sale>) = self
            .db()
            .run(move |c| {
                let d =
                    user_devices::table.filter(user_devices::user_id.eq(user)).select(Device::as_select()).load(c)?;
                let s = transactions::table
                    .filter(transactions::user_id.eq(user))
                    .filter(transactions::state.eq(TxState::Paid))
                    .filter(transactions::paid_at.ge(since))
                    .order(transactions::paid_at.desc())
                    .select((
                        transactions::order_id,
                        transactions::package_name,
                        transactions::amount_idr,
                        transactions::paid_at,
                    ))
                    .load(c)?;
                Ok((d, s))
            })
            .await?;
        let u = &o.user;
        let mut doc = Doc::new("Laporan Pengguna", &self.footer_text());
        doc.fields(user_fields(self, u)).heading("Perangkat").table(
            vec![
                Column::new("MAC", 1.4),
                Column::new("IP", 1.1),
                Column::new("Terakhir terlihat", 1.3),
                Column::new("Diizinkan", 0.8),
            ],
            devices
                .iter()
                .map(|d| {
                    vec![
                        d.mac_address.to_string(),
                        d.ip_address.as_ref().map(|i| i.as_text()).unwrap_or_default(),
                        self.local_text(d.last_seen_at),
                        if d.is_authorized { "Ya".into() } else { "-".into() },
                    ]
                })
                .collect(),
        );
        doc.heading("Pembelian 30 hari").table(
            vec![
                Column::new("Dibayar", 1.2),
                Column::new("Nomor", 2.0),
                Column::new("Paket", 1.5),
                Column::figure("Jumlah", 1.0),
            ],
            sales
                .iter()
                .map(|(order, pkg, rp, at)| {
                    vec![
                        at.map(|t| self.local_text(t)).unwrap_or_default(),
                        order.clone(),
                        cell(pkg),
                        Rupiah(*rp).to_string(),
                    ]
                })
                .collect(),
        );
        doc.heading("Tunggakan").fields(vec![
            ("Tunggakan terbuka".into(), format!("{} ({})", o.manual.items, Rupiah(o.manual.idr))),
            ("Pemakaian di luar kuota".into(), Bytes(o.auto_bytes).to_string()),
            ("Total".into(), Rupiah(o.total_idr()).to_string()),
        ]);
        self.render_doc(&doc, format!("user-detail-{}.pdf", u.phone_number.local()))
    }

    /// The user list (by role) or the list of those who owe, as `actor` may see it.
    pub async fn users_pdf(&self, actor: &Actor, of: ListOf) -> Result<Pdf, BillingError> {
        let sees_super = actor.role == Role::SuperAdmin;
        let list: Vec<User> = self
            .db()
            .run(move |c| {
                let mut q = users::table.into_boxed();
                if !sees_super {
                    q = q.filter(users::role.ne(Role::SuperAdmin));
                }
                match of {
                    ListOf::All(Some(r)) => q = q.filter(users::role.eq(r)),
                    ListOf::All(None) => {}
                    ListOf::Owing => {
                        let over = users::is_unlimited_user
                            .eq(false)
                            .and(users::quota_used_bytes.gt(users::quota_purchased_bytes));
                        q = q.filter(over.or(users::manual_debt_items.gt(0)));
                    }
                }
                Ok(q.order((users::full_name.asc(), users::id.asc()))
                    .limit(MAX_ROWS)
                    .select(User::as_select())
                    .load(c)?)
            })
            .await?;
        let title = match of {
            ListOf::Owing => "Daftar Pengguna Bertunggakan".to_owned(),
            ListOf::All(Some(r)) => format!("Daftar Pengguna {r}"),
            ListOf::All(None) => "Daftar Pengguna".to_owned(),
        };
        let rows: Vec<Vec<String>> = list.iter().map(|u| list_row(self, u)).collect();
        let mut doc = Doc::new(&title, &self.footer_text());
        doc.fields(vec![("Jumlah".into(), list.len().to_string())]).table(
            vec![
                Column::new("Nama", 1.6),
                Column::new("WhatsApp", 1.2),
                Column::new("Peran", 0.9),
                Column::new("Status", 0.8),
                Column::figure("Sisa", 0.9),
                Column::figure("Tunggakan", 0.9),
                Column::new("Berlaku s/d", 1.2),
            ],
            rows,
        );
        let today = crate::domain::days::today(self.settings.timezone);
        let name = match of {
            ListOf::Owing => format!("debt-users-list-{today}.pdf"),
            ListOf::All(Some(r)) => format!("users-list-{}-{today}.pdf", r.as_str().to_ascii_lowercase()),
            ListOf::All(None) => format!("users-list-{today}.pdf"),
        };
        self.render_doc(&doc, name)
    }
}

fn user_fields(b: &Billing, u: &User) -> Vec<(String, String)> {
    let text = |k: &str| u.profile.get(k).and_then(|v| v.as_str()).map(cell).unwrap_or_else(|| "-".into());
    vec![
        ("Nama".into(), cell(&u.full_name)),
        ("Nomor WhatsApp".into(), u.phone_number.local()),
        ("Peran".into(), u.role.to_string()),
        ("Blok / kamar".into(), format!("{} / {}", text("blok"), text("kamar"))),
        ("Status akses".into(), u.access_status.to_string()),
        (
            "Kuota dibeli / dipakai".into(),
            format!("{} / {}", Bytes(u.quota_purchased_bytes), Bytes(u.quota_used_bytes)),
        ),
        ("Berlaku sampai".into(), u.quota_expiry_date.map(|t| b.local_text(t)).unwrap_or_else(|| "-".into())),
        ("Masuk terakhir".into(), u.last_login_at.map(|t| b.local_text(t)).unwrap_or_else(|| "-".into())),
        ("Diblokir".into(), u.blocked_reason.as_deref().map(cell).unwrap_or_else(|| "-".into())),
    ]
}

fn list_row(b: &Billing, u: &User) -> Vec<String> {
    let remaining =
        if u.is_unlimited_user { "Unlimited".to_owned() } else { Bytes(u.quota_remaining_bytes()).to_string() };
    let owed = u.quota_overage_bytes() + u.manual_debt_bytes;
    vec![
        cell(&u.full_name),
        u.phone_number.local(),
        u.role.to_string(),
        u.access_status.to_string(),
        remaining,
        if owed > 0 || u.manual_debt_items > 0 { Bytes(owed).to_string() } else { "-".into() },
        u.quota_expiry_date.map(|t| b.local_text(t)).unwrap_or_else(|| "-".into()),
    ]
}
