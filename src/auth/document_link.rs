//! Short-lived signed links to one document (a settlement's receipt, an invoice, a report): whoever
//! holds the link may fetch that document without signing in — how the console opens a receipt
//! in a new tab and how WhatsApp delivers a PDF. The token names the document's kind and subject
//! and expires; nothing else opens with it. Format, base64url: `{kind}.{subject}.{expiry}.{hmac}`.

use chrono::Utc;

use crate::crypto::{b64url, b64url_decode, ct_eq, hmac_sha256};

/// How long a document link opened from the console works: an hour.
pub const TTL_SECS: i64 = 3_600;
/// How long a link sent over WhatsApp works: a day (it is read when the phone is next looked at).
pub const SENT_TTL_SECS: i64 = 86_400;

fn mac(secret: &[u8], kind: &str, subject: &str, exp: i64) -> [u8; 32] {
    let exp = exp.to_string();
    hmac_sha256(secret, &[b"document-link", kind.as_bytes(), b"|", subject.as_bytes(), b"|", exp.as_bytes()])
}

/// Whether `s` may be a kind or a subject (no separator in it, nothing to escape in a URL).
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b':')
}

/// A link token for `subject`'s document of `kind`; `None` when either holds a character a
/// token cannot carry.
pub fn issue(secret: &[u8], kind: &str, subject: &str, ttl_secs: i64) -> Option<String> {
    if !plain(kind) || !plain(subject) {
        return None;
    }
    let exp = Utc::now().timestamp() + ttl_secs;
    Some(b64url(format!("{kind}.{subject}.{exp}.{}", b64url(&mac(secret, kind, subject, exp))).as_bytes()))
}

/// The kind and subject a live token names.
pub fn verify(secret: &[u8], token: &str) -> Option<(String, String)> {
    if token.len() > 400 {
        return None;
    }
    let raw = String::from_utf8(b64url_decode(token.trim())?).ok()?;
    let mut parts = raw.splitn(4, '.');
    let (kind, subject, exp, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let exp: i64 = exp.parse().ok()?;
    let given = b64url_decode(sig)?;
    (plain(kind) && plain(subject) && ct_eq(&mac(secret, kind, subject, exp), &given) && exp > Utc::now().timestamp())
        .then(|| (kind.to_owned(), subject.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_its_document_only_until_it_expires() {
        let t = issue(b"k", "receipt", "3f2a", TTL_SECS).unwrap();
        assert_eq!(verify(b"k", &t), Some(("receipt".into(), "3f2a".into())));
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "URL-safe: {t}");
        assert_eq!(verify(b"other", &t), None);
        assert_eq!(verify(b"k", "garbage"), None);
        assert_eq!(issue(b"k", "receipt", "a.b", TTL_SECS), None);
        assert_eq!(issue(b"k", "receipt", "a/b", TTL_SECS), None);
        // Another subject or kind under the same signature is refused.
        let raw = String::from_utf8(b64url_decode(&t).unwrap()).unwrap();
        let forged = b64url(raw.replacen("3f2a", "3f2b", 1).as_bytes());
        assert_eq!(verify(b"k", &forged), None);
        let forged = b64url(raw.replacen("receipt", "invoice", 1).as_bytes());
        assert_eq!(verify(b"k", &forged), None);
        let past = Utc::now().timestamp() - 1;
        let expired = b64url(format!("receipt.3f2a.{past}.{}", b64url(&mac(b"k", "receipt", "3f2a", past))).as_bytes());
        assert_eq!(verify(b"k", &expired), None);
    }
}
