//! WhatsApp gateways as peers: the gateway trait with its adapters (the seed gateway's HTTP
//! API, Fonnte), the pairing QR as a picture, and the seed gateway's real-time receipts. What
//! is sent and its paper trail are the notify room's.

pub mod gateway;
pub mod qr;
pub mod reports;
pub mod seed_events;

pub use gateway::{Gateway, GatewayError};
