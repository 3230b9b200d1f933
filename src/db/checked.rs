//! A pool manager that checks connections only while they are suspect. Checking every checkout
//! (r2d2's `test_on_check_out`) costs a round trip per unit of work; never checking hands out
//! every connection that died in a database restart, one failed request each, until all were
//! tried (40 s of 503s after a blip). So: after a connection is found broken, every checkout
//! for the next 30 s is checked with a `SELECT 1` and a dead one replaced; otherwise none is.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection};

/// How long checkouts are checked after a broken connection was seen.
const SUSPECT_FOR: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// When connections stop being suspect (Unix ms); shared by the pool's manager and its users.
#[derive(Clone, Debug, Default)]
pub struct Suspicion(Arc<AtomicI64>);

impl Suspicion {
    /// A connection was found broken: check every checkout for a while.
    pub fn raise(&self) {
        self.0.store(now_ms() + SUSPECT_FOR.as_millis() as i64, Ordering::Relaxed);
    }

    pub fn active(&self) -> bool {
        self.0.load(Ordering::Relaxed) > now_ms()
    }
}

pub struct CheckedManager {
    inner: ConnectionManager<PgConnection>,
    suspicion: Suspicion,
}

impl CheckedManager {
    pub fn new(url: String, suspicion: Suspicion) -> Self {
        Self { inner: ConnectionManager::new(url), suspicion }
    }
}

impl ManageConnection for CheckedManager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        self.inner.connect()
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        if self.suspicion.active() { self.inner.is_valid(conn) } else { Ok(()) }
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        let broken = self.inner.has_broken(conn);
        if broken {
            self.suspicion.raise();
        }
        broken
    }
}
