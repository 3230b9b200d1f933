//! Issue 32, item 1: the Midtrans client's Core API against the simulator over HTTP — each
//! method's charge answered with what the buyer needs, a paid charge's notification carrying its
//! fields, a cancel, Midtrans's refusals and its outage.

use std::time::Duration;

use hotspot::domain::{PaymentMethod, Rupiah, VaBank};
use hotspot::midtrans::{Midtrans, MidtransError, Order};
use hotspot::sim::midtrans::{MidtransSim, Mode};

const KEY: &str = "SB-Mid-server-core-api-test";

fn client(sim: &MidtransSim) -> Midtrans {
    let base = sim.base_url();
    Midtrans::new(hotspot::config::MidtransSettings {
        server_key: KEY.to_owned().into(),
        client_key: None,
        api_base: base.clone(),
        snap_base: base,
        production: false,
        timeout: Duration::from_secs(3),
        notification_url: None,
    })
    .expect("client")
}

fn order(id: &str) -> Order<'_> {
    Order {
        order_id: id,
        amount: Rupiah(15_000),
        item_id: "pkg".into(),
        item_name: "Mingguan 5 GB",
        customer_name: "Budi",
        customer_phone: "081234567001".into(),
        expiry_minutes: 60,
        return_url: "http://127.0.0.1:3000/payment/status".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_method_is_charged_with_what_the_buyer_needs() {
    hotspot::ensure_crypto_provider();
    let sim = MidtransSim::start("127.0.0.1:0".parse().unwrap(), KEY, None).await.unwrap();
    let m = client(&sim);

    let q = m.charge(&order("HS-Q1"), PaymentMethod::Qris, None).await.unwrap();
    assert_eq!(q.payment_type, "qris");
    assert!(q.qr_string.as_deref().is_some_and(|s| s.starts_with("000201")), "{q:?}");
    let expires = q.expires_at.expect("an expiry");
    let left = expires - chrono::Utc::now();
    assert!(left > chrono::Duration::minutes(58) && left <= chrono::Duration::minutes(60), "{left}");
    let png = m.qr_image(q.qr_url.as_deref().unwrap()).await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(matches!(m.qr_image("http://example.invalid/qr.png").await, Err(MidtransError::Refused(_))));

    let g = m.charge(&order("HS-G1"), PaymentMethod::Gopay, None).await.unwrap();
    assert!(g.deeplink_url.is_some() && g.qr_url.is_some() && g.qr_string.is_none(), "{g:?}");
    let s = m.charge(&order("HS-S1"), PaymentMethod::Shopeepay, None).await.unwrap();
    assert!(s.deeplink_url.is_some() && s.qr_url.is_none(), "{s:?}");

    for bank in [VaBank::Bca, VaBank::Bni, VaBank::Bri, VaBank::Cimb, VaBank::Permata] {
        let id = format!("HS-VA-{}", bank.as_str());
        let v = m.charge(&order(&id), PaymentMethod::Va, Some(bank)).await.unwrap();
        assert!(v.va_number.as_deref().is_some_and(|n| n.len() >= 8 && n.bytes().all(|b| b.is_ascii_digit())), "{v:?}");
    }
    let md = m.charge(&order("HS-MD1"), PaymentMethod::Va, Some(VaBank::Mandiri)).await.unwrap();
    assert_eq!((md.payment_type.as_str(), md.biller_code.as_deref()), ("echannel", Some("70012")));
    assert!(md.bill_key.is_some() && md.va_number.is_none(), "{md:?}");

    // Midtrans knows the charges at once; a repeated order id is refused.
    let st = m.status("HS-VA-bni").await.unwrap().expect("known");
    assert_eq!((st.transaction_status.as_str(), st.payment_type.as_deref()), ("pending", Some("bank_transfer")));
    assert!(matches!(m.charge(&order("HS-Q1"), PaymentMethod::Qris, None).await, Err(MidtransError::Refused(_))));

    // A pending charge cancels once; a paid one does not.
    assert!(m.cancel("HS-G1").await.unwrap());
    assert_eq!(m.status("HS-G1").await.unwrap().unwrap().transaction_status, "cancel");
    sim.act("HS-Q1", "pay", false).await.unwrap();
    assert!(!m.cancel("HS-Q1").await.unwrap());
    // The notification of a paid VA carries its number, as Midtrans's does.
    let body = sim.notification_body("HS-VA-bri", KEY).unwrap();
    assert_eq!(body["va_numbers"][0]["bank"], "bri");

    // Down: unavailable, and the breaker opens after three.
    sim.set_mode(Mode::Down);
    for _ in 0..3 {
        assert!(matches!(
            m.charge(&order("HS-X"), PaymentMethod::Qris, None).await,
            Err(MidtransError::Unavailable(_))
        ));
    }
    assert!(matches!(m.charge(&order("HS-X"), PaymentMethod::Qris, None).await, Err(MidtransError::Paused(_))));
    sim.stop().await;
}

/// The shop in Core API mode over HTTP: the settings page's keys choose it; a QRIS purchase
/// answers what the status page reads and its QR as a PNG, is paid on the simulator and granted
/// once (the notification repeated); a BNI virtual account and Mandiri's bill payment show their
/// numbers; GoPay answers its deep link; a method or bank the operator does not offer is refused
/// with nothing written; a pending charge cancelled here is cancelled at Midtrans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_api_shop_over_http() {
    use crate::billing::sales::{buyer, package, purchased, settled};
    use crate::common::{TestApp, call, staff};
    use hotspot::domain::{GIB, Role};
    use serde_json::json;

    let app = TestApp::spawn_billing(&[]).await;
    let (_, sup) = staff(&app, "081299990031", Role::SuperAdmin).await;
    let pkg = package(&app, &sup, "Mingguan 5 GB", 15_000, 5, 7).await;
    let settings = json!({ "settings": { "PAYMENT_PROVIDER_MODE": "core_api",
        "CORE_API_ENABLED_PAYMENT_METHODS": "qris,gopay,va", "CORE_API_ENABLED_VA_BANKS": "bni,mandiri" } });
    let (s, v) = call(&app, &sup, "PUT", "/api/admin/settings", Some(settings)).await;
    assert_eq!(s, 200, "{v}");
    let (_, c) = buyer(&app, "081234560031", 0).await;
    let buy = |method: &'static str, bank: Option<&'static str>| {
        let mut b = json!({ "package_id": pkg, "payment_method": method });
        if let Some(bank) = bank {
            b["va_bank"] = json!(bank);
        }
        b
    };

    let (s, q) = call(&app, &c, "POST", "/api/transactions/initiate", Some(buy("qris", None))).await;
    assert_eq!((s, q["provider_mode"].as_str(), q["snap_token"].as_str()), (201, Some("core_api"), None), "{q}");
    let order = q["order_id"].as_str().unwrap().to_owned();
    assert_eq!(q["qr_code_url"], format!("/api/transactions/{order}/qr"));
    let (s, t) = call(&app, &c, "GET", &format!("/api/transactions/by-order-id/{order}"), None).await;
    assert_eq!((s, t["status"].as_str(), t["payment_method"].as_str()), (200, Some("PENDING"), Some("qris")), "{t}");
    let png = c.get(app.url(&format!("/api/transactions/{order}/qr?download=1"))).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let other = app.internet();
    assert_eq!(other.get(app.url(&format!("/api/transactions/{order}/qr"))).send().await.unwrap().status(), 401);

    // Paid on the simulator: two notifications, one grant.
    app.mt().act(&order, "pay", true).await.unwrap();
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
    assert_eq!(purchased(&app, &c).await, 5 * GIB);
    let (_, t) = call(&app, &c, "GET", &format!("/api/transactions/by-order-id/{order}"), None).await;
    assert_eq!(t["status"], "SUCCESS", "{t}");

    let (s, v) = call(&app, &c, "POST", "/api/transactions/initiate", Some(buy("va", Some("bni")))).await;
    assert_eq!((s, v["payment_method"].as_str()), (201, Some("bni_va")), "{v}");
    assert!(v["va_number"].as_str().is_some_and(|n| n.len() >= 8), "{v}");
    assert!(v["qr_code_url"].is_null() && v["redirect_url"].is_null(), "{v}");
    let (s, v) = call(&app, &c, "POST", "/api/transactions/initiate", Some(buy("va", Some("mandiri")))).await;
    assert_eq!((s, v["payment_method"].as_str(), v["biller_code"].as_str()), (201, Some("echannel"), Some("70012")));
    assert!(v["payment_code"].as_str().is_some(), "{v}");
    let (s, g) = call(&app, &c, "POST", "/api/transactions/initiate", Some(buy("gopay", None))).await;
    assert_eq!(s, 201, "{g}");
    assert!(g["redirect_url"].as_str().is_some_and(|u| u.contains("/_sim/deeplink/gopay/")), "{g}");
    let gopay = g["order_id"].as_str().unwrap().to_owned();
    let png = c.get(app.url(&format!("/api/transactions/{gopay}/qr"))).send().await.unwrap();
    assert_eq!(png.status(), 200, "GoPay's QR is Midtrans's image");

    // Not offered: refused, nothing written.
    let count = || {
        let db = app.backend.db.clone();
        async move {
            db.run(|c| {
                use diesel::prelude::*;
                Ok(hotspot::db::schema::transactions::table.count().get_result::<i64>(c)?)
            })
            .await
            .unwrap()
        }
    };
    let before = count().await;
    for (body, field) in [
        (buy("shopeepay", None), "payment_method"),
        (buy("va", Some("bca")), "va_bank"),
        (buy("cash", None), "payment_method"),
    ] {
        let (s, v) = call(&app, &c, "POST", "/api/transactions/initiate", Some(body)).await;
        assert_eq!(
            (s, v["code"].as_str(), v["details"]["field"].as_str()),
            (422, Some("VALIDATION_ERROR"), Some(field)),
            "{v}"
        );
    }
    assert_eq!(count().await, before);

    // The buyer closes the page: cancelled at Midtrans too, so the QR takes no money.
    let (s, v) = call(&app, &c, "POST", &format!("/api/transactions/{gopay}/cancel"), None).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("CANCELLED")), "{v}");
    assert_eq!(app.mt().transaction(&gopay).unwrap().status.as_deref(), Some("cancel"));
}

/// Item 2: the payment link. Whoever holds it sees the payment (nothing of the account), its QR,
/// and may cancel it, without signing in; the token works for its order only; a bad one
/// changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_link_shows_and_cancels_its_order_only() {
    use crate::billing::sales::{buyer, package};
    use crate::common::{TestApp, call, staff};
    use hotspot::domain::Role;
    use serde_json::{Value, json};

    let app = TestApp::spawn_billing(&[]).await;
    let (_, sup) = staff(&app, "081299990032", Role::SuperAdmin).await;
    let pkg = package(&app, &sup, "Harian 1 GB", 5_000, 1, 1).await;
    let settings = json!({ "settings": { "PAYMENT_PROVIDER_MODE": "core_api" } });
    assert_eq!(call(&app, &sup, "PUT", "/api/admin/settings", Some(settings)).await.0, 200);
    let (_, c) = buyer(&app, "081234560032", 0).await;
    let start = |c: reqwest::Client| {
        let app = &app;
        let pkg = pkg.clone();
        async move {
            let (s, v) = call(
                app,
                &c,
                "POST",
                "/api/transactions/initiate",
                Some(json!({ "package_id": pkg, "payment_method": "qris" })),
            )
            .await;
            assert_eq!(s, 201, "{v}");
            v
        }
    };
    let a = start(c.clone()).await;
    let b = start(c.clone()).await;
    let (order, token) = (a["order_id"].as_str().unwrap().to_owned(), a["status_token"].as_str().unwrap().to_owned());
    assert!(a["status_url"].as_str().unwrap().ends_with(&format!("order_id={order}&t={token}")), "{a}");

    let stranger = app.internet();
    let get = |path: String| {
        let s = stranger.clone();
        let url = app.url(&path);
        async move {
            let r = s.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.bytes().await.unwrap().to_vec())
        }
    };
    let (s, body) = get(format!("/api/transactions/public/by-order-id/{order}?t={token}")).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (s, v["status"].as_str(), v["midtrans_order_id"].as_str()),
        (200, Some("PENDING"), Some(order.as_str())),
        "{v}"
    );
    assert_eq!(
        (v["user"]["id"].as_str(), v["user"]["phone_number"].as_str()),
        (Some(""), Some("-")),
        "nothing of the account: {v}"
    );
    assert!(!String::from_utf8_lossy(&body).contains("234560032"), "no phone anywhere");
    let (s, png) = get(format!("/api/transactions/public/{order}/qr?t={token}")).await;
    assert_eq!(s, 200);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    // Another order's token, a forged one, none: refused; the order stays as it was.
    let other = b["status_token"].as_str().unwrap();
    for bad in [format!("?t={other}"), "?t=AAAA".into(), String::new()] {
        assert_eq!(get(format!("/api/transactions/public/by-order-id/{order}{bad}")).await.0, 403, "{bad}");
        let r = stranger.post(app.url(&format!("/api/transactions/public/{order}/cancel{bad}"))).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }
    assert_eq!(get(format!("/api/transactions/public/by-order-id/{order}?t={token}")).await.0, 200);
    let r = stranger.post(app.url(&format!("/api/transactions/public/{order}/cancel?t={token}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "CANCELLED", "{v}");
    assert_eq!(app.mt().transaction(&order).unwrap().status.as_deref(), Some("cancel"));
    let (_, body) =
        get(format!("/api/transactions/public/by-order-id/{}?t={other}", b["order_id"].as_str().unwrap())).await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["status"], "PENDING", "the other order untouched");
}

/// A Core API charge passes Snap's replay and race checks: forged or unsigned words and a wrong
/// amount change nothing; the same settlement twice at once grants once; late words never move
/// a paid order back; a cancel racing the payment never grants twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_api_charges_grant_once_whatever_midtrans_sends() {
    use crate::billing::sales::{buyer, notify, package, purchased, settled, word};
    use crate::common::{MIDTRANS_KEY, TestApp, call, staff};
    use hotspot::domain::{GIB, Role};
    use serde_json::json;

    let app = TestApp::spawn_billing(&[]).await;
    let (_, sup) = staff(&app, "081299990033", Role::SuperAdmin).await;
    let pkg = package(&app, &sup, "Mingguan 5 GB", 15_000, 5, 7).await;
    let settings =
        json!({ "settings": { "PAYMENT_PROVIDER_MODE": "core_api", "CORE_API_ENABLED_PAYMENT_METHODS": "va,qris" } });
    assert_eq!(call(&app, &sup, "PUT", "/api/admin/settings", Some(settings)).await.0, 200);
    let (_, c) = buyer(&app, "081234560033", 1).await;
    let buy = |method: &'static str| json!({ "package_id": pkg, "payment_method": method, "va_bank": "bni" });
    let (s, v) = call(&app, &c, "POST", "/api/transactions/initiate", Some(buy("va"))).await;
    assert_eq!(s, 201, "{v}");
    let order = v["order_id"].as_str().unwrap().to_owned();

    app.mt().act(&order, "pay", false).await.unwrap();
    let good = word(&app, &order, "settlement", MIDTRANS_KEY);
    assert_eq!(good["va_numbers"][0]["bank"], "bni", "the VA's own notification");
    let mut forged = good.clone();
    forged["signature_key"] = json!(hotspot::midtrans::signature(&order, "200", "15000.00", "guess"));
    assert_eq!(notify(&app, &forged).await.0, 401);
    let mut cheaper = good.clone();
    cheaper["gross_amount"] = json!("1500.00");
    cheaper["signature_key"] = json!(hotspot::midtrans::signature(&order, "200", "1500.00", MIDTRANS_KEY));
    assert_eq!(notify(&app, &cheaper).await.0, 422);
    assert_eq!(settled(&app, &order).await, ("pending".into(), 0));

    let (a, b) = tokio::join!(notify(&app, &good), notify(&app, &good));
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    for late in ["pending", "expire"] {
        let (s, body) = notify(&app, &word(&app, &order, late, MIDTRANS_KEY)).await;
        assert_eq!((s, body["state"].as_str()), (200, Some("paid")), "{late}: {body}");
    }
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
    assert_eq!(purchased(&app, &c).await, 6 * GIB);

    // The buyer cancels while the bank app pays: whichever lands first, one grant at most, and a
    // payment that arrives is honoured.
    let (_, v) = call(&app, &c, "POST", "/api/transactions/initiate", Some(buy("qris"))).await;
    let second = v["order_id"].as_str().unwrap().to_owned();
    let paid = async {
        app.mt().act(&second, "pay", false).await.unwrap();
        notify(&app, &word(&app, &second, "settlement", MIDTRANS_KEY)).await
    };
    let cancel_path = format!("/api/transactions/{second}/cancel");
    let cancel = call(&app, &c, "POST", &cancel_path, None);
    let (p, (cs, cv)) = tokio::join!(paid, cancel);
    assert_eq!((p.0, cs), (200, 200), "{p:?} {cv}");
    assert_eq!(settled(&app, &second).await, ("paid".into(), 1), "Midtrans took the money: the order is paid, once");
    assert_eq!(purchased(&app, &c).await, 11 * GIB);
}

/// Item 3: an admin's bill — a Core API charge for the user (whatever the shop's mode), the
/// message on the user's WhatsApp with what to pay by and the payment link, audited; paid, it
/// grants once. An admin may not bill an admin account; a method not offered is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_bills_a_user_over_whatsapp() {
    use crate::billing::sales::{buyer, package, purchased, settled};
    use crate::common::{TestApp, call, staff};
    use hotspot::domain::{GIB, Role};
    use serde_json::json;

    let app = TestApp::spawn_billing(&[("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (_, sup) = staff(&app, "081299990034", Role::SuperAdmin).await;
    let (other_admin, adm) = staff(&app, "081299990035", Role::Admin).await;
    let pkg = package(&app, &sup, "Bulanan 20 GB", 50_000, 20, 30).await;
    let (user, c) = buyer(&app, "081234560034", 0).await;
    let bill = |who: uuid::Uuid, method: &'static str, bank: Option<&'static str>| json!({ "user_id": who, "package_id": pkg, "payment_method": method, "va_bank": bank });

    let (s, v) = call(&app, &adm, "POST", "/api/admin/transactions/bill", Some(bill(user, "va", Some("bni")))).await;
    assert_eq!(
        (s, v["payment_method"].as_str(), v["whatsapp_sent"].as_bool()),
        (201, Some("bni_va"), Some(true)),
        "{v}"
    );
    let number = v["va_number"].as_str().unwrap().to_owned();
    let order = v["order_id"].as_str().unwrap().to_owned();
    assert!(v["status_url"].as_str().unwrap().contains(&format!("order_id={order}&t=")), "{v}");
    let (_w, _j) = app.start_worker();
    let mut told = None;
    for _ in 0..100 {
        told = app.wa().outbox().into_iter().find(|m| m.to == "6281234560034" && m.message.contains(&order));
        if told.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let told = told.expect("the bill on WhatsApp");
    assert!(
        told.message.contains(&format!("VA BNI {number}")) && told.message.contains("Rp50.000"),
        "{}",
        told.message
    );
    assert!(told.message.contains("/payment/status?order_id="), "{}", told.message);
    let audited: i64 = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::audit_log;
            Ok(audit_log::table.filter(audit_log::action.eq("billing.bill")).count().get_result(c)?)
        })
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // Paid: granted once, to the user billed.
    app.mt().act(&order, "pay", true).await.unwrap();
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
    assert_eq!(purchased(&app, &c).await, 20 * GIB);

    // Refused, nothing written: an admin account, a method not offered, nobody.
    let (s, _) = call(&app, &adm, "POST", "/api/admin/transactions/bill", Some(bill(other_admin, "qris", None))).await;
    assert_eq!(s, 403);
    let (s, v) = call(&app, &adm, "POST", "/api/admin/transactions/bill", Some(bill(user, "shopeepay", None))).await;
    assert_eq!((s, v["details"]["field"].as_str()), (422, Some("payment_method")), "{v}");
    let (s, _) =
        call(&app, &adm, "POST", "/api/admin/transactions/bill", Some(bill(uuid::Uuid::new_v4(), "qris", None))).await;
    assert_eq!(s, 404);
    let (s, _) = call(&app, &c, "POST", "/api/admin/transactions/bill", Some(bill(user, "qris", None))).await;
    assert!(s == 401 || s == 403, "a user bills nobody: {s}");
}
