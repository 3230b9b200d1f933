//! The sales report's pages: what was paid in the period (online and in cash, debts settled in
//! cash beside), totals per package, per method and per day, then every sale.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::Billing;
use super::orders::Transaction;
use crate::accounts::debts::Settlement;
use crate::domain::{Rupiah, TxPurpose};
use crate::pdf::{Column, Doc, cell};

/// Count and rupiah per key, in key order.
fn tally<'a>(items: impl Iterator<Item = (String, i64)> + 'a) -> Vec<Vec<String>> {
    let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (k, amount) in items {
        let e = by.entry(k).or_default();
        e.0 += 1;
        e.1 += amount;
    }
    by.into_iter().map(|(k, (n, rp))| vec![k, n.to_string(), Rupiah(rp).to_string()]).collect()
}

fn tally_columns(first: &str) -> Vec<Column> {
    vec![Column::new(first, 3.0), Column::figure("Jumlah", 1.0), Column::figure("Total", 1.5)]
}

pub(super) fn sales(
    b: &Billing,
    (from, to, group): (NaiveDate, NaiveDate, Option<&'static str>),
    rows: &[(Transaction, Option<String>)],
    cash_debts: &[Settlement],
    footer: &str,
) -> Doc {
    let tz = b.settings.timezone;
    let total: i64 = rows.iter().map(|(t, _)| t.amount_idr).sum();
    let debts: i64 = cash_debts.iter().map(|s| s.amount_idr).sum();
    let mut doc = Doc::new(&format!("Laporan Transaksi {from} s/d {to}"), footer);
    doc.fields(vec![
        ("Periode".into(), format!("{from} s/d {to} ({tz})")),
        ("Transaksi lunas".into(), rows.len().to_string()),
        ("Pendapatan".into(), Rupiah(total).to_string()),
        ("Pelunasan tunggakan tunai".into(), format!("{} ({})", cash_debts.len(), Rupiah(debts))),
        ("Total diterima".into(), Rupiah(total + debts).to_string()),
    ]);
    let purpose = |t: &Transaction| match t.purpose {
        TxPurpose::Debt => "Pelunasan tunggakan".to_owned(),
        TxPurpose::Package => cell(&t.package_name),
    };
    doc.heading("Per paket").table(tally_columns("Paket"), tally(rows.iter().map(|(t, _)| (purpose(t), t.amount_idr))));
    let method = |t: &Transaction| t.payment_type.clone().unwrap_or_else(|| t.channel.to_string());
    doc.heading("Per metode")
        .table(tally_columns("Metode"), tally(rows.iter().map(|(t, _)| (method(t), t.amount_idr))));
    if let Some(fmt) = group {
        let period =
            |t: &Transaction| t.paid_at.map(|p| p.with_timezone(&tz).format(fmt).to_string()).unwrap_or_default();
        doc.heading("Per periode")
            .table(tally_columns("Periode"), tally(rows.iter().map(|(t, _)| (period(t), t.amount_idr))));
    }
    let sales: Vec<Vec<String>> = rows
        .iter()
        .map(|(t, name)| {
            vec![
                t.paid_at.map(|p| b.local_text(p)).unwrap_or_default(),
                t.order_id.clone(),
                cell(name.as_deref().unwrap_or("-")),
                purpose(t),
                method(t),
                Rupiah(t.amount_idr).to_string(),
            ]
        })
        .collect();
    doc.heading("Transaksi").table(
        vec![
            Column::new("Dibayar", 1.3),
            Column::new("Nomor", 3.0),
            Column::new("Pengguna", 1.2),
            Column::new("Paket", 1.3),
            Column::new("Metode", 0.8),
            Column::figure("Jumlah", 1.0),
        ],
        sales,
    );
    doc
}
