pub mod admin;
pub mod auth;
pub mod devices;
pub mod health;
pub mod meta;
pub mod webhooks;
