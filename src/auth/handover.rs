//! One-time session tokens (120 s) that hand a login from the captive browser to the real one.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::{random_token, sha256};
use crate::kv::{Kv, KvError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionGrant {
    pub user: Uuid,
    pub device: Option<i64>,
}

fn key(kv: &Kv, token: &str) -> String {
    kv.key(&format!("sess:{}", hex::encode(&sha256(token.as_bytes())[..16])))
}

pub async fn create(kv: &Kv, grant: &SessionGrant, ttl: Duration) -> Result<String, KvError> {
    let token = random_token(32);
    let value = serde_json::to_string(grant).map_err(|e| KvError::Command(e.to_string()))?;
    let k = key(kv, &token);
    kv.with_timeout(async {
        let mut c = kv.conn();
        let _: () =
            redis::cmd("SET").arg(&k).arg(&value).arg("EX").arg(ttl.as_secs().max(1)).query_async(&mut c).await?;
        Ok(())
    })
    .await?;
    Ok(token)
}

/// Takes the grant out (GETDEL): a second use finds nothing.
pub async fn consume(kv: &Kv, token: &str) -> Result<Option<SessionGrant>, KvError> {
    let k = key(kv, token);
    let raw: Option<String> = kv
        .with_timeout(async {
            let mut c = kv.conn();
            Ok(redis::cmd("GETDEL").arg(&k).query_async(&mut c).await?)
        })
        .await?;
    Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
}
