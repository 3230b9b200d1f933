//! Signed account-status tokens (5 minutes): the frontend opens its policy page with one and can
//! check it is genuine. Format: `{status}.{expiry unix}.{hmac}` in base64url.

use chrono::Utc;

use crate::crypto::{b64url, b64url_decode, ct_eq, hmac_sha256};
use crate::domain::AccessStatus;

pub const TTL_SECS: i64 = 300;

pub fn issue(secret: &[u8], status: AccessStatus) -> String {
    let exp = Utc::now().timestamp() + TTL_SECS;
    let payload = format!("{}.{exp}", status.as_str());
    let sig = hmac_sha256(secret, &[b"status-token", payload.as_bytes()]);
    b64url(format!("{payload}.{}", b64url(&sig)).as_bytes())
}

pub fn verify(secret: &[u8], status: &str, token: &str) -> bool {
    let Some(raw) = b64url_decode(token).and_then(|b| String::from_utf8(b).ok()) else { return false };
    let mut parts = raw.rsplitn(2, '.');
    let (Some(sig), Some(payload)) = (parts.next(), parts.next()) else { return false };
    let Some((st, exp)) = payload.split_once('.') else { return false };
    let Ok(exp) = exp.parse::<i64>() else { return false };
    let want = hmac_sha256(secret, &[b"status-token", payload.as_bytes()]);
    let Some(given) = b64url_decode(sig) else { return false };
    ct_eq(&want, &given) && st == status && exp > Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let t = issue(b"k", AccessStatus::Habis);
        assert!(verify(b"k", "habis", &t));
        assert!(!verify(b"k", "blocked", &t));
        assert!(!verify(b"other", "habis", &t));
        assert!(!verify(b"k", "habis", "garbage"));
        let forged = b64url(format!("habis.{}.AAAA", Utc::now().timestamp() + 100).as_bytes());
        assert!(!verify(b"k", "habis", &forged));
    }
}
