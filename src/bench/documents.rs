//! `hotspot bench documents`: how long writing a PDF takes — a one-page invoice-sized document
//! (the baseline of the run) beside a sales report of `--rows` sales running over many pages —
//! with the file's size. Pure rendering (layout, shaping, font subsetting, compression); no
//! database. Prints best and median of `--rounds` with the machine's CPU line.

use std::time::Instant;

use crate::pdf::{Column, Doc, Fonts};

pub struct Options {
    pub rows: usize,
    pub rounds: usize,
    pub fonts: (std::path::PathBuf, std::path::PathBuf),
}

fn invoice() -> Doc {
    let mut d = Doc::new("Invoice", "Portal Hotspot · bench");
    d.fields(vec![("Nomor".into(), "HS-01BENCHBENCHBENCHBENCHBENC".into()), ("Pelanggan".into(), "Budi Aktif".into())])
        .table(
            vec![Column::new("Paket", 3.0), Column::new("Kuota", 1.5), Column::figure("Harga", 1.5)],
            vec![vec!["Bulanan 20 GB".into(), "20 GB".into(), "Rp50.000".into()]],
        );
    d
}

fn report(rows: usize) -> Doc {
    let mut d = Doc::new("Laporan Transaksi", "Portal Hotspot · bench");
    let sales = (0..rows)
        .map(|i| {
            vec![
                "07-12-2026 10:00".into(),
                format!("HS-{i:026}"),
                format!("Pengguna {i}"),
                "Bulanan 20 GB".into(),
                "qris".into(),
                "Rp50.000".into(),
            ]
        })
        .collect();
    d.table(
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
    d
}

/// Best and median milliseconds of `rounds` renders, and the size of the last.
fn time(doc: &Doc, fonts: &Fonts, rounds: usize) -> anyhow::Result<(f64, f64, usize)> {
    let mut samples = Vec::new();
    let mut size = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        size = doc.render(fonts)?.len();
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let best = samples.iter().copied().fold(f64::INFINITY, f64::min);
    Ok((best, super::median_ms(samples), size))
}

pub fn run(opts: Options) -> anyhow::Result<()> {
    let fonts = Fonts::load(&opts.fonts.0, &opts.fonts.1)?;
    println!("{}", super::machine::cpu_model());
    let start = super::machine::CpuTicks::now();
    let (b_best, b_med, b_size) = time(&invoice(), &fonts, opts.rounds)?;
    let (r_best, r_med, r_size) = time(&report(opts.rows), &fonts, opts.rounds)?;
    println!("{}", super::machine::describe(start, super::machine::CpuTicks::now()));
    println!("invoice (one page, baseline): best {b_best:.1} ms, median {b_med:.1} ms, {b_size} bytes");
    println!(
        "sales report of {} sales: best {r_best:.1} ms, median {r_med:.1} ms, {r_size} bytes; {:.1}× the invoice, {:.3} ms a sale",
        opts.rows,
        r_med / b_med.max(f64::EPSILON),
        (r_med - b_med).max(0.0) / opts.rows.max(1) as f64
    );
    Ok(())
}
