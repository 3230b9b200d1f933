//! Typed settings from environment variables (plus an optional `.env`), validated at start-up.
//!
//! Every variable is documented in `.env.example` with its default. A bad value stops start-up
//! with a message naming the variable.

mod auth;
pub mod backups;
mod hotspot;
mod jobs;
mod notify;
mod payments;
pub mod radius;
mod router;
pub mod runtime;
pub mod telegram;
#[cfg(test)]
mod tests;
mod whatsapp;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

pub use auth::AuthSettings;
pub use hotspot::HotspotSettings;
pub use jobs::JobSettings;
pub use notify::NotifySettings;
pub use payments::{MidtransSettings, PaymentSettings};
pub use router::{DEV_ROUTER_PASSWORD, RouterSettings};
pub use runtime::RuntimeSettings;
pub use whatsapp::{ProviderKind, ProviderSettings, WhatsAppSettings};

use secrecy::{ExposeSecret, SecretString};

use crate::domain::Cidr;
use crate::domain::policy::{PerStatus, RouterPolicy};

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
    /// Every request answers within this (below the proxy's own timeout).
    pub request_deadline: Duration,
    /// How long `/api/health` reuses its router and gateway checks.
    pub health_cache: Duration,
    pub public_base_url: String,
    /// The portal's name, as the frontend shows it.
    pub app_name: String,
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

    pub jwt_secret: SecretString,
    pub otp_secret: SecretString,

    pub router: Option<RouterSettings>,
    /// Seals the sites' router passwords at rest (`HOTSPOT_SITE_KEY`).
    pub site_key: router::SiteKey,
    pub whatsapp: Option<WhatsAppSettings>,
    /// Shared secret of `POST /api/webhooks/whatsapp/{provider}` (HMAC-SHA256 of the body).
    pub wa_webhook_secret: Option<SecretString>,
    /// The secret in Fonnte's status-callback URL (`/api/webhooks/fonnte/status/{secret}`):
    /// Fonnte signs nothing, so the unguessable URL is what authenticates it.
    pub fonnte_callback_secret: Option<SecretString>,
    /// JSON object of template name → text overriding the built-in Indonesian texts.
    pub wa_templates_file: Option<std::path::PathBuf>,
    pub auth: AuthSettings,
    pub hotspot: HotspotSettings,
    pub jobs: JobSettings,
    /// Lifecycle messages: quiet hours, the daily cap, expiry warnings.
    pub notify: NotifySettings,
    /// Packages on sale: Midtrans, the payment window, reconciliation.
    pub payments: PaymentSettings,
    /// What each access status means on the router (sign-in and the sync share it).
    pub policy: RouterPolicy,
    pub backups: backups::BackupSettings,
    pub telegram: Option<telegram::TelegramSettings>,
    /// RADIUS mode's endpoints (FreeRADIUS's `rest` module); none: off.
    pub radius: Option<radius::RadiusSettings>,
}

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

pub(crate) fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
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

        let (public_base_url, trusted_origins) = public_url_and_origins(src)?;
        let trusted_proxies = trusted_proxies(src)?;
        let timezone: chrono_tz::Tz = src.parse("HOTSPOT_TIMEZONE", chrono_tz::Asia::Makassar)?;
        let (database_url, redis_url, redis_prefix) = store_urls(src)?;
        let router = router::router_settings(src, env)?;
        let auth = auth::auth_settings(src)?;
        let policy = RouterPolicy {
            fup_threshold: auth.fup_threshold_bytes,
            lists: router.as_ref().map(|r| r.lists.clone()).unwrap_or_else(PerStatus::standard_lists),
            profiles: auth.profiles.clone(),
        };
        let settings = Settings {
            env,
            listen: src.parse("HOTSPOT_LISTEN", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            http_workers: src.ranged("HOTSPOT_HTTP_WORKERS", cores, 1, 256)?,
            body_limit_bytes: src.ranged("HOTSPOT_BODY_LIMIT_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024)?,
            shutdown_timeout: Duration::from_secs(src.ranged("HOTSPOT_SHUTDOWN_TIMEOUT_SECS", 30, 1, 600)?),
            request_deadline: src.millis("HOTSPOT_REQUEST_DEADLINE_MS", 20_000, 500, 120_000)?,
            health_cache: Duration::from_secs(src.ranged("HOTSPOT_HEALTH_CACHE_SECS", 10, 0, 300)?),
            public_base_url,
            app_name: src.string("HOTSPOT_APP_NAME", "Portal Hotspot"),
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
            jwt_secret: src.string("HOTSPOT_JWT_SECRET", DEV_JWT_SECRET).into(),
            otp_secret: src.string("HOTSPOT_OTP_SECRET", DEV_OTP_SECRET).into(),
            site_key: router::site_key(src, &src.string("HOTSPOT_JWT_SECRET", DEV_JWT_SECRET))?,
            router,
            whatsapp: whatsapp::whatsapp_settings(src)?,
            wa_webhook_secret: Some(src.string("HOTSPOT_WA_WEBHOOK_SECRET", ""))
                .filter(|s| !s.is_empty())
                .map(SecretString::from),
            fonnte_callback_secret: whatsapp::fonnte_callback_secret(src)?,
            radius: radius::radius_settings(src)?,
            wa_templates_file: Some(src.string("HOTSPOT_WA_TEMPLATES_FILE", ""))
                .filter(|s| !s.is_empty())
                .map(Into::into),
            auth,
            hotspot: hotspot::hotspot_settings(src, env)?,
            jobs: jobs::job_settings(src)?,
            payments: payments::payment_settings(src, env)?,
            notify: notify::notify_settings(src)?,
            policy,
            backups: backups::backup_settings(src)?,
            telegram: telegram::telegram_settings(src)?,
        };
        settings.check_secrets()?;
        Ok(settings)
    }

    fn check_secrets(&self) -> Result<(), ConfigError> {
        let secrets = [
            ("HOTSPOT_JWT_SECRET", self.jwt_secret.expose_secret(), DEV_JWT_SECRET),
            ("HOTSPOT_OTP_SECRET", self.otp_secret.expose_secret(), DEV_OTP_SECRET),
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
        if self.jwt_secret.expose_secret() == self.otp_secret.expose_secret() && self.env == Environment::Production {
            return Err(err("HOTSPOT_OTP_SECRET", "must differ from HOTSPOT_JWT_SECRET"));
        }
        let router_default =
            self.router.as_ref().is_some_and(|r| r.client.password.expose_secret() == DEV_ROUTER_PASSWORD);
        if router_default && self.env == Environment::Production {
            return Err(err("HOTSPOT_ROUTER_PASSWORD", "the development default is refused in production"));
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    /// The hosts a phone reaches before it may browse (the router's walled garden): the portal,
    /// and the payment provider's pages and API when payments are on.
    pub fn walled_garden_hosts(&self) -> Vec<String> {
        let host = |url: &str| -> Option<String> {
            let rest = url.split("://").nth(1)?;
            let authority = rest.split(['/', '?', '#']).next()?;
            let h = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let h = if h.starts_with('[') { h.split(']').next().map(|x| &x[1..]) } else { h.split(':').next() }?;
            (!h.is_empty()).then(|| h.to_ascii_lowercase())
        };
        let mut hosts: Vec<String> = Vec::new();
        let urls = std::iter::once(self.public_base_url.as_str())
            .chain(self.payments.midtrans.iter().flat_map(|m| [m.snap_base.as_str(), m.api_base.as_str()]));
        for h in urls.filter_map(host) {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
        hosts
    }
}

/// The public URL (no trailing `/`) and the origins allowed to send cookies (it among them).
fn public_url_and_origins(src: &Source<'_>) -> Result<(String, Vec<String>), ConfigError> {
    let public_base_url = src.string("HOTSPOT_PUBLIC_BASE_URL", "http://localhost:3000");
    if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
        return Err(err("HOTSPOT_PUBLIC_BASE_URL", "must start with http:// or https://"));
    }
    let public_base_url = public_base_url.trim_end_matches('/').to_owned();
    let mut trusted_origins = src.list("HOTSPOT_TRUSTED_ORIGINS", "");
    for o in &trusted_origins {
        if !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/') {
            return Err(err("HOTSPOT_TRUSTED_ORIGINS", format!("{o:?} is not an origin like https://wifi.example.id")));
        }
    }
    if !trusted_origins.contains(&public_base_url) {
        trusted_origins.push(public_base_url.clone());
    }
    Ok((public_base_url, trusted_origins))
}

/// Proxies by exact address: a whole subnet would believe any container in it.
fn trusted_proxies(src: &Source<'_>) -> Result<Vec<Cidr>, ConfigError> {
    src.list("HOTSPOT_TRUSTED_PROXIES", "127.0.0.1,::1")
        .iter()
        .map(|c| match Cidr::parse(c) {
            Ok(cidr) if cidr.is_single_address() => Ok(cidr),
            Ok(_) => Err(err("HOTSPOT_TRUSTED_PROXIES", format!("{c:?}: name each proxy by its exact address"))),
            Err(e) => Err(err("HOTSPOT_TRUSTED_PROXIES", format!("{c:?}: {e}"))),
        })
        .collect()
}

/// Postgres's URL, Redis's URL and the prefix of every Redis key.
fn store_urls(src: &Source<'_>) -> Result<(String, String, String), ConfigError> {
    let database_url = src.string("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotspot");
    if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
        return Err(err("DATABASE_URL", "must be a postgres:// URL"));
    }
    let redis_url = src.string("REDIS_URL", "redis://127.0.0.1:6379/0");
    if !["redis://", "rediss://", "unix://"].iter().any(|s| redis_url.starts_with(s)) {
        return Err(err("REDIS_URL", "must be a redis://, rediss:// or unix:// URL"));
    }
    let redis_prefix = src.string("HOTSPOT_REDIS_PREFIX", "hotspot:");
    if redis_prefix.contains(char::is_whitespace) {
        return Err(err("HOTSPOT_REDIS_PREFIX", "must not contain white space"));
    }
    Ok((database_url, redis_url, redis_prefix))
}
