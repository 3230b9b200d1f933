//! Access tokens (HS256 JWT, short-lived) and their deny-list after logout.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Role;
use crate::kv::{Kv, KvError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// Token id, for the deny-list.
    pub jti: String,
    /// The refresh-token family of this session, so logout can revoke it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<Uuid>,
    /// The device this session authorized, so logout can deauthorize it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("access token expired")]
    Expired,
    #[error("access token invalid")]
    Invalid,
}

#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
    validation: Validation,
}

impl AccessTokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), ttl, validation }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(
        &self,
        user: Uuid,
        role: Role,
        family: Option<Uuid>,
        device: Option<i64>,
    ) -> Result<(String, Claims), TokenError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            role,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            jti: Uuid::new_v4().simple().to_string(),
            fam: family,
            did: device,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|_| TokenError::Invalid)?;
        Ok((token, claims))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })
    }
}

fn deny_key(kv: &Kv, jti: &str) -> String {
    kv.key(&format!("jwt:deny:{jti}"))
}

/// Refuses this access token until it would have expired anyway.
pub async fn deny(kv: &Kv, claims: &Claims) -> Result<(), KvError> {
    let ttl = (claims.exp - Utc::now().timestamp()).max(1) + 5;
    let key = deny_key(kv, &claims.jti);
    kv.with_timeout(async {
        let mut c = kv.conn();
        let _: () = redis::cmd("SET").arg(&key).arg("1").arg("EX").arg(ttl).query_async(&mut c).await?;
        Ok(())
    })
    .await
}

pub async fn is_denied(kv: &Kv, claims: &Claims) -> Result<bool, KvError> {
    let key = deny_key(kv, &claims.jti);
    kv.with_timeout(async {
        let mut c = kv.conn();
        let n: i64 = redis::cmd("EXISTS").arg(&key).query_async(&mut c).await?;
        Ok(n > 0)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_and_reject() {
        let t = AccessTokens::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(1800));
        let user = Uuid::new_v4();
        let fam = Uuid::new_v4();
        let (token, claims) = t.issue(user, Role::User, Some(fam), Some(7)).unwrap();
        let back = t.verify(&token).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.exp - back.iat, 1800);
        let other = AccessTokens::new(b"another-secret-another-secret-xx", Duration::from_secs(1800));
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));
        let mut tampered = token.clone();
        tampered.pop();
        assert_eq!(t.verify(&tampered), Err(TokenError::Invalid));
        assert_eq!(t.verify("not.a.jwt"), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_say_so() {
        let t = AccessTokens::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(1800));
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: Uuid::new_v4(),
            role: Role::User,
            iat: now - 4000,
            exp: now - 100,
            jti: "x".into(),
            fam: None,
            did: None,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &t.encoding).unwrap();
        assert_eq!(t.verify(&token), Err(TokenError::Expired));
        // HS256 only: a token claiming another algorithm is refused.
        let none_alg = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.";
        assert_eq!(t.verify(none_alg), Err(TokenError::Invalid));
    }
}
