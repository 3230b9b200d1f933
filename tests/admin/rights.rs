//! Issue 30, item 1: who may hold the console. An admin's rights come only from a password
//! sign-in (a WhatsApp code alone signs an admin in as a hotspot user, and a refresh of that
//! session never gains them); pairing the WhatsApp gateway is a super admin's.

use serde_json::json;

use crate::common::{STAFF_PASSWORD, TestApp, call, staff};
use hotspot::domain::Role;

const SUPER: &str = "081299990001";
const ADMIN: &str = "081299990002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_pair_the_gateway_nor_a_code_open_the_console() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;

    // An admin: no QR, no clearing the session (the gateway stays paired).
    let (status, body) = call(&app, &admin, "POST", "/api/admin/whatsapp/clear-session", None).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")), "{body}");
    let (status, body) = call(&app, &admin, "GET", "/api/admin/whatsapp/qr", None).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")), "{body}");
    let (status, body) = call(&app, &admin, "GET", "/api/admin/whatsapp/status", None).await;
    assert_eq!((status, body["providers"][0]["up"].as_bool()), (200, Some(true)), "{body}");
    // The super admin may (paired: nothing to scan).
    let (status, body) = call(&app, &sup, "GET", "/api/admin/whatsapp/qr", None).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("INVALID_STATE")), "{body}");

    // The super admin's phone signs in with a code alone, from anywhere: a user's session,
    // not the console's; its refresh does not gain it either.
    let c = app.internet();
    let code = app.code_for(&c, SUPER).await;
    let (status, body) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": SUPER, "otp": code })).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    for path in ["/api/admin/users", "/api/admin/settings", "/api/admin/whatsapp/status"] {
        let res = app.client.get(app.url(path)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "FORBIDDEN", "{body}");
    }
    let (status, _) = call(&app, &c, "GET", "/api/admin/users", None).await;
    assert_eq!(status, 403, "the cookie session too");
    let (status, body) = call(&app, &c, "POST", "/api/auth/refresh", None).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = call(&app, &c, "GET", "/api/admin/users", None).await;
    assert_eq!(status, 403, "a refreshed code session gains nothing");

    // With the password, the same account holds the console, and keeps it across a refresh.
    let b = app.browser();
    let (status, _) =
        app.post(&b, "/api/auth/admin/login", json!({ "username": SUPER, "password": STAFF_PASSWORD })).await;
    assert_eq!(status, 200);
    assert_eq!(call(&app, &b, "GET", "/api/admin/users", None).await.0, 200);
    assert_eq!(call(&app, &b, "POST", "/api/auth/refresh", None).await.0, 200);
    assert_eq!(call(&app, &b, "GET", "/api/admin/users", None).await.0, 200);
}
