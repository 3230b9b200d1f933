//! Integration tests: one binary, real Postgres and Redis, each test in its own database and
//! Redis namespace.

mod common;

mod account;
mod admin;
mod auth;
mod bench;
mod billing;
mod boundary;
mod browser;
mod cli;
mod contract;
mod deploy;
mod foundation;
mod input;
mod metrics;
mod notify;
mod router_client;
mod schema;
mod sim_router;
mod sync;
mod worker;
