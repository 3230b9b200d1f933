//! The sync room against Postgres, Redis and the router simulator.

mod cycles;
mod recovery;
mod sites;
