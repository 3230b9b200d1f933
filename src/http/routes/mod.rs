pub mod health;
pub mod meta;
