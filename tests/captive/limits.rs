//! Issue 30, items 3 and 5: what the hotspot's shared address may do to strangers' numbers,
//! and a burst of admin password guesses.

use serde_json::json;

use crate::common::{TestApp, call, staff};
use hotspot::domain::Role;

/// Item 3: from the hotspot (a venue shares one address, so the per-address code limit does
/// not apply there), registrations nobody proved get at most 10 codes an hour per address;
/// numbers nobody holds answer 404 thirty times an hour, then 429; an account holder on the
/// same address still gets a code; rejecting an unproven registration messages nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hotspot_cannot_message_strangers_or_list_accounts() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    let venue = app.browser();
    let mut answers = Vec::new();
    for i in 0..25 {
        let phone = format!("0812777{i:05}");
        let (status, body) = app
            .post(&venue, "/api/auth/register", json!({ "phone_number": phone, "full_name": "Promo klik wa.me/x" }))
            .await;
        assert_eq!(status, 201, "{body}");
        answers.push(app.post(&venue, "/api/auth/request-otp", json!({ "phone_number": phone })).await.0);
    }
    assert_eq!(answers.iter().filter(|s| **s == 200).count(), 10, "{answers:?}");
    assert!(answers[10..].iter().all(|s| *s == 429), "{answers:?}");
    assert_eq!(app.wa().outbox().len(), 10, "ten strangers messaged, not 25");

    let mut unknown = Vec::new();
    for i in 0..60 {
        unknown.push(
            app.post(&venue, "/api/auth/request-otp", json!({ "phone_number": format!("0813888{i:05}") })).await.0,
        );
    }
    assert!(unknown[..30].iter().all(|s| *s == 404) && unknown[30..].iter().all(|s| *s == 429), "{unknown:?}");
    // The validation endpoint is no way around it.
    let (status, _) = app.post(&venue, "/api/users/validate-whatsapp", json!({ "phone_number": "081388899999" })).await;
    assert!(status == 200 || status == 422 || status == 409, "{status}");

    app.user("081234563001", "Pelanggan", 1).await;
    let (status, body) = app.post(&venue, "/api/auth/request-otp", json!({ "phone_number": "081234563001" })).await;
    assert_eq!(status, 200, "an account holder is not held back: {body}");

    // The operator rejects one of them: the stranger's number hears nothing.
    let (_, admin) = staff(&app, "081299990002", Role::Admin).await;
    let (_, page) = call(&app, &admin, "GET", "/api/admin/users?q=081277700024", None).await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let before = app.wa().outbox().len();
    let (status, body) =
        call(&app, &admin, "POST", &format!("/api/admin/users/{id}/reject"), Some(json!({ "reason": "spam" }))).await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.wa().outbox().len(), before);
    app.stop().await;
}

/// Item 5: 150 parallel wrong passwords are checked at most 10 times (the limit), the rest
/// answered 429 before any hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_admin_passwords_is_checked_at_most_the_limit() {
    let app = TestApp::spawn_captive(&[]).await;
    staff(&app, "081200000001", Role::Admin).await;
    let attacker = app.internet();
    let answers = futures_util::future::join_all((0..150).map(|_| {
        let (c, url) = (attacker.clone(), app.url("/api/auth/admin/login"));
        async move {
            c.post(url)
                .json(&json!({ "username": "081200000001", "password": "guess-guess-guess" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    }))
    .await;
    let checked = answers.iter().filter(|s| **s == 401).count();
    assert!(checked <= 10, "{checked} passwords checked against a limit of 10");
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 150 - checked, "{answers:?}");
    app.stop().await;
}

/// The shop's contact form (`/beli` signed out): whether a number holds an account, nothing
/// created, under validate-whatsapp's limit (shared: 30 checks an hour per address off the
/// hotspot), a bad number refused clearly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shops_contact_form_answers_within_the_lookup_limit() {
    let app = TestApp::spawn_captive(&[]).await;
    app.user("081234563002", "Pelanggan", 1).await;
    let c = app.internet();
    let ask = |phone: &'static str| json!({ "phone_number": phone, "full_name": "Tamu Toko" });
    let (status, body) = app.post(&c, "/api/users/check-or-register", ask("081234563002")).await;
    assert_eq!((status, body["user_exists"].as_bool()), (200, Some(true)), "{body}");
    let (status, body) = app.post(&c, "/api/users/check-or-register", ask("081234563003")).await;
    assert_eq!((status, body["user_exists"].as_bool()), (200, Some(false)), "{body}");
    let (status, body) = app.post(&c, "/api/users/check-or-register", ask("0812")).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")), "{body}");
    let (_, admin) = staff(&app, "081299990009", Role::Admin).await;
    let (_, page) = call(&app, &admin, "GET", "/api/admin/users?q=081234563003", None).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "nothing registered: {page}");
    for _ in 0..28 {
        let (status, _) = app.post(&c, "/api/users/validate-whatsapp", json!({ "phone_number": "081234563004" })).await;
        assert_eq!(status, 200);
    }
    let (status, body) = app.post(&c, "/api/users/check-or-register", ask("081234563002")).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")), "{body}");
    app.stop().await;
}
