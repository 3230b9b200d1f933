//! The router peer: the resilient client and the RouterOS simulator over sockets.

mod client;
mod simulator;
