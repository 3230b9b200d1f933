//! Small crypto helpers: keyed hashes, digests, random tokens, constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// HMAC takes keys of any length, so keying cannot fail (the error type exists for fixed-key MACs).
fn keyed(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = keyed(key);
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

pub fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(hmac_sha256(key, parts))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// A URL-safe random token of `bytes` random bytes from the OS-seeded CSPRNG.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(buf.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// Verifies `sha256=<hex>` (or bare hex) against HMAC-SHA256(secret, body) in constant time.
/// How far a signed webhook's timestamp may be from now: a captured request replays for at most
/// this long (and a replay changes nothing: delivery states only move forward).
pub const SIGNATURE_MAX_SKEW_SECS: i64 = 300;

fn signed_payload(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = keyed(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks `X-Hotspot-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>` with
/// `X-Hotspot-Timestamp: {unix seconds}` within [`SIGNATURE_MAX_SKEW_SECS`] of `now`.
pub fn verify_body_signature(secret: &[u8], timestamp: &str, body: &[u8], header: &str, now: i64) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else { return false };
    if (now - ts).abs() > SIGNATURE_MAX_SKEW_SECS {
        return false;
    }
    let hex_sig = header.trim().strip_prefix("sha256=").unwrap_or(header.trim());
    let Ok(given) = hex::decode(hex_sig) else { return false };
    signed_payload(secret, ts, body).verify_slice(&given).is_ok()
}

/// The signature a webhook sender puts in `X-Hotspot-Signature` for `X-Hotspot-Timestamp`.
pub fn sign_body(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(signed_payload(secret, timestamp, body).finalize().into_bytes()))
}

/// The key router credentials are sealed with at rest (`HOTSPOT_SITE_KEY`): 32 bytes.
#[derive(Clone)]
pub struct SealKey(std::sync::Arc<secrecy::SecretBox<[u8; 32]>>);

/// A sealed value that will not open: another key sealed it, or it was altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sealed value does not open with this key (another HOTSPOT_SITE_KEY, or altered)")]
pub struct SealError;

/// Sealed layout: version byte, 24-byte random nonce, ciphertext and its 16-byte tag.
const SEAL_VERSION: u8 = 1;
const SEAL_NONCE: usize = 24;

impl SealKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(std::sync::Arc::new(secrecy::SecretBox::new(Box::new(key))))
    }

    /// A key derived from another secret (the JWT secret when no site key is set).
    pub fn derived(secret: &[u8], purpose: &str) -> Self {
        Self::new(hmac_sha256(secret, &[b"hotspot-seal-key", purpose.as_bytes()]))
    }

    fn cipher(&self) -> chacha20poly1305::XChaCha20Poly1305 {
        use chacha20poly1305::KeyInit;
        use secrecy::ExposeSecret;
        chacha20poly1305::XChaCha20Poly1305::new(self.0.expose_secret().into())
    }

    /// Seals `plain`, bound to `context` (what the value is: a sealed router password does not
    /// open as anything else).
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Vec<u8> {
        use chacha20poly1305::aead::{Aead, Payload};
        let mut nonce = [0u8; SEAL_NONCE];
        rand::rng().fill(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(&nonce.into(), Payload { msg: plain, aad: context })
            .expect("XChaCha20-Poly1305 seals any length below 256 GiB");
        let mut out = Vec::with_capacity(1 + SEAL_NONCE + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        use chacha20poly1305::aead::{Aead, Payload};
        let (&version, rest) = sealed.split_first().ok_or(SealError)?;
        if version != SEAL_VERSION || rest.len() < SEAL_NONCE + 16 {
            return Err(SealError);
        }
        let (nonce, msg) = rest.split_at(SEAL_NONCE);
        let nonce: [u8; SEAL_NONCE] = nonce.try_into().map_err(|_| SealError)?;
        self.cipher().decrypt(&nonce.into(), Payload { msg, aad: context }).map_err(|_| SealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip_and_reject_tampering() {
        let now = 1_764_000_000;
        let sig = sign_body(b"secret", now, b"{\"a\":1}");
        let ts = now.to_string();
        assert!(verify_body_signature(b"secret", &ts, b"{\"a\":1}", &sig, now));
        assert!(verify_body_signature(b"secret", &ts, b"{\"a\":1}", &sig, now + 299));
        assert!(!verify_body_signature(b"secret", &ts, b"{\"a\":1}", &sig, now + 301), "too old");
        assert!(!verify_body_signature(b"secret", &ts, b"{\"a\":1}", &sig, now - 301), "from the future");
        assert!(!verify_body_signature(b"secret", &(now + 1).to_string(), b"{\"a\":1}", &sig, now), "other time");
        assert!(!verify_body_signature(b"secret", "", b"{\"a\":1}", &sig, now));
        assert!(!verify_body_signature(b"secret", &ts, b"{\"a\":2}", &sig, now));
        assert!(!verify_body_signature(b"other", &ts, b"{\"a\":1}", &sig, now));
        assert!(!verify_body_signature(b"secret", &ts, b"{\"a\":1}", "sha256=zz", now));
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let key = SealKey::new([7; 32]);
        let a = key.seal(b"router-password", b"rahasia");
        let b = key.seal(b"router-password", b"rahasia");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.windows(7).any(|w| w == b"rahasia"), "no clear text inside");
        assert_eq!(key.open(b"router-password", &a).unwrap(), b"rahasia");
        assert_eq!(key.open(b"other", &a), Err(SealError));
        assert_eq!(SealKey::new([8; 32]).open(b"router-password", &a), Err(SealError));
        let mut altered = a.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(b"router-password", &altered), Err(SealError));
        assert_eq!(key.open(b"router-password", &a[..20]), Err(SealError));
        assert_eq!(key.open(b"router-password", &[]), Err(SealError));
        let d = SealKey::derived(b"jwt", "sites");
        assert_eq!(d.open(b"c", &d.seal(b"c", b"x")).unwrap(), b"x");
        assert_eq!(SealKey::derived(b"jwt2", "sites").open(b"c", &d.seal(b"c", b"x")), Err(SealError));
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn hmac_parts_are_length_prefixed() {
        // ("ab","c") and ("a","bc") must not collide.
        assert_ne!(hmac_sha256(b"k", &[b"ab", b"c"]), hmac_sha256(b"k", &[b"a", b"bc"]));
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd") && !ct_eq(b"abc", b"ab"));
    }
}
