//! The billing room over HTTP against the Midtrans simulator.

mod abuse;
mod core_api;
mod debts;
mod documents;
mod sales;
mod sites;
