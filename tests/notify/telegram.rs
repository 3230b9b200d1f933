//! Issue 31: Telegram through the simulated Bot API — an account links its chat with a one-time
//! token (`/start <token>` on the webhook, its secret checked), an admin's alert also reaches
//! the linked chat, an admin's test message, unlinking.

use serde_json::json;

use crate::common::{TestApp, call, staff};
use hotspot::domain::Role;
use hotspot::sim::telegram::TelegramSim;

const TOKEN: &str = "7000000001:AAtest-token-for-the-simulator";
const SECRET: &str = "webhook-secret-0123456789abcdef-xyz";
const SUPER: &str = "081299990061";

async fn app_with_bot() -> (TestApp, TelegramSim) {
    let sim = TelegramSim::start("127.0.0.1:0".parse().unwrap(), TOKEN, "hotspot_test_bot").await.unwrap();
    let base = sim.base_url();
    let app = TestApp::spawn_captive(&[
        ("HOTSPOT_TELEGRAM_BOT_TOKEN", TOKEN),
        ("HOTSPOT_TELEGRAM_BOT_USERNAME", "hotspot_test_bot"),
        ("HOTSPOT_TELEGRAM_WEBHOOK_SECRET", SECRET),
        ("HOTSPOT_TELEGRAM_API_BASE", &base),
    ])
    .await;
    (app, sim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_links_its_chat_and_an_admins_alert_reaches_it() {
    let (app, tg) = app_with_bot().await;
    let (sup_id, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (s, v) = call(&app, &sup, "GET", "/api/auth/me/telegram/status", None).await;
    assert_eq!((s, v["linked"].clone(), v["available"].clone()), (200, json!(false), json!(true)), "{v}");

    let (s, v) = call(&app, &sup, "POST", "/api/auth/me/telegram/link-token", None).await;
    assert_eq!(s, 200, "{v}");
    let url = v["link_url"].as_str().unwrap();
    let token = url.strip_prefix("https://t.me/hotspot_test_bot?start=").expect("the bot's deep link").to_owned();
    assert!(token.len() <= 64 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));

    let hook = app.url(&format!("/api/webhooks/telegram/{SECRET}"));
    let wrong = app.url("/api/webhooks/telegram/not-the-secret-but-long-enough-0000");
    assert_eq!(tg.press_start(&wrong, SECRET, 555, "budi", &token).await, 403);
    assert_eq!(tg.press_start(&hook, "wrong-header", 555, "budi", &token).await, 403);
    assert_eq!(tg.press_start(&hook, SECRET, 555, "budi", &token).await, 200);
    let (_, v) = call(&app, &sup, "GET", "/api/auth/me/telegram/status", None).await;
    assert_eq!(
        (v["linked"].clone(), v["chat_id"].clone(), v["username"].clone()),
        (json!(true), json!(555), json!("budi")),
        "{v}"
    );
    assert!(tg.outbox().iter().any(|m| m.chat_id == 555 && m.text.contains("terhubung")));
    // The token worked once: another chat pressing it links nothing.
    assert_eq!(tg.press_start(&hook, SECRET, 777, "mallory", &token).await, 200);
    let (_, v) = call(&app, &sup, "GET", "/api/auth/me/telegram/status", None).await;
    assert_eq!(v["chat_id"], 555);

    // A registration proven by its code: the subscribed super admin hears of it on both channels.
    let body = json!({ "notification_type": "NEW_USER_REGISTRATION", "subscribed_admin_ids": [sup_id] });
    let (s, _) = call(&app, &sup, "POST", "/api/admin/notification-recipients", Some(body)).await;
    assert_eq!(s, 200);
    app.user_with("081255557777", "Warga Baru", 0, |u| u.approval = hotspot::domain::ApprovalStatus::Pending).await;
    let c = app.internet();
    let code = app.code_for(&c, "081255557777").await;
    let (s, _) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": "081255557777", "otp": code })).await;
    assert_eq!(s, 200);
    let (_w, _j) = app.start_worker();
    let mut seen = false;
    for _ in 0..100 {
        if tg.outbox().iter().any(|m| m.chat_id == 555 && m.text.contains("Warga Baru")) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the alert reached the linked chat: {:?}", tg.outbox());
    assert!(app.wa().outbox().iter().any(|m| m.message.contains("Warga Baru")), "and WhatsApp");

    // An admin's test message: sent, refused for a chat that blocked the bot, Telegram down.
    let send = |chat: &str| json!({ "chat_id": chat, "message": "Tes dari konsol" });
    let (s, _) = call(&app, &sup, "POST", "/api/admin/telegram/test-send", Some(send("555"))).await;
    assert_eq!(s, 200);
    tg.block_chat(999);
    let (s, _) = call(&app, &sup, "POST", "/api/admin/telegram/test-send", Some(send("999"))).await;
    assert_eq!(s, 409);
    let (s, _) = call(&app, &sup, "POST", "/api/admin/telegram/test-send", Some(send("abc"))).await;
    assert_eq!(s, 422);
    tg.set_down(true);
    let (s, _) = call(&app, &sup, "POST", "/api/admin/telegram/test-send", Some(send("555"))).await;
    assert_eq!(s, 503);

    let (s, _) = call(&app, &sup, "POST", "/api/auth/me/telegram/unlink", None).await;
    assert_eq!(s, 200);
    let (_, v) = call(&app, &sup, "GET", "/api/auth/me/telegram/status", None).await;
    assert_eq!(v["linked"], false);
}

/// Without a bot the pages still load: the status says so, a link is refused clearly, the
/// webhook does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_bot_telegram_says_so() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (s, v) = call(&app, &sup, "GET", "/api/auth/me/telegram/status", None).await;
    assert_eq!((s, v["available"].clone()), (200, json!(false)));
    let (s, v) = call(&app, &sup, "POST", "/api/auth/me/telegram/link-token", None).await;
    assert_eq!((s, v["code"].as_str()), (503, Some("FEATURE_DISABLED")), "{v}");
    let (s, _) = call(&app, &sup, "POST", &format!("/api/webhooks/telegram/{SECRET}"), Some(json!({}))).await;
    assert_eq!(s, 404);
}
