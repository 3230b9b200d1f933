//! Signed payment-status links: whoever holds the link to an order's payment page (the buyer,
//! or someone paying for them) may see its status and QR and cancel it, without signing in; the
//! token works for that order only and expires. Format: `{expiry unix}.{hmac}` in base64url,
//! the HMAC over the order id and the expiry (the order id is in the link's path already).

use chrono::Utc;

use crate::crypto::{b64url, b64url_decode, ct_eq, hmac_sha256};

/// How long a payment link works: a week (a bill sent over WhatsApp is paid within days).
pub const TTL_SECS: i64 = 7 * 86_400;

fn mac(secret: &[u8], order_id: &str, exp: i64) -> [u8; 32] {
    hmac_sha256(secret, &[b"payment-status-link", order_id.as_bytes(), b"|", exp.to_string().as_bytes()])
}

pub fn issue(secret: &[u8], order_id: &str) -> String {
    let exp = Utc::now().timestamp() + TTL_SECS;
    b64url(format!("{exp}.{}", b64url(&mac(secret, order_id, exp))).as_bytes())
}

/// Whether `token` is a live link to `order_id`.
pub fn verify(secret: &[u8], order_id: &str, token: &str) -> bool {
    if token.len() > 200 {
        return false;
    }
    let Some(raw) = b64url_decode(token.trim()).and_then(|b| String::from_utf8(b).ok()) else { return false };
    let Some((exp, sig)) = raw.split_once('.') else { return false };
    let Ok(exp) = exp.parse::<i64>() else { return false };
    let Some(given) = b64url_decode(sig) else { return false };
    ct_eq(&mac(secret, order_id, exp), &given) && exp > Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_for_its_order_only_until_it_expires() {
        let t = issue(b"k", "HS-1");
        assert!(verify(b"k", "HS-1", &t));
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "URL-safe: {t}");
        assert!(!verify(b"k", "HS-2", &t));
        assert!(!verify(b"other", "HS-1", &t));
        assert!(!verify(b"k", "HS-1", "garbage"));
        let past = Utc::now().timestamp() - 1;
        let expired = b64url(format!("{past}.{}", b64url(&mac(b"k", "HS-1", past))).as_bytes());
        assert!(!verify(b"k", "HS-1", &expired));
        // The order id and expiry cannot be shifted into each other.
        let exp = Utc::now().timestamp() + 100;
        let shifted = b64url(format!("{exp}.{}", b64url(&mac(b"k", "HS-", exp))).as_bytes());
        assert!(!verify(b"k", "HS-1", &shifted));
    }
}
