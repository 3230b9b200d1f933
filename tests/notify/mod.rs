//! The notify room: lifecycle messages through the gateway simulator.

mod messages;
mod telegram;
