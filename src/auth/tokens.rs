//! Access tokens (HS256 JWT, short-lived) and their revocation: a not-before per user and per
//! refresh family in Redis ends every token issued before it at once (logout, logout of all
//! sessions, a replayed refresh token, a block), checked in the same round trip as a session's
//! pending work.

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
    /// Token id (unique per token).
    pub jti: String,
    /// The refresh-token family of this session, so logout can revoke it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<Uuid>,
    /// The device this session authorized, so logout can deauthorize it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<i64>,
    /// Issued at, in milliseconds: a not-before set in the same second as a new sign-in must not
    /// end it.
    #[serde(default)]
    pub ims: i64,
    /// Admin rights: only a session started with the admin's password holds them (a WhatsApp
    /// code alone signs an admin in as a hotspot user).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adm: bool,
}

impl Claims {
    /// The issue instant in milliseconds (tokens from before `ims` existed: their second).
    pub fn issued_ms(&self) -> i64 {
        if self.ims > 0 { self.ims } else { self.iat * 1000 }
    }
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
        elevated: bool,
    ) -> Result<(String, Claims), TokenError> {
        let now_ms = Utc::now().timestamp_millis();
        let now = now_ms / 1000;
        let claims = Claims {
            sub: user,
            role,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            jti: Uuid::new_v4().simple().to_string(),
            fam: family,
            did: device,
            ims: now_ms,
            adm: elevated && role.is_admin(),
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

fn user_nbf_key(kv: &Kv, user: Uuid) -> String {
    kv.key(&format!("nbf:u:{}", user.simple()))
}

fn family_nbf_key(kv: &Kv, family: Uuid) -> String {
    kv.key(&format!("nbf:f:{}", family.simple()))
}

fn attention_key(kv: &Kv, family: Uuid) -> String {
    kv.key(&format!("attn:{}", family.simple()))
}

/// What Redis says about an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenState {
    /// Issued before its user's or its family's not-before: revoked.
    pub revoked: bool,
    /// Its session has work to finish (a device binding the router witnessed, a device cookie
    /// to hand out).
    pub attention: bool,
}

/// One round trip: the user's and the family's not-before, and the family's attention flag.
pub async fn state(kv: &Kv, claims: &Claims) -> Result<TokenState, KvError> {
    let mut keys = vec![user_nbf_key(kv, claims.sub)];
    if let Some(f) = claims.fam {
        keys.push(family_nbf_key(kv, f));
        keys.push(attention_key(kv, f));
    }
    let values: Vec<Option<i64>> = kv
        .with_timeout(async {
            let mut c = kv.conn();
            Ok(redis::cmd("MGET").arg(&keys).query_async(&mut c).await?)
        })
        .await?;
    let issued = claims.issued_ms();
    let revoked = values.iter().take(2).flatten().any(|nbf| issued <= *nbf);
    let attention = values.get(2).copied().flatten().is_some();
    Ok(TokenState { revoked, attention })
}

/// Ends every access token issued so far for the user (or only for one refresh family). Kept
/// as long as a token can live.
pub async fn revoke_before_now(kv: &Kv, user: Uuid, family: Option<Uuid>, token_ttl: Duration) -> Result<(), KvError> {
    let key = match family {
        Some(f) => family_nbf_key(kv, f),
        None => user_nbf_key(kv, user),
    };
    let now_ms = Utc::now().timestamp_millis();
    let ttl = token_ttl.as_secs() + 60;
    kv.with_timeout(async {
        let mut c = kv.conn();
        let _: () = redis::cmd("SET").arg(&key).arg(now_ms).arg("EX").arg(ttl).query_async(&mut c).await?;
        Ok(())
    })
    .await
}

/// Marks (or clears) a session's pending work.
pub async fn set_attention(kv: &Kv, family: Uuid, on: bool, ttl: Duration) -> Result<(), KvError> {
    let key = attention_key(kv, family);
    kv.with_timeout(async {
        let mut c = kv.conn();
        if on {
            let _: () =
                redis::cmd("SET").arg(&key).arg(1).arg("EX").arg(ttl.as_secs().max(1)).query_async(&mut c).await?;
        } else {
            let _: () = redis::cmd("DEL").arg(&key).query_async(&mut c).await?;
        }
        Ok(())
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
        let (token, claims) = t.issue(user, Role::User, Some(fam), Some(7), false).unwrap();
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
            ims: 0,
            adm: false,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &t.encoding).unwrap();
        assert_eq!(t.verify(&token), Err(TokenError::Expired));
        // HS256 only: a token claiming another algorithm is refused.
        let none_alg = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.";
        assert_eq!(t.verify(none_alg), Err(TokenError::Invalid));
    }
}
