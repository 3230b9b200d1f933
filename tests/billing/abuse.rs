//! Issue 30's attacks on money: a replayed Midtrans word, an amount Midtrans never writes, a
//! venue locked out of vouchers, a burst of guesses, a formula in a printed CSV, an admin
//! minting quota for himself.

use serde_json::{Value, json};

use super::sales::{buyer, notify, package, purchased, settled, start};
use crate::common::{MIDTRANS_KEY, TestApp, call, staff};
use hotspot::domain::{GIB, Role};

const ADMIN: &str = "081299990002";

/// A notification for `order` as Midtrans would sign it, with the word and code given.
fn signed(app: &TestApp, order: &str, word: &str, code: &str, gross: Option<&str>) -> Value {
    let mut b = app.mt().notification_body(order, MIDTRANS_KEY).expect("order known to the simulator");
    b["transaction_status"] = json!(word);
    b["status_code"] = json!(code);
    if let Some(g) = gross {
        b["gross_amount"] = json!(g);
    }
    let gross = b["gross_amount"].as_str().unwrap().to_owned();
    b["signature_key"] = json!(hotspot::midtrans::signature(order, code, &gross, MIDTRANS_KEY));
    b
}

/// Item 4: the status word is not signed. A genuine `pending` (201) sent again saying
/// `settlement` is asked of the status API, which says pending: nothing is granted. A real
/// settlement is believed once the status API agrees; with Midtrans down the notification is
/// answered 503 (Midtrans sends it again). `"05000.00"` is not an amount Midtrans writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_pending_word_saying_settlement_grants_nothing() {
    let app = TestApp::spawn_billing(&[]).await;
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "Harian 5 GB", 5_000, 5, 1).await;
    let (_, c) = buyer(&app, "081234561001", 0).await;
    let order = start(&app, &c, &pkg).await;

    let genuine_pending = signed(&app, &order, "pending", "201", None);
    assert_eq!(notify(&app, &genuine_pending).await.0, 200);
    let mut replayed = genuine_pending.clone();
    replayed["transaction_status"] = json!("settlement");
    let (status, body) = notify(&app, &replayed).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("pending")), "{body}");
    let mut captured = genuine_pending.clone();
    captured["transaction_status"] = json!("capture");
    captured["fraud_status"] = json!("accept");
    assert_eq!(notify(&app, &captured).await.1["state"], "pending");
    assert_eq!(settled(&app, &order).await, ("pending".into(), 0));
    assert_eq!(purchased(&app, &c).await, 0);

    // Leading zeros: refused before anything is asked.
    let zeros = signed(&app, &order, "settlement", "200", Some("05000.00"));
    let (status, body) = notify(&app, &zeros).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("PAYMENT_AMOUNT_MISMATCH")), "{body}");

    // Paid on Midtrans, the status API down: 503, nothing granted; back up: granted once.
    app.mt().act(&order, "pay", false).await.unwrap();
    let real = signed(&app, &order, "settlement", "200", None);
    app.mt().set_mode(hotspot::sim::midtrans::Mode::Down);
    let (status, body) = notify(&app, &real).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("PAYMENT_GATEWAY_UNAVAILABLE")), "{body}");
    assert_eq!(settled(&app, &order).await, ("pending".into(), 0));
    app.mt().set_mode(hotspot::sim::midtrans::Mode::Ok);
    let (status, body) = notify(&app, &real).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("paid")), "{body}");
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
    assert_eq!(purchased(&app, &c).await, 5 * GIB);

    // A genuine settlement (200) sent again saying refund: Midtrans says settlement.
    let mut refund = real.clone();
    refund["transaction_status"] = json!("refund");
    assert_eq!(notify(&app, &refund).await.1["state"], "paid");
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
}

/// A client on the hotspot's egress (127.0.0.1), signed in by bearer token.
fn on_hotspot() -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 1])).build().unwrap()
}

async fn redeem(app: &TestApp, token: &str, code: &str) -> (u16, Value) {
    let res = on_hotspot()
        .post(app.url("/api/vouchers/redeem"))
        .bearer_auth(token)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn token_of(app: &TestApp, phone: &str) -> String {
    app.user(phone, "Tamu", 0).await;
    let c = app.internet();
    let code = app.code_for(&c, phone).await;
    let (status, body) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": phone, "otp": code })).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Item 2: behind the egress every phone shares one address. Five guessers spending their own
/// allowance do not lock the venue out: a sixth phone's valid code still redeems. One user's
/// 60 parallel wrong codes are evaluated at most 5 times (the limit), not 7.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_guessers_does_not_lock_a_venue_out_of_vouchers() {
    let app = TestApp::spawn_billing(&[]).await;
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "Harian 1 GB", 5_000, 1, 1).await;
    let (_, made) =
        call(&app, &admin, "POST", "/api/admin/vouchers", Some(json!({ "package_id": pkg, "count": 1 }))).await;
    let good = made["codes"][0].as_str().unwrap().to_owned();

    for g in 0..5 {
        let token = token_of(&app, &format!("08123456200{g}")).await;
        for i in 0..5 {
            let (status, body) = redeem(&app, &token, &format!("ZZZZ-ZZZZ-ZZ{g}{i}")).await;
            assert_eq!(status, 422, "{body}");
        }
        assert_eq!(redeem(&app, &token, "ZZZZ-ZZZZ-ZZZZ").await.0, 429, "each guesser's own allowance ends");
    }
    let honest = token_of(&app, "081234562009").await;
    let (status, body) = redeem(&app, &honest, &good).await;
    assert_eq!(status, 200, "a venue's phone with a valid code: {body}");

    // A burst from one user: counted before it is evaluated.
    let burster = token_of(&app, "081234562010").await;
    let answers = futures_util::future::join_all((0..60).map(|i| {
        let (app, t) = (&app, burster.clone());
        async move { redeem(app, &t, &format!("YYYY-YYYY-Y{i:03}")).await.0 }
    }))
    .await;
    let evaluated = answers.iter().filter(|s| **s == 422).count();
    assert!(evaluated <= 5, "{evaluated} wrong codes evaluated against a limit of 5: {answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 60 - evaluated, "{answers:?}");
}

/// Item 7: a package named like a formula prints as text in the voucher CSV. Item 9: an admin
/// cannot redeem a voucher (it would be granting himself quota); a user can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_cells_are_not_formulas_and_admins_do_not_redeem_their_vouchers() {
    let app = TestApp::spawn_billing(&[]).await;
    let (admin_id, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "=HYPERLINK(\"http://evil.test\",\"klik\")", 5_000, 1, 1).await;
    let (_, made) =
        call(&app, &admin, "POST", "/api/admin/vouchers", Some(json!({ "package_id": pkg, "count": 2 }))).await;
    let batch = made["batch"]["id"].as_str().unwrap().to_owned();
    let codes: Vec<String> = made["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let csv =
        admin.get(app.url(&format!("/api/admin/vouchers/{batch}.csv"))).send().await.unwrap().text().await.unwrap();
    let line = csv.lines().nth(1).unwrap();
    assert!(line.contains(",\"'=HYPERLINK("), "{line}");
    assert!(!line.contains(",=") && !line.contains(",\"="), "{line}");

    let (status, body) = call(&app, &admin, "POST", "/api/vouchers/redeem", Some(json!({ "code": codes[0] }))).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("PURCHASE_NOT_ALLOWED")), "{body}");
    let me = app.backend.accounts().find(admin_id).await.unwrap().unwrap();
    assert_eq!(me.quota_purchased_bytes, 0, "no quota for the admin");
    let (_, user) = buyer(&app, "081234562020", 0).await;
    let (status, body) = call(&app, &user, "POST", "/api/vouchers/redeem", Some(json!({ "code": codes[0] }))).await;
    assert_eq!(status, 200, "{body}");
}
