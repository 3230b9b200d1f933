//! WhatsApp: the gateway trait with its adapters, message templates, and the messenger that logs,
//! retries and fails over.

pub mod gateway;
pub mod messenger;
pub mod qr;
pub mod seed_events;
pub mod templates;

pub use gateway::{Gateway, GatewayError};
pub use messenger::{Messenger, SendError};
pub use templates::Templates;
