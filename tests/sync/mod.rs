//! The sync room against Postgres, Redis and the router simulator.

mod cycles;
mod housekeeping;
mod recovery;
mod sites;
