//! Simulators of the system's external peers, for development, the demo and tests.

pub mod midtrans;
pub mod nas;
pub mod router;
pub mod telegram;
pub mod whatsapp;
