//! One-time codes in Redis. Only an HMAC of the code is stored; keys are derived from an HMAC of
//! the phone, so neither a code nor a number is readable in Redis. Guesses are counted per phone
//! (not per IP or User-Agent), and consuming a code is a compare-and-delete, so it is used once.

use std::time::Duration;

use rand::Rng;
use redis::Script;

use super::crypto::{ct_eq, hmac_hex};
use crate::domain::Msisdn;
use crate::kv::{Kv, KvError};

#[derive(Clone)]
pub struct OtpStore {
    kv: Kv,
    secret: Vec<u8>,
    ttl: Duration,
    cooldown: Duration,
    max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The code matches; `hash` identifies it for [`OtpStore::consume`].
    Valid { hash: String },
    /// Wrong or expired; `remaining` guesses before the lock.
    Invalid { remaining: u32 },
    /// Too many wrong guesses: the code is dead; retry after this many seconds.
    Locked { retry_after: u64 },
}

const CHECK_SCRIPT: &str = r#"
local attempts = tonumber(redis.call('GET', KEYS[2]) or '0')
if attempts >= tonumber(ARGV[1]) then
  return {-1, redis.call('TTL', KEYS[2])}
end
local h = redis.call('GET', KEYS[1])
if not h then return {0, 0} end
return {1, h}
"#;

/// Counts a wrong guess (creating the counter with the code's lifetime if the code expired).
const FAIL_SCRIPT: &str = r#"
local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"#;

/// Compare-and-delete: only the holder of the matching hash consumes the code.
const CONSUME_SCRIPT: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"#;

impl OtpStore {
    pub fn new(kv: Kv, secret: &[u8], ttl: Duration, cooldown: Duration, max_attempts: u32) -> Self {
        Self { kv, secret: secret.to_vec(), ttl, cooldown, max_attempts }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The per-phone part of every key: an HMAC, so keys do not reveal numbers.
    pub fn phone_key(&self, phone: &Msisdn) -> String {
        hmac_hex(&self.secret, &[b"phone", phone.as_e164().as_bytes()])[..32].to_owned()
    }

    fn keys(&self, phone: &Msisdn) -> (String, String, String) {
        let pk = self.phone_key(phone);
        (self.kv.key(&format!("otp:c:{pk}")), self.kv.key(&format!("otp:a:{pk}")), self.kv.key(&format!("otp:cd:{pk}")))
    }

    fn code_hash(&self, phone: &Msisdn, code: &str) -> String {
        hmac_hex(&self.secret, &[b"code", phone.as_e164().as_bytes(), code.as_bytes()])
    }

    /// Takes the cooldown slot (fails with the seconds left if it is taken). Doubles as a lock
    /// against two concurrent requests for the same phone.
    pub async fn take_cooldown(&self, phone: &Msisdn) -> Result<Result<(), u64>, KvError> {
        let (_, _, cd) = self.keys(phone);
        let secs = self.cooldown.as_secs();
        if secs == 0 {
            return Ok(Ok(()));
        }
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let set: Option<String> =
                    redis::cmd("SET").arg(&cd).arg("1").arg("NX").arg("EX").arg(secs).query_async(&mut c).await?;
                if set.is_some() {
                    return Ok(Ok(()));
                }
                let ttl: i64 = redis::cmd("TTL").arg(&cd).query_async(&mut c).await?;
                Ok(Err(ttl.max(1) as u64))
            })
            .await
    }

    /// Creates a fresh six-digit code (CSPRNG), stores its HMAC and resets the guess counter.
    pub async fn issue(&self, phone: &Msisdn) -> Result<String, KvError> {
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let (c, a, _) = self.keys(phone);
        let hash = self.code_hash(phone, &code);
        let ttl = self.ttl.as_secs().max(1);
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let _: () = redis::pipe()
                    .atomic()
                    .set_ex(&c, &hash, ttl)
                    .ignore()
                    .del(&a)
                    .ignore()
                    .query_async(&mut conn)
                    .await?;
                Ok(())
            })
            .await?;
        Ok(code)
    }

    /// Frees the cooldown slot (a request refused after taking it).
    pub async fn release_cooldown(&self, phone: &Msisdn) -> Result<(), KvError> {
        let (_, _, cd) = self.keys(phone);
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let _: () = redis::cmd("DEL").arg(&cd).query_async(&mut conn).await?;
                Ok(())
            })
            .await
    }

    /// Undoes [`issue`] and [`take_cooldown`] when the code could not be sent: no code is
    /// left behind and the cooldown is not burned.
    pub async fn withdraw(&self, phone: &Msisdn) -> Result<(), KvError> {
        let (c, a, cd) = self.keys(phone);
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let _: () = redis::cmd("DEL").arg(&c).arg(&a).arg(&cd).query_async(&mut conn).await?;
                Ok(())
            })
            .await
    }

    /// Checks a guess without consuming the code. A wrong guess is counted.
    pub async fn check(&self, phone: &Msisdn, code: &str) -> Result<Check, KvError> {
        let (c, a, _) = self.keys(phone);
        let guess = self.code_hash(phone, code);
        let max = self.max_attempts;
        let ttl = self.ttl.as_secs().max(1);
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let (state, value): (i64, redis::Value) =
                    Script::new(CHECK_SCRIPT).key(&c).key(&a).arg(max).invoke_async(&mut conn).await?;
                if state == -1 {
                    let retry: i64 = redis::from_redis_value(value).unwrap_or(1);
                    return Ok(Check::Locked { retry_after: retry.max(1) as u64 });
                }
                let stored: Option<String> = if state == 1 { redis::from_redis_value(value).ok() } else { None };
                if let Some(h) = stored.filter(|h| ct_eq(h.as_bytes(), guess.as_bytes())) {
                    return Ok(Check::Valid { hash: h });
                }
                let n: u32 = Script::new(FAIL_SCRIPT).key(&a).arg(ttl).invoke_async(&mut conn).await?;
                if n >= max {
                    let retry: i64 = redis::cmd("TTL").arg(&a).query_async(&mut conn).await?;
                    return Ok(Check::Locked { retry_after: retry.max(1) as u64 });
                }
                Ok(Check::Invalid { remaining: max - n })
            })
            .await
    }

    /// Uses the code up; false when it was already consumed (or replaced) meanwhile.
    pub async fn consume(&self, phone: &Msisdn, hash: &str) -> Result<bool, KvError> {
        let (c, a, _) = self.keys(phone);
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let n: i64 = Script::new(CONSUME_SCRIPT).key(&c).key(&a).arg(hash).invoke_async(&mut conn).await?;
                Ok(n == 1)
            })
            .await
    }
}
