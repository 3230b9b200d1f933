//! The money documents are real PDFs people can read: each is read back with `pdftotext`
//! (poppler), the engine a reader would use, and checked for what it must say.

use hotspot::domain::Role;
use serde_json::{Value, json};

use crate::billing::sales::{buyer, package, start};
use crate::common::{TestApp, call, staff};

/// GET `path` as `c`: the status, the content type and the text of the PDF (empty if not one).
async fn read(app: &TestApp, c: &reqwest::Client, path: &str) -> (u16, String, String) {
    let res = c.get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let bytes = res.bytes().await.unwrap();
    let text = if kind == "application/pdf" { pdf_text(&bytes) } else { String::from_utf8_lossy(&bytes).into_owned() };
    (status, kind, text)
}

/// The text of a PDF as poppler reads it (layout kept, so a table row stays on one line).
pub fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let path = std::env::temp_dir().join(format!("doc-{}.pdf", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}); scripts/test.sh installs poppler-utils"));
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pages(text: &str) -> usize {
    text.matches('\u{c}').count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_reports_receipts_and_the_sales_report_read_as_they_should() {
    let app = TestApp::spawn_billing(&[("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (sup_id, sup) = staff(&app, "081299990061", Role::SuperAdmin).await;
    let (_, adm) = staff(&app, "081299990062", Role::Admin).await;
    let pkg = package(&app, &sup, "Bulanan 20 GB", 50_000, 20, 30).await;
    let (user, c) = buyer(&app, "081234560061", 0).await;
    let (_, other) = buyer(&app, "081234560062", 0).await;

    // The invoice of a paid purchase, the buyer's own only.
    let order = start(&app, &c, &pkg).await;
    let (s, _, text) = read(&app, &c, &format!("/api/transactions/{order}/invoice")).await;
    assert_eq!(s, 422, "not paid yet: {text}");
    app.mt().act(&order, "pay", true).await.unwrap();
    let (s, kind, text) = read(&app, &c, &format!("/api/transactions/{order}/invoice")).await;
    assert_eq!((s, kind.as_str()), (200, "application/pdf"), "{text}");
    for want in ["Invoice", order.as_str(), "Pembeli", "081234560061", "Bulanan 20 GB", "Rp50.000", "LUNAS"] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let (s, _, _) = read(&app, &other, &format!("/api/transactions/{order}/invoice")).await;
    assert_eq!(s, 404, "another buyer's invoice is not found");

    // The admin's report of that transaction, with what Midtrans said.
    let (s, _, text) = read(&app, &adm, &format!("/api/admin/transactions/{order}/report.pdf")).await;
    assert_eq!(s, 200, "{text}");
    assert!(text.contains(&order) && text.contains("settlement") && text.contains("paid"), "{text}");
    let (s, _, _) = read(&app, &c, &format!("/api/admin/transactions/{order}/report.pdf")).await;
    assert!(s == 401 || s == 403, "{s}");

    // 60 cash sales: the period's report runs over pages, its header repeated, every sale in it.
    let mut orders = vec![order.clone()];
    for i in 0..60 {
        let res = adm
            .post(app.url(&format!("/api/admin/users/{user}/sales")))
            .header("Origin", "http://localhost:3000")
            .header("Idempotency-Key", format!("till-{i}"))
            .json(&json!({ "package_id": pkg }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        orders.push(res.json::<Value>().await.unwrap()["order_id"].as_str().unwrap().to_owned());
    }
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Makassar).date_naive();
    let (s, _, text) = read(&app, &adm, &format!("/api/admin/transactions/export?format=pdf&start_date={today}")).await;
    assert_eq!(s, 200, "{text}");
    assert!(pages(&text) >= 2, "{} pages", pages(&text));
    assert!(text.contains("Rp3.050.000"), "61 sales of Rp50.000:\n{text}");
    for o in &orders {
        assert!(
            text.contains(o.as_str()),
            "{o} missing:\n{}",
            text.lines().filter(|l| l.contains("HS-") || l.contains("CASH")).take(6).collect::<Vec<_>>().join("\n")
        );
    }
    assert!(text.matches("Dibayar").count() >= 2, "the sales table's header on each page");
    for bad in
        ["start_date=2026-13-01", "start_date=2026-12-07&end_date=2026-12-01", "format=csv&start_date=2026-12-01", ""]
    {
        let (s, _, body) = read(&app, &adm, &format!("/api/admin/transactions/export?{bad}")).await;
        assert_eq!(s, 422, "{bad}: {body}");
    }

    // A cash settlement's receipt opens by its link, without signing in, for its settlement only.
    let (s, v) = crate::billing::debts::lend(&app, &adm, user, &pkg, &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(&app, &adm, "POST", &format!("/api/admin/users/{user}/debts/settle-all"), None).await;
    assert_eq!(s, 200, "{v}");
    let url = v["receipt_url"].as_str().unwrap().to_owned();
    let receipt_no = v["receipt_no"].as_str().unwrap().to_owned();
    let (s, _, text) = read(&app, &app.client, &url).await;
    assert_eq!(s, 200, "{text}");
    for want in ["Bukti Pelunasan", receipt_no.as_str(), "Rp50.000", "Tunai"] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let forged = format!("{}x", url);
    let (s, _, _) = read(&app, &app.client, &forged).await;
    assert_eq!(s, 403);
    let (s, _, _) = read(&app, &app.client, "/api/documents/cmVjZWlwdC4xLjEueA").await;
    assert_eq!(s, 403);

    // The user's documents: the quota history (theirs, and the admin's view), the ledger, the
    // detail report; the lists, without the super admin for an admin.
    let (s, _, text) = read(&app, &c, "/api/users/me/quota-history/export?format=pdf&page=1&itemsPerPage=25").await;
    assert_eq!(s, 200, "{text}");
    for want in ["Riwayat Kuota", "Pembeli", "Pembelian tunai", "Paket bayar nanti", "+20 GB"] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let (s, _, _) = read(&app, &c, "/api/users/me/quota-history/export?format=csv").await;
    assert_eq!(s, 422);
    let (s, _, _) = read(&app, &c, "/api/users/me/quota-history/export?startDate=2026-12-07&endDate=2026-11-01").await;
    assert_eq!(s, 422);
    let (s, _, text) = read(&app, &adm, &format!("/api/admin/users/{user}/quota-history/export?format=pdf")).await;
    assert!(s == 200 && text.contains("Riwayat Kuota"), "{s}");
    let (s, _, text) = read(&app, &adm, &format!("/api/admin/users/{user}/debts/export?format=pdf")).await;
    assert_eq!(s, 200, "{text}");
    assert!(text.contains("Buku Tunggakan") && text.contains("LUNAS") && text.contains("Bulanan 20 GB"), "{text}");
    let (s, _, text) = read(&app, &adm, &format!("/api/admin/users/{user}/detail-report/export?format=pdf")).await;
    assert_eq!(s, 200, "{text}");
    assert!(
        text.contains("Laporan Pengguna") && text.contains("Pembelian 30 hari") && text.contains("081234560061"),
        "{text}"
    );
    let (s, _, text) = read(&app, &adm, "/api/admin/users/export/users-list?role=USER").await;
    assert_eq!(s, 200, "{text}");
    assert!(text.contains("Pembeli") && !text.contains("081299990061"), "USERs only:\n{text}");
    let (s, _, text) = read(&app, &adm, "/api/admin/users/export/users-list").await;
    assert!(
        s == 200 && text.contains("081299990062") && !text.contains("081299990061"),
        "no super admin for an admin:\n{text}"
    );
    let (_, _, text) = read(&app, &sup, "/api/admin/users/export/users-list").await;
    assert!(text.contains("081299990061"), "the super admin sees every account");
    let (s, _, text) = read(&app, &adm, "/api/admin/users/export/debt-list").await;
    assert!(s == 200 && text.contains("Daftar Pengguna Bertunggakan"), "{text}");
    let (s, _, _) = read(&app, &c, "/api/admin/users/export/debt-list").await;
    assert!(s == 401 || s == 403, "{s}");

    // Sent over WhatsApp: a link to that one document, good for a day, that opens it signed out.
    let (s, v) = call(&app, &adm, "POST", &format!("/api/admin/users/{user}/debts/send-whatsapp"), None).await;
    assert_eq!(s, 422, "no open debt to send: {v}");
    let (s, v) = crate::billing::debts::lend(&app, &adm, user, &pkg, &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(&app, &adm, "POST", &format!("/api/admin/users/{user}/debts/send-whatsapp"), None).await;
    assert_eq!((s, v["queued"].as_bool()), (200, Some(true)), "{v}");
    let (s, v) = call(
        &app,
        &adm,
        "POST",
        &format!("/api/admin/users/{user}/quota-history/send-wa"),
        Some(json!({ "startDate": "", "endDate": "" })),
    )
    .await;
    assert_eq!((s, v["whatsapp_sent"].as_bool()), (200, Some(true)), "{v}");
    let internal = json!({ "recipient_mode": "internal", "recipient_user_ids": [sup_id] });
    let (s, _) =
        call(&app, &adm, "POST", &format!("/api/admin/users/{user}/detail-report/send-whatsapp"), Some(internal)).await;
    assert_eq!(s, 422, "a super admin is not an admin's to choose");
    let (s, v) = call(
        &app,
        &adm,
        "POST",
        &format!("/api/admin/users/{user}/detail-report/send-whatsapp"),
        Some(json!({ "recipient_mode": "user" })),
    )
    .await;
    assert_eq!((s, v["queued_count"].as_u64()), (200, Some(1)), "{v}");
    let (_w, _j) = app.start_worker();
    let mut links = Vec::new();
    for _ in 0..100 {
        links = app
            .wa()
            .outbox()
            .into_iter()
            .filter(|m| m.to == "6281234560061")
            .filter_map(|m| m.message.split_whitespace().find(|w| w.contains("/api/documents/")).map(str::to_owned))
            .collect();
        if links.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(links.len(), 3, "{links:?}");
    let mut titles = Vec::new();
    for link in &links {
        let path = link.trim_start_matches(app.backend.settings.public_base_url.as_str());
        let (s, _, text) = read(&app, &app.client, path).await;
        assert_eq!(s, 200, "{link}: {text}");
        titles.push(text.lines().next().unwrap_or("").trim().to_owned());
    }
    titles.sort();
    assert_eq!(titles, ["Buku Tunggakan Kuota", "Laporan Pengguna", "Riwayat Kuota"], "{titles:?}");
}
