//! Fixed-window rate limits in Redis: one INCR (+EXPIRE on the first hit) per check.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::kv::{Kv, KvError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; retry after this many seconds.
    Limited(u64),
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Counts one hit on `name` in the current window of `window_secs`; `limit` hits are allowed.
pub async fn hit(kv: &Kv, name: &str, limit: u32, window_secs: u64) -> Result<Verdict, KvError> {
    Ok(hit_keyed(kv, name, limit, window_secs).await?.0)
}

/// [`hit`], and the key the hit went to (to give that very hit back later).
async fn hit_keyed(kv: &Kv, name: &str, limit: u32, window_secs: u64) -> Result<(Verdict, String), KvError> {
    let now = now_secs();
    let window = now / window_secs;
    let key = kv.key(&format!("rl:{name}:{window}"));
    let count: u64 = kv
        .with_timeout(async {
            let mut c = kv.conn();
            let (count,): (u64,) = redis::pipe()
                .atomic()
                .incr(&key, 1u64)
                .expire(&key, window_secs as i64 + 1)
                .ignore()
                .query_async(&mut c)
                .await?;
            Ok(count)
        })
        .await?;
    let verdict =
        if count > u64::from(limit) { Verdict::Limited((window + 1) * window_secs - now) } else { Verdict::Allowed };
    Ok((verdict, key))
}

/// Decrements only a counter that exists and is above zero: a refund never creates a key
/// without an expiry (the window may have rolled over since the hit).
const REFUND_SCRIPT: &str = r#"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"#;

/// Gives back one hit (an attempt that failed on our side should not count against the user).
pub async fn refund(kv: &Kv, name: &str, window_secs: u64) -> Result<(), KvError> {
    refund_key(kv, kv.key(&format!("rl:{name}:{}", now_secs() / window_secs))).await
}

async fn refund_key(kv: &Kv, key: String) -> Result<(), KvError> {
    kv.with_timeout(async {
        let mut c = kv.conn();
        let _: i64 = redis::Script::new(REFUND_SCRIPT).key(&key).invoke_async(&mut c).await?;
        Ok(())
    })
    .await
}

/// One counted attempt, to give back when it turns out not to count (it succeeded): the very
/// window it was counted in, even if the clock moved on to the next meanwhile.
#[derive(Debug, Clone)]
pub struct Counted(String);

/// Named limits keyed by a keyed hash of what they count (a phone, an address): no raw numbers
/// or addresses in Redis key names.
#[derive(Clone)]
pub struct Limiter {
    kv: Kv,
    secret: Vec<u8>,
}

impl Limiter {
    pub fn new(kv: Kv, secret: &[u8]) -> Self {
        Self { kv, secret: secret.to_vec() }
    }

    fn name(&self, kind: &str, value: &str) -> String {
        let h = crate::crypto::hmac_hex(&self.secret, &[kind.as_bytes(), value.as_bytes()]);
        format!("{kind}:{}", &h[..24])
    }

    /// One hit of `kind` for `value`: `max` per `window_secs`.
    pub async fn hit(&self, kind: &str, value: &str, max: u32, window_secs: u64) -> Result<Verdict, KvError> {
        hit(&self.kv, &self.name(kind, value), max, window_secs).await
    }

    /// Counts an attempt before it is evaluated: the verdict, and the count to give back with
    /// [`Limiter::give_back`] when the attempt turns out not to count.
    pub async fn count(
        &self,
        kind: &str,
        value: &str,
        max: u32,
        window_secs: u64,
    ) -> Result<(Verdict, Counted), KvError> {
        let (verdict, key) = hit_keyed(&self.kv, &self.name(kind, value), max, window_secs).await?;
        Ok((verdict, Counted(key)))
    }

    /// Counts one attempt against each of `limits` (kind, value, allowance) before it is
    /// evaluated. `Ok(Err(secs))`: over one of them, nothing of this attempt left counted;
    /// `Ok(Ok(counted))`: give those back with [`Limiter::give_back_all`] unless the attempt
    /// turns out to be a failure.
    pub async fn count_all(
        &self,
        limits: &[(&str, &str, u32)],
        window_secs: u64,
    ) -> Result<Result<Vec<Counted>, u64>, KvError> {
        let mut counted = Vec::with_capacity(limits.len());
        for (kind, value, max) in limits {
            match self.count(kind, value, *max, window_secs).await {
                Ok((verdict, c)) => {
                    counted.push(c);
                    if let Verdict::Limited(secs) = verdict {
                        self.give_back_all(&counted).await;
                        return Ok(Err(secs));
                    }
                }
                Err(e) => {
                    self.give_back_all(&counted).await;
                    return Err(e);
                }
            }
        }
        Ok(Ok(counted))
    }

    pub async fn give_back_all(&self, counted: &[Counted]) {
        for c in counted {
            self.give_back(c).await;
        }
    }

    /// Gives a counted attempt back; a Redis that fails now only leaves it counted (logged).
    pub async fn give_back(&self, counted: &Counted) {
        if let Err(e) = refund_key(&self.kv, counted.0.clone()).await {
            tracing::warn!(error = %e, "an attempt could not be given back to its limit");
        }
    }

    /// Gives the hit back (the attempt failed on our side).
    pub async fn refund(&self, kind: &str, value: &str, window_secs: u64) -> Result<(), KvError> {
        refund(&self.kv, &self.name(kind, value), window_secs).await
    }
}
