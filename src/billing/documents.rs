//! The money documents (PDF): a paid purchase's invoice (a debt payment's is its settlement
//! receipt), a settlement's receipt, an admin's report of one transaction, the sales report of a
//! period; and the short-lived signed links that open one of them without signing in (the
//! console opens a receipt in a new tab with one; WhatsApp delivers a PDF by one).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::orders::{Transaction, TxEvent};
use super::{Billing, BillingError, invalid};
use crate::accounts::debts::Settlement;
use crate::auth::document_link;
use crate::db::models::User;
use crate::db::schema::{debt_settlements, transactions, users};
use crate::domain::{Bytes, Rupiah, SaleChannel, TxPurpose, TxState};
use crate::pdf::{Column, Doc, cell};

/// A document written: its file name and bytes.
#[derive(Debug, Clone)]
pub struct Pdf {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The longest period one sales report covers.
const MAX_REPORT_DAYS: i64 = 366;

impl Billing {
    fn link_secret(&self) -> [u8; 32] {
        crate::crypto::hmac_sha256(self.settings.jwt_secret.expose_secret().as_bytes(), &[b"document links v1"])
    }

    /// The signed path (`/api/documents/<token>`) that opens a document for an hour.
    pub fn document_link(&self, kind: &str, subject: &str) -> Option<String> {
        document_link::issue(&self.link_secret(), kind, subject, document_link::TTL_SECS)
            .map(|t| format!("/api/documents/{t}"))
    }

    /// The full URL sent over WhatsApp that opens a document for a day.
    pub(super) fn sent_link(&self, kind: &str, subject: &str) -> Result<String, BillingError> {
        document_link::issue(&self.link_secret(), kind, subject, document_link::SENT_TTL_SECS)
            .map(|t| format!("{}/api/documents/{t}.pdf", self.settings.public_base_url))
            .ok_or_else(|| invalid("document", "not a document a link can name"))
    }

    /// The document a link names, when the link is live.
    pub async fn linked_document(&self, token: &str) -> Result<Pdf, BillingError> {
        let token = token.strip_suffix(".pdf").unwrap_or(token);
        let (kind, subject) =
            document_link::verify(&self.link_secret(), token).ok_or(BillingError::DocumentLinkInvalid)?;
        match kind.as_str() {
            "receipt" => {
                let id = Uuid::parse_str(&subject).map_err(|_| BillingError::DocumentLinkInvalid)?;
                self.receipt(id).await
            }
            "invoice" => self.invoice(None, &subject).await,
            "ledger" | "detail" | "history" => self.user_document(&kind, &subject).await,
            _ => Err(BillingError::DocumentLinkInvalid),
        }
    }

    pub(super) fn render_doc(&self, doc: &Doc, filename: String) -> Result<Pdf, BillingError> {
        let fonts = self.fonts.as_ref().ok_or_else(|| BillingError::DocumentsUnavailable("no font".into()))?;
        let bytes = doc.render(fonts).map_err(|e| BillingError::DocumentsUnavailable(e.to_string()))?;
        Ok(Pdf { filename, bytes })
    }

    fn local(&self, t: DateTime<Utc>) -> String {
        crate::domain::days::local_time_text(t, self.settings.timezone)
    }

    pub(super) fn footer_text(&self) -> String {
        format!("{} · {}", self.runtime.get().app_name, self.local(Utc::now()))
    }

    /// A paid purchase's invoice (`viewer`: the buyer, who sees only their own; none: an admin or
    /// a link). A debt payment's is its settlement receipt.
    pub async fn invoice(&self, viewer: Option<Uuid>, order_id: &str) -> Result<Pdf, BillingError> {
        let (t, _, charge) = match viewer {
            Some(u) => self.transaction_of(u, order_id).await?,
            None => self.transaction(order_id).await?,
        };
        if !matches!(t.state, TxState::Paid | TxState::Refunded) {
            return Err(invalid("order_id", "an invoice is made for a paid transaction only"));
        }
        if t.purpose == TxPurpose::Debt {
            let id = t.id;
            let s: Settlement = self
                .db()
                .run(move |c| {
                    Ok(debt_settlements::table
                        .filter(debt_settlements::transaction_id.eq(id))
                        .select(Settlement::as_select())
                        .first(c)
                        .optional()?)
                })
                .await?
                .ok_or(BillingError::TransactionNotFound)?;
            return self.receipt_of(s).await;
        }
        let user = self.accounts.get(t.user_id).await?;
        let method =
            charge.map(|c| c.frontend_method()).or(t.payment_type.clone()).unwrap_or_else(|| t.channel.to_string());
        let mut doc = Doc::new("Invoice", &self.footer_text());
        doc.fields(vec![
            ("Nomor".into(), t.order_id.clone()),
            ("Tanggal bayar".into(), t.paid_at.map(|p| self.local(p)).unwrap_or_default()),
            ("Pelanggan".into(), cell(&user.full_name)),
            ("Nomor WhatsApp".into(), user.phone_number.local()),
        ])
        .fields(address(&user))
        .gap()
        .table(
            vec![
                Column::new("Paket", 3.0),
                Column::new("Kuota", 1.5),
                Column::new("Masa aktif", 1.2),
                Column::figure("Harga", 1.5),
            ],
            vec![vec![
                cell(&t.package_name),
                if t.is_unlimited { "Unlimited".into() } else { Bytes(t.quota_bytes).to_string() },
                format!("{} hari", t.validity_days),
                Rupiah(t.amount_idr).to_string(),
            ]],
        )
        .fields(vec![
            ("Total".into(), Rupiah(t.amount_idr).to_string()),
            ("Metode".into(), method),
            ("Status".into(), if t.state == TxState::Refunded { "DIKEMBALIKAN".into() } else { "LUNAS".into() }),
        ]);
        self.render_doc(&doc, format!("invoice-{}.pdf", t.order_id))
    }

    /// A settlement's receipt.
    pub async fn receipt(&self, settlement: Uuid) -> Result<Pdf, BillingError> {
        let s: Settlement = self
            .db()
            .run(move |c| {
                Ok(debt_settlements::table.find(settlement).select(Settlement::as_select()).first(c).optional()?)
            })
            .await?
            .ok_or(BillingError::TransactionNotFound)?;
        self.receipt_of(s).await
    }

    async fn receipt_of(&self, s: Settlement) -> Result<Pdf, BillingError> {
        let user = self.accounts.get(s.user_id).await?;
        let by = match s.created_by {
            Some(id) => self.accounts.find(id).await?.map(|a| a.phone_number.masked()),
            None => None,
        };
        let channel = match s.channel {
            SaleChannel::Cash => "Tunai di loket",
            SaleChannel::Midtrans => "Pembayaran online",
        };
        let mut doc = Doc::new("Bukti Pelunasan Tunggakan", &self.footer_text());
        doc.fields(vec![
            ("Nomor".into(), s.receipt_no.clone()),
            ("Waktu".into(), self.local(s.created_at)),
            ("Pelanggan".into(), cell(&user.full_name)),
            ("Nomor WhatsApp".into(), user.phone_number.local()),
            ("Tunggakan dibayar".into(), format!("{} ({})", s.manual_items, Bytes(s.manual_bytes))),
            ("Pemakaian di luar kuota".into(), Bytes(s.auto_bytes).to_string()),
            ("Jumlah".into(), Rupiah(s.amount_idr).to_string()),
            ("Cara bayar".into(), channel.into()),
            ("Dicatat oleh".into(), by.unwrap_or_else(|| "-".into())),
            ("Akses dibuka kembali".into(), if s.unblocked { "Ya".into() } else { "-".into() }),
        ]);
        self.render_doc(&doc, format!("receipt-{}.pdf", s.receipt_no))
    }

    /// An admin's report of one transaction, whatever its state: the sale, the buyer, what
    /// Midtrans said, its events.
    pub async fn transaction_report(&self, order_id: &str) -> Result<Pdf, BillingError> {
        let (t, events, charge) = self.transaction(order_id).await?;
        let user = self.accounts.find(t.user_id).await?;
        let mut doc = Doc::new(&format!("Laporan Transaksi {}", t.order_id), &self.footer_text());
        doc.fields(sale_fields(self, &t));
        if let Some(u) = &user {
            doc.heading("Pengguna").fields(vec![
                ("Nama".into(), cell(&u.full_name)),
                ("Nomor WhatsApp".into(), u.phone_number.local()),
                ("Peran".into(), u.role.to_string()),
            ]);
        }
        doc.heading("Midtrans").fields(vec![
            ("Transaction id".into(), t.provider_transaction_id.clone().unwrap_or_else(|| "-".into())),
            ("Jenis pembayaran".into(), t.payment_type.clone().unwrap_or_else(|| "-".into())),
            ("Status terakhir".into(), t.provider_status.clone().unwrap_or_else(|| "-".into())),
            ("Metode Core API".into(), charge.map(|c| c.frontend_method()).unwrap_or_else(|| "-".into())),
        ]);
        doc.heading("Riwayat").table(
            vec![
                Column::new("Waktu", 1.6),
                Column::new("Sumber", 1.2),
                Column::new("Kabar", 1.4),
                Column::new("Status", 1.0),
            ],
            events.iter().map(|e: &TxEvent| event_row(self, e)).collect(),
        );
        self.render_doc(&doc, format!("admin-report-{}.pdf", t.order_id))
    }

    /// The sales of local days `from`..=`to` (one user's, or everyone's): totals, per package, per
    /// method, per period (`group`: a date format naming it; none: no such table), every sale.
    pub async fn sales_report(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        user: Option<Uuid>,
        group: Option<&'static str>,
    ) -> Result<Pdf, BillingError> {
        if to < from || (to - from).num_days() >= MAX_REPORT_DAYS {
            return Err(invalid("end_date", format!("on or after start_date, at most {MAX_REPORT_DAYS} days")));
        }
        let tz = self.settings.timezone;
        let (start, end) = (
            crate::domain::days::local_midnight(from, tz),
            crate::domain::days::local_midnight(to.succ_opt().unwrap_or(to), tz),
        );
        let rows: Vec<(Transaction, Option<String>)> = self
            .db()
            .run(move |c| {
                let mut q = transactions::table
                    .left_join(users::table.on(users::id.eq(transactions::user_id)))
                    .filter(transactions::state.eq(TxState::Paid))
                    .filter(transactions::paid_at.ge(start))
                    .filter(transactions::paid_at.lt(end))
                    .into_boxed();
                if let Some(u) = user {
                    q = q.filter(transactions::user_id.eq(u));
                }
                Ok(q.order(transactions::paid_at.asc())
                    .select((Transaction::as_select(), users::full_name.nullable()))
                    .load(c)?)
            })
            .await?;
        let cash: Vec<Settlement> = self
            .db()
            .run(move |c| {
                let mut q = debt_settlements::table
                    .filter(debt_settlements::channel.eq(SaleChannel::Cash))
                    .filter(debt_settlements::created_at.ge(start))
                    .filter(debt_settlements::created_at.lt(end))
                    .into_boxed();
                if let Some(u) = user {
                    q = q.filter(debt_settlements::user_id.eq(u));
                }
                Ok(q.select(Settlement::as_select()).load(c)?)
            })
            .await?;
        let doc = super::report_doc::sales(self, (from, to, group), &rows, &cash, &self.footer_text());
        self.render_doc(&doc, format!("laporan-transaksi-{from}-to-{to}.pdf"))
    }

    pub(super) fn local_text(&self, t: DateTime<Utc>) -> String {
        self.local(t)
    }
}

/// A user's address lines, where the operator keeps them.
fn address(u: &User) -> Vec<(String, String)> {
    let text = |k: &str| u.profile.get(k).and_then(|v| v.as_str()).map(|s| cell(s).replace("Kamar_", ""));
    [("Blok", text("blok")), ("Kamar", text("kamar"))]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k.to_owned(), v)))
        .collect()
}

fn sale_fields(b: &Billing, t: &Transaction) -> Vec<(String, String)> {
    vec![
        ("Nomor".into(), t.order_id.clone()),
        ("Status".into(), t.state.to_string()),
        ("Saluran".into(), t.channel.to_string()),
        ("Paket".into(), cell(&t.package_name)),
        ("Jumlah".into(), Rupiah(t.amount_idr).to_string()),
        ("Dibuat".into(), b.local(t.created_at)),
        ("Dibayar".into(), t.paid_at.map(|p| b.local(p)).unwrap_or_else(|| "-".into())),
        ("Kedaluwarsa".into(), b.local(t.expires_at)),
        ("Alasan gagal".into(), t.failure_reason.clone().unwrap_or_else(|| "-".into())),
    ]
}

fn event_row(b: &Billing, e: &TxEvent) -> Vec<String> {
    vec![b.local(e.created_at), e.source.to_string(), cell(&e.event_type), e.state_after.to_string()]
}
