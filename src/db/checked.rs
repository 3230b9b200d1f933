//! A pool manager that checks connections only while they are suspect. Checking every checkout
//! (r2d2's `test_on_check_out`) costs a round trip per unit of work; never checking hands out
//! every connection that died in a database restart, one failed request each, until all were
//! tried (40 s of 503s after a blip). So: after a connection is found broken, every checkout
//! for the next 30 s is checked with a `SELECT 1` and a dead one replaced; otherwise none is.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection};

/// How long checkouts are checked after a broken connection was seen.
const SUSPECT_FOR: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Until when (Unix ms) checkouts are checked. One for the process: its pools talk to one
/// server, and a lost connection is noticed wherever diesel's error is turned into ours
/// (including work that hands back `Ok(Err(…))`), which knows no pool.
static SUSPECT_UNTIL: AtomicI64 = AtomicI64::new(0);

/// A connection was found lost (closed, or a command could not be sent): check every checkout
/// for a while. Not for statement timeouts or a busy pool: those are load, not dead sockets.
pub fn raise() {
    SUSPECT_UNTIL.store(now_ms() + SUSPECT_FOR.as_millis() as i64, Ordering::Relaxed);
}

fn active() -> bool {
    SUSPECT_UNTIL.load(Ordering::Relaxed) > now_ms()
}

pub struct CheckedManager {
    inner: ConnectionManager<PgConnection>,
}

impl CheckedManager {
    pub fn new(url: String) -> Self {
        Self { inner: ConnectionManager::new(url) }
    }
}

impl ManageConnection for CheckedManager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        self.inner.connect()
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        if active() { self.inner.is_valid(conn) } else { Ok(()) }
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        let broken = self.inner.has_broken(conn);
        if broken {
            raise();
        }
        broken
    }
}
