//! Postgres access: the r2d2 pool, the one helper that runs diesel work on the blocking pool,
//! embedded migrations, and database creation for the demo and tests.

mod checked;
mod memory;
pub mod models;
mod prune;
pub mod schema;
pub mod types;

pub use memory::release_free_memory;
pub use prune::{Aged, CHUNK, delete_older};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, Pool, PooledConnection};

use checked::CheckedManager;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<CheckedManager>;
pub type PgConn = PooledConnection<CheckedManager>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time, or the server went away: the caller answers 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database query failed: {0}")]
    Query(#[source] DieselError),
    #[error("blocking task failed: {0}")]
    Task(String),
}

impl DbError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unavailable(_))
    }
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                // The server went away under this connection: its siblings in the pool likely
                // died with it, so checkouts are checked for a while.
                checked::raise();
                DbError::Unavailable(info.message().to_owned())
            }
            // 57014 query_canceled: our statement_timeout fired; the server is overloaded.
            DieselError::DatabaseError(_, info)
                if info.message().contains("canceling statement due to statement timeout") =>
            {
                DbError::Unavailable("statement timeout".into())
            }
            _ => DbError::Query(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

/// Every pooled connection gets a statement timeout so a stuck query cannot hold a worker, and
/// a counter of the statements it sends (benchmarks report statements per request).
#[derive(Debug)]
struct SessionSetup {
    statement_timeout_ms: u128,
    statements: Arc<AtomicU64>,
}

struct StatementCounter(Arc<AtomicU64>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "SET statement_timeout = {ms}; SET idle_in_transaction_session_timeout = {idle}; SET TIME ZONE 'UTC';",
            ms = self.statement_timeout_ms,
            idle = self.statement_timeout_ms.saturating_mul(2),
        ))
        .map_err(diesel::r2d2::Error::QueryError)?;
        // Installed after the session set-up so only the application's statements count.
        conn.set_instrumentation(StatementCounter(self.statements.clone()));
        Ok(())
    }
}

#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    statements: Arc<AtomicU64>,
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub pool_size: u32,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
}

impl Db {
    /// Builds the pool without connecting: the server starts (and reports `degraded`) while
    /// Postgres is down, and connects as soon as it is back.
    pub fn new(opts: &DbOptions) -> Self {
        let url = with_connect_timeout(&opts.url, opts.connect_timeout);
        let manager = CheckedManager::new(url);
        let statements = Arc::new(AtomicU64::new(0));
        // Checked on checkout only while suspect (see `checked`): no round trip otherwise.
        let pool = Pool::builder()
            .max_size(opts.pool_size)
            .min_idle(Some(opts.pool_size.min(2)))
            .connection_timeout(opts.connect_timeout)
            .test_on_check_out(true)
            .connection_customizer(Box::new(SessionSetup {
                statement_timeout_ms: opts.statement_timeout.as_millis(),
                statements: statements.clone(),
            }))
            .build_unchecked(manager);
        Self { pool, statements }
    }

    /// SQL statements sent through this pool so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs one unit of diesel work on the blocking pool with a pooled connection.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Like [`Db::run`], inside one transaction.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, DbError> + Send + 'static,
    {
        self.run(move |conn| conn.transaction(|tx| f(tx))).await
    }

    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }

    pub fn state(&self) -> (u32, u32, u32) {
        let s = self.pool.state();
        (self.pool.max_size(), s.connections, s.idle_connections)
    }
}

impl From<std::convert::Infallible> for DbError {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

/// libpq waits for a dead host for minutes unless told otherwise; its unit is whole seconds
/// (minimum 2).
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let secs = timeout.as_secs().max(2);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout={secs}")
}

/// Applies pending embedded migrations; returns how many ran.
/// The migrations this build carries, by version (as `__diesel_schema_migrations` stores them).
pub fn schema_versions() -> Vec<String> {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default()
}

pub fn migrate(conn: &mut PgConnection) -> Result<usize, String> {
    let applied = conn.run_pending_migrations(MIGRATIONS).map_err(|e| e.to_string())?;
    Ok(applied.len())
}

/// Splits a Postgres URL into (url of the maintenance database `postgres`, database name).
pub fn split_database_url(url: &str) -> Result<(String, String), String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").ok_or("DATABASE_URL has no scheme")? + 3;
    let slash = base[scheme_end..].find('/').map(|i| i + scheme_end).ok_or("DATABASE_URL names no database")?;
    let name = &base[slash + 1..];
    if name.is_empty() {
        return Err("DATABASE_URL names no database".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err("database name may contain only letters, digits, '_' and '-'".into());
    }
    let mut admin = format!("{}/postgres", &base[..slash]);
    if let Some(q) = query {
        admin.push('?');
        admin.push_str(q);
    }
    Ok((admin, name.to_owned()))
}

/// Creates the database named in `url` when it does not exist yet; true when it was created.
pub fn create_database_if_missing(url: &str) -> Result<bool, String> {
    let (admin_url, name) = split_database_url(url)?;
    let mut conn = PgConnection::establish(&admin_url).map_err(|e| format!("cannot connect to Postgres: {e}"))?;
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let found: Exists = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<diesel::sql_types::Text, _>(&name)
        .get_result(&mut conn)
        .map_err(|e| e.to_string())?;
    if found.exists {
        return Ok(false);
    }
    // The name was checked to be [A-Za-z0-9_-]; quoting keeps '-' legal.
    match conn.batch_execute(&format!("CREATE DATABASE \"{name}\"")) {
        Ok(()) => Ok(true),
        // Another process created it between our check and our CREATE.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) if e.to_string().contains("already exists") => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

/// Drops the database named in `url` (benchmarks clean up after themselves).
pub fn drop_database(url: &str) -> Result<(), String> {
    let (admin_url, name) = split_database_url(url)?;
    let mut conn = PgConnection::establish(&admin_url).map_err(|e| format!("cannot connect to Postgres: {e}"))?;
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).map_err(|e| e.to_string())
}

/// Text matched literally inside a LIKE pattern (its `%`, `_` and `\\` escaped).
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_database_urls() {
        let cases = [
            ("postgres://u@h:5432/hotspot", Some(("postgres://u@h:5432/postgres", "hotspot"))),
            ("postgresql://u:p@h/db_1?sslmode=disable", Some(("postgresql://u:p@h/postgres?sslmode=disable", "db_1"))),
            ("postgres://u@h:5432/", None),
            ("postgres://u@h:5432", None),
            ("postgres://u@h/bad;name", None),
        ];
        for (url, want) in cases {
            let got = split_database_url(url).ok();
            assert_eq!(got.as_ref().map(|(a, b)| (a.as_str(), b.as_str())), want, "{url}");
        }
    }

    #[test]
    fn adds_connect_timeout_once() {
        assert_eq!(
            with_connect_timeout("postgres://h/db", Duration::from_millis(500)),
            "postgres://h/db?connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?a=b", Duration::from_secs(5)),
            "postgres://h/db?a=b&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=9", Duration::from_secs(5)),
            "postgres://h/db?connect_timeout=9"
        );
    }
}
