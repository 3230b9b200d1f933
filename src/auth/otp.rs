//! One-time codes in Redis. Only an HMAC of the code is stored; keys are derived from an HMAC of
//! the phone, so neither a code nor a number is readable in Redis. Wrong guesses are counted per
//! phone (not per IP or User-Agent) in one script with the lock check and the compare, so however
//! many guesses race, no more than the budget is ever evaluated; the budget survives a new code
//! within its window. Consuming a code is a compare-and-delete, so it is used once.

use std::time::Duration;

use rand::Rng;
use redis::Script;

use crate::crypto::hmac_hex;
use crate::domain::Msisdn;
use crate::kv::{Kv, KvError};

#[derive(Clone)]
pub struct OtpStore {
    kv: Kv,
    secret: Vec<u8>,
    ttl: Duration,
    cooldown: Duration,
    max_attempts: u32,
    /// How long wrong guesses count against the phone (a new code does not reset them).
    failure_window: Duration,
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

/// One atomic step per guess: the lock check, a constant-time compare and the failure count.
/// KEYS: code, failures. ARGV: the guess's hash, the failure budget, the budget's window (s).
/// Returns `{1, hash}` (right), `{0, remaining}` (wrong), `{-1, retry_after}` (locked).
const CHECK_SCRIPT: &str = r#"
local function same(a, b)
  if #a ~= #b then return false end
  local diff = 0
  for i = 1, #a do diff = bit.bor(diff, bit.bxor(string.byte(a, i), string.byte(b, i))) end
  return diff == 0
end
local max = tonumber(ARGV[2])
local fails = tonumber(redis.call('GET', KEYS[2]) or '0')
if fails >= max then return {-1, math.max(redis.call('TTL', KEYS[2]), 1)} end
local stored = redis.call('GET', KEYS[1])
if stored and same(stored, ARGV[1]) then return {1, stored} end
fails = redis.call('INCR', KEYS[2])
if redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
if fails >= max then return {-1, math.max(redis.call('TTL', KEYS[2]), 1)} end
return {0, max - fails}
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
        // At least as long as a code lives, so one code never has a fresh budget mid-way.
        let failure_window = ttl.max(Duration::from_secs(900));
        Self { kv, secret: secret.to_vec(), ttl, cooldown, max_attempts, failure_window }
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

    /// The wait between two codes to one number.
    pub fn cooldown(&self) -> Duration {
        self.cooldown
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

    /// Creates a fresh six-digit code (CSPRNG) and stores its HMAC. The failure count stays:
    /// asking for a new code buys no new guesses.
    pub async fn issue(&self, phone: &Msisdn) -> Result<String, KvError> {
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let (c, _, _) = self.keys(phone);
        let hash = self.code_hash(phone, &code);
        let ttl = self.ttl.as_secs().max(1);
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let _: () = redis::cmd("SET").arg(&c).arg(&hash).arg("EX").arg(ttl).query_async(&mut conn).await?;
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
        // The failure count stays: it is the phone's, not the code's.
        let (c, _, cd) = self.keys(phone);
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let _: () = redis::cmd("DEL").arg(&c).arg(&cd).query_async(&mut conn).await?;
                Ok(())
            })
            .await
    }

    /// Checks a guess without consuming the code. A wrong guess is counted.
    pub async fn check(&self, phone: &Msisdn, code: &str) -> Result<Check, KvError> {
        let (c, a, _) = self.keys(phone);
        let guess = self.code_hash(phone, code);
        let (max, window) = (self.max_attempts, self.failure_window.as_secs().max(1));
        self.kv
            .with_timeout(async {
                let mut conn = self.kv.conn();
                let (state, value): (i64, redis::Value) = Script::new(CHECK_SCRIPT)
                    .key(&c)
                    .key(&a)
                    .arg(&guess)
                    .arg(max)
                    .arg(window)
                    .invoke_async(&mut conn)
                    .await?;
                let check = match state {
                    1 => match redis::from_redis_value::<String>(value) {
                        Ok(hash) => Check::Valid { hash },
                        Err(e) => return Err(KvError::Command(e.to_string())),
                    },
                    0 => Check::Invalid { remaining: redis::from_redis_value::<u32>(value).unwrap_or(0) },
                    _ => Check::Locked { retry_after: redis::from_redis_value::<u64>(value).unwrap_or(1).max(1) },
                };
                // A right guess counts as verified once it is consumed.
                let outcome = match &check {
                    Check::Valid { .. } => None,
                    Check::Invalid { .. } => Some("failed"),
                    Check::Locked { .. } => Some("locked"),
                };
                if let Some(o) = outcome {
                    crate::metrics::with(|m| m.otp.with_label_values(&[o]).inc());
                }
                Ok(check)
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
