//! The devices room: `user_devices` (the only writer beside the sign-in statement, named in
//! docs/architecture.md) and the router entries a device leaves behind when it goes.
//!
//! - `store`: a user's devices, their proofs and labels, deauthorization and removal.
//! - `forget`: removing a gone device's binding and status-list entries, retried through the
//!   worker when the router is down.

mod forget;
mod store;

pub use forget::RetryError;
pub use store::{DeviceKeys, deauthorize_in, mark_seen, owner_of, remove_all_in, remove_device_in};

use crate::db::Db;
use crate::router::ops::Ops;

/// The room's handles; cheap to clone.
#[derive(Clone)]
pub struct Devices {
    pub db: Db,
    /// The managed router, when one is configured.
    pub router: Option<Ops>,
    /// Where router removals that failed go to be retried.
    pub queues: Option<hotspot_jobs::Queues>,
    /// The sites: a device's entries are removed at the site it is bound at.
    pub fleet: Option<crate::sites::fleet::Fleet>,
}

impl Devices {
    pub fn new(db: Db, router: Option<Ops>, queues: Option<hotspot_jobs::Queues>) -> Self {
        Self { db, router, queues, fleet: None }
    }

    pub fn with_fleet(self, fleet: crate::sites::fleet::Fleet) -> Self {
        Self { fleet: Some(fleet), ..self }
    }
}
