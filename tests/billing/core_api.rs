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
