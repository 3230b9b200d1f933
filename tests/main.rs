//! Integration tests: one binary (it links once), in folders by room and door; real Postgres and
//! Redis, each test in its own database and Redis namespace, peers simulated over sockets.

mod common;

mod accounts;
mod admin;
mod billing;
mod captive;
mod cli;
mod db;
mod deploy;
mod docs;
mod http;
mod layout;
mod notify;
mod radius;
mod router;
mod sync;
mod worker;
