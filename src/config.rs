//! Typed settings from environment variables (plus an optional `.env`), validated at start-up.
//!
//! Every variable is documented in `.env.example` with its default. A bad value stops start-up
//! with a message naming the variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::domain::Cidr;
use crate::router::RouterConfig;

/// Secrets shipped as defaults: fine for a laptop, refused in production.
pub const DEV_JWT_SECRET: &str = "dev-only-jwt-secret-change-me-0123456789abcdef";
pub const DEV_OTP_SECRET: &str = "dev-only-otp-secret-change-me-0123456789abcdef";
/// Shortest secret production accepts (bytes).
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" | "prod" => Ok(Self::Production),
            _ => Err("expected development, test or production".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "pretty" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err("expected text or json".into()),
        }
    }
}

#[derive(Clone)]
pub struct Settings {
    pub env: Environment,
    pub listen: SocketAddr,
    pub http_workers: usize,
    pub body_limit_bytes: usize,
    pub shutdown_timeout: Duration,
    pub public_base_url: String,
    pub trusted_origins: Vec<String>,
    pub trusted_proxies: Vec<Cidr>,
    pub timezone: chrono_tz::Tz,
    pub log_filter: String,
    pub log_format: LogFormat,

    pub database_url: String,
    pub db_pool_size: u32,
    pub db_connect_timeout: Duration,
    pub db_statement_timeout: Duration,

    pub redis_url: String,
    pub redis_prefix: String,
    pub redis_timeout: Duration,

    pub jwt_secret: String,
    pub otp_secret: String,

    pub router: Option<RouterSettings>,
    pub whatsapp: Option<WhatsAppSettings>,
    /// Shared secret of `POST /api/webhooks/whatsapp/{provider}` (HMAC-SHA256 of the body).
    pub wa_webhook_secret: Option<String>,
    /// JSON object of template name → text overriding the built-in Indonesian texts.
    pub wa_templates_file: Option<std::path::PathBuf>,
    pub auth: AuthSettings,
    pub jobs: JobSettings,
}

/// The worker: schedules, queues, retries.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Quota sync every this often (aligned to the epoch, so every process ticks together).
    pub sync_interval: Duration,
    /// Deadline of one sync attempt.
    pub sync_timeout: Duration,
    /// Cron (6 fields, seconds first, operator's timezone) of the refresh-token cleanup.
    pub token_cleanup_cron: cron::Schedule,
    /// Cron of the stale-device cleanup.
    pub device_cleanup_cron: cron::Schedule,
    /// How often an idle worker polls the Redis queues.
    pub poll_interval: Duration,
    /// Extra attempts of a failed job (with exponential backoff).
    pub retries: usize,
    /// Usage transactions of one sync cycle run side by side (each on its own connection).
    pub sync_writers: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// The gateway API of the seed system (`/api/whatsapp/send-message`).
    Seed,
    Fonnte,
}

#[derive(Clone)]
pub struct ProviderSettings {
    pub kind: ProviderKind,
    pub base_url: String,
    pub token: Option<String>,
}

#[derive(Clone)]
pub struct WhatsAppSettings {
    pub primary: ProviderSettings,
    pub secondary: Option<ProviderSettings>,
    pub timeout: Duration,
    /// Extra attempts after a network error or a 5xx, with doubling backoff.
    pub retries: u32,
}

/// Session, OTP and device rules.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// A rotated refresh token presented again within this window (another tab) is not reuse.
    pub refresh_grace: Duration,
    pub otp_ttl: Duration,
    pub otp_cooldown: Duration,
    pub otp_max_attempts: u32,
    pub otp_per_phone_per_hour: u32,
    pub otp_per_ip_per_hour: u32,
    pub device_limit: usize,
    pub device_stale_after: Duration,
    pub session_token_ttl: Duration,
    pub fup_threshold_bytes: i64,
    /// Hotspot user profile per status (active, fup, habis, expired, blocked, inactive, unlimited).
    pub profiles: std::collections::BTreeMap<String, String>,
}

/// The RouterOS router the backend manages (`HOTSPOT_ROUTER_ADDR` empty: none).
#[derive(Clone)]
pub struct RouterSettings {
    /// Connection, timeouts, breaker: what the client needs.
    pub client: RouterConfig,
    pub comment_prefix: String,
    pub hotspot_server: String,
    pub lists: StatusLists,
}

/// Address-list names, one per access status.
#[derive(Debug, Clone)]
pub struct StatusLists {
    pub active: String,
    pub fup: String,
    pub habis: String,
    pub expired: String,
    pub blocked: String,
    pub inactive: String,
}

impl StatusLists {
    pub fn all(&self) -> Vec<String> {
        [&self.active, &self.fup, &self.habis, &self.expired, &self.blocked, &self.inactive]
            .into_iter()
            .cloned()
            .collect()
    }
}

pub const DEV_ROUTER_PASSWORD: &str = "sim-password";

/// Secrets never reach Debug output (settings are logged at start-up in debug builds).
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field("listen", &self.listen)
            .field("http_workers", &self.http_workers)
            .field("public_base_url", &self.public_base_url)
            .field("timezone", &self.timezone)
            .field("db_pool_size", &self.db_pool_size)
            .field("redis_prefix", &self.redis_prefix)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError { var, reason: reason.into() }
}

/// Reads settings from a key/value source; the process environment in production, a map in tests.
pub struct Source<'a> {
    vars: &'a HashMap<String, String>,
}

impl<'a> Source<'a> {
    pub fn new(vars: &'a HashMap<String, String>) -> Self {
        Self { vars }
    }

    pub fn raw(&self, var: &'static str) -> Option<&'a str> {
        self.vars.get(var).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    fn string(&self, var: &'static str, default: &str) -> String {
        self.raw(var).unwrap_or(default).to_owned()
    }

    fn parse<T: FromStr>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.raw(var) {
            None => Ok(default),
            Some(v) => v.parse::<T>().map_err(|e| err(var, format!("{v:?}: {e}"))),
        }
    }

    fn ranged<T>(&self, var: &'static str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
        T::Err: std::fmt::Display,
    {
        let v = self.parse(var, default)?;
        if v < min || v > max {
            return Err(err(var, format!("{v} is outside {min}..={max}")));
        }
        Ok(v)
    }

    fn millis(&self, var: &'static str, default: u64, min: u64, max: u64) -> Result<Duration, ConfigError> {
        self.ranged(var, default, min, max).map(Duration::from_millis)
    }

    fn list(&self, var: &'static str, default: &str) -> Vec<String> {
        self.raw(var).unwrap_or(default).split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    }
}

impl Settings {
    /// Loads `.env` (if present) into the environment, then reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is not.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(err("(.env file)", e.to_string())),
        }
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_source(&Source::new(&vars))
    }

    pub fn from_source(src: &Source<'_>) -> Result<Self, ConfigError> {
        let env: Environment = src.parse("HOTSPOT_ENV", Environment::Development)?;
        let default_format = if env == Environment::Production { LogFormat::Json } else { LogFormat::Text };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);

        let public_base_url = src.string("HOTSPOT_PUBLIC_BASE_URL", "http://localhost:3000");
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(err("HOTSPOT_PUBLIC_BASE_URL", "must start with http:// or https://"));
        }
        let public_base_url = public_base_url.trim_end_matches('/').to_owned();

        let mut trusted_origins = src.list("HOTSPOT_TRUSTED_ORIGINS", "");
        for o in &trusted_origins {
            if !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/') {
                return Err(err(
                    "HOTSPOT_TRUSTED_ORIGINS",
                    format!("{o:?} is not an origin like https://wifi.example.id"),
                ));
            }
        }
        if !trusted_origins.contains(&public_base_url) {
            trusted_origins.push(public_base_url.clone());
        }

        let trusted_proxies = src
            .list("HOTSPOT_TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
            .iter()
            .map(|c| Cidr::parse(c).map_err(|e| err("HOTSPOT_TRUSTED_PROXIES", format!("{c:?}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;

        let timezone: chrono_tz::Tz = src.parse("HOTSPOT_TIMEZONE", chrono_tz::Asia::Makassar)?;

        let database_url = src.string("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotspot");
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(err("DATABASE_URL", "must be a postgres:// URL"));
        }
        let redis_url = src.string("REDIS_URL", "redis://127.0.0.1:6379/0");
        if !(redis_url.starts_with("redis://")
            || redis_url.starts_with("rediss://")
            || redis_url.starts_with("unix://"))
        {
            return Err(err("REDIS_URL", "must be a redis://, rediss:// or unix:// URL"));
        }
        let redis_prefix = src.string("HOTSPOT_REDIS_PREFIX", "hotspot:");
        if redis_prefix.contains(char::is_whitespace) {
            return Err(err("HOTSPOT_REDIS_PREFIX", "must not contain white space"));
        }

        let settings = Settings {
            env,
            listen: src.parse("HOTSPOT_LISTEN", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            http_workers: src.ranged("HOTSPOT_HTTP_WORKERS", cores, 1, 256)?,
            body_limit_bytes: src.ranged("HOTSPOT_BODY_LIMIT_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024)?,
            shutdown_timeout: Duration::from_secs(src.ranged("HOTSPOT_SHUTDOWN_TIMEOUT_SECS", 30, 1, 600)?),
            public_base_url,
            trusted_origins,
            trusted_proxies,
            timezone,
            log_filter: src.string("HOTSPOT_LOG", "info"),
            log_format: src.parse("HOTSPOT_LOG_FORMAT", default_format)?,
            database_url,
            // A few busy connections per core: more only queue in the kernel's scheduler instead
            // of the pool (bench auth on 2 cores: verify-otp p99 41 ms at 8, 56 ms at 16).
            db_pool_size: src.ranged("HOTSPOT_DB_POOL_SIZE", (cores as u32 * 4).clamp(4, 32), 1, 512)?,
            db_connect_timeout: src.millis("HOTSPOT_DB_CONNECT_TIMEOUT_MS", 2_000, 100, 60_000)?,
            db_statement_timeout: src.millis("HOTSPOT_DB_STATEMENT_TIMEOUT_MS", 5_000, 100, 600_000)?,
            redis_url,
            redis_prefix,
            redis_timeout: src.millis("HOTSPOT_REDIS_TIMEOUT_MS", 1_000, 50, 60_000)?,
            jwt_secret: src.string("HOTSPOT_JWT_SECRET", DEV_JWT_SECRET),
            otp_secret: src.string("HOTSPOT_OTP_SECRET", DEV_OTP_SECRET),
            router: router_settings(src)?,
            whatsapp: whatsapp_settings(src)?,
            wa_webhook_secret: Some(src.string("HOTSPOT_WA_WEBHOOK_SECRET", "")).filter(|s| !s.is_empty()),
            wa_templates_file: Some(src.string("HOTSPOT_WA_TEMPLATES_FILE", ""))
                .filter(|s| !s.is_empty())
                .map(Into::into),
            auth: auth_settings(src)?,
            jobs: job_settings(src)?,
        };
        settings.check_secrets()?;
        Ok(settings)
    }

    fn check_secrets(&self) -> Result<(), ConfigError> {
        let secrets = [
            ("HOTSPOT_JWT_SECRET", &self.jwt_secret, DEV_JWT_SECRET),
            ("HOTSPOT_OTP_SECRET", &self.otp_secret, DEV_OTP_SECRET),
        ];
        for (var, value, default) in secrets {
            if self.env == Environment::Production {
                if value == default {
                    return Err(err(var, "the development default is refused in production; set a random secret"));
                }
                if value.len() < MIN_SECRET_LEN {
                    return Err(err(var, format!("must be at least {MIN_SECRET_LEN} bytes in production")));
                }
            }
        }
        if self.jwt_secret == self.otp_secret && self.env == Environment::Production {
            return Err(err("HOTSPOT_OTP_SECRET", "must differ from HOTSPOT_JWT_SECRET"));
        }
        let router_default = self.router.as_ref().is_some_and(|r| r.client.password == DEV_ROUTER_PASSWORD);
        if router_default && self.env == Environment::Production {
            return Err(err("HOTSPOT_ROUTER_PASSWORD", "the development default is refused in production"));
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

fn provider(src: &Source<'_>, prefix: Prefix) -> Result<Option<ProviderSettings>, ConfigError> {
    let (kind_var, url_var, token_var) = prefix.vars();
    let base_url = src.string(url_var, "");
    if base_url.is_empty() {
        return Ok(None);
    }
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(err(url_var, "must start with http:// or https://"));
    }
    let kind = match src.string(kind_var, "seed").as_str() {
        "seed" | "gateway" => ProviderKind::Seed,
        "fonnte" => ProviderKind::Fonnte,
        _ => return Err(err(kind_var, "expected seed or fonnte")),
    };
    let token = Some(src.string(token_var, "")).filter(|t| !t.is_empty());
    if kind == ProviderKind::Fonnte && token.is_none() {
        return Err(err(token_var, "Fonnte needs its device token"));
    }
    Ok(Some(ProviderSettings { kind, base_url: base_url.trim_end_matches('/').to_owned(), token }))
}

#[derive(Clone, Copy)]
enum Prefix {
    Primary,
    Secondary,
}

impl Prefix {
    fn vars(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Prefix::Primary => ("HOTSPOT_WA_PROVIDER", "HOTSPOT_WA_BASE_URL", "HOTSPOT_WA_TOKEN"),
            Prefix::Secondary => {
                ("HOTSPOT_WA_SECONDARY_PROVIDER", "HOTSPOT_WA_SECONDARY_BASE_URL", "HOTSPOT_WA_SECONDARY_TOKEN")
            }
        }
    }
}

fn whatsapp_settings(src: &Source<'_>) -> Result<Option<WhatsAppSettings>, ConfigError> {
    let Some(primary) = provider(src, Prefix::Primary)? else {
        if src.raw("HOTSPOT_WA_SECONDARY_BASE_URL").is_some() {
            return Err(err("HOTSPOT_WA_BASE_URL", "a secondary provider needs a primary one"));
        }
        return Ok(None);
    };
    Ok(Some(WhatsAppSettings {
        primary,
        secondary: provider(src, Prefix::Secondary)?,
        timeout: src.millis("HOTSPOT_WA_TIMEOUT_MS", 5_000, 100, 60_000)?,
        retries: src.ranged("HOTSPOT_WA_RETRIES", 2, 0, 10)?,
    }))
}

const STATUS_NAMES: [&str; 7] = ["active", "fup", "habis", "expired", "blocked", "inactive", "unlimited"];

fn auth_settings(src: &Source<'_>) -> Result<AuthSettings, ConfigError> {
    let secs = |var, default, min, max| -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(src.ranged(var, default, min, max)?))
    };
    let mut profiles: std::collections::BTreeMap<String, String> = STATUS_NAMES
        .iter()
        .map(|s| ((*s).to_owned(), if *s == "active" { "default".to_owned() } else { (*s).to_owned() }))
        .collect();
    for pair in src.list("HOTSPOT_ROUTER_PROFILES", "") {
        let Some((status, profile)) = pair.split_once('=') else {
            return Err(err("HOTSPOT_ROUTER_PROFILES", format!("{pair:?} is not status=profile")));
        };
        if !STATUS_NAMES.contains(&status.trim()) || profile.trim().is_empty() {
            return Err(err(
                "HOTSPOT_ROUTER_PROFILES",
                format!("{pair:?}: status must be one of {}", STATUS_NAMES.join(", ")),
            ));
        }
        profiles.insert(status.trim().to_owned(), profile.trim().to_owned());
    }
    let fup_gib: u32 = src.ranged("HOTSPOT_FUP_THRESHOLD_GIB", 3, 0, 10_000)?;
    Ok(AuthSettings {
        access_ttl: secs("HOTSPOT_ACCESS_TOKEN_TTL_SECS", 1_800, 60, 86_400)?,
        refresh_ttl: secs("HOTSPOT_REFRESH_TOKEN_TTL_DAYS", 30, 1, 365)?.saturating_mul(86_400),
        refresh_grace: secs("HOTSPOT_REFRESH_GRACE_SECS", 10, 0, 300)?,
        otp_ttl: secs("HOTSPOT_OTP_TTL_SECS", 300, 30, 3_600)?,
        otp_cooldown: secs("HOTSPOT_OTP_COOLDOWN_SECS", 60, 0, 3_600)?,
        otp_max_attempts: src.ranged("HOTSPOT_OTP_MAX_ATTEMPTS", 5, 1, 100)?,
        otp_per_phone_per_hour: src.ranged("HOTSPOT_OTP_PER_PHONE_PER_HOUR", 5, 1, 10_000)?,
        otp_per_ip_per_hour: src.ranged("HOTSPOT_OTP_PER_IP_PER_HOUR", 30, 1, 1_000_000)?,
        device_limit: src.ranged("HOTSPOT_DEVICE_LIMIT", 3, 1, 100)?,
        device_stale_after: secs("HOTSPOT_DEVICE_STALE_DAYS", 30, 1, 3_650)?.saturating_mul(86_400),
        session_token_ttl: secs("HOTSPOT_SESSION_TOKEN_TTL_SECS", 120, 10, 3_600)?,
        fup_threshold_bytes: i64::from(fup_gib) * 1024 * 1024 * 1024,
        profiles,
    })
}

fn job_settings(src: &Source<'_>) -> Result<JobSettings, ConfigError> {
    let cron = |var: &'static str, default: &str| -> Result<cron::Schedule, ConfigError> {
        hotspot_jobs::parse_cron(&src.string(var, default)).map_err(|e| err(var, e))
    };
    Ok(JobSettings {
        sync_interval: Duration::from_secs(src.ranged("HOTSPOT_SYNC_INTERVAL_SECS", 300, 10, 86_400)?),
        sync_timeout: Duration::from_secs(src.ranged("HOTSPOT_SYNC_TIMEOUT_SECS", 600, 10, 7_200)?),
        token_cleanup_cron: cron("HOTSPOT_CRON_TOKEN_CLEANUP", "0 15 * * * *")?,
        device_cleanup_cron: cron("HOTSPOT_CRON_DEVICE_CLEANUP", "0 30 3 * * *")?,
        poll_interval: src.millis("HOTSPOT_JOB_POLL_MS", 1_000, 50, 60_000)?,
        retries: src.ranged("HOTSPOT_JOB_RETRIES", 3, 0, 20)?,
        sync_writers: src.ranged("HOTSPOT_SYNC_WRITERS", 2, 1, 16)?,
    })
}

impl RouterSettings {
    /// Defaults for a router at `addr` (the demo's simulator).
    pub fn with_defaults(addr: &str) -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = [("HOTSPOT_ROUTER_ADDR".to_owned(), addr.to_owned())].into_iter().collect();
        router_settings(&Source::new(&vars))?.ok_or_else(|| err("HOTSPOT_ROUTER_ADDR", "empty"))
    }
}

fn router_settings(src: &Source<'_>) -> Result<Option<RouterSettings>, ConfigError> {
    let addr = src.string("HOTSPOT_ROUTER_ADDR", "");
    if addr.is_empty() {
        return Ok(None);
    }
    let tls: bool = src.parse("HOTSPOT_ROUTER_TLS", false)?;
    // host:port, with the API's default port when none is given.
    let addr = if addr.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        addr
    } else {
        format!("{addr}:{}", if tls { 8729 } else { 8728 })
    };
    let list = |var: &'static str, default: &str| -> Result<String, ConfigError> {
        let v = src.string(var, default);
        if v.is_empty() || v.contains(char::is_whitespace) || v.contains(',') {
            return Err(err(var, "must be one address-list name without spaces or commas"));
        }
        Ok(v)
    };
    let lists = StatusLists {
        active: list("HOTSPOT_ROUTER_LIST_ACTIVE", "hs_active")?,
        fup: list("HOTSPOT_ROUTER_LIST_FUP", "hs_fup")?,
        habis: list("HOTSPOT_ROUTER_LIST_HABIS", "hs_habis")?,
        expired: list("HOTSPOT_ROUTER_LIST_EXPIRED", "hs_expired")?,
        blocked: list("HOTSPOT_ROUTER_LIST_BLOCKED", "hs_blocked")?,
        inactive: list("HOTSPOT_ROUTER_LIST_INACTIVE", "hs_inactive")?,
    };
    let mut names = lists.all();
    names.sort();
    names.dedup();
    if names.len() != 6 {
        return Err(err("HOTSPOT_ROUTER_LIST_ACTIVE", "the six status lists must have six different names"));
    }
    let comment_prefix = src.string("HOTSPOT_ROUTER_COMMENT_PREFIX", "hotspot:");
    if comment_prefix.len() < 3 {
        return Err(err(
            "HOTSPOT_ROUTER_COMMENT_PREFIX",
            "must be at least 3 characters (it marks the entries we own)",
        ));
    }
    let mut client = RouterConfig::new(
        "main",
        &addr,
        &src.string("HOTSPOT_ROUTER_USERNAME", "admin"),
        &src.string("HOTSPOT_ROUTER_PASSWORD", DEV_ROUTER_PASSWORD),
    );
    client.tls = tls;
    client.connect_timeout = src.millis("HOTSPOT_ROUTER_CONNECT_TIMEOUT_MS", 3_000, 100, 60_000)?;
    client.command_timeout = src.millis("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", 10_000, 100, 600_000)?;
    client.keepalive = Duration::from_secs(src.ranged("HOTSPOT_ROUTER_KEEPALIVE_SECS", 30, 0, 3_600)?);
    client.max_in_flight = src.ranged("HOTSPOT_ROUTER_MAX_IN_FLIGHT", 64, 1, 1_024)?;
    client.breaker_threshold = src.ranged("HOTSPOT_ROUTER_BREAKER_THRESHOLD", 5, 1, 1_000)?;
    client.breaker_open_for = Duration::from_secs(src.ranged("HOTSPOT_ROUTER_BREAKER_OPEN_SECS", 15, 1, 3_600)?);
    Ok(Some(RouterSettings {
        client,
        comment_prefix,
        hotspot_server: src.string("HOTSPOT_ROUTER_HOTSPOT_SERVER", "all"),
        lists,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_source(&Source::new(&vars))
    }

    #[test]
    fn defaults_load() {
        let s = load(&[]).unwrap();
        assert_eq!(s.env, Environment::Development);
        assert_eq!(s.listen.port(), 8080);
        assert_eq!(s.timezone, chrono_tz::Asia::Makassar);
        assert_eq!(s.trusted_origins, vec!["http://localhost:3000".to_string()]);
        assert_eq!(s.log_format, LogFormat::Text);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases: &[(&str, &str)] = &[
            ("HOTSPOT_ENV", "staging"),
            ("HOTSPOT_LISTEN", "8080"),
            ("HOTSPOT_HTTP_WORKERS", "0"),
            ("HOTSPOT_DB_POOL_SIZE", "many"),
            ("HOTSPOT_TIMEZONE", "Mars/Olympus"),
            ("HOTSPOT_TRUSTED_PROXIES", "10.0.0.0/40"),
            ("HOTSPOT_TRUSTED_ORIGINS", "wifi.example.id"),
            ("HOTSPOT_PUBLIC_BASE_URL", "wifi.example.id"),
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "localhost:6379"),
            ("HOTSPOT_REDIS_TIMEOUT_MS", "1"),
            ("HOTSPOT_LOG_FORMAT", "xml"),
            ("HOTSPOT_SYNC_WRITERS", "0"),
        ];
        let router_cases: &[(&str, &str)] = &[
            ("HOTSPOT_ROUTER_TLS", "maybe"),
            ("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", "5"),
            ("HOTSPOT_ROUTER_LIST_FUP", "hs fup"),
            ("HOTSPOT_ROUTER_LIST_ACTIVE", "hs_fup"),
            ("HOTSPOT_ROUTER_COMMENT_PREFIX", "h"),
            ("HOTSPOT_ROUTER_MAX_IN_FLIGHT", "0"),
        ];
        for (var, value) in router_cases {
            let e = load(&[("HOTSPOT_ROUTER_ADDR", "10.0.0.1"), (var, value)])
                .err()
                .unwrap_or_else(|| panic!("{var}={value} accepted"));
            assert_eq!(e.var, *var, "{var}={value}: {e}");
        }
        for (var, value) in cases {
            let e = load(&[(var, value)]).err().unwrap_or_else(|| panic!("{var}={value} accepted"));
            assert_eq!(e.var, *var, "{var}={value}: {e}");
            assert!(e.to_string().contains(var));
        }
    }

    #[test]
    fn production_refuses_default_and_short_secrets() {
        let long = "x".repeat(40);
        let other = "y".repeat(40);
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: &[Case] = &[
            (&[("HOTSPOT_ENV", "production")], Some("HOTSPOT_JWT_SECRET")),
            (&[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long)], Some("HOTSPOT_OTP_SECRET")),
            (
                &[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", "short"), ("HOTSPOT_OTP_SECRET", &other)],
                Some("HOTSPOT_JWT_SECRET"),
            ),
            (
                &[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long), ("HOTSPOT_OTP_SECRET", &long)],
                Some("HOTSPOT_OTP_SECRET"),
            ),
            (&[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long), ("HOTSPOT_OTP_SECRET", &other)], None),
            (&[("HOTSPOT_ENV", "development")], None),
        ];
        for (pairs, want) in cases {
            let got = load(pairs).err().map(|e| e.var);
            assert_eq!(got, *want, "{pairs:?}");
        }
        let prod =
            load(&[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long), ("HOTSPOT_OTP_SECRET", &other)])
                .unwrap();
        assert_eq!(prod.log_format, LogFormat::Json);
    }

    #[test]
    fn router_is_optional_and_gets_a_default_port() {
        assert!(load(&[]).unwrap().router.is_none());
        let r = load(&[("HOTSPOT_ROUTER_ADDR", "10.0.0.1")]).unwrap().router.unwrap();
        assert_eq!(r.client.addr, "10.0.0.1:8728");
        assert_eq!(r.lists.all().len(), 6);
        let tls =
            load(&[("HOTSPOT_ROUTER_ADDR", "router.lan"), ("HOTSPOT_ROUTER_TLS", "true")]).unwrap().router.unwrap();
        assert_eq!(tls.client.addr, "router.lan:8729");
        let long = "x".repeat(40);
        let other = "y".repeat(40);
        let prod = load(&[
            ("HOTSPOT_ENV", "production"),
            ("HOTSPOT_JWT_SECRET", &long),
            ("HOTSPOT_OTP_SECRET", &other),
            ("HOTSPOT_ROUTER_ADDR", "10.0.0.1"),
        ]);
        assert_eq!(prod.err().map(|e| e.var), Some("HOTSPOT_ROUTER_PASSWORD"));
    }

    #[test]
    fn lists_and_origins() {
        let s = load(&[
            ("HOTSPOT_TRUSTED_ORIGINS", "https://wifi.example.id, https://admin.example.id"),
            ("HOTSPOT_PUBLIC_BASE_URL", "https://wifi.example.id/"),
            ("HOTSPOT_TRUSTED_PROXIES", "10.0.0.0/8, 172.16.0.0/12"),
        ])
        .unwrap();
        assert_eq!(s.public_base_url, "https://wifi.example.id");
        assert_eq!(s.trusted_origins.len(), 2);
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(format!("{s:?}").find("jwt").is_none());
    }
}
